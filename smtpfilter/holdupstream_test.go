package smtpfilter_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/smtpfilter"
	"github.com/sendguard/sendguard/store"
)

// stallingUpstream is the test upstream whose connections hang on RSET
// and QUIT (an upstream that stopped answering after RCPT).
type stallingUpstream struct{ smtpfilter.Upstream }

func (u stallingUpstream) Connect(ctx context.Context) (smtpfilter.Conn, error) {
	c, err := u.Upstream.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return stallingConn{c}, nil
}

type stallingConn struct{ smtpfilter.Conn }

func (c stallingConn) Reset() error { time.Sleep(3 * time.Second); return c.Conn.Reset() }
func (c stallingConn) Close() error { time.Sleep(3 * time.Second); return c.Conn.Close() }

// Once a held message is committed, sendguard owns it and the client must
// hear 250 at once: waiting for an upstream that hangs (up to its command
// timeout, 5 minutes by default) makes clients with shorter timeouts give
// up and send the message again, and the sender then holds it twice.
func TestHeldMessageIsAcknowledgedWithoutWaitingForTheUpstream(t *testing.T) {
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "held.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := start(t, options{policy: defaultPolicy(),
		upstream: func(addr string) smtpfilter.Upstream {
			return stallingUpstream{&smtpfilter.SMTPUpstream{Addr: addr, Helo: "sendguard.test", ConnectTimeout: 5 * time.Second, CommandTimeout: 10 * time.Second, DataTimeout: 10 * time.Second}}
		},
		server: func(c *smtpfilter.Config) {
			c.Holds = &smtpfilter.Holds{Store: st, Expire: time.Hour,
				Delay:   func(string, bool) time.Duration { return time.Hour },
				Notices: notify.HeldNotices{From: "postmaster@example.co.jp", Hostname: "sendguard.test"}}
		}})
	msg := message("tanaka@example.co.jp", "a@kokyaku-shoji.jp", "見積書", "本文です。\n", "", nil)
	began := time.Now()
	reply := sendRaw(h, "tanaka@example.co.jp", []string{"a@kokyaku-shoji.jp"}, msg)
	if took := time.Since(began); !strings.HasPrefix(reply, "250 ") || took > 2*time.Second {
		t.Fatalf("reply %q after %s", reply, took)
	}
	if list, err := st.List(context.Background(), store.Filter{}); err != nil || len(list) != 1 {
		t.Fatalf("held %d: %v", len(list), err)
	}
}
