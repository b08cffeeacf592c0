package secret

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func FuzzFind(f *testing.F) {
	tab := loadTable(f)
	for _, group := range [][]tableCase{tab.Trigger, tab.Compliant, tab.NoTrigger} {
		for _, c := range group {
			for _, t := range c.texts() {
				f.Add(t.Content, t.Kind == KindFilename)
			}
		}
	}
	f.Add("ＰＡＳＳ：&amp;nbsp;ａｂｃ\u200b１２３（半角）\r\n> > PW:\r\n> > x", false)
	f.Add(strings.Repeat("PW:", 200)+strings.Repeat("パスワード", 100), false)
	f.Add("\xff\xfe&#x200b;&#0;&#99999999;&amp;amp;amp;", true)
	finder, err := New(Config{MaxCandidates: 40, MaxTokenLen: 16, ExtraLabels: []string{"開封コード", "pin"}, ExemptPhrases: []string{"パスワードは 別途"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string, filename bool) {
		kind := "plain"
		if filename {
			kind = KindFilename
		}
		r := finder.Find([]Text{{Kind: kind, Path: "1", Content: s}, {Kind: KindSubject, Content: s}})
		if len(r.Candidates) > 40 || len(r.Statements) > 40 {
			t.Fatalf("%d candidates, %d statements", len(r.Candidates), len(r.Statements))
		}
		seen := map[string]bool{}
		labelledDone := false
		for _, c := range r.Candidates {
			if !utf8.ValidString(c.Value) || !utf8.ValidString(c.Raw) || c.Value == "" {
				t.Fatalf("candidate %q raw %q", c.Value, c.Raw)
			}
			if n := utf8.RuneCountInString(c.Value); n > 16 {
				t.Fatalf("candidate %q over MaxTokenLen", c.Value)
			}
			if c.Labelled && labelledDone {
				t.Fatalf("labelled %q after unlabelled", c.Value)
			}
			labelledDone = labelledDone || !c.Labelled
			key := c.Value + "\x00" + c.Raw
			if seen[key] {
				t.Fatalf("duplicate %q", c.Value)
			}
			seen[key] = true
		}
		for _, st := range r.Statements {
			if st.Candidate >= len(r.Candidates) || st.Candidate >= 0 && !r.Candidates[st.Candidate].Labelled {
				t.Fatalf("statement %+v", st)
			}
		}
		// The piecewise normalisation is NFKC.
		if p := prepare(s); p.norm != norm.NFKC.String(p.raw) {
			t.Fatalf("norm %q, NFKC %q", p.norm, norm.NFKC.String(p.raw))
		}
		for _, tok := range Tokens(s) {
			if strings.ContainsAny(tok, "\u200b\u200c\u200d\u2060\ufeff\u00ad \n") {
				t.Fatalf("token %q", tok)
			}
		}
		m := Mask(s)
		if shown := strings.TrimSuffix(m, "****"); utf8.RuneCountInString(shown) > 2 {
			t.Fatalf("Mask(%q) = %q", s, m)
		}
	})
}
