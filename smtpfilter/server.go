package smtpfilter

import (
	"context"
	"crypto/tls"
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

	MaxMessageBytes     int64
	MaxRecipients       int
	MaxLineLength       int
	MaxConnections      int
	MaxConnectionsPerIP int
	// CommandTimeout bounds each command read; DataTimeout the whole DATA
	// upload and its inspection.
	CommandTimeout time.Duration
	DataTimeout    time.Duration

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
}

// Server is sendguard's SMTP server.
type Server struct {
	cfg      Config
	smtp     *smtp.Server
	listener *limitListener

	draining atomic.Bool
	mu       sync.Mutex
	sessions map[*session]struct{}
}

// New builds a server from cfg.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Audit == nil {
		cfg.Audit = cfg.Log
	}
	s := &Server{cfg: cfg, sessions: map[*session]struct{}{}}
	srv := smtp.NewServer(&backend{srv: s})
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
	s.smtp = srv
	return s
}

// Serve accepts connections on l until Close or Shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.listener = newLimitListener(l, s.cfg.Hostname, s.cfg.MaxConnections, s.cfg.MaxConnectionsPerIP, s.cfg.Metrics)
	return s.smtp.Serve(s.listener)
}

// ListenAndServe listens on addr and serves.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return s.Serve(l)
}

// ActiveConnections is the number of SMTP connections open now.
func (s *Server) ActiveConnections() int {
	if s.listener == nil {
		return 0
	}
	return s.listener.Active()
}

// Close stops at once, closing every connection.
func (s *Server) Close() error { return s.smtp.Close() }

// errShuttingDown answers commands while the server drains.
var errShuttingDown = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service shutting down, try again later"}

// Shutdown stops accepting connections and lets sessions in flight finish
// their message. Idle sessions, and sessions as soon as their message is
// done, hear "421 4.3.2" and are closed. When ctx ends first, the remaining
// sessions hear 421 too and every connection is closed: a client never
// loses a message silently (it got its 250, or it keeps the message).
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	for _, ss := range s.sessionList() {
		ss.closeIfIdle()
	}
	err := s.smtp.Shutdown(ctx)
	if err != nil {
		for _, ss := range s.sessionList() {
			ss.sayGoodbye()
		}
		s.smtp.Close()
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

type backend struct{ srv *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	if b.srv.draining.Load() {
		return nil, errShuttingDown
	}
	ss := newSession(b.srv, c)
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
