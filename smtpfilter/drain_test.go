package smtpfilter_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// closedWithin reports whether the server closed r's connection within d
// (what it said before is read and returned).
func closedWithin(r *rawConn, d time.Duration) (said string, closed bool) {
	r.conn.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		n, err := r.conn.Read(buf)
		said += string(buf[:n])
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
				return said, false
			}
			return said, err == io.EOF || strings.Contains(err.Error(), "reset")
		}
	}
}

// TestCloseEndsEveryGeneration: Close after a reload closes the
// connections of the generation that is retiring too. go-smtp's Close is a
// no-op on a server already shutting down, so they used to stay open until
// their command timeout.
func TestCloseEndsEveryGeneration(t *testing.T) {
	h := start(t, options{})
	old := h.raw()
	old.cmd("EHLO before.test", "250")
	silent := h.raw() // greeted, never says anything: no session yet
	h.srv.Reload(h.cfg)
	fresh := h.raw()
	fresh.cmd("EHLO after.test", "250")
	if err := h.srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	for name, r := range map[string]*rawConn{"session of the old generation": old, "silent connection of the old generation": silent, "session of the new generation": fresh} {
		if said, closed := closedWithin(r, 3*time.Second); !closed {
			t.Errorf("%s still open 3 s after Close (said %q)", name, said)
		}
	}
	waitConnections(t, h, 0)
}

// TestShutdownDoesNotWaitForSilentClients: a client that connected and
// never sent a command (or never EHLO again after STARTTLS) has no session
// and no message: Shutdown tells it 421 and closes it at once instead of
// waiting for it until its deadline.
func TestShutdownDoesNotWaitForSilentClients(t *testing.T) {
	h := start(t, options{})
	silentOld := h.raw()
	h.srv.Reload(h.cfg)
	silentNew := h.raw()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	began := time.Now()
	if err := h.srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v after %v, want nil at once", err, time.Since(began).Round(time.Millisecond))
	}
	if d := time.Since(began); d > 3*time.Second {
		t.Errorf("Shutdown took %v with only silent clients connected", d.Round(time.Millisecond))
	}
	for name, r := range map[string]*rawConn{"before the reload": silentOld, "after the reload": silentNew} {
		said, closed := closedWithin(r, 3*time.Second)
		if !closed {
			t.Errorf("silent client %s still open after Shutdown", name)
		}
		if !strings.HasPrefix(said, "421 4.3.2") {
			t.Errorf("silent client %s heard %q, want 421 4.3.2", name, said)
		}
	}
}

// TestShutdownAfterReloadLetsBothGenerationsFinish: Shutdown with two
// generations alive lets a message in flight on the old one finish (250,
// relayed), tells the idle session of the new one 421, and returns.
func TestShutdownAfterReloadLetsBothGenerationsFinish(t *testing.T) {
	h := start(t, options{})
	busy := h.raw()
	busy.cmd("EHLO busy.test", "250")
	busy.cmd("MAIL FROM:<"+sender+">", "250")
	busy.cmd("RCPT TO:<"+external+">", "250")
	busy.cmd("DATA", "354")
	busy.write("Subject: in flight\r\n\r\n" + strings.Repeat("送信中\r\n", 500))
	h.srv.Reload(h.cfg)
	idle := h.raw()
	idle.cmd("EHLO idle.test", "250")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- h.srv.Shutdown(ctx)
	}()
	if got := idle.reply(); !strings.HasPrefix(got, "421 4.3.2") {
		t.Errorf("idle session of the new generation heard %q, want 421 4.3.2", got)
	}
	busy.write("end\r\n.\r\n")
	if got := busy.reply(); !strings.HasPrefix(got, "250") {
		t.Fatalf("message in flight on the old generation: %q, want 250", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return after the last message")
	}
	if got := h.sink.Wait(1, 5*time.Second); len(got) != 1 {
		t.Errorf("sink holds %d messages, want the one in flight", len(got))
	}
}

// TestReloadDuringMessageKeepsItsSettings: a message in flight when a
// reload lowers max_message_bytes and switches bare_newline finishes on
// the settings its connection started with; the next connection gets the
// new ones.
func TestReloadDuringMessageKeepsItsSettings(t *testing.T) {
	h := start(t, options{})
	r := h.raw()
	r.cmd("EHLO mta.test", "250")
	r.cmd("MAIL FROM:<"+sender+">", "250")
	r.cmd("RCPT TO:<"+external+">", "250")
	r.cmd("DATA", "354")
	body := strings.Repeat("0123456789abcdef\r\n", 200) // 3.6 KB
	r.write("Subject: in flight\r\n\r\n" + body)
	cfg := h.cfg
	cfg.MaxMessageBytes = 1000
	h.srv.Reload(cfg)
	r.write(".\r\n")
	if got := r.reply(); !strings.HasPrefix(got, "250") {
		t.Fatalf("message begun before the reload: %q, want 250 (old max_message_bytes)", got)
	}
	r.cmd("QUIT", "221")
	if got := h.sink.Wait(1, 5*time.Second); len(got) != 1 || !strings.HasSuffix(string(got[0].Data), body) {
		t.Fatalf("the message begun before the reload was not relayed whole")
	}
	n := h.raw()
	n.cmd("EHLO mta.test", "250")
	n.cmd("MAIL FROM:<"+sender+">", "250")
	n.cmd("RCPT TO:<"+external+">", "250")
	n.cmd("DATA", "354")
	n.write("Subject: after\r\n\r\n" + body + ".\r\n")
	if got := n.reply(); !strings.HasPrefix(got, "552") {
		t.Errorf("message after the reload: %q, want 552 (new max_message_bytes)", got)
	}
}
