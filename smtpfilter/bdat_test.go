package smtpfilter_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/smtpfilter"
)

// bdat sends one BDAT chunk and returns the reply.
func (r *rawConn) bdat(chunk string, last bool) string {
	r.t.Helper()
	cmd := fmt.Sprintf("BDAT %d", len(chunk))
	if last {
		cmd += " LAST"
	}
	r.write(cmd + "\r\n" + chunk)
	return r.reply()
}

// TestBDATAcrossReloadAndShutdown: a CHUNKING transfer begun before a
// reload (that lowers max_message_bytes) finishes on its old settings, and
// one open when Shutdown begins is let finish (250, relayed) before the
// session hears 421.
func TestBDATAcrossReloadAndShutdown(t *testing.T) {
	h := start(t, options{})
	r := h.raw()
	r.cmd("EHLO mta.test", "250")
	r.cmd("MAIL FROM:<"+sender+">", "250")
	r.cmd("RCPT TO:<"+external+">", "250")
	first := "Subject: chunked\r\n\r\n" + strings.Repeat("0123456789\r\n", 100)
	if got := r.bdat(first, false); !strings.HasPrefix(got, "250") {
		t.Fatalf("first chunk: %q", got)
	}
	cfg := h.cfg
	cfg.MaxMessageBytes = 500
	h.srv.Reload(cfg)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- h.srv.Shutdown(ctx)
	}()
	time.Sleep(200 * time.Millisecond) // Shutdown has begun
	if got := r.bdat("last line\r\n", true); !strings.HasPrefix(got, "250") {
		t.Fatalf("last chunk after the reload and during Shutdown: %q, want 250", got)
	}
	if got := r.reply(); !strings.HasPrefix(got, "421 4.3.2") {
		t.Errorf("after its message the session heard %q, want 421 4.3.2", got)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	got := h.sink.Wait(1, 5*time.Second)
	if len(got) != 1 || !strings.HasSuffix(string(got[0].Data), first+"last line\r\n") {
		t.Fatalf("the chunked message was not relayed whole: %d messages", len(got))
	}
}

// TestBDATBareLineEndings: BDAT data has no dot-stuffing, but the same
// line-ending rules apply: a bare CR (also as the very last byte) is
// refused in both modes, a bare LF is refused or, with normalize, relayed
// as CRLF.
func TestBDATBareLineEndings(t *testing.T) {
	cases := []struct {
		name, data string
		normalized string // "" = refused in normalize mode too
	}{
		{"bare LF", "Subject: a\r\n\r\nhello\nworld\r\n", "Subject: a\r\n\r\nhello\r\nworld\r\n"},
		{"bare CR", "Subject: a\r\n\r\nhel\rlo\r\n", ""},
		{"ends in CR", "Subject: a\r\n\r\nhello\r", ""},
	}
	for _, mode := range []smtpfilter.BareNewline{smtpfilter.BareNewlineReject, smtpfilter.BareNewlineNormalize} {
		for _, c := range cases {
			t.Run(fmt.Sprint(mode, "/", c.name), func(t *testing.T) {
				h := start(t, options{server: func(cfg *smtpfilter.Config) { cfg.BareNewline = mode }})
				r := h.raw()
				r.cmd("EHLO mta.test", "250")
				r.cmd("MAIL FROM:<"+sender+">", "250")
				r.cmd("RCPT TO:<"+external+">", "250")
				got := r.bdat(c.data, true)
				accept := mode == smtpfilter.BareNewlineNormalize && c.normalized != ""
				if want := map[bool]string{true: "250", false: "550 5.6.0"}[accept]; !strings.HasPrefix(got, want) {
					t.Fatalf("reply %q, want %s", got, want)
				}
				msgs := h.sink.Messages()
				if !accept {
					if len(msgs) != 0 {
						t.Errorf("sink holds %d messages", len(msgs))
					}
					return
				}
				if len(msgs) != 1 || !strings.HasSuffix(string(msgs[0].Data), c.normalized) || bareLineBreak(string(msgs[0].Data)) >= 0 {
					t.Errorf("sink received %d messages: %+v", len(msgs), msgs)
				}
			})
		}
	}
}

// TestIPv6Loopback: a client on ::1 relays when ::1/128 is an allowed
// network and must authenticate when only 127.0.0.0/8 is.
func TestIPv6Loopback(t *testing.T) {
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		l.Close()
	}
	for _, c := range []struct {
		allowed string
		want    string
	}{{"::1/128", "250"}, {"127.0.0.0/8", "530"}} {
		h := start(t, options{server: func(cfg *smtpfilter.Config) {
			cfg.AllowedNetworks = []netip.Prefix{netip.MustParsePrefix(c.allowed)}
		}, listen: "[::1]:0"})
		r := h.raw()
		r.cmd("EHLO mta.test", "250")
		r.cmd("MAIL FROM:<"+sender+">", c.want)
	}
}
