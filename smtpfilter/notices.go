package smtpfilter

import (
	"context"
	"io"
	"time"

	"github.com/sendguard/sendguard/mailheader"
	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy"
)

// ExplainConfig says how a blocked sender learns why.
type ExplainConfig struct {
	// Mail: a rejected message is accepted (250, so the organisation's MTA
	// does not bounce it as well), not relayed, and the sender is mailed an
	// RFC 3464 report through the upstream. Otherwise the SMTP reply
	// carries the explanation.
	Mail bool
	// From is the postmaster address reports and notices come from.
	From string
	// Limiter bounds reports and notices per sender; nil = no limit.
	Limiter *notify.RateLimiter
}

// headerSection reads the message's header section for reports and
// notices: mailheader.ReadSection within notify.MaxOriginalHeader plus
// 4 KB, the bound it has always had (the report returns at most
// MaxOriginalHeader of it; ShouldReport reads all of it). A read error
// leaves the fields read before it: the spool is in memory or a local file,
// and a report with fewer fields is still a report.
func headerSection(r io.ReaderAt, size int64) []byte {
	h, _ := mailheader.ReadSection(io.NewSectionReader(r, 0, size), notify.MaxOriginalHeader+4096)
	return h
}

// noticeFindings renders findings for a report or notice.
func noticeFindings(pol *policy.Policy, fs []policy.Finding, ref string) (out []notify.Finding, redactSubject bool) {
	for _, f := range fs {
		nf, _ := notify.NewFinding(pol.Catalog(), f.ExplainInput(ref))
		out = append(out, nf)
		if f.Data["Where"] == "subject" {
			redactSubject = true
		}
	}
	return out, redactSubject
}

// mayWrite reports whether the sender may be mailed about this message: not
// a bounce or automatic mail (no loops, no backscatter), and within the rate
// limit.
func (s *session) mayWrite(sender string, hdr []byte) (bool, string) {
	return mayWrite(s.cfg.Explain.Limiter, sender, hdr)
}

func mayWrite(l *notify.RateLimiter, sender string, hdr []byte) (bool, string) {
	if ok, why := notify.ShouldReport(sender, mailheader.Parse(hdr)); !ok {
		return false, why
	}
	if l != nil && !l.Allow(sender) {
		return false, "rate limit"
	}
	return true, ""
}

// mailReport sends the sender a report on the rejected message through the
// session's upstream connection, from the null reverse-path. It returns nil
// once the upstream accepted the report; the caller then answers 250.
func (s *session) mailReport(pol *policy.Policy, v *policy.Verdict, tx *transaction, hdr []byte) error {
	findings, redact := noticeFindings(pol, v.Deciding(), tx.ref)
	msg, err := notify.BuildReport(notify.Report{
		From: s.cfg.Explain.From, Sender: tx.from, Recipients: tx.rcpts, Header: hdr,
		Findings: findings, Ref: tx.ref, ReportingMTA: s.cfg.Hostname, Arrival: tx.started,
		RedactSubject: redact,
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abortUpstreamLocked()
	if s.up == nil {
		return errUpstreamLost
	}
	up := s.up
	if err := up.Mail("", nil); err != nil {
		s.dropUpstreamIfBroken(err)
		return err
	}
	s.upBusy = true
	if err := up.Rcpt(tx.from, nil); err != nil {
		s.dropUpstreamIfBroken(err)
		return err
	}
	if _, err := up.Data(bytesReader(msg)); err != nil {
		s.dropUpstreamIfBroken(err)
		return err
	}
	s.upBusy = false
	return nil
}

// sendFlagNotice tells the sender, after the message went out flagged, why
// it was flagged (Notifier.SendFlagNotice).
func (s *session) sendFlagNotice(pol *policy.Policy, v *policy.Verdict, tx *transaction, hdr []byte) {
	n := Notifier{Upstream: s.cfg.Upstream, Explain: s.cfg.Explain, Hostname: s.cfg.Hostname, Log: s.cfg.Log}
	n.SendFlagNotice(FlagNotice{Policy: pol, Verdict: v, Ref: tx.ref, Sender: tx.from, Recipients: tx.rcpts, Header: hdr})
}

// reportIncidents hands incident findings to the incident notifier; it never
// blocks.
func (s *session) reportIncidents(pol *policy.Policy, v *policy.Verdict, tx *transaction) {
	inc := s.cfg.Incidents
	if inc == nil {
		return
	}
	for _, f := range v.Findings {
		if f.Action == policy.Pass || !pol.IsIncidentFinding(f) {
			continue
		}
		inc.Add(notify.Incident{Ref: tx.ref, Time: time.Now(), Sender: tx.from, Rule: f.Rule, Evidence: f.Evidence, Action: f.Action.String()})
	}
}

// SendVia sends one message through the upstream on a connection of its own
// (incident notices, flag notices).
func SendVia(ctx context.Context, up Upstream, from string, to []string, msg []byte) error {
	c, err := up.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return err
		}
	}
	_, err = c.Data(bytesReader(msg))
	return err
}
