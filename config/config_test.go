package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExampleConfigLoads(t *testing.T) {
	f, err := Load("../config.example.toml")
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	if f.Server.Listen != "127.0.0.1:2525" || f.Upstream.Address != "capture:./captured" {
		t.Errorf("listen %q upstream %q", f.Server.Listen, f.Upstream.Address)
	}
	if _, _, err := f.CompilePolicy(); err != nil {
		t.Fatalf("policy: %v", err)
	}
	if f.Server.BareNewline != "reject" {
		t.Errorf("bare_newline %q, want the default reject", f.Server.BareNewline)
	}
}

func TestErrorsNameLineAndKey(t *testing.T) {
	cases := []struct {
		name    string
		toml    string
		wantErr []string // "line:key" fragments
	}{
		{"unknown key", "[server]\nlisten = \"127.0.0.1:2525\"\nlisen = \"x\"\n[upstream]\naddress = \"capture:x\"\n", []string{":3: server.lisen: unknown key"}},
		{"bad network", "[server]\nallowed_networks = [\"10.0.0.0/8\", \"nonsense\"]\n[upstream]\naddress = \"capture:x\"\n", []string{":2: server.allowed_networks: entry 2"}},
		{"bad starttls", "[upstream]\naddress = \"127.0.0.1:25\"\n\nstarttls = \"maybe\"\n", []string{":4: upstream.starttls"}},
		{"missing upstream", "[server]\nlisten = \"127.0.0.1:2525\"\n", []string{"upstream.address: missing"}},
		{"bad duration", "[server]\ncommand_timeout = \"five minutes\"\n[upstream]\naddress = \"capture:x\"\n", []string{":2:", "not a duration"}},
		{"bad bcrypt", "[server]\ntls_cert = \"c\"\ntls_key = \"k\"\n[[server.users]]\nname = \"x\"\npassword_bcrypt = \"plain\"\n[upstream]\naddress = \"capture:x\"\n", []string{":6: server.users.0.password_bcrypt: not a bcrypt hash"}},
		{"bad bare_newline", "[server]\nbare_newline = \"strip\"\n[upstream]\naddress = \"capture:x\"\n", []string{":2: server.bare_newline: must be \"reject\" or \"normalize\""}},
		{"syntax", "[server\nlisten = 1\n", []string{":1:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(write(t, "c.toml", c.toml))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestPolicyErrorsNameLine(t *testing.T) {
	p := write(t, "c.toml", `[upstream]
address = "capture:x"

[domains]
internal = ["example.co.jp"]

[rules.attachment-unencrypted]
action = "quarantine"

[rules.no-such-rule]
action = "reject"

[rules.attachment-unscannable]
scope = "everywhere"
exempt_senders = ["*"]
`)
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	_, warns, err := f.CompilePolicy()
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{
		":8: rules.attachment-unencrypted.action: unknown action \"quarantine\"",
		":10: rules.no-such-rule: unknown rule id",
		":14: rules.attachment-unscannable.scope: unknown scope",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("errors %q lack %q", err, w)
		}
	}
	if len(warns) == 0 || !strings.Contains(warns.Error(), ":15: rules.attachment-unscannable.exempt_senders") {
		t.Errorf("warnings %v lack the exemption that covers everyone", warns)
	}
}

func TestSeparatePolicyFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "policy.toml"), []byte("[domains]\ninternal = [\"example.co.jp\"]\n\n[rules.attachment-unencrypted]\naction = \"flag\"\nscope = \"bogus\"\n"), 0o600)
	main := filepath.Join(dir, "sendguard.toml")
	os.WriteFile(main, []byte("[upstream]\naddress = \"capture:x\"\n[policy]\nfile = \"policy.toml\"\n"), 0o600)
	f, err := Load(main)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.CompilePolicy()
	if err == nil || !strings.Contains(err.Error(), "policy.toml:6: rules.attachment-unencrypted.scope") {
		t.Errorf("error %v should name policy.toml line 6", err)
	}
	if f.Config.Domains.Internal[0] != "example.co.jp" {
		t.Errorf("policy sections not read from policy.toml")
	}
}

func TestExplainTemplateErrorsNameLine(t *testing.T) {
	p := write(t, "c.toml", `[upstream]
address = "capture:x"

[explain.templates."attachment-unencrypted".ja]
summary = "添付「{{.Evidence}」は暗号化が必要です"
`)
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.CompilePolicy()
	if err == nil || !strings.Contains(err.Error(), ":5: explain.templates.attachment-unencrypted.ja.summary") {
		t.Errorf("error %v should name line 5 and the template key", err)
	}
	good := write(t, "c.toml", `[upstream]
address = "capture:x"

[explain.templates."attachment-unencrypted".ja]
summary = "添付ファイル「{{.Evidence}}」は社内規程により暗号化が必要です。"
`)
	f, err = Load(good)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.CompilePolicy(); err != nil {
		t.Errorf("valid override refused: %v", err)
	}
}
