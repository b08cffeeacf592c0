package smtpfilter

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/spool"
	"github.com/sendguard/sendguard/store"
)

// Holds is what the server needs to hold messages (sender confirmation,
// approval, timed delay) and to explain rejections on a page. nil turns
// both off: hold and approve verdicts are then refused like rejects.
type Holds struct {
	Store *store.Store
	// Delay is the timed delay for a pass or flag message from sender
	// (external: it has a recipient outside the organisation); 0 = none.
	Delay func(sender string, external bool) time.Duration
	// Approvers are the addresses that may release sender's messages.
	Approvers func(sender string) []string
	// Expire is how long a message waits for a confirmation or approval.
	Expire time.Duration
	// Notices writes the mails that announce a held message.
	Notices notify.HeldNotices
	// Wake tells the dispatcher that something is due (may be nil).
	Wake func()
	// RejectLink returns the page explaining a rejected message (valid
	// for as long as the reference is kept); nil or "" = no page, and
	// rejections are not kept.
	RejectLink func(ref string) string
}

// holdState is the state a verdict puts a message in, or "" when it is
// not held: an approve finding needs an approver, a hold finding the
// sender; a pass or flag verdict to an external recipient waits for the
// timed delay when one is set.
func (s *session) holdState(pol *policy.Policy, v *policy.Verdict, tx *transaction) (store.State, time.Duration) {
	switch v.Action {
	case policy.Approve:
		return store.StateApproval, 0
	case policy.Hold:
		return store.StateConfirm, 0
	case policy.Pass, policy.Flag:
		h := s.cfg.Holds
		// With the delay off (the usual case) the recipients are not
		// looked at: this runs for every message relayed.
		if h == nil || h.Delay == nil || h.Delay(tx.from, true) == 0 {
			return "", 0
		}
		external := false
		for _, r := range tx.rcpts {
			if !pol.IsInternal(r) {
				external = true
				break
			}
		}
		if d := h.Delay(tx.from, external); d > 0 {
			return store.StateDelayed, d
		}
	}
	return "", 0
}

// hold commits the message to the store and answers 250: from then on
// sendguard owns it. A store that cannot commit it answers 451, so the
// client keeps it and retries.
func (s *session) hold(pol *policy.Policy, v *policy.Verdict, tx *transaction, buf *spool.Buffer, state store.State, delay time.Duration, rec *auditRecord) error {
	cfg := s.cfg
	hs := cfg.Holds
	now := time.Now()
	hdr := headerSection(buf, buf.Size())
	trace := traceInfo{helo: s.conn.Hostname(), ip: s.ip.String(), tls: s.tls(), authUser: s.currentUser()}
	h := &store.Held{
		Ref: tx.ref, State: state, Sender: tx.from, Recipients: tx.rcpts,
		Rules: v.Rules(), Summary: summarize(pol, v, tx, hdr, state),
		Trace:  receivedHeader(trace, cfg.Hostname, tx.ref, tx.rcpts, now),
		HeldAt: now,
	}
	if v.Action == policy.Flag || v.Action >= policy.Hold {
		for _, f := range v.Findings {
			if f.Action == policy.Flag && !slices.Contains(h.FlagRules, f.Rule) {
				h.FlagRules = append(h.FlagRules, f.Rule)
			}
		}
	}
	switch state {
	case store.StateDelayed:
		h.ReleaseAt = now.Add(delay)
	case store.StateApproval:
		h.ExpireAt = now.Add(hs.Expire)
		if hs.Approvers != nil {
			h.Approvers = hs.Approvers(tx.from)
		}
	case store.StateConfirm:
		h.ExpireAt = now.Add(hs.Expire)
	}
	ctx, cancel := context.WithTimeout(context.Background(), holdCommitTimeout)
	defer cancel()
	body := withoutField(buf, buf.Size(), VerdictHeader)
	if err := hs.Store.Hold(ctx, h, body, hs.Notices.Held(h)); err != nil {
		cfg.Log.Error("store: a held message could not be committed; the client is told to retry", "ref", tx.ref, "error", err.Error())
		rec.result, rec.detail = "tempfail", "store commit failed"
		return s.finish(rec.withReply(tempfail(tx.ref)))
	}
	// sendguard owns the message now: the client hears 250 without waiting
	// for the upstream's answer to RSET (a hung upstream would delay it
	// up to its command timeout, and a client that gives up sends the
	// message again). The connection is dropped; the next one reconnects.
	s.dropUpstream()
	rec.result, rec.detail = "held", string(state)
	rec.write()
	cfg.Metrics.HoldEvent("held", string(state))
	if hs.Wake != nil {
		hs.Wake()
	}
	var msg string
	switch state {
	case store.StateApproval:
		msg = "Held for approval by " + ascii(strings.Join(h.Approvers, ", "))
	case store.StateConfirm:
		msg = "Held until the sender confirms it; a notice with the link was sent to the sender"
	default:
		msg = fmt.Sprintf("Queued: goes out at %s unless the sender cancels it", h.ReleaseAt.UTC().Format("15:04:05 UTC"))
	}
	if len(msg) > 400 {
		msg = msg[:400] + "..."
	}
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: msg + " (ref " + tx.ref + ")"}
}

// holdCommitTimeout bounds the store commit of a held message.
const holdCommitTimeout = 30 * time.Second

// keepRejection stores the explanation of a rejected message and returns
// the page's address for the reply ("" when there is no page).
func (s *session) keepRejection(pol *policy.Policy, v *policy.Verdict, tx *transaction, hdr []byte) string {
	hs := s.cfg.Holds
	if hs == nil || hs.RejectLink == nil || hs.Store == nil {
		return ""
	}
	link := hs.RejectLink(tx.ref)
	if link == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := hs.Store.SaveRejection(ctx, store.Rejection{Ref: tx.ref, Sender: tx.from, Summary: summarize(pol, v, tx, hdr, "")})
	if err != nil {
		s.cfg.Log.Warn("store: the explanation of a rejected message was not kept; the reply has no link", "ref", tx.ref, "error", err.Error())
		return ""
	}
	return link
}

// summarize is what the page and the notices show of a message: subject
// (withheld when a finding is in it), recipients with their domain class,
// attachments with their verdicts and the deciding findings explained in
// both languages.
func summarize(pol *policy.Policy, v *policy.Verdict, tx *transaction, hdr []byte, state store.State) store.Summary {
	sum := store.Summary{Action: v.Action.String()}
	if state == store.StateDelayed {
		sum.Action = "delay"
	}
	withheld := false
	for _, f := range v.Findings {
		if f.Data["Where"] == "subject" {
			withheld = true
		}
	}
	if withheld {
		sum.SubjectWithheld = true
	} else {
		sum.Subject = notify.Subject(hdr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, c := range pol.ClassifyRecipients(ctx, tx.rcpts) {
		sum.Recipients = append(sum.Recipients, store.Recipient{Address: c.Address, Class: c.Class, Resembles: c.Resembles})
	}
	for _, a := range v.Attachments {
		sa := store.Attachment{Name: a.Name, Format: a.Format, Size: a.Size, Protected: a.Protected, Method: a.Method}
		switch {
		case a.Exempt != "":
			sa.Note = a.Exempt
		case a.Unscannable != "":
			sa.Note = "unscannable: " + a.Unscannable
		}
		sum.Attachments = append(sum.Attachments, sa)
	}
	for _, f := range v.Findings {
		if f.Action == policy.Pass {
			continue
		}
		sum.Findings = append(sum.Findings, store.Finding{Rule: f.Rule, Action: f.Action.String(), Evidence: f.Evidence,
			Reason: f.Reason, Article: f.Article, Remedy: f.Remedy, ReasonJA: f.ReasonJA, ArticleJA: f.ArticleJA, RemedyJA: f.RemedyJA})
	}
	return sum
}
