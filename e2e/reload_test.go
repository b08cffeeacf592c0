package e2e

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sendguard/sendguard/internal/smtpsink"
)

// TestReloadNarrowsAllowedNetworks: after SIGHUP with a narrowed
// allowed_networks, the next mail from a now-outside client is refused,
// the MTA still relays, and the log names the key that needs a restart.
func TestReloadNarrowsAllowedNetworks(t *testing.T) {
	bin := buildBinary(t)
	upstream, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()
	g := startGateway(t, bin, upstream.Addr)
	alice, bob := "alice@example.co.jp", "bob@partner.example.com"
	outsider := net.IPv4(127, 0, 0, 2)
	if code := sendFrom(t, g.addr, outsider, alice, bob, mail(alice, bob, "s", "本文", "", nil)); code != 250 {
		t.Fatalf("from 127.0.0.2 before the reload: %d, want 250", code)
	}

	g.baseCfg = strings.Replace(g.baseCfg, `allowed_networks = ["127.0.0.0/8"]`, `allowed_networks = ["127.0.0.1/32"]`, 1)
	g.baseCfg = strings.Replace(g.baseCfg, "listen = \""+g.addr+"\"", "listen = \"127.0.0.1:1\"", 1)
	g.writeConfig(t, "")
	g.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, func() bool {
		return scrape(t, g, "sendguard_policy_reloads_total", map[string]string{"result": "ok"}) == 1
	})
	if code := sendFrom(t, g.addr, outsider, alice, bob, mail(alice, bob, "s", "本文", "", nil)); code != 530 {
		t.Errorf("from 127.0.0.2 after narrowing allowed_networks: %d, want 530", code)
	}
	if code := sendFrom(t, g.addr, net.IPv4(127, 0, 0, 1), alice, bob, mail(alice, bob, "s", "本文", "", nil)); code != 250 {
		t.Errorf("from the MTA after the reload: %d, want 250", code)
	}
	if got := upstream.Wait(2, 5*time.Second); len(got) != 2 {
		t.Errorf("upstream holds %d messages, want 2", len(got))
	}
	logged := g.log.String()
	if !strings.Contains(logged, "take effect only after a restart") || !strings.Contains(logged, "server.listen") {
		t.Errorf("the reload did not name server.listen as needing a restart:\n%s", logged)
	}
	if strings.Contains(logged, "keys=\"[server]\"") || strings.Contains(logged, "keys=[server]") {
		t.Errorf("the reload names the whole [server] section as not applied:\n%s", logged)
	}
}
