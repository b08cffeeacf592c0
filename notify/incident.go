package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sendguard/sendguard/policy/explain"
)

// Incident is one finding of a rule marked incident = true: what the
// security contact is told. It holds no body text and no password.
type Incident struct {
	// Ref is the message's reference (audit log).
	Ref string
	// Time is when sendguard detected it; zero means when Add is called.
	Time time.Time
	// Sender is the envelope sender.
	Sender string
	// Rule is the rule id.
	Rule string
	// Evidence is the finding's evidence (a file name, a domain).
	Evidence string
	// Action is "reject" (the message was stopped) or "flag" (it was sent).
	Action string
}

// Deadline is when the incident must have been reported to the client:
// 60 minutes after it became known (受託者向け情報セキュリティ遵守事項 第2-2).
func (in Incident) Deadline() time.Time { return in.Time.Add(ReportDeadline) }

// Limits on the batching delay.
const (
	// ReportDeadline is the time 遵守事項 第2-2 allows from first knowing of
	// an incident to reporting it to the client.
	ReportDeadline = 60 * time.Minute
	// MaxBatchDelay is the longest an incident waits for others to share
	// its notice; a longer configured delay is cut to it.
	MaxBatchDelay = 5 * time.Minute
)

// CheckBatchDelay returns the batching delay Incidents uses for a configured
// one: d itself, or MaxBatchDelay when d is longer. A negative delay, or one
// of ReportDeadline or more, is an error (`policy lint` reports it).
func CheckBatchDelay(d time.Duration) (time.Duration, error) {
	switch {
	case d < 0:
		return 0, fmt.Errorf("batch_delay must not be negative: %v", d)
	case d >= ReportDeadline:
		return 0, fmt.Errorf("batch_delay %v: incidents must reach the client within 60 minutes (受託者向け情報セキュリティ遵守事項 第2-2); at most %v is used", d, MaxBatchDelay)
	case d > MaxBatchDelay:
		return MaxBatchDelay, nil
	}
	return d, nil
}

// Clock is Incidents' time source; tests inject one they control.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed (at once for
	// d <= 0).
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// SendFunc sends one message from the envelope sender to the recipients. It
// must return when ctx is done.
type SendFunc func(ctx context.Context, from string, to []string, msg []byte) error

// IncidentConfig configures Incidents.
type IncidentConfig struct {
	// From is the notice's author and envelope sender; To the security
	// contacts (one or more).
	From string
	To   []string
	// BatchDelay is how long the first incident of a notice waits for
	// others (0: none); see CheckBatchDelay.
	BatchDelay time.Duration
	// Hostname is sendguard's host name (Message-ID).
	Hostname string
	// Send sends a notice; required unless Queue is set.
	Send SendFunc
	// Queue, when set, is used instead of Send: it hands a notice to a
	// durable outbox (the store) that sends it, retries it and reports a
	// missed deadline — the earliest incident's Deadline — so that a
	// restart or an upstream outage never loses one.
	Queue func(ctx context.Context, from string, to []string, msg []byte, deadline time.Time) error
	// Clock defaults to the real time; Log to slog.Default(); Catalog (the
	// articles cited) to explain.Default().
	Clock   Clock
	Log     *slog.Logger
	Catalog *explain.Catalog
	// RetryMin and RetryMax bound the wait between failed attempts, which
	// doubles from RetryMin (defaults 10s and 2m).
	RetryMin, RetryMax time.Duration
	// SendTimeout bounds one Send call (default 1m).
	SendTimeout time.Duration
	// MaxQueue is the most incidents kept waiting (default 10000); beyond it
	// an incident is logged at ERROR and counted in the next notice.
	MaxQueue int
	// MaxPerMail is the most incidents listed in one notice (default 100).
	MaxPerMail int
}

// Incidents sends security incident notices to the security contact in the
// background: Add queues an incident and returns at once; a goroutine sends
// what is queued BatchDelay after the first incident of a batch (at once when
// BatchDelay is 0), and retries a failed send with backoff, logging each
// failure at ERROR, until it succeeds. Close flushes.
type Incidents struct {
	cfg   IncidentConfig
	delay time.Duration
	clock Clock
	log   *slog.Logger

	mu      sync.Mutex
	queue   []Incident
	dropped int
	closed  bool

	wake     chan struct{}
	closing  chan struct{}
	done     chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
	closeErr error // written by run before done is closed
	seq      int   // notices made, for Message-ID (run only)
}

// NewIncidents checks the configuration and starts the sender goroutine.
func NewIncidents(cfg IncidentConfig) (*Incidents, error) {
	var errs []error
	if err := checkAddress("incidents from", cfg.From); err != nil {
		errs = append(errs, err)
	}
	if len(cfg.To) == 0 {
		errs = append(errs, errors.New("incidents: no security contact (to)"))
	}
	for _, to := range cfg.To {
		if err := checkAddress("incidents contact", to); err != nil {
			errs = append(errs, err)
		}
	}
	if err := checkHost(cfg.Hostname); err != nil {
		errs = append(errs, err)
	}
	if cfg.Send == nil && cfg.Queue == nil {
		errs = append(errs, errors.New("incidents: no Send or Queue function"))
	}
	delay, err := CheckBatchDelay(cfg.BatchDelay)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Catalog == nil {
		cfg.Catalog = explain.Default()
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 10 * time.Second
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(2*time.Minute, cfg.RetryMin)
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = time.Minute
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = 10000
	}
	if cfg.MaxPerMail <= 0 {
		cfg.MaxPerMail = 100
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Incidents{
		cfg: cfg, delay: delay, clock: cfg.Clock, log: cfg.Log,
		wake: make(chan struct{}, 1), closing: make(chan struct{}), done: make(chan struct{}),
		ctx: ctx, cancel: cancel,
	}
	if delay != cfg.BatchDelay {
		n.log.Warn("incidents: batch delay cut", "configured", cfg.BatchDelay.String(), "used", delay.String())
	}
	go n.run()
	return n, nil
}

func incidentAttrs(in Incident) []any {
	return []any{"ref", in.Ref, "time", in.Time.UTC().Format(time.RFC3339), "sender", in.Sender,
		"rule", in.Rule, "evidence", in.Evidence, "action", in.Action}
}

// Add queues an incident for the next notice. It never blocks on sending:
// the message's verdict does not wait for it.
func (n *Incidents) Add(in Incident) {
	if in.Time.IsZero() {
		in.Time = n.clock.Now()
	}
	n.mu.Lock()
	switch {
	case n.closed:
		n.mu.Unlock()
		n.log.Error("SECURITY INCIDENT NOT NOTIFIED: incident notices are closed; report it by another channel", incidentAttrs(in)...)
		return
	case len(n.queue) >= n.cfg.MaxQueue:
		n.dropped++
		n.mu.Unlock()
		n.log.Error("SECURITY INCIDENT NOT LISTED: the incident queue is full; it is counted in the next notice", incidentAttrs(in)...)
	default:
		n.queue = append(n.queue, in)
		n.mu.Unlock()
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// take empties the queue.
func (n *Incidents) take() ([]Incident, int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	q, d := n.queue, n.dropped
	n.queue, n.dropped = nil, 0
	return q, d
}

// windowLeft is how long the oldest queued incident still waits for others:
// BatchDelay from its detection.
func (n *Incidents) windowLeft() time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.queue) == 0 {
		return n.delay
	}
	oldest := n.queue[0].Time
	for _, in := range n.queue[1:] {
		if in.Time.Before(oldest) {
			oldest = in.Time
		}
	}
	left := n.delay - n.clock.Now().Sub(oldest)
	return max(0, min(left, n.delay))
}

func (n *Incidents) backoff(attempt int) time.Duration {
	d := n.cfg.RetryMin
	for i := 1; i < attempt && d < n.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, n.cfg.RetryMax)
}

func (n *Incidents) run() {
	defer close(n.done)
	var (
		pending []Incident
		dropped int
		timer   <-chan time.Time
		attempt int
	)
	for {
		select {
		case <-n.wake:
			// The first incident of a batch opens the window, counted from
			// when it was detected; later ones (and those arriving during a
			// retry wait) join it.
			if timer == nil {
				timer = n.clock.After(n.windowLeft())
			}
		case <-timer:
			timer = nil
			q, d := n.take()
			pending, dropped = append(pending, q...), dropped+d
			if len(pending) == 0 && dropped == 0 {
				continue
			}
			var err error
			pending, dropped, err = n.sendAll(pending, dropped)
			if err != nil {
				attempt++
				wait := n.backoff(attempt)
				n.logFailure(pending, dropped, attempt, wait, err)
				timer = n.clock.After(wait)
				continue
			}
			if attempt > 0 {
				n.log.Info("incident notice sent after failed attempts", "attempts", attempt+1)
			}
			attempt = 0
		case <-n.closing:
			n.flush(pending, dropped, attempt)
			return
		}
	}
}

// flush sends everything left, retrying until Close's context ends; what
// cannot be sent is logged at ERROR incident by incident.
func (n *Incidents) flush(pending []Incident, dropped, attempt int) {
	for {
		q, d := n.take()
		pending, dropped = append(pending, q...), dropped+d
		if len(pending) == 0 && dropped == 0 {
			return
		}
		var err error
		if err = n.ctx.Err(); err == nil {
			pending, dropped, err = n.sendAll(pending, dropped)
		}
		if err == nil {
			continue
		}
		attempt++
		wait := n.backoff(attempt)
		if n.ctx.Err() == nil {
			n.logFailure(pending, dropped, attempt, wait, err)
			select {
			case <-n.clock.After(wait):
				continue
			case <-n.ctx.Done():
			}
		}
		for _, in := range pending {
			n.log.Error("SECURITY INCIDENT NOT NOTIFIED: the notice could not be sent before shutdown; report it by another channel", incidentAttrs(in)...)
		}
		if dropped > 0 {
			n.log.Error("SECURITY INCIDENTS NOT NOTIFIED: more incidents were not listed (queue full); see the log", "count", dropped)
		}
		n.closeErr = fmt.Errorf("notify: %d incident(s) not notified: %w", len(pending)+dropped, err)
		return
	}
}

// sendAll sends the pending incidents in notices of at most MaxPerMail and
// returns what is left when a send fails.
func (n *Incidents) sendAll(pending []Incident, dropped int) ([]Incident, int, error) {
	for len(pending) > 0 || dropped > 0 {
		batch := pending[:min(len(pending), n.cfg.MaxPerMail)]
		omitted := 0
		if len(batch) == len(pending) {
			omitted = dropped
		}
		n.seq++
		msg, err := BuildIncidentNotice(IncidentNotice{
			From: n.cfg.From, To: n.cfg.To, Hostname: n.cfg.Hostname,
			Incidents: batch, Omitted: omitted, Date: n.clock.Now(), Seq: n.seq, Catalog: n.cfg.Catalog,
		})
		deadline := time.Time{}
		for _, in := range batch {
			if d := in.Deadline(); deadline.IsZero() || d.Before(deadline) {
				deadline = d
			}
		}
		if err == nil {
			err = n.send(msg, deadline)
		}
		if err != nil {
			return pending, dropped, err
		}
		refs := make([]string, len(batch))
		for i, in := range batch {
			refs[i] = in.Ref
		}
		what := "incident notice sent"
		if n.cfg.Queue != nil {
			what = "incident notice queued in the store's outbox"
		}
		n.log.Info(what, "to", n.cfg.To, "incidents", len(batch), "refs", refs, "omitted", omitted, "deadline", deadline.UTC().Format(time.RFC3339))
		pending = pending[len(batch):]
		dropped -= omitted
	}
	return nil, 0, nil
}

// send calls Queue or Send with a timeout; a panic in it is an error.
func (n *Incidents) send(msg []byte, deadline time.Time) (err error) {
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.SendTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("send panicked: %v", p)
		}
	}()
	if n.cfg.Queue != nil {
		return n.cfg.Queue(ctx, n.cfg.From, n.cfg.To, msg, deadline)
	}
	return n.cfg.Send(ctx, n.cfg.From, n.cfg.To, msg)
}

func (n *Incidents) logFailure(pending []Incident, dropped, attempt int, wait time.Duration, err error) {
	refs := make([]string, len(pending))
	oldest := time.Time{}
	for i, in := range pending {
		refs[i] = in.Ref
		if oldest.IsZero() || in.Time.Before(oldest) {
			oldest = in.Time
		}
	}
	attrs := []any{"error", err.Error(), "attempt", attempt, "retry_in", wait.String(),
		"incidents", len(pending) + dropped, "refs", refs, "to", n.cfg.To}
	msg := "SECURITY INCIDENT NOTICE NOT SENT, retrying"
	if !oldest.IsZero() {
		deadline := oldest.Add(ReportDeadline)
		attrs = append(attrs, "oldest_detected", oldest.UTC().Format(time.RFC3339), "report_deadline", deadline.UTC().Format(time.RFC3339))
		if n.clock.Now().After(oldest.Add(ReportDeadline / 2)) {
			msg = "SECURITY INCIDENT NOTICE NOT SENT and the 60-minute reporting deadline (遵守事項 第2) is near: report these incidents by another channel now; retrying"
		}
	}
	n.log.Error(msg, attrs...)
}

// Close stops taking incidents, sends what is queued (without waiting for
// the batch delay), retrying until ctx ends, and returns an error naming how
// many incidents could not be sent (each is logged at ERROR). Give ctx a
// deadline. Add after Close logs the incident at ERROR instead.
func (n *Incidents) Close(ctx context.Context) error {
	n.mu.Lock()
	first := !n.closed
	n.closed = true
	n.mu.Unlock()
	if first {
		close(n.closing)
	}
	select {
	case <-n.done:
	case <-ctx.Done():
		n.cancel()
		<-n.done
	}
	n.cancel()
	return n.closeErr
}

// IncidentNotice is what an incident notice is made from.
type IncidentNotice struct {
	From     string
	To       []string
	Hostname string
	// Incidents are listed in order; Omitted counts more that are not
	// (queue overflow).
	Incidents []Incident
	Omitted   int
	// Date is when the notice is made; Seq tells notices made at the same
	// instant apart (Message-ID).
	Date time.Time
	Seq  int
	// Catalog gives the articles cited (nil: explain.Default()).
	Catalog *explain.Catalog
}

// IncidentSubject returns the notice's subject for n incidents.
func IncidentSubject(n int) string {
	return fmt.Sprintf("【セキュリティインシデント通知】sendguard: %d件 / Security incident notice: %d", n, n)
}

// BuildIncidentNotice writes the bilingual incident notice (CRLF line ends):
// per incident the reference, the time detected (JST and UTC), the deadline
// to report it (60 minutes later), the sender, the rule and its article, the
// evidence and whether the message was stopped — never body text or a
// password. It is multipart/alternative (text/plain and text/html, UTF-8)
// with Auto-Submitted: auto-generated.
func BuildIncidentNotice(n IncidentNotice) ([]byte, error) {
	var errs []error
	if err := checkAddress("from", n.From); err != nil {
		errs = append(errs, err)
	}
	if len(n.To) == 0 {
		errs = append(errs, errors.New("no recipients"))
	}
	for _, to := range n.To {
		if err := checkAddress("to", to); err != nil {
			errs = append(errs, err)
		}
	}
	if err := checkHost(n.Hostname); err != nil {
		errs = append(errs, err)
	}
	if len(n.Incidents) == 0 && n.Omitted == 0 {
		errs = append(errs, errors.New("no incidents"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("notify: incident notice: %w", err)
	}
	if n.Catalog == nil {
		n.Catalog = explain.Default()
	}
	doc := incidentDocument(&n)
	firstRef := "none"
	if len(n.Incidents) > 0 {
		firstRef = n.Incidents[0].Ref
	}
	seed := fmt.Sprintf("%s|%s|%d|incident", firstRef, n.Date.UTC().Format(time.RFC3339Nano), n.Seq)
	to := make([]string, len(n.To))
	for i, a := range n.To {
		to[i] = headerAddress("", a)
	}
	top := fields{
		{"From", headerAddress("sendguard", n.From)},
		{"To", strings.Join(to, ", ")},
		{"Subject", encodeWord(IncidentSubject(len(n.Incidents) + n.Omitted))},
		{"Date", dateHeader(n.Date)},
		{"Message-ID", messageID(fmt.Sprintf("incident%d", n.Seq), firstRef, n.Date, n.Hostname)},
		{"Auto-Submitted", "auto-generated"},
		{"X-Auto-Response-Suppress", "All"},
		{ReportMarker, "incident"},
		{"Importance", "high"},
		{"X-Priority", "1"},
		{"MIME-Version", "1.0"},
	}
	msg, err := writeNotice(top, seed, doc)
	if err != nil {
		return nil, fmt.Errorf("notify: incident notice: %w", err)
	}
	return msg, nil
}

func incidentDocument(n *IncidentNotice) *document {
	total := len(n.Incidents) + n.Omitted
	art2ja, _ := n.Catalog.Article("2", explain.Japanese)
	art2en, _ := n.Catalog.Article("2", explain.English)
	art93ja, _ := n.Catalog.Article("sp9-3", explain.Japanese)
	art93en, _ := n.Catalog.Article("sp9-3", explain.English)
	ja := section{
		Lang:    "ja",
		Heading: "セキュリティインシデント通知",
		Intro: []string{
			fmt.Sprintf("送信メール検査システム（sendguard）が、情報セキュリティインシデントのおそれがある送信を%d件検知しました。", total),
			art2ja,
			art93ja,
			"各件の「連絡期限」までに、甲（委託元）の窓口への連絡が必要か判断し、必要な連絡を行ってください。",
			"この通知には、メールの本文・添付ファイル・パスワードは含まれていません。詳細は参照番号で監査ログを検索してください。",
		},
	}
	en := section{
		Lang:    "en",
		Heading: "Security incident notice",
		Intro: []string{
			fmt.Sprintf("sendguard, the outbound mail checker, detected %d possible information security incident(s).", total),
			art2en,
			art93en,
			"Decide before each incident's reporting deadline whether the client's contact must be told, and tell them.",
			"This notice contains no mail text, no attachments and no passwords. Search the audit log for the references for details.",
		},
	}
	for i, in := range n.Incidents {
		ref := explain.CleanText(in.Ref, 64)
		rule := explain.CleanText(in.Rule, 64)
		jaText, _ := n.Catalog.Render(explain.Japanese, explain.Input{Rule: in.Rule})
		enText, _ := n.Catalog.Render(explain.English, explain.Input{Rule: in.Rule})
		var jaAction, enAction string
		switch in.Action {
		case "reject", "":
			jaAction, enAction = "送信を止めました（宛先には届いていません）", "stopped (not delivered)"
		case "flag":
			jaAction, enAction = "フラグを付けて送信されました（宛先に届いています）", "sent with a flag (delivered)"
		default:
			jaAction, enAction = explain.CleanText(in.Action, 32), explain.CleanText(in.Action, 32)
		}
		ev := explain.CleanText(in.Evidence, 300)
		ja.Items = append(ja.Items, item{
			Heading: fmt.Sprintf("%d. 参照番号 %s（%s）", i+1, ref, rule),
			Fields: []fact{
				{"検知日時", timeJST(in.Time) + "（" + timeUTC(in.Time) + "）"},
				{"連絡期限", timeJST(in.Deadline()) + "（" + timeUTC(in.Deadline()) + "）"},
				{"送信者", explain.CleanText(in.Sender, 254)},
				{"規則", rule + "：" + jaText.Rule},
				{"検知内容", ev},
				{"処置", jaAction},
			},
		})
		en.Items = append(en.Items, item{
			Heading: fmt.Sprintf("%d. Reference %s (%s)", i+1, ref, rule),
			Fields: []fact{
				{"Detected", timeJST(in.Time) + " (" + timeUTC(in.Time) + ")"},
				{"Report by", timeJST(in.Deadline()) + " (" + timeUTC(in.Deadline()) + ")"},
				{"Sender", explain.CleanText(in.Sender, 254)},
				{"Rule", rule + ": " + enText.Rule},
				{"Evidence", ev},
				{"Action", enAction},
			},
		})
	}
	if n.Omitted > 0 {
		ja.Outro = append(ja.Outro, fmt.Sprintf("ほかに%d件を検知しましたが、この通知には含めていません。ログを確認してください。", n.Omitted))
		en.Outro = append(en.Outro, fmt.Sprintf("%d more incident(s) were detected but are not listed here; see the log.", n.Omitted))
	}
	return &document{Title: IncidentSubject(total), Sections: []section{ja, en}}
}
