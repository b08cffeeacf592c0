// Package secret finds password candidates and password statements in the
// text of a mail.
//
// The rule it serves (受託者向け情報セキュリティ遵守事項 第6-2) says an
// encrypted attachment's password must never travel in the same mail. The
// policy gives Find every text a recipient sees (subject, bodies with HTML
// reduced to visible text, file names) and gets back:
//
//   - Candidates: strings to try as the archive's password, those that
//     follow a password label ("パスワード：", "PW:", "the password is") first,
//     then every other token of the texts. A candidate that opens the archive
//     proves the password was sent along.
//   - Statements: places where the mail says a password ("パスワードは abc123
//     です"), a finding even when nothing can be verified. Phrasing that says
//     the password travels separately ("パスワードは別途お送りします") is not a
//     statement; it sets Result.Compliant.
//
// Text is normalised before scanning: invisible characters (zero-width
// spaces and joiners, soft hyphens, bidi controls) are dropped, leftover HTML
// entities (&nbsp;) decoded, and the text brought to NFKC, so that
// "ＰＡＳＳ：ａｂｃ１２３" reads "PASS:abc123". Scanning is hand written and
// linear in the size of the text; the result is bounded by
// Config.MaxCandidates.
//
// The package knows nothing about mail formats or archives: the policy adapts
// inspect.Text to Text and tries the candidates with the checkers of
// policy/encryption.
package secret

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Defaults for Config.
const (
	DefaultMaxCandidates = 2000
	DefaultMaxTokenLen   = 64
	DefaultMinTokenLen   = 4
)

// limits on Config.
const (
	maxTokenLenLimit = 1024
	maxLabelRunes    = 64
)

// Config configures a Finder. A zero field takes its default.
type Config struct {
	ExtraLabels   []string // admin-added labels (policy file)
	ExemptPhrases []string // admin-added compliant phrases ("パスワードは別途", …)
	MaxCandidates int      // default 2000; also bounds Statements
	MaxTokenLen   int      // default 64 (runes)
	// MinTokenLen is the shortest unlabelled token kept as a candidate
	// (default 4 runes). A value after a label is kept whatever its length.
	MinTokenLen int
}

// Text is one text of a mail as the recipient sees it.
type Text struct {
	Path    string // part path
	Kind    string // "subject", "plain", "html", "filename"
	Content string // UTF-8
}

// Kinds of Text the Finder treats specially.
const (
	KindSubject  = "subject"
	KindFilename = "filename"
)

// Candidate is a string to try as a password.
type Candidate struct {
	Value string // the candidate as written, after normalisation (NFKC, invisible characters removed)
	// Raw is the candidate as it appeared before NFKC, when different (全角
	// "ａｂｃ１２３" for Value "abc123"): people type full-width passwords by
	// mistake, and the archive may use either form. Try both.
	Raw      string
	Labelled bool   // follows a password label on the same or the next line
	Label    string // the label that introduced it (as written, after NFKC), "" if none
	// Spaced: the value was written one character at a time ("A b 3 d 9")
	// and joined here — a disguise worth trying early.
	Spaced bool
	Kind   string // Text.Kind where first found
	Path   string
}

// Statement is a password label followed by a value-shaped token: the mail
// says the password. It never holds the value; Candidate indexes it in
// Result.Candidates (-1 when the list was full).
type Statement struct {
	Label     string
	Kind      string
	Path      string
	Line      int // 1-based line of the label in the normalised text
	Candidate int
}

// Result is what Find found.
type Result struct {
	// Candidates: labelled values first, then every other token: ASCII
	// tokens (the usual password) before tokens with Japanese text, each
	// group in order of appearance; deduplicated, at most MaxCandidates.
	Candidates []Candidate
	// Statements: label + value-shaped token, excluding compliant "sent
	// separately" phrasing; at most MaxCandidates.
	Statements []Statement
	// Compliant: the text says the password will be sent separately (for
	// the log). A mail can be compliant and still have Statements.
	Compliant bool
	// Truncated: candidates or statements were dropped at MaxCandidates.
	Truncated bool
}

// Finder finds candidates and statements. Build it once per policy with New;
// it is safe for concurrent use.
type Finder struct {
	labels                  labelTable
	exempt                  []string
	maxCand, maxTok, minTok int
}

// New compiles the configuration.
func New(cfg Config) (*Finder, error) {
	f := &Finder{maxCand: cfg.MaxCandidates, maxTok: cfg.MaxTokenLen, minTok: cfg.MinTokenLen}
	if f.maxCand <= 0 {
		f.maxCand = DefaultMaxCandidates
	}
	if f.maxTok <= 0 {
		f.maxTok = DefaultMaxTokenLen
	}
	if f.minTok <= 0 {
		f.minTok = DefaultMinTokenLen
	}
	if f.maxTok > maxTokenLenLimit {
		return nil, fmt.Errorf("secret: MaxTokenLen %d is over %d", f.maxTok, maxTokenLenLimit)
	}
	if f.minTok > f.maxTok {
		return nil, fmt.Errorf("secret: MinTokenLen %d is over MaxTokenLen %d", f.minTok, f.maxTok)
	}
	for _, s := range builtinLabels {
		f.labels.add(newLabel(normalizeLabel(s), false))
	}
	for _, s := range ambiguousLabels {
		f.labels.add(newLabel(normalizeLabel(s), true))
	}
	var errs []error
	for _, s := range cfg.ExtraLabels {
		t := normalizeLabel(s)
		n := utf8.RuneCountInString(t)
		if t == "" || n > maxLabelRunes {
			errs = append(errs, fmt.Errorf("secret: label %q: must have 1 to %d characters", s, maxLabelRunes))
			continue
		}
		// One or two characters (鍵, PIN...) are likely part of other words.
		ascii := true
		for _, r := range t {
			ascii = ascii && r < utf8.RuneSelf
		}
		f.labels.add(newLabel(t, n <= 2 || ascii && n <= 3))
	}
	for _, s := range cfg.ExemptPhrases {
		t := normalizeLabel(s)
		if t == "" {
			errs = append(errs, fmt.Errorf("secret: exempt phrase %q is empty", s))
			continue
		}
		f.exempt = append(f.exempt, t)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f, nil
}

// Find scans the texts. Its work is linear in their total size.
func (f *Finder) Find(texts []Text) Result {
	preps := make([]Prepared, len(texts))
	for k, t := range texts {
		preps[k] = Prepare(t)
	}
	return f.FindPrepared(preps)
}

// Prepared is a Text normalised for Find, made by Prepare: cleaned of what
// a reader never sees and brought to NFKC. Prepare a text once when other
// scanners need its normalised form too (NFKC), and give it to
// FindPrepared. It is read-only, safe for concurrent use.
type Prepared struct {
	Text
	p *prepared
}

// Prepare normalises t for FindPrepared.
func Prepare(t Text) Prepared {
	return Prepared{Text: t, p: prepare(t.Content)}
}

// NFKC returns norm.NFKC.String(t.Content) for the prepared text t. It is
// the normalised text Find scans when cleaning changed nothing (no
// invisible characters, entities, CR or invalid UTF-8: most text), and is
// computed on its own otherwise.
func (t Prepared) NFKC() string {
	if t.p.raw == t.Content {
		return t.p.norm
	}
	return norm.NFKC.String(t.Content)
}

// FindPrepared is Find on prepared texts.
func (f *Finder) FindPrepared(texts []Prepared) Result { return f.find(texts, true) }

// find is FindPrepared; without spaced it leaves out the values spelled out
// one character at a time (spaced.go), which is Find as it was before that
// pass (its reference in ref_test.go).
func (f *Finder) find(texts []Prepared, spacedPass bool) Result {
	size := 0
	for _, t := range texts {
		size += len(t.Content)
	}
	// About one new token in 64 bytes of text, at most MaxCandidates.
	s := &scan{f: f, seen: make(map[string]loc, min(size/64, f.maxCand)), stmts: map[Statement]bool{}}
	// Lines with spaced-out values, rewritten with the values joined, are
	// scanned after the texts they come from.
	var spaced []Prepared
	spacedValues := map[string]bool{}
	for _, t := range texts {
		if !spacedPass {
			break
		}
		if st, joined, ok := spacedText(t.p, t.Text); ok {
			spaced = append(spaced, Prepare(st))
			for _, j := range joined {
				spacedValues[j] = true
			}
		}
	}
	for _, t := range texts {
		s.labelled(t.p, t.Text)
	}
	for _, t := range spaced {
		s.labelled(t.p, t.Text)
	}
	// The joined values' tokens first, so that a full list keeps them.
	for _, t := range append(spaced, texts...) {
		if !s.tokens(t.p, t.Text) {
			break
		}
	}
	r := s.result()
	if len(spacedValues) > 0 {
		for i := range r.Candidates {
			if spacedValues[r.Candidates[i].Value] {
				r.Candidates[i].Spaced = true
			}
		}
	}
	return r
}

// Mask hides a password for logs: at most the first two characters (runes)
// followed by "****", and fewer for short passwords, so that the whole is
// never shown: "abc123" → "ab****", "abc" → "a****", "ab" → "****".
func Mask(pw string) string {
	n := utf8.RuneCountInString(pw)
	show := 0
	switch {
	case n >= 6:
		show = 2
	case n >= 3:
		show = 1
	}
	var b strings.Builder
	for _, r := range pw {
		if show == 0 {
			break
		}
		b.WriteRune(r)
		show--
	}
	b.WriteString("****")
	return b.String()
}

// Tokens returns the tokens of text as Find makes them: the text is
// normalised (NFKC, invisible characters removed) and split on spaces,
// Japanese punctuation and the change between Japanese text and ASCII;
// tokens of 1 to DefaultMaxTokenLen runes, deduplicated, in order.
func Tokens(text string) []string {
	p := prepare(text)
	seen := map[string]bool{}
	var out []string
	p.eachToken(Text{}, func(a, b int) bool {
		v := p.norm[a:b]
		if len(v) > 4*DefaultMaxTokenLen || utf8.RuneCountInString(v) > DefaultMaxTokenLen || seen[v] {
			return true
		}
		seen[v] = true
		out = append(out, v)
		return true
	})
	return out
}

// tiers of candidates.
const (
	tierLabelled = iota
	tierASCII
	tierOther
)

type loc struct{ tier, idx int }

// scan is the state of one Find.
type scan struct {
	f         *Finder
	seen      map[string]loc
	lists     [3][]Candidate
	stmts     map[Statement]bool
	res       Result
	compliant int // label occurrences checked for compliant phrasing
}

// maxComplianceChecks bounds the work on texts full of labels; further
// occurrences are treated as not compliant (which can only add statements).
const maxComplianceChecks = 256

// add records a candidate. It returns its index in Result.Candidates for a
// labelled candidate (the labelled ones come first), else -1.
func (s *scan) add(tier int, c Candidate) int {
	key := c.Value
	if l, ok := s.seen[key]; ok {
		e := &s.lists[l.tier][l.idx]
		switch {
		case c.Raw == "" || e.Raw == c.Raw:
		case e.Raw == "":
			e.Raw = c.Raw
		default:
			// A third form: keep it as its own candidate.
			key = c.Value + "\x00" + c.Raw
			if l2, ok := s.seen[key]; ok {
				l = l2
			} else {
				return s.push(tier, key, c)
			}
		}
		if l.tier == tierLabelled {
			return l.idx
		}
		return -1
	}
	return s.push(tier, key, c)
}

func (s *scan) push(tier int, key string, c Candidate) int {
	room := s.f.maxCand - len(s.lists[tierLabelled])
	if tier == tierASCII {
		room -= len(s.lists[tierASCII])
	} else if tier == tierOther {
		room -= len(s.lists[tierOther])
	}
	if room <= 0 {
		s.res.Truncated = true
		return -1
	}
	s.seen[key] = loc{tier, len(s.lists[tier])}
	s.lists[tier] = append(s.lists[tier], c)
	if tier == tierLabelled {
		return len(s.lists[tier]) - 1
	}
	return -1
}

// tierFull reports whether no further candidate of the tier can be kept.
func (s *scan) tierFull(tier int) bool {
	return len(s.lists[tierLabelled])+len(s.lists[tier]) >= s.f.maxCand
}

// full reports whether no further token can be kept.
func (s *scan) full() bool {
	return len(s.lists[tierLabelled])+len(s.lists[tierASCII]) >= s.f.maxCand
}

func (s *scan) statement(st Statement) {
	if s.stmts[st] {
		return
	}
	if len(s.res.Statements) >= s.f.maxCand {
		s.res.Truncated = true
		return
	}
	s.stmts[st] = true
	s.res.Statements = append(s.res.Statements, st)
}

func (s *scan) result() Result {
	r := s.res
	lab, asc, oth := s.lists[0], s.lists[1], s.lists[2]
	if room := s.f.maxCand - len(lab) - len(asc); len(oth) > room {
		oth = oth[:max(room, 0)]
		r.Truncated = true
	}
	r.Candidates = make([]Candidate, 0, len(lab)+len(asc)+len(oth))
	r.Candidates = append(r.Candidates, lab...)
	r.Candidates = append(r.Candidates, asc...)
	r.Candidates = append(r.Candidates, oth...)
	return r
}

// span is a byte range of a prepared text.
type span struct{ a, b int }

// exemptSpans finds the admin's compliant phrases in p, merged and sorted.
// A space in a phrase matches any run of spaces.
func (f *Finder) exemptSpans(p *prepared) []span {
	var spans []span
	for _, e := range f.exempt {
		head, _, _ := strings.Cut(e, " ")
		for i := 0; i < len(p.lower); {
			k := strings.Index(p.lower[i:], head)
			if k < 0 {
				break
			}
			a := i + k
			i = a + len(head)
			// Spaces in a phrase match spaces and tabs, never a line feed.
			if b, ok := matchText(p.lower, a, len(p.lower), e); ok {
				spans = append(spans, span{a, b})
				i = b
			}
		}
	}
	if len(spans) < 2 {
		return spans
	}
	sort.Slice(spans, func(x, y int) bool { return spans[x].a < spans[y].a })
	out := spans[:1]
	for _, sp := range spans[1:] {
		if last := &out[len(out)-1]; sp.a <= last.b {
			last.b = max(last.b, sp.b)
		} else {
			out = append(out, sp)
		}
	}
	return out
}

func inSpans(spans []span, i int) bool {
	k := sort.Search(len(spans), func(x int) bool { return spans[x].b > i })
	return k < len(spans) && spans[k].a <= i
}
