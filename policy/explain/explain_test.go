package explain_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sendguard/sendguard/policy/explain"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCase is one finding as the policy would make it.
type goldenCase struct {
	in explain.Input
}

func (g goldenCase) name() string {
	n := g.in.Rule
	if g.in.Variant != "" {
		n += "." + g.in.Variant
	}
	if g.in.Action == "flag" {
		n += ".flag"
	}
	return n
}

const ref = "k3v9q2x7m4pa"

// goldenCases covers every rule and variant, with Japanese file names where
// the reply line must fall back to ASCII, and the flag wording of the rules
// whose remedy differs when the message was sent.
var goldenCases = []goldenCase{
	{explain.Input{Rule: "attachment-unencrypted", Evidence: "顧客名簿.xlsx",
		Detail: map[string]string{"Part": "2", "Format": "ooxml"}}},
	{explain.Input{Rule: "attachment-unencrypted", Variant: explain.VariantArchiveEntries, Evidence: "plain.zip",
		Detail: map[string]string{"Part": "2", "Entries": "meibo.csv, 住所録.xlsx, c.txt", "More": "4"}}},
	{explain.Input{Rule: "attachment-unencrypted", Variant: explain.VariantPlainContainer, Evidence: "まとめ.zip",
		Detail: map[string]string{"Part": "3"}}},
	{explain.Input{Rule: "attachment-unencrypted", Variant: explain.VariantZipCrypto, Evidence: "meibo.zip",
		Detail: map[string]string{"Part": "2", "Method": "ZipCrypto"}}},
	{explain.Input{Rule: "attachment-unscannable", Evidence: "deep.zip",
		Detail: map[string]string{"Part": "2", "Reason": "archive nesting over the limit (3)"}}},
	{explain.Input{Rule: "attachment-unscannable", Variant: explain.VariantMessage, Evidence: "message",
		Detail: map[string]string{"Reason": "multipart: missing final boundary"}}},
	{explain.Input{Rule: "password-in-body", Variant: explain.VariantProof, Evidence: "見積書.zip",
		Detail: map[string]string{"Part": "2", "Masked": "S3****", "Where": "plain"}}},
	{explain.Input{Rule: "password-in-body", Variant: explain.VariantPattern,
		Detail: map[string]string{"Masked": "pa****", "Where": "subject", "Label": "パスワード"}}},
	{explain.Input{Rule: "recipient-domain-unverified", Evidence: "newclient.example.org"}},
	{explain.Input{Rule: "recipient-domain-unverified", Action: "flag", Evidence: "newclient.example.org"}},
	{explain.Input{Rule: "recipient-domain-lookalike", Evidence: "partner-exmaple.com",
		Detail: map[string]string{"Resembles": "partner.example.com", "Kind": "swapped letters"}}},
	{explain.Input{Rule: "recipient-domain-lookalike", Action: "flag", Evidence: "xn--exmple-cua.co.jp",
		Detail: map[string]string{"Resembles": "example.co.jp", "Kind": "IDN homoglyph"}}},
	{explain.Input{Rule: "recipient-domain-anonymous", Evidence: "guerrillamail.com",
		Detail: map[string]string{"Service": "Guerrilla Mail"}}},
	{explain.Input{Rule: "recipient-domain-anonymous", Action: "flag", Evidence: "sharklasers.com"}},
	{explain.Input{Rule: "recipient-domain-unresolvable", Evidence: "partner.example.cmo",
		Detail: map[string]string{"Reason": "NXDOMAIN"}}},
	{explain.Input{Rule: "recipients-exposed", Evidence: "12 external addresses in To/Cc",
		Detail: map[string]string{"Count": "12", "Threshold": "5"}}},
	{explain.Input{Rule: "link-file-sharing", Evidence: "gigafile.nu",
		Detail: map[string]string{"Service": "ギガファイル便"}}},
	{explain.Input{Rule: "link-file-sharing", Action: "flag", Evidence: "transfer.example.net"}},
	{explain.Input{Rule: "link-online-service", Evidence: "docs.google.com",
		Detail: map[string]string{"Service": "Google Docs"}}},
	{explain.Input{Rule: "link-online-service", Variant: explain.VariantMailIn, Evidence: "m.evernote.com",
		Detail: map[string]string{"Service": "Evernote"}}},
	{explain.Input{Rule: "personal-data-in-body", Variant: "my-number", Evidence: "マイナンバー",
		Detail: map[string]string{"Kind": "my-number", "Count": "3", "Masked": "1234****18, 9876****93, 2345****21", "Where": "plain"}}},
	{explain.Input{Rule: "personal-data-in-body", Variant: "card", Action: "flag", Evidence: "クレジットカード番号",
		Detail: map[string]string{"Kind": "card", "Count": "1", "Masked": "4111****11", "Where": "html"}}},
	{explain.Input{Rule: "personal-data-in-body", Variant: "people-list", Evidence: "個人の連絡先一覧",
		Detail: map[string]string{"Kind": "people-list", "Count": "6", "Masked": "0901****78, 0802****89, 0703****90", "Where": "attachment"}}},
	{explain.Input{Rule: "personal-data-in-body", Variant: "pattern", Evidence: "会員番号",
		Detail: map[string]string{"Kind": "pattern", "Name": "会員番号", "Count": "4", "Masked": "M123****78", "Where": "subject"}}},
	{explain.Input{Rule: "no-such-rule-yet", Evidence: "something"}},
}

func renderGolden(t *testing.T, c *explain.Catalog, in explain.Input) string {
	t.Helper()
	in.Ref = ref
	ja, en, err := c.Both(in)
	if err != nil {
		t.Fatalf("render %s: %v", in.Rule, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "== input\nrule: %s\nvariant: %s\naction: %s\nevidence: %s\n", in.Rule, in.Variant, in.Action, in.Evidence)
	keys := make([]string, 0, len(in.Detail))
	for k := range in.Detail {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "detail.%s: %s\n", k, in.Detail[k])
	}
	for _, p := range []struct {
		name string
		text explain.Text
	}{{"ja", ja}, {"en", en}} {
		fmt.Fprintf(&b, "== %s.summary\n%s\n== %s.rule\n%s\n== %s.remedy\n%s\n",
			p.name, p.text.Summary, p.name, p.text.Rule, p.name, p.text.Remedy)
	}
	fmt.Fprintf(&b, "== reply\n%s\n", c.ReplyLine(in))
	return b.String()
}

// TestGolden renders every rule and variant in Japanese and English and the
// SMTP reply line, and compares them with testdata/golden (go test -update
// rewrites them).
func TestGolden(t *testing.T) {
	c := explain.Default()
	seen := map[string]bool{}
	for _, g := range goldenCases {
		t.Run(g.name(), func(t *testing.T) {
			seen[g.in.Rule+"/"+g.in.Variant] = true
			got := renderGolden(t, c, g.in)
			path := filepath.Join("testdata", "golden", g.name()+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the rendering (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	}
	for _, rule := range explain.Rules() {
		for _, v := range explain.Variants(rule) {
			if !seen[rule+"/"+v] {
				t.Errorf("no golden case for rule %s variant %q", rule, v)
			}
		}
	}
}

// TestTextShape checks what every sender-facing text must be: Japanese in
// the Japanese text, the rule cited by its article number in both
// languages, numbered steps, evidence named, no control characters.
func TestTextShape(t *testing.T) {
	c := explain.Default()
	articles := map[string]string{
		"attachment-unencrypted":        "第6-2",
		"attachment-unscannable":        "第6-2",
		"password-in-body":              "第6-2",
		"recipient-domain-unverified":   "第6-1",
		"recipient-domain-lookalike":    "第6-1",
		"recipient-domain-anonymous":    "第6-3",
		"recipient-domain-unresolvable": "第6-1",
		"recipients-exposed":            "第6-1",
		"link-file-sharing":             "第6-3",
		"link-online-service":           "第7",
		"personal-data-in-body":         "第6-2",
	}
	if len(articles) != len(explain.Rules()) {
		t.Fatalf("articles table covers %d rules, catalog %d", len(articles), len(explain.Rules()))
	}
	for _, g := range goldenCases {
		if _, known := articles[g.in.Rule]; !known {
			continue
		}
		ja, en, err := c.Both(g.in)
		if err != nil {
			t.Fatal(err)
		}
		art := articles[g.in.Rule]
		if !strings.Contains(ja.Rule, "受託者向け情報セキュリティ遵守事項 "+art) {
			t.Errorf("%s: ja rule %q does not cite 遵守事項 %s", g.name(), ja.Rule, art)
		}
		enArt := "rule " + strings.TrimPrefix(art, "第")
		if !strings.Contains(en.Rule, enArt) {
			t.Errorf("%s: en rule %q does not cite %s", g.name(), en.Rule, enArt)
		}
		if !hasJapanese(ja.Summary) || !hasJapanese(ja.Remedy) {
			t.Errorf("%s: Japanese text without Japanese: %q / %q", g.name(), ja.Summary, ja.Remedy)
		}
		if hasJapanese(strings.ReplaceAll(en.Remedy, g.in.Evidence, "")) {
			t.Errorf("%s: English remedy holds Japanese: %q", g.name(), en.Remedy)
		}
		if g.in.Evidence != "" && g.in.Rule != "recipients-exposed" && g.in.Variant != explain.VariantMessage && (!strings.Contains(ja.Summary, g.in.Evidence) || !strings.Contains(en.Summary, g.in.Evidence)) {
			t.Errorf("%s: evidence %q not named in %q / %q", g.name(), g.in.Evidence, ja.Summary, en.Summary)
		}
		for _, text := range []explain.Text{ja, en} {
			if strings.Contains(text.Summary, "\n") || strings.Contains(text.Rule, "\n") {
				t.Errorf("%s: summary or rule spans lines: %q %q", g.name(), text.Summary, text.Rule)
			}
			for i, step := range text.Steps() {
				if !strings.HasPrefix(step, fmt.Sprintf("%d. ", i+1)) {
					t.Errorf("%s: step %d is not numbered %d: %q", g.name(), i+1, i+1, step)
				}
			}
			if strings.Contains(text.Summary+text.Rule+text.Remedy, "<no value>") {
				t.Errorf("%s: a missing value was printed: %+v", g.name(), text)
			}
		}
	}
}

func hasJapanese(s string) bool {
	for _, r := range s {
		if r >= 0x3040 && r <= 0x9fff || r >= 0xff00 && r <= 0xffef {
			return true
		}
	}
	return false
}

// TestNoClearPassword: a Detail key holding a clear password never reaches
// a text, while the masked form does.
func TestNoClearPassword(t *testing.T) {
	c := explain.Default()
	if err := c.Override("password-in-body", "en", "summary", `Found {{.Detail.Password}}{{.Detail.password}}{{.Detail.ClearPassword}} masked {{.Detail.Masked}}`); err != nil {
		t.Fatal(err)
	}
	in := explain.Input{Rule: "password-in-body", Variant: explain.VariantProof, Evidence: "a.zip",
		Detail: map[string]string{"Masked": "hu****", "Password": "hunter22", "password": "hunter22", "ClearPassword": "hunter22"}}
	ja, en, err := c.Both(in)
	if err != nil {
		t.Fatal(err)
	}
	all := ja.Summary + ja.Remedy + en.Summary + en.Remedy + c.ReplyLine(in)
	if strings.Contains(all, "hunter22") {
		t.Errorf("clear password in the text: %s", all)
	}
	if !strings.Contains(en.Summary, "hu****") || !strings.Contains(ja.Summary, "hu****") {
		t.Errorf("masked password missing: %q / %q", en.Summary, ja.Summary)
	}
}

// TestReplyLineASCII: Japanese names fall back to ASCII with the part number;
// the line keeps the rule id, and the reference at the end.
func TestReplyLineASCII(t *testing.T) {
	c := explain.Default()
	tests := []struct {
		in   explain.Input
		want []string
	}{
		{explain.Input{Rule: "attachment-unencrypted", Evidence: "顧客名簿_2026.xlsx", Ref: ref, Detail: map[string]string{"Part": "2"}},
			[]string{`[attachment-unencrypted] attachment "?_2026.xlsx (part 2)" is not encrypted; zip the file with a password`, "(ref " + ref + ")"}},
		{explain.Input{Rule: "attachment-unencrypted", Evidence: "名簿", Ref: ref, Detail: map[string]string{"Part": "1.2"}},
			[]string{`attachment "? (part 1.2)"`}},
		{explain.Input{Rule: "attachment-unencrypted", Evidence: "meibo.zip", Ref: ref, Detail: map[string]string{"Part": "2"}},
			[]string{`attachment "meibo.zip" is not encrypted`}},
		{explain.Input{Rule: "attachment-unencrypted", Evidence: "a\r\nX-Injected: yes", Ref: ref},
			[]string{`attachment "a?X-Injected: yes"`}},
	}
	for _, tt := range tests {
		got := c.ReplyLine(tt.in)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("ReplyLine(%q) = %q, want it to contain %q", tt.in.Evidence, got, w)
			}
		}
		if !strings.HasSuffix(got, " (ref "+ref+")") {
			t.Errorf("ReplyLine(%q) = %q: reference not at the end", tt.in.Evidence, got)
		}
		checkReplyLine(t, got, tt.in)
	}
}

func checkReplyLine(t *testing.T, got string, in explain.Input) {
	t.Helper()
	if len(got) > explain.MaxReplyLine {
		t.Errorf("reply line is %d bytes, more than %d: %q", len(got), explain.MaxReplyLine, got)
	}
	for i := 0; i < len(got); i++ {
		if got[i] < 0x20 || got[i] >= 0x7f {
			t.Fatalf("reply line has byte %#x at %d: %q", got[i], i, got)
		}
	}
	if !strings.HasPrefix(got, "[") {
		t.Errorf("reply line does not start with the rule id: %q", got)
	}
}

// TestReplyLineLong: long values keep the line within bounds with the
// reference at the end; a text too long is cut before the reference.
func TestReplyLineLong(t *testing.T) {
	c := explain.Default()
	for _, rule := range explain.Rules() {
		for _, v := range explain.Variants(rule) {
			in := explain.Input{Rule: rule, Variant: v, Ref: ref,
				Evidence: strings.Repeat("very-long-name-", 100) + ".zip",
				Detail: map[string]string{"Part": "2", "Entries": strings.Repeat("x.csv, ", 100), "Resembles": strings.Repeat("a", 300),
					"Service": strings.Repeat("S", 300), "Reason": strings.Repeat("r", 300), "Masked": "ab****"}}
			got := c.ReplyLine(in)
			checkReplyLine(t, got, in)
			if !strings.HasSuffix(got, " (ref "+ref+")") {
				t.Errorf("%s/%s: reference not at the end: %q", rule, v, got)
			}
			if strings.Contains(got, "(part 2)") {
				t.Errorf("%s/%s: part number added to an ASCII name that was only cut: %q", rule, v, got)
			}
		}
	}
	if err := c.Override("attachment-unencrypted", "en", "reply", strings.Repeat("resend it properly ", 40)); err != nil {
		t.Fatal(err)
	}
	in := explain.Input{Rule: "attachment-unencrypted", Evidence: "a.zip", Ref: ref}
	got := c.ReplyLine(in)
	checkReplyLine(t, got, in)
	if !strings.HasSuffix(got, "... (ref "+ref+")") || len(got) < explain.MaxReplyLine-20 {
		t.Errorf("long line not cut before the reference: %q", got)
	}
}

// FuzzReplyLine: whatever the evidence, details and reference, the reply
// line is printable ASCII, within MaxReplyLine, one line, for every rule.
func FuzzReplyLine(f *testing.F) {
	f.Add("顧客名簿.xlsx", "2", "partner.example.com", ref)
	f.Add("a\r\n.\r\nQUIT", "\x00", "\u202egpj.exe", "ref\r\n")
	f.Add(strings.Repeat("名", 600), strings.Repeat("9", 600), "\xff\xfe", strings.Repeat("r", 200))
	f.Add("", "", "", "")
	c := explain.Default()
	f.Fuzz(func(t *testing.T, evidence, part, other, r string) {
		for _, rule := range append(explain.Rules(), "unknown-rule") {
			for _, v := range append(explain.Variants(rule), "no-such-variant") {
				in := explain.Input{Rule: rule, Variant: v, Evidence: evidence, Ref: r,
					Detail: map[string]string{"Part": part, "Resembles": other, "Service": other, "Reason": other,
						"Entries": other, "Masked": other, "Count": part, "Threshold": part, "Method": other}}
				got := c.ReplyLine(in)
				checkReplyLine(t, got, in)
				ja, en, _ := c.Both(in)
				for _, text := range []explain.Text{ja, en} {
					for _, s := range []string{text.Summary, text.Rule, text.Remedy} {
						if s == "" || !utf8.ValidString(s) {
							t.Fatalf("%s/%s: empty or invalid text %q", rule, v, s)
						}
						for _, ch := range s {
							if ch < 0x20 && ch != '\n' || ch == 0x7f || ch == '\u202e' {
								t.Fatalf("%s/%s: control character %U in %q", rule, v, ch, s)
							}
						}
					}
					if strings.Contains(text.Summary, "\n") {
						t.Fatalf("%s/%s: summary spans lines: %q", rule, v, text.Summary)
					}
				}
			}
		}
	})
}

func TestValidateDefaults(t *testing.T) {
	if errs := explain.Default().Validate(); len(errs) > 0 {
		for _, err := range errs {
			t.Error(err)
		}
	}
}

// TestOverride: an override replaces one part in one language, may use the
// articles and the data, and leaves everything else as shipped.
func TestOverride(t *testing.T) {
	c := explain.Default()
	err := c.Override("attachment-unencrypted", "ja", "summary",
		"{{if eq .Variant \"zipcrypto\"}}旧式の暗号です：{{.Evidence}}{{else}}「{{.Evidence}}」は社外に送る前に暗号化が必要です（{{.Detail.Part}}）{{end}}")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Override("attachment-unencrypted", "en", "reply", "use the company ZIP tool and resend"); err != nil {
		t.Fatal(err)
	}
	if err := c.Override("attachment-unencrypted", "ja", "rule", `{{template "article.6-2.ja"}}（社内規程 第12条）`); err != nil {
		t.Fatal(err)
	}
	if errs := c.Validate(); len(errs) > 0 {
		t.Fatalf("valid overrides reported: %v", errs)
	}
	in := explain.Input{Rule: "attachment-unencrypted", Evidence: "a.xlsx", Ref: ref, Detail: map[string]string{"Part": "2"}}
	ja, en, err := c.Both(in)
	if err != nil {
		t.Fatal(err)
	}
	if ja.Summary != "「a.xlsx」は社外に送る前に暗号化が必要です（2）" {
		t.Errorf("ja summary = %q", ja.Summary)
	}
	if !strings.HasSuffix(ja.Rule, "（社内規程 第12条）") || !strings.Contains(ja.Rule, "第6-2") {
		t.Errorf("ja rule = %q", ja.Rule)
	}
	if en.Summary != `Attachment "a.xlsx" is not encrypted.` {
		t.Errorf("en summary changed: %q", en.Summary)
	}
	if got := c.ReplyLine(in); !strings.Contains(got, "; use the company ZIP tool and resend (ref") {
		t.Errorf("reply override not used: %q", got)
	}
	// The shipped catalog is not changed by another catalog's overrides.
	if ja2, _ := explain.Default().Render("ja", in); ja2.Summary != "添付ファイル「a.xlsx」が暗号化されていません。" {
		t.Errorf("Default() changed by an override: %q", ja2.Summary)
	}
}

// TestOverrideErrors: each broken override is reported with its rule,
// language and part, at Override (parse) or at Validate (render).
func TestOverrideErrors(t *testing.T) {
	parseErrors := []struct {
		rule, lang, part, text, want string
	}{
		{"attachment-unencrypted", "ja", "summary", "{{if .Evidence}}unclosed", `explain.templates."attachment-unencrypted".ja.summary`},
		{"no-such-rule", "ja", "summary", "x", `unknown rule "no-such-rule"`},
		{"password-in-body", "fr", "summary", "x", `unknown language "fr"`},
		{"password-in-body", "ja", "reply", "x", `exists in English (en) only`},
		{"password-in-body", "en", "footer", "x", `unknown part "footer"`},
		{"password-in-body", "en", "summary", "  ", "empty text"},
		{"password-in-body", "en", "summary", `{{define "article.6-2.en"}}hijack{{end}}x`, "may not define templates"},
		{"password-in-body", "en", "rule", `{{template "article.99.en"}}`, `no template named "article.99.en"`},
		{"password-in-body", "en", "summary", strings.Repeat("x", 20000), "more than"},
	}
	for _, tt := range parseErrors {
		c := explain.Default()
		err := c.Override(tt.rule, tt.lang, tt.part, tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Override(%s, %s, %s, %.30q) = %v, want an error containing %q", tt.rule, tt.lang, tt.part, tt.text, err, tt.want)
			continue
		}
		var te *explain.TemplateError
		if !errors.As(err, &te) || te.Rule != tt.rule || te.Lang != tt.lang || te.Part != tt.part || !te.Override {
			t.Errorf("error %v does not carry rule/lang/part: %+v", err, te)
		}
	}

	// Parses, but fails or misbehaves when rendered: Validate names it.
	c := explain.Default()
	for _, o := range []struct{ rule, lang, part, text string }{
		{"recipient-domain-lookalike", "ja", "remedy", "1. {{.Evidance}}"},                           // no such field
		{"link-file-sharing", "en", "summary", "{{if eq .Variant \"mail-in\"}}x{{end}}"},             // empty for most variants
		{"recipients-exposed", "en", "reply", "Bcc を使ってください"},                                        // not ASCII
		{"attachment-unscannable", "ja", "summary", `{{index .Detail.Reason 400}}`},                  // index out of range
		{"password-in-body", "en", "remedy", `{{if eq .Action "approve"}}{{.Nope}}{{else}}x{{end}}`}, // fails for approve only
	} {
		if err := c.Override(o.rule, o.lang, o.part, o.text); err != nil {
			t.Fatalf("Override(%s.%s.%s) = %v, want it to parse", o.rule, o.lang, o.part, err)
		}
	}
	errs := c.Validate()
	want := map[string]string{
		`explain.templates."recipient-domain-lookalike".ja.remedy`: "Evidance",
		`explain.templates."link-file-sharing".en.summary`:         "renders empty",
		`explain.templates."recipients-exposed".en.reply`:          "must be ASCII",
		`explain.templates."attachment-unscannable".ja.summary`:    "index out of range",
		`explain.templates."password-in-body".en.remedy`:           `action "approve"`,
	}
	if len(errs) != len(want) {
		t.Errorf("Validate returned %d errors, want %d: %v", len(errs), len(want), errs)
	}
	for _, err := range errs {
		var te *explain.TemplateError
		if !errors.As(err, &te) {
			t.Errorf("not a *TemplateError: %v", err)
			continue
		}
		w, ok := want[te.Key()]
		if !ok || !strings.Contains(err.Error(), w) {
			t.Errorf("unexpected error %v (key %s)", err, te.Key())
		}
	}

	// At run time a failing override falls back to the shipped text and
	// says so.
	in := explain.Input{Rule: "recipient-domain-lookalike", Evidence: "partner-exmaple.com", Detail: map[string]string{"Resembles": "partner.example.com"}}
	ja, err := c.Render("ja", in)
	if err == nil || !strings.Contains(err.Error(), "the shipped text was used") {
		t.Errorf("Render with a failing override: err = %v", err)
	}
	if !strings.HasPrefix(ja.Remedy, "1. 宛先のアドレスを、正しいドメイン「partner.example.com」") {
		t.Errorf("fallback remedy = %q", ja.Remedy)
	}
}

func TestApply(t *testing.T) {
	c := explain.Default()
	errs := c.Apply(explain.Overrides{
		"password-in-body": {
			"ja": {"summary": "本文にパスワード（{{.Detail.Masked}}）があります。"},
			"en": {"reply": "remove the password and resend"},
		},
		"bogus": {"ja": {"summary": "x"}},
	})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `"bogus"`) {
		t.Fatalf("Apply errors = %v", errs)
	}
	ja, err := c.Render("ja", explain.Input{Rule: "password-in-body", Detail: map[string]string{"Masked": "ab****"}})
	if err != nil || ja.Summary != "本文にパスワード（ab****）があります。" {
		t.Errorf("Render = %q, %v", ja.Summary, err)
	}
}

func TestRenderUnknownLanguage(t *testing.T) {
	c := explain.Default()
	text, err := c.Render("fr", explain.Input{Rule: "recipients-exposed", Detail: map[string]string{"Count": "9"}})
	if err == nil {
		t.Error("no error for an unknown language")
	}
	if !strings.HasPrefix(text.Summary, "The To and Cc fields show 9 external addresses") {
		t.Errorf("fallback is not English: %q", text.Summary)
	}
}

// TestCleanValues: control and bidi characters in a file name cannot forge
// lines or reverse text in the explanation.
func TestCleanValues(t *testing.T) {
	c := explain.Default()
	ja, en, err := c.Both(explain.Input{Rule: "attachment-unencrypted", Evidence: "invoice\u202egpj.exe\r\n2. 偽の手順"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{ja.Summary, en.Summary, ja.Remedy, en.Remedy} {
		if strings.ContainsAny(s, "\u202e\r") {
			t.Errorf("control character kept: %q", s)
		}
	}
	if n := len(en.Steps()); n != 3 {
		t.Errorf("a file name added remedy steps: %d steps: %q", n, en.Remedy)
	}
}
