package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAdversarialCorpus runs `sendguard check` over testdata/adversarial
// (made by its make.go with real tools) and compares each verdict with
// expected.tsv: what a sender trying to get around the rules is told.
func TestAdversarialCorpus(t *testing.T) {
	const dir = "../../testdata/adversarial"
	table, err := os.ReadFile(filepath.Join(dir, "expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, "")
	covered := map[string]bool{}
	rows := 0
	for i, line := range strings.Split(strings.TrimSpace(string(table)), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			t.Fatalf("expected.tsv line %d: %d columns, want 5", i+2, len(f))
		}
		file, to, verdict, attack := f[0], f[1], f[2], f[4]
		var rules []string
		if f[3] != "" {
			rules = strings.Split(f[3], ",")
		}
		covered[file] = true
		rows++
		t.Run(file+" to "+to, func(t *testing.T) {
			code, out, errs := runCmd(t, "", "check", "--config", cfg, "--json", "--to", to, filepath.Join(dir, file))
			var got struct {
				Action   string `json:"action"`
				Findings []struct {
					Rule    string `json:"rule"`
					Action  string `json:"action"`
					Variant string `json:"variant"`
				} `json:"findings"`
				Reply string `json:"reply"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("exit %d, output is not JSON: %v\n%s%s", code, err, out, errs)
			}
			var gotRules []string
			for _, x := range got.Findings {
				gotRules = append(gotRules, x.Rule)
			}
			if got.Action != verdict {
				t.Errorf("%s: verdict %s (rules %v), want %s %v\nreply: %s", attack, got.Action, gotRules, verdict, rules, got.Reply)
			}
			for _, r := range rules {
				if !slices.Contains(gotRules, r) {
					t.Errorf("%s: rules %v lack %s", attack, gotRules, r)
				}
			}
			if verdict == "pass" && len(gotRules) > 0 {
				t.Errorf("%s: a pass with findings %v", attack, gotRules)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("%s has no row in expected.tsv", filepath.Base(f))
		}
	}
	if rows < 40 {
		t.Errorf("only %d cases", rows)
	}
}
