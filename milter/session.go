package milter

import (
	"errors"
	"io"
	"strings"
	"time"

	gomilter "github.com/d--j/go-milter"

	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
	"github.com/sendguard/sendguard/spool"
)

// session is one milter connection: the MTA opens one per SMTP session and
// sends its events in order, one at a time, so no lock is needed. It may
// carry several messages (and, with Postfix, several SMTP sessions).
type session struct {
	gomilter.NoOpMilter
	srv *Server

	clientIP string
	helo     string
	tls      bool
	tx       *transaction
	// field is reused to put each header field together.
	field []byte
}

// transaction is one message: MAIL FROM to the end of the message.
type transaction struct {
	cfg *Config
	// policy is the policy in force at MAIL FROM: a reload applies to the
	// next message, never to one in flight.
	policy   *policy.Policy
	ref      string
	from     string
	authUser string
	rcpts    []string
	started  time.Time

	// buf holds the message as the MTA received it: header fields,
	// the empty line, the body.
	buf *spool.Buffer
	// err is the first failure to spool (a temporary file that could
	// not be written): the message gets a 451.
	err error
	// tooLarge: the message went past Config.MaxMessageBytes.
	tooLarge bool
	// forged counts the X-Sendguard-Verdict fields the client sent; each
	// is deleted before the verdict's own is added.
	forged int
	// bodyStarted: the empty line after the header section is written.
	bodyStarted bool
}

var _ gomilter.Milter = (*session)(nil)

// NewConnection forgets the previous SMTP session's client (Postfix may
// reuse a milter connection for a new SMTP session).
func (s *session) NewConnection(gomilter.Modifier) error {
	s.close()
	s.clientIP, s.helo, s.tls = "", "", false
	return nil
}

// Connect records the SMTP client's address for the audit line.
func (s *session) Connect(host, family string, port uint16, addr string, m gomilter.Modifier) (*gomilter.Response, error) {
	s.clientIP = addr
	return gomilter.RespContinue, nil
}

// Helo records the client's greeting and whether it uses TLS.
func (s *session) Helo(name string, m gomilter.Modifier) (*gomilter.Response, error) {
	s.helo = name
	s.tls = m.Get(gomilter.MacroTlsVersion) != ""
	return gomilter.RespContinue, nil
}

// MailFrom starts a message, under the configuration and policy in force now.
func (s *session) MailFrom(from, esmtpArgs string, m gomilter.Modifier) (*gomilter.Response, error) {
	s.close()
	cfg := s.srv.config()
	s.tx = &transaction{cfg: cfg, policy: cfg.Policy(), ref: policy.NewRef(), from: from,
		authUser: m.Get(gomilter.MacroAuthAuthen), started: time.Now()}
	s.srv.inFlight.Add(1)
	return gomilter.RespContinue, nil
}

// RcptTo adds a recipient the MTA accepted.
func (s *session) RcptTo(rcptTo, esmtpArgs string, m gomilter.Modifier) (*gomilter.Response, error) {
	if s.tx != nil {
		s.tx.rcpts = append(s.tx.rcpts, rcptTo)
	}
	return gomilter.RespContinue, nil
}

// Header spools one header field as it was on the wire: name, colon, value
// (the space after the colon is put back when the MTA swallowed it), folded
// lines ending in CRLF.
func (s *session) Header(name, value string, m gomilter.Modifier) (*gomilter.Response, error) {
	tx := s.tx
	if tx == nil {
		return gomilter.RespContinue, nil
	}
	if strings.EqualFold(name, smtpfilter.VerdictHeader) {
		tx.forged++
	}
	b := append(s.field[:0], name...)
	b = append(b, ':')
	if m.Protocol()&gomilter.OptHeaderLeadingSpace == 0 {
		b = append(b, ' ')
	}
	b = appendCRLF(b, value)
	b = append(b, '\r', '\n')
	s.field = b
	tx.writeBytes(b)
	return gomilter.RespContinue, nil
}

// Headers ends the header section.
func (s *session) Headers(m gomilter.Modifier) (*gomilter.Response, error) {
	if tx := s.tx; tx != nil && !tx.bodyStarted {
		tx.bodyStarted = true
		tx.write("\r\n")
	}
	return gomilter.RespContinue, nil
}

// BodyChunk spools a piece of the body (Postfix and Sendmail send it with
// CRLF line endings, as it came in DATA).
func (s *session) BodyChunk(chunk []byte, m gomilter.Modifier) (*gomilter.Response, error) {
	if tx := s.tx; tx != nil {
		if !tx.bodyStarted { // no end-of-header event: an MTA that skips it
			tx.bodyStarted = true
			tx.write("\r\n")
		}
		tx.writeBytes(chunk)
	}
	return gomilter.RespContinue, nil
}

// Abort discards the message (RSET, a client that went away, or a verdict
// from another milter); the connection goes on.
func (s *session) Abort(gomilter.Modifier) error {
	s.close()
	return nil
}

// Cleanup runs when the MTA's connection ends: the spool goes too.
func (s *session) Cleanup(gomilter.Modifier) {
	s.close()
}

// close ends the current message, if any, and removes its temporary file.
func (s *session) close() {
	if s.tx != nil {
		s.tx.close()
		s.tx = nil
		s.srv.inFlight.Add(-1)
	}
}

func (tx *transaction) close() {
	if tx.buf != nil {
		tx.buf.Close()
	}
}

// write appends s to the spool; see writeBytes.
func (tx *transaction) write(s string) {
	tx.writeBytes([]byte(s))
}

// writeBytes appends p to the spool. A message past the size limit, or one
// whose temporary file failed, is marked and no longer written: memory and
// disk stay bounded, and the end of the message gives the verdict.
func (tx *transaction) writeBytes(p []byte) {
	if tx.err != nil || tx.tooLarge {
		return
	}
	if tx.buf == nil {
		tx.buf = spool.New(tx.cfg.SpoolDir, tx.cfg.SpoolMemoryBytes, tx.cfg.MaxMessageBytes)
	}
	if _, err := tx.buf.Write(p); err != nil {
		if errors.Is(err, spool.ErrTooLarge) {
			tx.tooLarge = true
			return
		}
		tx.err = err
	}
}

// size is how many bytes are spooled.
func (tx *transaction) size() int64 {
	if tx.buf == nil {
		return 0
	}
	return tx.buf.Size()
}

// reader is the spooled message.
func (tx *transaction) reader() io.ReaderAt {
	if tx.buf == nil {
		return strings.NewReader("")
	}
	return tx.buf
}

// appendCRLF appends the header value v with every line break made CRLF:
// MTAs send folded values with LF (Postfix) or CRLF.
func appendCRLF(b []byte, v string) []byte {
	for {
		i := strings.IndexByte(v, '\n')
		if i < 0 {
			return append(b, v...)
		}
		line := strings.TrimSuffix(v[:i], "\r")
		b = append(b, line...)
		b = append(b, '\r', '\n')
		v = v[i+1:]
	}
}
