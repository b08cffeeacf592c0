package dispatch_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sendguard/sendguard/dispatch"
	"github.com/sendguard/sendguard/internal/smtpsink"
	"github.com/sendguard/sendguard/smtpfilter"
	"github.com/sendguard/sendguard/store"
)

// bigRelay is a released 16 MB message in an SQLite store, a sink whose
// first DATA stalls until resume is closed, and a settable clock.
type bigRelay struct {
	t              *testing.T
	sink           *smtpsink.Sink
	dsn            string
	mu             sync.Mutex
	now            time.Time
	body           []byte
	inData, resume chan struct{}
}

func newBigRelay(t *testing.T) (*bigRelay, *store.Store) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	r := &bigRelay{t: t, sink: sink, dsn: "sqlite:" + filepath.Join(t.TempDir(), "s.db"), now: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC),
		inData: make(chan struct{}), resume: make(chan struct{})}
	r.body = append([]byte("From: tanaka@example.co.jp\r\nSubject: big\r\n\r\n"), bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz\r\n"), 16<<20/38)...)
	st := r.open("first")
	h := &store.Held{Ref: "big1", State: store.StateConfirm, Sender: "tanaka@example.co.jp", Recipients: []string{"a@client.example.jp"}, ExpireAt: r.now.Add(time.Hour)}
	if err := st.Hold(context.Background(), h, bytes.NewReader(r.body), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Decide(context.Background(), "big1", store.Release, []store.State{store.StateConfirm}, store.Actor{Name: "cli:root"}, "", time.Hour, nil); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	sink.SetBehaviour(smtpsink.Behaviour{BeforeData: func(smtpsink.Message) {
		once.Do(func() { close(r.inData); <-r.resume })
	}})
	return r, st
}

func (r *bigRelay) clock() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.now }

func (r *bigRelay) advance(d time.Duration) { r.mu.Lock(); r.now = r.now.Add(d); r.mu.Unlock() }

func (r *bigRelay) open(owner string) *store.Store {
	st, err := store.Open(context.Background(), r.dsn, store.Options{Owner: owner, Now: r.clock})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { st.Close() })
	return st
}

func (r *bigRelay) dispatcher(st *store.Store, lease time.Duration) *dispatch.Dispatcher {
	up := &smtpfilter.SMTPUpstream{Addr: r.sink.Addr, Helo: "sendguard.test", ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second, DataTimeout: 5 * time.Second}
	return dispatch.New(dispatch.Config{Store: st, Now: r.clock, Lease: lease, Permanent: smtpfilter.Permanent, VerdictField: smtpfilter.ReleasedVerdictField,
		Deliver: func(ctx context.Context, from string, to []string, msg io.Reader) (dispatch.Result, error) {
			res, err := smtpfilter.Deliver(ctx, up, from, to, msg)
			return dispatch.Result{Reply: res.Reply}, err
		}})
}

// SIGTERM while a large released message is being relayed: once the
// shutdown grace is over the store is closed under the relay. The upstream
// must not get the part sent so far as a message; after the restart (and
// the dead process's lease) the message is relayed once, whole.
func TestStoreClosedMidRelayDeliversNothingThenOnce(t *testing.T) {
	r, first := newBigRelay(t)
	var wg sync.WaitGroup
	r.dispatcher(first, 2*time.Minute).Once(context.Background(), make(chan struct{}, 1), &wg)
	<-r.inData
	time.Sleep(100 * time.Millisecond)
	first.Close() // the grace is over
	close(r.resume)
	wg.Wait()
	time.Sleep(100 * time.Millisecond)
	if n := len(r.sink.Messages()); n != 0 {
		t.Fatalf("the upstream got %d message(s) of %d bytes out of %d", n, len(r.sink.Messages()[0].Data), len(r.body))
	}
	// The restart: another process takes the message over after the lease.
	second := r.open("second")
	r.advance(3 * time.Minute)
	r.dispatcher(second, 2*time.Minute).Once(context.Background(), make(chan struct{}, 1), &wg)
	wg.Wait()
	msgs := r.sink.Messages()
	if len(msgs) != 1 || !bytes.HasSuffix(msgs[0].Data, r.body) {
		t.Fatalf("after the restart: %d messages", len(msgs))
	}
	if got, _ := second.Get(context.Background(), "big1"); got.State != store.StateRelayed {
		t.Fatalf("state %s", got.State)
	}
}

// A replica that loses its lease mid-relay (the database was out of reach
// longer than the lease, another replica claimed the message) abandons its
// delivery before the final dot: only the new owner delivers it.
func TestLeaseLostMidRelayAbandonsTheDelivery(t *testing.T) {
	r, a := newBigRelay(t)
	b := r.open("replica-b")
	var wg sync.WaitGroup
	r.dispatcher(a, 300*time.Millisecond).Once(context.Background(), make(chan struct{}, 1), &wg)
	<-r.inData
	// The lease runs out (as the database sees it) and replica b takes
	// the message over; a's next renewal finds it lost.
	r.advance(time.Minute)
	if got, err := b.Claim(context.Background(), time.Hour, 10); err != nil || len(got) != 1 {
		t.Fatalf("b claimed %d: %v", len(got), err)
	}
	time.Sleep(300 * time.Millisecond)
	close(r.resume)
	wg.Wait()
	time.Sleep(100 * time.Millisecond)
	if n := len(r.sink.Messages()); n != 0 {
		t.Fatalf("the replica that lost its lease delivered %d message(s)", n)
	}
	if h, _ := b.Get(context.Background(), "big1"); h.State != store.StateQueued || h.Attempts != 2 {
		t.Fatalf("the abandoned relay changed the new owner's message: %+v", h)
	}
}

// Two replicas and a slow upstream: a replica sending its claimed notices
// one after the other must not let the later ones' leases run out, or the
// other replica claims and sends them too (the sender gets each notice
// twice).
func TestSlowNoticesAreNotSentTwiceByTwoReplicas(t *testing.T) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	sink.SetBehaviour(smtpsink.Behaviour{DataDelay: 300 * time.Millisecond})
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "s.db")
	up := &smtpfilter.SMTPUpstream{Addr: sink.Addr, Helo: "sendguard.test", ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second, DataTimeout: 5 * time.Second}
	replica := func(owner string) (*store.Store, *dispatch.Dispatcher) {
		st, err := store.Open(context.Background(), dsn, store.Options{Owner: owner})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st, dispatch.New(dispatch.Config{Store: st, Lease: time.Second, Permanent: smtpfilter.Permanent, VerdictField: smtpfilter.ReleasedVerdictField,
			Deliver: func(ctx context.Context, from string, to []string, msg io.Reader) (dispatch.Result, error) {
				res, err := smtpfilter.Deliver(ctx, up, from, to, msg)
				return dispatch.Result{Reply: res.Reply}, err
			}})
	}
	st, a := replica("replica-a")
	_, b := replica("replica-b")
	const n = 8
	for i := range n {
		if err := st.Enqueue(context.Background(), store.Notice{Kind: "sender-held", Ref: "r" + string(rune('a'+i)), Recipients: []string{"tanaka@example.co.jp"}, Message: []byte("Subject: held\r\n\r\nx\r\n")}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, d := range []*dispatch.Dispatcher{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				d.Once(context.Background(), make(chan struct{}, 1), &wg)
				time.Sleep(400 * time.Millisecond)
			}
		}()
		time.Sleep(1200 * time.Millisecond) // b starts once a's first leases ran out
	}
	wg.Wait()
	if got := sink.Count(); got != n {
		t.Fatalf("%d notices delivered for %d", got, n)
	}
}
