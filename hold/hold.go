// Package hold decides, from the [hold] section, which held messages wait
// for whom: the timed delay for external mail and the approvers of each
// sender, and how long a decision or a relay may take.
package hold

import (
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/sendguard/sendguard/senders"
)

// Config is the [hold] section.
type Config struct {
	// Delay holds every message in scope this long before it goes out by
	// itself (送信ディレイ); the sender may send it now or cancel it. "0s"
	// (the default) is off.
	Delay Duration `toml:"delay"`
	// Scope is "external" (the default: messages with a recipient outside
	// the organisation) or "all".
	Scope string `toml:"scope"`
	// ExemptSenders are never delayed (sender patterns: "user@x", "*@x",
	// "@x", "x").
	ExemptSenders []string `toml:"exempt_senders"`
	// Expire cancels a confirmation or approval nobody gave (default 72h).
	Expire Duration `toml:"expire"`
	// RetryFor is how long a released message is retried when the
	// upstream is down or answers 4xx, before the sender is told
	// (default 24h).
	RetryFor Duration `toml:"retry_for"`
	// RetryInterval is the wait before the first retry, doubled per
	// attempt up to 30 minutes (default 30s).
	RetryInterval Duration `toml:"retry_interval"`
	// Approvers name who may release whose messages, first match wins;
	// DefaultApprovers are asked when none matches.
	Approvers        []Approvers `toml:"approvers"`
	DefaultApprovers []string    `toml:"default_approvers"`
}

// Approvers is one [[hold.approvers]] table.
type Approvers struct {
	Senders   []string `toml:"senders"`
	Approvers []string `toml:"approvers"`
}

// Duration is a time.Duration written as "5m", "72h".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration (use e.g. \"5m\", \"72h\"): %q", b)
	}
	if v < 0 {
		return fmt.Errorf("duration must not be negative: %q", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as Go does ("5m0s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Defaults.
const (
	DefaultExpire        = 72 * time.Hour
	DefaultRetryFor      = 24 * time.Hour
	DefaultRetryInterval = 30 * time.Second
)

// Rules is a compiled [hold] section. It is immutable.
type Rules struct {
	delay     time.Duration
	all       bool
	exempt    []string
	expire    time.Duration
	retryFor  time.Duration
	retryBase time.Duration
	approvers []Approvers
	fallback  []string
}

// Error is one problem in the section, with the key it is under.
type Error struct {
	Key string
	Msg string
}

func (e *Error) Error() string { return e.Key + ": " + e.Msg }

// Errors are all the problems found.
type Errors []*Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Compile checks the section and returns its rules, or Errors.
func Compile(c Config) (*Rules, error) {
	var errs Errors
	add := func(key, format string, args ...any) {
		errs = append(errs, &Error{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	r := &Rules{delay: c.Delay.Duration, expire: c.Expire.Duration, retryFor: c.RetryFor.Duration}
	if r.expire == 0 {
		r.expire = DefaultExpire
	}
	if r.retryFor == 0 {
		r.retryFor = DefaultRetryFor
	}
	if r.retryBase = c.RetryInterval.Duration; r.retryBase == 0 {
		r.retryBase = DefaultRetryInterval
	}
	if r.delay > 24*time.Hour {
		add("hold.delay", "%s is longer than a day: a delay is meant to catch mistakes (minutes), not to hold mail", r.delay)
	}
	switch c.Scope {
	case "", "external":
	case "all":
		r.all = true
	default:
		add("hold.scope", "unknown scope %q (external or all)", c.Scope)
	}
	for i, s := range c.ExemptSenders {
		if err := senders.Check(s); err != nil {
			add(fmt.Sprintf("hold.exempt_senders[%d]", i), "%v", err)
		}
		r.exempt = append(r.exempt, s)
	}
	for i, a := range c.Approvers {
		key := fmt.Sprintf("hold.approvers[%d]", i)
		if len(a.Senders) == 0 {
			add(key+".senders", "empty: name the senders these approvers are for (\"*@sales.example.co.jp\")")
		}
		for _, s := range a.Senders {
			if err := senders.Check(s); err != nil {
				add(key+".senders", "%v", err)
			}
		}
		if len(a.Approvers) == 0 {
			add(key+".approvers", "empty: name at least one approver's address")
		}
		for _, addr := range a.Approvers {
			if err := checkAddress(addr); err != nil {
				add(key+".approvers", "%v", err)
			}
		}
		r.approvers = append(r.approvers, Approvers{Senders: a.Senders, Approvers: lower(a.Approvers)})
	}
	for _, addr := range c.DefaultApprovers {
		if err := checkAddress(addr); err != nil {
			add("hold.default_approvers", "%v", err)
		}
	}
	r.fallback = lower(c.DefaultApprovers)
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

func checkAddress(a string) error {
	p, err := mail.ParseAddress(a)
	if err != nil || p.Name != "" || p.Address != strings.TrimSpace(a) || !strings.Contains(a, "@") {
		return fmt.Errorf("not an address: %q", a)
	}
	return nil
}

func lower(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}

// HasApprovers reports whether any approver is configured at all.
func (r *Rules) HasApprovers() bool { return len(r.approvers) > 0 || len(r.fallback) > 0 }

// Approvers returns who may release a message from sender: the first
// [[hold.approvers]] whose senders match, else the default approvers. The
// sender never approves their own message.
func (r *Rules) Approvers(sender string) []string {
	list := r.fallback
	for _, a := range r.approvers {
		if matchAny(a.Senders, sender) {
			list = a.Approvers
			break
		}
	}
	s := strings.ToLower(strings.TrimSpace(sender))
	out := make([]string, 0, len(list))
	for _, a := range list {
		if a != s {
			out = append(out, a)
		}
	}
	return out
}

// Delay is how long a pass or flag message from sender waits before it
// goes out (external: it has a recipient outside the organisation): 0 when
// the delay is off, out of scope, or the sender is exempt.
func (r *Rules) Delay(sender string, external bool) time.Duration {
	if r.delay == 0 || (!r.all && !external) || matchAny(r.exempt, sender) {
		return 0
	}
	return r.delay
}

// Expire is how long a confirmation or approval may take.
func (r *Rules) Expire() time.Duration { return r.expire }

// RetryFor is how long a released message is retried.
func (r *Rules) RetryFor() time.Duration { return r.retryFor }

// RetryInterval is the wait before the first retry.
func (r *Rules) RetryInterval() time.Duration { return r.retryBase }

func matchAny(patterns []string, sender string) bool {
	for _, p := range patterns {
		if senders.Match(p, sender) {
			return true
		}
	}
	return false
}
