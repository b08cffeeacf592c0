package smtpfilter

import (
	"errors"
	"log/slog"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/policy"
)

// auditRecord collects what the audit line says about one message. It holds
// no body text and no password: only the envelope, sizes, the verdict with
// its evidence (file names, domains) and the attachments' names, types and
// SHA-256 digests.
type auditRecord struct {
	tx       *transaction
	session  *session
	size     int64
	verdict  *policy.Verdict
	result   string // relayed | rejected | tempfail | upstream-failed | aborted
	detail   string
	upstream string
	reply    error
}

func (r *auditRecord) refused(reply *smtp.SMTPError, why string) *auditRecord {
	r.result, r.detail, r.reply = "rejected", why, reply
	return r
}

func (r *auditRecord) withReply(reply error) *auditRecord {
	r.reply = reply
	if r.result == "" {
		r.result = "tempfail"
	}
	return r
}

func (r *auditRecord) write() {
	s := r.session
	attrs := []any{
		slog.String("ref", r.tx.ref),
		slog.String("client_ip", s.ip.String()),
		slog.String("helo", s.conn.Hostname()),
		slog.String("auth_user", s.currentUser()),
		slog.Bool("tls", s.tls()),
		slog.String("from", r.tx.from),
		slog.Any("to", r.tx.rcpts),
		slog.Int64("size", r.size),
		slog.String("result", r.result),
		slog.Int64("duration_ms", time.Since(r.tx.started).Milliseconds()),
	}
	if r.verdict != nil {
		attrs = append(attrs, VerdictAttrs(r.verdict)...)
	}
	if r.detail != "" {
		attrs = append(attrs, slog.String("detail", r.detail))
	}
	if r.upstream != "" {
		attrs = append(attrs, slog.String("upstream", r.upstream))
	}
	var se *smtp.SMTPError
	if errors.As(r.reply, &se) {
		attrs = append(attrs, slog.Int("reply_code", se.Code))
	} else if r.reply == nil {
		attrs = append(attrs, slog.Int("reply_code", 250))
	}
	s.cfg.Audit.Info("message", attrs...)
	verdict := "none"
	if r.verdict != nil {
		verdict = r.verdict.Action.String()
		for _, f := range r.verdict.Findings {
			s.cfg.Metrics.Finding(f.Rule, f.Action.String())
		}
	}
	s.cfg.Metrics.Message(verdict, r.result, r.size)
}

// VerdictAttrs are the audit line's attributes for a verdict: verdict,
// rules, findings (without the sender-facing prose), attachments and, when
// set, encrypted. The milter writes its audit lines with them too.
func VerdictAttrs(v *policy.Verdict) []any {
	attrs := []any{
		slog.String("verdict", v.Action.String()),
		slog.Any("rules", v.Rules()),
		slog.Any("findings", auditFindings(v.Findings)),
		slog.Any("attachments", v.Attachments),
	}
	if v.Encrypted != "" {
		attrs = append(attrs, slog.String("encrypted", v.Encrypted))
	}
	return attrs
}

// auditFinding is a finding as logged: without the sender-facing prose.
type auditFinding struct {
	Rule     string `json:"rule"`
	Action   string `json:"action"`
	Evidence string `json:"evidence"`
	Detail   string `json:"detail,omitempty"`
}

func auditFindings(fs []policy.Finding) []auditFinding {
	out := make([]auditFinding, len(fs))
	for i, f := range fs {
		out[i] = auditFinding{Rule: f.Rule, Action: f.Action.String(), Evidence: f.Evidence, Detail: f.Detail}
	}
	return out
}
