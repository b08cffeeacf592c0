package smtpfilter_test

import (
	"net/netip"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"

	"github.com/sendguard/sendguard/internal/testcert"
)

// TestReloadAppliesToNewSessions: a reload's allowed networks apply to the
// next MAIL at once (also on a session already open), and its limits and
// users to the connections accepted after it.
func TestReloadAppliesToNewSessions(t *testing.T) {
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, options{server: func(c *smtpConfig) {
		c.AllowedNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		c.TLSConfig = cert.ServerConfig()
	}})
	open, err := clientFrom(t, h.addr, outsiderIP, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.send(open, sender, []string{external}, message(sender, external, "s", "b\n", "", nil)); err != nil {
		t.Fatalf("before the reload: %v", err)
	}

	hash, err := bcrypt.GenerateFromPassword([]byte("new-user-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := h.cfg
	cfg.AllowedNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} // narrowed
	cfg.MaxMessageBytes = 123456
	cfg.MaxRecipients = 2
	cfg.Users = map[string][]byte{"added": hash}
	h.srv.Reload(cfg)

	// The session opened before the reload: its next MAIL is refused.
	if code, text := smtpCode(open.Mail(sender, nil)); code != 530 {
		t.Errorf("MAIL on a session opened before narrowing allowed_networks: %d %s, want 530", code, text)
	}
	// A new connection from the now-outside address is refused too.
	c, err := clientFrom(t, h.addr, outsiderIP, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, text := smtpCode(c.Mail(sender, nil)); code != 530 {
		t.Errorf("MAIL from outside the narrowed allowed_networks: %d %s, want 530", code, text)
	}
	c.Close()
	// New limits are advertised and enforced.
	c, err = clientFrom(t, h.addr, mtaIP, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Hello("mta.example.co.jp"); err != nil {
		t.Fatal(err)
	}
	if ok, size := c.Extension("SIZE"); !ok || size != "123456" {
		t.Errorf("SIZE after the reload: %q, want 123456", size)
	}
	rcptErrs, _ := h.send(c, sender, []string{"a@partner.example.com", "b@partner.example.com", "c@partner.example.com"},
		message(sender, "a@partner.example.com", "s", "b\n", "", nil))
	if len(rcptErrs) != 3 || rcptErrs[2] == nil {
		t.Errorf("third recipient with max_recipients 2 after the reload: %v, want refused", rcptErrs)
	}
	c.Close()
	// A user added by the reload can authenticate from outside.
	c, err = clientFrom(t, h.addr, outsiderIP, cert.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "added", "new-user-pw")); err != nil {
		t.Errorf("AUTH as a user added by the reload: %v", err)
	}
	if _, err := h.send(c, sender, []string{external}, message(sender, external, "s", "b\n", "", nil)); err != nil {
		t.Errorf("sending after AUTH as the added user: %v", err)
	}
	c.Close()
	open.Close()
	waitConnections(t, h, 0)
	// Relayed: before the reload, to the two accepted recipients, after AUTH.
	if n := len(h.sink.Messages()); n != 3 {
		t.Errorf("sink holds %d messages, want 3", n)
	}
}

// TestReloadSignsOutRemovedUsers: a user authenticated on an open session
// whose account a reload removes, or whose password it changes, cannot
// relay another message on that session (530 at MAIL); it used to relay
// until the client hung up. A user the reload keeps as it was relays on.
func TestReloadSignsOutRemovedUsers(t *testing.T) {
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	keptHash, err := bcrypt.GenerateFromPassword([]byte("kept-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	newHash, err := bcrypt.GenerateFromPassword([]byte("rotated-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, options{server: func(c *smtpConfig) {
		withAuth(t, cert)(c)
		c.Users["kept"] = keptHash
		c.Users["rotated"] = keptHash
	}})
	login := func(user, pw string) *smtp.Client {
		c, err := clientFrom(t, h.addr, outsiderIP, cert.ClientConfig())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Auth(sasl.NewPlainClient("", user, pw)); err != nil {
			t.Fatalf("AUTH as %s: %v", user, err)
		}
		if _, err := h.send(c, sender, []string{external}, message(sender, external, "s", "b\n", "", nil)); err != nil {
			t.Fatalf("%s before the reload: %v", user, err)
		}
		return c
	}
	removed := login("exchange", "s3cret-パス")
	rotated := login("rotated", "kept-pw")
	kept := login("kept", "kept-pw")

	cfg := h.cfg
	cfg.Users = map[string][]byte{"kept": keptHash, "rotated": newHash}
	h.srv.Reload(cfg)
	for name, c := range map[string]*smtp.Client{"removed user": removed, "user whose password changed": rotated} {
		if code, text := smtpCode(c.Mail(sender, nil)); code != 530 {
			t.Errorf("MAIL from a %s on a session opened before the reload: %d %s, want 530", name, code, text)
		}
	}
	if _, err := h.send(kept, sender, []string{external}, message(sender, external, "s", "b\n", "", nil)); err != nil {
		t.Errorf("a user the reload kept: %v", err)
	}
	if n := len(h.sink.Messages()); n != 4 {
		t.Errorf("sink holds %d messages, want 4", n)
	}
}
