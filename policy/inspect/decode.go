package inspect

import (
	"bufio"
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
		return &b64Reader{src: bufio.NewReaderSize(r, 32*1024)}, true
	case "quoted-printable":
		return &qpReader{src: bufio.NewReaderSize(r, 32*1024)}, true
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
	in     []byte // raw input
	pend   []byte // alphabet characters not decoded yet
	out    []byte // decoded bytes not returned yet
	outBuf []byte
	padded bool // saw '=': only padding and whitespace may follow
	err    error
}

func (b *b64Reader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		b.fill()
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// fill reads a chunk of input and decodes its complete groups.
func (b *b64Reader) fill() {
	if b.in == nil {
		b.in = make([]byte, 32*1024)
	}
	n, rerr := b.src.Read(b.in)
	corrupt := false
	for _, c := range b.in[:n] {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v':
		case c == '=':
			if !b.padded {
				if len(b.pend)%4 < 2 {
					corrupt = true
					break
				}
				b.padded = true
			}
		case b64val(c) >= 0 && !b.padded:
			b.pend = append(b.pend, c)
		default:
			corrupt = true
		}
		if corrupt {
			break
		}
	}
	k := len(b.pend) / 4 * 4
	if (b.padded || corrupt || rerr != nil) && k < len(b.pend) {
		k = len(b.pend) // the last, short group
	}
	if cap(b.outBuf) < k/4*3+3 {
		b.outBuf = make([]byte, k/4*3+3)
	}
	m, _ := base64.RawStdEncoding.Decode(b.outBuf[:cap(b.outBuf)], b.pend[:k])
	b.out = b.outBuf[:m]
	short := k%4 != 0
	b.pend = append(b.pend[:0], b.pend[k:]...)
	switch {
	case corrupt:
		b.err = errCorruptBase64
	case rerr == io.EOF && short && !b.padded:
		b.err = errCorruptBase64 // the input ends inside a group
	case rerr != nil:
		b.err = rerr
	}
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
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == '=' {
			if i == len(body)-1 { // soft line break (or a stray '=' at the end)
				eol = nil
				break
			}
			if i+2 < len(body) {
				if h, ok := unhex(body[i+1], body[i+2]); ok {
					dst = append(dst, h)
					i += 2
					continue
				}
			}
		}
		dst = append(dst, c)
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
