package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// plainMessage is a message with no attachment to a verified partner.
func plainMessage(t *testing.T) string { return plainMessageTo(t, "bob@partner.example.com") }

// internalMessage is the same message to a colleague.
func internalMessage(t *testing.T) string { return plainMessageTo(t, "carol@example.co.jp") }

func plainMessageTo(t *testing.T, to string) string {
	t.Helper()
	msg, err := buildMessage("alice@example.co.jp", []string{to}, "ご連絡", "よろしくお願いします。\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "plain.eml")
	if err := os.WriteFile(p, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckSaysWhoMustAct(t *testing.T) {
	approvers := "\n[[hold.approvers]]\nsenders = [\"*@example.co.jp\"]\napprovers = [\"boss@example.co.jp\", \"alice@example.co.jp\"]\n"
	for _, c := range []struct {
		name, config string
		msg          func(*testing.T) string
		code         int
		want         []string
		notWant      []string
	}{
		{"hold", "[rules.attachment-unencrypted]\naction = \"hold\"\n", zipMessage, exitHold,
			[]string{"verdict: hold", "held: the sender (alice@example.co.jp) must confirm it", "保留: 送信者 (alice@example.co.jp) の確認が必要です"},
			[]string{"SMTP reply", "550"}},
		{"approve", "[rules.attachment-unencrypted]\naction = \"approve\"\n" + approvers, zipMessage, exitHold,
			[]string{"verdict: approve", "waiting for approval by: boss@example.co.jp\n", "承認待ち: boss@example.co.jp の承認が必要です"},
			[]string{"SMTP reply", "alice@example.co.jp の承認"}},
		{"delay", "[hold]\ndelay = \"5m\"\n", plainMessage, exitPass,
			[]string{"verdict: pass", "would be delayed 5m before it goes out", "送信ディレイ: 5m 後に送信されます"}, nil},
		{"delay of an hour and a half", "[hold]\ndelay = \"90m\"\n", plainMessage, exitPass,
			[]string{"would be delayed 1h30m before", "送信ディレイ: 1h30m 後"}, nil},
		{"no delay for internal mail", "[hold]\ndelay = \"5m\"\n", internalMessage, exitPass,
			[]string{"verdict: pass"}, []string{"delayed"}},
		{"delay for internal mail too with scope all", "[hold]\ndelay = \"5m\"\nscope = \"all\"\n", internalMessage, exitPass,
			[]string{"would be delayed 5m before"}, nil},
		{"no delay for exempt sender", "[hold]\ndelay = \"5m\"\nexempt_senders = [\"alice@example.co.jp\"]\n", plainMessage, exitPass,
			[]string{"verdict: pass"}, []string{"delayed"}},
		{"reject still rejects", "", zipMessage, exitReject, []string{"SMTP reply:\n550"}, []string{"held:"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, "", "check", "--config", writeConfig(t, c.config), c.msg(t))
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
	code, out, _ := runCmd(t, "", "check", "--json", "--config", writeConfig(t, "[rules.attachment-unencrypted]\naction = \"approve\"\n"+approvers), zipMessage(t))
	var v struct {
		Action string `json:"action"`
		Hold   struct {
			By        string   `json:"by"`
			Approvers []string `json:"approvers"`
		} `json:"hold"`
		Reply string `json:"reply"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != exitHold {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	if v.Action != "approve" || v.Hold.By != "approver" || strings.Join(v.Hold.Approvers, ",") != "boss@example.co.jp" || v.Reply != "" {
		t.Errorf("json %+v", v)
	}
}

func TestLintHoldSettings(t *testing.T) {
	code, out, _ := runCmd(t, "", "policy", "lint", "--config", writeConfig(t, "[rules.link-file-sharing]\naction = \"approve\"\n"))
	if code == 0 || !strings.Contains(out, "rules.link-file-sharing.action: approve needs someone to approve: set [[hold.approvers]] or hold.default_approvers") {
		t.Errorf("approve without approvers: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "", "policy", "lint", "--config", writeConfig(t, "[rules.link-file-sharing]\naction = \"approve\"\n[hold]\ndefault_approvers = [\"boss@example.co.jp\"]\n"))
	if code != 0 {
		t.Errorf("approve with default approvers: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "", "policy", "lint", "--config", writeConfig(t, "[rules.link-file-sharing]\naction = \"hold\"\n[rules.attachment-unencrypted]\naction = \"approve\"\n"+
		"[hold]\ndelay = \"5m\"\n[[hold.approvers]]\nsenders = [\"*@sales.example.co.jp\", \"@example.co.jp\"]\napprovers = [\"boss@example.co.jp\"]\n"))
	if code != 0 {
		t.Errorf("hold and approve with approvers by pattern: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "", "policy", "lint", "--config", writeConfig(t, "[rules.link-file-sharing]\naction = \"hold\"\n[store]\ndsn = \"\"\n"))
	if code == 0 || !strings.Contains(out, "store.dsn: empty, but held messages") {
		t.Errorf("hold with an empty store.dsn: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "", "policy", "lint", "--config", writeConfig(t, "[web]\nlisten = \"0.0.0.0:8025\"\npublic_url = \"ftp://x\"\n"))
	if code == 0 || !strings.Contains(out, "web.public_url: must be an absolute http:// or https:// URL") || !strings.Contains(out, "web.listen: the hold page is served over plain HTTP on 0.0.0.0:8025") {
		t.Errorf("web: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "", "policy", "lint", "--config", writeConfig(t, "[store]\ndsn = \"mysql://root@db/x\"\n[hold]\nscope = \"inside\"\n"))
	if code == 0 || !strings.Contains(out, "store.dsn: must start with sqlite: or postgres://") || !strings.Contains(out, "hold.scope: unknown scope") {
		t.Errorf("store/hold: exit %d\n%s", code, out)
	}
}

func TestLintRefusesAReadableStore(t *testing.T) {
	cfg := writeConfig(t, "")
	db := filepath.Join(filepath.Dir(cfg), "sendguard.db")
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(db, 0o644)
	code, out, _ := runCmd(t, "", "policy", "lint", "--config", cfg)
	if code == 0 || !strings.Contains(out, "store.dsn: the store file") || !strings.Contains(out, "chmod 600") {
		t.Errorf("readable store: exit %d\n%s", code, out)
	}
	os.Chmod(db, 0o600)
	if code, out, _ = runCmd(t, "", "policy", "lint", "--config", cfg); code != 0 {
		t.Errorf("private store: exit %d\n%s", code, out)
	}
}
