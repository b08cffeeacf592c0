package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs the binary's entry point as a user would.
func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeConfig(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "sendguard.toml")
	cfg := "[upstream]\naddress = \"capture:" + filepath.Join(dir, "captured") + "\"\n[domains]\ninternal = [\"example.co.jp\"]\nverified = [\"partner.example.com\", \"client.example.jp\", \"vendor.example.net\"]\n" + extra
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func zipMessage(t *testing.T) string {
	t.Helper()
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("名簿.csv")
	w.Write([]byte("yamada,090\n"))
	zw.Close()
	dir := t.TempDir()
	zp := filepath.Join(dir, "meibo.zip")
	os.WriteFile(zp, zb.Bytes(), 0o600)
	msg, err := buildMessage("alice@example.co.jp", []string{"bob@partner.example.com"}, "名簿", "送ります\n", []string{zp})
	if err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(dir, "msg.eml")
	os.WriteFile(mp, msg, 0o600)
	return mp
}

func TestCheckExitStatusAndExplanation(t *testing.T) {
	cfg := writeConfig(t, "")
	msgPath := zipMessage(t)

	code, out, errs := runCmd(t, "", "check", "--config", cfg, msgPath)
	if code != exitReject {
		t.Fatalf("check exit %d, want %d; stderr %s", code, exitReject, errs)
	}
	for _, want := range []string{"verdict: reject", "[attachment-unencrypted]", "meibo.zip", "名簿.csv", "パスワード", "550 5.7.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	// The same message to an internal recipient passes (scope external).
	code, out, _ = runCmd(t, "", "check", "--config", cfg, "--to", "carol@example.co.jp", msgPath)
	if code != exitPass || !strings.Contains(out, "verdict: pass") {
		t.Errorf("internal recipient: exit %d\n%s", code, out)
	}

	// Flag action: exit 1; --json is machine-readable; message from stdin.
	cfg = writeConfig(t, "[rules.attachment-unencrypted]\naction = \"flag\"\n")
	data, _ := os.ReadFile(msgPath)
	code, out, _ = runCmd(t, string(data), "check", "--config", cfg, "--json", "-")
	if code != exitFlag {
		t.Fatalf("flag: exit %d\n%s", code, out)
	}
	var v struct {
		Action   string `json:"action"`
		Findings []struct {
			Rule     string `json:"rule"`
			Evidence string `json:"evidence"`
		} `json:"findings"`
		Envelope struct{ From string }
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if v.Action != "flag" || len(v.Findings) != 1 || v.Findings[0].Rule != "attachment-unencrypted" || v.Findings[0].Evidence != "meibo.zip" {
		t.Errorf("json verdict: %+v", v)
	}
	if v.Envelope.From != "alice@example.co.jp" {
		t.Errorf("envelope from header: %q", v.Envelope.From)
	}
}

func TestCheckUsageErrors(t *testing.T) {
	if code, _, _ := runCmd(t, "", "check", "--config", writeConfig(t, ""), "/no/such/file.eml"); code < 64 {
		t.Errorf("missing file: exit %d, want >= 64", code)
	}
	if code, _, _ := runCmd(t, "", "check", "x.eml"); code < 64 {
		t.Errorf("no --config: exit %d, want >= 64", code)
	}
	bad := writeConfig(t, "[rules.attachment-unencrypted]\naction = \"explode\"\n")
	if code, _, _ := runCmd(t, "", "check", "--config", bad, zipMessage(t)); code < 64 {
		t.Errorf("bad config: exit %d, want >= 64", code)
	}
}

func TestPolicyLint(t *testing.T) {
	code, out, _ := runCmd(t, "", "policy", "lint", "--config", "../../config.example.toml")
	if code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("example config: exit %d\n%s", code, out)
	}
	held := writeConfig(t, "[rules.attachment-unencrypted]\naction = \"hold\"\n")
	if code, out, _ = runCmd(t, "", "policy", "lint", "--config", held); code != 0 {
		t.Errorf("hold: exit %d\n%s", code, out)
	}
	bad := writeConfig(t, "[rules.attachment-unencrypted]\naction = \"quarantine\"\n")
	code, out, _ = runCmd(t, "", "policy", "lint", "--config", bad)
	if code == 0 || !strings.Contains(out, ":7: rules.attachment-unencrypted.action: unknown action \"quarantine\"") {
		t.Errorf("quarantine: exit %d\n%s", code, out)
	}
}

func TestPasswd(t *testing.T) {
	code, out, _ := runCmd(t, "secret\n", "passwd")
	if code != 0 || !strings.HasPrefix(out, "$2a$") {
		t.Errorf("passwd: exit %d %q", code, out)
	}
}

// TestSubcommandHelp: every command's --help prints its own usage and
// exit status on standard output and exits 0.
func TestSubcommandHelp(t *testing.T) {
	for _, c := range [][]string{{"serve"}, {"check"}, {"policy", "lint"}, {"policy"}, {"send"}, {"passwd"}, {"replay"}, {"report"}} {
		for _, h := range []string{"--help", "-h"} {
			args := append(append([]string(nil), c...), h)
			code, out, errs := runCmd(t, "", args...)
			name := strings.Join(c, " ")
			if name == "policy" {
				name = "policy lint"
			}
			if code != 0 || errs != "" || !strings.HasPrefix(out, "usage: sendguard "+name) || !strings.Contains(out, "Exit status:") {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
			}
		}
	}
	// A bad flag is still a usage error, on standard error.
	if code, out, errs := runCmd(t, "", "check", "--bogus"); code != exitUsage || out != "" || !strings.Contains(errs, "usage: sendguard check") {
		t.Errorf("check --bogus: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
