// Package explain turns a policy finding into the words its sender reads:
// what was found, which rule of the contract it breaks, and how to send the
// mail correctly — in Japanese and in English — and the English one-line
// form that goes into the SMTP reply.
//
// The texts are Go text/template templates, one per rule, language and part.
// The shipped defaults are embedded (templates/*.tmpl); an administrator may
// override any of them in the policy file. Parts:
//
//	summary  what was found, one line ("添付ファイル「meibo.xlsx」が暗号化されていません。")
//	rule     the article of the contract it breaks, one line
//	remedy   numbered steps, one per line ("1. …")
//	reply    English only: the remedy as one short clause for the SMTP reply
//
// Template data is an Input: .Rule, .Variant, .Action, .Evidence, .Ref and
// .Detail (a map; a missing key is ""). What the policy puts in them:
//
//	rule                          Evidence          Variant                                       Detail
//	attachment-unencrypted        file name         "", archive-entries, plain-container, zipcrypto  Part, Format, Entries, More, Method
//	attachment-unscannable        file name         "", message                                   Part, Reason
//	password-in-body              file name         proof, pattern                                Part, Where, Label, Masked
//	recipient-domain-unverified   domain            ""                                            -
//	recipient-domain-lookalike    domain            ""                                            Resembles, Kind
//	recipient-domain-anonymous    domain            ""                                            Service
//	recipient-domain-unresolvable domain            ""                                            Reason (DNS answer)
//	recipients-exposed            short account     ""                                            Count, Threshold
//	link-file-sharing             link host         ""                                            Service
//	link-online-service           host or domain    "", mail-in                                   Service
//	personal-data-in-body         kind or pattern   my-number, card, people-list, pattern         Kind, Count, Masked, Where, Name
//
// Each file in templates/ describes its keys at the top. Articles are
// shared templates: {{template "article.6-2.ja"}}.
//
// Output is normalised: in summary, rule and reply the lines of the rendered
// text are trimmed and joined (with a space only between two ASCII
// characters, so Japanese text can be wrapped freely); in remedy a line
// starting with "1.", "2)", "・" or "-" starts a step and any other line
// continues the step before it. Values are cleaned before rendering: control
// and bidirectional-formatting characters become U+FFFD, long values are
// cut, and Detail keys containing "password" are dropped — templates never
// see a clear password, only Detail.Masked.
//
// This package does not import the policy package (which may import it):
// rule ids are repeated here as strings.
package explain

import (
	"embed"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Languages.
const (
	Japanese = "ja"
	English  = "en"
)

// Parts of an explanation.
const (
	PartSummary = "summary"
	PartRule    = "rule"
	PartRemedy  = "remedy"
	// PartReply exists in English only: the remedy as one short clause for
	// the SMTP reply line.
	PartReply = "reply"
)

// Variants select a wording within a rule (Input.Variant).
const (
	// attachment-unencrypted
	VariantArchiveEntries = "archive-entries" // an archive holding files without a password
	VariantPlainContainer = "plain-container" // an unencrypted archive of encrypted files
	VariantZipCrypto      = "zipcrypto"       // protected with the legacy ZipCrypto method
	// attachment-unscannable
	VariantMessage = "message" // the message structure, not one attachment
	// password-in-body
	VariantProof   = "proof"   // the password in the mail opens the attachment
	VariantPattern = "pattern" // the mail states a password
	// link-online-service
	VariantMailIn = "mail-in" // a recipient is an online service's mail-in address
)

// generic is the template set used for a rule id the catalog does not know.
const generic = "generic"

// rules lists the rule ids with shipped texts, and the variants of each
// ("" is the default wording).
var rules = []struct {
	id       string
	variants []string
}{
	{"attachment-unencrypted", []string{"", VariantArchiveEntries, VariantPlainContainer, VariantZipCrypto}},
	{"attachment-unscannable", []string{"", VariantMessage}},
	{"password-in-body", []string{VariantProof, VariantPattern}},
	{"recipient-domain-unverified", []string{""}},
	{"recipient-domain-lookalike", []string{""}},
	{"recipient-domain-anonymous", []string{""}},
	{"recipient-domain-unresolvable", []string{""}},
	{"recipients-exposed", []string{""}},
	{"link-file-sharing", []string{""}},
	{"link-online-service", []string{"", VariantMailIn}},
	{"personal-data-in-body", []string{"my-number", "card", "people-list", "pattern"}},
}

// Rules returns the rule ids the catalog has texts for, in a stable order.
func Rules() []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.id
	}
	return out
}

// Variants returns the wordings a rule has ("" is the default); nil for an
// unknown rule.
func Variants(rule string) []string {
	for _, r := range rules {
		if r.id == rule {
			return append([]string(nil), r.variants...)
		}
	}
	return nil
}

func knownRule(rule string) bool { return Variants(rule) != nil }

// Input is one finding as the templates see it.
type Input struct {
	// Rule is the rule id ("attachment-unencrypted").
	Rule string
	// Variant selects a wording within the rule (Variant* constants).
	Variant string
	// Action is "reject" (the message was stopped; also ""), "flag" (it
	// was sent with a flag), "hold" (it waits for its sender to confirm it)
	// or "approve" (it waits for an approver); some remedies differ. A held
	// message has not been sent: the shipped templates word hold and
	// approve as reject (fix it and send it again), and the held notice
	// and page say who must act.
	Action string
	// Evidence names what was found: a file name, a domain, a count. Never
	// a password.
	Evidence string
	// Detail holds named values for the templates (Part, Entries, More,
	// Method, Reason, Resembles, Kind, Service, Masked, Count, Threshold).
	Detail map[string]string
	// Ref ties the text to the audit line.
	Ref string
}

// Text is a finding explained in one language.
type Text struct {
	Summary string `json:"summary"`
	Rule    string `json:"rule"`
	Remedy  string `json:"remedy"`
}

// Steps returns the remedy's steps, one per line.
func (t Text) Steps() []string {
	if t.Remedy == "" {
		return nil
	}
	return strings.Split(t.Remedy, "\n")
}

// TemplateError is a problem with one template, named the way the policy
// file names it: explain.templates."<rule>".<lang>.<part>.
type TemplateError struct {
	Rule, Lang, Part string
	// Variant and Action are the sample the template failed on (Validate).
	Variant, Action string
	// Override reports that the template is an administrator's override.
	Override bool
	Err      error
}

// Key is the template's key in the policy file.
func (e *TemplateError) Key() string {
	return fmt.Sprintf("explain.templates.%q.%s.%s", e.Rule, e.Lang, e.Part)
}

func (e *TemplateError) Error() string {
	var b strings.Builder
	b.WriteString(e.Key())
	if e.Variant != "" || e.Action != "" {
		b.WriteString(" (with")
		if e.Variant != "" {
			fmt.Fprintf(&b, " variant %q", e.Variant)
		}
		if e.Action != "" {
			fmt.Fprintf(&b, " action %q", e.Action)
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *TemplateError) Unwrap() error { return e.Err }

// maxOverrideBytes bounds an override's text.
const maxOverrideBytes = 16 << 10

// Catalog holds the templates: the shipped defaults and any overrides. Build
// it with Default and Override before use; after that it is read-only and
// safe for concurrent use.
type Catalog struct {
	set *template.Template
	// shared reports that set is the package's parsed defaults, to be
	// cloned before the first override changes it.
	shared    bool
	overrides map[key]bool
}

type key struct{ rule, lang, part string }

func (k key) name() string         { return k.rule + "." + k.lang + "." + k.part }
func (k key) overrideName() string { return "override:" + k.name() }

var defaults = sync.OnceValues(func() (*template.Template, error) {
	t := template.New("sendguard-explain").Option("missingkey=zero")
	return t.ParseFS(templateFS, "templates/*.tmpl")
})

// Default returns a catalog with the shipped texts.
func Default() *Catalog {
	set, err := defaults()
	if err != nil {
		// The embedded files are fixed at build time; the tests parse them.
		panic(fmt.Sprintf("explain: shipped templates do not parse: %v", err))
	}
	return &Catalog{set: set, shared: true, overrides: map[key]bool{}}
}

// parts returns the parts a language has.
func parts(lang string) []string {
	if lang == English {
		return []string{PartSummary, PartRule, PartRemedy, PartReply}
	}
	return []string{PartSummary, PartRule, PartRemedy}
}

func checkKey(rule, lang, part string) error {
	if !knownRule(rule) {
		return fmt.Errorf("unknown rule %q (one of %s)", rule, strings.Join(Rules(), ", "))
	}
	if lang != Japanese && lang != English {
		return fmt.Errorf("unknown language %q (ja or en)", lang)
	}
	for _, p := range parts(lang) {
		if p == part {
			return nil
		}
	}
	if part == PartReply {
		return fmt.Errorf("part %q exists in English (en) only: the SMTP reply is ASCII", part)
	}
	return fmt.Errorf("unknown part %q (summary, rule, remedy; reply in en)", part)
}

// Override replaces the template for one rule, language and part with text
// (Go text/template; the data is an Input). The text is parsed here; Validate
// renders it. It may use the shared article templates but not define
// templates of its own. Call it before the catalog is used.
//
// In the policy file:
//
//	[explain.templates."attachment-unencrypted".ja]
//	summary = "添付ファイル「{{.Evidence}}」は暗号化が必要です。"
func (c *Catalog) Override(rule, lang, part, text string) error {
	k := key{rule, lang, part}
	if err := checkKey(rule, lang, part); err != nil {
		return &TemplateError{Rule: rule, Lang: lang, Part: part, Override: true, Err: err}
	}
	fail := func(format string, args ...any) error {
		return &TemplateError{Rule: rule, Lang: lang, Part: part, Override: true, Err: fmt.Errorf(format, args...)}
	}
	if strings.TrimSpace(text) == "" {
		return fail("empty text")
	}
	if len(text) > maxOverrideBytes {
		return fail("text is %d bytes, more than %d", len(text), maxOverrideBytes)
	}
	t, err := template.New(k.overrideName()).Option("missingkey=zero").Parse(text)
	if err != nil {
		return fail("%v", err)
	}
	if len(t.Templates()) > 1 {
		return fail("an override may not define templates ({{define}} or {{block}})")
	}
	if t.Tree == nil || t.Tree.Root == nil || len(t.Tree.Root.Nodes) == 0 {
		return fail("empty template")
	}
	if err := checkTemplateRefs(t.Tree.Root, c.set); err != nil {
		return fail("%v", err)
	}
	if c.shared {
		set, err := c.set.Clone()
		if err != nil {
			return fail("%v", err)
		}
		c.set, c.shared = set, false
	}
	if _, err := c.set.AddParseTree(k.overrideName(), t.Tree); err != nil {
		return fail("%v", err)
	}
	c.overrides[k] = true
	return nil
}

// checkTemplateRefs reports a {{template "name"}} whose name is not an
// article or another shipped template.
func checkTemplateRefs(n parse.Node, set *template.Template) error {
	var err error
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		if n == nil || err != nil {
			return
		}
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.TemplateNode:
			if set.Lookup(n.Name) == nil || strings.HasPrefix(n.Name, "override:") {
				err = fmt.Errorf("no template named %q (articles: article.2, article.6-1, article.6-2, article.6-3, article.7, article.sp3-1, article.sp9-3, each .ja or .en)", n.Name)
			}
		case *parse.IfNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.List)
			walk(n.ElseList)
		}
	}
	walk(n)
	return err
}

// Overrides is the [explain.templates] table of the policy file: rule id →
// language → part → template text.
type Overrides map[string]map[string]map[string]string

// Apply calls Override for every entry, in a stable order, and returns every
// error.
func (c *Catalog) Apply(o Overrides) []error {
	var errs []error
	for _, rule := range sortedKeys(o) {
		for _, lang := range sortedKeys(o[rule]) {
			for _, part := range sortedKeys(o[rule][lang]) {
				if err := c.Override(rule, lang, part, o[rule][lang][part]); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errs
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Validate renders every template — every rule, language, part, variant and
// action, with sample data — and returns a *TemplateError for each that
// fails, renders empty, or (the English reply) renders non-ASCII text from
// ASCII data. This is what `policy lint` runs.
func (c *Catalog) Validate() []error {
	var errs []error
	for _, r := range rules {
		for _, lang := range []string{Japanese, English} {
			for _, part := range parts(lang) {
				k := key{r.id, lang, part}
				name := k.name()
				if c.overrides[k] {
					name = k.overrideName()
				}
				if err := c.validateOne(k, name, r.variants); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errs
}

// actions are the Input.Action values Validate renders every template with.
var actions = []string{"reject", "flag", "hold", "approve"}

func (c *Catalog) validateOne(k key, name string, variants []string) error {
	for _, variant := range variants {
		for _, action := range actions {
			for _, in := range samples(k.rule, variant, action) {
				fail := func(err error) error {
					return &TemplateError{Rule: k.rule, Lang: k.lang, Part: k.part,
						Variant: variant, Action: action, Override: c.overrides[k], Err: err}
				}
				data := prepare(in, k.lang == English && k.part == PartReply)
				s, err := c.execName(name, data)
				if err != nil {
					return fail(err)
				}
				s = normalise(k.part, s)
				if s == "" {
					return fail(errors.New("renders empty text"))
				}
				if k.part == PartReply && !isASCII(s) {
					return fail(fmt.Errorf("the reply must be ASCII (it goes into the SMTP reply), got %q", s))
				}
			}
		}
	}
	return nil
}

func (c *Catalog) execName(name string, data Input) (string, error) {
	t := c.set.Lookup(name)
	if t == nil {
		return "", fmt.Errorf("no template %q", name)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// render executes one part: the override if there is one, falling back to
// the shipped default (with an error to log) when it fails or renders empty.
func (c *Catalog) render(k key, data Input) (string, error) {
	var overrideErr error
	if c.overrides[k] {
		s, err := c.execName(k.overrideName(), data)
		if err == nil {
			if s = normalise(k.part, s); s != "" {
				return s, nil
			}
			err = errors.New("renders empty text")
		}
		overrideErr = &TemplateError{Rule: k.rule, Lang: k.lang, Part: k.part, Variant: data.Variant, Override: true,
			Err: fmt.Errorf("%w; the shipped text was used", err)}
	}
	s, err := c.execName(k.name(), data)
	if err == nil {
		if s = normalise(k.part, s); s != "" {
			return s, overrideErr
		}
		err = errors.New("renders empty text")
	}
	// Only reachable with a broken build; the tests render every default.
	return lastResort(k, data), errors.Join(overrideErr,
		&TemplateError{Rule: k.rule, Lang: k.lang, Part: k.part, Variant: data.Variant, Err: err})
}

// lastResort is the text used when no template renders.
func lastResort(k key, data Input) string {
	switch k.part {
	case PartSummary:
		if data.Evidence == "" {
			return data.Rule
		}
		return data.Rule + ": " + data.Evidence
	case PartRule:
		return "受託者向け情報セキュリティ遵守事項 第6"
	case PartReply:
		return "see the explanation mail or ask IT"
	}
	return "1. " + data.Rule
}

// Render explains a finding in one language (ja or en). The Text is always
// usable: an error reports an override that failed and was replaced by the
// shipped text, or an unknown language (English is used) — log it. A rule id
// the catalog does not know gets a generic text, without error.
func (c *Catalog) Render(lang string, in Input) (Text, error) {
	var errs []error
	if lang != Japanese && lang != English {
		errs = append(errs, fmt.Errorf("explain: unknown language %q, English used", lang))
		lang = English
	}
	rule := in.Rule
	if !knownRule(rule) {
		rule = generic
	}
	data := prepare(in, false)
	var t Text
	for _, p := range []struct {
		part string
		dst  *string
	}{{PartSummary, &t.Summary}, {PartRule, &t.Rule}, {PartRemedy, &t.Remedy}} {
		s, err := c.render(key{rule, lang, p.part}, data)
		*p.dst = s
		if err != nil {
			errs = append(errs, err)
		}
	}
	return t, errors.Join(errs...)
}

// MaxReplyLine is the longest line ReplyLine returns, in bytes, including
// " (ref REF)". With "550-5.7.1 " in front and CRLF after it stays well
// inside the 512 bytes of a reply line (rfc/5321 section 4.5.3.1.5).
const MaxReplyLine = 480

// ReplyLine returns the English one-liner for the SMTP reply:
//
//	[rule-id] summary; reply (ref REF)
//
// It is printable ASCII only and at most MaxReplyLine bytes (the text before
// " (ref REF)" is cut and ends in "..." when longer). Non-ASCII in values
// (a Japanese file name) is kept readable: ASCII characters stay, each run of
// other characters becomes one "?", and when the evidence had to change this
// way and Detail["Part"] is set, " (part N)" is appended to it so the sender
// can tell the files apart: "名簿_2026.xlsx" in part 2 reads
// "?_2026.xlsx (part 2)". The full name is in the explanation and the log.
func (c *Catalog) ReplyLine(in Input) string {
	rule := in.Rule
	if !knownRule(rule) {
		rule = generic
	}
	data := prepare(in, true)
	summary, _ := c.render(key{rule, English, PartSummary}, data)
	reply, _ := c.render(key{rule, English, PartReply}, data)
	summary = strings.TrimRight(toASCII(summary), ". ")
	reply = strings.TrimRight(toASCII(reply), ". ")
	text := "[" + toASCII(oneLine(in.Rule)) + "] " + lowerFirst(summary)
	if reply != "" {
		text += "; " + reply
	}
	tail := ""
	if ref := cleanRef(in.Ref); ref != "" {
		tail = " (ref " + ref + ")"
	}
	if len(text)+len(tail) > MaxReplyLine {
		text = strings.TrimRight(text[:MaxReplyLine-len(tail)-3], " ") + "..."
	}
	return text + tail
}

// Both renders a finding in Japanese and English.
func (c *Catalog) Both(in Input) (ja, en Text, err error) {
	ja, errJA := c.Render(Japanese, in)
	en, errEN := c.Render(English, in)
	return ja, en, errors.Join(errJA, errEN)
}

// Article returns the text of a shared article template, e.g. Article("2",
// "ja") for 受託者向け情報セキュリティ遵守事項 第2 (reporting incidents within
// 60 minutes). Names: 2, 6-1, 6-2, 6-3, 7 (遵守事項) and sp3-1, sp9-3
// (情報セキュリティに関する特記事項).
func (c *Catalog) Article(name, lang string) (string, error) {
	s, err := c.execName("article."+name+"."+lang, Input{})
	if err != nil {
		return "", fmt.Errorf("explain: article %q (%s): %w", name, lang, err)
	}
	return oneLine(s), nil
}
