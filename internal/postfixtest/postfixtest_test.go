package postfixtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/internal/smtpsink"
)

const (
	sender     = "alice@example.co.jp"
	recipient  = "bob@external.example"
	rejectText = "postfixtest-distinctive-rejection-7f3a"
	wait       = 30 * time.Second
)

func startSink(t *testing.T) *smtpsink.Sink {
	t.Helper()
	s, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// setup starts a relay sink (playing sendguard), a mailbox sink (the
// senders' mailbox server) and a Postfix between them.
func setup(t *testing.T) (pf *Instance, relay, mailbox *smtpsink.Sink) {
	t.Helper()
	relay = startSink(t)
	mailbox = startSink(t)
	pf = Start(t, Options{
		RelayHost:   relay.Addr,
		LocalDomain: "example.co.jp",
		MailboxHost: mailbox.Addr,
	})
	return pf, relay, mailbox
}

func send(t *testing.T, pf *Instance, subject string) {
	t.Helper()
	msg := fmt.Sprintf("From: Alice <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%d.%s@example.co.jp>\r\n\r\nHello from the postfixtest.\r\n",
		sender, recipient, subject, time.Now().UnixNano(), strings.ReplaceAll(subject, " ", "-"))
	// Plain SMTP: the instance offers no STARTTLS (smtp.SendMail insists).
	c, err := smtp.Dial(pf.SMTPAddr)
	if err == nil {
		err = c.SendMail(sender, []string{recipient}, strings.NewReader(msg))
		if err == nil {
			err = c.Quit()
		}
		c.Close()
	}
	if err != nil {
		t.Fatalf("submitting to postfix at %s: %v\nlog:\n%s", pf.SMTPAddr, err, pf.Logs())
	}
}

func find(msgs []smtpsink.Message, subject string) *smtpsink.Message {
	for i := range msgs {
		if bytes.Contains(msgs[i].Data, []byte("Subject: "+subject)) {
			return &msgs[i]
		}
	}
	return nil
}

// waitFor polls the sink until a message with this subject arrived.
func waitFor(t *testing.T, pf *Instance, s *smtpsink.Sink, what, subject string) *smtpsink.Message {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if m := find(s.Messages(), subject); m != nil {
			return m
		}
		s.Wait(len(s.Messages())+1, 500*time.Millisecond)
	}
	t.Fatalf("no message %q at the %s sink within %v\nlog:\n%s", subject, what, wait, pf.Logs())
	return nil
}

func TestRelayAndBounce(t *testing.T) {
	t.Parallel()
	pf, relay, mailbox := setup(t)

	// 1. Outbound mail reaches the relayhost, with Postfix's Received header.
	send(t, pf, "relayed one")
	m := waitFor(t, pf, relay, "relay", "relayed one")
	if m.From != sender || len(m.To) != 1 || m.To[0] != recipient {
		t.Errorf("relay got envelope %q → %q, want %q → %q", m.From, m.To, sender, recipient)
	}
	hdr, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("relayed message: %v", err)
	}
	received := strings.Join(hdr.Header["Received"], "\n")
	if !strings.Contains(received, "by mta.example.co.jp (Postfix") {
		t.Errorf("relayed message has no Received header by this Postfix; Received: %q", received)
	}
	if !pf.WaitQueueEmpty(wait) {
		t.Errorf("queue not empty after delivery: %v", pf.QueueFiles())
	}

	// 2. The relayhost rejects with 550: the sender gets a bounce at her
	// mailbox server, quoting the relay's answer.
	relay.SetBehaviour(smtpsink.Behaviour{Rcpt: func(to string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: rejectText}
	}})
	send(t, pf, "rejected one")
	var bounce *smtpsink.Message
	deadline := time.Now().Add(wait)
	for bounce == nil && time.Now().Before(deadline) {
		for _, b := range mailbox.Wait(1, 500*time.Millisecond) {
			if bytes.Contains(b.Data, []byte("Subject: rejected one")) {
				bounce = &b
				break
			}
		}
	}
	if bounce == nil {
		t.Fatalf("no bounce at the mailbox sink within %v; mailbox has %d messages\nlog:\n%s", wait, len(mailbox.Messages()), pf.Logs())
	}
	if bounce.From != "" || len(bounce.To) != 1 || bounce.To[0] != sender {
		t.Errorf("bounce envelope %q → %q, want <> → %q", bounce.From, bounce.To, sender)
	}
	checkBounce(t, bounce.Data)
	if n := len(relay.Messages()); n != 1 {
		t.Errorf("relay has %d messages, want 1", n)
	}
	if line := pf.WaitLog(wait, "status=bounced", rejectText); line == "" {
		t.Errorf("no status=bounced log line with the relay's text")
	}
	if !pf.WaitQueueEmpty(wait) {
		t.Errorf("queue not empty after the bounce: %v", pf.QueueFiles())
	}
}

// checkBounce asserts data is a DSN (multipart/report with a
// message/delivery-status part) that quotes the relay's 550 text.
func checkBounce(t *testing.T, data []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("bounce: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("bounce Content-Type %q (%v), want multipart/report; report-type=delivery-status\n%s", msg.Header.Get("Content-Type"), err, data)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var status []byte
	var text []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("bounce parts: %v", err)
		}
		b, _ := io.ReadAll(p)
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "message/delivery-status":
			status = b
		case "text/plain":
			if text == nil {
				text = b
			}
		}
	}
	if status == nil {
		t.Fatalf("bounce has no message/delivery-status part:\n%s", data)
	}
	for _, want := range []string{"Final-Recipient: rfc822; " + recipient, "Action: failed", "Status: 5.7.1", rejectText} {
		if !bytes.Contains(status, []byte(want)) {
			t.Errorf("delivery-status lacks %q:\n%s", want, status)
		}
	}
	if !bytes.Contains(text, []byte(rejectText)) {
		t.Errorf("bounce text lacks the relay's 550 text %q:\n%s", rejectText, text)
	}
}

func TestDeferThenFlush(t *testing.T) {
	t.Parallel()
	pf, relay, _ := setup(t)
	relay.SetBehaviour(smtpsink.Behaviour{Rcpt: func(to string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "postfixtest try again later"}
	}})
	send(t, pf, "deferred one")
	deferrals := func() int {
		return strings.Count(pf.Logs(), "status=deferred (host 127.0.0.1[127.0.0.1] said: 451 4.3.0 postfixtest try again later")
	}
	if !poll(wait, nil, func() bool { return deferrals() >= 1 }) {
		t.Fatalf("not deferred within %v\nlog:\n%s", wait, pf.Logs())
	}
	if pf.QueueIsEmpty() {
		t.Fatalf("queue empty although the relay deferred\nlog:\n%s", pf.Logs())
	}
	// A retry (by the queue manager's timers, 2-4 s; flushed if slower)
	// meets the same answer: the message stays queued.
	if !poll(wait, pf.Flush, func() bool { return deferrals() >= 2 }) {
		t.Fatalf("no retry within %v\nlog:\n%s", wait, pf.Logs())
	}
	if pf.QueueIsEmpty() {
		t.Fatalf("queue empty although the relay deferred twice\nlog:\n%s", pf.Logs())
	}
	if n := len(relay.Messages()); n != 0 {
		t.Fatalf("relay has %d messages while refusing", n)
	}

	// The relay accepts again: after a flush the message arrives.
	relay.SetBehaviour(smtpsink.Behaviour{})
	pf.Flush()
	if !poll(wait, pf.Flush, func() bool { return find(relay.Messages(), "deferred one") != nil }) {
		t.Fatalf("deferred message not delivered within %v after the relay accepted\nlog:\n%s", wait, pf.Logs())
	}
	if !pf.WaitQueueEmpty(wait) {
		t.Errorf("queue not empty after delivery: %v", pf.QueueFiles())
	}
}

// poll checks cond every 100 ms until it holds or timeout passes, calling
// nudge (if not nil) every 5 s meanwhile.
func poll(timeout time.Duration, nudge func(), cond func() bool) bool {
	start := time.Now()
	last := start
	for !cond() {
		if time.Since(start) > timeout {
			return false
		}
		if nudge != nil && time.Since(last) > 5*time.Second {
			nudge()
			last = time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// TestPortTaken gives the first attempt a port that is in use: Start must
// notice master's bind failure and try again with another port.
func TestPortTaken(t *testing.T) {
	// Not parallel: it replaces pickPort.
	if testing.Short() {
		t.Skip("-short: master takes ~3 s to give up on a taken port")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	calls := 0
	pickPort = func() (int, error) {
		calls++
		if calls == 1 {
			return taken, nil
		}
		return FreePort()
	}
	defer func() { pickPort = FreePort }()
	relay := startSink(t)
	pf := Start(t, Options{RelayHost: relay.Addr})
	if calls < 2 || pf.SMTPAddr == l.Addr().String() {
		t.Fatalf("Start used %s after %d port picks", pf.SMTPAddr, calls)
	}
}

// TestLaunch covers the non-test entry point: an instance that answers
// and is gone after Close.
func TestLaunch(t *testing.T) {
	t.Parallel()
	relay := startSink(t)
	pf, err := Launch(Options{RelayHost: relay.Addr})
	if errors.Is(err, ErrUnavailable) && os.Getenv(RequireToolsEnv) != "1" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	c, err := smtp.Dial(pf.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	pid := masterPID(pf.QueueDir)
	if !isMaster(pid, pf.ConfigDir) {
		t.Fatalf("no master running for %s (pid %d)", pf.ConfigDir, pid)
	}
	pf.Close()
	if isMaster(pid, pf.ConfigDir) {
		t.Errorf("master %d still running after Close", pid)
	}
	if _, err := os.Stat(pf.Dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after Close: %v", pf.Dir, err)
	}
}

func TestAvailable(t *testing.T) {
	p, ok := Available()
	t.Logf("postfix: %q %v", p, ok)
	if ok && p == "" {
		t.Error("Available: true with an empty path")
	}
}
