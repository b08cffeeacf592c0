package secret

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

type textCase struct {
	Kind    string `json:"kind"`
	Path    string `json:"path"`
	Content string `json:"content"`
}

type tableCase struct {
	Name        string     `json:"name"`
	Text        string     `json:"text"`
	Kind        string     `json:"kind"`
	Path        *string    `json:"path"`
	Texts       []textCase `json:"texts"`
	Statements  []string   `json:"statements"`
	Labelled    string     `json:"labelled"`
	Raw         string     `json:"raw"`
	Compliant   bool       `json:"compliant"`
	ExtraLabels []string   `json:"extra_labels"`
	Exempt      []string   `json:"exempt"`
}

func (c tableCase) texts() []Text {
	if len(c.Texts) > 0 {
		var ts []Text
		for _, t := range c.Texts {
			ts = append(ts, Text{Kind: t.Kind, Path: t.Path, Content: t.Content})
		}
		return ts
	}
	kind, path := c.Kind, "1"
	if kind == "" {
		kind = "plain"
	}
	if c.Path != nil {
		path = *c.Path
	}
	return []Text{{Kind: kind, Path: path, Content: c.Text}}
}

type table struct {
	Trigger   []tableCase `json:"trigger"`
	Compliant []tableCase `json:"compliant"`
	NoTrigger []tableCase `json:"no_trigger"`
}

func loadTable(t testing.TB) table {
	t.Helper()
	b, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var tab table
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var raw struct {
		Comment string `json:"comment"`
		table
	}
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	tab = raw.table
	if len(tab.Trigger) == 0 || len(tab.Compliant) == 0 || len(tab.NoTrigger) == 0 {
		t.Fatal("empty table")
	}
	return tab
}

func mustNew(t testing.TB, cfg Config) *Finder {
	t.Helper()
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func labels(r Result) []string {
	out := []string{}
	for _, s := range r.Statements {
		out = append(out, s.Label)
	}
	return out
}

func firstLabelled(r Result) (Candidate, bool) {
	for _, c := range r.Candidates {
		if c.Labelled {
			return c, true
		}
	}
	return Candidate{}, false
}

// check runs one case and reports every difference.
func check(t *testing.T, c tableCase, wantCompliant bool) {
	t.Helper()
	f := mustNew(t, Config{ExtraLabels: c.ExtraLabels, ExemptPhrases: c.Exempt})
	texts := c.texts()
	r := f.Find(texts)
	want := c.Statements
	if want == nil {
		want = []string{}
	}
	if got := labels(r); !reflect.DeepEqual(got, want) {
		t.Errorf("statements %q, want %q", got, want)
	}
	first, ok := firstLabelled(r)
	switch {
	case c.Labelled == "" && ok:
		t.Errorf("labelled candidate %q (label %q), want none", first.Value, first.Label)
	case c.Labelled != "" && !ok:
		t.Errorf("no labelled candidate, want %q", c.Labelled)
	case c.Labelled != "" && first.Value != c.Labelled:
		t.Errorf("first labelled candidate %q, want %q", first.Value, c.Labelled)
	case ok && first.Raw != c.Raw:
		t.Errorf("first labelled candidate raw %q, want %q", first.Raw, c.Raw)
	}
	if r.Compliant != wantCompliant {
		t.Errorf("compliant %v, want %v", r.Compliant, wantCompliant)
	}
	// Labelled candidates come first; statements point at labelled ones.
	seenUnlabelled := false
	for _, c := range r.Candidates {
		if c.Labelled && seenUnlabelled {
			t.Errorf("labelled %q after an unlabelled candidate", c.Value)
		}
		seenUnlabelled = seenUnlabelled || !c.Labelled
	}
	for _, s := range r.Statements {
		if s.Candidate < 0 || s.Candidate >= len(r.Candidates) || !r.Candidates[s.Candidate].Labelled {
			t.Errorf("statement %+v does not point at a labelled candidate", s)
			continue
		}
		if s.Kind != r.Candidates[s.Candidate].Kind || s.Path != r.Candidates[s.Candidate].Path {
			t.Errorf("statement %+v and its candidate %+v differ in kind or path", s, r.Candidates[s.Candidate])
		}
	}
	if t.Failed() {
		t.Logf("texts %q", texts)
		t.Logf("result %+v", r)
	}
}

func TestTable(t *testing.T) {
	tab := loadTable(t)
	for _, c := range tab.Trigger {
		t.Run("trigger/"+c.Name, func(t *testing.T) {
			if len(c.Statements) == 0 && c.Labelled == "" {
				t.Fatal("a trigger case must expect a statement or a labelled candidate")
			}
			check(t, c, c.Compliant)
		})
	}
	for _, c := range tab.Compliant {
		t.Run("compliant/"+c.Name, func(t *testing.T) {
			if len(c.Statements) > 0 || c.Labelled != "" {
				t.Fatal("a compliant case expects nothing")
			}
			check(t, c, true)
		})
	}
	for _, c := range tab.NoTrigger {
		t.Run("no-trigger/"+c.Name, func(t *testing.T) {
			if len(c.Statements) > 0 || c.Labelled != "" {
				t.Fatal("a no-trigger case expects nothing")
			}
			check(t, c, false)
		})
	}
}

// Without the admin's phrase the exempt case is a statement: the phrase is
// what makes it compliant.
func TestExemptPhraseMatters(t *testing.T) {
	texts := []Text{{Kind: "plain", Path: "1", Content: "PW: see-portal"}}
	if r := mustNew(t, Config{}).Find(texts); len(r.Statements) != 1 || r.Compliant {
		t.Fatalf("without exempt phrase: %+v", r)
	}
	if r := mustNew(t, Config{ExemptPhrases: []string{"ｐｗ：　ＳＥＥ-portal"}}).Find(texts); len(r.Statements) != 0 || !r.Compliant {
		t.Fatalf("with exempt phrase (normalised): %+v", r)
	}
}

func TestCandidatesOrderAndTokens(t *testing.T) {
	f := mustNew(t, Config{})
	r := f.Find([]Text{
		{Kind: "subject", Content: "見積書送付の件 Ref-2024-001"},
		{Kind: "plain", Path: "1", Content: "お世話になっております。\n添付の資料（2024年度版）をご確認ください。\nパスワードは別途。\n念のため：ＰＷ：Ｑｗｅｒ１２３４\nhttps://example.com/x\nabc12345、さくら2024"},
		{Kind: "filename", Path: "2", Content: "資料_v2_tk-Zz81.zip"},
	})
	var vals []string
	for _, c := range r.Candidates {
		vals = append(vals, c.Value)
	}
	if len(r.Candidates) == 0 || r.Candidates[0].Value != "Qwer1234" || r.Candidates[0].Raw != "Ｑｗｅｒ１２３４" || !r.Candidates[0].Labelled {
		t.Fatalf("first candidate: %+v", r.Candidates)
	}
	idx := map[string]int{}
	for i, v := range vals {
		if _, dup := idx[v]; dup {
			t.Errorf("duplicate candidate %q", v)
		}
		idx[v] = i
	}
	for _, want := range []string{"Ref-2024-001", "abc12345", "tk-Zz81", "Zz81", "さくら2024", "お世話になっております", "2024年度版"} {
		if _, ok := idx[want]; !ok {
			t.Errorf("token %q missing from %q", want, vals)
		}
	}
	for _, not := range []string{"https://example.com/x", "です", "は"} {
		if _, ok := idx[not]; ok {
			t.Errorf("token %q should not be a candidate", not)
		}
	}
	// ASCII tokens before Japanese ones, each in order of appearance.
	if !(idx["Ref-2024-001"] < idx["abc12345"] && idx["abc12345"] < idx["お世話になっております"]) {
		t.Errorf("order: %q", vals)
	}
	if r.Statements[0].Kind != "plain" || r.Statements[0].Line != 4 || !r.Compliant {
		t.Errorf("statement %+v compliant %v", r.Statements, r.Compliant)
	}
}

func TestRawKeptForFullWidthTokens(t *testing.T) {
	r := mustNew(t, Config{}).Find([]Text{{Kind: "plain", Content: "コードはＡＢＣ－１２３４です。\nABC-1234"}})
	for _, c := range r.Candidates {
		if c.Value == "ABC-1234" {
			if c.Raw != "ＡＢＣ－１２３４" {
				t.Fatalf("raw %q", c.Raw)
			}
			return
		}
	}
	t.Fatalf("no ABC-1234 in %+v", r.Candidates)
}

func TestLimits(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		b.WriteString("PW: abcd")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(" token")
		b.WriteString(string(rune('A' + i%26)))
		b.WriteString(strings.Repeat("9", i%11))
		b.WriteString(" ")
		if i%10 == 0 {
			b.WriteString("\n")
		}
	}
	f := mustNew(t, Config{MaxCandidates: 50, MaxTokenLen: 8})
	r := f.Find([]Text{{Kind: "plain", Content: b.String()}})
	if len(r.Candidates) > 50 || len(r.Statements) > 50 || !r.Truncated {
		t.Fatalf("%d candidates, %d statements, truncated %v", len(r.Candidates), len(r.Statements), r.Truncated)
	}
	for _, c := range r.Candidates {
		if n := utf8.RuneCountInString(c.Value); n > 8 {
			t.Fatalf("candidate %q over MaxTokenLen", c.Value)
		}
	}
	long := "パスワード：" + strings.Repeat("a1", 40)
	if r := mustNew(t, Config{}).Find([]Text{{Content: long}}); len(r.Statements) != 0 || len(r.Candidates) == 0 || r.Candidates[0].Labelled {
		t.Fatalf("value over MaxTokenLen: %+v", r)
	}
}

func TestNewErrors(t *testing.T) {
	for _, cfg := range []Config{
		{ExtraLabels: []string{" "}},
		{ExtraLabels: []string{strings.Repeat("ラベル", 30)}},
		{ExemptPhrases: []string{"\u200b"}},
		{MaxTokenLen: 5000},
		{MinTokenLen: 10, MaxTokenLen: 5},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func TestConcurrent(t *testing.T) {
	f := mustNew(t, Config{ExtraLabels: []string{"開封コード"}})
	tab := loadTable(t)
	want := make([]Result, len(tab.Trigger))
	for i, c := range tab.Trigger {
		want[i] = f.Find(c.texts())
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, c := range tab.Trigger {
				if got := f.Find(c.texts()); !reflect.DeepEqual(got, want[i]) {
					t.Errorf("%s: concurrent result differs", c.Name)
				}
			}
		}()
	}
	wg.Wait()
}

func TestTokens(t *testing.T) {
	got := Tokens("パスワードはab\u200bc123です。 「ＸＹＺ」 a")
	want := []string{"パスワードはabc123です。", "パスワードはabc123です", "パスワードは", "abc123", "です", "「XYZ」", "XYZ", "a"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Tokens = %q, want %q", got, want)
	}
}

func TestMask(t *testing.T) {
	for pw, want := range map[string]string{
		"abc123":         "ab****",
		"p@ssw0rd!!":     "p@****",
		"abcde":          "a****",
		"abc":            "a****",
		"ab":             "****",
		"a":              "****",
		"":               "****",
		"さくら2024":        "さく****",
		"パスワード":          "パ****",
		"鍵":              "****",
		"\xff\xfeabcdef": "\uFFFD\uFFFD****",
	} {
		if got := Mask(pw); got != want {
			t.Errorf("Mask(%q) = %q, want %q", pw, got, want)
		}
	}
	// Never more than two runes of the password, never all of it.
	for _, pw := range []string{"x", "xy", "xyz", "wxyz", "秘密の鍵", "ａｂｃ", "abcdefghijklmnop", "日本語のパスワード"} {
		m := Mask(pw)
		shown := strings.TrimSuffix(m, "****")
		if !strings.HasSuffix(m, "****") || utf8.RuneCountInString(shown) > 2 || !strings.HasPrefix(pw, shown) {
			t.Errorf("Mask(%q) = %q", pw, m)
		}
		if utf8.RuneCountInString(shown) >= utf8.RuneCountInString(pw) {
			t.Errorf("Mask(%q) = %q reveals the whole password", pw, m)
		}
	}
}
