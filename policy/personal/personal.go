// Package personal finds personal data pasted in the clear into the text a
// recipient reads: マイナンバー (Individual Numbers) with a valid check digit,
// payment card numbers (Luhn, issuer prefix, written as cards are), lists of
// people (N or more rows naming a person with a phone number, postal
// address, birth date or personal e-mail address) and patterns an
// administrator defines. It works on text already normalised to NFKC (as
// policy/secret prepares it) and reports kinds, counts and masked fragments
// only, never the data itself.
package personal

import (
	"regexp"
	"strings"
)

// Kinds of personal data.
const (
	KindMyNumber = "my-number"
	KindCard     = "card"
	KindPeople   = "people-list"
	KindPattern  = "pattern" // an administrator's pattern, named by Finding.Name
)

// Pattern is an administrator-defined identifier (会員番号, 患者ID …): a
// match counts only with one of Keywords within a short distance, and the
// pattern fires at MinCount distinct matches.
type Pattern struct {
	Name     string
	Regexp   *regexp.Regexp
	Keywords []string // lower case; none means every match counts
	MinCount int
}

// Config holds the thresholds; a zero value takes the default.
type Config struct {
	// MyNumberMin is the number of distinct Individual Numbers that fire
	// (default 1).
	MyNumberMin int
	// CardMin is the number of distinct card numbers that fire (default 1).
	CardMin int
	// PeopleMinRows is the number of distinct rows naming a person with a
	// contact that make a list (default 5).
	PeopleMinRows int
	Patterns      []Pattern
}

// Text is one normalised text of a message and where it is ("plain",
// "html", "subject", "attachment" …).
type Text struct {
	Kind    string
	Content string
}

// Finding is one kind of personal data found in a message: how many
// distinct items, and at most three masked fragments ("0901****78").
type Finding struct {
	Kind   string
	Name   string // the pattern's name for KindPattern
	Count  int
	Masked []string
	Where  string // the Kind of the first text it was found in
}

// maxMasked bounds the masked fragments a finding carries.
const maxMasked = 3

// Scanner scans texts with a fixed configuration; it is safe for
// concurrent use.
type Scanner struct {
	cfg Config
}

// New returns a scanner for cfg, with defaults for zero thresholds.
func New(cfg Config) *Scanner {
	if cfg.MyNumberMin <= 0 {
		cfg.MyNumberMin = 1
	}
	if cfg.CardMin <= 0 {
		cfg.CardMin = 1
	}
	if cfg.PeopleMinRows <= 0 {
		cfg.PeopleMinRows = 5
	}
	for i := range cfg.Patterns {
		if cfg.Patterns[i].MinCount <= 0 {
			cfg.Patterns[i].MinCount = 1
		}
	}
	return &Scanner{cfg: cfg}
}

// tally gathers the distinct items of one kind across texts.
type tally struct {
	seen   map[string]bool
	masked []string
	where  string
	rows   int // for lists: the largest list in one text
}

func (t *tally) add(value, masked, where string) {
	if t.seen == nil {
		t.seen = map[string]bool{}
	}
	if t.seen[value] {
		return
	}
	t.seen[value] = true
	if t.where == "" {
		t.where = where
	}
	if len(t.masked) < maxMasked {
		t.masked = append(t.masked, masked)
	}
}

// Scan looks at every text and returns one finding per kind that reached
// its threshold, in a fixed order: my-number, card, people-list, patterns.
func (s *Scanner) Scan(texts []Text) []Finding {
	var myNum, card, people tally
	pats := make([]tally, len(s.cfg.Patterns))
	for _, t := range texts {
		if t.Content == "" {
			continue
		}
		scanNumbers(t.Content, t.Kind, &myNum, &card)
		rows, masked, scattered := scanPeople(t.Content)
		if scattered >= 2*s.cfg.PeopleMinRows && scattered > rows {
			// Rows padded apart: a long list counts however far apart.
			rows = scattered
		}
		if rows > people.rows {
			people.rows, people.masked, people.where = rows, masked, t.Kind
		}
		for i, p := range s.cfg.Patterns {
			scanPattern(t.Content, t.Kind, p, &pats[i])
		}
	}
	var out []Finding
	if n := len(myNum.seen); n >= s.cfg.MyNumberMin {
		out = append(out, Finding{Kind: KindMyNumber, Count: n, Masked: myNum.masked, Where: myNum.where})
	}
	if n := len(card.seen); n >= s.cfg.CardMin {
		out = append(out, Finding{Kind: KindCard, Count: n, Masked: card.masked, Where: card.where})
	}
	if people.rows >= s.cfg.PeopleMinRows {
		out = append(out, Finding{Kind: KindPeople, Count: people.rows, Masked: people.masked, Where: people.where})
	}
	for i, p := range s.cfg.Patterns {
		if n := len(pats[i].seen); n >= p.MinCount {
			out = append(out, Finding{Kind: KindPattern, Name: p.Name, Count: n, Masked: pats[i].masked, Where: pats[i].where})
		}
	}
	return out
}

// scanPattern counts the matches of an administrator's pattern that have
// one of its keywords nearby.
func scanPattern(text, where string, p Pattern, t *tally) {
	if p.Regexp == nil {
		return
	}
	if len(p.Keywords) > 0 && !anyKeyword(text, p.Keywords) {
		return // cheap test first: no keyword anywhere, no match counts
	}
	for _, loc := range p.Regexp.FindAllStringIndex(text, 10000) {
		if loc[0] == loc[1] {
			continue
		}
		if len(p.Keywords) > 0 && !keywordNear(text, loc[0], loc[1], p.Keywords) {
			continue
		}
		v := text[loc[0]:loc[1]]
		t.add(v, Mask(v), where)
	}
}

// keywordWindow is how far (in bytes) before and after an item a keyword
// may stand: about 40 Japanese characters before, 20 after.
const (
	keywordBefore = 120
	keywordAfter  = 60
)

// keywordNear reports whether one of the lower-case keywords occurs near
// text[start:end].
func keywordNear(text string, start, end int, keywords []string) bool {
	lo, hi := max(0, start-keywordBefore), min(len(text), end+keywordAfter)
	return anyKeyword(text[lo:hi], keywords)
}

// anyKeyword reports whether s holds one of the keywords, ASCII letters
// compared case-insensitively.
func anyKeyword(s string, keywords []string) bool {
	for _, k := range keywords {
		if containsFold(s, k) {
			return true
		}
	}
	return false
}

// containsFold is strings.Contains with ASCII case folding of s (k is lower
// case already), without allocating. Candidates are found with IndexByte
// (fast on text that is mostly not ASCII letters).
func containsFold(s, k string) bool {
	if k == "" || len(k) > len(s) {
		return k == ""
	}
	first := k[0]
	upper := first
	if 'a' <= first && first <= 'z' {
		upper = first - 'a' + 'A'
	}
	for _, c := range [2]byte{first, upper} {
		for off := 0; off+len(k) <= len(s); {
			i := strings.IndexByte(s[off:len(s)-len(k)+1], c)
			if i < 0 {
				break
			}
			if equalFoldASCII(s[off+i:off+i+len(k)], k) {
				return true
			}
			off += i + 1
		}
		if upper == first {
			break
		}
	}
	return false
}

func equalFoldASCII(a, k string) bool {
	for i := 0; i < len(k); i++ {
		if lower(a[i]) != k[i] {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Mask shows the first four and last two characters of a value of eight or
// more characters ("0901****78"), the first and last of a shorter one, and
// nothing of a value under four characters. Separators are dropped first.
func Mask(v string) string {
	r := []rune(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, v))
	switch {
	case len(r) >= 8:
		return string(r[:4]) + "****" + string(r[len(r)-2:])
	case len(r) >= 4:
		return string(r[:1]) + "****" + string(r[len(r)-1:])
	}
	return "****"
}
