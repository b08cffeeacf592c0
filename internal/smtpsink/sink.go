// Package smtpsink is a small real SMTP server (go-smtp) that accepts mail on
// loopback and keeps it, for tests and for the load tool: the "real upstream
// sink" that sendguard relays to, and the sender's mailbox that bounces reach.
// Its behaviour can be changed per recipient and per message to play an
// upstream that refuses, defers or drops the connection.
package smtpsink

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message as the sink received it.
type Message struct {
	From string
	To   []string
	Data []byte
	// TLS is true when the message came over a TLS connection.
	TLS bool
	// User is the authenticated user name, if any.
	User string
}

// Behaviour decides the sink's answers. Every field is optional; nil means
// accept. Functions are called concurrently.
type Behaviour struct {
	// Mail answers MAIL FROM.
	Mail func(from string) *smtp.SMTPError
	// Rcpt answers each RCPT TO.
	Rcpt func(to string) *smtp.SMTPError
	// Data answers the end of DATA, after the message was read.
	Data func(m Message) *smtp.SMTPError
	// DropDuringData closes the connection after reading this many bytes of
	// DATA, without an answer (0 = never).
	DropDuringData int
	// DataDelay is slept before answering DATA.
	DataDelay time.Duration
	// BeforeData is called when DATA begins, before the message is read
	// (a test may block in it to catch a client mid-transfer).
	BeforeData func(m Message)
}

// Sink is a running SMTP server.
type Sink struct {
	Addr string

	server    *smtp.Server
	listener  net.Listener
	countOnly bool

	mu        sync.Mutex
	behaviour Behaviour
	messages  []Message
	arrived   chan struct{}

	count atomic.Int64
	bytes atomic.Int64
}

// Options configure a Sink.
type Options struct {
	// TLS enables STARTTLS with this configuration.
	TLS *tls.Config
	// Users enables AUTH PLAIN with these name → password pairs.
	Users map[string]string
	// CountOnly keeps no message data, only counts (for the load tool).
	CountOnly bool
}

// Start listens on 127.0.0.1 on a free port and serves until Close.
func Start(opts Options) (*Sink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sink{Addr: l.Addr().String(), listener: l, countOnly: opts.CountOnly, arrived: make(chan struct{}, 1)}
	srv := smtp.NewServer(&backend{sink: s, users: opts.Users})
	srv.Domain = "sink.test"
	srv.TLSConfig = opts.TLS
	srv.MaxLineLength = 1 << 20
	srv.ReadTimeout = 2 * time.Minute
	srv.WriteTimeout = 2 * time.Minute
	srv.ErrorLog = nopLogger{}
	s.server = srv
	go srv.Serve(l)
	return s, nil
}

// Close stops the server.
func (s *Sink) Close() error { return s.server.Close() }

// SetBehaviour replaces the sink's behaviour for the following transactions.
func (s *Sink) SetBehaviour(b Behaviour) {
	s.mu.Lock()
	s.behaviour = b
	s.mu.Unlock()
}

func (s *Sink) getBehaviour() Behaviour {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.behaviour
}

// Messages returns a copy of the messages received so far.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Count is the number of messages accepted; Bytes their total size.
func (s *Sink) Count() int64 { return s.count.Load() }

// Bytes is the total size of the messages accepted.
func (s *Sink) Bytes() int64 { return s.bytes.Load() }

// Wait blocks until at least n messages were accepted or the timeout passes,
// and returns the messages.
func (s *Sink) Wait(n int, timeout time.Duration) []Message {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline.C:
			return s.Messages()
		}
	}
}

func (s *Sink) add(m Message) {
	s.count.Add(1)
	s.bytes.Add(int64(len(m.Data)))
	if s.countOnly {
		return
	}
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
}

type backend struct {
	sink  *Sink
	users map[string]string
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{sink: b.sink, users: b.users, conn: c}, nil
}

type session struct {
	sink  *Sink
	users map[string]string
	conn  *smtp.Conn
	user  string
	msg   Message
}

func (s *session) AuthMechanisms() []string {
	if s.users == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if p, ok := s.users[username]; ok && p == password {
			s.user = username
			return nil
		}
		return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if f := s.sink.getBehaviour().Mail; f != nil {
		if err := f(from); err != nil {
			return err
		}
	}
	s.msg = Message{From: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if f := s.sink.getBehaviour().Rcpt; f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b := s.sink.getBehaviour()
	if b.BeforeData != nil {
		b.BeforeData(s.msg)
	}
	var buf bytes.Buffer
	if b.DropDuringData > 0 {
		if _, err := io.CopyN(&buf, r, int64(b.DropDuringData)); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		s.conn.Conn().Close()
		return errors.New("dropped")
	}
	if s.sink.countOnly {
		n, err := io.Copy(io.Discard, r)
		if err != nil {
			return err
		}
		s.sink.count.Add(1)
		s.sink.bytes.Add(n)
		return nil
	}
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	m := s.msg
	m.Data = buf.Bytes()
	m.User = s.user
	_, m.TLS = s.conn.TLSConnectionState()
	if b.DataDelay > 0 {
		time.Sleep(b.DataDelay)
	}
	if b.Data != nil {
		if err := b.Data(m); err != nil {
			return err
		}
	}
	s.sink.add(m)
	return nil
}

func (s *session) Reset()        { s.msg = Message{} }
func (s *session) Logout() error { return nil }

type nopLogger struct{}

func (nopLogger) Printf(string, ...interface{}) {}
func (nopLogger) Println(...interface{})        {}
