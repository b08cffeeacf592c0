package inspect

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
)

var errBadWord = errors.New("inspect: malformed encoded word")

// errCorruptBase64 is returned by the base64 reader for a body that is not
// valid base64 (bad characters, wrong length, data after the padding).
var errCorruptBase64 = errors.New("base64 is corrupt")

// transferDecoder returns a reader that undoes the Content-Transfer-Encoding
// cte (lower case). known is false for an encoding it does not know; the
// body is then handed over as it is. uuencode is not handled here.
func transferDecoder(cte string, r io.Reader) (dec io.Reader, known bool) {
	switch cte {
	case "", "7bit", "8bit", "binary", "7-bit", "8-bit":
		return r, true
	case "base64":
		// The reader fills its own chunks: a bufio.Reader in between would
		// only copy.
		return &b64Reader{src: r}, true
	case "quoted-printable":
		return &qpReader{src: bufio.NewReaderSize(r, 4096)}, true
	}
	return r, false
}

// isUUEncoding reports whether cte names uuencode.
func isUUEncoding(cte string) bool {
	switch cte {
	case "x-uuencode", "uuencode", "x-uue", "uue":
		return true
	}
	return false
}

// b64Reader decodes base64 ignoring whitespace and line breaks (as mailers
// do), and fails with errCorruptBase64 on anything else that is not base64:
// a bad character, a missing final group or padding, data after the padding.
// It decodes what came before the fault.
type b64Reader struct {
	src    io.Reader
	inBuf  *[chunkSize]byte // pooled, given back at the end
	in     []byte           // raw input
	outArr *[chunkSize]byte // pooled backing of outBuf, given back at the end
	pend   []byte           // alphabet characters not decoded yet
	out    []byte           // decoded bytes not returned yet
	outBuf []byte
	padded bool // saw '=': only padding and whitespace may follow
	err    error
}

func (b *b64Reader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			b.release()
			return 0, b.err
		}
		b.fill()
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// fill reads a chunk of input and decodes its complete groups.
//
// It goes line by line. A line of clean base64 (alphabet characters only,
// then CR LF or LF; what mailers write) is decoded in one call of the
// standard decoder; anything else goes through the lenient byte-by-byte path
// (scan), which gives the same result as decoding the whole input byte by
// byte: base64 groups are independent, and the fast path only takes whole
// groups of alphabet characters, which scan would append to pend unchanged.
func (b *b64Reader) fill() {
	if b.in == nil {
		b.inBuf = chunks.Get().(*[chunkSize]byte)
		b.in = b.inBuf[:]
	}
	n, rerr := b.src.Read(b.in)
	// Room for every group this chunk can complete, plus slack for the
	// standard decoder, which stores 8 bytes at a time.
	if need := (len(b.pend)+n)/4*3 + 8; cap(b.outBuf) < need {
		if b.outArr == nil && need <= chunkSize {
			b.outArr = chunks.Get().(*[chunkSize]byte)
			b.outBuf = b.outArr[:0]
		} else {
			b.outBuf = make([]byte, 0, need)
		}
	}
	out := b.outBuf[:0]
	corrupt := false
	in := b.in[:n]
	for len(in) > 0 && !corrupt {
		line := in
		if i := bytes.IndexByte(in, '\n'); i >= 0 {
			line, in = in[:i], in[i+1:] // the LF is whitespace
		} else {
			in = nil
		}
		if !b.padded {
			if k := len(line); k > 0 && line[k-1] == '\r' {
				line = line[:k-1] // the CR too
			}
			if bytes.IndexByte(line, '\r') < 0 {
				out, line = b.decodeClean(out, line)
			}
		}
		corrupt = b.scan(line)
	}
	k := len(b.pend) / 4 * 4
	if (b.padded || corrupt || rerr != nil) && k < len(b.pend) {
		k = len(b.pend) // the last, short group
	}
	out = b.decodePend(out, k)
	b.out = out
	b.outBuf = out
	short := k%4 != 0
	switch {
	case corrupt:
		b.err = errCorruptBase64
	case rerr == io.EOF && short && !b.padded:
		b.err = errCorruptBase64 // the input ends inside a group
	case rerr != nil:
		b.err = rerr
	}
}

// release gives the input chunk back to the pool once the reader is done.
func (b *b64Reader) release() {
	if b.inBuf != nil {
		chunks.Put(b.inBuf)
		b.inBuf, b.in = nil, nil
	}
	if b.outArr != nil {
		chunks.Put(b.outArr)
		b.outArr, b.outBuf, b.out = nil, nil, nil
	}
}

// decodeClean decodes the leading whole groups of line (which holds no CR or
// LF) that are plain alphabet characters, first completing the group begun in
// pend, and returns the rest of line for scan. It takes nothing it cannot
// decode: the rest starts at the group holding the first character that is
// not in the alphabet, or is the last 0-3 characters.
func (b *b64Reader) decodeClean(out, line []byte) ([]byte, []byte) {
	if len(b.pend) >= 4 {
		out = b.decodePend(out, len(b.pend)/4*4)
	}
	if p := len(b.pend); p > 0 {
		need := 4 - p
		if len(line) < need {
			return out, line
		}
		for _, c := range line[:need] {
			if b64val(c) < 0 {
				return out, line
			}
		}
		b.pend = append(b.pend, line[:need]...)
		line = line[need:]
		out = b.decodePend(out, 4)
	}
	full := len(line) &^ 3
	if full == 0 {
		return out, line
	}
	if need := len(out) + full/4*3 + 8; cap(out) < need {
		out = append(make([]byte, 0, need+len(out)), out...)
	}
	m, ok := decodeBase64Groups(out[len(out):cap(out)], line[:full])
	if !ok {
		// Not clean: a character outside the alphabet, or '='. What the
		// decoder stored beyond len(out) is not kept.
		return out, line
	}
	return out[:len(out)+m], line[full:]
}

// decodePend appends the decoding of pend[:k] to out and drops those
// characters from pend. A short last group of one character does not decode
// (the decoder's error is not needed: the caller knows the input is corrupt
// then); what precedes it does.
func (b *b64Reader) decodePend(out []byte, k int) []byte {
	if k == 0 {
		return out
	}
	if need := len(out) + k/4*3 + 8; cap(out) < need {
		out = append(make([]byte, 0, need+len(out)), out...)
	}
	m, _ := base64.RawStdEncoding.Decode(out[len(out):cap(out)], b.pend[:k])
	b.pend = append(b.pend[:0], b.pend[k:]...)
	return out[:len(out)+m]
}

// scan is the lenient path: it appends the alphabet characters of s to pend,
// skips whitespace, notes the padding, and reports whether s is corrupt (it
// stops at the first fault).
func (b *b64Reader) scan(s []byte) (corrupt bool) {
	for _, c := range s {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v':
		case c == '=':
			if !b.padded {
				if len(b.pend)%4 < 2 {
					return true
				}
				b.padded = true
			}
		case b64val(c) >= 0 && !b.padded:
			b.pend = append(b.pend, c)
		default:
			return true
		}
	}
	return false
}

func b64val(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

// qpReader decodes quoted-printable the way mailers do: "=XX" (either case)
// is a byte, "=" before a line break is a soft break, any other "=" and any
// other byte (even raw 8-bit or ESC, which real ISO-2022-JP mail has) pass
// through. It never fails on content.
type qpReader struct {
	src *bufio.Reader
	buf []byte
	out []byte
	err error
}

func (q *qpReader) Read(p []byte) (int, error) {
	for len(q.out) == 0 {
		if q.err != nil {
			return 0, q.err
		}
		line, err := q.src.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			err = nil
		}
		q.out = q.decodeLine(line)
		q.err = err
	}
	n := copy(p, q.out)
	q.out = q.out[n:]
	return n, nil
}

func (q *qpReader) decodeLine(line []byte) []byte {
	dst := q.buf[:0]
	body, eol := line, []byte(nil)
	if n := len(body); n > 0 && body[n-1] == '\n' {
		body, eol = body[:n-1], []byte("\n")
		if n := len(body); n > 0 && body[n-1] == '\r' {
			body, eol = body[:n-1], []byte("\r\n")
		}
		// Trailing blanks before the line break are not content (RFC 2045 6.7).
		for len(body) > 0 && (body[len(body)-1] == ' ' || body[len(body)-1] == '\t') {
			body = body[:len(body)-1]
		}
	}
	for len(body) > 0 {
		// Runs without '=' are copied as they are.
		i := bytes.IndexByte(body, '=')
		if i < 0 {
			dst = append(dst, body...)
			break
		}
		dst = append(dst, body[:i]...)
		body = body[i:]
		if len(body) == 1 { // soft line break (or a stray '=' at the end)
			eol = nil
			break
		}
		if len(body) > 2 {
			if h, ok := unhex(body[1], body[2]); ok {
				dst = append(dst, h)
				body = body[3:]
				continue
			}
		}
		dst = append(dst, '=')
		body = body[1:]
	}
	dst = append(dst, eol...)
	q.buf = dst
	return dst
}

func unhex(a, b byte) (byte, bool) {
	x, ok1 := hexval(a)
	y, ok2 := hexval(b)
	return x<<4 | y, ok1 && ok2
}

func hexval(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeB64Loose decodes the text of a "B" encoded word, tolerating missing
// padding.
func decodeB64Loose(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	return base64.RawStdEncoding.DecodeString(s)
}

// decodeQWord decodes the text of a "Q" encoded word.
func decodeQWord(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s):
			if h, ok := unhex(s[i+1], s[i+2]); ok {
				out = append(out, h)
				i += 2
				continue
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out
}
