package smtpfilter

import (
	"bufio"
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
	scan := min(size, maxHeaderScan)
	lines := headerLines{br: bufio.NewReaderSize(io.NewSectionReader(r, 0, scan), 4096)}
	prefix := []byte(name)
	var parts []io.Reader
	var keepFrom, pos, fieldStart int64
	cutting := false // the field that began at fieldStart is left out
	for first := true; ; first = false {
		head, n, complete := lines.next()
		if n == 0 {
			break
		}
		if !first && (head[0] == ' ' || head[0] == '\t') {
			pos += n // the field goes on
			continue
		}
		if !complete {
			break // a field cut off by the end of the scan is kept
		}
		if cutting {
			parts = append(parts, io.NewSectionReader(r, keepFrom, fieldStart-keepFrom))
			keepFrom = pos
		}
		if len(bytes.TrimRight(head, "\r\n")) == 0 {
			cutting = false
			break // end of the header section
		}
		fieldStart, cutting = pos, isField(head, prefix)
		pos += n
	}
	if cutting {
		parts = append(parts, io.NewSectionReader(r, keepFrom, fieldStart-keepFrom))
		keepFrom = pos
	}
	parts = append(parts, io.NewSectionReader(r, keepFrom, size-keepFrom))
	return io.MultiReader(parts...)
}

// headerLines reads lines of any length, keeping only their beginning.
type headerLines struct {
	br   *bufio.Reader
	head [256]byte
}

// next returns the beginning of the next line (up to 256 bytes, the LF
// included when it is that short), the line's whole length, and whether it
// ends in LF. n is 0 at the end.
func (l *headerLines) next() (head []byte, n int64, complete bool) {
	for {
		piece, err := l.br.ReadSlice('\n')
		if n == 0 {
			head = l.head[:copy(l.head[:], piece)]
		}
		n += int64(len(piece))
		switch err {
		case nil:
			return head, n, true
		case bufio.ErrBufferFull:
			continue
		default:
			return head, n, false
		}
	}
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
