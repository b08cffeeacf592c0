package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/policy/recipient"
)

// TestLintReportsEveryError: one run names every unknown key and every
// value of the wrong type, each with its line and key, in words an admin
// reads (no Go type names), with a suggestion for a misspelt key.
func TestLintReportsEveryError(t *testing.T) {
	p := write(t, "c.toml", `[server]
listen = "127.0.0.1:2525"
max_recipients = "500"
lisen = "0.0.0.0:25"
require_tls = "yes"
allowed_networks = ["10.0.0.0/8", 8]
command_timeout = 30

[upstream]
adress = "mx.example.co.jp:25"

[domains]
internal = "example.co.jp"
dns_chek = true

[limits]
max_parts = 1.5
`)
	_, errs, err := Lint(p)
	if err != nil {
		t.Fatal(err)
	}
	out := errs.Error()
	want := []string{
		":3: server.max_recipients: want a number, got a string",
		`:4: server.lisen: unknown key; did you mean "listen"?`,
		":5: server.require_tls: want true or false, got a string",
		":6: server.allowed_networks: entry 2: want a string, got the number 8",
		`:7: server.command_timeout: want a duration in quotes (e.g. "30s", "5m"), got the number 30`,
		`:10: upstream.adress: unknown key; did you mean "address"?`,
		":13: domains.internal: want a list of strings, got a string",
		`:14: domains.dns_chek: unknown key; did you mean "dns_check"?`,
		":17: limits.max_parts: want a number, got a number with a fraction",
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("lint output lacks %q\n%s", w, out)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("%d errors, want %d:\n%s", len(errs), len(want), out)
	}
	for _, goName := range []string{"type int", "int64", "struct", "[]string", "config.Server", "toml: "} {
		if strings.Contains(out, goName) {
			t.Errorf("output names Go types (%q):\n%s", goName, out)
		}
	}
}

// TestLintUnknownKeysAndSettings: unknown keys do not hide the settings
// errors and policy errors of the rest of the file.
func TestLintUnknownKeysAndSettings(t *testing.T) {
	p := write(t, "c.toml", `[server]
max_line_lenght = 2000
listen = "nonsense"

[upstream]
address = "capture:x"
starttls = "maybe"

[rules.attachment-unencrypted]
action = "explode"

[explain]
mdoe = "mail"

[explain.templtes."password-in-body".ja]
summary = "x"

[sever]
listen = "0.0.0.0:25"
`)
	_, errs, err := Lint(p)
	if err != nil {
		t.Fatal(err)
	}
	out := errs.Error()
	for _, w := range []string{
		`:2: server.max_line_lenght: unknown key; did you mean "max_line_length"?`,
		`:3: server.listen: not host:port`,
		`:7: upstream.starttls: must be off, opportunistic or required`,
		`:10: rules.attachment-unencrypted.action:`,
		`:13: explain.mdoe: unknown key; did you mean "mode"?`,
		`:15: explain.templtes: unknown section; did you mean [explain.templates]?`,
		`:18: sever: unknown section; did you mean [server]?`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("lint output lacks %q\n%s", w, out)
		}
	}
	// Load, used by serve and reload, refuses the same file.
	if _, err := Load(p); err == nil {
		t.Error("Load accepted a file with unknown keys")
	}
}

// TestLintPolicyFile: the separate policy file is checked the same way.
func TestLintPolicyFile(t *testing.T) {
	dir := t.TempDir()
	pol := writeIn(t, dir, "policy.toml", "[domains]\ninternal = [\"example.co.jp\"]\nverifed = [\"x.example\"]\n[password]\nmax_candidates = \"many\"\n")
	p := writeIn(t, dir, "c.toml", "[upstream]\naddress = \"capture:x\"\n[policy]\nfile = \""+pol+"\"\n")
	_, errs, err := Lint(p)
	if err != nil {
		t.Fatal(err)
	}
	out := errs.Error()
	for _, w := range []string{
		`policy.toml:3: domains.verifed: unknown key; did you mean "verified"?`,
		`policy.toml:5: password.max_candidates: want a number, got a string`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("lint output lacks %q\n%s", w, out)
		}
	}
}

func TestSuggestion(t *testing.T) {
	fields := []field{{name: "listen"}, {name: "hostname"}, {name: "max_recipients"}, {name: "tls_cert"}, {name: "tls_key"}}
	cases := []struct{ key, want string }{
		{"lisen", "listen"},
		{"lsiten", "listen"},
		{"Hostname", "hostname"},
		{"max_recipient", "max_recipients"},
		{"tls_kye", "tls_key"},
		{"banana", ""},
		{"x", ""},
	}
	for _, c := range cases {
		got := suggestion(c.key, fields)
		want := ""
		if c.want != "" {
			want = `; did you mean "` + c.want + `"?`
		}
		if got != want {
			t.Errorf("suggestion(%q) = %q, want %q", c.key, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"listen", "lisen", 1}, {"listen", "lsiten", 1}, {"kitten", "sitting", 3}, {"名簿", "名薄", 1}} {
		if got := recipient.EditDistance(c.a, c.b); got != c.d {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

func writeIn(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
