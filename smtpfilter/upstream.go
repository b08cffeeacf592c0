package smtpfilter

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/spool"
)

// Upstream is where passed mail goes.
//
// Contract: Begin opens one transaction (a connection may be reused across
// transactions of the same client session: a Conn is owned by one session and
// never used concurrently). Every error that is not an *smtp.SMTPError is a
// connection-level failure and means nothing was delivered.
type Upstream interface {
	Connect(ctx context.Context) (Conn, error)
}

// Conn is an open connection to the upstream.
type Conn interface {
	// Mail starts a transaction.
	Mail(from string, opts *smtp.MailOptions) error
	// Rcpt adds a recipient; an *smtp.SMTPError refuses only this one.
	Rcpt(to string, opts *smtp.RcptOptions) error
	// Data sends the message and returns the upstream's answer text (its
	// queue id) once it accepted the message.
	Data(r io.Reader) (string, error)
	// Reset aborts the transaction; the connection stays usable when it
	// returns nil.
	Reset() error
	// Close ends the connection (QUIT when possible).
	Close() error
}

// StartTLSMode says how the relay uses STARTTLS towards the upstream.
type StartTLSMode int

// STARTTLS modes.
const (
	StartTLSOff StartTLSMode = iota
	StartTLSOpportunistic
	StartTLSRequired
)

// ParseStartTLSMode reads "off", "opportunistic" or "required".
func ParseStartTLSMode(s string) (StartTLSMode, error) {
	switch s {
	case "off", "":
		return StartTLSOff, nil
	case "opportunistic":
		return StartTLSOpportunistic, nil
	case "required":
		return StartTLSRequired, nil
	}
	return 0, fmt.Errorf("unknown starttls mode %q", s)
}

// SMTPUpstream relays to an SMTP server with go-smtp's client.
type SMTPUpstream struct {
	Addr      string
	Helo      string
	StartTLS  StartTLSMode
	TLSConfig *tls.Config
	// Username and Password enable AUTH PLAIN (only after STARTTLS).
	Username, Password string
	ConnectTimeout     time.Duration
	CommandTimeout     time.Duration
	DataTimeout        time.Duration
}

// errUpstreamNoTLS is a connection-level failure: the upstream does not offer
// STARTTLS although it is required.
var errUpstreamNoTLS = errors.New("upstream does not offer STARTTLS")

// Connect dials the upstream, says EHLO, runs STARTTLS and AUTH as set.
func (u *SMTPUpstream) Connect(ctx context.Context) (Conn, error) {
	d := net.Dialer{Timeout: u.ConnectTimeout}
	raw, err := d.DialContext(ctx, "tcp", u.Addr)
	if err != nil {
		return nil, fmt.Errorf("dial upstream %s: %w", u.Addr, err)
	}
	conn, secured := raw, false
	if u.StartTLS != StartTLSOff {
		conn, secured, err = u.startTLS(raw)
		if err != nil {
			raw.Close()
			return nil, err
		}
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout = u.CommandTimeout
	c.SubmissionTimeout = u.DataTimeout
	if err := c.Hello(u.Helo); err != nil {
		c.Close()
		return nil, fmt.Errorf("upstream EHLO: %w", err)
	}
	if u.Username != "" {
		if !secured {
			c.Close()
			return nil, errors.New("upstream AUTH refused: the connection is not encrypted")
		}
		if err := c.Auth(sasl.NewPlainClient("", u.Username, u.Password)); err != nil {
			c.Close()
			return nil, fmt.Errorf("upstream AUTH: %w", err)
		}
	}
	return &smtpConn{c: c}, nil
}

// startTLS does the plaintext part of the session itself (greeting, EHLO with
// our own name, STARTTLS) because go-smtp's client says "EHLO localhost"
// before TLS, which some smarthosts refuse. It returns the connection to hand
// to smtp.NewClient: TLS when the upstream offered it, and in either case
// replaying a greeting so that the client says EHLO again (rfc/3207 section 4.2
// requires a fresh EHLO after TLS).
func (u *SMTPUpstream) startTLS(raw net.Conn) (conn net.Conn, secured bool, err error) {
	raw.SetDeadline(time.Now().Add(u.CommandTimeout))
	defer raw.SetDeadline(time.Time{})
	br := bufio.NewReader(raw)
	tp := textproto.NewConn(struct {
		io.Reader
		io.WriteCloser
	}{br, raw})
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, false, fmt.Errorf("upstream greeting: %w", protoError(err))
	}
	id, err := tp.Cmd("EHLO %s", u.Helo)
	if err != nil {
		return nil, false, fmt.Errorf("upstream EHLO: %w", err)
	}
	tp.StartResponse(id)
	_, msg, err := tp.ReadResponse(250)
	tp.EndResponse(id)
	if err != nil {
		return nil, false, fmt.Errorf("upstream EHLO: %w", protoError(err))
	}
	offered := false
	for _, l := range strings.Split(msg, "\n") {
		if strings.EqualFold(strings.TrimSpace(l), "STARTTLS") {
			offered = true
		}
	}
	if !offered {
		if u.StartTLS == StartTLSRequired {
			return nil, false, errUpstreamNoTLS
		}
		return &replayConn{Conn: raw, r: io.MultiReader(strings.NewReader("220 replay\r\n"), br)}, false, nil
	}
	id, err = tp.Cmd("STARTTLS")
	if err != nil {
		return nil, false, fmt.Errorf("upstream STARTTLS: %w", err)
	}
	tp.StartResponse(id)
	_, _, err = tp.ReadResponse(220)
	tp.EndResponse(id)
	if err != nil {
		return nil, false, fmt.Errorf("upstream STARTTLS: %w", protoError(err))
	}
	if br.Buffered() > 0 {
		return nil, false, errors.New("upstream sent data before the TLS handshake")
	}
	cfg := u.TLSConfig.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		host, _, _ := net.SplitHostPort(u.Addr)
		cfg.ServerName = host
	}
	tc := tls.Client(raw, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, false, fmt.Errorf("upstream TLS handshake: %w", err)
	}
	return &replayConn{Conn: tc, r: io.MultiReader(strings.NewReader("220 replay\r\n"), tc)}, true, nil
}

// protoError turns a textproto error into an *smtp.SMTPError so that the
// upstream's own reply code reaches the mapping.
func protoError(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return &smtp.SMTPError{Code: te.Code, Message: te.Msg}
	}
	return err
}

// replayConn reads from r first (a replayed greeting, then the connection).
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

type smtpConn struct {
	c *smtp.Client
}

func (s *smtpConn) Mail(from string, opts *smtp.MailOptions) error { return s.c.Mail(from, opts) }
func (s *smtpConn) Rcpt(to string, opts *smtp.RcptOptions) error   { return s.c.Rcpt(to, opts) }

func (s *smtpConn) Data(r io.Reader) (string, error) {
	w, err := s.c.Data()
	if err != nil {
		return "", err
	}
	if _, err := spool.Copy(w, r); err != nil {
		// Never end a message whose source failed with the final dot: the
		// upstream would deliver the part sent so far, and the retry the
		// whole message again. Dropping the connection mid-DATA makes the
		// upstream discard it (rfc/5321 section 4.1.1.4).
		s.c.Close()
		return "", fmt.Errorf("send DATA to upstream: %w", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", err
	}
	return resp.StatusText, nil
}

func (s *smtpConn) Reset() error { return s.c.Reset() }

func (s *smtpConn) Close() error {
	err := s.c.Quit()
	if err != nil {
		s.c.Close()
	}
	return err
}

// Ping checks that the upstream answers with a 220 greeting (for /readyz).
func (u *SMTPUpstream) Ping(ctx context.Context) error {
	d := net.Dialer{Timeout: u.ConnectTimeout}
	c, err := d.DialContext(ctx, "tcp", u.Addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	tp := textproto.NewConn(c)
	if _, _, err := tp.ReadResponse(220); err != nil {
		return fmt.Errorf("upstream greeting: %w", err)
	}
	tp.PrintfLine("QUIT")
	return nil
}
