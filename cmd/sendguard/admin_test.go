package main

import (
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"testing"

	"github.com/sendguard/sendguard/config"
	"github.com/sendguard/sendguard/metrics"
)

// Go's profiles are served on the admin listener only when [admin] pprof
// is on.
func TestAdminPprofOnlyWhenAsked(t *testing.T) {
	for _, on := range []bool{false, true} {
		addr, stop, err := startAdmin(config.Admin{Listen: "127.0.0.1:0", Pprof: on}, metrics.New(func() int { return 0 }),
			&readiness{}, func() bool { return true }, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]int{"/debug/pprof/cmdline": 404, "/debug/pprof/": 404, "/healthz": 200} {
			if on && path != "/healthz" {
				want = 200
			}
			resp, err := http.Get("http://" + addr + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("pprof=%v: GET %s: %d, want %d", on, path, resp.StatusCode, want)
			}
		}
		stop()
	}
}

// serve sets the collector's target and memory limit from [server] unless
// the environment set GOGC / GOMEMLIMIT.
func TestRuntimeSettings(t *testing.T) {
	oldGC := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer func() {
		debug.SetGCPercent(oldGC)
		debug.SetMemoryLimit(oldLimit)
	}()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := config.Server{GCPercent: 400, MemoryLimitBytes: 1 << 30}

	applyRuntimeSettings(s, func(string) string { return "" }, log)
	if gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64); gc != 400 || limit != 1<<30 {
		t.Errorf("from the config: gc %d, limit %d; want 400, %d", gc, limit, 1<<30)
	}

	env := map[string]string{"GOGC": "150", "GOMEMLIMIT": "2GiB"}
	applyRuntimeSettings(s, func(k string) string { return env[k] }, log)
	if gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); gc != 100 || limit != math.MaxInt64 {
		t.Errorf("with GOGC and GOMEMLIMIT set: gc %d, limit %d; want them untouched", gc, limit)
	}
}
