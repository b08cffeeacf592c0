package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/internal/smtpsink"
)

// TestHoldCLIWhileServing: `sendguard hold list --json` lists what the
// running server holds, `hold release` from another process gets it
// relayed by the server exactly once, `hold cancel` keeps one back.
func TestHoldCLIWhileServing(t *testing.T) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	g := holdGateway(t, sink, `expire = "1h"`)
	alice := "alice@example.co.jp"
	for _, to := range []string{"go@kokyaku-shoji.jp", "stay@kokyaku-shoji.jp"} {
		if err := sendSMTP(t, g.addr, alice, to, mail(alice, to, "件名 "+to, "本文", "", nil)); err != nil {
			t.Fatal(err)
		}
	}
	bin := buildBinary(t)
	out, err := exec.Command(bin, "hold", "list", "--json", "--config", g.config).Output()
	if err != nil {
		t.Fatalf("hold list: %v\n%s", err, out)
	}
	refs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var h struct {
			Ref        string   `json:"ref"`
			State      string   `json:"state"`
			Recipients []string `json:"recipients"`
			HeldAt     string   `json:"held_at"`
		}
		if err := json.Unmarshal([]byte(line), &h); err != nil || h.State != "confirm" || h.HeldAt == "" {
			t.Fatalf("list line %q: %v", line, err)
		}
		refs[h.Recipients[0]] = h.Ref
	}
	if len(refs) != 2 {
		t.Fatalf("listed %v", refs)
	}
	if out, err := exec.Command(bin, "hold", "cancel", refs["stay@kokyaku-shoji.jp"], "--config", g.config).CombinedOutput(); err != nil {
		t.Fatalf("cancel: %v %s", err, out)
	}
	if out, err := exec.Command(bin, "hold", "release", refs["go@kokyaku-shoji.jp"], "--config", g.config).CombinedOutput(); err != nil || !strings.Contains(string(out), "released") {
		t.Fatalf("release: %v %s", err, out)
	}
	if got := waitMessages(t, sink, 1, isTo("go@kokyaku-shoji.jp"), 10*time.Second); len(got) != 1 ||
		!strings.Contains(string(got[0].Data), "released-by=cli:") {
		t.Fatalf("released by the CLI: %d", len(got))
	}
	time.Sleep(2 * time.Second)
	if n := len(waitMessages(t, sink, 2, isTo("go@kokyaku-shoji.jp"), 0)); n != 1 {
		t.Fatalf("relayed %d times", n)
	}
	if n := len(waitMessages(t, sink, 1, isTo("stay@kokyaku-shoji.jp"), 0)); n != 0 {
		t.Fatal("the cancelled message was relayed")
	}
	cmd := exec.Command(bin, "hold", "release", refs["go@kokyaku-shoji.jp"], "--config", g.config)
	out, err = cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "no longer waiting: relayed") {
		t.Fatalf("second release: %v %s", err, out)
	}
}
