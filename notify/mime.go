package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// jst is Japan Standard Time (no daylight saving time; no tzdata needed).
var jst = time.FixedZone("JST", 9*60*60)

// maxHeaderLine is where header fields are folded (rfc/5322 section 2.1.1
// recommends 78 characters).
const maxHeaderLine = 78

// header collects a header section in order and writes it with CRLF line
// ends, folding long fields at spaces.
type header struct {
	fields [][2]string
}

func (h *header) add(name, value string) { h.fields = append(h.fields, [2]string{name, value}) }

// message returns a whole message: h, then body's own header fields, then
// body.
func (h *header) message(body part) []byte {
	for _, f := range body.header {
		h.add(f[0], f[1])
	}
	var b bytes.Buffer
	h.writeTo(&b)
	b.WriteString("\r\n")
	b.Write(body.body)
	return b.Bytes()
}

func (h *header) writeTo(b *bytes.Buffer) {
	for _, f := range h.fields {
		b.WriteString(fold(f[0] + ": " + f[1]))
		b.WriteString("\r\n")
	}
}

// fold breaks a header line at spaces so that each line stays within
// maxHeaderLine where the words allow (rfc/5322 section 2.2.3): never inside
// a word and never before the field's value starts. The line must not
// contain CR or LF.
func fold(line string) string {
	if len(line) <= maxHeaderLine {
		return line
	}
	var b strings.Builder
	lowest := strings.Index(line, ": ") + 2
	if lowest < 2 {
		lowest = 1
	}
	for len(line) > maxHeaderLine {
		cut := strings.LastIndexByte(line[:maxHeaderLine+1], ' ')
		if cut < lowest {
			next := strings.IndexByte(line[maxHeaderLine:], ' ')
			if next < 0 {
				break
			}
			cut = maxHeaderLine + next
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n")
		line = line[cut:] // the space stays as the folding white space
		lowest = 1
	}
	b.WriteString(line)
	return b.String()
}

// encodeWord encodes a header text as RFC 2047 UTF-8 "B" encoded words
// when it is not plain ASCII, each at most 58 characters so that the field
// folds within maxHeaderLine; words never split a character (rfc/2047
// section 5).
func encodeWord(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	const maxChunk = 33 // bytes of text: 44 characters of base64
	var words []string
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			if n+size > maxChunk {
				break
			}
			n += size
		}
		words = append(words, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// checkAddress accepts a plain addr-spec (no display name, no angle
// brackets) without control characters.
func checkAddress(what, addr string) error {
	if addr == "" || addr == "<>" {
		return fmt.Errorf("%s: empty address", what)
	}
	for _, r := range addr {
		if r < 0x20 || r == 0x7f || r == ' ' || r == '<' || r == '>' || r == ',' {
			return fmt.Errorf("%s: %q is not a plain address", what, addr)
		}
	}
	if _, err := mail.ParseAddress("<" + addr + ">"); err != nil {
		return fmt.Errorf("%s: %q: %w", what, addr, err)
	}
	return nil
}

// headerAddress writes an address for a header field, with an optional
// display name.
func headerAddress(name, addr string) string {
	a := mail.Address{Name: name, Address: addr}
	return a.String()
}

// checkHost accepts a host name for Reporting-MTA and Message-ID.
func checkHost(host string) error {
	if host == "" || len(host) > 253 {
		return errors.New("reporting host name: empty or too long")
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return fmt.Errorf("reporting host name %q: only letters, digits, '.', '-' and '_'", host)
		}
	}
	return nil
}

// xtextAddress writes an address for a DSN field: "rfc822; addr" when it is
// ASCII, else "utf-8; addr" with non-ASCII characters as \x{HEX}
// (utf-8-addr-xtext, rfc/6533 section 3).
func xtextAddress(addr string) string {
	ascii := true
	for i := 0; i < len(addr); i++ {
		if addr[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return "rfc822; " + addr
	}
	var b strings.Builder
	b.WriteString("utf-8; ")
	for _, r := range addr {
		if r < 0x80 && r > 0x20 && r != '\\' && r != '+' && r != '=' {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, `\x{%X}`, r)
	}
	return b.String()
}

// qp encodes UTF-8 text (LF line ends) as quoted-printable with CRLF line
// ends.
func qp(text string) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write([]byte(text))
	_ = w.Close()
	return b.Bytes()
}

// boundary returns a multipart boundary derived from seed that occurs in
// none of the bodies (rfc/2046 section 5.1.1).
func boundary(seed string, bodies ...[]byte) string {
	for n := 0; ; n++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%d", seed, n)))
		b := "=_sendguard_" + hex.EncodeToString(sum[:12])
		clash := false
		for _, body := range bodies {
			if bytes.Contains(body, []byte(b)) {
				clash = true
				break
			}
		}
		if !clash {
			return b
		}
	}
}

// part is one leaf or multipart body with its header fields.
type part struct {
	header [][2]string
	body   []byte
}

// writeMultipart writes parts between boundary delimiters.
func writeMultipart(b *bytes.Buffer, bnd string, parts []part) {
	for _, p := range parts {
		b.WriteString("--" + bnd + "\r\n")
		for _, f := range p.header {
			b.WriteString(fold(f[0] + ": " + f[1]))
			b.WriteString("\r\n")
		}
		b.WriteString("\r\n")
		b.Write(p.body)
		// The CRLF before a delimiter belongs to the delimiter (rfc/2046
		// section 5.1.1): without it a body's own last line end is lost.
		b.WriteString("\r\n")
	}
	b.WriteString("--" + bnd + "--\r\n")
}

// b64 encodes UTF-8 text (LF line ends, made CRLF first) as base64 in
// lines of 76 characters (rfc/2045 section 6.8). The texts are mostly
// Japanese, for which base64 is a third the size of quoted-printable.
func b64(text string) []byte {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(text))
	var b bytes.Buffer
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
	return b.Bytes()
}

// alternative makes the multipart/alternative body of a notice: text/plain
// and text/html, both UTF-8 in base64.
func alternative(seed string, plain, html string) part {
	pb, hb := b64(plain), b64(html)
	bnd := boundary(seed+"|alternative", pb, hb)
	var b bytes.Buffer
	writeMultipart(&b, bnd, []part{
		{header: [][2]string{{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Transfer-Encoding", "base64"}}, body: pb},
		{header: [][2]string{{"Content-Type", "text/html; charset=utf-8"}, {"Content-Transfer-Encoding", "base64"}}, body: hb},
	})
	return part{
		header: [][2]string{{"Content-Type", `multipart/alternative; boundary="` + bnd + `"`}},
		body:   b.Bytes(),
	}
}

// messageID makes a Message-ID from its parts; they are cleaned to the
// characters an id-left may hold.
func messageID(kind, ref string, t time.Time, host string) string {
	clean := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	return fmt.Sprintf("<%s.%s.%s@%s>", kind, clean(ref), t.UTC().Format("20060102T150405Z"), host)
}

// dateHeader formats a time for Date and DSN date fields (rfc/5322 section
// 3.3), in JST.
func dateHeader(t time.Time) string {
	return t.In(jst).Format("Mon, 02 Jan 2006 15:04:05 -0700")
}

// timeJST formats a time for people: "2026-11-26 14:03:05 JST".
func timeJST(t time.Time) string { return t.In(jst).Format("2006-01-02 15:04:05 JST") }

// timeUTC formats a time for people in UTC.
func timeUTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
