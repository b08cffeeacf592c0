package secret

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// labelled scans p for password labels: it adds the values that follow them
// as labelled candidates, the value-shaped ones as statements.
func (s *scan) labelled(p *prepared, t Text) {
	exempt := s.f.exemptSpans(p)
	if len(exempt) > 0 {
		s.res.Compliant = true
	}
	lower := p.lower
	for li, ln := range p.lines {
		// url: the current word is a URL (a label in it is a parameter).
		url := strings.HasPrefix(lower[ln.content:ln.end], "www.")
		for i := ln.content; i < ln.end; {
			c := lower[i]
			if c >= utf8.RuneSelf {
				url = false
				if !s.f.labels.mayStart(lower, i) {
					i += runeLen(c)
					continue
				}
			} else {
				switch {
				case c == ' ' || c == '\t':
					i++
					url = strings.HasPrefix(lower[i:ln.end], "www.")
					continue
				case c == ':' && strings.HasPrefix(lower[i:ln.end], "://"):
					url = true
				}
				// A label that starts with a letter or digit does not
				// start inside a word (see boundary): only word starts are
				// tried.
				inWord := i > ln.content && asciiAlnum(rune(c)) && asciiAlnum(rune(lower[i-1]))
				if url || inWord || len(s.f.labels.ascii[c]) == 0 {
					i++
					continue
				}
			}
			if lb, j := s.f.match(p, ln, i); lb != nil {
				s.occurrence(p, t, li, i, j, lb, exempt)
				i = j
				continue
			}
			i += runeLen(c)
		}
	}
}

// sep describes what follows a label.
type sep struct {
	q      int  // where the value starts
	strong bool // ":", "=", "→", "は", a bracket, a space after a Japanese label
	// explicit: ":", "=", "→", "|" or a bracket; only then is a value in
	// Japanese text ("パスワード：さくら2024") taken, not prose after "は".
	explicit bool
	weak     bool // a space after an English label, "is", "-", "_", nothing after a Japanese label
	closer   rune // the value is enclosed and ends at this rune
}

// separators reads what follows the label at lower[:j].
func (s *scan) separators(p *prepared, ln line, j int, lb *label) (sp sep) {
	lower := p.lower
	q, space := j, false
loop:
	for steps := 0; steps < 12 && q < ln.end; steps++ {
		r, size := utf8.DecodeRuneInString(lower[q:ln.end])
		switch {
		case r == ' ' || r == '\t':
			for q < ln.end && (lower[q] == ' ' || lower[q] == '\t') {
				q++
			}
			space = true
		case r == ':' || r == '=' || r == '|' || r == '→' || r == '⇒' || r == '➡' || r == '⇨':
			if r == '=' && q+1 < ln.end && lower[q+1] == '>' {
				size = 2
			}
			sp.strong, sp.explicit = true, true
			q += size
		case r == '-' && q+1 < ln.end && lower[q+1] == '>':
			sp.strong, sp.explicit = true, true
			q += 2
		case (r == '-' || r == '_') && !sp.strong && !sp.weak && !space:
			// "PW-abc123", "資料_pw_abc123.zip"
			sp.weak = true
			q += size
		case isCloser(r) && !sp.strong && !sp.weak:
			// "【パスワード】abc", "[PW] abc"
			sp.strong, sp.explicit = true, true
			q += size
		case (r == '"' || r == '\'') && !sp.strong && nextIsAssign(lower, q+1, ln.end):
			// "password": "abc123"
			q += size
		case r == 'は' && !sp.strong:
			sp.strong = true
			q += size
		case (r == '、' || r == ',') && sp.strong:
			q += size
		case r == 'i' && !sp.strong && !sp.weak && wordAt(lower, q, ln.end, "is"):
			sp.weak = true
			q += 2
		case r == 'を' && q+size < ln.end && closers[firstRune(lower[q+size:ln.end])] != 0:
			// "パスワードを「abc123」に変更しました"
			q += size
		case r == '(' && !sp.strong && !sp.weak:
			// "パスワード（半角英数）：abc" or "password (case sensitive): abc"
			if k := parenthetical(lower, q, ln.end); k > 0 {
				q = k
				continue
			}
			sp.strong, sp.explicit, sp.closer = true, true, ')'
			q += size
			break loop
		case closers[r] != 0:
			sp.strong, sp.explicit, sp.closer = true, true, closers[r]
			q += size
			break loop
		default:
			break loop
		}
	}
	if !sp.strong && !sp.weak {
		switch {
		case space && !lb.ascii:
			sp.strong = true // "パスワード abc123"
		case space:
			sp.weak = true
		case q == j && !lb.ascii:
			sp.weak = true // "パスワードabc123"
		}
	}
	sp.q = q
	return sp
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// wordAt reports whether lower[i:] starts with the word w (not followed by a
// letter or digit).
func wordAt(lower string, i, end int, w string) bool {
	if !strings.HasPrefix(lower[i:end], w) {
		return false
	}
	k := i + len(w)
	return k == end || !asciiAlnum(rune(lower[k]))
}

// nextIsAssign reports whether the next non-space character is ':' or '='.
func nextIsAssign(lower string, i, end int) bool {
	for i < end && (lower[i] == ' ' || lower[i] == '\t') {
		i++
	}
	return i < end && (lower[i] == ':' || lower[i] == '=')
}

// parenthetical skips a short remark in parentheses between a label and its
// separator. It returns the offset after ')' or 0 when the parentheses are
// not followed by a separator (they then enclose the value).
func parenthetical(lower string, q, end int) int {
	lim := min(end, q+96)
	k := strings.IndexByte(lower[q:lim], ')')
	if k < 0 {
		return 0
	}
	k += q + 1
	m := k
	for m < end && (lower[m] == ' ' || lower[m] == '\t') {
		m++
	}
	if m >= end {
		return 0
	}
	r := firstRune(lower[m:end])
	switch {
	case r == ':' || r == '=' || r == '|' || r == '→' || r == 'は' || isCloser(r):
		return k
	case r == 'i' && wordAt(lower, m, end, "is"):
		return k
	}
	return 0
}

// valueRun returns the end of the value that starts at q and whether it is
// Japanese text. An ASCII-like value runs over value runes; it ends at a
// space, Japanese text, punctuation, a full-width bracket or the closer. A
// value that starts with Japanese text ("さくら2024") also takes kana and
// kanji. n is the number of runes, at most maxTok+1.
func (s *scan) valueRun(p *prepared, q, end int, closer rune) (v1, n int, jp bool) {
	lower := p.lower
	if q >= end || p.fullWidthStop(q) {
		return q, 0, false
	}
	r := firstRune(lower[q:end])
	switch {
	case valueRune(r):
	case japaneseLetter(r):
		jp = true
	default:
		return q, 0, false
	}
	v1 = q
	for v1 < end && n <= s.f.maxTok {
		r, size := utf8.DecodeRuneInString(lower[v1:end])
		if closer != 0 && r == closer || p.fullWidthStop(v1) {
			break
		}
		if !valueRune(r) && !(jp && japaneseLetter(r)) {
			break
		}
		v1 += size
		n++
	}
	return v1, n, jp
}

// blankFrom reports whether lower[i:end] holds only spaces and closers.
func blankFrom(lower string, i, end int) bool {
	for i < end {
		r, size := utf8.DecodeRuneInString(lower[i:end])
		if !(r == ' ' || r == '\t' || isCloser(r)) {
			return false
		}
		i += size
	}
	return true
}

// onlyDecoration reports whether s has no letters or digits (bullets,
// brackets, spaces): the label is alone on its line.
func onlyDecoration(s string) bool {
	for _, r := range s {
		if asciiAlnum(r) || japaneseLetter(r) || (r >= utf8.RuneSelf && valueRune(r)) {
			return false
		}
	}
	return true
}

// nextLine returns the index of the next non-blank line after li, skipping
// at most two blank lines, or -1.
func (p *prepared) nextLine(li int) int {
	for k, skipped := li+1, 0; k < len(p.lines) && skipped <= 2; k++ {
		if p.lines[k].content < p.lines[k].end {
			return k
		}
		skipped++
	}
	return -1
}

// value is a value found after a label: norm[a:b].
type value struct {
	a, b     int
	li       int  // line of the value
	n        int  // runes before trimming
	jp       bool // starts with Japanese text
	nextLine bool // on a line of its own after the label
}

// findValue finds the value after the label at norm[i:j].
func (s *scan) findValue(p *prepared, t Text, li, i, j int, lb *label) (v value, sp sep, ok bool) {
	ln := p.lines[li]
	sp = s.separators(p, ln, j, lb)
	if lb.ambiguous && !sp.strong {
		return v, sp, false
	}
	if !blankFrom(p.lower, sp.q, ln.end) {
		if !sp.strong && !sp.weak {
			return v, sp, false
		}
		v.a, v.li = sp.q, li
		v.b, v.n, v.jp = s.valueRun(p, sp.q, ln.end, sp.closer)
		if v.jp && sp.strong {
			// "パスワードは以下の通りです。" then the value on the next line.
			rest := p.lower[sp.q:min(ln.end, sp.q+120)]
			if containsAny(rest, pointerWords) {
				if nv, ok := s.valueOnNextLine(p, li); ok {
					sp.strong = true
					return nv, sp, true
				}
			}
		}
		return v, sp, v.b > v.a
	}
	// Nothing after the label on its line: the value may be on the next one
	// ("パスワード：\nabc123", a table cell, a quoted line break).
	if t.Kind == KindSubject || t.Kind == KindFilename {
		return v, sp, false
	}
	if !sp.strong && !onlyDecoration(p.lower[ln.content:i]) {
		return v, sp, false
	}
	nv, ok := s.valueOnNextLine(p, li)
	if ok {
		sp.strong = true
	}
	return nv, sp, ok
}

// valueOnNextLine reads a value that stands at the start of the next
// non-blank line. The rest of that line must not be English words (a
// sentence is not a password): "abc123（半角）" is a value, "Please call us"
// is not.
func (s *scan) valueOnNextLine(p *prepared, li int) (v value, ok bool) {
	k := p.nextLine(li)
	if k < 0 {
		return v, false
	}
	nl := p.lines[k]
	q, closer := nl.content, rune(0)
	if r, size := utf8.DecodeRuneInString(p.lower[q:nl.end]); closers[r] != 0 {
		closer, q = closers[r], q+size
	}
	v = value{a: q, li: k, nextLine: true}
	v.b, v.n, v.jp = s.valueRun(p, q, nl.end, closer)
	if v.b == v.a || v.jp {
		return v, false
	}
	// Looking at the start of the rest is enough and keeps the work per
	// label bounded.
	for _, r := range p.lower[v.b:min(nl.end, v.b+256)] {
		if asciiLetter(r) {
			return v, false
		}
	}
	return v, true
}

// occurrence handles the label at norm[i:j] on line li.
func (s *scan) occurrence(p *prepared, t Text, li, i, j int, lb *label, exempt []span) {
	inExempt := inSpans(exempt, i)
	v, sp, ok := s.findValue(p, t, li, i, j, lb)
	if !ok && s.res.Compliant {
		return
	}
	compliant := inExempt
	if !compliant && s.compliant < maxComplianceChecks {
		s.compliant++
		compliant = s.compliantNear(p, li, i, j, ok && !v.nextLine)
	}
	if compliant {
		s.res.Compliant = true
	}
	if !ok || inExempt || v.n > s.f.maxTok {
		return
	}
	evidence := strings.Join(strings.Fields(p.norm[i:j]), " ")
	if v.jp {
		// A Japanese value ("さくら2024") is tried, but only a value that
		// looks like a password makes a statement.
		val := p.norm[v.a:v.b]
		if !sp.explicit || compliant || containsAny(val, jpStopwords) || utf8.RuneCountInString(val) < minLabelledLen {
			return
		}
		s.add(tierLabelled, s.candidate(p, t, v.a, v.b, evidence))
		return
	}
	a, b := trimValue(p.norm, v.a, v.b)
	if t.Kind == KindFilename && v.b == p.lines[v.li].end {
		a, b = trimValue(p.norm, a, stripExtension(p.norm, a, b))
	}
	if a >= b {
		return
	}
	prim := p.lower[a:b]
	if isURL(prim) || isEmail(prim) || stopwords[prim] || !hasAlnum(prim) ||
		utf8.RuneCountInString(prim) < minLabelledLen {
		return
	}
	strong := looksStrong(p.norm[a:b])
	if !sp.strong && !(sp.weak && !lb.ambiguous && strong) {
		return
	}
	if compliant && !strong {
		return
	}
	idx := s.add(tierLabelled, s.candidate(p, t, a, b, evidence))
	// Other readings of the same value, tried after it: as written
	// ("abc123." with its period), the first part of a file name's value
	// ("abc123" of "PW-abc123_0401.zip"), the part after a slash ("ID/PW:
	// tanaka/abc123").
	other := func(x, y int) {
		if v := p.norm[x:y]; utf8.RuneCountInString(v) >= minLabelledLen && hasAlnum(v) && !isURL(p.lower[x:y]) {
			s.add(tierLabelled, s.candidate(p, t, x, y, evidence))
		}
	}
	if a != v.a || b != v.b {
		other(v.a, v.b)
	}
	if t.Kind == KindFilename {
		if k := strings.IndexByte(p.norm[a:b], '_'); k > 0 {
			other(a, a+k)
		}
	}
	if k := strings.IndexByte(prim, '/'); k >= 0 && k == strings.LastIndexByte(prim, '/') {
		other(a+k+1, b)
	}
	if s.shaped(p.norm[a:b]) {
		s.statement(Statement{Label: evidence, Kind: t.Kind, Path: t.Path, Line: li + 1, Candidate: idx})
	}
}

// candidate makes the candidate norm[a:b] with its raw form.
func (s *scan) candidate(p *prepared, t Text, a, b int, label string) Candidate {
	c := Candidate{Value: p.norm[a:b], Label: label, Labelled: label != "", Kind: t.Kind, Path: t.Path}
	if len(p.changes) > 0 {
		if raw := p.rawSpan(a, b); raw != c.Value {
			c.Raw = raw
		}
	}
	return c
}

// compliantNear reports compliant phrasing around the label at norm[i:j]:
// in its sentence before it, or after it up to the end of the sentence
// (into the next line when the label ends its line).
func (s *scan) compliantNear(p *prepared, li, i, j int, valueOnLine bool) bool {
	lower := p.lower
	ln := p.lines[li]
	before := lower[max(ln.content, i-60):i]
	for len(before) > 0 && !utf8.RuneStart(before[0]) {
		before = before[1:]
	}
	if k := strings.LastIndex(before, "。"); k >= 0 {
		before = before[k:]
	}
	if k := strings.LastIndex(before, ". "); k >= 0 {
		before = before[k:]
	}
	if containsAny(before, compliantWords) {
		return true
	}
	after, ended := sentence(lower[j:min(ln.end, j+240)])
	if containsAny(after, compliantWords) {
		return true
	}
	if ended || valueOnLine || j+240 <= ln.end {
		return false
	}
	k := p.nextLine(li)
	if k < 0 {
		return false
	}
	nl := p.lines[k]
	next, _ := sentence(lower[nl.content:min(nl.end, nl.content+240-len(after))])
	return containsAny(next, compliantWords)
}

// sentence cuts s at the end of its first sentence.
func sentence(s string) (string, bool) {
	cut := len(s)
	for _, end := range [...]string{"。", ". ", "! ", "? ", "！", "？"} {
		if k := strings.Index(s[:cut], end); k >= 0 {
			cut = k
		}
	}
	return s[:cut], cut < len(s)
}

// trimValue drops sentence punctuation and unmatched quotes and brackets
// around a value: "abc123." → "abc123", "(abc123" → "abc123".
func trimValue(s string, a, b int) (int, int) {
	for b > a {
		c := s[b-1]
		switch {
		case strings.IndexByte(".,;:", c) >= 0,
			strings.IndexByte("([{<", c) >= 0,
			c == ')' && strings.IndexByte(s[a:b-1], '(') < 0,
			c == ']' && strings.IndexByte(s[a:b-1], '[') < 0,
			c == '}' && strings.IndexByte(s[a:b-1], '{') < 0,
			c == '>' && strings.IndexByte(s[a:b-1], '<') < 0,
			(c == '"' || c == '\'' || c == '`') && strings.IndexByte(s[a:b-1], c) < 0:
			b--
			continue
		}
		break
	}
	for b > a {
		c := s[a]
		switch {
		case c == '(' && strings.IndexByte(s[a+1:b], ')') < 0,
			c == '[' && strings.IndexByte(s[a+1:b], ']') < 0,
			c == '{' && strings.IndexByte(s[a+1:b], '}') < 0,
			c == '<' && strings.IndexByte(s[a+1:b], '>') < 0,
			(c == '"' || c == '\'' || c == '`') && strings.IndexByte(s[a+1:b], c) < 0:
			a++
			continue
		}
		break
	}
	return a, b
}

// stripExtension drops a file name extension (".zip", ".tar.gz") from the
// end of s[a:b].
func stripExtension(s string, a, b int) int {
	for range 2 {
		k := strings.LastIndexByte(s[a:b], '.')
		if k <= 0 {
			return b
		}
		ext := s[a+k+1 : b]
		if len(ext) == 0 || len(ext) > 5 {
			return b
		}
		letter := false
		for i := 0; i < len(ext); i++ {
			c := rune(ext[i])
			if !asciiAlnum(c) {
				return b
			}
			letter = letter || asciiLetter(c)
		}
		if !letter {
			return b
		}
		b = a + k
	}
	return b
}

// minLabelledLen is the shortest value kept after a label: "パスワードは8文字以上"
// is a rule, not a password.
const minLabelledLen = 3

// hasAlnum reports a letter or digit (ASCII or not): "********" and
// "----" are not passwords.
func hasAlnum(v string) bool {
	for _, r := range v {
		if asciiAlnum(r) || r >= utf8.RuneSelf && unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// looksStrong reports a value no word looks like: it has a digit, a
// symbol, or mixed case with an upper-case letter after the first
// character ("abcDef"; not "Tanaka" or "PDF").
func looksStrong(v string) bool {
	lower, innerUpper := false, false
	for k, r := range v {
		switch {
		case r >= '0' && r <= '9':
			return true
		case r >= 'A' && r <= 'Z':
			innerUpper = innerUpper || k > 0
		case r >= 'a' && r <= 'z':
			lower = true
		default:
			return true
		}
	}
	return lower && innerUpper
}

// shaped reports a value-shaped token: 4 to MaxTokenLen runes, with an ASCII
// letter or digit, made of value runes only.
func (s *scan) shaped(v string) bool {
	n, alnum := 0, false
	for _, r := range v {
		if !valueRune(r) {
			return false
		}
		alnum = alnum || asciiAlnum(r)
		n++
	}
	return alnum && n >= 4 && n <= s.f.maxTok
}

func isURL(lower string) bool {
	return strings.Contains(lower, "://") || strings.HasPrefix(lower, "www.") || strings.HasPrefix(lower, "mailto:")
}

// isEmail reports an address-shaped value: local@domain.tld.
func isEmail(lower string) bool {
	at := strings.LastIndexByte(lower, '@')
	if at <= 0 {
		return false
	}
	dom := lower[at+1:]
	dot := strings.LastIndexByte(dom, '.')
	if dot <= 0 || len(dom)-dot-1 < 2 {
		return false
	}
	for i := 0; i < len(dom); i++ {
		c := rune(dom[i])
		if !asciiAlnum(c) && c != '.' && c != '-' {
			return false
		}
	}
	for _, c := range dom[dot+1:] {
		if !asciiLetter(c) {
			return false
		}
	}
	return true
}
