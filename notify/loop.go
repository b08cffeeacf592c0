package notify

import (
	"strings"
)

// Header is what ShouldReport reads of a message's header: Fields, go-message's
// textproto.Header, net/mail.Header and net/textproto.MIMEHeader all have it.
type Header interface {
	Get(key string) string
}

// ShouldReport reports whether sendguard may write to the sender of a
// message (a report or a flag notice), and if not, why. It says no — so that
// no mail loops and no backscatter is made — for:
//
//   - the null sender "<>" (a bounce: rfc/5321 section 4.5.5) or no sender;
//   - a sender that is a mail system: MAILER-DAEMON, postmaster,
//     owner-…, …-request, …-bounces (rfc/3834 section 2);
//   - automatic mail: Auto-Submitted other than "no" (rfc/3834 section 5),
//     Precedence bulk, junk or list, X-Auto-Response-Suppress: All
//     (Exchange's mark on its own automatic mail), a List-Id field
//     (rfc/2919);
//   - a report itself: Content-Type multipart/report or message/*-status;
//   - our own reports and notices (the ReportMarker field).
//
// When it says no, the gateway should answer in the SMTP session instead
// (the 550 reply) rather than drop the message silently.
func ShouldReport(envFrom string, h Header) (bool, string) {
	from := strings.TrimSpace(envFrom)
	from = strings.TrimSuffix(strings.TrimPrefix(from, "<"), ">")
	if from == "" {
		return false, "null sender"
	}
	local := strings.ToLower(from)
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	switch {
	case local == "mailer-daemon", local == "postmaster":
		return false, "sender is " + local
	case strings.HasPrefix(local, "owner-"), strings.HasSuffix(local, "-request"),
		strings.HasSuffix(local, "-bounces"), strings.Contains(local, "-bounces+"):
		return false, "sender is a mailing-list address"
	}
	if h == nil {
		return true, ""
	}
	if v := h.Get(ReportMarker); v != "" {
		return false, "message is a sendguard report or notice"
	}
	if v := strings.TrimSpace(h.Get("Auto-Submitted")); v != "" {
		kw, _, _ := strings.Cut(v, ";")
		kw = strings.ToLower(strings.TrimSpace(stripComment(kw)))
		if kw != "no" {
			return false, "Auto-Submitted: " + kw
		}
	}
	switch p := strings.ToLower(strings.TrimSpace(stripComment(h.Get("Precedence")))); p {
	case "bulk", "junk", "list":
		return false, "Precedence: " + p
	}
	if h.Get("List-Id") != "" {
		return false, "message has List-Id"
	}
	if v := strings.ToLower(h.Get("X-Auto-Response-Suppress")); v != "" {
		for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			switch tok {
			case "all":
				return false, "X-Auto-Response-Suppress: " + tok
			}
		}
	}
	ct := strings.ToLower(strings.TrimSpace(h.Get("Content-Type")))
	mt, _, _ := strings.Cut(ct, ";")
	switch mt = strings.TrimSpace(mt); {
	case mt == "multipart/report":
		return false, "message is a report (multipart/report)"
	case mt == "message/delivery-status", mt == "message/disposition-notification",
		mt == "message/global-delivery-status", mt == "message/global-disposition-notification":
		return false, "message is a report (" + mt + ")"
	}
	return true, ""
}

// stripComment drops a trailing RFC 5322 comment: "auto-generated (cron)".
func stripComment(s string) string {
	if i := strings.IndexByte(s, '('); i >= 0 {
		return s[:i]
	}
	return s
}
