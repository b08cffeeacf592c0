package secret

// The scanner as it was before it was made faster (the reference): Find
// must give exactly the same Result as refFind, which uses these copies of
// the functions that changed (normalisation, the label scan, the token scan)
// and shares the rest.

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/sendguard/sendguard/internal/jabody"
)

// refFind is Find as it was.
func (f *Finder) refFind(texts []Text) Result {
	s := &scan{f: f, seen: map[string]loc{}, stmts: map[Statement]bool{}}
	preps := make([]*prepared, len(texts))
	for k, t := range texts {
		p := refPrepare(t.Content)
		preps[k] = p
		s.refLabelled(p, t)
	}
	for k, t := range texts {
		if !s.refTokens(preps[k], t) {
			break
		}
	}
	return s.result()
}

// refTokens adds every token of p as an unlabelled candidate. It returns false
// when no further candidate can be kept.
func (s *scan) refTokens(p *prepared, t Text) bool {
	more := true
	p.refEachToken(t, func(a, b int) bool {
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

// refEachToken calls emit with the spans of norm that are tokens, in order,
// until emit returns false. For each run of non-space text (a chunk) they
// are: the chunk; the chunk without enclosing punctuation; its pieces split
// at Japanese punctuation and between Japanese text and other text, without
// enclosing punctuation; a piece's part after its last ':' or '=' (what
// follows a label, "PASS:abc123"); and for a file name, the pieces without
// the extension and split at '_' and '-'. The same span may be emitted more
// than once.
func (p *prepared) refEachToken(t Text, emit func(a, b int) bool) {
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
			if !p.refChunk(t, a, i, emit) {
				return
			}
		}
	}
}

func (p *prepared) refChunk(t Text, a, b int, emit func(a, b int) bool) bool {
	s := p.norm
	if !emit(a, b) {
		return false
	}
	if ta, tb := p.refTrimToken(a, b); (ta != a || tb != b) && ta < tb && !emit(ta, tb) {
		return false
	}
	// Sub-chunks between punctuation ("abc123、さくら2024"), then pieces
	// between Japanese text and the rest ("パスワードはabc123です").
	for i := a; i < b; {
		r, size := decodeAt(s, i)
		if p.refStop(r, i) {
			i += size
			continue
		}
		start, mixed, jp := i, false, japaneseLetter(r)
		for i += size; i < b; i += size {
			r, size = decodeAt(s, i)
			if p.refStop(r, i) {
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

// refStop reports a character between tokens: punctuation, a full-width
// bracket, anything neither a value rune nor Japanese text.
func (p *prepared) refStop(r rune, i int) bool {
	return !japaneseLetter(r) && !refValueRune(r) || p.fullWidthStop(i)
}

// refTrimToken drops enclosing punctuation, quotes and brackets from norm[a:b].
func (p *prepared) refTrimToken(a, b int) (int, int) {
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

func refPrepare(s string) *prepared {
	p := &prepared{raw: refClean(s)}
	p.refNormalize()
	p.lower = asciiLower(p.norm)
	p.splitLines()
	return p
}

// refClean drops invisible characters, decodes leftover HTML entities, turns
// CR, CRLF, NEL and the Unicode line and paragraph separators into LF and
// invalid UTF-8 into U+FFFD. Text that needs none of it is copied in runs.
func refClean(s string) string {
	valid := utf8.ValidString(s)
	var b strings.Builder
	b.Grow(len(s))
	run := 0 // start of the bytes not yet written
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c != '\r' && c != '&' {
				i++
				continue
			}
		} else if valid && !mayNeedCleaning(c) {
			i += runeLen(c)
			continue
		}
		b.WriteString(s[run:i])
		switch c {
		case '\r':
			b.WriteByte('\n')
			i++
			if i < len(s) && s[i] == '\n' {
				i++
			}
		case '&':
			if r, n, ok := entity(s[i:]); ok {
				if r >= 0 && !invisible(r) {
					b.WriteRune(r)
				}
				i += n
			} else {
				b.WriteByte('&')
				i++
			}
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && n == 1:
				b.WriteRune(utf8.RuneError)
			case invisible(r):
			case r == 0x85 || r == 0x2028 || r == 0x2029:
				b.WriteByte('\n')
			default:
				b.WriteString(s[i : i+n])
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

// refNormalize computes norm, changes and fw from raw. Runs that are already
// NFKC (most text) are copied as they are; the rest is normalised segment
// by segment, so that every change is recorded with its raw span.
func (p *prepared) refNormalize() {
	raw := p.raw
	n := norm.NFKC.QuickSpanString(raw)
	if n == len(raw) {
		p.norm = raw
		return
	}
	out := make([]byte, 0, len(raw)+len(raw)/8)
	for pos := 0; pos < len(raw); {
		n := norm.NFKC.QuickSpanString(raw[pos:])
		out = append(out, raw[pos:pos+n]...)
		pos += n
		if pos >= len(raw) {
			break
		}
		if a, ok := fullWidthASCII(raw, pos); ok {
			// Full-width ASCII (ＡＢＣ１２３：（）) is common in Japanese
			// text: NFKC makes it ASCII.
			n0 := len(out)
			out = append(out, a)
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
		n0 := len(out)
		out = norm.NFKC.AppendString(out, raw[pos:r1])
		if string(out[n0:]) != raw[pos:r1] {
			p.changes = append(p.changes, change{n0, len(out), pos, r1})
			if r, _ := utf8.DecodeRuneInString(raw[pos:r1]); r >= 0xFF00 && strings.ContainsRune(fullWidthStops, r) {
				p.markFullWidth(n0)
			}
		}
		pos = r1
	}
	p.norm = string(out)
}

// refLabelled scans p for password labels: it adds the values that follow them
// as labelled candidates, the value-shaped ones as statements.
func (s *scan) refLabelled(p *prepared, t Text) {
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
			switch {
			case c == ' ' || c == '\t':
				i++
				url = strings.HasPrefix(lower[i:ln.end], "www.")
				continue
			case c >= utf8.RuneSelf:
				url = false
			case c == ':' && strings.HasPrefix(lower[i:ln.end], "://"):
				url = true
			}
			if !url {
				if lb, j := s.f.match(p, ln, i); lb != nil {
					s.occurrence(p, t, li, i, j, lb, exempt)
					i = j
					continue
				}
			}
			i += runeLen(c)
		}
	}
}

// refValueRune reports the characters a password is made of: anything visible
// that is not Japanese text, a separator or a space. Full-width letters and
// digits are ASCII after NFKC.
func refValueRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r > ' ' && r < 0x7F
	}
	return !unicode.IsSpace(r) && !unicode.IsControl(r) && !separatorRune(r) && !japaneseLetter(r) &&
		!unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Cf, r)
}

// fragments make generated texts: labels, separators, values, quoting,
// full-width and half-width forms, combining marks, invisible characters,
// entities, invalid UTF-8, URLs, addresses, compliant phrasing, file names.
var fragments = []string{
	"パスワード", "ぱすわーど", "解凍パスワード", "暗証番号", "PW", "pw", "Pass", "password", "Password is", "the password is",
	"パス", "キー", "鍵", "合鍵", "コンパス", "passport", "【パスワード】", "[PW]", "zip password", "開封コード", "PIN", "#pw",
	":", "：", "=", "=>", "->", "→", "は", "を", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r", "> ", ">> ", "| ", "＞ ",
	"「", "」", "『", "』", "（", "）", "(", ")", "[", "]", "<", ">", "\"", "'", "`", "、", "。", ",", ".", ";", "!", "?", "＊", "*",
	"abc123", "ＡＢＣ１２３", "ａｂｃ", "１２３４", "さくら2024", "Tk0001Qz", "secret123", "Other-Pass-42", "x", "ab", "abcDef",
	"Tanaka", "PDF", "xxxx", "****", "なし", "別途", "別途お送りします", "separately", "will follow", "by phone", "以下の通りです",
	"e\u0301", "か\u3099", "\u3099", "\u0301\u0300", "ｶﾞ", "ﾊﾟｽﾜｰﾄﾞ", "①", "…", "‥", "㍿", "ﬁ", "Å", "ㄱㅏ", "\u1100\u1161",
	"\u11a8", "\uff9e", "ｶ\uff9e", "\u0f73", "\u0327", "\u0345", "＜\u0338", "ｱ\u3099", "\u3131\u314f\u3131", "\U0001d15e",
	"\u200b", "\u200d", "\u00ad", "\ufeff", "\u2028", "\u0085", "&nbsp;", "&amp;nbsp;", "&#x200B;", "&#160;", "&lt;", "&amp;", "&", "&#0;", "&#99999999;",
	"\xff", "\xe3\x81", "\x00", "\u3000", "\u00a0", "https://example.co.jp/a?pw=abc123", "www.example.com", "mailto:a@b.jp",
	"tanaka@example.co.jp", "資料_pw_abc123.zip", "見積書_PW-secret123.zip", "v2_tk-Zz81.tar.gz", "ID/PW: tanaka/abc123",
	"いつもお世話になっております", "株式会社サンプル", "漢字", "ー", "・", "※", "─", "■", "★", "😀", "\U00020000", "中文密码", "비밀번호",
	"ORD-000123", "AB0001-X", "03-1234-5678", "2024年4月1日", "\"password\": \"abc123\"", "パスワード（半角英数）：", "password (case sensitive):",
}

// generated makes a text of about n fragments.
func generated(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(fragments[rng.IntN(len(fragments))])
	}
	return b.String()
}

var kinds = []string{"plain", "html", KindSubject, KindFilename}

// TestEquivalence checks Find against refFind, and the prepared texts
// against refPrepare, on generated mail of every kind and with several
// configurations (small limits exercise truncation).
func TestEquivalence(t *testing.T) {
	configs := []Config{
		{},
		{MaxCandidates: 5},
		{MaxCandidates: 40, MaxTokenLen: 16, MinTokenLen: 2},
		{ExtraLabels: []string{"開封コード", "pin", "#pw"}, ExemptPhrases: []string{"パスワードは 別途", "separately"}},
	}
	finders := make([]*Finder, len(configs))
	for i, c := range configs {
		finders[i] = mustNew(t, c)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	var cases [][]Text
	for seed := range uint64(3) {
		cases = append(cases, []Text{{Kind: KindSubject, Content: "見積書送付の件"}, {Kind: "plain", Path: "1", Content: japaneseBody(20<<10, seed)}})
	}
	cases = append(cases, []Text{{Kind: "plain", Path: "1", Content: jabody.Orders(50 << 10)}})
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		var texts []Text
		for k := range 1 + rng.IntN(3) {
			texts = append(texts, Text{Kind: kinds[rng.IntN(len(kinds))], Path: fmt.Sprint(k + 1), Content: generated(rng, 1+rng.IntN(40))})
		}
		cases = append(cases, texts)
	}
	tab := loadTable(t)
	for _, group := range [][]tableCase{tab.Trigger, tab.Compliant, tab.NoTrigger} {
		for _, c := range group {
			cases = append(cases, c.texts())
		}
	}
	for ci, texts := range cases {
		for _, tx := range texts {
			got, want := prepare(tx.Content), refPrepare(tx.Content)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("case %d: prepare(%q) differs:\n got %+v\nwant %+v", ci, tx.Content, got, want)
			}
			if got, want := Prepare(tx).NFKC(), norm.NFKC.String(tx.Content); got != want {
				t.Fatalf("case %d: NFKC(%q) = %q, want %q", ci, tx.Content, got, want)
			}
		}
		for fi, f := range finders {
			got, want := findBase(f, texts), f.refFind(texts)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("case %d, config %+v: texts %q\n got %+v\nwant %+v", ci, configs[fi], texts, got, want)
			}
		}
	}
}

// TestQuickStarter checks quickStarter against the norm package's tables:
// every character it reports passes NFKC's quick check on its own and
// starts a segment; and quickSpan is QuickSpanString around them.
func TestQuickStarter(t *testing.T) {
	var starters []rune
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if !quickStarter(r) {
			continue
		}
		starters = append(starters, r)
		s := string(r)
		p := norm.NFKC.PropertiesString(s)
		if norm.NFKC.QuickSpanString(s) != len(s) || !p.BoundaryBefore() || p.CCC() != 0 || p.LeadCCC() != 0 {
			t.Fatalf("U+%04X is not a quick starter", r)
		}
	}
	// Neighbours that change NFKC's state: combining marks (also a run
	// long enough to overflow the stream-safe count), characters that
	// combine backwards, compatibility characters.
	others := []string{"", "a", "\u0301", "\u3099", "\u309a", "\u0301\u0300", "\u0300\u0301", strings.Repeat("\u0301", 31),
		"\u1161", "\u11a8", "\uff9e", "ｶ", "Ａ", "①", "…", "e\u0301", "\u0345", "\u0f73", "\u2000", "\u00e9", "\U0001d15e"}
	step := 16 // every starter with each neighbour, every 16th with each pair
	if testing.Short() {
		step = 128
	}
	for i, r := range starters {
		for k, a := range others {
			for l, b := range others {
				if i%step != 0 && k > 0 && l > 0 {
					continue
				}
				s := a + string(r) + b
				if got, want := quickSpan(s), norm.NFKC.QuickSpanString(s); got != want {
					t.Fatalf("quickSpan(%+q) = %d, want %d", s, got, want)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			if rng.IntN(2) == 0 {
				b.WriteRune(starters[rng.IntN(len(starters))])
			} else {
				b.WriteString(others[rng.IntN(len(others))])
			}
		}
		s := refClean(b.String())
		if got, want := quickSpan(s), norm.NFKC.QuickSpanString(s); got != want {
			t.Fatalf("quickSpan(%+q) = %d, want %d", s, got, want)
		}
	}
}

// TestRuneClasses checks valueRune against the reference, and spaceAt and
// runeCount against spaceRune and utf8, on every character.
func TestRuneClasses(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune+1; r++ {
		if valueRune(r) != refValueRune(r) {
			t.Fatalf("valueRune(U+%04X) = %v", r, valueRune(r))
		}
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r) + "x"
		if size, space := spaceAt(s, 0); size != utf8.RuneLen(r) || space != spaceRune(r) {
			t.Fatalf("spaceAt(U+%04X) = %d, %v", r, size, space)
		}
		if n := runeCount(s); n != 2 {
			t.Fatalf("runeCount(%q) = %d", s, n)
		}
	}
}

// findBase is Find without the spelled-out pass (spaced.go), which refFind
// predates; TestSpacedValues covers that pass.
func findBase(f *Finder, texts []Text) Result {
	preps := make([]Prepared, len(texts))
	for k, t := range texts {
		preps[k] = Prepare(t)
	}
	return f.find(preps, false)
}

// FuzzFindEquivalence checks Find against refFind on arbitrary text.
// Run: go test -fuzz FuzzFindEquivalence -fuzztime 60s ./policy/secret/
func FuzzFindEquivalence(f *testing.F) {
	for _, s := range fragments {
		f.Add(s, 0)
	}
	f.Add(strings.Join(fragments, ""), 3)
	f.Add(jabody.Orders(2000), 1)
	finders := []*Finder{
		mustNew(f, Config{}),
		mustNew(f, Config{MaxCandidates: 5}),
		mustNew(f, Config{MaxCandidates: 40, MaxTokenLen: 16, MinTokenLen: 2, ExtraLabels: []string{"開封コード", "pin"}, ExemptPhrases: []string{"パスワードは 別途"}}),
	}
	f.Fuzz(func(t *testing.T, s string, k int) {
		texts := []Text{{Kind: kinds[uint(k)%uint(len(kinds))], Path: "1", Content: s}, {Kind: KindSubject, Content: s}}
		if got, want := prepare(s), refPrepare(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("prepare(%q) differs:\n got %+v\nwant %+v", s, got, want)
		}
		for _, f := range finders {
			if got, want := findBase(f, texts), f.refFind(texts); !reflect.DeepEqual(got, want) {
				t.Fatalf("Find(%q)\n got %+v\nwant %+v", s, got, want)
			}
		}
	})
}
