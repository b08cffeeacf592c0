package smtpfilter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/spool"
)

// session is one client connection (go-smtp makes a new one at EHLO and again
// after STARTTLS). With CHUNKING, Data runs in another goroutine than Reset,
// so the transaction state is guarded by mu.
type session struct {
	srv  *Server
	cfg  *Config // of the generation that accepted the connection
	conn *smtp.Conn
	ip   netip.Addr
	// remote is the client's address as the listener keys its connection.
	remote string

	mu         sync.Mutex
	authUser   string
	authHash   []byte // the user's bcrypt hash when it authenticated
	authFailed int
	tx         *transaction
	inData     bool
	up         Conn // upstream connection, reused across transactions
	upBusy     bool // a MAIL FROM is open upstream
	closed     bool // said goodbye (421) and closed the connection
}

// transaction is one MAIL FROM … DATA.
type transaction struct {
	// policy is the policy in force when the transaction began: a reload
	// applies to the next transaction, never to one in flight.
	policy   *policy.Policy
	ref      string
	from     string
	mailOpts *smtp.MailOptions
	rcpts    []string
	started  time.Time
}

func newSession(srv *Server, cfg *Config, c *smtp.Conn) *session {
	remote := c.Conn().RemoteAddr()
	return &session{srv: srv, cfg: cfg, conn: c, ip: addrIP(remote), remote: remote.String()}
}

// allowed reports whether the client may relay without AUTH under the
// allowed networks in force now (a reload that narrows them applies to the
// next MAIL of a session already open).
func (s *session) allowed() bool {
	return s.srv.config().allows(s.ip)
}

// mayRelayLocked reports whether the client may relay now: it is inside
// the allowed networks in force, or it authenticated as a user that the
// configuration in force still has, with the same password. A user removed
// by a reload, or whose password was changed (an account cut off after a
// compromise), is signed out at the next MAIL or RCPT of a session already
// open, instead of relaying on it until the client hangs up. Call with mu
// held.
func (s *session) mayRelayLocked() bool {
	if s.allowed() {
		return true
	}
	if s.authUser == "" {
		return false
	}
	if hash, ok := s.currentUsers()[s.authUser]; ok && bytes.Equal(hash, s.authHash) {
		return true
	}
	s.cfg.Log.Warn("authenticated user removed or its password changed by a reload: signed out", "client_ip", s.ip.String(), "user", printableName(s.authUser))
	s.authUser, s.authHash = "", nil
	return false
}

// currentUsers are the users in force now (a user removed by a reload can
// no longer authenticate on a session already open).
func (s *session) currentUsers() map[string][]byte {
	return s.srv.config().Users
}

func (s *session) tls() bool {
	_, ok := s.conn.TLSConnectionState()
	return ok
}

// AuthMechanisms is offered only when users are configured (and go-smtp
// offers AUTH only over TLS).
func (s *session) AuthMechanisms() []string {
	if len(s.cfg.Users) == 0 {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

// Auth returns the SASL server for mech.
func (s *session) Auth(mech string) (sasl.Server, error) {
	verify := func(name, password string) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.authFailed >= maxAuthFailures {
			// Close the socket only: go-smtp's Conn.Close would call
			// Logout, which takes s.mu (held here) — the session would
			// deadlock and its connection slot would never be freed.
			s.hangUpLocked(errTooManyAuth)
			return errTooManyAuth
		}
		if until, locked := s.srv.auth.locked(s.ip); locked {
			s.cfg.Log.Warn("authentication refused: client locked out", "client_ip", s.ip.String(), "until", until.UTC().Format(time.RFC3339))
			s.cfg.Metrics.AuthFailure("locked-out")
			s.hangUpLocked(errAuthLockedOut)
			return errAuthLockedOut
		}
		if !checkPassword(s.currentUsers(), name, password) {
			s.authFailed++
			lockedNow := s.srv.auth.fail(s.ip)
			s.cfg.Metrics.AuthFailure("bad-credentials")
			// The typed password is never logged; the user name is what
			// the client claimed, cleaned for the log.
			s.cfg.Log.Warn("authentication failed", "client_ip", s.ip.String(), "user", printableName(name), "failures_on_connection", s.authFailed, "locked_out", lockedNow)
			if lockedNow {
				s.cfg.Metrics.AuthFailure("lockout-started")
			}
			return errAuthFailed
		}
		s.srv.auth.succeed(s.ip)
		s.authUser, s.authHash = name, s.currentUsers()[name]
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, name, password string) error {
			if identity != "" && identity != name {
				return errAuthFailed
			}
			return verify(name, password)
		}), nil
	case sasl.Login:
		return &loginServer{verify: verify}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// Mail starts a transaction and opens it upstream at once, so that the
// upstream's answers to MAIL and RCPT reach the client (as Postfix's
// smtpd_proxy_filter does).
func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv.draining.Load() {
		return errShuttingDown
	}
	if s.cfg.RequireTLS && !s.tls() {
		return errTLSRequired
	}
	if !s.mayRelayLocked() {
		return errAuthRequired
	}
	s.resetLocked()
	tx := &transaction{policy: s.cfg.Policy(), ref: policy.NewRef(), from: from, mailOpts: opts, started: time.Now()}
	if err := s.upstreamMail(tx); err != nil {
		s.cfg.Log.Warn("upstream refused MAIL", "ref", tx.ref, "error", err.Error())
		return s.upstreamError(err, false, tx.ref)
	}
	s.tx = tx
	if l := s.srv.acceptor(); l != nil {
		l.mailStarted(s.conn.Conn().RemoteAddr())
	}
	return nil
}

func (s *session) upstreamMail(tx *transaction) error {
	if s.up == nil {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.CommandTimeout)
		defer cancel()
		up, err := s.cfg.Upstream.Connect(ctx)
		if err != nil {
			return &connectError{err}
		}
		s.up = up
	}
	var opts *smtp.MailOptions
	if tx.mailOpts != nil {
		o := *tx.mailOpts
		if o.Size > 0 {
			o.Size += 4096 // our Received and X-Sendguard-Verdict fields
		}
		o.Auth = nil
		opts = &o
	}
	err := s.up.Mail(tx.from, opts)
	if err != nil {
		s.dropUpstreamIfBroken(err)
		return err
	}
	s.upBusy = true
	return nil
}

// Rcpt proxies the recipient to the upstream: its refusal of one recipient is
// our refusal of that recipient.
func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.mayRelayLocked() {
		return errRelayDenied
	}
	if s.tx == nil {
		return errNoMail
	}
	wire, err := checkRecipient(to, s.cfg.AllowQuotedLocalParts)
	if err != nil {
		s.cfg.Log.Info("recipient refused", "ref", s.tx.ref, "reason", err.Error())
		return err
	}
	if s.up == nil {
		return s.upstreamError(errUpstreamLost, true, s.tx.ref)
	}
	if err := s.up.Rcpt(wire, opts); err != nil {
		s.dropUpstreamIfBroken(err)
		return s.upstreamError(err, true, s.tx.ref)
	}
	s.tx.rcpts = append(s.tx.rcpts, to)
	return nil
}

// Data spools the message, asks the policy, and relays or refuses it. A
// panic below it becomes a 451 for this message (the deferred clean-ups have
// run by then), not a dropped connection.
func (s *session) Data(r io.Reader) (reply error) {
	defer func() {
		if p := recover(); p != nil {
			ref := "-"
			s.mu.Lock()
			if s.tx != nil {
				ref = s.tx.ref
			}
			s.mu.Unlock()
			s.cfg.Log.Error("panic while handling a message", "ref", ref, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			s.abortUpstream()
			reply = tempfail(ref)
		}
	}()
	s.mu.Lock()
	tx := s.tx
	s.inData = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inData = false
		s.mu.Unlock()
	}()
	if tx == nil {
		io.Copy(io.Discard, r)
		return errNoMail
	}
	cfg := s.cfg
	if cfg.DataTimeout > 0 {
		s.conn.Conn().SetReadDeadline(time.Now().Add(cfg.DataTimeout))
	}
	guard := &lineGuard{r: r, normalize: cfg.BareNewline == BareNewlineNormalize}
	buf := spool.New(cfg.SpoolDir, cfg.SpoolMemoryBytes, 0)
	defer buf.Close()
	if tx.mailOpts != nil && tx.mailOpts.Size > 0 {
		buf.Grow(tx.mailOpts.Size) // capped at the memory threshold by Grow
	}

	rec := auditRecord{tx: tx, session: s}
	_, err := buf.ReadFrom(guard)
	rec.size = buf.Size()
	switch {
	case errors.Is(err, smtp.ErrDataTooLarge):
		return s.finish(rec.refused(smtp.ErrDataTooLarge, "message too large"))
	case errors.Is(err, smtp.ErrTooLongLine):
		// A permanent property of the message: retrying cannot help.
		return s.finish(rec.refused(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message: fmt.Sprintf("Message has a line longer than %d bytes; send long content as an attachment", cfg.MaxLineLength)}, "line too long"))
	case err != nil:
		// The client went away or timed out: nothing is relayed.
		s.abortUpstream()
		rec.result, rec.detail = "aborted", err.Error()
		rec.write()
		return tempfail(tx.ref)
	case guard.bare:
		return s.finish(rec.refused(errBareNewline, "bare CR or LF"))
	}

	ctx, cancel := context.WithTimeout(context.Background(), evaluationTimeout(cfg.DataTimeout))
	defer cancel()
	env := policy.Envelope{From: tx.from, To: tx.rcpts, AuthUser: s.currentUser()}
	began := time.Now()
	pol := tx.policy
	verdict, err := pol.Evaluate(ctx, env, buf, buf.Size())
	cfg.Metrics.Inspection(time.Since(began))
	if err != nil {
		cfg.Log.Error("policy evaluation failed", "ref", tx.ref, "error", err.Error())
		rec.result, rec.detail = "tempfail", "evaluation failed"
		return s.finish(rec.withReply(tempfail(tx.ref)))
	}
	rec.verdict = verdict
	s.reportIncidents(pol, verdict, tx)
	if state, delay := s.holdState(pol, verdict, tx); state != "" {
		if cfg.Holds != nil && cfg.Holds.Store != nil {
			return s.hold(pol, verdict, tx, buf, state, delay, &rec)
		}
		// Without a store nothing can wait: a hold or approve verdict
		// is refused like a reject (lint refuses such a configuration).
		cfg.Log.Warn("a hold or approve verdict without a store: the message is refused", "ref", tx.ref)
	}
	if verdict.Action >= policy.Hold {
		// A hold or approve verdict that could not be held is refused
		// naming every finding that stopped it.
		stopped := verdict.Refusal()
		if cfg.Explain.Mail {
			hdr := headerSection(buf, buf.Size())
			if ok, why := s.mayWrite(tx.from, hdr); !ok {
				rec.detail = "no report: " + why
			} else if err := s.mailReport(pol, stopped, tx, hdr); err != nil {
				cfg.Log.Warn("report to the sender not sent; rejecting in the session instead", "ref", tx.ref, "error", err.Error())
				rec.detail = "report failed"
			} else {
				rec.result = "reported"
				rec.write()
				return nil
			}
		}
		reply := Rejection(pol, stopped, tx.ref)
		if link := s.keepRejection(pol, stopped, tx, headerSection(buf, buf.Size())); link != "" {
			withLink(reply, link)
		}
		return s.finish(rec.refused(reply, "policy"))
	}

	trace := traceInfo{helo: s.conn.Hostname(), ip: s.ip.String(), tls: s.tls(), authUser: env.AuthUser}
	prefix := receivedHeader(trace, cfg.Hostname, tx.ref, tx.rcpts, time.Now()) + verdictHeader(verdict, tx.ref)
	msg := io.MultiReader(strings.NewReader(prefix), withoutField(buf, buf.Size(), VerdictHeader))
	s.mu.Lock()
	up := s.up
	s.mu.Unlock()
	if up == nil {
		return s.finish(rec.withReply(s.upstreamError(errUpstreamLost, false, tx.ref)))
	}
	began = time.Now()
	queued, err := up.Data(msg)
	s.mu.Lock()
	s.upBusy = false
	s.mu.Unlock()
	if err != nil {
		s.mu.Lock()
		s.dropUpstreamIfBroken(err)
		s.mu.Unlock()
		rec.result, rec.detail = "upstream-failed", err.Error()
		return s.finish(rec.withReply(s.upstreamError(err, false, tx.ref)))
	}
	cfg.Metrics.Relay(time.Since(began))
	rec.result, rec.upstream = "relayed", queued
	rec.write()
	if verdict.Action == policy.Flag {
		s.sendFlagNotice(pol, verdict, tx, headerSection(buf, buf.Size()))
	}
	return nil
}

// evaluationTimeout bounds one policy evaluation.
func evaluationTimeout(data time.Duration) time.Duration {
	if data <= 0 {
		return 5 * time.Minute
	}
	return data
}

// finish ends a transaction that was not relayed: the upstream transaction is
// aborted, the audit line written, the reply returned.
func (s *session) finish(rec *auditRecord) error {
	s.abortUpstream()
	rec.write()
	return rec.reply
}

func (s *session) currentUser() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authUser
}

// upstreamError maps an upstream failure to our reply. Connection failures
// and timeouts are 451 4.4.x: the client keeps the message and retries.
func (s *session) upstreamError(err error, atRcpt bool, ref string) error {
	m := s.cfg.Metrics
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		switch {
		case atRcpt:
			m.UpstreamError("recipient")
		case se.Code/100 == 4:
			m.UpstreamError("temporary")
		default:
			m.UpstreamError("permanent")
		}
		return upstreamReply(se, atRcpt)
	}
	code := smtp.EnhancedCode{4, 4, 1} // no answer from host
	msg := "Upstream MTA unreachable, try again later"
	class := "unreachable"
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		code, class = smtp.EnhancedCode{4, 4, 2}, "timeout"
		msg = "Upstream MTA timed out, try again later"
	} else if ce := (*connectError)(nil); !errors.As(err, &ce) {
		code, class = smtp.EnhancedCode{4, 4, 2}, "lost"
		msg = "Connection to the upstream MTA was lost, try again later"
	}
	m.UpstreamError(class)
	s.cfg.Log.Warn("upstream failure", "ref", ref, "class", class, "error", err.Error())
	return &smtp.SMTPError{Code: 451, EnhancedCode: code, Message: msg + " (ref " + ref + ")"}
}

// errUpstreamLost: the upstream connection went away between commands.
var errUpstreamLost = errors.New("upstream connection lost")

// bytesReader reads a built message.
func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// connectError marks a failure to open the upstream connection (as opposed
// to losing it later).
type connectError struct{ err error }

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// dropUpstreamIfBroken closes the upstream connection after a failure that
// is not an SMTP reply (the connection's state is unknown). Call with mu held.
func (s *session) dropUpstreamIfBroken(err error) {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code != 421 {
		return
	}
	if s.up != nil {
		s.up.Close()
		s.up = nil
	}
	s.upBusy = false
}

func (s *session) abortUpstream() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abortUpstreamLocked()
}

func (s *session) abortUpstreamLocked() {
	if s.up != nil && s.upBusy {
		if err := s.up.Reset(); err != nil {
			s.up.Close()
			s.up = nil
		}
	}
	s.upBusy = false
}

// dropUpstream ends the upstream connection in the background, without
// waiting for it: the goroutine owns the connection from here on.
func (s *session) dropUpstream() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if up := s.up; up != nil && s.upBusy {
		s.up = nil
		go up.Close()
	}
	s.upBusy = false
}

func (s *session) resetLocked() {
	s.abortUpstreamLocked()
	s.tx = nil
}

// Reset discards the transaction (RSET, and after every DATA, once the
// reply to DATA was written). While the server drains, the session ends
// here.
func (s *session) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
	if s.srv.draining.Load() && !s.inData {
		s.goodbyeLocked()
	}
}

// closeIfIdle ends the session with 421 when no transaction is open.
func (s *session) closeIfIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tx == nil && !s.inData {
		s.goodbyeLocked()
	}
}

// sayGoodbye ends the session with 421 whatever it is doing.
func (s *session) sayGoodbye() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.goodbyeLocked()
}

func (s *session) goodbyeLocked() {
	s.hangUpLocked(errShuttingDown)
}

// hangUpLocked writes reply (a 421) to the client and closes the socket.
// It closes the net.Conn, not go-smtp's Conn: the server's read loop then
// ends and calls Logout, which takes mu after the caller released it. Call
// with mu held.
func (s *session) hangUpLocked(reply *smtp.SMTPError) {
	if s.closed {
		return
	}
	s.closed = true
	c := s.conn.Conn()
	c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "%d %d.%d.%d %s %s\r\n", reply.Code, reply.EnhancedCode[0], reply.EnhancedCode[1], reply.EnhancedCode[2], s.cfg.Hostname, reply.Message)
	c.Close()
}

// Logout ends the session and its upstream connection.
func (s *session) Logout() error {
	s.srv.track(s, false)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
	if s.up != nil {
		s.up.Close()
		s.up = nil
	}
	return nil
}
