package inspect

import (
	"bufio"
	"bytes"
	"io"
)

// splitter cuts a multipart body into its parts. It is written for this
// package instead of go-message's textproto.MultipartReader so that the walk
// keeps each part's raw bytes (header included, to bound the header size),
// keeps what was read when the final boundary is missing, and notices parts
// hidden after the final boundary (some mailers show them).
type splitter struct {
	br   *bufio.Reader
	dash []byte // "--" + boundary

	state      int // before the first part, in a part, done
	cur        *rawPart
	lineStart  bool
	parts      int
	missingEnd bool // input ended before the final boundary
	afterEnd   bool // a delimiter line appeared after the final boundary

	nlDash   []byte // "\n" + dash
	lineOnly bool   // no bulk copies: every line through readLine (tests)
}

const (
	stPreamble = iota
	stPart
	stDone
)

func newSplitter(r io.Reader, boundary string) *splitter {
	return &splitter{
		br:        newLineReader(r),
		dash:      []byte("--" + boundary),
		nlDash:    []byte("\n--" + boundary),
		lineStart: true,
	}
}

// release gives the splitter's reader back to the pool; the splitter and its
// parts are not read any more.
func (s *splitter) release() {
	if s.br != nil {
		releaseLineReader(s.br)
		s.br = nil
	}
}

// boundaryKind classifies a line: 0 not a boundary, 1 delimiter, 2 final.
func (s *splitter) boundaryKind(line []byte) int {
	if !bytes.HasPrefix(line, s.dash) {
		return 0
	}
	rest := line[len(s.dash):]
	if bytes.HasPrefix(rest, []byte("--")) {
		return 2
	}
	if len(bytes.Trim(rest, " \t\r\n")) == 0 {
		return 1
	}
	return 0
}

// readLine returns the next line (or a chunk of a long line) and whether it
// starts a line. err is io.EOF at the end.
func (s *splitter) readLine() (line []byte, start bool, err error) {
	start = s.lineStart
	line, err = s.br.ReadSlice('\n')
	switch err {
	case bufio.ErrBufferFull:
		s.lineStart = false
		return line, start, nil
	case nil:
		s.lineStart = true
	}
	if err != nil && len(line) > 0 {
		// Hand the last bytes over now; the error comes again on the next call.
		s.lineStart = true
		return line, start, nil
	}
	return line, start, err
}

// Next returns the raw reader of the next part (header and body), or nil when
// there are no more parts. The previous part is drained first.
func (s *splitter) Next() io.Reader {
	if s.cur != nil {
		io.Copy(io.Discard, s.cur)
		s.cur = nil
	}
	for s.state == stPreamble {
		line, start, err := s.readLine()
		if err != nil {
			s.missingEnd = true
			s.state = stDone
			break
		}
		if !start {
			continue
		}
		switch s.boundaryKind(line) {
		case 1:
			s.state = stPart
		case 2:
			s.state = stDone
		}
	}
	if s.state != stPart {
		return nil
	}
	s.parts++
	s.cur = &rawPart{s: s}
	return s.cur
}

// Drain reads the epilogue to the end (so that an enclosing part ends where
// it should) and notes delimiter lines in it.
func (s *splitter) Drain() {
	for s.Next() != nil {
	}
	for {
		line, start, err := s.readLine()
		if err != nil {
			return
		}
		if start && s.boundaryKind(line) == 1 {
			s.afterEnd = true
		}
	}
}

// rawPart reads one part up to the next boundary line. The line break before
// a boundary belongs to the boundary (RFC 2046 5.1.1) and is not returned.
type rawPart struct {
	s    *splitter
	eol  []byte // line break of the previous line, held back
	buf  []byte
	out  []byte
	done bool
}

// bulk copies into b, at once, the whole lines the splitter's reader holds
// that cannot be a boundary, up to the line before the first one that starts
// with the boundary's dashes; it returns 0 when there are none (then the next
// line goes through readLine). What it gives is what line-by-line reading
// gives for the same lines: the held-back line break, then the lines, all
// but the last one's line break, which is held back in turn.
func (p *rawPart) bulk(b []byte) int {
	s := p.s
	if s.lineOnly || !s.lineStart || s.br.Buffered() == 0 {
		return 0
	}
	buf, _ := s.br.Peek(s.br.Buffered())
	if bytes.HasPrefix(buf, s.dash[:min(len(s.dash), len(buf))]) {
		return 0 // the next line may be a boundary (or is cut off)
	}
	room := len(b) - len(p.eol)
	if room <= 0 {
		return 0
	}
	region := buf[:min(len(buf), room+2)] // +2: the held-back line break
	if i := bytes.Index(region, s.nlDash); i >= 0 {
		region = region[:i+1]
	}
	end := bytes.LastIndexByte(region, '\n')
	if end < 0 {
		return 0
	}
	region = region[:end+1]
	eol := region[end:]
	if end > 0 && region[end-1] == '\r' {
		eol = region[end-1:]
	}
	body := region[:len(region)-len(eol)]
	if len(p.eol)+len(body) > len(b) {
		return 0
	}
	n := copy(b, p.eol)
	n += copy(b[n:], body)
	p.eol = append(p.eol[:0], eol...)
	s.br.Discard(len(region))
	return n
}

func (p *rawPart) Read(b []byte) (int, error) {
	// As many lines as fit: the decoders behind read large chunks.
	n := 0
	for n < len(b) {
		if len(p.out) > 0 {
			m := copy(b[n:], p.out)
			p.out = p.out[m:]
			n += m
			continue
		}
		if p.done {
			break
		}
		if m := p.bulk(b[n:]); m > 0 {
			n += m
			continue
		}
		line, start, err := p.s.readLine()
		if err != nil {
			// End of input inside a part: keep it, note the missing boundary.
			p.s.missingEnd = true
			p.s.state = stDone
			p.done = true
			p.out = p.eol
			p.eol = nil
			continue
		}
		if start {
			switch p.s.boundaryKind(line) {
			case 1:
				p.done = true
				continue
			case 2:
				p.done = true
				p.s.state = stDone
				continue
			}
		}
		body, eol := line, []byte(nil)
		if k := len(body); k > 0 && body[k-1] == '\n' {
			if k > 1 && body[k-2] == '\r' {
				body, eol = body[:k-2], body[k-2:]
			} else {
				body, eol = body[:k-1], body[k-1:]
			}
		}
		if len(p.eol)+len(body) <= len(b)-n {
			n += copy(b[n:], p.eol)
			n += copy(b[n:], body)
		} else {
			// p.buf is reused: p.out is always drained before the next line.
			p.buf = append(append(p.buf[:0], p.eol...), body...)
			p.out = p.buf
		}
		p.eol = append(p.eol[:0], eol...)
	}
	if n == 0 && p.done && len(b) > 0 {
		return 0, io.EOF
	}
	return n, nil
}
