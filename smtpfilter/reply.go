package smtpfilter

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/policy"
)

// maxReplyLine is the longest reply line we write, well inside the 512 bytes
// of rfc/5321 section 4.5.3.1.5 once the code is added.
const maxReplyLine = 480

// maxFindingLines caps a multi-line rejection.
const maxFindingLines = 20

var (
	errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	errRelayDenied  = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relay access denied: this client may not send through sendguard"}
	errTLSRequired  = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	errBareNewline  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message contains a bare CR or LF; lines must end with CRLF (SMTP smuggling defence, RFC 5321 section 2.3.8)"}
	errAuthFailed   = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
	errTooManyAuth  = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many failed authentication attempts, closing connection"}
	// errAuthLockedOut: this client IP failed AUTH too often recently
	// (over any number of connections).
	errAuthLockedOut = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many failed authentication attempts from your address, try again later"}
	errNoMail        = &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "MAIL FROM first"}
)

// tempfail is the reply for our own internal trouble: no detail leaks; the
// reference finds the log line.
func tempfail(ref string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: fmt.Sprintf("Temporary local problem, please try again later (ref %s)", ref)}
}

// Rejection formats a reject verdict as a multi-line 550 reply: one line per
// finding, "5.7.1 [rule-id] what was wrong; how to fix it (ref REF)" from
// the policy's explanation templates. go-smtp puts the enhanced code only on
// the last line, so the earlier lines carry it themselves (RFC 2034).
func Rejection(p *policy.Policy, v *policy.Verdict, ref string) *smtp.SMTPError {
	findings := v.Deciding()
	var lines []string
	for i, f := range findings {
		if i == maxFindingLines-1 && len(findings) > maxFindingLines {
			lines = append(lines, fmt.Sprintf("[%s] and %d more findings (ref %s)", f.Rule, len(findings)-i, ref))
			break
		}
		line := ascii(p.ReplyLine(f, ref))
		if len(line) > maxReplyLine {
			line = line[:maxReplyLine-3] + "..."
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = []string{fmt.Sprintf("Message rejected by policy (ref %s)", ref)}
	}
	for i := range lines[:len(lines)-1] {
		lines[i] = "5.7.1 " + lines[i]
	}
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: strings.Join(lines, "\n")}
}

// withLink ends a rejection with the address of the page that explains it
// in Japanese and English (the reply itself is ASCII only).
func withLink(reply *smtp.SMTPError, link string) {
	line := ascii("Explanation in Japanese and English: " + link)
	if len(line) > maxReplyLine {
		return
	}
	lines := strings.Split(reply.Message, "\n")
	last := len(lines) - 1
	lines[last] = "5.7.1 " + lines[last]
	reply.Message = strings.Join(append(lines, line), "\n")
}

// ascii makes s safe for an SMTP reply line: printable ASCII only. Non-ASCII
// runes (Japanese file names) become '?': the full name is in the audit log
// and in the explanation mail.
func ascii(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r == '\t' || r == '\r' || r == '\n':
			b.WriteByte(' ')
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// upstreamReply maps an upstream's SMTP error to what our client hears. The
// code class is kept (a 5xx stays permanent, a 4xx stays temporary); the text
// is made ASCII, one line, and marked as the upstream's. A 552 at RCPT
// becomes 452 (rfc/5321 section 4.5.3.1.10).
func upstreamReply(e *smtp.SMTPError, atRcpt bool) *smtp.SMTPError {
	code := e.Code
	enh := e.EnhancedCode
	if atRcpt && code == 552 {
		code, enh = 452, smtp.EnhancedCode{4, 5, 3}
	}
	class := code / 100
	if class != 4 && class != 5 {
		code, class = 451, 4
	}
	if enh == smtp.EnhancedCodeNotSet || enh == smtp.NoEnhancedCode || enh[0] != class {
		enh = smtp.EnhancedCode{class, 0, 0}
	}
	msg := ascii(strings.ReplaceAll(e.Message, "\n", " "))
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	if !atRcpt && class == 4 {
		// Message-level deferral by the upstream: a 451 4.4.x so the
		// client's queue retries.
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 0},
			Message: "Upstream MTA deferred the message, try again later: " + msg}
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: "Upstream MTA: " + msg}
}
