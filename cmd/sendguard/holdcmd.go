package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sendguard/sendguard/config"
	"github.com/sendguard/sendguard/hold"
	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy/explain"
	"github.com/sendguard/sendguard/store"
)

// holdCmd is `sendguard hold list|show|release|cancel`: the held messages
// in the store, usable while the server runs.
func holdCmd(args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 || wantsHelp(args[:1]) {
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		printUsage(w, "hold", nil)
		if len(args) == 0 {
			return 0, fail(exitUsage, "")
		}
		return 0, nil
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("hold "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file")
	asJSON := fs.Bool("json", false, "print JSON (one object per line for list)")
	all := fs.Bool("all", false, "list: every message, also those relayed, cancelled, rejected, expired or failed")
	comment := fs.String("comment", "", "cancel: a comment kept in the audit trail and shown to the sender")
	switch sub {
	case "list", "show", "release", "cancel":
	default:
		printUsage(stderr, "hold", nil)
		return 0, fail(exitUsage, "unknown hold command %q (list, show, release, cancel)", sub)
	}
	if err := parseFlags("hold", fs, interleaveFlags(rest, "json", "all"), stdout); err != nil {
		return 0, err
	}
	wantRef := sub != "list"
	if wantRef && fs.NArg() != 1 || !wantRef && fs.NArg() != 0 {
		return 0, fail(exitUsage, "hold %s takes %s", sub, map[bool]string{true: "one REF", false: "no arguments"}[wantRef])
	}
	f, st, err := openStoreCmd(*path, stderr)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	switch sub {
	case "list":
		return holdList(ctx, st, *all, *asJSON, stdout, stderr)
	case "show":
		return holdShow(ctx, st, fs.Arg(0), *asJSON, stdout)
	}
	d := store.Release
	if sub == "cancel" {
		d = store.Cancel
	}
	return holdDecide(ctx, f, st, fs.Arg(0), d, *comment, stdout, stderr)
}

// openStoreCmd loads the configuration and opens its store.
func openStoreCmd(path string, stderr io.Writer) (*config.File, *store.Store, error) {
	if path == "" {
		return nil, nil, fail(exitUsage, "--config FILE is required")
	}
	f, err := config.Load(path)
	if err != nil {
		return nil, nil, &exitError{code: exitConfig, err: err}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, f.StoreDSN(), store.Options{})
	if err != nil {
		return nil, nil, &exitError{code: exitConfig, err: err}
	}
	return f, st, nil
}

// heldJSON is one held message as list --json and show --json print it.
type heldJSON struct {
	Ref         string         `json:"ref"`
	State       store.State    `json:"state"`
	Sender      string         `json:"sender"`
	Recipients  []string       `json:"recipients"`
	Rules       []string       `json:"rules"`
	FlagRules   []string       `json:"flag_rules,omitempty"`
	Approvers   []string       `json:"approvers,omitempty"`
	Size        int64          `json:"size"`
	HeldAt      *time.Time     `json:"held_at"`
	ReleaseAt   *time.Time     `json:"release_at"`
	ExpireAt    *time.Time     `json:"expire_at"`
	DecidedBy   string         `json:"decided_by,omitempty"`
	DecidedFrom string         `json:"decided_from,omitempty"`
	DecidedAt   *time.Time     `json:"decided_at,omitempty"`
	Comment     string         `json:"comment,omitempty"`
	Attempts    int            `json:"attempts"`
	LastError   string         `json:"last_error,omitempty"`
	RelayedAt   *time.Time     `json:"relayed_at,omitempty"`
	Upstream    string         `json:"upstream_reply,omitempty"`
	Summary     *store.Summary `json:"summary,omitempty"`
	Trail       []store.Event  `json:"trail,omitempty"`
	Subject     string         `json:"subject,omitempty"`
}

// timeOrNil is nil for a zero time (JSON null), else the time in UTC.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toJSON(h *store.Held) heldJSON {
	j := heldJSON{Ref: h.Ref, State: h.State, Sender: h.Sender, Recipients: h.Recipients, Rules: h.Rules, FlagRules: h.FlagRules,
		Approvers: h.Approvers, Size: h.Size, HeldAt: timeOrNil(h.HeldAt), ReleaseAt: timeOrNil(h.ReleaseAt), ExpireAt: timeOrNil(h.ExpireAt),
		DecidedBy: h.DecidedBy, DecidedFrom: h.DecidedFrom, DecidedAt: timeOrNil(h.DecidedAt), Comment: h.Comment,
		Attempts: h.Attempts, LastError: h.LastError, RelayedAt: timeOrNil(h.RelayedAt), Upstream: h.UpstreamReply}
	if !h.Summary.SubjectWithheld {
		j.Subject = h.Summary.Subject
	}
	return j
}

// holdListMax bounds what hold list prints (and holds in memory): a flood
// of held messages must not make it print an endless table.
var holdListMax = 10000

func holdList(ctx context.Context, st *store.Store, all, asJSON bool, stdout, stderr io.Writer) (int, error) {
	list, err := st.List(ctx, store.Filter{All: all, Limit: holdListMax + 1})
	if err != nil {
		return 0, err
	}
	if len(list) > holdListMax {
		list = list[:holdListMax]
		fmt.Fprintf(stderr, "sendguard hold list: only the oldest %d messages are listed; sendguard store check counts them all\n", holdListMax)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		for i := range list {
			if err := enc.Encode(toJSON(&list[i])); err != nil {
				return 0, err
			}
		}
		return 0, nil
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no held messages")
		return 0, nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REF\tSTATE\tHELD AT\tSENDER\tRECIPIENTS\tRULES\tWAITS UNTIL")
	for _, h := range list {
		rcpts := termList(h.Recipients, ",")
		if len(h.Recipients) > 1 {
			rcpts = fmt.Sprintf("%s (+%d)", term(h.Recipients[0]), len(h.Recipients)-1)
		}
		until := ""
		switch {
		case h.State == store.StateDelayed:
			until = localTime(h.ReleaseAt) + " (goes out)"
		case h.State.Waiting():
			until = localTime(h.ExpireAt) + " (expires)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", term(h.Ref), h.State, localTime(h.HeldAt), term(h.Sender), rcpts, termList(h.Rules, ","), until)
	}
	return 0, tw.Flush()
}

// term makes a stored value safe to print on an operator's terminal: what
// a sender controls (attachment names, a comment, an upstream's reply)
// must not carry escape sequences that rewrite the screen, nor line breaks
// that forge lines of the output. --json escapes them instead.
func term(s string) string { return explain.CleanText(s, 2000) }

func termList(l []string, sep string) string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = term(s)
	}
	return strings.Join(out, sep)
}

func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func holdShow(ctx context.Context, st *store.Store, ref string, asJSON bool, stdout io.Writer) (int, error) {
	h, err := st.Get(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return 0, fail(1, "no held message with ref %q", ref)
	}
	if err != nil {
		return 0, err
	}
	trail, err := st.Trail(ctx, ref)
	if err != nil {
		return 0, err
	}
	if asJSON {
		j := toJSON(h)
		j.Summary, j.Trail = &h.Summary, trail
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return 0, enc.Encode(j)
	}
	w := stdout
	fmt.Fprintf(w, "ref:        %s\nstate:      %s\nsender:     %s\nrecipients:\n", term(h.Ref), h.State, term(h.Sender))
	for _, r := range h.Summary.Recipients {
		note := r.Class
		if r.Resembles != "" {
			note += ", resembles " + term(r.Resembles)
		}
		fmt.Fprintf(w, "  %s (%s)\n", term(r.Address), term(note))
	}
	if len(h.Summary.Recipients) == 0 {
		for _, r := range h.Recipients {
			fmt.Fprintf(w, "  %s\n", term(r))
		}
	}
	subject := term(h.Summary.Subject)
	if h.Summary.SubjectWithheld {
		subject = "(withheld: it holds what was found)"
	}
	fmt.Fprintf(w, "subject:    %s\nsize:       %d bytes\nrules:      %s\n", subject, h.Size, termList(h.Rules, ", "))
	if len(h.FlagRules) > 0 {
		fmt.Fprintf(w, "flags:      %s\n", termList(h.FlagRules, ", "))
	}
	if len(h.Approvers) > 0 {
		fmt.Fprintf(w, "approvers:  %s\n", termList(h.Approvers, ", "))
	}
	fmt.Fprintf(w, "held at:    %s\n", localTime(h.HeldAt))
	if !h.ReleaseAt.IsZero() {
		fmt.Fprintf(w, "goes out:   %s\n", localTime(h.ReleaseAt))
	}
	if !h.ExpireAt.IsZero() {
		fmt.Fprintf(w, "expires:    %s\n", localTime(h.ExpireAt))
	}
	if h.DecidedBy != "" {
		fmt.Fprintf(w, "decided by: %s %s at %s\n", term(h.DecidedBy), term(h.DecidedFrom), localTime(h.DecidedAt))
	}
	if h.Comment != "" {
		fmt.Fprintf(w, "comment:    %s\n", term(h.Comment))
	}
	if h.LastError != "" {
		fmt.Fprintf(w, "last error: %s (attempts %d)\n", term(h.LastError), h.Attempts)
	}
	if len(h.Summary.Attachments) > 0 {
		fmt.Fprintln(w, "attachments:")
		for _, a := range h.Summary.Attachments {
			state := "not protected"
			switch {
			case a.Protected:
				state = "protected (" + term(a.Method) + ")"
			case a.Note != "":
				state = term(a.Note)
			}
			fmt.Fprintf(w, "  %s [%s, %d bytes] %s\n", term(a.Name), term(a.Format), a.Size, state)
		}
	}
	for _, fd := range h.Summary.Findings {
		fmt.Fprintf(w, "\n[%s] %s: %s\n  %s\n  （%s）\n  %s\n  (%s)\n", term(fd.Rule), term(fd.Action), term(fd.Evidence),
			term(fd.ReasonJA), term(fd.ArticleJA), term(fd.Reason), term(fd.Article))
	}
	fmt.Fprintln(w, "\naudit trail:")
	for _, e := range trail {
		fmt.Fprintf(w, "  %s  %-9s %s %s %s\n", localTime(e.At), term(e.Event), term(e.Actor), term(e.IP), term(e.Detail))
	}
	return 0, nil
}

func holdDecide(ctx context.Context, f *config.File, st *store.Store, ref string, d store.Decision, comment string, stdout, stderr io.Writer) (int, error) {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	who := store.Actor{Name: "cli:" + name}
	retryFor := hold.DefaultRetryFor
	if rules, err := hold.Compile(f.Hold); err == nil {
		retryFor = rules.RetryFor()
	}
	notices := notify.HeldNotices{From: f.Explain.From, Hostname: f.Server.Hostname}
	from := []store.State{store.StateConfirm, store.StateApproval, store.StateDelayed}
	h, err := st.Decide(ctx, ref, d, from, who, comment, retryFor, func(h *store.Held) []store.Notice {
		return notices.Decided(h, d, who)
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, fail(1, "no held message with ref %q", ref)
	case errors.Is(err, store.ErrState):
		now, gerr := st.Get(ctx, ref)
		if gerr != nil {
			return 0, gerr
		}
		msg := fmt.Sprintf("ref %s is no longer waiting: %s", ref, now.State)
		if now.DecidedBy != "" {
			msg += fmt.Sprintf(" (by %s at %s)", term(now.DecidedBy), localTime(now.DecidedAt))
		}
		return 0, fail(1, "%s", msg)
	case err != nil:
		return 0, err
	}
	logger, err := newLogger(f.Log, stderr)
	if err == nil {
		if audit, closeAudit, aerr := newAuditLogger(f, logger, stderr); aerr == nil {
			audit.Info("held", "event", "hold-cli", "action", d.String(), "ref", ref, "actor", who.Name, "from", h.Sender, "to", h.Recipients)
			closeAudit()
		}
	}
	switch d {
	case store.Release:
		fmt.Fprintf(stdout, "ref %s released: a running sendguard relays it within seconds\n", ref)
	default:
		fmt.Fprintf(stdout, "ref %s cancelled: it will not be sent\n", ref)
	}
	return 0, nil
}

// storeCmd is `sendguard store check`.
func storeCmd(args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 || args[0] != "check" {
		if len(args) > 0 && wantsHelp(args[:1]) {
			printUsage(stdout, "store check", nil)
			return 0, nil
		}
		printUsage(stderr, "store check", nil)
		return 0, fail(exitUsage, "")
	}
	fs := flag.NewFlagSet("store check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags("store check", fs, args[1:], stdout); err != nil {
		return 0, err
	}
	f, st, err := openStoreCmd(*path, stderr)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h, err := st.Check(ctx)
	if err != nil {
		return 0, err
	}
	if *asJSON {
		out := struct {
			DSN string `json:"dsn"`
			*store.Health
		}{store.Redact(f.StoreDSN()), h}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return 0, err
		}
	} else {
		fmt.Fprintf(stdout, "store: %s (%s)\nschema: version %d of %d\n", store.Redact(f.Store.DSN), h.Kind, h.Version, h.Expected)
		for _, s := range []store.State{store.StateConfirm, store.StateApproval, store.StateDelayed, store.StateQueued,
			store.StateRelayed, store.StateCancelled, store.StateRejected, store.StateExpired, store.StateFailed} {
			if n := h.States[string(s)]; n > 0 {
				fmt.Fprintf(stdout, "held messages %s: %d\n", s, n)
			}
		}
		fmt.Fprintf(stdout, "outbox: %d pending, %d past their deadline\n", h.OutboxPending, h.OutboxMissed)
		for _, p := range h.Problems {
			fmt.Fprintf(stdout, "problem: %s\n", p)
		}
		if len(h.Problems) == 0 {
			fmt.Fprintln(stdout, "ok")
		}
	}
	if len(h.Problems) > 0 {
		return 1, nil
	}
	return 0, nil
}
