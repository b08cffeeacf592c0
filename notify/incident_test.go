package notify_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sendguard/sendguard/notify"
)

var incidentStart = time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC) // 14:00 JST

// outbox is a fake Send: it records what was sent and fails while failures
// remain.
type outbox struct {
	mu       sync.Mutex
	sent     [][]byte
	from     []string
	to       [][]string
	calls    int
	failures int
	block    chan struct{} // when set, Send waits for it (or ctx)
}

func (o *outbox) send(ctx context.Context, from string, to []string, msg []byte) error {
	o.mu.Lock()
	o.calls++
	block := o.block
	if o.failures > 0 {
		o.failures--
		o.mu.Unlock()
		return errors.New("upstream: 451 4.4.1 connection refused")
	}
	o.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, msg)
	o.from = append(o.from, from)
	o.to = append(o.to, to)
	return nil
}

func (o *outbox) mails() [][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([][]byte(nil), o.sent...)
}

func (o *outbox) callCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.calls
}

func newIncidents(t *testing.T, clock *fakeClock, out *outbox, logs *logBuffer, delay time.Duration) *notify.Incidents {
	t.Helper()
	n, err := notify.NewIncidents(notify.IncidentConfig{
		From:       "sendguard@example.co.jp",
		To:         []string{"security@example.co.jp", "ciso@example.co.jp"},
		BatchDelay: delay,
		Hostname:   "sendguard.example.co.jp",
		Send:       out.send,
		Clock:      clock,
		Log:        slog.New(logs),
		RetryMin:   10 * time.Second,
		RetryMax:   time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close(context.Background()) })
	return n
}

func incident(ref string, at time.Time) notify.Incident {
	return notify.Incident{Ref: ref, Time: at, Sender: "taro@example.co.jp", Rule: "password-in-body",
		Evidence: "meibo.zip", Action: "reject"}
}

// TestIncidentBatching: with a 5-minute batch delay, three incidents within
// the window go out in one notice when the window closes, and the next
// incident opens a new window.
func TestIncidentBatching(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newFakeClock(incidentStart)
		out, logs := &outbox{}, &logBuffer{}
		n := newIncidents(t, clock, out, logs, 5*time.Minute)

		n.Add(incident("ref00000001", clock.Now()))
		synctest.Wait()
		clock.Advance(time.Minute)
		n.Add(notify.Incident{Ref: "ref00000002", Sender: "hanako@example.co.jp", Rule: "recipient-domain-lookalike",
			Evidence: "partner-exmaple.com resembles partner.example.com (swapped letters)", Action: "reject"})
		synctest.Wait()
		clock.Advance(time.Minute)
		n.Add(notify.Incident{Ref: "ref00000003", Time: clock.Now(), Sender: "jiro@example.co.jp", Rule: "recipient-domain-anonymous",
			Evidence: "guerrillamail.com", Action: "flag"})
		synctest.Wait()
		if got := len(out.mails()); got != 0 {
			t.Fatalf("%d notices before the window closed", got)
		}
		clock.Advance(3*time.Minute - time.Second)
		synctest.Wait()
		if got := len(out.mails()); got != 0 {
			t.Fatalf("%d notices a second before the window closed", got)
		}
		clock.Advance(time.Second)
		synctest.Wait()
		mails := out.mails()
		if len(mails) != 1 {
			t.Fatalf("%d notices when the window closed, want 1", len(mails))
		}
		if out.from[0] != "sendguard@example.co.jp" || strings.Join(out.to[0], ",") != "security@example.co.jp,ciso@example.co.jp" {
			t.Errorf("envelope %s → %v", out.from[0], out.to[0])
		}
		p := checkIncidentNotice(t, mails[0], 3)
		text := p.leaf(t, "text/plain").body
		for _, want := range []string{
			"ref00000001", "ref00000002", "ref00000003",
			"taro@example.co.jp", "hanako@example.co.jp", "jiro@example.co.jp",
			"password-in-body：受託者向け情報セキュリティ遵守事項 第6-2",
			"recipient-domain-lookalike：受託者向け情報セキュリティ遵守事項 第6-1",
			"recipient-domain-anonymous：受託者向け情報セキュリティ遵守事項 第6-3",
			"検知日時: 2026-11-26 14:00:00 JST（2026-11-26 05:00:00 UTC）",
			"連絡期限: 2026-11-26 15:00:00 JST",
			"検知日時: 2026-11-26 14:01:00 JST", // Time filled in by Add
			"Report by: 2026-11-26 15:02:00 JST",
			"フラグを付けて送信されました", "sent with a flag (delivered)",
			"送信を止めました", "stopped (not delivered)",
			"partner-exmaple.com resembles partner.example.com",
			"60分以内に甲に連絡すること",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("notice lacks %q", want)
			}
		}

		// A later incident opens a new window of its own.
		clock.Advance(time.Minute)
		n.Add(incident("ref00000004", clock.Now()))
		synctest.Wait()
		clock.Advance(4 * time.Minute)
		synctest.Wait()
		if got := len(out.mails()); got != 1 {
			t.Fatalf("%d notices 4 minutes into the second window", got)
		}
		clock.Advance(time.Minute)
		synctest.Wait()
		if mails := out.mails(); len(mails) != 2 || !strings.Contains(parseMail(t, mails[1]).leaf(t, "text/plain").body, "ref00000004") {
			t.Fatalf("second notice missing: %d notices", len(mails))
		}
		if err := n.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if errs := logs.errors(); len(errs) > 0 {
			t.Errorf("errors logged: %v", errs)
		}
	})
}

// TestIncidentImmediate: with no batch delay the notice goes out at once.
func TestIncidentImmediate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newFakeClock(incidentStart)
		out := &outbox{}
		n := newIncidents(t, clock, out, &logBuffer{}, 0)
		n.Add(incident("ref00000001", clock.Now()))
		synctest.Wait()
		if got := len(out.mails()); got != 1 {
			t.Fatalf("%d notices, want 1 at once", got)
		}
		checkIncidentNotice(t, out.mails()[0], 1)
		if err := n.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestIncidentRetry: a failing Send is logged at ERROR and retried with
// backoff; incidents arriving meanwhile join the retry; nothing is lost.
func TestIncidentRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newFakeClock(incidentStart)
		out, logs := &outbox{failures: 2}, &logBuffer{}
		n := newIncidents(t, clock, out, logs, 0)

		n.Add(incident("ref00000001", clock.Now()))
		synctest.Wait()
		if out.callCount() != 1 || len(out.mails()) != 0 {
			t.Fatalf("calls %d, sent %d", out.callCount(), len(out.mails()))
		}
		errs := logs.errors()
		if len(errs) != 1 || !strings.Contains(errs[0], "SECURITY INCIDENT NOTICE NOT SENT") ||
			!strings.Contains(errs[0], "ref00000001") || !strings.Contains(errs[0], "451 4.4.1") ||
			!strings.Contains(errs[0], "report_deadline=2026-11-26T06:00:00Z") {
			t.Fatalf("failure not logged loudly: %v", errs)
		}

		n.Add(incident("ref00000002", clock.Now()))
		synctest.Wait()
		if out.callCount() != 1 {
			t.Fatalf("retried before the backoff: %d calls", out.callCount())
		}
		clock.Advance(10 * time.Second) // first retry: fails
		synctest.Wait()
		if out.callCount() != 2 || len(logs.errors()) != 2 {
			t.Fatalf("after 10s: %d calls, %d errors", out.callCount(), len(logs.errors()))
		}
		clock.Advance(10 * time.Second) // backoff doubled: not yet
		synctest.Wait()
		if out.callCount() != 2 {
			t.Fatalf("backoff did not double: %d calls", out.callCount())
		}
		clock.Advance(10 * time.Second) // 20s after the second attempt: succeeds
		synctest.Wait()
		mails := out.mails()
		if len(mails) != 1 {
			t.Fatalf("%d notices after the retry succeeded", len(mails))
		}
		text := checkIncidentNotice(t, mails[0], 2).leaf(t, "text/plain").body
		if !strings.Contains(text, "ref00000001") || !strings.Contains(text, "ref00000002") {
			t.Errorf("retried notice lacks an incident:\n%s", text)
		}
		if err := n.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestIncidentDeadlineWarning: a notice still failing half-way to the
// 60-minute deadline says so in the log.
func TestIncidentDeadlineWarning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newFakeClock(incidentStart)
		out, logs := &outbox{failures: 1000}, &logBuffer{}
		n := newIncidents(t, clock, out, logs, 0)
		n.Add(incident("ref00000001", clock.Now()))
		synctest.Wait()
		for i := 0; i < 40; i++ {
			clock.Advance(time.Minute)
			synctest.Wait()
		}
		errs := logs.errors()
		if last := errs[len(errs)-1]; !strings.Contains(last, "60-minute reporting deadline") {
			t.Errorf("no deadline warning after 40 minutes: %s", last)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := n.Close(ctx); err == nil {
			t.Error("Close reported success for an unsent incident")
		}
	})
}

// TestIncidentCloseFlushes: Close sends what waits for its batch window at
// once; an incident added after Close is logged, not lost silently.
func TestIncidentCloseFlushes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newFakeClock(incidentStart)
		out, logs := &outbox{}, &logBuffer{}
		n := newIncidents(t, clock, out, logs, 5*time.Minute)
		n.Add(incident("ref00000001", clock.Now()))
		n.Add(incident("ref00000002", clock.Now()))
		synctest.Wait()
		if len(out.mails()) != 0 {
			t.Fatal("sent before the window closed")
		}
		if err := n.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		mails := out.mails()
		if len(mails) != 1 {
			t.Fatalf("%d notices after Close, want 1", len(mails))
		}
		checkIncidentNotice(t, mails[0], 2)
		n.Add(incident("ref00000003", clock.Now()))
		errs := logs.errors()
		if len(errs) != 1 || !strings.Contains(errs[0], "NOT NOTIFIED") || !strings.Contains(errs[0], "ref00000003") {
			t.Errorf("incident after Close: %v", errs)
		}
		if err := n.Close(context.Background()); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

// TestIncidentCloseGivesUp: when Send keeps failing until Close's deadline,
// each unsent incident is logged at ERROR and Close says how many.
func TestIncidentCloseGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newFakeClock(incidentStart)
		out, logs := &outbox{failures: 1000}, &logBuffer{}
		n := newIncidents(t, clock, out, logs, 5*time.Minute)
		n.Add(incident("ref00000001", clock.Now()))
		n.Add(incident("ref00000002", clock.Now()))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := n.Close(ctx)
		if err == nil || !strings.Contains(err.Error(), "2 incident(s) not notified") {
			t.Fatalf("Close = %v", err)
		}
		joined := strings.Join(logs.errors(), "\n")
		for _, ref := range []string{"ref00000001", "ref00000002"} {
			if !strings.Contains(joined, "SECURITY INCIDENT NOT NOTIFIED") || !strings.Contains(joined, "ref="+ref) {
				t.Errorf("unsent %s not logged:\n%s", ref, joined)
			}
		}
	})
}

// TestIncidentAddNeverBlocks: while Send hangs, Add keeps returning; past
// MaxQueue incidents are counted, logged, and named in the next notice.
func TestIncidentAddNeverBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newFakeClock(incidentStart)
		out, logs := &outbox{block: make(chan struct{})}, &logBuffer{}
		n, err := notify.NewIncidents(notify.IncidentConfig{
			From: "sendguard@example.co.jp", To: []string{"security@example.co.jp"},
			Hostname: "sendguard.example.co.jp", Send: out.send, Clock: clock, Log: slog.New(logs),
			MaxQueue: 50, MaxPerMail: 20,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.Close(context.Background()) })
		n.Add(incident("first", clock.Now()))
		synctest.Wait() // the first notice's Send now hangs
		for i := 0; i < 60; i++ {
			n.Add(incident(fmt.Sprintf("ref%08d", i), clock.Now()))
		}
		if got := len(logs.errors()); got != 10 {
			t.Errorf("%d overflow errors logged, want 10", got)
		}
		close(out.block)
		synctest.Wait()
		mails := out.mails()
		// 1 (first) + 50 queued in notices of at most 20: 20, 20, 10.
		if len(mails) != 4 {
			t.Fatalf("%d notices, want 4", len(mails))
		}
		last := parseMail(t, mails[3])
		if s := last.subject(t); !strings.Contains(s, "20件") {
			t.Errorf("last notice subject %q: want 10 listed + 10 omitted = 20", s)
		}
		if !strings.Contains(last.leaf(t, "text/plain").body, "ほかに10件を検知しましたが") {
			t.Error("omitted incidents not mentioned")
		}
		if err := n.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// checkIncidentNotice parses a notice and asserts its form: bilingual,
// auto-generated, no body, no password.
func checkIncidentNotice(t *testing.T, raw []byte, count int) *parsed {
	t.Helper()
	p := parseMail(t, raw)
	if got := strings.Join(p.tree, "\n"); got != "multipart/alternative\n  text/plain\n  text/html" {
		t.Fatalf("structure:\n%s", got)
	}
	if s, want := p.subject(t), notify.IncidentSubject(count); s != want {
		t.Errorf("Subject %q, want %q", s, want)
	}
	if !strings.HasPrefix(notify.IncidentSubject(3), "【セキュリティインシデント通知】sendguard: 3件 / Security incident notice") {
		t.Errorf("subject form: %q", notify.IncidentSubject(3))
	}
	if got := p.header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted %q", got)
	}
	if got := p.header.Get("To"); got != "<security@example.co.jp>, <ciso@example.co.jp>" && got != "<security@example.co.jp>" {
		t.Errorf("To %q", got)
	}
	text := p.leaf(t, "text/plain").body
	html := p.leaf(t, "text/html").body
	for _, want := range []string{"セキュリティインシデント通知", "Security incident notice", "受託者向け情報セキュリティ遵守事項 第2"} {
		if !strings.Contains(text, want) || !strings.Contains(html, want) {
			t.Errorf("notice lacks %q", want)
		}
	}
	all := p.allText() + string(raw)
	for _, never := range []string{bodyMarker, attachmentMarker, clearPassword, "お世話になっております"} {
		if strings.Contains(all, never) {
			t.Errorf("notice contains %q", never)
		}
	}
	return p
}

// TestIncidentNoticeGolden fixes the notice's wording.
func TestIncidentNoticeGolden(t *testing.T) {
	raw, err := notify.BuildIncidentNotice(notify.IncidentNotice{
		From: "sendguard@example.co.jp", To: []string{"security@example.co.jp"}, Hostname: "sendguard.example.co.jp",
		Incidents: []notify.Incident{
			incident("k3v9q2x7m4pa", incidentStart),
			{Ref: "b7w2n5c8d1qe", Time: incidentStart.Add(90 * time.Second), Sender: "hanako@example.co.jp",
				Rule: "recipient-domain-lookalike", Evidence: "partner-exmaple.com resembles partner.example.com (swapped letters)", Action: "flag"},
		},
		Date: incidentStart.Add(5 * time.Minute), Seq: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "incident-notice.eml", raw)
	p := checkIncidentNotice(t, raw, 2)
	golden(t, "incident-notice.txt", []byte(strings.ReplaceAll(p.leaf(t, "text/plain").body, "\r\n", "\n")))
}

func TestCheckBatchDelay(t *testing.T) {
	for _, tt := range []struct {
		in, want time.Duration
		err      bool
	}{
		{0, 0, false},
		{time.Minute, time.Minute, false},
		{5 * time.Minute, 5 * time.Minute, false},
		{20 * time.Minute, 5 * time.Minute, false},
		{59 * time.Minute, 5 * time.Minute, false},
		{60 * time.Minute, 0, true},
		{2 * time.Hour, 0, true},
		{-time.Second, 0, true},
	} {
		got, err := notify.CheckBatchDelay(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("CheckBatchDelay(%v) = %v, %v", tt.in, got, err)
		}
	}
}

func TestNewIncidentsErrors(t *testing.T) {
	send := func(context.Context, string, []string, []byte) error { return nil }
	good := notify.IncidentConfig{From: "sendguard@example.co.jp", To: []string{"security@example.co.jp"},
		Hostname: "sendguard.example.co.jp", Send: send}
	for name, mod := range map[string]func(*notify.IncidentConfig){
		"no contact":     func(c *notify.IncidentConfig) { c.To = nil },
		"bad contact":    func(c *notify.IncidentConfig) { c.To = []string{"security"} },
		"no from":        func(c *notify.IncidentConfig) { c.From = "" },
		"no send":        func(c *notify.IncidentConfig) { c.Send = nil },
		"delay 60m":      func(c *notify.IncidentConfig) { c.BatchDelay = time.Hour },
		"no hostname":    func(c *notify.IncidentConfig) { c.Hostname = "" },
		"negative delay": func(c *notify.IncidentConfig) { c.BatchDelay = -time.Minute },
	} {
		c := good
		mod(&c)
		if n, err := notify.NewIncidents(c); err == nil {
			t.Errorf("%s: no error", name)
			_ = n.Close(context.Background())
		}
	}
}

// TestIncidentWindowFromDetection: the batch window counts from when the
// incident was detected, not from when the sender goroutine saw it.
func TestIncidentWindowFromDetection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newFakeClock(incidentStart)
		out := &outbox{}
		n := newIncidents(t, clock, out, &logBuffer{}, 5*time.Minute)
		n.Add(incident("ref00000001", clock.Now().Add(-4*time.Minute)))
		synctest.Wait()
		clock.Advance(59 * time.Second)
		synctest.Wait()
		if len(out.mails()) != 0 {
			t.Fatal("sent before 5 minutes from detection")
		}
		clock.Advance(time.Second)
		synctest.Wait()
		if len(out.mails()) != 1 {
			t.Fatal("not sent 5 minutes after detection")
		}
	})
}
