package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sendguard/sendguard/config"
	"github.com/sendguard/sendguard/metrics"
	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
	"github.com/sendguard/sendguard/store"
)

// shutdownGrace is how long sessions in flight may take after SIGTERM.
const shutdownGrace = 30 * time.Second

func serveCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file")
	if err := parseFlags("serve", fs, args, stdout); err != nil {
		return err
	}
	f, pol, err := loadConfig(*path, stderr)
	if err != nil {
		return err
	}
	logger, err := newLogger(f.Log, stderr)
	if err != nil {
		return &exitError{code: exitConfig, err: err}
	}
	audit, closeAudit, err := newAuditLogger(f, logger, stderr)
	if err != nil {
		return &exitError{code: exitConfig, err: err}
	}
	defer closeAudit()
	applyRuntimeSettings(f.Server, os.Getenv, logger)

	g := &gateway{path: *path, file: f, log: logger}
	g.policy.Store(pol)
	var srv *smtpfilter.Server
	g.metrics = metrics.New(func() int {
		if srv == nil {
			return 0
		}
		return srv.ActiveConnections()
	})
	g.audit = audit
	cfg, err := g.serverConfig(f)
	if err != nil {
		return &exitError{code: exitConfig, err: err}
	}
	holding, err := startHolding(f, g, g.cert.Load)
	if err != nil {
		return &exitError{code: exitConfig, err: err}
	}
	g.holding = holding
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		holding.close(ctx)
	}()
	cfg.Holds = holding.smtpHolds()
	if len(f.Incidents.Contacts) > 0 {
		// Incident notices go through the store's outbox (durable, with
		// their 60-minute deadline); the notifier only batches them.
		incidents, err := newIncidents(f, holding, logger)
		if err != nil {
			return &exitError{code: exitConfig, err: err}
		}
		g.incidents = incidents
		cfg.Incidents = incidents
		// Runs before the store closes (deferred later, so earlier).
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := incidents.Close(ctx); err != nil {
				logger.Error("incident notices left unqueued at shutdown", "error", err.Error())
			}
		}()
	}
	srv = smtpfilter.New(cfg)
	g.srv = srv
	l, err := net.Listen("tcp", f.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	mil, err := startMilter(f, g)
	if err != nil {
		l.Close()
		return err
	}
	g.milter = mil
	adminAddr, stopAdmin, err := startAdmin(f.Admin, g.metrics, &readiness{up: &g.upstream},
		func() bool { return g.policy.Load() != nil }, logger)
	if err != nil {
		l.Close()
		mil.close()
		return err
	}
	defer stopAdmin()
	logger.Info("sendguard listening", "address", l.Addr().String(), "admin", adminAddr,
		"upstream", f.Upstream.Address, "tls", cfg.TLSConfig != nil, "hostname", f.Server.Hostname,
		"store", store.Redact(f.StoreDSN()), "page", holding.pageAddr)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	for {
		select {
		case err := <-done:
			mil.close()
			return err
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				g.reload()
				continue
			}
			logger.Info("shutting down: sessions in flight may finish", "signal", sig.String(), "grace", shutdownGrace.String())
			ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			milterStopped := make(chan struct{})
			go func() { mil.stop(ctx, logger); close(milterStopped) }()
			err := srv.Shutdown(ctx)
			<-milterStopped
			cancel()
			if err != nil {
				logger.Warn("shutdown deadline reached: remaining sessions were told 421 4.3.2", "error", err.Error())
			}
			logger.Info("stopped")
			return nil
		}
	}
}

// gateway holds what a reload replaces: the policy, the TLS certificate,
// the upstream and the SMTP server's settings. Sessions read the policy
// once per message, so a message in flight finishes on the policy it
// started with; server settings apply to connections accepted after the
// reload (smtpfilter.Server.Reload).
type gateway struct {
	path      string
	file      *config.File
	log       *slog.Logger
	audit     *slog.Logger
	metrics   *metrics.Metrics
	policy    atomic.Pointer[policy.Policy]
	cert      atomic.Pointer[tls.Certificate]
	upstream  switchableUpstream
	srv       *smtpfilter.Server
	milter    *milterListener // nil when [milter] listen is ""
	limiter   *notify.RateLimiter
	incidents *notify.Incidents
	holding   *holding // the store, the dispatcher and the page
}

// reload reads the configuration again (SIGHUP). An invalid configuration
// or policy is refused with its errors logged and everything stays as it
// was. A valid one applies at once: the policy to the next message; the
// TLS certificate, upstream, explanation settings and every [server] key
// but listen to the next connection. What a reload cannot apply (a new
// socket: server.listen, admin.listen; the logger) is named in a warning.
func (g *gateway) reload() {
	f, err := config.Load(g.path)
	if err != nil {
		g.reloadFailed(err)
		return
	}
	p, warnings, err := f.CompilePolicy()
	for _, w := range warnings {
		g.log.Warn("policy warning", "detail", w.Error())
	}
	if err != nil {
		g.reloadFailed(err)
		return
	}
	var cert *tls.Certificate
	if f.Server.TLSCert != "" {
		c, err := tls.LoadX509KeyPair(f.Resolve(f.Server.TLSCert), f.Resolve(f.Server.TLSKey))
		if err != nil {
			g.reloadFailed(fmt.Errorf("server.tls_cert: %w", err))
			return
		}
		cert = &c
	}
	if err := g.holding.reload(f); err != nil {
		g.reloadFailed(err)
		return
	}
	cfg, err := g.serverConfig(f)
	if err != nil {
		g.reloadFailed(err)
		return
	}
	if changed := restartOnlyChanges(g.file, f); len(changed) > 0 {
		g.log.Warn("reload: these settings take effect only after a restart", "keys", changed)
	}
	g.policy.Store(p)
	if cert != nil {
		g.cert.Store(cert)
	}
	g.srv.Reload(cfg)
	g.milter.reload(f, g)
	g.file = f
	g.metrics.Reload(true)
	g.log.Info("configuration reloaded", "config", g.path, "policy", f.PolicyPath)
}

func (g *gateway) reloadFailed(err error) {
	g.metrics.Reload(false)
	for _, line := range strings.Split(err.Error(), "\n") {
		g.log.Error("reload refused; the previous policy stays in force", "error", line)
	}
}

// restartOnlyChanges names the settings that a reload cannot apply: those
// bound to a socket or to the process.
func restartOnlyChanges(old, new *config.File) []string {
	var keys []string
	if old.Server.Listen != new.Server.Listen {
		keys = append(keys, "server.listen")
	}
	if old.Admin != new.Admin {
		keys = append(keys, "admin")
	}
	if old.Milter != new.Milter {
		keys = append(keys, "milter")
	}
	if old.Log != new.Log {
		keys = append(keys, "log")
	}
	if old.Server.GCPercent != new.Server.GCPercent {
		keys = append(keys, "server.gc_percent")
	}
	if old.Server.MemoryLimitBytes != new.Server.MemoryLimitBytes {
		keys = append(keys, "server.memory_limit_bytes")
	}
	if !slices.Equal(old.Incidents.Contacts, new.Incidents.Contacts) || old.Incidents.From != new.Incidents.From ||
		old.Incidents.BatchDelay != new.Incidents.BatchDelay {
		keys = append(keys, "incidents")
	}
	// The store is opened, and the page listens with its key and links,
	// once at start.
	if old.StoreDSN() != new.StoreDSN() || old.Store.Lease != new.Store.Lease {
		keys = append(keys, "store")
	}
	if old.Web.Listen != new.Web.Listen || old.Web.PublicURL != new.Web.PublicURL ||
		old.WebKeyFile() != new.WebKeyFile() || old.Web.TokenTTL != new.Web.TokenTTL {
		keys = append(keys, "web")
	}
	return keys
}

// switchableUpstream is the upstream in force; a reload replaces it for the
// connections and notices that start afterwards.
type switchableUpstream struct {
	cur atomic.Pointer[smtpfilter.Upstream]
}

func (u *switchableUpstream) set(up smtpfilter.Upstream) { u.cur.Store(&up) }

func (u *switchableUpstream) Connect(ctx context.Context) (smtpfilter.Conn, error) {
	return (*u.cur.Load()).Connect(ctx)
}

// Ping asks the upstream in force whether it is reachable, when it can say.
func (u *switchableUpstream) Ping(ctx context.Context) error {
	if p, ok := (*u.cur.Load()).(pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// newIncidents starts the incident notifier: it batches incidents and
// queues each notice in the store's outbox, from which the dispatcher
// sends it to the security contacts (retried, its deadline watched).
func newIncidents(f *config.File, h *holding, logger *slog.Logger) (*notify.Incidents, error) {
	delay, err := notify.CheckBatchDelay(f.Incidents.BatchDelay.Duration)
	if err != nil {
		return nil, fmt.Errorf("incidents.batch_delay: %w", err)
	}
	from := f.Incidents.From
	if from == "" {
		from = f.Explain.From
	}
	return notify.NewIncidents(notify.IncidentConfig{
		From: from, To: f.Incidents.Contacts, BatchDelay: delay, Hostname: f.Server.Hostname, Log: logger,
		Queue: func(ctx context.Context, from string, to []string, msg []byte, deadline time.Time) error {
			err := h.store.Enqueue(ctx, store.Notice{Kind: "incident", Sender: from, Recipients: to, Message: msg, Deadline: deadline})
			if err == nil {
				h.disp.Wake()
			}
			return err
		},
	})
}

func newLogger(c config.Log, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}

func newAuditLogger(f *config.File, logger *slog.Logger, stderr io.Writer) (*slog.Logger, func(), error) {
	dest := f.Log.Audit
	// Audit lines are JSON whatever [log] format says: `sendguard report`
	// and log pipelines read them.
	if dest == "" || dest == "stderr" {
		return slog.New(slog.NewJSONHandler(stderr, nil)).With("log", "audit"), func() {}, nil
	}
	if dest == "stdout" {
		return slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("log", "audit"), func() {}, nil
	}
	file, err := os.OpenFile(f.Resolve(dest), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("log.audit: %w", err)
	}
	return slog.New(slog.NewJSONHandler(file, nil)).With("log", "audit"), func() { file.Close() }, nil
}

// serverConfig wires the configuration file into the SMTP server; at a
// reload too, when it also switches the upstream and keeps the explanation
// rate limiter's counts unless its settings changed.
func (g *gateway) serverConfig(f *config.File) (smtpfilter.Config, error) {
	cfg, err := serverConfig(f, g.policy.Load, g.log, g.audit)
	if err != nil {
		return cfg, err
	}
	up := cfg.Upstream
	g.upstream.set(up)
	cfg.Upstream = &g.upstream
	cfg.Metrics = g.metrics
	cfg.Incidents = g.incidents
	if g.holding != nil {
		cfg.Holds = g.holding.smtpHolds()
	}
	if g.limiter == nil || g.file.Explain.RateLimit != f.Explain.RateLimit || g.file.Explain.RateWindow != f.Explain.RateWindow {
		g.limiter = notify.NewRateLimiter(f.Explain.RateLimit, f.Explain.RateWindow.Duration, nil)
	}
	cfg.Explain = smtpfilter.ExplainConfig{Mail: f.Explain.Mode == "mail", From: f.Explain.From, Limiter: g.limiter}
	if cfg.TLSConfig != nil {
		if g.cert.Load() == nil {
			g.cert.Store(&cfg.TLSConfig.Certificates[0])
		}
		cfg.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return g.cert.Load(), nil
		}}
	}
	return cfg, nil
}

// bareNewline is server.bare_newline (validated by config: "reject" or
// "normalize").
func bareNewline(v string) smtpfilter.BareNewline {
	if v == "normalize" {
		return smtpfilter.BareNewlineNormalize
	}
	return smtpfilter.BareNewlineReject
}

// serverConfig wires the configuration file into the SMTP server.
func serverConfig(f *config.File, pol func() *policy.Policy, logger, audit *slog.Logger) (smtpfilter.Config, error) {
	s := f.Server
	cfg := smtpfilter.Config{
		Hostname:              s.Hostname,
		RequireTLS:            s.RequireTLS,
		MaxMessageBytes:       s.MaxMessageBytes,
		MaxRecipients:         s.MaxRecipients,
		AllowQuotedLocalParts: s.AllowQuotedLocalParts,
		MaxLineLength:         s.MaxLineLength,
		BareNewline:           bareNewline(s.BareNewline),
		MaxConnections:        s.MaxConnections,
		MaxConnectionsAllowed: s.MaxConnectionsAllowed,
		MaxConnectionsPerIP:   s.MaxConnectionsPerIP,
		CommandTimeout:        s.CommandTimeout.Duration,
		DataTimeout:           s.DataTimeout.Duration,
		PreMailTimeout:        s.PreMailTimeout.Duration,
		AuthFailuresPerIP:     s.AuthFailuresPerIP,
		AuthLockout:           s.AuthLockout.Duration,
		SpoolDir:              f.Resolve(s.SpoolDir),
		SpoolMemoryBytes:      s.SpoolMemoryBytes,
		Policy:                pol,
		Log:                   logger,
		Audit:                 audit,
	}
	for _, n := range s.AllowedNetworks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return cfg, err
		}
		cfg.AllowedNetworks = append(cfg.AllowedNetworks, p.Masked())
	}
	if len(s.Users) > 0 {
		cfg.Users = map[string][]byte{}
		for _, u := range s.Users {
			cfg.Users[u.Name] = []byte(u.PasswordBcrypt)
		}
	}
	if s.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(f.Resolve(s.TLSCert), f.Resolve(s.TLSKey))
		if err != nil {
			return cfg, fmt.Errorf("server.tls_cert: %w", err)
		}
		cfg.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	up, err := upstream(f)
	if err != nil {
		return cfg, err
	}
	cfg.Upstream = up
	return cfg, nil
}

func upstream(f *config.File) (smtpfilter.Upstream, error) {
	u := f.Upstream
	if dir, ok := strings.CutPrefix(u.Address, "capture:"); ok {
		return &smtpfilter.CaptureUpstream{Dir: f.Resolve(dir)}, nil
	}
	mode, err := smtpfilter.ParseStartTLSMode(u.StartTLS)
	if err != nil {
		return nil, err
	}
	tlsCfg := &tls.Config{ServerName: u.TLSServerName, InsecureSkipVerify: u.TLSSkipVerify, MinVersion: tls.VersionTLS12}
	if u.TLSCAFile != "" {
		pem, err := os.ReadFile(f.Resolve(u.TLSCAFile))
		if err != nil {
			return nil, fmt.Errorf("upstream.tls_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("upstream.tls_ca_file: no PEM certificates in it")
		}
		tlsCfg.RootCAs = pool
	}
	return &smtpfilter.SMTPUpstream{
		Addr: u.Address, Helo: u.Helo, StartTLS: mode, TLSConfig: tlsCfg,
		Username: u.Username, Password: u.Password,
		ConnectTimeout: u.ConnectTimeout.Duration, CommandTimeout: u.CommandTimeout.Duration,
		DataTimeout: u.DataTimeout.Duration,
	}, nil
}

// applyRuntimeSettings sets the garbage collector's target and the soft
// memory limit from [server] gc_percent and memory_limit_bytes, unless the
// environment sets GOGC or GOMEMLIMIT (which the Go runtime has applied).
func applyRuntimeSettings(s config.Server, getenv func(string) string, log *slog.Logger) {
	gc := "GOGC=" + getenv("GOGC")
	if getenv("GOGC") == "" && s.GCPercent > 0 {
		debug.SetGCPercent(s.GCPercent)
		gc = strconv.Itoa(s.GCPercent)
	}
	if getenv("GOMEMLIMIT") == "" && s.MemoryLimitBytes > 0 {
		debug.SetMemoryLimit(s.MemoryLimitBytes)
	}
	log.Debug("go runtime", "gc_percent", gc, "memory_limit", debug.SetMemoryLimit(-1))
}
