package smtpfilter_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sendguard/sendguard/policy"
)

func TestShutdownLetsMessagesFinish(t *testing.T) {
	h := start(t, options{})
	idle := h.raw()
	idle.cmd("EHLO idle.test", "250")
	busy := h.raw()
	busy.cmd("EHLO busy.test", "250")
	busy.cmd("MAIL FROM:<"+sender+">", "250")
	busy.cmd("RCPT TO:<"+external+">", "250")
	busy.cmd("DATA", "354")
	busy.write("Subject: in flight\r\n\r\n" + strings.Repeat("送信中の本文\r\n", 1000))

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- h.srv.Shutdown(ctx)
	}()
	if got := idle.reply(); !strings.HasPrefix(got, "421 4.3.2") {
		t.Errorf("idle session heard %q, want 421 4.3.2", got)
	}
	busy.write("最後の行\r\n.\r\n")
	if got := busy.reply(); !strings.HasPrefix(got, "250") {
		t.Fatalf("message in flight: %q, want 250", got)
	}
	if got := busy.reply(); !strings.HasPrefix(got, "421 4.3.2") {
		t.Errorf("after its message the session heard %q, want 421 4.3.2", got)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if got := h.sink.Wait(1, 5*time.Second); len(got) != 1 {
		t.Errorf("sink holds %d messages, want the one in flight", len(got))
	}
}

func TestShutdownDeadlineSays421(t *testing.T) {
	h := start(t, options{})
	busy := h.raw()
	busy.cmd("EHLO busy.test", "250")
	busy.cmd("MAIL FROM:<"+sender+">", "250")
	busy.cmd("RCPT TO:<"+external+">", "250")
	busy.cmd("DATA", "354")
	busy.write("Subject: slow\r\n\r\n" + strings.Repeat("遅い本文\r\n", 1000))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err == nil {
		t.Error("Shutdown returned nil with a session still uploading")
	}
	if got := busy.reply(); !strings.HasPrefix(got, "421 4.3.2") {
		t.Errorf("unfinished session heard %q, want 421 4.3.2", got)
	}
	if n := len(h.sink.Messages()); n != 0 {
		t.Errorf("an unfinished message reached the sink")
	}
}

// TestReloadDuringSession: a policy swapped while a transaction is open
// applies to the next transaction; the one in flight finishes on the policy
// it began with.
func TestReloadDuringSession(t *testing.T) {
	strict, _, err := policy.Compile(defaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	lenientCfg := defaultPolicy()
	lenientCfg.Rules = map[string]policy.RuleConfig{"attachment-unencrypted": {Action: "flag"}}
	lenient, _, err := policy.Compile(lenientCfg)
	if err != nil {
		t.Fatal(err)
	}
	var current atomic.Pointer[policy.Policy]
	current.Store(strict)
	h := start(t, options{server: func(c *smtpConfig) { c.Policy = current.Load }})
	msg := message(sender, external, "s", "b\n", "a.zip", plainZip(t, "a.txt", "x"))

	c := h.dial()
	if err := c.Mail(sender, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(external, nil); err != nil {
		t.Fatal(err)
	}
	current.Store(lenient) // reload mid-transaction
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(msg)
	if code, _ := smtpCode(w.Close()); code != 550 {
		t.Errorf("transaction begun under the strict policy: %d, want 550", code)
	}
	_, err = h.send(c, sender, []string{external}, msg)
	if code, _ := smtpCode(err); code != 250 {
		t.Errorf("next transaction, lenient policy: %d, want 250 (flag)", code)
	}
}
