package encryption

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

// Exemptable types: media types a policy may exempt from encryption
// because the part is a signature, a public key, an invitation or a
// contact card — once its bytes show it really is one (CheckExempt).
var exemptCheckers = map[string]func(b []byte) string{
	"application/pkcs7-signature":   checkCMSDetachedSignature,
	"application/x-pkcs7-signature": checkCMSDetachedSignature,
	"application/pgp-signature":     func(b []byte) string { return checkPGPPackets(b, "PGP SIGNATURE", pgpSignatureTags) },
	"application/pgp-keys":          func(b []byte) string { return checkPGPPackets(b, "PGP PUBLIC KEY BLOCK", pgpPublicKeyTags) },
	"text/calendar":                 func(b []byte) string { return checkDirectory(b, "VCALENDAR", 1) },
	"application/ics":               func(b []byte) string { return checkDirectory(b, "VCALENDAR", 1) },
	"text/vcard":                    func(b []byte) string { return checkDirectory(b, "VCARD", maxVCards) },
	"text/x-vcard":                  func(b []byte) string { return checkDirectory(b, "VCARD", maxVCards) },
	"text/directory":                func(b []byte) string { return checkDirectory(b, "VCARD", maxVCards) },
}

// Bounds of what can be exempt: larger parts are judged as files.
const (
	maxExemptBytes = 4 << 20
	// maxVCards: a contact card or a few are what a signature carries; a
	// file of many cards is an address book — personal data to protect.
	maxVCards = 5
)

// OpenPGP packet tags (RFC 4880 section 4.3) allowed in exempt parts.
var (
	pgpSignatureTags = map[byte]bool{2: true}
	// Public key, user ID, signature, public subkey, user attribute,
	// trust: what `gpg --export` writes. A secret key is not exempt.
	pgpPublicKeyTags = map[byte]bool{6: true, 13: true, 2: true, 14: true, 17: true, 12: true}
)

// Exemptable reports whether mediaType has a content check, so that a
// policy can exempt it.
func Exemptable(mediaType string) bool { return exemptCheckers[mediaType] != nil }

// CheckExempt reports whether a part declared as mediaType really is what
// that type says, judged by its bytes: a detached CMS or OpenPGP
// signature, an OpenPGP public key, an iCalendar object or a few vCards,
// with nothing else inside or appended. It returns "" when it is, else why
// not (English, never quoting the content). A type with no check
// (Exemptable false) is never exempt.
func CheckExempt(mediaType string, r io.ReaderAt, size int64) string {
	check := exemptCheckers[mediaType]
	switch {
	case check == nil:
		return "no content check exists for " + mediaType
	case size > maxExemptBytes:
		return fmt.Sprintf("larger than %d bytes", maxExemptBytes)
	case size == 0:
		return "empty"
	}
	b, err := readAt(r, size, 0, size)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return check(b)
}

// checkCMSDetachedSignature accepts a CMS SignedData (DER, BER or PEM)
// without encapsulated content: a signature and its certificates only.
func checkCMSDetachedSignature(b []byte) string {
	s := &scanner{lim: Limits{MaxBytes: maxExemptBytes}.withDefaults(), left: maxExemptBytes}
	if !cmsHead(b) && !pemCMSHead(b) {
		return "not a CMS signature"
	}
	der, reason := s.readCMS(bytes.NewReader(b), int64(len(b)))
	if reason != "" {
		return reason
	}
	p := NewBER(bytes.NewReader(der), int64(len(der)))
	root, err := p.Elem(0, int64(len(der)), 0)
	if err != nil {
		return "not a CMS structure: " + err.Error()
	}
	if rest := bytes.Trim(der[root.End:], " \t\r\n\x00"); len(rest) > 0 {
		return "data after the signature"
	}
	kids, err := p.Children(root, 0, 2)
	if err != nil || !root.Is(0, true, 16) || len(kids) != 2 || !kids[0].Is(0, false, 6) || !kids[1].Is(2, true, 0) {
		return "not a CMS ContentInfo"
	}
	if oidString(der[kids[0].Start:kids[0].Stop]) != "1.2.840.113549.1.7.2" {
		return "a CMS structure that is not signed data"
	}
	content, err := p.Children(kids[1], 1, 1)
	if err != nil || len(content) != 1 || !content[0].Is(0, true, 16) {
		return "CMS signed data is corrupt"
	}
	_, carries, err := signedContent(p, content[0], maxExemptBytes)
	switch {
	case err != nil:
		return "CMS signed data is corrupt: " + err.Error()
	case carries:
		return "CMS signed data that carries content (not a detached signature)"
	}
	return ""
}

// checkPGPPackets accepts OpenPGP data, armored as kind or binary, made
// only of packets with the allowed tags.
func checkPGPPackets(b []byte, kind string, allowed map[byte]bool) string {
	data := b
	if t := bytes.TrimLeft(b, " \t\r\n\ufeff"); bytes.HasPrefix(t, []byte("-----BEGIN ")) {
		var reason string
		if data, reason = dearmorPGP(b, kind); reason != "" {
			return "OpenPGP armor " + reason
		}
	} else if len(b) == 0 || b[0]&0x80 == 0 {
		return "not OpenPGP data"
	}
	r := bytes.NewReader(data)
	size := int64(len(data))
	n := 0
	for pos := int64(0); pos < size; n++ {
		if n > 100000 {
			return "too many OpenPGP packets"
		}
		p, err := readPGPPacket(r, size, pos)
		if err != nil {
			return "OpenPGP packets are corrupt: " + err.Error()
		}
		if !allowed[p.tag] {
			return fmt.Sprintf("OpenPGP packet of type %d where only a %s belongs", p.tag, strings.ToLower(kind))
		}
		pos = p.end
	}
	if n == 0 {
		return "no OpenPGP packets"
	}
	return ""
}

// checkDirectory accepts text/directory data (RFC 5545 iCalendar, RFC 6350
// and 2.1/3.0 vCards): at most maxObjects top-level BEGIN:component …
// END:component objects, every logical line a content line (name, optional
// parameters, ':' value), components nested and closed, nothing after the
// last END, no inline binary attachment (an iCalendar ATTACH or a vCard
// value in base64 other than a PHOTO or LOGO that is a plain image), no NUL
// or control bytes (ESC is allowed: ISO-2022-JP).
func checkDirectory(b []byte, component string, maxObjects int) string {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != 0x1B || c == 0x7F {
			return "holds binary data"
		}
	}
	lines := unfoldContentLines(b)
	var stack []string
	objects := 0
	for i, l := range lines {
		if l == "" {
			continue // vCard 2.1 ends base64 values with a blank line
		}
		name, params, value, ok := splitContentLine(l)
		if !ok {
			return fmt.Sprintf("line %d is not a content line", i+1)
		}
		switch name {
		case "BEGIN":
			v := strings.ToUpper(strings.TrimSpace(value))
			if len(stack) == 0 {
				if v != component {
					return fmt.Sprintf("starts with BEGIN:%s, not BEGIN:%s", printableToken(v), component)
				}
				if objects++; objects > maxObjects {
					return fmt.Sprintf("holds more than %d %s objects", maxObjects, component)
				}
			}
			if len(stack) >= 20 {
				return "components nested too deeply"
			}
			stack = append(stack, v)
			continue
		case "END":
			v := strings.ToUpper(strings.TrimSpace(value))
			if len(stack) == 0 || stack[len(stack)-1] != v {
				return fmt.Sprintf("END:%s does not close the open component", printableToken(v))
			}
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) == 0 {
			return fmt.Sprintf("line %d is outside BEGIN:%s … END:%s", i+1, component, component)
		}
		if reason := checkBinaryValue(name, params, value); reason != "" {
			return reason
		}
	}
	switch {
	case objects == 0:
		return "no BEGIN:" + component
	case len(stack) > 0:
		return "BEGIN:" + printableToken(stack[0]) + " is never closed (truncated)"
	}
	return ""
}

// checkBinaryValue refuses values that embed a file: an iCalendar ATTACH
// with inline binary data, and base64 vCard values other than a PHOTO or
// LOGO whose bytes are a plain image.
func checkBinaryValue(name, params, value string) string {
	p := strings.ToUpper(params)
	binary := strings.Contains(p, "ENCODING=BASE64") || strings.Contains(p, "ENCODING=B") ||
		strings.Contains(p, "VALUE=BINARY") || strings.HasPrefix(strings.TrimSpace(value), "data:")
	if !binary {
		return ""
	}
	if name != "PHOTO" && name != "LOGO" {
		return name + " carries inline binary data (an embedded file)"
	}
	v := strings.TrimSpace(value)
	if strings.HasPrefix(v, "data:") {
		if i := strings.IndexByte(v, ','); i >= 0 {
			v = v[i+1:]
		}
	}
	data, err := decodeBase64Loose(v)
	if err != nil || !IsPlainImage(bytes.NewReader(data), int64(len(data))) {
		return name + " is not a plain image"
	}
	return ""
}

// decodeBase64Loose decodes base64 that may hold white space and lack
// padding.
func decodeBase64Loose(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	return base64.RawStdEncoding.DecodeString(s)
}

// unfoldContentLines splits text into logical lines: a line that starts
// with a space or tab continues the previous one (RFC 5545 section 3.1);
// a vCard 2.1 quoted-printable value ending in "=" continues on the next.
func unfoldContentLines(b []byte) []string {
	raw := strings.Split(strings.TrimPrefix(string(b), "\ufeff"), "\n")
	var out []string
	qpOpen := false
	for _, l := range raw {
		l = strings.TrimSuffix(l, "\r")
		switch {
		case len(out) > 0 && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")):
			out[len(out)-1] += l[1:]
		case qpOpen:
			out[len(out)-1] = strings.TrimSuffix(out[len(out)-1], "=") + l
		default:
			out = append(out, l)
		}
		last := out[len(out)-1]
		qpOpen = strings.HasSuffix(last, "=") && strings.Contains(strings.ToUpper(last[:max(0, strings.IndexByte(last, ':'))]), "QUOTED-PRINTABLE")
	}
	return out
}

// splitContentLine splits "name;param=v;param=\"a:b\":value" (a group
// prefix "item1." is dropped from the name, which is upper-cased).
func splitContentLine(l string) (name, params, value string, ok bool) {
	i := 0
	for i < len(l) && (isNameChar(l[i]) || l[i] == '.') {
		i++
	}
	if i == 0 || i == len(l) || l[i] != ':' && l[i] != ';' {
		return "", "", "", false
	}
	name = strings.ToUpper(l[:i])
	if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
		name = name[dot+1:]
	}
	if name == "" {
		return "", "", "", false
	}
	start := i
	quoted := false
	for ; i < len(l); i++ {
		switch l[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return name, l[start:i], l[i+1:], true
			}
		}
	}
	return "", "", "", false
}

func isNameChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}

// printableToken shortens a token for a reason text.
func printableToken(s string) string {
	if len(s) > 20 {
		s = s[:20]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7E {
			return '?'
		}
		return r
	}, s)
}
