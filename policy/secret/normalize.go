package secret

import (
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// prepared is one text made ready for scanning.
//
// raw is the input cleaned of what a reader never sees (zero-width and
// other invisible characters, leftover HTML entities, CR line ends, invalid
// UTF-8); norm is NFKC(raw); lower is norm with ASCII letters lower-cased, so
// byte offsets are the same in norm and lower. changes maps norm offsets back
// to raw offsets for the segments NFKC changed.
type prepared struct {
	raw     string
	norm    string
	lower   string
	changes []change
	// fw marks the norm offsets of characters that were full-width
	// punctuation in raw (（ ） ： ， …): in Japanese text they end a value,
	// although NFKC makes them ASCII.
	fw    []uint64
	lines []line
}

// change is a segment [n0,n1) of norm that NFKC made from raw[r0:r1].
type change struct{ n0, n1, r0, r1 int }

// line is one line of norm: [start,end) without the line feed; content is
// where the text starts after a quoting prefix ("> ", "> > ", "| ").
type line struct{ start, content, end int }

func prepare(s string) *prepared {
	p := &prepared{raw: clean(s)}
	p.normalize()
	p.lower = asciiLower(p.norm)
	p.splitLines()
	return p
}

// invisible reports characters that render as nothing: they are dropped
// anywhere, also between a label and its value.
func invisible(r rune) bool {
	switch {
	case r == 0x00AD, // soft hyphen
		r == 0x034F,                  // combining grapheme joiner
		r == 0x061C,                  // Arabic letter mark
		r == 0x180E,                  // Mongolian vowel separator
		r >= 0x200B && r <= 0x200F,   // zero width space/non-joiner/joiner, LRM, RLM
		r >= 0x202A && r <= 0x202E,   // bidi embeddings and overrides
		r >= 0x2060 && r <= 0x2064,   // word joiner, invisible operators
		r >= 0x2066 && r <= 0x2069,   // bidi isolates
		r >= 0xFE00 && r <= 0xFE0F,   // variation selectors
		r == 0xFEFF,                  // zero width no-break space (BOM)
		r >= 0xE0100 && r <= 0xE01EF: // variation selectors supplement
		return true
	}
	return false
}

// clean drops invisible characters, decodes leftover HTML entities, turns
// CR, CRLF, NEL and the Unicode line and paragraph separators into LF and
// invalid UTF-8 into U+FFFD. Text that needs none of it is returned as it
// is (no copy); otherwise the unchanged runs are copied as they are.
func clean(s string) string {
	var b strings.Builder
	run := 0 // start of the bytes not yet written
	// flush writes the unchanged bytes before i, ahead of a change at i.
	flush := func(i int) {
		if b.Cap() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[run:i])
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c != '\r' && c != '&' {
				i++
				continue
			}
		} else if !mayNeedCleaning(c) {
			if n := validLen(s, i); n > 0 {
				i += n
				continue
			}
		}
		switch c {
		case '\r':
			flush(i)
			b.WriteByte('\n')
			i++
			if i < len(s) && s[i] == '\n' {
				i++
			}
		case '&':
			r, n, ok := entity(s[i:])
			if !ok {
				i++ // a plain '&': nothing to change
				continue
			}
			flush(i)
			if r >= 0 && !invisible(r) {
				b.WriteRune(r)
			}
			i += n
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && n == 1:
				flush(i)
				b.WriteRune(utf8.RuneError)
			case invisible(r):
				flush(i)
			case r == 0x85 || r == 0x2028 || r == 0x2029:
				flush(i)
				b.WriteByte('\n')
			default:
				i += n // a visible character: nothing to change
				continue
			}
			i += n
		}
		run = i
	}
	if run == 0 {
		return s
	}
	b.WriteString(s[run:])
	return b.String()
}

// validLen returns the length of the valid UTF-8 sequence of a non-ASCII
// character at s[i:], or 0 when it is not valid.
func validLen(s string, i int) int {
	if c := s[i]; c >= 0xE1 && c <= 0xEC || c == 0xEE || c == 0xEF {
		// Three bytes with these leads have no overlong or surrogate
		// forms: any two continuation bytes make a character.
		if i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			return 3
		}
		return 0
	}
	if r, n := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || n > 1 {
		return n
	}
	return 0
}

// mayNeedCleaning reports the lead bytes of the invisible characters and
// of NEL, U+2028 and U+2029 (U+0085, U+00AD, U+034F, U+061C, U+180E,
// U+200B–U+206F, U+FE00–U+FEFF, U+E0100–U+E01EF).
func mayNeedCleaning(c byte) bool {
	switch c {
	case 0xC2, 0xCD, 0xD8, 0xE1, 0xE2, 0xEF, 0xF3:
		return true
	}
	return false
}

// namedEntities are the entities that can survive an HTML reduction: the
// spaces and invisible characters a mailer writes, and the escapes a
// doubly encoded body leaves. -1 means the entity is dropped.
var namedEntities = map[string]rune{
	"nbsp": 0xA0, "ensp": 0x2002, "emsp": 0x2003, "thinsp": 0x2009,
	"zwsp": -1, "zwnj": -1, "zwj": -1, "shy": -1, "lrm": -1, "rlm": -1, "wj": -1,
	"amp": '&', "lt": '<', "gt": '>', "quot": '"', "apos": '\'',
}

// entity decodes the HTML entity s starts with ("&nbsp;", "&#160;",
// "&#xA0;", "&amp;nbsp;"). It returns the rune (-1 to drop it) and the
// bytes consumed.
func entity(s string) (rune, int, bool) {
	semi := strings.IndexByte(s[:min(len(s), 12)], ';')
	if semi < 2 {
		return 0, 0, false
	}
	name := s[1:semi]
	if name[0] == '#' {
		var v rune
		digits := name[1:]
		base := rune(10)
		if len(digits) > 0 && (digits[0] == 'x' || digits[0] == 'X') {
			base, digits = 16, digits[1:]
		}
		if len(digits) == 0 || len(digits) > 7 {
			return 0, 0, false
		}
		for i := 0; i < len(digits); i++ {
			d := hexVal(digits[i])
			if d < 0 || rune(d) >= base {
				return 0, 0, false
			}
			v = v*base + rune(d)
		}
		if v == 0 || v > utf8.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
			return utf8.RuneError, semi + 1, true
		}
		return v, semi + 1, true
	}
	r, ok := namedEntities[strings.ToLower(name)]
	if !ok {
		return 0, 0, false
	}
	if r == '&' {
		// "&amp;nbsp;": an entity encoded twice.
		if r2, n2, ok := entity("&" + s[semi+1:min(len(s), semi+13)]); ok {
			return r2, semi + n2, true
		}
	}
	return r, semi + 1, true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// fullWidthStops are full-width characters that end a value in Japanese
// text: brackets, quotes and sentence punctuation that NFKC turns into ASCII.
// Full-width letters, digits and password symbols (＠＃＄％＆＊＋－！？) are
// not among them: people type whole passwords in 全角.
const fullWidthStops = "（）［］｛｝＜＞，．：；＂＇｀｜＝／～＼"

// normalize computes norm, changes and fw from raw. Runs that are already
// NFKC (most text) are copied as they are; the rest is normalised segment
// by segment, so that every change is recorded with its raw span.
func (p *prepared) normalize() {
	raw := p.raw
	n := quickSpan(raw)
	if n == len(raw) {
		p.norm = raw
		return
	}
	var out strings.Builder
	out.Grow(len(raw) + len(raw)/8)
	for pos := 0; pos < len(raw); {
		n := quickSpan(raw[pos:])
		out.WriteString(raw[pos : pos+n])
		pos += n
		if pos >= len(raw) {
			break
		}
		if a, ok := fullWidthASCII(raw, pos); ok {
			// Full-width ASCII (ＡＢＣ１２３：（）) is common in Japanese
			// text: NFKC makes it ASCII.
			n0 := out.Len()
			out.WriteByte(a)
			p.changes = append(p.changes, change{n0, n0 + 1, pos, pos + 3})
			if strings.ContainsRune(fullWidthStops, rune(a)+0xFEE0) {
				p.markFullWidth(n0)
			}
			pos += 3
			continue
		}
		// pos is a segment boundary (QuickSpan ends at one, and so does a
		// segment): normalise the segment that starts there on its own.
		r1 := pos + norm.NFKC.NextBoundaryInString(raw[pos:], true)
		if r1 <= pos {
			r1 = pos + runeLen(raw[pos]) // cannot happen: a segment is not empty
		}
		n0 := out.Len()
		seg := norm.NFKC.String(raw[pos:r1])
		out.WriteString(seg)
		if seg != raw[pos:r1] {
			p.changes = append(p.changes, change{n0, out.Len(), pos, r1})
			if r, _ := utf8.DecodeRuneInString(raw[pos:r1]); r >= 0xFF00 && strings.ContainsRune(fullWidthStops, r) {
				p.markFullWidth(n0)
			}
		}
		pos = r1
	}
	p.norm = out.String()
}

// quickSpan returns norm.NFKC.QuickSpanString(s) for valid UTF-8 s, with
// fewer table look-ups on the text mail is made of. QuickSpanString keeps
// a little state (where the last segment starts, the last combining class,
// a count of non-starters); after ASCII or a quickStarter character that
// state is the same as at a fresh start on that character. So runs of such
// characters are skipped here, and the characters between them are checked
// by QuickSpanString on the piece that starts at the last one before them
// and ends at the next one.
func quickSpan(s string) int {
	last := 0 // start of the last ASCII or quickStarter character
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf || c >= 0xE5 && c <= 0xE9 {
			// ASCII, or U+5000–U+9FFF (kanji)
			last = i
			i += runeLen(c)
			continue
		}
		r, size := decodeAt(s, i)
		if quickStarter(r) {
			last = i
			i += size
			continue
		}
		z := i + size
		for z < len(s) && s[z] >= utf8.RuneSelf {
			r, size := decodeAt(s, z)
			if quickStarter(r) {
				break
			}
			z += size
		}
		n := norm.NFKC.QuickSpanString(s[last:z])
		if z == len(s) || last+n < z {
			return last + n
		}
		i = z
	}
	return len(s)
}

// quickStarter reports characters that NFKC leaves as they are, that start
// a segment and that nothing before them combines with (Unicode NFKC_QC=Yes,
// no leading non-starters): kanji, kana, CJK punctuation, and the general
// punctuation, arrows, box drawing and shapes common in Japanese mail.
// TestQuickStarter checks every one against the norm package's tables.
func quickStarter(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF, // CJK unified ideographs
		r >= 0x3001 && r <= 0x3029, // 、。「」『』【】〜 ...
		r >= 0x303B && r <= 0x3098, // 〻〼 and hiragana
		r >= 0x30A0 && r <= 0x30FE, // katakana, ・, ー
		r >= 0x3400 && r <= 0x4DBF, // CJK extension A
		r == 0x2010,                // ‐
		r >= 0x2012 && r <= 0x2016, // – —
		r >= 0x2018 && r <= 0x2023, // ‘ ’ “ ” † ‡ •
		r >= 0x2190 && r <= 0x222B, // arrows, mathematical operators
		r >= 0x2231 && r <= 0x2328,
		r >= 0x232B && r <= 0x245F,
		r >= 0x24EB && r <= 0x2A0B: // box drawing, shapes, symbols, dingbats
		return true
	}
	return false
}

// fullWidthASCII returns the ASCII character NFKC makes of the full-width
// form at s[i:] (U+FF01–U+FF5E, U+3000), when what follows cannot combine
// with it: ASCII or Japanese text.
func fullWidthASCII(s string, i int) (byte, bool) {
	if i+3 > len(s) {
		return 0, false
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if n != 3 || !(r >= 0xFF01 && r <= 0xFF5E || r == 0x3000) {
		return 0, false
	}
	if i+3 < len(s) {
		next, _ := utf8.DecodeRuneInString(s[i+3:])
		if !(next < 0x300 || next >= 0x3000 && next < 0x3099 || next > 0x309A && next <= 0x9FFF ||
			next >= 0xFF01 && next <= 0xFF5E) {
			return 0, false
		}
	}
	if r == 0x3000 {
		return ' ', true
	}
	return byte(r - 0xFEE0), true
}

func (p *prepared) markFullWidth(i int) {
	for len(p.fw)*64 <= i {
		p.fw = append(p.fw, make([]uint64, len(p.fw)+8)...)
	}
	p.fw[i/64] |= 1 << (i % 64)
}

// fullWidthStop reports whether the character at norm offset i was a
// full-width stop in raw.
func (p *prepared) fullWidthStop(i int) bool {
	k := uint(i) / 64
	return k < uint(len(p.fw)) && p.fw[k]&(1<<(uint(i)%64)) != 0
}

// changed reports whether NFKC changed anything in norm[a:b] (a < b):
// otherwise rawSpan(a, b) is the same text.
func (p *prepared) changed(a, b int) bool {
	k := sort.Search(len(p.changes), func(i int) bool { return p.changes[i].n1 > a })
	return k < len(p.changes) && p.changes[k].n0 < b
}

// rawSpan returns raw's text for norm[a:b].
func (p *prepared) rawSpan(a, b int) string {
	return p.raw[p.toRaw(a, false):p.toRaw(b, true)]
}

// toRaw maps a norm offset to a raw offset. Inside a changed segment, a
// start maps to the segment's start and an end to its end.
func (p *prepared) toRaw(a int, end bool) int {
	k := sort.Search(len(p.changes), func(i int) bool { return p.changes[i].n0 > a }) - 1
	if k < 0 {
		return a
	}
	c := p.changes[k]
	switch {
	case a == c.n0:
		return c.r0
	case a < c.n1:
		if end {
			return c.r1
		}
		return c.r0
	}
	return c.r1 + (a - c.n1)
}

func asciiLower(s string) string {
	i := 0
	for ; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			break
		}
	}
	if i == len(s) {
		return s
	}
	// Upper-case letters are few in mail text: copy the runs between them.
	var b strings.Builder
	b.Grow(len(s))
	run := 0
	for ; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b.WriteString(s[run:i])
			b.WriteByte(c + 'a' - 'A')
			run = i + 1
		}
	}
	b.WriteString(s[run:])
	return b.String()
}

// splitLines splits norm into lines and finds each line's quoting prefix:
// any run of '>' and '|' (NFKC makes ＞ and ｜ ASCII) with spaces.
func (p *prepared) splitLines() {
	s := p.norm
	p.lines = make([]line, 0, strings.Count(s, "\n")+1)
	for start := 0; start <= len(s); {
		end := strings.IndexByte(s[start:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		c := start
		for c < end && (s[c] == ' ' || s[c] == '\t' || s[c] == '>' || s[c] == '|') {
			c++
		}
		p.lines = append(p.lines, line{start, c, end})
		start = end + 1
	}
}
