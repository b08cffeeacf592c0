package notify

import (
	"bytes"
	"strings"

	"github.com/sendguard/sendguard/mailcharset"

	"github.com/sendguard/sendguard/mailheader"
	"github.com/sendguard/sendguard/policy/explain"
)

// RedactedSubject replaces the Subject of the original message in a report
// or notice when the subject holds a password.
const RedactedSubject = "[removed by sendguard: the subject holds a password]"

// originalSection is the original header section a report returns and a
// notice reads: mailheader.Section within MaxOriginalHeader, with every
// Subject field replaced when redact is set.
func originalSection(raw []byte, redact bool) []byte {
	h := mailheader.Section(raw, MaxOriginalHeader)
	if redact {
		h = redactSubject(h)
	}
	return h
}

// redactSubject replaces every Subject field (with its continuation lines)
// of a CRLF header section by RedactedSubject. It errs on the side of
// removing: a line whose name is "Subject" after any white space is
// replaced even when a stricter reader would not call it a field.
func redactSubject(hdr []byte) []byte {
	var out bytes.Buffer
	skipping := false
	for _, line := range bytes.SplitAfter(hdr, []byte("\r\n")) {
		if len(line) == 0 {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if !skipping {
				out.Write(line)
			}
			continue
		}
		name, _, _ := bytes.Cut(line, []byte(":"))
		skipping = strings.EqualFold(strings.TrimSpace(string(name)), "Subject")
		if skipping {
			out.WriteString("Subject: " + RedactedSubject + "\r\n")
			continue
		}
		out.Write(line)
	}
	return out.Bytes()
}

// original is what a report shows of the original message.
type original struct {
	subject   string // decoded, cleaned, bounded
	messageID string // "<…>" when well-formed, else ""
}

var wordDecoder = mailcharset.WordDecoder

func originalInfo(hdr []byte) original {
	fs := mailheader.Parse(hdr)
	var o original
	if s := fs.Get("Subject"); s != "" {
		if d, err := wordDecoder.DecodeHeader(s); err == nil {
			s = d
		}
		o.subject = explain.CleanText(s, 200)
	}
	if id := strings.TrimSpace(fs.Get("Message-ID")); len(id) > 2 && len(id) <= 250 &&
		strings.HasPrefix(id, "<") && strings.HasSuffix(id, ">") && strings.Count(id, "<") == 1 &&
		isPrintableASCII(id) && !strings.Contains(id, " ") {
		o.messageID = id
	}
	return o
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
