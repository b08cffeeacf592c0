package smtpfilter

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sendguard/sendguard/mailheader"
	"github.com/sendguard/sendguard/policy"
)

// VerdictHeader is the header sendguard adds to relayed mail. One arriving
// from the client is removed first, so that a sender cannot forge it.
const VerdictHeader = "X-Sendguard-Verdict"

// maxHeaderScan bounds how far into the message the header section is looked
// for; a header section longer than this is passed on as it is, apart from
// the fields already seen.
const maxHeaderScan = 1 << 20

// verdictHeader formats the X-Sendguard-Verdict field.
func verdictHeader(v *policy.Verdict, ref string) string {
	return VerdictHeader + ": " + VerdictValue(v, ref) + "\r\n"
}

// VerdictValue is the value of the X-Sendguard-Verdict field for v: "pass",
// or "flag; rules=<id>[,<id>...]; ref=<ref>". The milter adds the same
// field through its MTA.
func VerdictValue(v *policy.Verdict, ref string) string {
	if v.Action == policy.Pass {
		return "pass"
	}
	return fmt.Sprintf("%s; rules=%s; ref=%s", v.Action, strings.Join(v.Rules(), ","), ref)
}

// ReleasedVerdictField is the X-Sendguard-Verdict field (with its CRLF) of
// a held message when it is relayed: "pass" or "flag; rules=<id>,…" as
// VerdictValue writes them, then who released it and the reference.
func ReleasedVerdictField(flagRules []string, releasedBy, ref string) string {
	v := "pass"
	if len(flagRules) > 0 {
		v = "flag; rules=" + strings.Join(flagRules, ",")
	}
	by := strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f && !strings.ContainsRune(`;"\()<>,`, r) {
			return r
		}
		return -1
	}, releasedBy)
	if by == "" {
		by = "unknown"
	}
	return fmt.Sprintf("%s: %s; released-by=%s; ref=%s\r\n", VerdictHeader, v, by, ref)
}

// receivedHeader formats our Received field (rfc/5321 section 4.4).
func receivedHeader(t traceInfo, hostname, ref string, rcpts []string, now time.Time) string {
	with := "ESMTP"
	if t.tls {
		with += "S"
	}
	if t.authUser != "" {
		with += "A"
	}
	helo := t.helo
	if helo == "" {
		helo = "unknown"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from %s ([%s])\r\n\tby %s (sendguard) with %s id %s", ascii(helo), t.ip, hostname, with, ref)
	if len(rcpts) == 1 {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", ascii(rcpts[0]))
	}
	fmt.Fprintf(&b, "; %s\r\n", now.Format(time.RFC1123Z))
	return b.String()
}

// traceInfo is what the Received field says about the client.
type traceInfo struct {
	helo     string
	ip       string
	tls      bool
	authUser string
}

// withoutField returns a reader over the message in r (size bytes) with every
// header field named name (and its continuation lines) left out, looking in
// the first maxHeaderScan bytes; everything else is byte-for-byte as it was
// (mailheader.Without: streaming, nothing copied).
func withoutField(r io.ReaderAt, size int64, name string) io.Reader {
	return mailheader.Without(r, size, maxHeaderScan, name)
}
