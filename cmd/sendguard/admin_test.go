package main

import (
	"io"
	"log/slog"
	"net/http"
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
