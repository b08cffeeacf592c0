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
		l, seen := s.seen[v]
		if seen && (len(p.changes) == 0 || s.lists[l.tier][l.idx].Raw != "") {
			return true
		}
		if len(v) < 4*s.f.minTok || len(v) > s.f.maxTok {
			if n := utf8.RuneCountInString(v); n < s.f.minTok || n > s.f.maxTok {
				return true
			}
		}
		if strings.IndexByte(v, ':') >= 0 && strings.Contains(v, "://") {
			return true
		}
		if !seen && s.full() {
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
			r, size := decodeAt(s, i)
			if spaceRune(r) {
				i += size
				continue
			}
			a := i
			for i < ln.end {
				r, size = decodeAt(s, i)
				if spaceRune(r) {
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

func (p *prepared) chunk(t Text, a, b int, emit func(a, b int) bool) bool {
	s := p.norm
	if !emit(a, b) {
		return false
	}
	if ta, tb := p.trimToken(a, b); (ta != a || tb != b) && ta < tb && !emit(ta, tb) {
		return false
	}
	// Sub-chunks between punctuation ("abc123、さくら2024"), then pieces
	// between Japanese text and the rest ("パスワードはabc123です").
	for i := a; i < b; {
		r, size := decodeAt(s, i)
		if p.stop(r, i) {
			i += size
			continue
		}
		start, mixed, jp := i, false, japaneseLetter(r)
		for i += size; i < b; i += size {
			r, size = decodeAt(s, i)
			if p.stop(r, i) {
				break
			}
			if japaneseLetter(r) != jp {
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
// bracket, anything neither a value rune nor Japanese text.
func (p *prepared) stop(r rune, i int) bool {
	return !japaneseLetter(r) && !valueRune(r) || p.fullWidthStop(i)
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
	if k := strings.LastIndexAny(s[a:b], ":="); k >= 0 {
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
		r, size := utf8.DecodeRuneInString(s[a:b])
		if !separatorRune(r) && !strings.ContainsRune("\"'`([{<*", r) {
			break
		}
		a += size
	}
	for a < b {
		r, size := utf8.DecodeLastRuneInString(s[a:b])
		if !separatorRune(r) && !strings.ContainsRune("\"'`)]}>*.,;:!?", r) {
			break
		}
		b -= size
	}
	return a, b
}
