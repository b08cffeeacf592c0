package smtpfilter

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/metrics"
	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy"
)

// Config is what the server needs; cmd/sendguard builds it from the
// configuration file.
type Config struct {
	Hostname        string
	AllowedNetworks []netip.Prefix
	// Users may AUTH (PLAIN or LOGIN, over TLS only): name → bcrypt hash.
	Users      map[string][]byte
	TLSConfig  *tls.Config
	RequireTLS bool

	// AllowQuotedLocalParts accepts recipients like "\"a b\"@example.co.jp"
	// (never one whose quoted part holds "@", "%" or "!").
	AllowQuotedLocalParts bool

	MaxMessageBytes int64
	MaxRecipients   int
	MaxLineLength   int
	// BareNewline: refuse DATA with a bare LF (the default) or take such a
	// line as ending in CRLF; a bare CR is refused either way.
	BareNewline BareNewline
	// MaxConnections is the budget of clients outside AllowedNetworks (they
	// must authenticate); MaxConnectionsAllowed that of clients inside
	// them (the organisation's MTA), so outsiders can never take the MTA's
	// slots. MaxConnectionsPerIP applies to every client. Zero: no limit.
	MaxConnections        int
	MaxConnectionsAllowed int
	MaxConnectionsPerIP   int
	// CommandTimeout bounds each command read; DataTimeout the whole DATA
	// upload and its inspection.
	CommandTimeout time.Duration
	DataTimeout    time.Duration
	// PreMailTimeout is how long a client outside AllowedNetworks may stay
	// connected before its first MAIL (greeting, TLS, AUTH): idle or slow
	// clients are told 421 and closed after it. Zero: no limit.
	PreMailTimeout time.Duration
	// AuthFailuresPerIP failed AUTH attempts within AuthLockout (from any
	// number of connections) lock a client IP out of AUTH — and out of
	// new connections, unless it is in AllowedNetworks — for AuthLockout.
	// Zero AuthFailuresPerIP: no lockout.
	AuthFailuresPerIP int
	AuthLockout       time.Duration

	SpoolDir         string
	SpoolMemoryBytes int64

	Upstream Upstream
	// Policy returns the policy to apply to the next message (it may be
	// reloaded while the server runs).
	Policy func() *policy.Policy

	Log   *slog.Logger
	Audit *slog.Logger
	// Metrics may be nil.
	Metrics *metrics.Metrics
	// Explain says how blocked senders learn why.
	Explain ExplainConfig
	// Incidents receives incident findings (遵守事項 第2); nil = none.
	Incidents *notify.Incidents
	// Holds keeps held messages (confirmation, approval, timed delay) and
	// the explanations of rejections; nil = holding is off.
	Holds *Holds
}

// Server is sendguard's SMTP server.
//
// A reload (Reload) starts a new generation: a go-smtp server built from the
// new Config that serves every connection accepted from then on, while the
// connections of older generations finish on the settings they started
// with. One listener accepts for all generations, so connection budgets
// and the per-client AUTH lockout span them.
type Server struct {
	auth     *authGuard
	draining atomic.Bool

	mu       sync.Mutex
	listener *limitListener
	current  *generation
	gens     map[*generation]struct{}
	sessions map[*session]struct{}
}

// generation is one Config and the go-smtp server that applies it.
type generation struct {
	cfg     *Config
	smtp    *smtp.Server
	queue   *connQueue
	retired chan struct{} // closed when its last connection ended after a reload
}

// New builds a server from cfg.
func New(cfg Config) *Server {
	s := &Server{gens: map[*generation]struct{}{}, sessions: map[*session]struct{}{}}
	s.auth = newAuthGuard(cfg.AuthFailuresPerIP, cfg.AuthLockout)
	s.current = s.newGeneration(cfg)
	s.gens[s.current] = struct{}{}
	return s
}

func (s *Server) newGeneration(cfg Config) *generation {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Audit == nil {
		cfg.Audit = cfg.Log
	}
	g := &generation{cfg: &cfg, queue: newConnQueue(), retired: make(chan struct{})}
	srv := smtp.NewServer(&backend{srv: s, gen: g})
	srv.Domain = cfg.Hostname
	srv.TLSConfig = cfg.TLSConfig
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = cfg.MaxRecipients
	if cfg.MaxLineLength > 0 {
		srv.MaxLineLength = cfg.MaxLineLength
	}
	srv.ReadTimeout = cfg.CommandTimeout
	srv.WriteTimeout = cfg.CommandTimeout
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = slogPrinter{cfg.Log}
	g.smtp = srv
	return g
}

// config is the Config of the generation serving new connections.
func (s *Server) config() *Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current.cfg
}

// Serve accepts connections on l until Close or Shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.draining.Load() { // Close or Shutdown came first
		s.mu.Unlock()
		l.Close()
		return nil
	}
	s.listener = newLimitListener(l, s)
	first := s.current
	s.mu.Unlock()
	go first.smtp.Serve(first.queue)
	for {
		c, err := s.listener.Accept()
		if err != nil {
			if s.draining.Load() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if s.draining.Load() {
			// Shutdown has begun: a new client would only sit in go-smtp
			// until the deadline.
			go sayShutdown(c, s.config().Hostname)
			continue
		}
		for {
			s.mu.Lock()
			g := s.current
			s.mu.Unlock()
			if g.queue.push(c) {
				break
			}
			// That generation stopped accepting: a reload retired it
			// (the next one takes the connection) or the server stops.
			if s.draining.Load() {
				c.Close()
				break
			}
		}
	}
}

// ListenAndServe listens on addr and serves.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return s.Serve(l)
}

// Reload applies cfg to every connection accepted from now on: allowed
// networks, users, TLS, limits, timeouts, connection budgets, AUTH lockout,
// upstream, spool and explanation settings. Sessions already open keep the
// settings they started with, except that MAIL always checks the client
// against the allowed networks in force (a narrowed list refuses the next
// message at once). The listen address is not part of Config: a change to
// it needs a restart.
func (s *Server) Reload(cfg Config) {
	g := s.newGeneration(cfg)
	s.mu.Lock()
	if s.draining.Load() { // stopping: nothing more is served
		s.mu.Unlock()
		return
	}
	s.auth.setLimits(cfg.AuthFailuresPerIP, cfg.AuthLockout)
	old := s.current
	s.current = g
	s.gens[g] = struct{}{}
	serving := s.listener != nil
	s.mu.Unlock()
	if serving {
		go g.smtp.Serve(g.queue)
	}
	go s.retire(old)
}

// retire lets an old generation's connections finish, then forgets it.
func (s *Server) retire(g *generation) {
	g.smtp.Shutdown(context.Background()) // closes its queue, waits for its connections
	s.mu.Lock()
	delete(s.gens, g)
	s.mu.Unlock()
	close(g.retired)
}

// ActiveConnections is the number of SMTP connections open now.
func (s *Server) ActiveConnections() int {
	s.mu.Lock()
	l := s.listener
	s.mu.Unlock()
	if l == nil {
		return 0
	}
	return l.Active()
}

// Close stops at once, closing every connection.
func (s *Server) Close() error {
	s.stopAccepting()
	var errs []error
	if l := s.acceptor(); l != nil {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for _, g := range s.generations() {
		if err := g.smtp.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	// A retiring generation's go-smtp server ignores Close (it is already
	// shutting down): close its connections, and any other, directly.
	if l := s.acceptor(); l != nil {
		l.closeAll()
	}
	return errors.Join(errs...)
}

// stopAccepting marks the server draining (under mu, so that Serve and
// Reload see it or finish before it) and closes every generation's queue:
// go-smtp's Shutdown closes only the listeners its Serve has registered,
// so a generation whose Serve had not started yet would wait in Accept
// for ever.
func (s *Server) stopAccepting() {
	s.mu.Lock()
	s.draining.Store(true)
	s.mu.Unlock()
	for _, g := range s.generations() {
		g.queue.Close()
	}
}

func (s *Server) acceptor() *limitListener {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listener
}

func (s *Server) generations() []*generation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*generation, 0, len(s.gens))
	for g := range s.gens {
		out = append(out, g)
	}
	return out
}

// errShuttingDown answers commands while the server drains.
var errShuttingDown = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service shutting down, try again later"}

// Shutdown stops accepting connections and lets sessions in flight finish
// their message. Idle sessions, and sessions as soon as their message is
// done, hear "421 4.3.2" and are closed. When ctx ends first, the remaining
// sessions hear 421 too and every connection is closed: a client never
// loses a message silently (it got its 250, or it keeps the message).
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopAccepting()
	if l := s.acceptor(); l != nil {
		l.Close()
	}
	sessions := map[string]bool{}
	for _, ss := range s.sessionList() {
		ss.closeIfIdle()
		sessions[ss.remote] = true
	}
	// Connections without a session cannot have a message in flight; go-smtp
	// would wait for them until ctx ends.
	if l := s.acceptor(); l != nil {
		l.hangUpSessionless(s.config().Hostname, func(remote string) bool { return sessions[remote] })
	}
	var err error
	for _, g := range s.generations() {
		e := g.smtp.Shutdown(ctx)
		if errors.Is(e, smtp.ErrServerClosed) { // retiring after a reload
			select {
			case <-g.retired:
				e = nil
			case <-ctx.Done():
				e = ctx.Err()
			}
		}
		if e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		for _, ss := range s.sessionList() {
			ss.sayGoodbye()
		}
		for _, g := range s.generations() {
			g.smtp.Close()
		}
		if l := s.acceptor(); l != nil {
			l.closeAll()
		}
	}
	return err
}

func (s *Server) sessionList() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		out = append(out, ss)
	}
	return out
}

func (s *Server) track(ss *session, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.sessions[ss] = struct{}{}
	} else {
		delete(s.sessions, ss)
	}
}

// backend makes the sessions of one generation.
type backend struct {
	srv *Server
	gen *generation
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	if b.srv.draining.Load() {
		// go-smtp would answer 451 and keep reading commands until the
		// shutdown deadline: say 421 and hang up instead.
		sayShutdown(c.Conn(), b.gen.cfg.Hostname)
		return nil, errShuttingDown
	}
	ss := newSession(b.srv, b.gen.cfg, c)
	b.srv.track(ss, true)
	return ss, nil
}

// slogPrinter feeds go-smtp's error log into slog.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(format string, v ...interface{}) {
	p.l.Warn("smtp server", "detail", fmt.Sprintf(format, v...))
}

func (p slogPrinter) Println(v ...interface{}) {
	p.l.Warn("smtp server", "detail", fmt.Sprint(v...))
}
