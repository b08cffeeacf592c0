// Package dispatch works the store's queues on every replica: it relays
// released (and delayed) held messages to the upstream, sends the outbox's
// notices, cancels the holds nobody decided on, and reports incident
// notices that missed their deadline. Leases in the store make sure that
// exactly one replica acts on each message or notice.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sendguard/sendguard/store"
)

// Result is what the upstream said to one delivery.
type Result struct {
	// Reply is the upstream's answer to DATA.
	Reply string
	// Refused lists recipients the upstream refused for good (5xx at
	// RCPT); the message went to the others. RefusedReason is the first
	// such reply.
	Refused       []string
	RefusedReason string
}

// Deliver sends one message through the upstream. An error that Permanent
// reports as permanent ends the message; any other is retried.
type Deliver func(ctx context.Context, from string, to []string, msg io.Reader) (Result, error)

// Notices builds the mails about released messages that could not be
// delivered, and about expired holds.
type Notices interface {
	Expired(h *store.Held) []store.Notice
	Failed(h *store.Held, reason string) []store.Notice
	Partial(h *store.Held, refused []string, reason string) []store.Notice
}

// Events receives what happened, for the audit log and the metrics.
type Events interface {
	// Held reports an event on a held message: relayed, deferred,
	// failed, expired.
	Held(event string, h *store.Held, detail string)
	// Notice reports a notice sent, deferred, refused or missed (its
	// deadline passed while it waited).
	Notice(event string, n *store.Notice, detail string)
}

// Config configures a Dispatcher.
type Config struct {
	Store   *store.Store
	Deliver Deliver
	// Permanent reports whether a delivery error is final (a 5xx).
	Permanent func(error) bool
	Notices   Notices
	Events    Events
	// VerdictField formats the X-Sendguard-Verdict field (with its CRLF)
	// a released message carries: the header contract belongs to the
	// SMTP side (smtpfilter.ReleasedVerdictField); required.
	VerdictField func(flagRules []string, releasedBy, ref string) string
	Log          *slog.Logger
	// Poll is how often the queues are read (default 1s); Lease how long
	// a replica owns what it claimed (default 2m; renewed while a relay
	// runs); Workers how many relays run at once (default 4).
	Poll    time.Duration
	Lease   time.Duration
	Workers int
	// RetryBase is the first retry's delay, doubled per attempt up to
	// RetryMax (defaults 30s and 30m).
	RetryBase, RetryMax time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// KeepRejections is how long the explanations of rejected messages
	// are kept (their links' lifetime); 0 keeps them.
	KeepRejections time.Duration
	// NoticeGiveUp ends the retries of a notice that is only ever
	// deferred (default 5 days, the queue lifetime rfc/5321 section
	// 4.5.4.1 suggests): it is recorded as refused and logged at ERROR,
	// so the outbox does not grow with notices nobody will take.
	NoticeGiveUp time.Duration
}

// Dispatcher works the queues until its context ends.
type Dispatcher struct {
	cfg  Config
	wake chan struct{}
	// pruned is when rejections were last pruned (only Once's goroutine
	// touches it).
	pruned time.Time
}

// New returns a Dispatcher with defaults filled in.
func New(cfg Config) *Dispatcher {
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 30 * time.Second
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 30 * time.Minute
	}
	if cfg.NoticeGiveUp <= 0 {
		cfg.NoticeGiveUp = 5 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Permanent == nil {
		cfg.Permanent = func(error) bool { return false }
	}
	return &Dispatcher{cfg: cfg, wake: make(chan struct{}, 1)}
}

// Wake makes the dispatcher look at the queues now (after a release or a
// new notice) instead of at its next poll.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run works the queues until ctx ends; relays in flight finish first
// (their upstream connections are bound by the upstream's own timeouts).
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, d.cfg.Workers)
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	for {
		d.Once(ctx, slots, &wg)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// Once does one round: expiry, missed deadlines, notices, then as many
// relays as there are free workers (started in goroutines tracked by wg).
func (d *Dispatcher) Once(ctx context.Context, slots chan struct{}, wg *sync.WaitGroup) {
	d.prune(ctx)
	d.expire(ctx)
	d.missed(ctx)
	d.notices(ctx)
	free := cap(slots) - len(slots)
	if free == 0 {
		return
	}
	list, err := d.cfg.Store.Claim(ctx, d.cfg.Lease, free)
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Log.Error("store: claiming released messages failed", "error", err.Error())
		}
		return
	}
	for i := range list {
		h := list[i]
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			d.relay(context.WithoutCancel(ctx), &h)
		}()
	}
}

// relay delivers one claimed message and records the outcome.
func (d *Dispatcher) relay(ctx context.Context, h *store.Held) {
	// rctx ends when the lease is lost to another replica: the body
	// stops, and the delivery is dropped before its final dot.
	rctx, abandon := context.WithCancel(ctx)
	defer abandon()
	body, err := d.cfg.Store.Body(rctx, h.Ref)
	if err != nil {
		d.cfg.Log.Error("store: a released message has no body", "ref", h.Ref, "error", err.Error())
		d.fail(ctx, h, "the stored message could not be read: "+err.Error())
		return
	}
	defer body.Close()
	// Keep the lease while the relay runs.
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(d.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				err := d.cfg.Store.Renew(ctx, h.Ref, d.cfg.Lease)
				if errors.Is(err, store.ErrLeaseLost) {
					d.cfg.Log.Error("store: another replica took over a message being relayed; this relay is abandoned", "ref", h.Ref)
					abandon()
					return
				}
				if err != nil {
					d.cfg.Log.Warn("store: lease renewal failed", "ref", h.Ref, "error", err.Error())
				}
			}
		}
	}()
	msg := io.MultiReader(strings.NewReader(h.Trace+d.cfg.VerdictField(h.FlagRules, h.DecidedBy, h.Ref)), body)
	res, err := d.cfg.Deliver(rctx, h.Sender, h.Recipients, msg)
	close(stop)
	<-renewed
	if err != nil && rctx.Err() != nil {
		return // the lease was lost: the new owner records the outcome
	}
	switch {
	case err == nil:
		if err := d.cfg.Store.Relayed(ctx, h.Ref, res.Reply); err != nil {
			// The upstream has it; only the bookkeeping failed. Another
			// replica may relay it again after the lease (the window
			// every SMTP relay has between the end of DATA and its own
			// commit, RFC 1047).
			d.cfg.Log.Error("store: recording a relayed message failed", "ref", h.Ref, "error", err.Error())
			return
		}
		d.event("relayed", h, res.Reply)
		if len(res.Refused) > 0 && d.cfg.Notices != nil {
			for _, n := range d.cfg.Notices.Partial(h, res.Refused, res.RefusedReason) {
				if err := d.cfg.Store.Enqueue(ctx, n); err != nil {
					d.cfg.Log.Error("store: notice of refused recipients not queued", "ref", h.Ref, "error", err.Error())
				}
			}
		}
	case d.cfg.Permanent(err):
		d.fail(ctx, h, err.Error())
	case !h.GiveUpAt.IsZero() && !d.cfg.Now().Before(h.GiveUpAt):
		d.fail(ctx, h, "retries ran out; last error: "+err.Error())
	default:
		next := d.cfg.Now().Add(d.backoff(h.Attempts))
		if err := d.cfg.Store.Retry(ctx, h.Ref, err.Error(), next); err != nil {
			d.cfg.Log.Error("store: recording a deferred relay failed", "ref", h.Ref, "error", err.Error())
			return
		}
		d.event("deferred", h, err.Error())
	}
}

func (d *Dispatcher) fail(ctx context.Context, h *store.Held, reason string) {
	var notices []store.Notice
	if d.cfg.Notices != nil {
		notices = d.cfg.Notices.Failed(h, reason)
	}
	if err := d.cfg.Store.Failed(ctx, h.Ref, reason, notices); err != nil {
		d.cfg.Log.Error("store: recording a failed relay failed", "ref", h.Ref, "error", err.Error())
		return
	}
	d.event("failed", h, reason)
}

// backoff is the delay before attempt n+1.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	b := d.cfg.RetryBase
	for i := 1; i < attempts && b < d.cfg.RetryMax; i++ {
		b *= 2
	}
	return min(b, d.cfg.RetryMax)
}

// prune deletes, once an hour, the rejections older than their links.
func (d *Dispatcher) prune(ctx context.Context) {
	now := d.cfg.Now()
	if d.cfg.KeepRejections <= 0 || now.Sub(d.pruned) < time.Hour {
		return
	}
	d.pruned = now
	if n, err := d.cfg.Store.PruneRejections(ctx, now.Add(-d.cfg.KeepRejections)); err != nil {
		d.cfg.Log.Warn("store: pruning old rejections failed", "error", err.Error())
	} else if n > 0 {
		d.cfg.Log.Info("store: old rejection explanations deleted", "count", n)
	}
}

func (d *Dispatcher) expire(ctx context.Context) {
	var notices func(*store.Held) []store.Notice
	if d.cfg.Notices != nil {
		notices = d.cfg.Notices.Expired
	}
	list, err := d.cfg.Store.Expire(ctx, 100, notices)
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Log.Error("store: expiring holds failed", "error", err.Error())
		}
		return
	}
	for i := range list {
		d.event("expired", &list[i], "")
	}
}

func (d *Dispatcher) missed(ctx context.Context) {
	list, err := d.cfg.Store.MarkMissed(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Log.Error("store: checking notice deadlines failed", "error", err.Error())
		}
		return
	}
	for i := range list {
		n := &list[i]
		d.cfg.Log.Error("a notice missed its deadline and is still unsent", "kind", n.Kind, "ref", n.Ref,
			"deadline", n.Deadline.UTC().Format(time.RFC3339), "attempts", n.Attempts, "last_error", n.LastError)
		if d.cfg.Events != nil {
			d.cfg.Events.Notice("missed", n, n.LastError)
		}
	}
}

// notices sends up to 20 due notices, one after the other (they are
// small). Each is claimed just before it is sent: claimed together, the
// last ones' leases could run out behind a slow upstream, and another
// replica would send them too.
func (d *Dispatcher) notices(ctx context.Context) {
	for range 20 {
		list, err := d.cfg.Store.ClaimNotices(ctx, d.cfg.Lease, 1)
		if err != nil {
			if ctx.Err() == nil {
				d.cfg.Log.Error("store: claiming notices failed", "error", err.Error())
			}
			return
		}
		if len(list) == 0 {
			return
		}
		n := &list[0]
		_, err = d.cfg.Deliver(ctx, n.Sender, n.Recipients, strings.NewReader(string(n.Message)))
		var event, detail string
		switch {
		case err == nil:
			event, err = "sent", d.cfg.Store.NoticeSent(ctx, n.ID)
		case d.cfg.Permanent(err):
			event, detail = "refused", err.Error()
			err = d.cfg.Store.NoticeRefused(ctx, n.ID, detail)
		case !n.CreatedAt.IsZero() && d.cfg.Now().Sub(n.CreatedAt) >= d.cfg.NoticeGiveUp:
			event, detail = "refused", fmt.Sprintf("retries ran out after %s; last error: %s", d.cfg.NoticeGiveUp, err.Error())
			d.cfg.Log.Error("a notice was deferred until its retries ran out; it is not sent", "kind", n.Kind, "ref", n.Ref,
				"attempts", n.Attempts, "error", err.Error())
			err = d.cfg.Store.NoticeRefused(ctx, n.ID, detail)
		default:
			event, detail = "deferred", err.Error()
			err = d.cfg.Store.NoticeRetry(ctx, n.ID, detail, d.cfg.Now().Add(d.backoff(n.Attempts)))
		}
		if err != nil {
			d.cfg.Log.Error("store: recording a notice failed", "id", n.ID, "error", err.Error())
			continue
		}
		if event == "refused" {
			d.cfg.Log.Warn("a notice was refused by the upstream", "kind", n.Kind, "ref", n.Ref, "reason", detail)
		}
		if d.cfg.Events != nil {
			d.cfg.Events.Notice(event, n, detail)
		}
	}
}

func (d *Dispatcher) event(name string, h *store.Held, detail string) {
	if d.cfg.Events != nil {
		d.cfg.Events.Held(name, h, detail)
	}
}
