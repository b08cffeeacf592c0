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

// SIGTERM while a large released message is being relayed: once the
// shutdown grace is over the store is closed under the relay. The upstream
// must not get the part sent so far as a message; after the restart (and
// the dead process's lease) the message is relayed once, whole.
func TestStoreClosedMidRelayDeliversNothingThenOnce(t *testing.T) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "s.db")
	open := func(owner string) *store.Store {
		st, err := store.Open(context.Background(), dsn, store.Options{Owner: owner, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	up := &smtpfilter.SMTPUpstream{Addr: sink.Addr, Helo: "sendguard.test", ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second, DataTimeout: 5 * time.Second}
	dispatcher := func(st *store.Store) *dispatch.Dispatcher {
		return dispatch.New(dispatch.Config{Store: st, Now: clock, Lease: 2 * time.Minute,
			Deliver: func(ctx context.Context, from string, to []string, msg io.Reader) (dispatch.Result, error) {
				r, err := smtpfilter.Deliver(ctx, up, from, to, msg)
				return dispatch.Result{Reply: r.Reply}, err
			}, Permanent: smtpfilter.Permanent})
	}
	first := open("first")
	body := append([]byte("From: tanaka@example.co.jp\r\nSubject: big\r\n\r\n"), bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz\r\n"), 16<<20/38)...)
	h := &store.Held{Ref: "big1", State: store.StateConfirm, Sender: "tanaka@example.co.jp", Recipients: []string{"a@client.example.jp"}, ExpireAt: now.Add(time.Hour)}
	if err := first.Hold(context.Background(), h, bytes.NewReader(body), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Decide(context.Background(), "big1", store.Release, []store.State{store.StateConfirm}, store.Actor{Name: "cli:root"}, "", time.Hour, nil); err != nil {
		t.Fatal(err)
	}
	// The upstream stalls at DATA: the relay blocks mid-body.
	inData, resume := make(chan struct{}), make(chan struct{})
	sink.SetBehaviour(smtpsink.Behaviour{BeforeData: func(smtpsink.Message) { close(inData); <-resume }})
	var wg sync.WaitGroup
	dispatcher(first).Once(context.Background(), make(chan struct{}, 1), &wg)
	<-inData
	time.Sleep(100 * time.Millisecond)
	first.Close() // the grace is over
	close(resume)
	wg.Wait()
	time.Sleep(100 * time.Millisecond)
	if n := len(sink.Messages()); n != 0 {
		t.Fatalf("the upstream got %d message(s) of %d bytes out of %d", n, len(sink.Messages()[0].Data), len(body))
	}
	// The restart: another process takes the message over after the lease.
	sink.SetBehaviour(smtpsink.Behaviour{})
	second := open("second")
	defer second.Close()
	mu.Lock()
	now = now.Add(3 * time.Minute)
	mu.Unlock()
	dispatcher(second).Once(context.Background(), make(chan struct{}, 1), &wg)
	wg.Wait()
	msgs := sink.Messages()
	if len(msgs) != 1 || !bytes.HasSuffix(msgs[0].Data, body) {
		t.Fatalf("after the restart: %d messages", len(msgs))
	}
	got, _ := second.Get(context.Background(), "big1")
	if got.State != store.StateRelayed {
		t.Fatalf("state %s", got.State)
	}
}
