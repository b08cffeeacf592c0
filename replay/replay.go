// Package replay runs a policy over archived mail (an mbox, a Maildir, a
// folder of .eml files) without sending anything, and sums what it would
// have done: verdicts, rules with their top senders and recipient domains
// and examples, skipped files, and — against a second policy — the
// messages whose verdict changes.
package replay

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sendguard/sendguard/mailarchive"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/textchart"
)

// Options say what to replay and how.
type Options struct {
	// Policy is the policy replayed; Other, when not nil, a second one:
	// the summary then lists the messages whose verdict changes under it.
	Policy, Other *policy.Policy
	// Config and DiffConfig name the configuration files (for the summary).
	Config, DiffConfig string
	Paths              []string
	MaxMessageBytes    int64
	// Examples is the number of example messages kept per rule.
	Examples int
	// Timeout bounds the evaluation of one message, as data_timeout does in
	// the gateway.
	Timeout time.Duration
	// Workers evaluate messages in parallel (at least one).
	Workers int
	// Progress, when not nil, is called after each message in archive
	// order with the messages and the raw bytes seen so far.
	Progress func(messages int, raw int64)
}

// Run evaluates every message of the archive and sums the verdicts. It
// stops early when ctx ends; the summary then says Interrupted.
func Run(ctx context.Context, a *mailarchive.Archive, o Options) *Summary {
	r := &replayer{
		pol: o.Policy, other: o.Other, examples: o.Examples, timeout: o.Timeout,
		sum: &Summary{
			Config: o.Config, DiffConfig: o.DiffConfig, Paths: o.Paths,
			MaxMessageBytes: o.MaxMessageBytes,
			Verdicts:        verdictCounts(),
		},
		rules: map[string]*ruleAcc{},
	}
	if o.Other != nil {
		r.sum.Diff = &Diff{Config: o.DiffConfig, Verdicts: verdictCounts(), Transitions: []Transition{}, Messages: []Change{}}
	}
	r.run(ctx, a, o.Workers, o.Progress)
	return r.finish()
}

// Summary is the result of a replay; --json prints it as it is, the
// text output says the same.
type Summary struct {
	Config          string   `json:"config"`
	DiffConfig      string   `json:"diff_config,omitempty"`
	Paths           []string `json:"paths"`
	MaxMessageBytes int64    `json:"max_message_bytes"`
	// Messages is every message found; Evaluated those the policy judged.
	Messages  int `json:"messages"`
	Evaluated int `json:"evaluated"`
	// Verdicts counts evaluated messages by verdict (pass, flag, hold,
	// reject).
	Verdicts map[string]int `json:"verdicts"`
	// Rules: one entry per rule with a finding in at least one message,
	// most messages first.
	Rules []Rule `json:"rules"`
	// SkippedTooLarge counts messages over max_message_bytes, Unreadable
	// those that could not be read, NotMail files that are no mail message
	// (a ZIP, a PDF, an image, an empty file: judged by their bytes),
	// Errors those the policy could not evaluate; Skipped lists all of them.
	SkippedTooLarge int       `json:"skipped_too_large"`
	Unreadable      int       `json:"unreadable"`
	NotMail         int       `json:"not_a_mail"`
	Errors          int       `json:"errors"`
	Skipped         []Skipped `json:"skipped"`
	Diff            *Diff     `json:"diff,omitempty"`
	Interrupted     bool      `json:"interrupted,omitempty"`
	ElapsedMS       int64     `json:"elapsed_ms"`
}

type Rule struct {
	Rule     string `json:"rule"`
	Messages int    `json:"messages"`
	// Actions counts the messages by the rule's action in them ("pass"
	// means the rule only recorded the finding).
	Actions             map[string]int `json:"actions"`
	TopSenders          []Count        `json:"top_senders"`
	TopRecipientDomains []Count        `json:"top_recipient_domains"`
	Examples            []Example      `json:"examples"`
}

type Count struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

type Example struct {
	ID        string   `json:"id"`
	File      string   `json:"file"`
	MessageID string   `json:"message_id"`
	Evidence  []string `json:"evidence"`
}

type Skipped struct {
	ID        string `json:"id"`
	File      string `json:"file"`
	MessageID string `json:"message_id,omitempty"`
	Size      int64  `json:"size"`
	Reason    string `json:"reason"` // too-large | unreadable | not-a-mail | error
	Detail    string `json:"detail"`
}

type Diff struct {
	Config string `json:"config"`
	// Verdicts counts the evaluated messages by their verdict under Config.
	Verdicts    map[string]int `json:"verdicts"`
	Changed     int            `json:"changed"`
	Transitions []Transition   `json:"transitions"`
	Messages    []Change       `json:"messages"`
}

type Transition struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
}

type Change struct {
	ID        string   `json:"id"`
	File      string   `json:"file"`
	MessageID string   `json:"message_id"`
	Old       string   `json:"old"`
	New       string   `json:"new"`
	OldRules  []string `json:"old_rules"`
	NewRules  []string `json:"new_rules"`
}

func verdictCounts() map[string]int {
	return map[string]int{"pass": 0, "flag": 0, "hold": 0, "approve": 0, "reject": 0}
}

// outcome is what a worker found about one message: only what the
// summary needs, so that the message's spool is released at once.
type outcome struct {
	seq       int
	id, file  string
	messageID string
	size, raw int64
	skip      *Skipped
	env       policy.Envelope
	verdict   *policy.Verdict
	other     *policy.Verdict
}

type ruleAcc struct {
	messages int
	actions  map[string]int
	senders  map[string]int
	domains  map[string]int
	examples []Example
}

type replayer struct {
	pol, other *policy.Policy
	examples   int
	// timeout bounds the evaluation of one message, as data_timeout does
	// in the gateway.
	timeout time.Duration
	sum     *Summary
	rules   map[string]*ruleAcc
	trans   map[[2]string]int
}

// run evaluates the messages on a pool of workers; the outcomes are summed in
// archive order, so the output does not depend on scheduling.
func (r *replayer) run(ctx context.Context, a *mailarchive.Archive, workers int, progress func(messages int, raw int64)) {
	started := time.Now()
	type job struct {
		seq int
		m   *mailarchive.Message
	}
	jobs := make(chan job, workers)
	results := make(chan outcome, workers)
	go func() {
		defer close(jobs)
		seq := 0
		a.Walk(ctx, func(m *mailarchive.Message) error {
			select {
			case jobs <- job{seq, m}:
				seq++
				return nil
			case <-ctx.Done():
				m.Close()
				return ctx.Err()
			}
		})
	}()
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- r.evaluate(ctx, j.seq, j.m)
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	pending := map[int]outcome{}
	next := 0
	for o := range results {
		pending[o.seq] = o
		for {
			o, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if ctx.Err() != nil && o.skip != nil && o.skip.Reason == "error" {
				continue // cut short by the interrupt, not a fault of the message
			}
			r.add(o)
			if progress != nil {
				progress(r.sum.Messages, o.raw)
			}
		}
	}
	r.sum.Interrupted = ctx.Err() != nil
	r.sum.ElapsedMS = time.Since(started).Milliseconds()
}

func (r *replayer) evaluate(ctx context.Context, seq int, m *mailarchive.Message) outcome {
	defer m.Close()
	o := outcome{seq: seq, id: m.ID, file: m.Path, messageID: m.MessageID, size: m.Size, raw: m.RawBytes}
	skip := func(reason string, err error) outcome {
		o.skip = &Skipped{ID: m.ID, File: m.Path, MessageID: m.MessageID, Size: m.Size, Reason: reason, Detail: err.Error()}
		return o
	}
	switch {
	case errors.Is(m.Err, mailarchive.ErrTooLarge):
		return skip("too-large", m.Err)
	case m.Err != nil:
		return skip("unreadable", m.Err)
	}
	if why := mailarchive.NotMail(m.Data, m.Size); why != "" {
		return skip("not-a-mail", errors.New(why))
	}
	o.env = Envelope(m)
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	v, err := r.pol.Evaluate(ctx, o.env, m.Data, m.Size)
	if err != nil {
		return skip("error", err)
	}
	o.verdict = v
	if r.other != nil {
		if o.other, err = r.other.Evaluate(ctx, o.env, m.Data, m.Size); err != nil {
			return skip("error", fmt.Errorf("under %s: %w", r.sum.DiffConfig, err))
		}
	}
	return o
}

// Envelope is the envelope a message had, as far as the archive tells:
// the From header, or Return-Path (written by the delivering MTA and by
// sendguard's capture upstream); the To, Cc and Bcc headers, or the
// X-Envelope-To fields of a capture. Delivered-To addresses (the mailbox the
// copy was delivered to) are added to the recipients: they were recipients
// of the envelope even when no header names them.
func Envelope(m *mailarchive.Message) policy.Envelope {
	from, to := mailarchive.HeaderEnvelope(m.Data)
	if rp := envelopeAddrs(m.Header.Values("Return-Path")); len(rp) > 0 {
		from = rp[0]
	}
	if xt := envelopeAddrs(m.Header.Values("X-Envelope-To")); len(xt) > 0 {
		to = xt
	} else {
		for _, d := range envelopeAddrs(m.Header.Values("Delivered-To")) {
			if !slices.ContainsFunc(to, func(a string) bool { return strings.EqualFold(a, d) }) {
				to = append(to, d)
			}
		}
	}
	return policy.Envelope{From: from, To: to}
}

// envelopeAddrs reads addresses from envelope fields ("<a@b>", "a@b",
// lists); the null sender "<>" gives none.
func envelopeAddrs(values []string) []string {
	var out []string
	for _, v := range values {
		if l, err := mail.ParseAddressList(v); err == nil {
			for _, a := range l {
				out = append(out, a.Address)
			}
			continue
		}
		for _, part := range strings.Split(v, ",") {
			a := strings.Trim(strings.TrimSpace(part), "<>")
			if strings.Contains(a, "@") && !strings.ContainsAny(a, " \t") {
				out = append(out, a)
			}
		}
	}
	return out
}

func (r *replayer) add(o outcome) {
	s := r.sum
	s.Messages++
	if o.skip != nil {
		switch o.skip.Reason {
		case "too-large":
			s.SkippedTooLarge++
		case "unreadable":
			s.Unreadable++
		case "not-a-mail":
			s.NotMail++
		default:
			s.Errors++
		}
		s.Skipped = append(s.Skipped, *o.skip)
		return
	}
	s.Evaluated++
	s.Verdicts[o.verdict.Action.String()]++

	sender := strings.ToLower(o.env.From)
	if sender == "" {
		sender = "<>"
	}
	var domains []string
	for _, to := range o.env.To {
		_, d, ok := strings.Cut(strings.ToLower(to), "@")
		if ok && d != "" && !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	// Each rule once per message, with its most severe action and its
	// evidence in the order found.
	type hit struct {
		action   policy.Action
		evidence []string
	}
	var order []string
	hits := map[string]*hit{}
	for _, f := range o.verdict.Findings {
		h := hits[f.Rule]
		if h == nil {
			h = &hit{action: f.Action}
			hits[f.Rule] = h
			order = append(order, f.Rule)
		}
		h.action = max(h.action, f.Action)
		if f.Evidence != "" && !slices.Contains(h.evidence, f.Evidence) {
			h.evidence = append(h.evidence, f.Evidence)
		}
	}
	for _, id := range order {
		h := hits[id]
		acc := r.rules[id]
		if acc == nil {
			acc = &ruleAcc{actions: map[string]int{}, senders: map[string]int{}, domains: map[string]int{}}
			r.rules[id] = acc
		}
		acc.messages++
		acc.actions[h.action.String()]++
		acc.senders[sender]++
		for _, d := range domains {
			acc.domains[d]++
		}
		if len(acc.examples) < r.examples {
			acc.examples = append(acc.examples, Example{ID: o.id, File: o.file, MessageID: o.messageID, Evidence: h.evidence})
		}
	}

	if d := s.Diff; d != nil {
		oldV, newV := o.verdict.Action.String(), o.other.Action.String()
		d.Verdicts[newV]++
		if oldV != newV {
			d.Changed++
			if r.trans == nil {
				r.trans = map[[2]string]int{}
			}
			r.trans[[2]string{oldV, newV}]++
			d.Messages = append(d.Messages, Change{
				ID: o.id, File: o.file, MessageID: o.messageID, Old: oldV, New: newV,
				OldRules: nonNil(o.verdict.Rules()), NewRules: nonNil(o.other.Rules()),
			})
		}
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// finish turns the accumulators into the summary's sorted lists.
func (r *replayer) finish() *Summary {
	s := r.sum
	s.Rules = []Rule{}
	for id, acc := range r.rules {
		s.Rules = append(s.Rules, Rule{
			Rule: id, Messages: acc.messages, Actions: acc.actions,
			TopSenders:          topCounts(acc.senders, 5),
			TopRecipientDomains: topCounts(acc.domains, 5),
			Examples:            acc.examples,
		})
	}
	slices.SortFunc(s.Rules, func(a, b Rule) int {
		return cmp.Or(cmp.Compare(b.Messages, a.Messages), cmp.Compare(a.Rule, b.Rule))
	})
	if s.Skipped == nil {
		s.Skipped = []Skipped{}
	}
	if d := s.Diff; d != nil {
		for k, n := range r.trans {
			d.Transitions = append(d.Transitions, Transition{From: k[0], To: k[1], Count: n})
		}
		slices.SortFunc(d.Transitions, func(a, b Transition) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
		})
	}
	return s
}

// topCounts returns the n largest counts, ties by value.
func topCounts(m map[string]int, n int) []Count {
	out := make([]Count, 0, len(m))
	for k, c := range m {
		out = append(out, Count{k, c})
	}
	slices.SortFunc(out, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

var verdictOrder = []string{"pass", "flag", "hold", "approve", "reject"}

func WriteText(w io.Writer, s *Summary) {
	fmt.Fprintf(w, "replay: %s, %d evaluated (%.1fs)\n", plural(s.Messages, "message"), s.Evaluated, float64(s.ElapsedMS)/1000)
	fmt.Fprintf(w, "  archive: %s\n  policy:  %s\n", strings.Join(s.Paths, ", "), s.Config)
	if s.Interrupted {
		fmt.Fprintf(w, "INTERRUPTED: the figures cover the messages read so far\n")
	}
	if n := s.SkippedTooLarge + s.Unreadable + s.NotMail + s.Errors; n > 0 {
		fmt.Fprintf(w, "  not evaluated: %d over max_message_bytes (%d), %d unreadable, %d not a mail, %d evaluation errors (listed below)\n",
			s.SkippedTooLarge, s.MaxMessageBytes, s.Unreadable, s.NotMail, s.Errors)
	}

	fmt.Fprintf(w, "\nverdicts:\n")
	var rows [][]string
	for _, v := range verdictOrder {
		rows = append(rows, []string{v, fmt.Sprint(s.Verdicts[v])})
	}
	for _, v := range slices.Sorted(maps.Keys(s.Verdicts)) {
		if !slices.Contains(verdictOrder, v) {
			rows = append(rows, []string{v, fmt.Sprint(s.Verdicts[v])})
		}
	}
	writeColumns(w, "  ", rows, 1)

	if len(s.Rules) > 0 {
		fmt.Fprintf(w, "\nrules:\n")
		rows = [][]string{{"rule", "messages", "reject", "approve", "hold", "flag", "pass"}}
		for _, r := range s.Rules {
			rows = append(rows, []string{r.Rule, fmt.Sprint(r.Messages),
				fmt.Sprint(r.Actions["reject"]), fmt.Sprint(r.Actions["approve"]), fmt.Sprint(r.Actions["hold"]), fmt.Sprint(r.Actions["flag"]), fmt.Sprint(r.Actions["pass"])})
		}
		writeColumns(w, "  ", rows, 1)
	} else {
		fmt.Fprintf(w, "\nno rule found anything\n")
	}
	for _, r := range s.Rules {
		fmt.Fprintf(w, "\n[%s] %s\n", r.Rule, plural(r.Messages, "message"))
		fmt.Fprintf(w, "  top senders:\n")
		writeColumns(w, "    ", countRows(r.TopSenders), -1)
		if len(r.TopRecipientDomains) > 0 {
			fmt.Fprintf(w, "  top recipient domains:\n")
			writeColumns(w, "    ", countRows(r.TopRecipientDomains), -1)
		}
		if len(r.Examples) > 0 {
			fmt.Fprintf(w, "  examples:\n")
			for _, e := range r.Examples {
				mid := e.MessageID
				if mid == "" {
					mid = "(no Message-ID)"
				}
				fmt.Fprintf(w, "    %s  %s  %s\n", e.ID, mid, strings.Join(e.Evidence, ", "))
			}
		}
	}

	if len(s.Skipped) > 0 {
		fmt.Fprintf(w, "\nnot evaluated:\n")
		for _, k := range s.Skipped {
			fmt.Fprintf(w, "  %s  %s  %s\n", k.ID, k.Reason, k.Detail)
		}
	}

	if d := s.Diff; d != nil {
		fmt.Fprintf(w, "\ndiff: %s → %s: %d of %s change verdict\n", s.Config, d.Config, d.Changed, plural(s.Evaluated, "message"))
		if len(d.Transitions) > 0 {
			rows = nil
			for _, t := range d.Transitions {
				rows = append(rows, []string{t.From + " → " + t.To, fmt.Sprint(t.Count)})
			}
			writeColumns(w, "  ", rows, 1)
			fmt.Fprintf(w, "\n")
			for _, c := range d.Messages {
				mid := c.MessageID
				if mid == "" {
					mid = "(no Message-ID)"
				}
				fmt.Fprintf(w, "  %s  %s  %s → %s  [%s] → [%s]\n", c.ID, mid, c.Old, c.New,
					strings.Join(c.OldRules, ", "), strings.Join(c.NewRules, ", "))
			}
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func countRows(cs []Count) [][]string {
	rows := make([][]string, len(cs))
	for i, c := range cs {
		rows[i] = []string{fmt.Sprint(c.Count), c.Value}
	}
	return rows
}

// writeColumns prints rows as aligned columns (by display width, so that
// Japanese text lines up in a terminal). Columns from rightFrom on are
// right-aligned (numbers after a label); rightFrom < 0 right-aligns the first
// column only (a count before a name).
func writeColumns(w io.Writer, indent string, rows [][]string, rightFrom int) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], textchart.DisplayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(indent)
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-textchart.DisplayWidth(c))
			right := rightFrom >= 0 && i >= rightFrom || rightFrom < 0 && i == 0
			if right {
				b.WriteString(pad + c)
			} else if i < len(r)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}
