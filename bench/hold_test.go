package bench_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sendguard/sendguard/internal/pgtest"
	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/smtpfilter"
	"github.com/sendguard/sendguard/store"
)

// BenchmarkHold measures what holding costs: every message goes to an
// external recipient with a timed delay set, so each one is committed to
// the store (body, row, audit line and the sender's notice in one durable
// transaction) before its 250. An op is one message held; ns/op on one
// connection is the 250 latency, msgs/s on 8 the throughput.
//
//	go test -run '^$' -bench Hold -benchtime 3s ./bench/
//
// The PostgreSQL runs need SENDGUARD_TEST_POSTGRES (see internal/pgtest).
func BenchmarkHold(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		for i, m := range messages(b)[:1] {
			for _, conns := range []int{1, 8} {
				b.Run(fmt.Sprintf("%s/%s/conns=%d", kind, msgNames[i], conns), func(b *testing.B) {
					dsn := "sqlite:" + filepath.Join(b.TempDir(), "held.db")
					if kind == "postgres" {
						dsn = pgtest.DSN(b)
					}
					st, err := store.Open(context.Background(), dsn, store.Options{})
					if err != nil {
						b.Fatal(err)
					}
					defer st.Close()
					sink := startSink(b)
					addr := startRelayWith(b, sink.Addr, func(c *smtpfilter.Config) {
						c.Holds = &smtpfilter.Holds{
							Store:   st,
							Delay:   func(string, bool) time.Duration { return time.Hour },
							Expire:  72 * time.Hour,
							Notices: notify.HeldNotices{From: "postmaster@example.co.jp", Hostname: "sendguard.bench.example.co.jp"},
						}
					})
					held := func() int64 {
						h, err := st.Check(context.Background())
						if err != nil {
							b.Fatal(err)
						}
						return int64(h.States["delayed"])
					}
					sendAndCount(b, addr, held, "the store holds", m, conns)
					if sink.Count() != 0 {
						b.Fatal("held messages reached the sink")
					}
				})
			}
		}
	}
}
