package smtpfilter

import (
	"context"
	"net"
	"testing"
	"time"
)

// acceptsAny reports whether a generation of s still accepts connections.
func acceptsAny(s *Server) bool {
	for _, g := range s.generations() {
		select {
		case <-g.queue.done:
		default:
			return true
		}
	}
	return false
}

// TestStopBeforeServeAndReloadAfterStop: Close or Shutdown before Serve
// has started makes Serve return (it used to serve on for ever), and a
// reload after them starts no generation (its go-smtp server would wait in
// Accept for ever).
func TestStopBeforeServeAndReloadAfterStop(t *testing.T) {
	for _, stop := range []struct {
		name string
		do   func(*Server)
	}{
		{"Close", func(s *Server) { s.Close() }},
		{"Shutdown", func(s *Server) { s.Shutdown(context.Background()) }},
	} {
		t.Run(stop.name, func(t *testing.T) {
			s := New(Config{Hostname: "sendguard.test"})
			stop.do(s)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			done := make(chan error, 1)
			go func() { done <- s.Serve(l) }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve after %s: %v", stop.name, err)
				}
			case <-time.After(3 * time.Second):
				t.Fatalf("Serve after %s did not return", stop.name)
			}
			s.Reload(Config{Hostname: "reloaded.test"})
			if acceptsAny(s) {
				t.Errorf("a generation accepts connections after %s and a reload", stop.name)
			}
		})
	}
}
