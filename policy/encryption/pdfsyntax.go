package encryption

// A minimal parser for PDF objects (ISO 32000-1 7.2-7.3): enough to read
// trailers, cross-reference stream dictionaries, encryption dictionaries
// and object stream headers. It works on a byte slice, never recurses more
// than pdfMaxDepth levels and never allocates more than the input's size.

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

type (
	pdfName    string
	pdfString  string // the decoded bytes
	pdfKeyword string // obj, endobj, stream, R, ... outside a container
	pdfArray   []any
	pdfDict    map[pdfName]any
	pdfRef     struct{ num, gen int64 }
)

// Object values: nil (null), bool, int64, float64, pdfName, pdfString,
// pdfArray, pdfDict, pdfRef, pdfKeyword.

const pdfMaxDepth = 64

var errPDFSyntax = errors.New("PDF syntax error")

type pdfParser struct {
	b     []byte
	pos   int
	depth int
}

func pdfSpace(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func pdfDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func pdfRegular(c byte) bool { return !pdfSpace(c) && !pdfDelim(c) }

// skip skips white space and comments.
func (p *pdfParser) skip() {
	for p.pos < len(p.b) {
		c := p.b[p.pos]
		switch {
		case pdfSpace(c):
			p.pos++
		case c == '%':
			for p.pos < len(p.b) && p.b[p.pos] != '\r' && p.b[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *pdfParser) fail(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", errPDFSyntax, p.pos, fmt.Sprintf(format, args...))
}

// token reads a run of regular characters.
func (p *pdfParser) token() []byte {
	start := p.pos
	for p.pos < len(p.b) && pdfRegular(p.b[p.pos]) {
		p.pos++
	}
	return p.b[start:p.pos]
}

// expect consumes keyword kw (followed by a non-regular byte).
func (p *pdfParser) expect(kw string) bool {
	p.skip()
	if !bytes.HasPrefix(p.b[p.pos:], []byte(kw)) {
		return false
	}
	end := p.pos + len(kw)
	if end < len(p.b) && pdfRegular(p.b[end]) {
		return false
	}
	p.pos = end
	return true
}

// uint reads an unsigned decimal integer token, or returns false and
// leaves the position alone.
func (p *pdfParser) uint() (int64, bool) {
	p.skip()
	start := p.pos
	var n int64
	for p.pos < len(p.b) && p.b[p.pos] >= '0' && p.b[p.pos] <= '9' {
		if n > (1<<62)/10 {
			p.pos = start
			return 0, false
		}
		n = n*10 + int64(p.b[p.pos]-'0')
		p.pos++
	}
	if p.pos == start || (p.pos < len(p.b) && pdfRegular(p.b[p.pos])) {
		p.pos = start
		return 0, false
	}
	return n, true
}

// object parses one object. Integers followed by "G R" become pdfRef.
func (p *pdfParser) object() (any, error) {
	p.skip()
	if p.pos >= len(p.b) {
		return nil, p.fail("unexpected end of data")
	}
	switch c := p.b[p.pos]; {
	case c == '/':
		return p.name()
	case c == '(':
		return p.literal()
	case c == '<' && p.pos+1 < len(p.b) && p.b[p.pos+1] == '<':
		return p.dict()
	case c == '<':
		return p.hex()
	case c == '[':
		return p.array()
	case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	case pdfRegular(c):
		t := string(p.token())
		switch t {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		return pdfKeyword(t), nil
	default:
		return nil, p.fail("unexpected %q", c)
	}
}

func (p *pdfParser) number() (any, error) {
	start := p.pos
	t := string(p.token())
	if n, ok := p.refAfter(t); ok {
		return n, nil
	}
	if i, err := strconv.ParseInt(t, 10, 64); err == nil {
		return i, nil
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		return f, nil
	}
	p.pos = start
	return nil, p.fail("bad number %q", t)
}

// refAfter: having read integer token t, try "gen R".
func (p *pdfParser) refAfter(t string) (pdfRef, bool) {
	num, err := strconv.ParseInt(t, 10, 64)
	if err != nil || num < 0 || t[0] == '+' {
		return pdfRef{}, false
	}
	save := p.pos
	if gen, ok := p.uint(); ok && p.expect("R") {
		return pdfRef{num, gen}, true
	}
	p.pos = save
	return pdfRef{}, false
}

func (p *pdfParser) name() (pdfName, error) {
	p.pos++ // '/'
	var out []byte
	for p.pos < len(p.b) && pdfRegular(p.b[p.pos]) {
		c := p.b[p.pos]
		if c == '#' && p.pos+2 < len(p.b) {
			if v, err := strconv.ParseUint(string(p.b[p.pos+1:p.pos+3]), 16, 8); err == nil {
				out = append(out, byte(v))
				p.pos += 3
				continue
			}
		}
		out = append(out, c)
		p.pos++
	}
	return pdfName(out), nil
}

// literal reads a (string) with escapes; an unescaped end of line of any
// kind reads as a single LF (7.3.4.2).
func (p *pdfParser) literal() (pdfString, error) {
	p.pos++ // '('
	var out []byte
	nest := 1
	for p.pos < len(p.b) {
		c := p.b[p.pos]
		p.pos++
		switch c {
		case '(':
			nest++
		case ')':
			nest--
			if nest == 0 {
				return pdfString(out), nil
			}
		case '\r':
			if p.pos < len(p.b) && p.b[p.pos] == '\n' {
				p.pos++
			}
			c = '\n'
		case '\\':
			if p.pos >= len(p.b) {
				return "", p.fail("unterminated string")
			}
			e := p.b[p.pos]
			p.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r': // line continuation
				if p.pos < len(p.b) && p.b[p.pos] == '\n' {
					p.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for i := 0; i < 2 && p.pos < len(p.b) && p.b[p.pos] >= '0' && p.b[p.pos] <= '7'; i++ {
						v = v*8 + int(p.b[p.pos]-'0')
						p.pos++
					}
					c = byte(v)
				} else {
					c = e // \( \) \\ and unknown escapes: the character itself
				}
			}
		}
		out = append(out, c)
	}
	return "", p.fail("unterminated string")
}

func (p *pdfParser) hex() (pdfString, error) {
	p.pos++ // '<'
	var out []byte
	var hi byte
	half := false
	for p.pos < len(p.b) {
		c := p.b[p.pos]
		p.pos++
		var v byte
		switch {
		case c == '>':
			if half {
				out = append(out, hi<<4)
			}
			return pdfString(out), nil
		case pdfSpace(c):
			continue
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return "", p.fail("bad hex string")
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	return "", p.fail("unterminated hex string")
}

func (p *pdfParser) enter() error {
	p.depth++
	if p.depth > pdfMaxDepth {
		return p.fail("nested more than %d levels", pdfMaxDepth)
	}
	return nil
}

func (p *pdfParser) array() (pdfArray, error) {
	p.pos++ // '['
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	var out pdfArray
	for {
		p.skip()
		if p.pos >= len(p.b) {
			return nil, p.fail("unterminated array")
		}
		if p.b[p.pos] == ']' {
			p.pos++
			return out, nil
		}
		v, err := p.object()
		if err != nil {
			return nil, err
		}
		if _, ok := v.(pdfKeyword); ok {
			return nil, p.fail("keyword %q in an array", v)
		}
		out = append(out, v)
	}
}

func (p *pdfParser) dict() (pdfDict, error) {
	p.pos += 2 // '<<'
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	out := pdfDict{}
	for {
		p.skip()
		if p.pos >= len(p.b) {
			return nil, p.fail("unterminated dictionary")
		}
		if p.b[p.pos] == '>' {
			if p.pos+1 < len(p.b) && p.b[p.pos+1] == '>' {
				p.pos += 2
				return out, nil
			}
			return nil, p.fail("lone '>' in a dictionary")
		}
		if p.b[p.pos] != '/' {
			return nil, p.fail("dictionary key is not a name")
		}
		k, _ := p.name()
		v, err := p.object()
		if err != nil {
			return nil, err
		}
		if _, ok := v.(pdfKeyword); ok {
			return nil, p.fail("keyword %q in a dictionary", v)
		}
		out[k] = v // a repeated key: the last one wins
	}
}

// indirect parses "num gen obj" and the object after it.
func (p *pdfParser) indirect() (pdfRef, any, error) {
	num, ok1 := p.uint()
	gen, ok2 := p.uint()
	if !ok1 || !ok2 || !p.expect("obj") {
		return pdfRef{}, nil, p.fail("no object header")
	}
	v, err := p.object()
	if err != nil {
		return pdfRef{}, nil, err
	}
	return pdfRef{num, gen}, v, nil
}

// Accessors that tolerate wrong types (returning zero values).

func (d pdfDict) name(k pdfName) pdfName {
	n, _ := d[k].(pdfName)
	return n
}

func (d pdfDict) int(k pdfName) (int64, bool) {
	switch v := d[k].(type) {
	case int64:
		return v, true
	case float64:
		if v == float64(int64(v)) {
			return int64(v), true
		}
	}
	return 0, false
}

func (d pdfDict) str(k pdfName) []byte {
	s, _ := d[k].(pdfString)
	return []byte(s)
}

func (d pdfDict) dict(k pdfName) pdfDict {
	v, _ := d[k].(pdfDict)
	return v
}
