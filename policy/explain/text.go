package explain

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxValueRunes bounds each value a template sees (a file name can be
// thousands of characters long).
const maxValueRunes = 200

// prepare makes an Input safe to render: values cleaned and bounded,
// password-like Detail keys dropped, and for the SMTP reply (ascii) every
// value folded to ASCII.
func prepare(in Input, ascii bool) Input {
	out := Input{
		Rule:    clean(in.Rule),
		Variant: clean(in.Variant),
		Action:  clean(in.Action),
		Ref:     cleanRef(in.Ref),
		Detail:  make(map[string]string, len(in.Detail)),
	}
	for k, v := range in.Detail {
		if strings.Contains(strings.ToLower(k), "password") {
			continue
		}
		out.Detail[k] = clean(v)
	}
	out.Evidence = clean(in.Evidence)
	if !ascii {
		return out
	}
	for k, v := range out.Detail {
		// A value with nothing readable left ("ギガファイル便" → "?") is
		// dropped, so that templates leave it out ({{with}}).
		if v = toASCII(v); !hasAlnum(v) {
			v = ""
		}
		out.Detail[k] = v
	}
	ev := toASCII(out.Evidence)
	if !isASCII(strings.TrimSuffix(out.Evidence, "…")) {
		if part := out.Detail["Part"]; part != "" && !strings.Contains(ev, "part ") {
			ev += " (part " + part + ")"
		}
	}
	out.Evidence = ev
	return out
}

// clean is CleanText at maxValueRunes.
func clean(s string) string { return CleanText(s, maxValueRunes) }

// CleanText makes s safe to show: control characters, bidirectional
// formatting characters (a right-to-left override makes "cod.exe" look like
// "exe.doc") and invalid UTF-8 become U+FFFD, a tab a space, and it is cut
// at max runes (with "…").
func CleanText(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), r == utf8.RuneError,
			r == '\u2028', r == '\u2029':
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cleanRef keeps the characters a reference is made of and bounds its
// length.
func cleanRef(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() == 64 {
			break
		}
		if r < utf8.RuneSelf && (r == '-' || r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// toASCII keeps printable ASCII, turns whitespace into a space and each run
// of anything else into one "?".
func toASCII(s string) string {
	var b strings.Builder
	inRun := false
	for _, r := range s {
		switch {
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
			inRun = false
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
			inRun = false
		case r == '…':
			b.WriteString("...")
			inRun = false
		default:
			if !inRun {
				b.WriteByte('?')
			}
			inRun = true
		}
	}
	return b.String()
}

func hasAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// lowerFirst lower-cases a leading capital followed by a lower-case letter,
// as the reply line continues after "[rule-id] " ("Attachment" →
// "attachment"; "ZIP" stays).
func lowerFirst(s string) string {
	if len(s) >= 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}

// normalise shapes a rendered part: one line for summary, rule and reply;
// one step per line for remedy.
func normalise(part, s string) string {
	if part == PartRemedy {
		return steps(s)
	}
	return oneLine(s)
}

// oneLine trims each line and joins them, with a space only where two ASCII
// characters meet (Japanese text is written without spaces).
func oneLine(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		join(&b, line)
	}
	return b.String()
}

func join(b *strings.Builder, line string) {
	if b.Len() > 0 {
		last, _ := utf8.DecodeLastRuneInString(b.String())
		first, _ := utf8.DecodeRuneInString(line)
		if last < utf8.RuneSelf && first < utf8.RuneSelf {
			b.WriteByte(' ')
		}
	}
	b.WriteString(line)
}

// stepStart matches a line that begins a remedy step.
var stepStart = regexp.MustCompile(`^(?:[0-9０-９]+[.．)）]|[・•\-*])`)

// steps makes one line per step: a line starting with a step marker starts a
// step, any other line continues the current one.
func steps(s string) string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if stepStart.MatchString(line) {
			flush()
		}
		join(&cur, line)
	}
	flush()
	return strings.Join(out, "\n")
}

// samples returns the data Validate renders a template with: a full sample
// (with a Japanese file name), an ASCII one and one with no Detail at all.
func samples(rule, variant, action string) []Input {
	detail := map[string]string{
		"Part": "2", "Format": "zip", "Entries": "meibo.csv, 住所録.xlsx", "More": "3",
		"Method": "ZipCrypto", "Reason": "archive nesting over the limit",
		"Resembles": "partner.example.com", "Kind": "swapped letters",
		"Service": "Example Share", "Masked": "ab****", "Count": "12", "Threshold": "5",
		"Where": "subject", "Label": "パスワード",
	}
	evidence := "名簿_2026.xlsx"
	asciiEvidence := "meibo.zip"
	switch rule {
	case "recipient-domain-unverified", "recipient-domain-lookalike", "recipient-domain-anonymous",
		"recipient-domain-unresolvable":
		evidence, asciiEvidence = "partner-exmaple.com", "partner-exmaple.com"
	case "recipients-exposed":
		evidence, asciiEvidence = "12 external addresses in To/Cc", "12 external addresses in To/Cc"
	case "link-file-sharing", "link-online-service":
		evidence, asciiEvidence = "share.example.net", "share.example.net"
	}
	asciiDetail := map[string]string{}
	for k, v := range detail {
		asciiDetail[k] = toASCII(v)
	}
	return []Input{
		{Rule: rule, Variant: variant, Action: action, Evidence: evidence, Detail: detail, Ref: "sample0ref00"},
		{Rule: rule, Variant: variant, Action: action, Evidence: asciiEvidence, Detail: asciiDetail, Ref: "sample0ref00"},
		{Rule: rule, Variant: variant, Action: action, Evidence: asciiEvidence},
	}
}
