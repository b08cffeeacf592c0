package smtpfilter

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy"
)

// Notifier sends the sender of a flagged message a notice saying why, on an
// upstream connection of its own; the smarthost's sessions and the milter
// use it alike.
type Notifier struct {
	Upstream Upstream
	Explain  ExplainConfig
	Hostname string
	Log      *slog.Logger
}

// FlagNotice is a message that went out flagged.
type FlagNotice struct {
	Policy     *policy.Policy
	Verdict    *policy.Verdict
	Ref        string
	Sender     string
	Recipients []string
	// Header is the message's header section (HeaderSection).
	Header []byte
}

// HeaderSection reads the header section of the message in r (size bytes)
// for reports and notices, bounded.
func HeaderSection(r io.ReaderAt, size int64) []byte { return headerSection(r, size) }

// SendFlagNotice tells the sender, after the message went out flagged, why
// it was flagged — for the rules the policy wants a notice for, not to a
// bounce or automatic mail, within the rate limit. It sends in the
// background: the caller's reply never waits for it.
func (n *Notifier) SendFlagNotice(f FlagNotice) {
	var fs []policy.Finding
	for _, fd := range f.Verdict.Findings {
		if fd.Action == policy.Flag && f.Policy.WantsFlagNotice(fd.Rule) {
			fs = append(fs, fd)
		}
	}
	if len(fs) == 0 || f.Sender == "" {
		return
	}
	if ok, why := mayWrite(n.Explain.Limiter, f.Sender, f.Header); !ok {
		n.Log.Info("flag notice not sent", "ref", f.Ref, "reason", why)
		return
	}
	findings, redact := noticeFindings(f.Policy, fs, f.Ref)
	msg, err := notify.BuildFlagNotice(notify.FlagNotice{
		From: n.Explain.From, Sender: f.Sender, Recipients: f.Recipients, Header: f.Header,
		Findings: findings, Ref: f.Ref, Hostname: n.Hostname, Sent: time.Now(), RedactSubject: redact,
	})
	if err != nil {
		n.Log.Warn("flag notice not built", "ref", f.Ref, "error", err.Error())
		return
	}
	up, log := n.Upstream, n.Log
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := SendVia(ctx, up, "", []string{f.Sender}, msg); err != nil {
			log.Warn("flag notice not sent", "ref", f.Ref, "error", err.Error())
		}
	}()
}
