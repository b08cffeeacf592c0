package inspect

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"regexp"
)

var (
	errUUCorrupt = errors.New("uuencode is corrupt")
	errUUNoEnd   = errors.New("uuencode block has no end line")
)

// uuBeginRE matches "begin 644 name" and "begin-base64 644 name".
var uuBeginRE = regexp.MustCompile(`^begin(-base64)?[ \t]+([0-7]{3,4})[ \t]+(.+?)[ \t]*$`)

// uuBegin matches line against uuBeginRE; the regular expression only runs
// on lines that start with "begin" (every body line comes here).
func uuBegin(line []byte) [][]byte {
	if !bytes.HasPrefix(line, []byte("begin")) {
		return nil
	}
	return uuBeginRE.FindSubmatch(trimEOL(line))
}

// scanUU reads a text body line by line. Lines outside uuencode blocks go to
// text (with their line breaks); each block ("begin 644 name" … "end") is
// handed to block as a reader of its decoded bytes. A read error of r or an
// error returned by block stops the scan.
func scanUU(r io.Reader, text func(line []byte), block func(name []byte, body io.Reader) error) error {
	br := newLineReader(r)
	defer releaseLineReader(br)
	lineStart := true
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			text(line)
			lineStart = false
			continue
		}
		if len(line) > 0 {
			start := lineStart
			lineStart = true
			if start {
				if m := uuBegin(line); m != nil {
					ub := &uuBlock{br: br, b64: len(m[1]) > 0}
					name := append([]byte(nil), m[3]...)
					if berr := block(name, ub); berr != nil {
						return berr
					}
					if _, derr := io.Copy(io.Discard, ub); derr != nil && !isUUErr(derr) {
						return derr
					}
					continue
				}
			}
			text(line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func isUUErr(err error) bool {
	return errors.Is(err, errUUCorrupt) || errors.Is(err, errUUNoEnd)
}

func trimEOL(b []byte) []byte {
	return bytes.TrimRight(b, "\r\n")
}

// uuBlock decodes the lines of one block, up to its "end" (or "====").
type uuBlock struct {
	br  *bufio.Reader
	b64 bool
	out []byte
	buf []byte
	err error
}

func (u *uuBlock) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		line, err := u.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			u.err = errUUCorrupt // no uuencode line is that long
			continue
		}
		if err != nil && len(line) == 0 {
			if err == io.EOF {
				err = errUUNoEnd
			}
			u.err = err
			continue
		}
		u.out, u.err = u.decodeLine(trimEOL(line))
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

func (u *uuBlock) decodeLine(l []byte) ([]byte, error) {
	if u.b64 {
		if string(bytes.TrimSpace(l)) == "====" {
			return nil, io.EOF
		}
		n, err := base64.StdEncoding.Decode(u.grow(len(l)), bytes.TrimSpace(l))
		if err != nil {
			return nil, errUUCorrupt
		}
		return u.buf[:n], nil
	}
	if string(bytes.TrimSpace(l)) == "end" {
		return nil, io.EOF
	}
	if len(l) == 0 {
		return nil, nil // a blank line: tolerated
	}
	n := int((l[0] - ' ') & 63)
	data := l[1:]
	need := (n + 2) / 3 * 4
	out := u.grow(n + 3)[:0]
	for i := 0; i < need; i += 4 {
		var q [4]byte
		for j := 0; j < 4; j++ {
			c := byte('`') // trailing blanks are often stripped in transit
			if i+j < len(data) {
				c = data[i+j]
			}
			if c < ' ' || c > '`' {
				return nil, errUUCorrupt
			}
			q[j] = (c - ' ') & 63
		}
		out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
	}
	if len(out) < n {
		return nil, errUUCorrupt
	}
	return out[:n], nil
}

func (u *uuBlock) grow(n int) []byte {
	if cap(u.buf) < n {
		u.buf = make([]byte, n)
	}
	return u.buf[:n]
}
