package dispatch_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/dispatch"
	"github.com/sendguard/sendguard/internal/mailtext"
	"github.com/sendguard/sendguard/internal/smtpsink"
	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/smtpfilter"
	"github.com/sendguard/sendguard/store"
)

type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Held(event string, h *store.Held, detail string) {
	r.mu.Lock()
	r.events = append(r.events, event+":"+h.Ref)
	r.mu.Unlock()
}

func (r *recorder) Notice(event string, n *store.Notice, detail string) {
	r.mu.Lock()
	r.events = append(r.events, "notice-"+event+":"+n.Kind)
	r.mu.Unlock()
}

func (r *recorder) has(e string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.events {
		if x == e {
			return true
		}
	}
	return false
}

type fixture struct {
	st   *store.Store
	sink *smtpsink.Sink
	d    *dispatch.Dispatcher
	rec  *recorder
	now  *time.Time
	mu   *sync.Mutex
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "s.db"), store.Options{Owner: "t", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	up := &smtpfilter.SMTPUpstream{Addr: sink.Addr, Helo: "sendguard.test", ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second, DataTimeout: 5 * time.Second}
	rec := &recorder{}
	d := dispatch.New(dispatch.Config{
		Store: st,
		Deliver: func(ctx context.Context, from string, to []string, msg io.Reader) (dispatch.Result, error) {
			r, err := smtpfilter.Deliver(ctx, up, from, to, msg)
			return dispatch.Result{Reply: r.Reply, Refused: r.Refused, RefusedReason: r.RefusedReason}, err
		},
		Permanent:    smtpfilter.Permanent,
		VerdictField: smtpfilter.ReleasedVerdictField,
		Notices:      notify.HeldNotices{From: "postmaster@example.co.jp", Hostname: "sendguard.test", Now: clock},
		Events:       rec,
		Now:          clock,
		RetryBase:    time.Minute,
	})
	return &fixture{st: st, sink: sink, d: d, rec: rec, now: &now, mu: &mu}
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	*f.now = f.now.Add(d)
	f.mu.Unlock()
}

// round runs one dispatcher round and waits for its relays.
func (f *fixture) round() {
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4)
	f.d.Once(context.Background(), slots, &wg)
	wg.Wait()
}

func (f *fixture) hold(t *testing.T, ref string, st store.State, rcpts ...string) {
	t.Helper()
	h := &store.Held{Ref: ref, State: st, Sender: "tanaka@example.co.jp", Recipients: rcpts, Rules: []string{"recipient-domain-unverified"},
		FlagRules: []string{"recipient-domain-unverified"},
		Trace:     "Received: from mta ([127.0.0.1]) by sendguard.test (sendguard) id " + ref + "\r\n",
		ReleaseAt: f.now.Add(5 * time.Minute), ExpireAt: f.now.Add(72 * time.Hour)}
	body := "From: tanaka@example.co.jp\r\nTo: a@client.example.jp\r\nSubject: test " + ref + "\r\n\r\nbody " + ref + "\r\n"
	if err := f.st.Hold(context.Background(), h, strings.NewReader(body), nil); err != nil {
		t.Fatal(err)
	}
}

func TestReleasedMessageIsRelayedOnceWithHeader(t *testing.T) {
	f := newFixture(t)
	f.hold(t, "r1", store.StateConfirm, "a@client.example.jp")
	f.round()
	if f.sink.Count() != 0 {
		t.Fatal("relayed before anyone released it")
	}
	if _, err := f.st.Decide(context.Background(), "r1", store.Release, []store.State{store.StateConfirm}, store.Actor{Name: "tanaka@example.co.jp", IP: "192.0.2.1"}, "", time.Hour, nil); err != nil {
		t.Fatal(err)
	}
	f.round()
	f.round()
	msgs := f.sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages relayed, want 1", len(msgs))
	}
	data := string(msgs[0].Data)
	if !strings.Contains(data, "X-Sendguard-Verdict: flag; rules=recipient-domain-unverified; released-by=tanaka@example.co.jp; ref=r1\r\n") ||
		!strings.HasPrefix(data, "Received: from mta") || !strings.Contains(data, "body r1") {
		t.Fatalf("relayed message:\n%s", data)
	}
	h, _ := f.st.Get(context.Background(), "r1")
	if h.State != store.StateRelayed || !f.rec.has("relayed:r1") {
		t.Fatalf("state %s, events %v", h.State, f.rec.events)
	}
}

func TestDelayedMessageGoesOutAfterItsDelay(t *testing.T) {
	f := newFixture(t)
	f.hold(t, "d1", store.StateDelayed, "a@client.example.jp")
	f.round()
	if f.sink.Count() != 0 {
		t.Fatal("a delayed message went out before its delay")
	}
	f.advance(5 * time.Minute)
	f.round()
	msgs := f.sink.Messages()
	if len(msgs) != 1 || !bytes.Contains(msgs[0].Data, []byte("released-by=delay; ref=d1")) {
		t.Fatalf("%d messages: %v", len(msgs), msgs)
	}
}

func TestUpstreamDownThenBack(t *testing.T) {
	f := newFixture(t)
	f.sink.SetBehaviour(smtpsink.Behaviour{Mail: func(string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "shutting down"}
	}})
	f.hold(t, "u1", store.StateDelayed, "a@client.example.jp")
	f.advance(5 * time.Minute)
	f.round()
	h, _ := f.st.Get(context.Background(), "u1")
	if h.State != store.StateQueued || h.Attempts != 1 || !strings.Contains(h.LastError, "421") || !f.rec.has("deferred:u1") {
		t.Fatalf("after a 4xx: %+v", h)
	}
	// Not before its retry time.
	f.sink.SetBehaviour(smtpsink.Behaviour{})
	f.round()
	if f.sink.Count() != 0 {
		t.Fatal("retried before the backoff")
	}
	f.advance(time.Minute)
	f.round()
	if f.sink.Count() != 1 {
		t.Fatalf("%d relayed after the upstream came back", f.sink.Count())
	}
	f.round()
	if f.sink.Count() != 1 {
		t.Fatal("relayed twice")
	}
}

func TestPermanentRefusalEndsAndTellsTheSender(t *testing.T) {
	f := newFixture(t)
	f.sink.SetBehaviour(smtpsink.Behaviour{Rcpt: func(to string) *smtp.SMTPError {
		if strings.HasPrefix(to, "gone@") {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}})
	f.hold(t, "p1", store.StateDelayed, "gone@client.example.jp")
	f.hold(t, "p2", store.StateDelayed, "gone@client.example.jp", "a@client.example.jp")
	f.advance(5 * time.Minute)
	f.round()
	h, _ := f.st.Get(context.Background(), "p1")
	if h.State != store.StateFailed || !strings.Contains(h.LastError, "no such user") {
		t.Fatalf("p1: %+v", h)
	}
	h, _ = f.st.Get(context.Background(), "p2")
	if h.State != store.StateRelayed {
		t.Fatalf("p2: %+v", h)
	}
	msgs := f.sink.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "a@client.example.jp" {
		t.Fatalf("relayed: %+v", msgs)
	}
	// The notices (failed, partial) go out on the next round, to the sender.
	f.round()
	msgs = f.sink.Messages()
	var kinds []string
	for _, m := range msgs[1:] {
		if m.To[0] != "tanaka@example.co.jp" {
			t.Fatalf("notice to %v", m.To)
		}
		if text := plainText(t, m.Data); strings.Contains(text, "no such user") && strings.Contains(text, "ref") {
			kinds = append(kinds, "ok")
		}
	}
	if len(kinds) != 2 || !f.rec.has("notice-sent:sender-failed") || !f.rec.has("notice-sent:sender-partial") {
		t.Fatalf("notices: %d, events %v", len(msgs)-1, f.rec.events)
	}
}

func TestRetriesRunOut(t *testing.T) {
	f := newFixture(t)
	f.sink.SetBehaviour(smtpsink.Behaviour{Mail: func(string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	}})
	f.hold(t, "x1", store.StateConfirm, "a@client.example.jp")
	if _, err := f.st.Decide(context.Background(), "x1", store.Release, []store.State{store.StateConfirm}, store.Actor{Name: "tanaka@example.co.jp"}, "", 10*time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		f.round()
		f.advance(4 * time.Minute)
	}
	h, _ := f.st.Get(context.Background(), "x1")
	if h.State != store.StateFailed || !strings.Contains(h.LastError, "retries ran out") {
		t.Fatalf("%+v", h)
	}
}

func TestExpiredHoldTellsTheSender(t *testing.T) {
	f := newFixture(t)
	f.hold(t, "e1", store.StateApproval, "a@client.example.jp")
	f.advance(73 * time.Hour)
	f.round()
	h, _ := f.st.Get(context.Background(), "e1")
	if h.State != store.StateExpired || !f.rec.has("expired:e1") {
		t.Fatalf("%+v", h)
	}
	f.round()
	msgs := f.sink.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "tanaka@example.co.jp" || f.sink.Count() != 1 {
		t.Fatalf("expiry notice: %+v", msgs)
	}
}

// plainText decodes a message's text/plain parts.
func plainText(t *testing.T, raw []byte) string {
	t.Helper()
	text, err := mailtext.Plain(raw)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestOldRejectionsArePruned(t *testing.T) {
	f := newFixture(t)
	d := dispatch.New(dispatch.Config{Store: f.st, Deliver: nil, Now: func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return *f.now }, KeepRejections: 48 * time.Hour})
	ctx := context.Background()
	if err := f.st.SaveRejection(ctx, store.Rejection{Ref: "old", Sender: "a@example.co.jp"}); err != nil {
		t.Fatal(err)
	}
	f.advance(49 * time.Hour)
	if err := f.st.SaveRejection(ctx, store.Rejection{Ref: "new", Sender: "a@example.co.jp"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	d.Once(ctx, make(chan struct{}, 1), &wg)
	wg.Wait()
	if _, err := f.st.GetRejection(ctx, "old"); err == nil {
		t.Fatal("an old rejection was kept")
	}
	if _, err := f.st.GetRejection(ctx, "new"); err != nil {
		t.Fatal("a recent rejection was pruned")
	}
}

func TestMissedIncidentDeadlineIsReportedOnceAndStillSent(t *testing.T) {
	f := newFixture(t)
	f.sink.SetBehaviour(smtpsink.Behaviour{Mail: func(string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "down"}
	}})
	ctx := context.Background()
	if err := f.st.Enqueue(ctx, store.Notice{Kind: "incident", Recipients: []string{"security@example.co.jp"}, Message: []byte("Subject: incident\r\n\r\nx\r\n"), Deadline: f.now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	f.round()
	if f.rec.has("notice-missed:incident") || !f.rec.has("notice-deferred:incident") {
		t.Fatalf("events %v", f.rec.events)
	}
	f.advance(61 * time.Minute)
	f.round()
	f.round()
	missed := 0
	for _, e := range f.rec.events {
		if e == "notice-missed:incident" {
			missed++
		}
	}
	if missed != 1 {
		t.Fatalf("missed reported %d times: %v", missed, f.rec.events)
	}
	f.sink.SetBehaviour(smtpsink.Behaviour{})
	f.advance(time.Hour)
	f.round()
	if f.sink.Count() != 1 || !f.rec.has("notice-sent:incident") {
		t.Fatalf("a late notice is still sent: %d, %v", f.sink.Count(), f.rec.events)
	}
}

// A notice whose recipient's server only ever defers it (a full mailbox,
// an upstream that refuses the notices' sender with 4xx) is not retried
// for ever: after NoticeGiveUp (default 5 days, rfc/5321 section 4.5.4.1)
// it ends as refused, so the outbox's pending list stays bounded.
func TestNoticeRetriesEnd(t *testing.T) {
	f := newFixture(t)
	f.sink.SetBehaviour(smtpsink.Behaviour{Mail: func(string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
	}})
	ctx := context.Background()
	if err := f.st.Enqueue(ctx, store.Notice{Kind: "sender-held", Ref: "n1", Recipients: []string{"tanaka@example.co.jp"}, Message: []byte("Subject: held\r\n\r\nx\r\n")}); err != nil {
		t.Fatal(err)
	}
	for range 6 * 24 * 2 {
		f.round()
		f.advance(30 * time.Minute)
	}
	f.round()
	if p, _ := f.st.PendingNotices(ctx); len(p) != 0 {
		t.Fatalf("still pending after 6 days of 4xx: %+v", p)
	}
	if !f.rec.has("notice-refused:sender-held") {
		t.Fatalf("events %v", f.rec.events[len(f.rec.events)-3:])
	}
}
