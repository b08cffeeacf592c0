package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/sendguard/sendguard/config"
	"github.com/sendguard/sendguard/metrics"
	"github.com/sendguard/sendguard/smtpfilter"
)

// pinger is an upstream that can say whether it is reachable.
type pinger interface {
	Ping(ctx context.Context) error
}

// readiness caches the upstream check so that frequent probes do not open a
// connection each.
type readiness struct {
	up     smtpfilter.Upstream
	mu     sync.Mutex
	at     time.Time
	result error
}

func (r *readiness) check(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.at) < 5*time.Second {
		return r.result
	}
	p, ok := r.up.(pinger)
	if !ok {
		r.result = nil
	} else {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		r.result = p.Ping(ctx)
		cancel()
	}
	r.at = time.Now()
	return r.result
}

// startAdmin serves /metrics, /healthz and /readyz (and with pprof Go's
// profiles under /debug/pprof/) on the admin address (loopback by default).
// It returns the listener's address and a function that stops it.
func startAdmin(cfg config.Admin, m *metrics.Metrics, ready *readiness, policyLoaded func() bool, log *slog.Logger) (string, func(), error) {
	mux := http.NewServeMux()
	if cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("/metrics", m.Handler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if !policyLoaded() {
			http.Error(w, "policy not loaded", http.StatusServiceUnavailable)
			return
		}
		if err := ready.check(r.Context()); err != nil {
			http.Error(w, "upstream not reachable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return "", nil, fmt.Errorf("admin listener: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && err != http.ErrServerClosed {
			log.Error("admin listener stopped", "error", err.Error())
		}
	}()
	return l.Addr().String(), func() { srv.Close() }, nil
}
