package secret

import (
	"strings"
	"unicode/utf8"
)

// tokens adds every token of p as an unlabelled candidate. It returns false
// when no further candidate can be kept.
func (s *scan) tokens(p *prepared, t Text) bool {
	more := true
	p.eachToken(t, func(a, b int) bool {
		v := p.norm[a:b]
		if len(v) > 4*s.f.maxTok || len(v) < s.f.minTok {
			return true
		}
		tier := tierOther
		if asciiToken(v) {
			tier = tierASCII
		} else if s.tierFull(tierOther) {
			// Only ASCII tokens can still be kept.
			if _, ok := s.seen[v]; !ok {
				s.res.Truncated = true
			}
			return true
		}
		if len(v) < 4*s.f.minTok || len(v) > s.f.maxTok {
			if n := runeCount(v); n < s.f.minTok || n > s.f.maxTok {
				return true
			}
		}
		if strings.IndexByte(v, ':') >= 0 && strings.Contains(v, "://") {
			return true
		}
		l, seen := s.seen[v]
		if seen {
			// Known already: only its form before NFKC may be new. This is
			// what add does with a known value, without building the
			// candidate.
			if e := &s.lists[l.tier][l.idx]; e.Raw == "" && p.changed(a, b) {
				if raw := p.rawSpan(a, b); raw != v {
					e.Raw = raw
				}
			}
			return true
		}
		if s.full() {
			s.res.Truncated = true
			more = false
			return false
		}
		s.add(tier, s.candidate(p, t, a, b, ""))
		return true
	})
	return more
}

// asciiToken reports a token made of printable ASCII with a letter or digit:
// what passwords are usually made of.
func asciiToken(v string) bool {
	alnum := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7F {
			return false
		}
		alnum = alnum || asciiAlnum(rune(c))
	}
	return alnum
}

// eachToken calls emit with the spans of norm that are tokens, in order,
// until emit returns false. For each run of non-space text (a chunk) they
// are: the chunk; the chunk without enclosing punctuation; its pieces split
// at Japanese punctuation and between Japanese text and other text, without
// enclosing punctuation; a piece's part after its last ':' or '=' (what
// follows a label, "PASS:abc123"); and for a file name, the pieces without
// the extension and split at '_' and '-'. The same span may be emitted more
// than once.
func (p *prepared) eachToken(t Text, emit func(a, b int) bool) {
	s := p.norm
	for _, ln := range p.lines {
		for i := ln.content; i < ln.end; {
			if size, space := spaceAt(s, i); space {
				i += size
				continue
			}
			a := i
			for i < ln.end {
				if c := s[i]; c > ' ' && c < utf8.RuneSelf || c >= 0xE4 {
					i += runeLen(c) // neither a space nor the lead byte of one
					continue
				}
				size, space := spaceAt(s, i)
				if space {
					break
				}
				i += size
			}
			if !p.chunk(t, a, i, emit) {
				return
			}
		}
	}
}

func (p *prepared) chunk(t Text, a, b int, emitAll func(a, b int) bool) bool {
	s := p.norm
	if !emitAll(a, b) {
		return false
	}
	ta, tb := p.trimToken(a, b)
	if (ta != a || tb != b) && ta < tb && !emitAll(ta, tb) {
		return false
	}
	// The pieces are often the chunk itself, trimmed or not: each span is
	// emitted once (emitting one again changes nothing).
	last := span{a, b}
	emit := func(x, y int) bool {
		if x == a && y == b || x == ta && y == tb || x == last.a && y == last.b {
			return true
		}
		last = span{x, y}
		return emitAll(x, y)
	}
	// Sub-chunks between punctuation ("abc123、さくら2024"), then pieces
	// between Japanese text and the rest ("パスワードはabc123です").
	for i := a; i < b; {
		r, size := decodeAt(s, i)
		jp := japaneseLetter(r)
		if p.stop(r, jp, i) {
			i += size
			continue
		}
		start, mixed := i, false
		for i += size; i < b; i += size {
			r, size = decodeAt(s, i)
			jl := japaneseLetter(r)
			if p.stop(r, jl, i) {
				break
			}
			if jl != jp {
				mixed = true
			}
		}
		if !mixed {
			if !p.piece(t, start, i, jp, emit) {
				return false
			}
			continue
		}
		if ta, tb := trimValue(s, start, i); ta < tb && !emit(ta, tb) {
			return false
		}
		for k := start; k < i; {
			r, _ := decodeAt(s, k)
			jp, from := japaneseLetter(r), k
			for k < i {
				r, size := decodeAt(s, k)
				if japaneseLetter(r) != jp {
					break
				}
				k += size
			}
			if !p.piece(t, from, k, jp, emit) {
				return false
			}
		}
	}
	return true
}

// stop reports a character between tokens: punctuation, a full-width
// bracket, anything neither a value rune nor Japanese text. r is at norm
// offset i; jl is japaneseLetter(r).
func (p *prepared) stop(r rune, jl bool, i int) bool {
	switch {
	case jl:
	case r < utf8.RuneSelf:
		if r <= ' ' || r == 0x7F { // not a value rune
			return true
		}
	case !valueRune(r):
		return true
	}
	return p.fullWidthStop(i)
}

func (p *prepared) piece(t Text, a, b int, jp bool, emit func(a, b int) bool) bool {
	if jp {
		return emit(a, b)
	}
	s := p.norm
	a, b = trimValue(s, a, b)
	if a >= b {
		return true
	}
	if isURL(p.lower[a:b]) {
		// Only a query value ("?pw=abc123") can be a password.
		if k := strings.LastIndexByte(s[a:b], '='); k >= 0 {
			if ta, tb := trimValue(s, a+k+1, b); ta < tb {
				return emit(ta, tb)
			}
		}
		return true
	}
	if !emit(a, b) {
		return false
	}
	if k := lastAssign(s[a:b]); k >= 0 {
		if ta, tb := trimValue(s, a+k+1, b); ta < tb && !emit(ta, tb) {
			return false
		}
	}
	if t.Kind != KindFilename {
		return true
	}
	// "資料_v2_tk-Zz81.zip": without the extension, then split at '_', then
	// at '-'.
	e := stripExtension(s, a, b)
	if e != b && !emit(a, e) {
		return false
	}
	return splitEmit(s, a, e, '_', func(x, y int) bool {
		return emit(x, y) && splitEmit(s, x, y, '-', emit)
	})
}

// lastAssign returns the index of the last ':' or '=' in s, or -1.
func lastAssign(s string) int {
	for k := len(s) - 1; k >= 0; k-- {
		if s[k] == ':' || s[k] == '=' {
			return k
		}
	}
	return -1
}

// splitEmit emits the parts of s[a:b] split at sep, when there are several.
func splitEmit(s string, a, b int, sep byte, emit func(a, b int) bool) bool {
	if strings.IndexByte(s[a:b], sep) < 0 {
		return true
	}
	for i := a; i <= b; {
		k := strings.IndexByte(s[i:b], sep)
		if k < 0 {
			k = b - i
		}
		if k > 0 && !emit(i, i+k) {
			return false
		}
		i += k + 1
	}
	return true
}

// trimToken drops enclosing punctuation, quotes and brackets from norm[a:b].
func (p *prepared) trimToken(a, b int) (int, int) {
	s := p.norm
	for a < b {
		if c := s[a]; c < utf8.RuneSelf {
			if strings.IndexByte("\"'`([{<*", c) < 0 {
				break
			}
			a++
			continue
		}
		r, size := decodeAt(s, a)
		if !separatorRune(r) {
			break
		}
		a += size
	}
	for a < b {
		if c := s[b-1]; c < utf8.RuneSelf {
			if strings.IndexByte("\"'`)]}>*.,;:!?", c) < 0 {
				break
			}
			b--
			continue
		}
		r, size := utf8.DecodeLastRuneInString(s[a:b])
		if !separatorRune(r) {
			break
		}
		b -= size
	}
	return a, b
}
