package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/sendguard/sendguard/config"
	"github.com/sendguard/sendguard/milter"
	"github.com/sendguard/sendguard/smtpfilter"
)

// milterListener is the running milter listener of serve, or nil when
// [milter] listen is "".
type milterListener struct {
	srv  *milter.Server
	done chan error
}

// startMilter opens [milter] listen and serves the MTA's milter connections
// with the gateway's policy (reloaded with it), metrics, audit log, incident
// notifier and flag notices (through the upstream in force, from
// explain.from, under the explanation rate limit). It returns nil when the
// milter is off.
func startMilter(f *config.File, g *gateway) (*milterListener, error) {
	if f.Milter.Listen == "" {
		return nil, nil
	}
	addr := f.Milter.Listen
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		addr = "unix:" + f.Resolve(path)
	}
	l, err := milter.Listen(addr)
	if err != nil {
		return nil, err
	}
	srv := milter.New(milterConfig(f, g))
	m := &milterListener{srv: srv, done: make(chan error, 1)}
	go func() { m.done <- srv.Serve(l) }()
	g.log.Info("sendguard milter listening", "address", l.Addr().String())
	return m, nil
}

// milterConfig is the milter's part of the configuration file: the [server]
// limits both listeners share and the gateway's policy, logs, metrics and
// notifiers.
func milterConfig(f *config.File, g *gateway) milter.Config {
	s := f.Server
	return milter.Config{
		Hostname:         s.Hostname,
		MaxMessageBytes:  s.MaxMessageBytes,
		SpoolDir:         f.Resolve(s.SpoolDir),
		SpoolMemoryBytes: s.SpoolMemoryBytes,
		IdleTimeout:      s.CommandTimeout.Duration + s.DataTimeout.Duration,
		EvalTimeout:      s.DataTimeout.Duration,
		Policy:           g.policy.Load,
		Log:              g.log.With("listener", "milter"),
		Audit:            g.audit,
		Metrics:          g.metrics,
		Incidents:        g.incidents,
		Notices: &smtpfilter.Notifier{
			Upstream: &g.upstream,
			Explain:  smtpfilter.ExplainConfig{From: f.Explain.From, Limiter: g.limiter},
			Hostname: s.Hostname,
			Log:      g.log,
		},
	}
}

// reload applies a reloaded configuration to the messages that begin
// afterwards (limits, explain.from, the rate limiter); [milter] listen
// itself needs a restart.
func (m *milterListener) reload(f *config.File, g *gateway) {
	if m != nil {
		m.srv.Reload(milterConfig(f, g))
	}
}

// stop ends the milter listener: no new connection is taken, messages in
// flight may finish until ctx ends, then every connection is closed (the
// MTA applies its milter_default_action to a message cut off).
func (m *milterListener) stop(ctx context.Context, log *slog.Logger) {
	if m == nil {
		return
	}
	if err := m.srv.Shutdown(ctx); err != nil {
		log.Warn("milter shutdown deadline reached: open milter connections were closed", "error", err.Error())
	}
	if err := <-m.done; err != nil {
		log.Error("milter listener", "error", err.Error())
	}
}

// close ends the milter listener and its connections at once (serve is
// failing).
func (m *milterListener) close() {
	if m == nil {
		return
	}
	m.srv.Close()
	<-m.done
}
