package milter

import (
	"log/slog"
	"time"

	gomilter "github.com/d--j/go-milter"

	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
)

// auditRecord is the audit line of one message, with the smarthost's fields
// (smtpfilter.VerdictAttrs for the verdict) and "mode": "milter" and the
// MTA's queue id. It holds no body text and no password.
type auditRecord struct {
	s       *session
	tx      *transaction
	queueID string
	size    int64
	verdict *policy.Verdict
	result  string // accepted | rejected | tempfail
	detail  string
	code    uint16
}

// reject answers r, a refusal by the policy.
func (r *auditRecord) reject(rp reply) *gomilter.Response {
	r.result, r.detail, r.code = "rejected", "policy", rp.code
	return rp.response()
}

// refuse answers a refusal that is not the policy's (a message too large).
func (r *auditRecord) refuse(code uint16, enhanced, text, why string) *gomilter.Response {
	r.result, r.detail, r.code = "rejected", why, code
	return reply{code: code, enhanced: enhanced, text: text}.response()
}

// tempfail answers 451 for our own trouble.
func (r *auditRecord) tempfail(why string) *gomilter.Response {
	r.result, r.detail, r.code = "tempfail", why, 451
	return tempfailReply(r.tx.ref).response()
}

func (r *auditRecord) write() {
	tx, cfg := r.tx, r.tx.cfg
	code := int(r.code)
	if r.result == "accepted" {
		code = 250
	}
	attrs := []any{
		slog.String("ref", tx.ref),
		slog.String("mode", "milter"),
		slog.String("queue_id", r.queueID),
		slog.String("client_ip", r.s.clientIP),
		slog.String("helo", r.s.helo),
		slog.String("auth_user", tx.authUser),
		slog.Bool("tls", r.s.tls),
		slog.String("from", tx.from),
		slog.Any("to", tx.rcpts),
		slog.Int64("size", r.size),
		slog.String("result", r.result),
		slog.Int64("duration_ms", time.Since(tx.started).Milliseconds()),
	}
	if r.verdict != nil {
		attrs = append(attrs, smtpfilter.VerdictAttrs(r.verdict)...)
	}
	if r.detail != "" {
		attrs = append(attrs, slog.String("detail", r.detail))
	}
	attrs = append(attrs, slog.Int("reply_code", code))
	cfg.Audit.Info("message", attrs...)
	verdict := "none"
	if r.verdict != nil {
		verdict = r.verdict.Action.String()
		for _, f := range r.verdict.Findings {
			cfg.Metrics.Finding(f.Rule, f.Action.String())
		}
	}
	cfg.Metrics.Message(verdict, r.result, r.size)
}
