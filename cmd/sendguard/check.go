package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	_ "github.com/emersion/go-message/charset"

	"github.com/sendguard/sendguard/hold"
	"github.com/sendguard/sendguard/mailarchive"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
	"github.com/sendguard/sendguard/spool"
)

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func checkCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file")
	from := fs.String("from", "", "envelope sender (default: the From header)")
	var to stringList
	fs.Var(&to, "to", "envelope recipient, repeatable (default: To, Cc and Bcc headers)")
	asJSON := fs.Bool("json", false, "print the verdict as JSON")
	if err := parseFlags("check", fs, interleaveFlags(args, "json"), stdout); err != nil {
		return 0, err
	}
	if fs.NArg() != 1 {
		return 0, fail(exitUsage, "give one MESSAGE.eml, or - for standard input")
	}
	f, pol, err := loadConfig(*path, stderr)
	if err != nil {
		return 0, err
	}
	in := stdin
	if name := fs.Arg(0); name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return 0, fail(exitUsage, "%v", err)
		}
		defer file.Close()
		in = file
	}
	buf := spool.New(f.Resolve(f.Server.SpoolDir), f.Server.SpoolMemoryBytes, f.Server.MaxMessageBytes)
	defer buf.Close()
	if _, err := buf.ReadFrom(in); err != nil {
		return 0, fail(exitUsage, "read message: %v", err)
	}
	if why := mailarchive.NotMail(buf, buf.Size()); why != "" {
		name := fs.Arg(0)
		if name == "-" {
			name = "standard input"
		}
		return 0, fail(exitUsage, "%s: %s", name, why)
	}
	env := policy.Envelope{From: *from, To: to}
	if env.From == "" || len(env.To) == 0 {
		hFrom, hTo := mailarchive.HeaderEnvelope(buf)
		if env.From == "" {
			env.From = hFrom
		}
		if len(env.To) == 0 {
			env.To = hTo
		}
	}
	v, err := pol.Evaluate(context.Background(), env, buf, buf.Size())
	if err != nil {
		return 0, fmt.Errorf("evaluate: %w", err)
	}
	ref := policy.NewRef()
	rules, err := hold.Compile(f.Hold)
	if err != nil {
		return 0, &exitError{code: exitConfig, err: err}
	}
	held := whoActs(pol, rules, env, v)
	if *asJSON {
		out := struct {
			Ref      string          `json:"ref"`
			Envelope policy.Envelope `json:"envelope"`
			*policy.Verdict
			Hold  *holdInfo `json:"hold,omitempty"`
			Reply string    `json:"reply,omitempty"`
		}{ref, env, v, held, replyText(pol, v, ref)}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return 0, err
		}
	} else {
		printVerdict(stdout, pol, env, v, ref)
		printHold(stdout, env, held)
	}
	switch v.Action {
	case policy.Flag:
		return exitFlag, nil
	case policy.Hold, policy.Approve:
		return exitHold, nil
	case policy.Reject, policy.Tempfail:
		return exitReject, nil
	}
	return exitPass, nil
}

// holdInfo says who must act on a message the gateway would hold.
type holdInfo struct {
	// By is "sender" (hold: the sender confirms), "approver" (approve)
	// or "delay" (nobody needs to: it goes out after DelaySeconds unless
	// the sender sends it now or cancels it).
	By           string   `json:"by"`
	Approvers    []string `json:"approvers,omitempty"`
	DelaySeconds int64    `json:"delay_seconds,omitempty"`
}

// whoActs is the hold a verdict means under the [hold] rules, or nil.
func whoActs(pol *policy.Policy, rules *hold.Rules, env policy.Envelope, v *policy.Verdict) *holdInfo {
	switch v.Action {
	case policy.Hold:
		return &holdInfo{By: "sender"}
	case policy.Approve:
		return &holdInfo{By: "approver", Approvers: rules.Approvers(env.From)}
	case policy.Pass, policy.Flag:
		external := false
		for _, r := range env.To {
			external = external || !pol.IsInternal(r)
		}
		if d := rules.Delay(env.From, external); d > 0 {
			return &holdInfo{By: "delay", DelaySeconds: int64(d.Seconds())}
		}
	}
	return nil
}

func printHold(w io.Writer, env policy.Envelope, h *holdInfo) {
	if h == nil {
		return
	}
	fmt.Fprintln(w)
	switch h.By {
	case "sender":
		fmt.Fprintf(w, "held: the sender (%s) must confirm it on the page (send now or cancel)\n", env.From)
		fmt.Fprintf(w, "保留: 送信者 (%s) の確認が必要です（ページで「今すぐ送信」または「送信を取り消す」）\n", env.From)
	case "approver":
		list := strings.Join(h.Approvers, ", ")
		if list == "" {
			list = "(none configured: set [[hold.approvers]] or hold.default_approvers)"
		}
		fmt.Fprintf(w, "waiting for approval by: %s\n", list)
		fmt.Fprintf(w, "承認待ち: %s の承認が必要です\n", list)
	case "delay":
		d := shortDuration(time.Duration(h.DelaySeconds) * time.Second)
		fmt.Fprintf(w, "would be delayed %s before it goes out (the sender may send now or cancel)\n", d)
		fmt.Fprintf(w, "送信ディレイ: %s 後に送信されます（送信者は今すぐ送信・取り消しができます）\n", d)
	}
}

// shortDuration writes d as the configuration does: "5m", "1h30m", not
// "5m0s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func replyText(p *policy.Policy, v *policy.Verdict, ref string) string {
	if v.Action < policy.Reject {
		return ""
	}
	e := smtpfilter.Rejection(p, v, ref)
	lines := strings.Split(e.Message, "\n")
	for i, l := range lines {
		if i == len(lines)-1 {
			l = fmt.Sprintf("%d.%d.%d %s", e.EnhancedCode[0], e.EnhancedCode[1], e.EnhancedCode[2], l)
		}
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		lines[i] = fmt.Sprintf("%d%s%s", e.Code, sep, l)
	}
	return strings.Join(lines, "\n")
}

func printVerdict(w io.Writer, p *policy.Policy, env policy.Envelope, v *policy.Verdict, ref string) {
	fmt.Fprintf(w, "verdict: %s (ref %s)\n", v.Action, ref)
	fmt.Fprintf(w, "envelope: from <%s> to %s\n", env.From, strings.Join(bracket(env.To), ", "))
	if rules := v.Rules(); len(rules) > 0 {
		fmt.Fprintf(w, "rules: %s\n", strings.Join(rules, ", "))
	}
	if v.Encrypted != "" {
		fmt.Fprintf(w, "whole message encrypted: %s\n", v.Encrypted)
	}
	for _, f := range v.Findings {
		fmt.Fprintf(w, "\n[%s] %s: %s\n", f.Rule, f.Action, f.Evidence)
		fmt.Fprintf(w, "  %s\n  （%s）\n%s", f.ReasonJA, f.ArticleJA, indent(f.RemedyJA, "    "))
		fmt.Fprintf(w, "  %s\n  (%s)\n%s", f.Reason, f.Article, indent(f.Remedy, "    "))
	}
	if len(v.Attachments) > 0 {
		fmt.Fprintf(w, "\nattachments:\n")
		for _, a := range v.Attachments {
			state := "not protected"
			switch {
			case a.Exempt != "":
				state = "exempt (" + a.Exempt + ")"
			case a.Unscannable != "":
				state = "unscannable: " + a.Unscannable
			case a.Protected:
				state = "protected (" + a.Method + ")"
			}
			name := a.Name
			if name == "" {
				name = "(no name)"
			}
			format := a.Format
			if format == "" {
				format = "-"
			}
			fmt.Fprintf(w, "  part %-6s %s  [%s, %s, %d bytes]  %s\n", a.Path, name, a.ContentType, format, a.Size, state)
		}
	}
	if r := replyText(p, v, ref); r != "" {
		fmt.Fprintf(w, "\nSMTP reply:\n%s\n", r)
	}
}

func bracket(addrs []string) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = "<" + a + ">"
	}
	return out
}

// indent puts prefix before every line of s.
func indent(s, prefix string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}
