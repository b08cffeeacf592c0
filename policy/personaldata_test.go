package policy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/policy"
)

// TestPersonalDataMessages judges every generated message in
// testdata/personal (see make.go there) and compares the kinds of
// personal-data-in-body findings with expected.tsv. It also checks that
// nothing the sender or the log sees holds the data: no run of seven or
// more digits, no name of the synthetic people, no personal address.
func TestPersonalDataMessages(t *testing.T) {
	dir := filepath.Join("..", "testdata", "personal")
	table, err := os.ReadFile(filepath.Join(dir, "expected.tsv"))
	if err != nil {
		t.Fatalf("%v (made by testdata/personal/make.go)", err)
	}
	p := compile(t, policy.Config{})
	digits := regexp.MustCompile(`[0-9]{7,}`)
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(table)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		file, to, want := cols[0], cols[1], cols[2]
		n++
		t.Run(file, func(t *testing.T) {
			msg, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			v := evaluate(t, p, policy.Envelope{From: "sender@example.co.jp", To: []string{to}}, msg)
			var kinds []string
			for _, f := range v.Findings {
				if f.Rule == policy.RulePersonalData {
					kinds = append(kinds, f.Variant)
					if f.Action != policy.Reject {
						t.Errorf("action = %v, want reject (the default for external recipients)", f.Action)
					}
				}
			}
			if got := strings.Join(kinds, ","); got != want {
				t.Errorf("personal-data kinds = %q, want %q", got, want)
			}
			out, err := json.Marshal(v.Findings)
			if err != nil {
				t.Fatal(err)
			}
			var shown strings.Builder
			shown.Write(out)
			for _, f := range v.Findings {
				shown.WriteString(p.ReplyLine(f, "ref") + "\n")
			}
			s := strings.NewReplacer("\\u003e", ">", " ", "", "-", "").Replace(shown.String())
			for _, d := range digits.FindAllString(s, -1) {
				t.Errorf("a run of digits %q is shown", d)
			}
			for _, name := range []string{"太郎", "花子", "一郎", "美咲", "user0", "神宮前"} {
				if strings.Contains(s, name) {
					t.Errorf("%q is shown in the verdict or the reply", name)
				}
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d cases in expected.tsv", n)
	}
}

// TestPersonalDataConfig checks [personal_data]: per-kind thresholds and
// actions, admin patterns, and what policy lint refuses.
func TestPersonalDataConfig(t *testing.T) {
	msg, err := os.ReadFile(filepath.Join("..", "testdata", "personal", "people-pasted-utf8.eml"))
	if err != nil {
		t.Fatal(err)
	}
	env := policy.Envelope{From: "sender@example.co.jp", To: []string{"client@partner.example.com"}}
	tests := []struct {
		name string
		cfg  policy.PersonalDataConfig
		want string // "" = no personal-data finding, else the action
	}{
		{"default", policy.PersonalDataConfig{}, "reject"},
		{"people flag", policy.PersonalDataConfig{People: policy.PersonalKindConfig{Action: "flag"}}, "flag"},
		{"people pass", policy.PersonalDataConfig{People: policy.PersonalKindConfig{Action: "pass"}}, ""},
		{"threshold above the list", policy.PersonalDataConfig{People: policy.PersonalKindConfig{Min: 7}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compile(t, policy.Config{PersonalData: tt.cfg})
			got := ""
			for _, f := range evaluate(t, p, env, msg).Findings {
				if f.Rule == policy.RulePersonalData {
					got = f.Action.String()
				}
			}
			if got != tt.want {
				t.Errorf("action = %q, want %q", got, tt.want)
			}
		})
	}

	bad := []struct {
		name string
		cfg  policy.PersonalDataConfig
		key  string
	}{
		{"bad regexp", policy.PersonalDataConfig{Patterns: []policy.PersonalPatternConfig{{Name: "会員番号", Regexp: "M[0-9", Keywords: []string{"会員番号"}}}}, "personal_data.patterns[0].regexp"},
		{"matches empty", policy.PersonalDataConfig{Patterns: []policy.PersonalPatternConfig{{Name: "x", Regexp: "[0-9]*", Keywords: []string{"x"}}}}, "personal_data.patterns[0].regexp"},
		{"no name", policy.PersonalDataConfig{Patterns: []policy.PersonalPatternConfig{{Regexp: "M[0-9]{8}", Keywords: []string{"会員"}}}}, "personal_data.patterns[0].name"},
		{"unknown action", policy.PersonalDataConfig{Card: policy.PersonalKindConfig{Action: "quarantine"}}, "personal_data.card.action"},
		{"negative min", policy.PersonalDataConfig{MyNumber: policy.PersonalKindConfig{Min: -1}}, "personal_data.my_number.min"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := policy.Compile(policy.Config{Domains: policy.DomainsConfig{Internal: []string{"example.co.jp"}}, PersonalData: tt.cfg})
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Errorf("Compile error = %v, want one about %s", err, tt.key)
			}
		})
	}

	// An admin pattern fires with its keyword and minimum count.
	pat := policy.PersonalDataConfig{Patterns: []policy.PersonalPatternConfig{{Name: "会員番号", Regexp: `M[0-9]{8}`, Keywords: []string{"会員番号"}, Min: 2, Action: "flag"}}}
	p := compile(t, policy.Config{PersonalData: pat})
	body := "From: a@example.co.jp\r\nTo: b@partner.example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n会員番号 M12345678 と M23456789 です。\r\n"
	v := evaluate(t, p, env, []byte(body))
	if len(v.Findings) != 1 || v.Findings[0].Variant != "pattern" || v.Findings[0].Evidence != "会員番号" || v.Findings[0].Action != policy.Flag {
		t.Fatalf("findings = %+v, want one flagged 会員番号 pattern", v.Findings)
	}
	if strings.Contains(v.Findings[0].Reason+v.Findings[0].ReasonJA, "12345678") {
		t.Errorf("reason shows the identifier: %q", v.Findings[0].Reason)
	}
}
