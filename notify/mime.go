package notify

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// jst is Japan Standard Time (no daylight saving time; no tzdata needed).
var jst = time.FixedZone("JST", 9*60*60)

// encodeWord encodes a header text as RFC 2047 UTF-8 "B" encoded words
// when it is not plain ASCII, each at most 56 characters so that go-message
// folds the field between words into lines of at most 76 characters, the
// limit for a line holding encoded words (rfc/2047 section 2); words never
// split a character (rfc/2047 section 5). mime.BEncoding is not used: its
// words are up to 75 characters whatever the field name before the first,
// so "Subject: " and the first word make a line of 84.
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
