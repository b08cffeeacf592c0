package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/internal/pgtest"
	"github.com/sendguard/sendguard/store"
)

// holdStore writes a config whose store is dsn ("" = SQLite beside it)
// and puts held messages in it.
func holdStore(t *testing.T, dsn string) (string, *store.Store) {
	t.Helper()
	extra := "[explain]\nfrom = \"postmaster@example.co.jp\"\n"
	if dsn != "" {
		extra += "[store]\ndsn = \"" + dsn + "\"\n"
	}
	cfg := writeConfig(t, extra)
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(filepath.Dir(cfg), "sendguard.db")
	}
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	for i, h := range []*store.Held{
		{Ref: "aaaa1", State: store.StateConfirm, Sender: "alice@example.co.jp", Recipients: []string{"x@kokyaku-shoji.jp", "y@kokyaku-shoji.jp"},
			Rules: []string{"recipient-domain-unverified"}, ExpireAt: now.Add(72 * time.Hour),
			Summary: store.Summary{Subject: "見積書", Recipients: []store.Recipient{{Address: "x@kokyaku-shoji.jp", Class: "unverified"}},
				Attachments: []store.Attachment{{Name: "見積書.zip", Format: "zip", Size: 10, Protected: true, Method: "AES-256"}},
				Findings:    []store.Finding{{Rule: "recipient-domain-unverified", Action: "hold", ReasonJA: "未確認のドメイン", Reason: "unverified domain"}}}},
		{Ref: "bbbb2", State: store.StateApproval, Sender: "alice@example.co.jp", Recipients: []string{"z@kokyaku-shoji.jp"},
			Rules: []string{"link-file-sharing"}, Approvers: []string{"boss@example.co.jp"}, ExpireAt: now.Add(72 * time.Hour)},
		{Ref: "cccc3", State: store.StateDelayed, Sender: "bob@example.co.jp", Recipients: []string{"p@partner.example.com"},
			ReleaseAt: now.Add(5 * time.Minute)},
	} {
		h.HeldAt = now.Add(time.Duration(i) * time.Second)
		if err := st.Hold(context.Background(), h, strings.NewReader("Subject: x\r\n\r\nbody\r\n"), nil); err != nil {
			t.Fatal(err)
		}
	}
	return cfg, st
}

func TestHoldCommands(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			dsn := ""
			if kind == "postgres" {
				dsn = pgtest.DSN(t)
			}
			cfg, st := holdStore(t, dsn)
			code, out, errOut := runCmd(t, "", "hold", "list", "--config", cfg)
			if code != 0 || !strings.Contains(out, "REF") || !strings.Contains(out, "aaaa1  confirm") ||
				!strings.Contains(out, "x@kokyaku-shoji.jp (+1)") || !strings.Contains(out, "(goes out)") {
				t.Fatalf("list: %d\n%s%s", code, out, errOut)
			}
			code, out, _ = runCmd(t, "", "hold", "list", "--json", "--config", cfg)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if code != 0 || len(lines) != 3 {
				t.Fatalf("list --json: %d\n%s", code, out)
			}
			var first map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"ref", "state", "sender", "recipients", "rules", "held_at", "release_at", "expire_at"} {
				if _, ok := first[k]; !ok {
					t.Errorf("list --json lacks %q: %s", k, lines[0])
				}
			}
			if first["ref"] != "aaaa1" || first["release_at"] != nil || first["subject"] != "見積書" {
				t.Errorf("first: %v", first)
			}
			code, out, _ = runCmd(t, "", "hold", "show", "aaaa1", "--config", cfg)
			if code != 0 {
				t.Fatalf("show: %d", code)
			}
			for _, w := range []string{"state:      confirm", "x@kokyaku-shoji.jp (unverified)", "見積書.zip [zip, 10 bytes] protected (AES-256)", "未確認のドメイン", "audit trail:", "held"} {
				if !strings.Contains(out, w) {
					t.Errorf("show lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "body") {
				t.Error("show prints body text")
			}
			code, out, _ = runCmd(t, "", "hold", "release", "aaaa1", "--config", cfg)
			if code != 0 || !strings.Contains(out, "ref aaaa1 released") {
				t.Fatalf("release: %d %s", code, out)
			}
			h, _ := st.Get(context.Background(), "aaaa1")
			if h.State != store.StateQueued || !strings.HasPrefix(h.DecidedBy, "cli:") {
				t.Fatalf("after release: %+v", h)
			}
			// The sender is told (the CLI is not the sender).
			if n, _ := st.PendingNotices(context.Background()); len(n) != 1 || n[0].Kind != "sender-released" || n[0].Recipients[0] != "alice@example.co.jp" {
				t.Fatalf("notices %+v", n)
			}
			code, _, errOut = runCmd(t, "", "hold", "release", "aaaa1", "--config", cfg)
			if code != 1 || !strings.Contains(errOut, "ref aaaa1 is no longer waiting: queued (by cli:") {
				t.Fatalf("second release: %d %s", code, errOut)
			}
			code, out, _ = runCmd(t, "", "hold", "cancel", "bbbb2", "--comment", "宛先誤り", "--config", cfg)
			if h, _ := st.Get(context.Background(), "bbbb2"); code != 0 || h.State != store.StateCancelled || h.Comment != "宛先誤り" {
				t.Fatalf("cancel: %d %s %+v", code, out, h)
			}
			if code, _, errOut = runCmd(t, "", "hold", "show", "nope", "--config", cfg); code != 1 || !strings.Contains(errOut, `no held message with ref "nope"`) {
				t.Fatalf("show unknown: %d %s", code, errOut)
			}
			code, out, _ = runCmd(t, "", "hold", "list", "--all", "--json", "--config", cfg)
			if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, `"state":"cancelled"`) {
				t.Fatalf("list --all: %s", out)
			}
			code, out, _ = runCmd(t, "", "store", "check", "--config", cfg)
			if code != 0 || !strings.Contains(out, "held messages confirm") && !strings.Contains(out, "held messages queued: 1") || !strings.HasSuffix(out, "ok\n") {
				t.Fatalf("store check: %d\n%s", code, out)
			}
			code, out, _ = runCmd(t, "", "store", "check", "--json", "--config", cfg)
			var health map[string]any
			if json.Unmarshal([]byte(out), &health); code != 0 || health["version"] != float64(1) || health["kind"] != kind {
				t.Fatalf("store check --json: %s", out)
			}
		})
	}
}

func TestHoldUsage(t *testing.T) {
	cfg := writeConfig(t, "")
	for _, args := range [][]string{{"hold"}, {"hold", "frobnicate", "--config", cfg}, {"hold", "show", "--config", cfg}, {"hold", "list", "x", "--config", cfg}, {"hold", "list"}, {"store"}} {
		if code, _, _ := runCmd(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, out, _ := runCmd(t, "", "hold", "--help"); code != 0 || !strings.Contains(out, "usage: sendguard hold list") {
		t.Errorf("hold --help: %d %s", code, out)
	}
	bad := writeConfig(t, "[store]\ndsn = \"sqlite:\"\n")
	if code, _, _ := runCmd(t, "", "hold", "list", "--config", bad); code != exitConfig {
		t.Errorf("bad store: exit %d", code)
	}
}
