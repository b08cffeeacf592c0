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
	"strings"
	"syscall"
	"time"

	"github.com/sendguard/sendguard/config"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
)

// shutdownGrace is how long sessions in flight may take after SIGTERM.
const shutdownGrace = 30 * time.Second

func serveCmd(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil {
		return fail(exitUsage, "")
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
	cfg, err := serverConfig(f, pol, logger, audit)
	if err != nil {
		return &exitError{code: exitConfig, err: err}
	}
	srv := smtpfilter.New(cfg)
	l, err := net.Listen("tcp", f.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger.Info("sendguard listening", "address", l.Addr().String(), "upstream", f.Upstream.Address,
		"tls", cfg.TLSConfig != nil, "hostname", f.Server.Hostname)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case sig := <-sigs:
		logger.Info("shutting down", "signal", sig.String())
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		return nil
	}
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
	if dest == "" || dest == "stderr" {
		return logger.With("log", "audit"), func() {}, nil
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

// serverConfig wires the configuration file into the SMTP server.
func serverConfig(f *config.File, pol *policy.Policy, logger, audit *slog.Logger) (smtpfilter.Config, error) {
	s := f.Server
	cfg := smtpfilter.Config{
		Hostname:            s.Hostname,
		RequireTLS:          s.RequireTLS,
		MaxMessageBytes:     s.MaxMessageBytes,
		MaxRecipients:       s.MaxRecipients,
		MaxLineLength:       s.MaxLineLength,
		MaxConnections:      s.MaxConnections,
		MaxConnectionsPerIP: s.MaxConnectionsPerIP,
		CommandTimeout:      s.CommandTimeout.Duration,
		DataTimeout:         s.DataTimeout.Duration,
		SpoolDir:            f.Resolve(s.SpoolDir),
		SpoolMemoryBytes:    s.SpoolMemoryBytes,
		Policy:              func() *policy.Policy { return pol },
		Log:                 logger,
		Audit:               audit,
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
