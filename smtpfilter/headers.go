package smtpfilter

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

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
	if v.Action == policy.Pass {
		return VerdictHeader + ": pass\r\n"
	}
	return fmt.Sprintf("%s: %s; rules=%s; ref=%s\r\n", VerdictHeader, v.Action, strings.Join(v.Rules(), ","), ref)
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
// header field named name (and its continuation lines) left out; everything
// else is byte-for-byte as it was.
func withoutField(r io.ReaderAt, size int64, name string) io.Reader {
	scan := size
	if scan > maxHeaderScan {
		scan = maxHeaderScan
	}
	head := make([]byte, scan)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]

	var parts []io.Reader
	var keepFrom int64
	prefix := []byte(name)
	pos := 0
	for pos < len(head) {
		end := bytes.IndexByte(head[pos:], '\n')
		if end < 0 {
			break
		}
		line := head[pos : pos+end+1]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break // end of the header section
		}
		next := pos + end + 1
		// The field goes on while the next lines start with white space.
		for next < len(head) && (head[next] == ' ' || head[next] == '\t') {
			e := bytes.IndexByte(head[next:], '\n')
			if e < 0 {
				next = len(head)
				break
			}
			next += e + 1
		}
		if isField(line, prefix) {
			parts = append(parts, io.NewSectionReader(r, keepFrom, int64(pos)-keepFrom))
			keepFrom = int64(next)
		}
		pos = next
	}
	parts = append(parts, io.NewSectionReader(r, keepFrom, size-keepFrom))
	return io.MultiReader(parts...)
}

// isField reports whether line starts the header field name (any case; white
// space before the colon is tolerated, as in rfc/5322 section 4.5.3).
func isField(line, name []byte) bool {
	if len(line) <= len(name) || !bytes.EqualFold(line[:len(name)], name) {
		return false
	}
	rest := bytes.TrimLeft(line[len(name):], " \t")
	return len(rest) > 0 && rest[0] == ':'
}
