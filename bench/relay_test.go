// Package bench holds benchmarks of an in-process relay: sendguard's SMTP
// server (smtpfilter.New with the default policy, full inspection) on a
// loopback listener, relaying to the load tool's counting sink, driven by its
// client and messages (bench/wire, bench/benchmsg). They exist for CPU
// profiles:
//
//	go test -run '^$' -bench Relay -benchtime 5s -cpuprofile /tmp/cpu.out ./bench/
//	go tool pprof -top -nodecount 40 /tmp/cpu.out
//
// There are only benchmarks here: a plain `go test` runs nothing, and
// nothing needs Postfix. The zip200k message needs `zip`.
package bench_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sendguard/sendguard/bench/benchmsg"
	"github.com/sendguard/sendguard/bench/wire"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
)

// messages are made once per process (zip200k runs `zip`).
var (
	msgOnce  sync.Once
	msgs     []*benchmsg.Message
	msgsErr  error
	msgNames = []string{"ja5k", "zip200k"}
)

func messages(b *testing.B) []*benchmsg.Message {
	msgOnce.Do(func() {
		// Not b.TempDir: the messages outlive the first benchmark. The
		// ZIP is read into the message at once, so its directory may go.
		dir, err := os.MkdirTemp("", "sendguard-bench-")
		if err != nil {
			msgsErr = err
			return
		}
		defer os.RemoveAll(dir)
		z, err := benchmsg.Zip200K(dir)
		if err != nil {
			msgsErr = err
			return
		}
		msgs = []*benchmsg.Message{benchmsg.JA5K(), z}
	})
	if msgsErr != nil {
		b.Skipf("making the messages: %v", msgsErr)
	}
	return msgs
}

// startRelay runs sendguard's server in this process with the settings of
// the load tool's generated configuration (the shipped defaults, internal
// domain example.co.jp), relaying to sinkAddr.
func startRelay(b *testing.B, sinkAddr string) string {
	b.Helper()
	return startRelayWith(b, sinkAddr, nil)
}

// startRelayWith is startRelay with the server's configuration changed by
// edit before it starts.
func startRelayWith(b *testing.B, sinkAddr string, edit func(*smtpfilter.Config)) string {
	b.Helper()
	spool := b.TempDir()
	pol, _, err := policy.Compile(policy.Config{
		Domains: policy.DomainsConfig{
			Internal: []string{"example.co.jp"},
			Verified: []string{"partner.example.com"},
		},
		Attachments: policy.AttachmentsConfig{SpoolDir: spool},
	})
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := smtpfilter.Config{
		Hostname:            "sendguard.bench.example.co.jp",
		AllowedNetworks:     []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		MaxMessageBytes:     64 << 20,
		MaxRecipients:       500,
		MaxLineLength:       64 << 10,
		MaxConnections:      200,
		MaxConnectionsPerIP: 100,
		CommandTimeout:      5 * time.Minute,
		DataTimeout:         10 * time.Minute,
		SpoolDir:            spool,
		SpoolMemoryBytes:    1 << 20,
		Upstream: &smtpfilter.SMTPUpstream{
			Addr: sinkAddr, Helo: "sendguard.bench.example.co.jp",
			ConnectTimeout: 30 * time.Second, CommandTimeout: 5 * time.Minute, DataTimeout: 10 * time.Minute,
		},
		Policy: func() *policy.Policy { return pol },
		Log:    logger,
		// As sendguard's audit file: one JSON line per message.
		Audit: slog.New(slog.NewJSONHandler(io.Discard, nil)).With("log", "audit"),
	}
	if edit != nil {
		edit(&cfg)
	}
	srv := smtpfilter.New(cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

func startSink(b *testing.B) *wire.Sink {
	b.Helper()
	sink, err := wire.StartSink()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sink.Close() })
	return sink
}

// BenchmarkRelay sends the benchmark messages through the in-process relay
// on 1 and 8 connections; each op is one message relayed to the sink.
func BenchmarkRelay(b *testing.B) {
	benchTargets(b, true)
}

// BenchmarkDirect is the same client straight to the sink: what the client
// and the sink cost without sendguard.
func BenchmarkDirect(b *testing.B) {
	benchTargets(b, false)
}

func benchTargets(b *testing.B, relay bool) {
	for i, m := range messages(b) {
		for _, conns := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/conns=%d", msgNames[i], conns), func(b *testing.B) {
				sink := startSink(b)
				addr := sink.Addr
				if relay {
					addr = startRelay(b, sink.Addr)
				}
				sendN(b, addr, sink, m, conns)
			})
		}
	}
}

// sendN sends b.N messages over conns connections (each one message after
// the other, RSET between) and checks that all reached the sink.
func sendN(b *testing.B, addr string, sink *wire.Sink, m *benchmsg.Message, conns int) {
	sendAndCount(b, addr, sink.Count, "the sink got", m, conns)
}

// sendAndCount sends b.N messages over conns connections and checks that
// count grew by b.N (what is counted is named by what).
func sendAndCount(b *testing.B, addr string, count func() int64, what string, m *benchmsg.Message, conns int) {
	send := benchmsg.NewSender(m)
	clients := make([]*wire.Client, conns)
	for i := range clients {
		c, err := wire.Dial(addr, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	base := count()
	var next atomic.Int64
	var failed atomic.Value
	b.SetBytes(int64(m.Size()))
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				seq := next.Add(1)
				if seq > int64(b.N) || failed.Load() != nil {
					return
				}
				if err := send(c, seq); err != nil {
					failed.Store(err)
					return
				}
				if err := c.Reset(); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatalf("sending: %v", err)
	}
	if got := count() - base; got != int64(b.N) {
		b.Fatalf("%s %d messages, want %d", what, got, b.N)
	}
	for _, c := range clients {
		c.Quit()
	}
}
