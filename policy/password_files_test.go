package policy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/policy"
)

// TestPasswordMessages runs the policy over testdata/password (made by
// testdata/password/make.go from the attachment fixtures) and checks each
// message against expected.tsv: "trial" (the password in the mail opens the
// attachment), "pattern" (a stated password), "none" (must not trigger).
func TestPasswordMessages(t *testing.T) {
	table, err := os.ReadFile("../testdata/password/expected.tsv")
	if err != nil {
		t.Fatal(err)
	}
	p := compile(t, policy.Config{})
	env := policy.Envelope{From: "alice@example.co.jp", To: []string{"bob@partner.example.com"}}
	lines := strings.Split(strings.TrimSpace(string(table)), "\n")[1:]
	if len(lines) < 15 {
		t.Fatalf("expected.tsv lists %d messages", len(lines))
	}
	for _, line := range lines {
		cols := strings.Split(line, "\t")
		file, expect, note := cols[0], cols[1], cols[2]
		t.Run(file, func(t *testing.T) {
			msg, err := os.ReadFile(filepath.Join("../testdata/password", file))
			if err != nil {
				t.Fatal(err)
			}
			v := evaluate(t, p, env, msg)
			var got *policy.Finding
			for i := range v.Findings {
				if v.Findings[i].Rule == policy.RulePasswordInBody {
					got = &v.Findings[i]
				}
			}
			if expect == "none" {
				if got != nil {
					t.Errorf("%s: unexpected finding %s / %s", note, got.Evidence, got.Detail)
				}
				return
			}
			if got == nil {
				t.Fatalf("%s: no password-in-body finding (rules %v)", note, v.Rules())
			}
			if !strings.Contains(got.Detail, "proof="+expect) {
				t.Errorf("%s: %s, want proof=%s", note, got.Detail, expect)
			}
			if got.Action != policy.Reject || v.Action != policy.Reject {
				t.Errorf("%s: action %v / verdict %v, want reject", note, got.Action, v.Action)
			}
			for _, f := range v.Findings {
				for _, s := range []string{f.Evidence, f.Detail, f.Reason, f.ReasonJA} {
					if strings.Contains(s, "secret123") {
						t.Errorf("password in clear: %q", s)
					}
				}
			}
		})
	}
}
