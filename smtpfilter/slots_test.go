package smtpfilter_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/internal/logcapture"
	"github.com/sendguard/sendguard/internal/testcert"
)

// expectLine reads one reply line and checks its prefix.
func expectLine(t *testing.T, r *bufio.Reader, prefix string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("want %q: %v", prefix, err)
		}
		if len(line) >= 4 && line[3] == '-' {
			continue
		}
		if !strings.HasPrefix(line, prefix) {
			t.Fatalf("got %q, want %q", line, prefix)
		}
		return
	}
}

// TestSlotsFreedOnBrokenClients: clients that hang up in the middle of
// AUTH give their slot back, and a client whose STARTTLS handshake fails is
// disconnected at once (go-smtp wrote a plain-text 550 into the broken
// connection and went on reading commands until the timeout): more rounds
// than the budget has slots all get served.
func TestSlotsFreedOnBrokenClients(t *testing.T) {
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, options{server: authUsers(t, cert, &logcapture.Buffer{}, 0)}) // 4 slots for outsiders
	for i := 0; i < 6; i++ {
		// Hang up after "AUTH LOGIN" and the user name, over TLS.
		conn := dialFrom(t, h.addr, outsiderIP)
		r := bufio.NewReader(conn)
		expectLine(t, r, "220")
		io.WriteString(conn, "EHLO x.test\r\n")
		expectLine(t, r, "250")
		io.WriteString(conn, "STARTTLS\r\n")
		expectLine(t, r, "220")
		tc := tls.Client(conn, cert.ClientConfig())
		if err := tc.Handshake(); err != nil {
			t.Fatalf("round %d: handshake: %v", i, err)
		}
		tr := bufio.NewReader(tc)
		io.WriteString(tc, "EHLO x.test\r\n")
		expectLine(t, tr, "250")
		io.WriteString(tc, "AUTH LOGIN\r\n")
		expectLine(t, tr, "334")
		io.WriteString(tc, "ZXhjaGFuZ2U=\r\n") // "exchange"
		expectLine(t, tr, "334")
		conn.Close()

		// A STARTTLS whose handshake fails (the client sends no TLS).
		bad := dialFrom(t, h.addr, outsiderIP)
		br := bufio.NewReader(bad)
		expectLine(t, br, "220")
		io.WriteString(bad, "EHLO x.test\r\n")
		expectLine(t, br, "250")
		io.WriteString(bad, "STARTTLS\r\n")
		expectLine(t, br, "220")
		io.WriteString(bad, "this is not a TLS ClientHello at all\r\n\r\n")
		bad.SetReadDeadline(time.Now().Add(3 * time.Second))
		if said, err := io.ReadAll(br); err != nil {
			t.Fatalf("round %d: the server kept the connection open after a failed STARTTLS handshake (said %q): %v", i, said, err)
		}
		bad.Close()
	}
	waitConnections(t, h, 0)
	// The budget is whole: four outsiders at once are all greeted.
	for i := 0; i < 4; i++ {
		c := dialFrom(t, h.addr, outsiderIP)
		expectLine(t, bufio.NewReader(c), "220")
		defer c.Close()
	}
}

// TestFailedSTARTTLSDoesNotHoldASlot: an outsider whose STARTTLS handshake
// failed and that then sits silent is closed by pre_mail_timeout like any
// other idle outsider.
func TestFailedSTARTTLSDoesNotHoldASlot(t *testing.T) {
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, options{server: func(c *smtpConfig) {
		withAuth(t, cert)(c)
		onlyMTAAllowed(c)
		c.PreMailTimeout = 500 * time.Millisecond
	}})
	bad := dialFrom(t, h.addr, outsiderIP)
	br := bufio.NewReader(bad)
	expectLine(t, br, "220")
	io.WriteString(bad, "STARTTLS\r\n")
	expectLine(t, br, "220")
	io.WriteString(bad, "\x16\x03\x01\x00\x05hello") // a broken ClientHello, then silence
	waitConnections(t, h, 0)
	var ne net.Error
	bad.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := io.Copy(io.Discard, br); err != nil && (!asNetErr(err, &ne) || ne.Timeout()) {
		t.Errorf("connection still open after pre_mail_timeout: %v", err)
	}
}

func asNetErr(err error, ne *net.Error) bool {
	e, ok := err.(net.Error)
	if ok {
		*ne = e
	}
	return ok
}

// TestRefusedConnectionsLeaveNoGoroutines: connections refused at connect
// (over the budget) and closed by pre_mail_timeout leave no goroutine
// behind once they are gone.
func TestRefusedConnectionsLeaveNoGoroutines(t *testing.T) {
	h := start(t, options{server: func(c *smtpConfig) {
		onlyMTAAllowed(c)
		c.MaxConnections = 2
		c.MaxConnectionsPerIP = 0
		c.PreMailTimeout = 300 * time.Millisecond
	}})
	time.Sleep(100 * time.Millisecond)
	base := runtime.NumGoroutine()
	for i := 0; i < 30; i++ {
		c := dialFrom(t, h.addr, outsiderIP)
		r := bufio.NewReader(c)
		line, _ := r.ReadString('\n')
		if i >= 2 && !strings.HasPrefix(line, "421") {
			t.Errorf("connection %d over the budget of 2: %q", i+1, line)
		}
		if i >= 2 {
			c.Close()
		}
	}
	waitConnections(t, h, 0) // the two admitted ones, after pre_mail_timeout
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before the connections:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
