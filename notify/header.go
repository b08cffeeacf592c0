package notify

import (
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"

	"github.com/sendguard/sendguard/policy/explain"
)

// headerSection returns the header section at the start of raw — up to the
// first empty line, so a whole message may be passed and its body is never
// included — with CRLF line ends, cut at a field boundary to at most max
// bytes. A bare CR inside a line becomes a space.
func headerSection(raw []byte, max int) []byte {
	var out, field bytes.Buffer
	full := false
	flush := func() {
		if full || field.Len() == 0 {
			field.Reset()
			return
		}
		if out.Len()+field.Len() > max {
			full = true
		} else {
			out.Write(field.Bytes())
		}
		field.Reset()
	}
	rest := raw
	for len(rest) > 0 && !full {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // the end of the header section
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
		}
		field.Write(bytes.ReplaceAll(line, []byte("\r"), []byte(" ")))
		field.WriteString("\r\n")
	}
	flush()
	return out.Bytes()
}

// RedactedSubject replaces the Subject of the original message in a report
// or notice when the subject holds a password.
const RedactedSubject = "[removed by sendguard: the subject holds a password]"

// redactSubject replaces every Subject field (with its continuation lines)
// of a CRLF header section by RedactedSubject.
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

// Fields is a parsed header section: unfolded fields in order.
type Fields [][2]string

// ParseHeader reads the header section at the start of raw (a whole message
// may be passed) leniently: a line that is not a field is skipped.
func ParseHeader(raw []byte) Fields {
	var fs Fields
	for _, line := range strings.Split(string(headerSection(raw, 1<<20)), "\r\n") {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(fs) > 0 {
			fs[len(fs)-1][1] += " " + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			continue
		}
		fs = append(fs, [2]string{name, strings.TrimSpace(value)})
	}
	return fs
}

// Get returns the first value of the named field (case-insensitive), "" if
// absent.
func (fs Fields) Get(name string) string {
	for _, f := range fs {
		if strings.EqualFold(f[0], name) {
			return f[1]
		}
	}
	return ""
}

// original is what a report shows of the original message.
type original struct {
	subject   string // decoded, cleaned, bounded
	messageID string // "<…>" when well-formed, else ""
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

func originalInfo(hdr []byte) original {
	fs := ParseHeader(hdr)
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

func validUTF8(b []byte) bool { return utf8.Valid(b) }
