package milter

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	gomilter "github.com/d--j/go-milter"

	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
)

// EndOfMessage judges the spooled message and answers the MTA: the reject
// text of the smarthost, or accept with the verdict header. A panic below
// it becomes a 451 for this message, not a broken connection (which the MTA
// would answer with its milter_default_action).
func (s *session) EndOfMessage(m gomilter.Modifier) (resp *gomilter.Response, err error) {
	tx := s.tx
	if tx == nil {
		return tempfail("-"), nil
	}
	defer s.close()
	rec := &auditRecord{s: s, tx: tx, queueID: m.Get(gomilter.MacroQueueId)}
	defer func() {
		if p := recover(); p != nil {
			tx.cfg.Log.Error("panic while handling a message", "ref", tx.ref, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp, err = rec.tempfail("panic"), nil
		}
		rec.write()
	}()
	rec.size = tx.size()
	switch {
	case tx.tooLarge:
		return rec.refuse(552, "5.3.4", fmt.Sprintf("Message too big for sendguard (over %d bytes) (ref %s)", tx.cfg.MaxMessageBytes, tx.ref), "message too large"), nil
	case tx.err != nil:
		tx.cfg.Log.Error("spooling the message failed", "ref", tx.ref, "error", tx.err.Error())
		return rec.tempfail("spool failed"), nil
	}

	verdict, err := s.evaluate(tx, m)
	if err != nil {
		tx.cfg.Log.Error("policy evaluation failed", "ref", tx.ref, "error", err.Error())
		return rec.tempfail("evaluation failed"), nil
	}
	rec.verdict = verdict
	reportIncidents(tx, verdict)
	if verdict.Action >= policy.Hold {
		// Hold and approve do not exist in milter mode yet: stopped mail
		// is refused in the session, as the smarthost does.
		return rec.reject(rejection(tx.policy, verdict.Refusal(), tx.ref)), nil
	}
	if err := markVerdict(m, tx, verdict); err != nil {
		// The MTA connection is broken or refused the change: never
		// let the message go without its verdict header.
		tx.cfg.Log.Error("adding the verdict header failed", "ref", tx.ref, "error", err.Error())
		return rec.tempfail("header change failed"), nil
	}
	rec.result = "accepted"
	if verdict.Action == policy.Flag && tx.cfg.Notices != nil {
		tx.cfg.Notices.SendFlagNotice(smtpfilter.FlagNotice{Policy: tx.policy, Verdict: verdict, Ref: tx.ref,
			Sender: tx.from, Recipients: tx.rcpts, Header: smtpfilter.HeaderSection(tx.reader(), tx.size())})
	}
	return gomilter.RespAccept, nil
}

// evaluate runs the policy on the spooled message, telling the MTA every
// Config.ProgressInterval that the filter is still at work (a timer, not a
// goroutine: most messages are judged long before the first tick).
func (s *session) evaluate(tx *transaction, m gomilter.Modifier) (*policy.Verdict, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tx.cfg.EvalTimeout)
	defer cancel()
	p := &progress{m: m, every: tx.cfg.ProgressInterval}
	p.mu.Lock()
	p.timer = time.AfterFunc(p.every, p.tick)
	p.mu.Unlock()
	began := time.Now()
	env := policy.Envelope{From: tx.from, To: tx.rcpts, AuthUser: tx.authUser}
	verdict, err := tx.policy.Evaluate(ctx, env, tx.reader(), tx.size())
	p.stop() // no progress packet may follow, or cross, the reply
	tx.cfg.Metrics.Inspection(time.Since(began))
	return verdict, err
}

// progress sends SMFIR_PROGRESS while an evaluation runs.
type progress struct {
	m     gomilter.Modifier
	every time.Duration
	mu    sync.Mutex
	timer *time.Timer
	done  bool
}

func (p *progress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	if err := p.m.Progress(); err != nil && !errors.Is(err, gomilter.ErrVersionTooLow) {
		return // the connection is gone; the reply will fail too
	}
	p.timer.Reset(p.every)
}

// stop ends the ticks; a tick writing now finishes first.
func (p *progress) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = true
	p.timer.Stop()
}

// markVerdict deletes the X-Sendguard-Verdict fields the client sent (the
// last first, so that the indexes of the others stay right whatever the MTA
// does with a deleted field) and adds the verdict's own.
func markVerdict(m gomilter.Modifier, tx *transaction, v *policy.Verdict) error {
	for i := tx.forged; i >= 1; i-- {
		if err := m.ChangeHeader(i, smtpfilter.VerdictHeader, ""); err != nil {
			return fmt.Errorf("delete the client's %s field %d: %w", smtpfilter.VerdictHeader, i, err)
		}
	}
	value := smtpfilter.VerdictValue(v, tx.ref)
	if m.Protocol()&gomilter.OptHeaderLeadingSpace != 0 {
		// We asked for values as they are: the MTA adds no space either.
		value = " " + value
	}
	if err := m.AddHeader(smtpfilter.VerdictHeader, value); err != nil {
		return fmt.Errorf("add %s: %w", smtpfilter.VerdictHeader, err)
	}
	return nil
}

// reportIncidents hands incident findings to the incident notifier, as the
// smarthost does; it never blocks.
func reportIncidents(tx *transaction, v *policy.Verdict) {
	inc := tx.cfg.Incidents
	if inc == nil {
		return
	}
	for _, f := range v.Findings {
		if f.Action == policy.Pass || !tx.policy.IsIncidentFinding(f) {
			continue
		}
		inc.Add(notify.Incident{Ref: tx.ref, Time: time.Now(), Sender: tx.from, Rule: f.Rule, Evidence: f.Evidence, Action: f.Action.String()})
	}
}
