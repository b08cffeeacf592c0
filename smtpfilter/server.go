package smtpfilter

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/emersion/go-smtp"

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
}

// Server is sendguard's SMTP server.
type Server struct {
	cfg      Config
	smtp     *smtp.Server
	listener *limitListener
}

// New builds a server from cfg.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Audit == nil {
		cfg.Audit = cfg.Log
	}
	s := &Server{cfg: cfg}
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
	s.listener = newLimitListener(l, s.cfg.Hostname, s.cfg.MaxConnections, s.cfg.MaxConnectionsPerIP)
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

// Close stops at once, closing every connection.
func (s *Server) Close() error { return s.smtp.Close() }

// Shutdown stops accepting and waits for sessions to end until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error { return s.smtp.Shutdown(ctx) }

type backend struct{ srv *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return newSession(b.srv, c), nil
}

// slogPrinter feeds go-smtp's error log into slog.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(format string, v ...interface{}) {
	p.l.Warn("smtp server", "detail", fmt.Sprintf(format, v...))
}

func (p slogPrinter) Println(v ...interface{}) {
	p.l.Warn("smtp server", "detail", fmt.Sprint(v...))
}
