package smtpfilter_test

import (
	"encoding/base64"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"

	"github.com/sendguard/sendguard/internal/testcert"
)

// notAllowed makes loopback an outside network, so the client must AUTH.
func notAllowed(c *smtpConfig) {
	c.AllowedNetworks = []netip.Prefix{netip.MustParsePrefix("10.99.0.0/16")}
}

func withAuth(t *testing.T, cert *testcert.Pair) func(*smtpConfig) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-パス"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *smtpConfig) {
		notAllowed(c)
		c.TLSConfig = cert.ServerConfig()
		c.Users = map[string][]byte{"exchange": hash}
	}
}

func TestDisallowedClientIsRefused(t *testing.T) {
	h := start(t, options{server: notAllowed})
	c := h.dial()
	err := c.Mail(sender, nil)
	if code, text := smtpCode(err); code != 530 || !strings.HasPrefix(text, "5.7.0") {
		t.Errorf("MAIL from a disallowed client: %d %s, want 530 5.7.0", code, text)
	}
	r := h.raw()
	r.cmd("EHLO client.test", "250")
	r.cmd("MAIL FROM:<"+sender+">", "530 5.7.0")
	r.cmd("RCPT TO:<"+external+">", "5") // never an open relay
	if n := len(h.sink.Messages()); n != 0 {
		t.Errorf("sink holds %d messages", n)
	}
}

func TestAuthOverTLS(t *testing.T) {
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, options{server: withAuth(t, cert)})

	t.Run("AUTH is not offered before STARTTLS", func(t *testing.T) {
		r := h.raw()
		ehlo := r.cmd("EHLO client.test", "250")
		if strings.Contains(ehlo, "AUTH") {
			t.Errorf("AUTH offered in clear: %q", ehlo)
		}
		if !strings.Contains(ehlo, "STARTTLS") {
			t.Errorf("STARTTLS not offered: %q", ehlo)
		}
	})

	t.Run("PLAIN", func(t *testing.T) {
		c := h.dialTLS(cert.ClientConfig())
		if err := c.Auth(sasl.NewPlainClient("", "exchange", "s3cret-パス")); err != nil {
			t.Fatalf("AUTH PLAIN: %v", err)
		}
		_, err := h.send(c, sender, []string{external}, message(sender, external, "s", "b\n", "", nil))
		if code, text := smtpCode(err); code != 250 {
			t.Fatalf("DATA after AUTH: %d %s", code, text)
		}
		got := h.sink.Wait(1, 5*time.Second)
		if len(got) != 1 || !strings.Contains(string(got[0].Data), "with ESMTPSA id") {
			t.Errorf("Received field does not record TLS and AUTH")
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		c := h.dialTLS(cert.ClientConfig())
		err := c.Auth(sasl.NewPlainClient("", "exchange", "wrong"))
		if code, text := smtpCode(err); code != 535 {
			t.Errorf("AUTH with a wrong password: %d %s, want 535", code, text)
		}
		if code, _ := smtpCode(c.Mail(sender, nil)); code != 530 {
			t.Errorf("MAIL after failed AUTH: %d, want 530", code)
		}
	})

	t.Run("LOGIN", func(t *testing.T) {
		c := h.dialTLS(cert.ClientConfig())
		if err := c.Auth(&loginClient{user: "exchange", pass: "s3cret-パス"}); err != nil {
			t.Fatalf("AUTH LOGIN: %v", err)
		}
		if err := c.Mail(sender, nil); err != nil {
			t.Errorf("MAIL after AUTH LOGIN: %v", err)
		}
	})

	t.Run("LOGIN with initial response, raw", func(t *testing.T) {
		conn, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		c, err := smtp.NewClientStartTLS(conn, cert.ClientConfig())
		if err != nil {
			t.Fatal(err)
		}
		b64 := base64.StdEncoding.EncodeToString
		if err := c.Auth(&loginClient{user: "exchange", pass: "s3cret-パス", initial: true}); err != nil {
			t.Fatalf("AUTH LOGIN %s: %v", b64([]byte("exchange")), err)
		}
	})
}

func TestRequireTLS(t *testing.T) {
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, options{server: func(c *smtpConfig) {
		c.TLSConfig = cert.ServerConfig()
		c.RequireTLS = true
	}})
	c := h.dial()
	if code, text := smtpCode(c.Mail(sender, nil)); code != 530 || !strings.HasPrefix(text, "5.7.0") {
		t.Errorf("MAIL without TLS: %d %s, want 530 5.7.0", code, text)
	}
	c2 := h.dialTLS(cert.ClientConfig())
	_, err = h.send(c2, sender, []string{external}, message(sender, external, "s", "b\n", "", nil))
	if code, text := smtpCode(err); code != 250 {
		t.Errorf("DATA over TLS: %d %s", code, text)
	}
}

func TestConnectionLimits(t *testing.T) {
	h := start(t, options{server: func(c *smtpConfig) { c.MaxConnectionsPerIP = 2 }})
	a, b := h.raw(), h.raw()
	defer a.conn.Close()
	defer b.conn.Close()
	conn, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	third := &rawConn{t: t, conn: conn}
	if got := third.reply(); !strings.HasPrefix(got, "421 4.7.0") {
		t.Errorf("third connection from one IP: %q, want 421 4.7.0", got)
	}
	// Closing one frees its place.
	a.cmd("QUIT", "221")
	a.conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		r := &rawConn{t: t, conn: c}
		got := r.reply()
		c.Close()
		if strings.HasPrefix(got, "220") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no place freed after QUIT: %q", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// loginClient is a SASL LOGIN client (go-sasl has none any more).
type loginClient struct {
	user, pass string
	initial    bool
	step       int
}

func (l *loginClient) Start() (string, []byte, error) {
	if l.initial {
		l.step = 1
		return "LOGIN", []byte(l.user), nil
	}
	return "LOGIN", nil, nil
}

func (l *loginClient) Next(challenge []byte) ([]byte, error) {
	l.step++
	switch string(challenge) {
	case "Username:":
		return []byte(l.user), nil
	case "Password:":
		return []byte(l.pass), nil
	}
	return nil, nil
}
