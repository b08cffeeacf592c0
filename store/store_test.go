package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sendguard/sendguard/internal/pgtest"
	"github.com/sendguard/sendguard/store"
)

// clock is a settable test clock shared by the stores of one test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// backends runs f against SQLite and PostgreSQL; open opens another
// process's view of the same database (another replica).
func backends(t *testing.T, f func(t *testing.T, open func(owner string) *store.Store, clk *clock)) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			var dsn string
			if kind == "sqlite" {
				dsn = "sqlite:" + filepath.Join(t.TempDir(), "sub", "sendguard.db")
			} else {
				dsn = pgtest.DSN(t)
			}
			clk := &clock{t: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}
			open := func(owner string) *store.Store {
				s, err := store.Open(context.Background(), dsn, store.Options{Owner: owner, Now: clk.now})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			f(t, open, clk)
		})
	}
}

func held(ref string, st store.State, clk *clock) *store.Held {
	return &store.Held{
		Ref: ref, State: st, Sender: "tanaka@example.co.jp", Recipients: []string{"a@client.example.jp", "b@partner.example.com"},
		Rules: []string{"recipient-domain-unverified"}, Approvers: []string{"boss@example.co.jp"},
		Summary: store.Summary{Subject: "見積書の送付", Action: "approve",
			Recipients:  []store.Recipient{{Address: "a@client.example.jp", Class: "unverified"}},
			Attachments: []store.Attachment{{Name: "見積書.zip", Format: "zip", Size: 1234, Protected: true, Method: "AES-256"}}},
		Trace:     "Received: from mta by sendguard\r\n",
		ReleaseAt: clk.now().Add(5 * time.Minute), ExpireAt: clk.now().Add(72 * time.Hour),
	}
}

func TestHoldKeepsMessageAndBody(t *testing.T) {
	backends(t, func(t *testing.T, open func(string) *store.Store, clk *clock) {
		ctx := context.Background()
		s := open("a")
		// 600 KB crosses chunk boundaries.
		body := bytes.Repeat([]byte("0123456789abcdef\r\n"), 600<<10/18)
		h := held("ref1", store.StateApproval, clk)
		notice := store.Notice{Kind: "approver-held", Ref: "ref1", Recipients: []string{"boss@example.co.jp"}, Message: []byte("Subject: x\r\n\r\nx\r\n")}
		if err := s.Hold(ctx, h, bytes.NewReader(body), []store.Notice{notice}); err != nil {
			t.Fatal(err)
		}
		// A second process (the CLI) sees it.
		cli := open("cli")
		got, err := cli.Get(ctx, "ref1")
		if err != nil {
			t.Fatal(err)
		}
		if got.State != store.StateApproval || got.Sender != h.Sender || got.Size != int64(len(body)) ||
			got.Summary.Subject != "見積書の送付" || got.Summary.Attachments[0].Name != "見積書.zip" || len(got.Recipients) != 2 {
			t.Fatalf("got %+v", got)
		}
		r, err := cli.Body(ctx, "ref1")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(b, body) {
			t.Fatalf("body: %d bytes, err %v; want %d", len(b), err, len(body))
		}
		list, err := cli.List(ctx, store.Filter{})
		if err != nil || len(list) != 1 || list[0].Ref != "ref1" {
			t.Fatalf("list %v %v", list, err)
		}
		pending, err := cli.PendingNotices(ctx)
		if err != nil || len(pending) != 1 || pending[0].Kind != "approver-held" {
			t.Fatalf("pending notices %v %v", pending, err)
		}
		// The same ref twice is refused, and leaves nothing behind.
		if err := s.Hold(ctx, h, bytes.NewReader([]byte("x")), []store.Notice{notice}); err == nil {
			t.Fatal("a second hold with the same ref was accepted")
		}
		if p, _ := cli.PendingNotices(ctx); len(p) != 1 {
			t.Fatalf("a refused hold left %d notices", len(p))
		}
		hl, err := s.Check(ctx)
		if err != nil || len(hl.Problems) != 0 || hl.Version != hl.Expected || hl.States["approval"] != 1 {
			t.Fatalf("check %+v %v", hl, err)
		}
	})
}

func TestDecisions(t *testing.T) {
	backends(t, func(t *testing.T, open func(string) *store.Store, clk *clock) {
		ctx := context.Background()
		s := open("a")
		for _, ref := range []string{"c1", "c2", "c3"} {
			if err := s.Hold(ctx, held(ref, store.StateConfirm, clk), bytes.NewReader([]byte("m")), nil); err != nil {
				t.Fatal(err)
			}
		}
		sender := store.Actor{Name: "tanaka@example.co.jp", IP: "192.0.2.7"}
		waiting := []store.State{store.StateConfirm, store.StateDelayed}
		// Cancel: done, body gone, a notice written with it.
		h, err := s.Decide(ctx, "c1", store.Cancel, waiting, sender, "", time.Hour, func(h *store.Held) []store.Notice {
			return []store.Notice{{Kind: "sender-cancelled", Ref: h.Ref, Recipients: []string{h.Sender}, Message: []byte("x")}}
		})
		if err != nil || h.State != store.StateCancelled || h.DecidedBy != sender.Name || h.DecidedFrom != "192.0.2.7" {
			t.Fatalf("cancel: %+v %v", h, err)
		}
		if _, err := s.Body(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("body of a cancelled message: %v", err)
		}
		// A cancelled message can no longer be released.
		if _, err := s.Decide(ctx, "c1", store.Release, waiting, sender, "", time.Hour, nil); !errors.Is(err, store.ErrState) {
			t.Fatalf("release after cancel: %v", err)
		}
		// An approver's decision is not valid on a message that waits for its sender.
		if _, err := s.Decide(ctx, "c2", store.Refuse, []store.State{store.StateApproval}, store.Actor{Name: "boss"}, "no", time.Hour, nil); !errors.Is(err, store.ErrState) {
			t.Fatalf("refuse on a confirm message: %v", err)
		}
		if _, err := s.Decide(ctx, "nope", store.Release, waiting, sender, "", time.Hour, nil); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown ref: %v", err)
		}
		h, err = s.Decide(ctx, "c2", store.Release, waiting, sender, "", time.Hour, nil)
		if err != nil || h.State != store.StateQueued {
			t.Fatalf("release: %+v %v", h, err)
		}
		trail, err := s.Trail(ctx, "c1")
		if err != nil || len(trail) != 2 || trail[0].Event != "held" || trail[1].Event != "cancelled" || trail[1].IP != "192.0.2.7" {
			t.Fatalf("trail %+v %v", trail, err)
		}
		if p, _ := s.PendingNotices(ctx); len(p) != 1 || p[0].Kind != "sender-cancelled" {
			t.Fatalf("notices %+v", p)
		}
	})
}

func TestClaimIsExclusive(t *testing.T) {
	backends(t, func(t *testing.T, open func(string) *store.Store, clk *clock) {
		ctx := context.Background()
		a, b := open("replica-a"), open("replica-b")
		const n = 60
		for i := range n {
			ref := "q" + string(rune('A'+i/26)) + string(rune('a'+i%26))
			if err := a.Hold(ctx, held(ref, store.StateConfirm, clk), bytes.NewReader([]byte("m")), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Decide(ctx, ref, store.Release, []store.State{store.StateConfirm}, store.Actor{Name: "s"}, "", time.Hour, nil); err != nil {
				t.Fatal(err)
			}
		}
		// Both replicas claim at once, over and over: every message is
		// claimed by exactly one.
		var mu sync.Mutex
		owner := map[string]string{}
		var wg sync.WaitGroup
		var dup atomic.Int32
		for _, s := range []*store.Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 20 {
					got, err := s.Claim(ctx, time.Minute, 7)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, h := range got {
						if _, ok := owner[h.Ref]; ok {
							dup.Add(1)
						}
						owner[h.Ref] = s.Owner()
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if dup.Load() != 0 || len(owner) != n {
			t.Fatalf("%d claimed twice, %d of %d claimed", dup.Load(), len(owner), n)
		}
		// Only the owner may finish it.
		var ref, own string
		for r, o := range owner {
			ref, own = r, o
			break
		}
		other := a
		if own == a.Owner() {
			other = b
		}
		if err := other.Relayed(ctx, ref, "250 ok"); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("a non-owner finished the relay: %v", err)
		}
		// The owner dies; after the lease the other replica takes it over.
		clk.add(2 * time.Minute)
		got, err := other.Claim(ctx, time.Minute, 100)
		if err != nil || len(got) != n {
			t.Fatalf("after the lease: %d claimed, %v", len(got), err)
		}
		for _, h := range got {
			if h.Attempts != 2 {
				t.Fatalf("%s attempts %d", h.Ref, h.Attempts)
			}
			if err := other.Relayed(ctx, h.Ref, "250 2.0.0 queued"); err != nil {
				t.Fatal(err)
			}
		}
		// The first owner's late answer changes nothing.
		first := b
		if other == b {
			first = a
		}
		if err := first.Relayed(ctx, ref, "250"); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("the dead owner finished a relayed message: %v", err)
		}
		h, _ := a.Get(ctx, ref)
		if h.State != store.StateRelayed || h.UpstreamReply != "250 2.0.0 queued" {
			t.Fatalf("%+v", h)
		}
	})
}

func TestDelayRetryExpire(t *testing.T) {
	backends(t, func(t *testing.T, open func(string) *store.Store, clk *clock) {
		ctx := context.Background()
		s := open("a")
		if err := s.Hold(ctx, held("d1", store.StateDelayed, clk), bytes.NewReader([]byte("m")), nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Hold(ctx, held("e1", store.StateApproval, clk), bytes.NewReader([]byte("m")), nil); err != nil {
			t.Fatal(err)
		}
		// Not before its delay.
		if got, _ := s.Claim(ctx, time.Minute, 10); len(got) != 0 {
			t.Fatalf("claimed %d before the delay", len(got))
		}
		clk.add(5 * time.Minute)
		got, err := s.Claim(ctx, time.Minute, 10)
		if err != nil || len(got) != 1 || got[0].Ref != "d1" || got[0].DecidedBy != "delay" {
			t.Fatalf("after the delay: %+v %v", got, err)
		}
		// A temporary failure: back to the queue, not before next.
		if err := s.Retry(ctx, "d1", "451 try later", clk.now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Claim(ctx, time.Minute, 10); len(got) != 0 {
			t.Fatal("claimed before the retry time")
		}
		clk.add(time.Minute)
		if got, _ := s.Claim(ctx, time.Minute, 10); len(got) != 1 || got[0].LastError != "451 try later" {
			t.Fatalf("retry: %+v", got)
		}
		if err := s.Failed(ctx, "d1", "550 no such user", []store.Notice{{Kind: "sender-failed", Ref: "d1", Recipients: []string{"tanaka@example.co.jp"}, Message: []byte("x")}}); err != nil {
			t.Fatal(err)
		}
		// Expiry: the approval nobody gave.
		if ex, _ := s.Expire(ctx, 10, nil); len(ex) != 0 {
			t.Fatal("expired too early")
		}
		clk.add(72 * time.Hour)
		ex, err := s.Expire(ctx, 10, func(h *store.Held) []store.Notice {
			return []store.Notice{{Kind: "sender-expired", Ref: h.Ref, Recipients: []string{h.Sender}, Message: []byte("x")}}
		})
		if err != nil || len(ex) != 1 || ex[0].Ref != "e1" || ex[0].State != store.StateExpired {
			t.Fatalf("expire: %+v %v", ex, err)
		}
		p, _ := s.PendingNotices(ctx)
		if len(p) != 2 || p[0].Kind != "sender-failed" || p[1].Kind != "sender-expired" {
			t.Fatalf("notices %+v", p)
		}
		h, _ := s.Get(ctx, "d1")
		if h.State != store.StateFailed || h.LastError != "550 no such user" {
			t.Fatalf("%+v", h)
		}
	})
}

func TestOutbox(t *testing.T) {
	backends(t, func(t *testing.T, open func(string) *store.Store, clk *clock) {
		ctx := context.Background()
		a, b := open("a"), open("b")
		if err := a.Enqueue(ctx, store.Notice{Kind: "incident", Recipients: []string{"sec@example.co.jp"}, Message: []byte("incident"), Deadline: clk.now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		got, err := a.ClaimNotices(ctx, time.Minute, 10)
		if err != nil || len(got) != 1 || string(got[0].Message) != "incident" {
			t.Fatalf("%+v %v", got, err)
		}
		if other, _ := b.ClaimNotices(ctx, time.Minute, 10); len(other) != 0 {
			t.Fatal("a leased notice was claimed twice")
		}
		if err := a.NoticeRetry(ctx, got[0].ID, "upstream down", clk.now().Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		clk.add(61 * time.Minute)
		missed, err := b.MarkMissed(ctx)
		if err != nil || len(missed) != 1 {
			t.Fatalf("missed %+v %v", missed, err)
		}
		if again, _ := b.MarkMissed(ctx); len(again) != 0 {
			t.Fatal("a missed deadline was reported twice")
		}
		got, _ = b.ClaimNotices(ctx, time.Minute, 10)
		if len(got) != 1 || got[0].Attempts != 2 {
			t.Fatalf("%+v", got)
		}
		if err := b.NoticeSent(ctx, got[0].ID); err != nil {
			t.Fatal(err)
		}
		if p, _ := a.PendingNotices(ctx); len(p) != 0 {
			t.Fatalf("pending after sent: %+v", p)
		}
		hl, _ := a.Check(ctx)
		if hl.OutboxPending != 0 {
			t.Fatalf("%+v", hl)
		}
	})
}

func TestRejections(t *testing.T) {
	backends(t, func(t *testing.T, open func(string) *store.Store, clk *clock) {
		ctx := context.Background()
		s := open("a")
		r := store.Rejection{Ref: "r1", Sender: "tanaka@example.co.jp", Summary: store.Summary{Action: "reject",
			Findings: []store.Finding{{Rule: "attachment-unencrypted", ReasonJA: "暗号化されていない添付ファイル", Reason: "unencrypted attachment"}}}}
		if err := s.SaveRejection(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetRejection(ctx, "r1")
		if err != nil || got.Summary.Findings[0].ReasonJA != "暗号化されていない添付ファイル" || got.Sender != r.Sender {
			t.Fatalf("%+v %v", got, err)
		}
		if _, err := s.GetRejection(ctx, "r2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		clk.add(time.Hour)
		if n, _ := s.PruneRejections(ctx, clk.now()); n != 1 {
			t.Fatalf("pruned %d", n)
		}
	})
}

func TestOpenRefusesUnknownDSN(t *testing.T) {
	_, err := store.Open(context.Background(), "mysql://root:secret@db/x", store.Options{})
	if err == nil || bytes.Contains([]byte(err.Error()), []byte("secret")) {
		t.Fatalf("err %v", err)
	}
}

func TestSQLiteFileIsPrivate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.db")
	s, err := store.Open(context.Background(), "sqlite:"+p, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Hold(context.Background(), &store.Held{Ref: "r", State: store.StateConfirm}, strings.NewReader("body"), nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{p, p + "-wal", p + "-shm"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode %04o: others can read held messages", f, st.Mode().Perm())
		}
	}
}
