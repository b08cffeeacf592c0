package smtpfilter_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/internal/logcapture"
	"github.com/sendguard/sendguard/internal/testcert"
)

// Client addresses on loopback: the organisation's MTA (inside
// allowed_networks) and outsiders, which must authenticate.
var (
	mtaIP      = net.IPv4(127, 0, 0, 1)
	outsiderIP = net.IPv4(127, 0, 0, 2)
	otherIP    = net.IPv4(127, 0, 0, 3)
)

// onlyMTAAllowed makes 127.0.0.1 the only client that may relay without AUTH.
func onlyMTAAllowed(c *smtpConfig) {
	c.AllowedNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
}

// dialFrom connects to the server from the loopback address ip.
func dialFrom(t *testing.T, addr string, ip net.IP) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	// A hung server fails the test instead of hanging it.
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// clientFrom opens an SMTP client from ip; with tlsCfg it runs STARTTLS.
func clientFrom(t *testing.T, addr string, ip net.IP, tlsCfg *tls.Config) (*smtp.Client, error) {
	t.Helper()
	conn := dialFrom(t, addr, ip)
	if tlsCfg == nil {
		return smtp.NewClient(conn), nil
	}
	return smtp.NewClientStartTLS(conn, tlsCfg)
}

// waitConnections waits until the server counts n open connections.
func waitConnections(t *testing.T, h *harness, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.srv.ActiveConnections() != n {
		if time.Now().After(deadline) {
			t.Fatalf("server counts %d open connections, want %d (a slot was not released)", h.srv.ActiveConnections(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func authUsers(t *testing.T, cert *testcert.Pair, log *logcapture.Buffer, failuresPerIP int) func(*smtpConfig) {
	users := withAuth(t, cert)
	return func(c *smtpConfig) {
		users(c)
		onlyMTAAllowed(c)
		c.MaxConnections = 4
		c.MaxConnectionsAllowed = 4
		c.AuthFailuresPerIP = failuresPerIP
		c.AuthLockout = time.Minute
		c.Log = slog.New(slog.NewTextHandler(log, nil))
	}
}

// TestAuthFailuresReleaseTheirSlot: the fourth failed AUTH on a connection
// ends it with 421 and frees its slot (it used to deadlock the session and
// keep the slot for ever, so a few clients could lock the organisation's
// MTA out with 421 until a restart).
func TestAuthFailuresReleaseTheirSlot(t *testing.T) {
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	log := &logcapture.Buffer{}
	h := start(t, options{server: authUsers(t, cert, log, 0)}) // no per-IP lockout here
	for round := 0; round < 6; round++ {                       // more rounds than MaxConnections
		c, err := clientFrom(t, h.addr, outsiderIP, cert.ClientConfig())
		if err != nil {
			t.Fatalf("round %d: connect: %v", round, err)
		}
		for i := 1; i <= 5; i++ {
			err := c.Auth(sasl.NewPlainClient("", "exchange", "wrong-パス"))
			code, text := smtpCode(err)
			switch {
			case i <= 3 && code != 535:
				t.Fatalf("round %d, failure %d: %d %s, want 535", round, i, code, text)
			case i == 4 && (code != 421 || !strings.HasPrefix(text, "4.7.0")):
				t.Fatalf("round %d, failure %d: %d %s, want 421 4.7.0 and the connection closed", round, i, code, text)
			case i == 5 && err == nil:
				t.Fatalf("round %d: AUTH accepted after the connection was closed", round)
			}
			if i == 5 {
				break
			}
		}
		c.Close()
	}
	waitConnections(t, h, 0)
	// The MTA is served.
	c, err := clientFrom(t, h.addr, mtaIP, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.send(c, sender, []string{external}, message(sender, external, "s", "b\n", "", nil)); err != nil {
		t.Fatalf("the MTA after the AUTH failures: %v", err)
	}
	if strings.Contains(log.String(), "wrong-パス") {
		t.Error("the log shows a typed password")
	}
	if !strings.Contains(log.String(), "authentication failed") {
		t.Error("failed AUTH attempts were not logged")
	}
}

// TestAuthLockoutAcrossConnections: a client IP that fails AUTH too often,
// over several connections, is locked out (421 at AUTH and at connect)
// while other clients and the MTA are served, and every slot is released.
func TestAuthLockoutAcrossConnections(t *testing.T) {
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	log := &logcapture.Buffer{}
	h := start(t, options{server: authUsers(t, cert, log, 5)})

	// Several connections at once from the guessing client, 3 tries each.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var codes []int
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := clientFrom(t, h.addr, outsiderIP, cert.ClientConfig())
			if err != nil {
				return
			}
			defer c.Close()
			for j := 0; j < 3; j++ {
				code, _ := smtpCode(c.Auth(sasl.NewPlainClient("", "exchange", fmt.Sprintf("guess-%d-%d", i, j))))
				mu.Lock()
				codes = append(codes, code)
				mu.Unlock()
				if code == 421 {
					return
				}
			}
		}()
	}
	wg.Wait()
	locked := 0
	for _, c := range codes {
		if c == 421 {
			locked++
		}
	}
	if locked == 0 {
		t.Fatalf("9 AUTH attempts with wrong passwords from one IP over 3 connections (lockout after 5), none refused with 421: %v", codes)
	}
	// A new connection from that IP is refused at once.
	conn := dialFrom(t, h.addr, outsiderIP)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	greeting, _ := bufio.NewReader(conn).ReadString('\n')
	if !strings.HasPrefix(greeting, "421 4.7.0") || !strings.Contains(greeting, "authentication") {
		t.Errorf("connection from a locked-out IP: %q, want 421 4.7.0 …authentication…", greeting)
	}
	// Another IP is not affected.
	c, err := clientFrom(t, h.addr, otherIP, cert.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "exchange", "s3cret-パス")); err != nil {
		t.Errorf("AUTH from another IP: %v", err)
	}
	c.Close()
	m, err := clientFrom(t, h.addr, mtaIP, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.send(m, sender, []string{external}, message(sender, external, "s", "b\n", "", nil)); err != nil {
		t.Fatalf("the MTA during a lockout: %v", err)
	}
	m.Close()
	conn.Close()
	waitConnections(t, h, 0)
	for _, l := range []string{"guess-0-0", "guess-1-1", "guess-2-0"} {
		if strings.Contains(log.String(), l) {
			t.Errorf("the log shows a typed password %q", l)
		}
	}
	if !strings.Contains(log.String(), "locked_out=true") {
		t.Errorf("the start of the lockout was not logged:\n%s", log.String())
	}
}

// TestOutsidersCannotStarveTheMTA: clients outside allowed_networks that
// fill their budget and sit idle neither take the MTA's slots nor stay
// for ever: they are told 421 after pre_mail_timeout.
func TestOutsidersCannotStarveTheMTA(t *testing.T) {
	h := start(t, options{server: func(c *smtpConfig) {
		onlyMTAAllowed(c)
		c.MaxConnections = 3
		c.MaxConnectionsAllowed = 2
		c.MaxConnectionsPerIP = 0
		c.PreMailTimeout = 700 * time.Millisecond
	}})
	var idle []*bufio.Reader
	for i := 0; i < 3; i++ {
		conn := dialFrom(t, h.addr, outsiderIP)
		r := bufio.NewReader(conn)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if g, _ := r.ReadString('\n'); !strings.HasPrefix(g, "220") {
			t.Fatalf("outsider %d: greeting %q", i, g)
		}
		idle = append(idle, r)
	}
	extra := dialFrom(t, h.addr, otherIP)
	extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	if g, _ := bufio.NewReader(extra).ReadString('\n'); !strings.HasPrefix(g, "421 4.7.0") {
		t.Errorf("an outsider past the budget: %q, want 421 4.7.0", g)
	}
	// The MTA still gets its slot, and keeps it while idle.
	m, err := clientFrom(t, h.addr, mtaIP, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Hello("mta.example.co.jp"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond) // past pre_mail_timeout
	for i, r := range idle {
		line, _ := r.ReadString('\n')
		if !strings.HasPrefix(line, "421 4.7.0") {
			t.Errorf("idle outsider %d after pre_mail_timeout: %q, want 421 4.7.0", i, line)
		}
	}
	if _, err := h.send(m, sender, []string{external}, message(sender, external, "s", "b\n", "", nil)); err != nil {
		t.Fatalf("the MTA, idle past pre_mail_timeout: %v", err)
	}
	m.Close()
	extra.Close()
	waitConnections(t, h, 0)
}
