package e2e

import (
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sendguard/sendguard/internal/smtpsink"
)

// TestSIGTERMAfterSIGHUP: SIGTERM with two server generations alive (one
// retiring after a SIGHUP). The message in flight on the old generation
// finishes (250, relayed); an idle session and a client that never said
// anything hear 421 4.3.2 at once; the process exits well before the 30 s
// grace (it used to wait the whole grace for the silent client, and the
// retiring generation's connections were never closed by go-smtp).
func TestSIGTERMAfterSIGHUP(t *testing.T) {
	upstream, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()
	g := startGateway(t, buildBinary(t), upstream.Addr)
	dial := func() (net.Conn, *lineReader) {
		c, err := net.Dial("tcp", g.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		r := &lineReader{c: c}
		if got := r.reply(t); !strings.HasPrefix(got, "220") {
			t.Fatalf("greeting %q", got)
		}
		return c, r
	}
	busy, busyR := dial()
	for _, step := range []struct{ send, want string }{
		{"EHLO mta.test\r\n", "250"}, {"MAIL FROM:<alice@example.co.jp>\r\n", "250"},
		{"RCPT TO:<bob@partner.example.com>\r\n", "250"}, {"DATA\r\n", "354"},
	} {
		io.WriteString(busy, step.send)
		if got := busyR.reply(t); !strings.HasPrefix(got, step.want) {
			t.Fatalf("after %q: %q", step.send, got)
		}
	}
	io.WriteString(busy, "Subject: in flight\r\n\r\n"+strings.Repeat("本文\r\n", 500))

	g.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, func() bool {
		return scrape(t, g, "sendguard_policy_reloads_total", map[string]string{"result": "ok"}) == 1
	})
	idle, idleR := dial()
	io.WriteString(idle, "EHLO idle.test\r\n")
	if got := idleR.reply(t); !strings.HasPrefix(got, "250") {
		t.Fatalf("EHLO after the reload: %q", got)
	}
	_, silentR := dial() // greeted, says nothing

	began := time.Now()
	g.cmd.Process.Signal(syscall.SIGTERM)
	for name, r := range map[string]*lineReader{"idle session": idleR, "silent client": silentR} {
		if got := r.reply(t); !strings.HasPrefix(got, "421 4.3.2") {
			t.Errorf("%s heard %q after SIGTERM, want 421 4.3.2", name, got)
		}
	}
	io.WriteString(busy, ".\r\n")
	if got := busyR.reply(t); !strings.HasPrefix(got, "250") {
		t.Fatalf("message in flight on the old generation at SIGTERM: %q, want 250", got)
	}
	if n := len(upstream.Wait(1, 5*time.Second)); n != 1 {
		t.Errorf("upstream holds %d messages, want the one in flight", n)
	}
	select {
	case <-g.exited:
	case <-time.After(40 * time.Second):
		t.Fatal("sendguard did not exit after SIGTERM")
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("sendguard took %v to exit: it waited for clients with no message in flight", d.Round(time.Second))
	}
	if code := g.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
	if strings.Contains(g.log.String(), "shutdown deadline reached") {
		t.Errorf("shutdown hit its deadline:\n%s", g.log.String())
	}
}

// TestBareNewlineNormalizeWired: server.bare_newline = "normalize" in the
// configuration file reaches the SMTP server: a script's bare-LF message
// is relayed with CRLF only, a bare CR is still refused; the default
// refuses the bare LF.
func TestBareNewlineNormalizeWired(t *testing.T) {
	bin := buildBinary(t)
	for _, c := range []struct {
		keys       string
		wantBareLF string
	}{{`bare_newline = "normalize"`, "250"}, {"", "550 5.6.0"}} {
		upstream, err := smtpsink.Start(smtpsink.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer upstream.Close()
		g := startGatewayWith(t, bin, upstream.Addr, c.keys)
		send := func(data string) string {
			conn, err := net.Dial("tcp", g.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			r := &lineReader{c: conn}
			for _, step := range []struct{ send, want string }{
				{"", "220"}, {"EHLO script.test\r\n", "250"}, {"MAIL FROM:<alice@example.co.jp>\r\n", "250"},
				{"RCPT TO:<bob@partner.example.com>\r\n", "250"}, {"DATA\r\n", "354"},
			} {
				io.WriteString(conn, step.send)
				if got := r.reply(t); !strings.HasPrefix(got, step.want) {
					t.Fatalf("after %q: %q", step.send, got)
				}
			}
			io.WriteString(conn, data)
			return r.reply(t)
		}
		if got := send("Subject: cron\nFrom: alice@example.co.jp\n\nbackup done\r\n.\r\n"); !strings.HasPrefix(got, c.wantBareLF) {
			t.Errorf("%q: bare LF message: %q, want %s", c.keys, got, c.wantBareLF)
		}
		if got := send("Subject: cron\r\n\r\nback\rup\r\n.\r\n"); !strings.HasPrefix(got, "550 5.6.0") {
			t.Errorf("%q: bare CR message: %q, want 550 5.6.0", c.keys, got)
		}
		if c.wantBareLF == "250" {
			msgs := upstream.Wait(1, 5*time.Second)
			if len(msgs) != 1 || !strings.HasSuffix(string(msgs[0].Data), "Subject: cron\r\nFrom: alice@example.co.jp\r\n\r\nbackup done\r\n") {
				t.Errorf("upstream received %d messages, want the normalized one", len(msgs))
			}
		} else if n := len(upstream.Messages()); n != 0 {
			t.Errorf("default mode relayed %d messages", n)
		}
	}
}
