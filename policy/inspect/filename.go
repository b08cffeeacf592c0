package inspect

import (
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
)

// fileName returns the file name a recipient's mailer shows for a part with
// header h, or "" when it has none.
//
// go-message's Filename() handles RFC 2047 words and RFC 2231 in UTF-8, but
// (v0.18.2) returns "" for RFC 2231 in ISO-2022-JP/Shift_JIS and for unquoted
// names with spaces (mime.ParseMediaType rejects the whole header then), and
// raw bytes for unencoded Shift_JIS names. Japanese mailers send all of these,
// so when its answer is empty or not clean UTF-8, the lenient parser in
// params.go decides: Content-Disposition filename (RFC 2231 in any charset,
// continuations, RFC 2047 inside quotes, raw 8-bit as UTF-8, else Shift_JIS
// (CP932), else EUC-JP), then Content-Type name, then the odd
// Content-Disposition name / Content-Type filename some mailers write.
func fileName(h message.Header) string {
	// When Content-Disposition does not parse strictly, go-message's
	// Filename() silently falls back to the Content-Type name: the lenient
	// parser reads the disposition's filename instead, as mailers do.
	_, params, err := mediaParams(h.Get("Content-Disposition"))
	cdOK := err == nil
	name, ok := params["filename"]
	if !ok {
		_, params, err = mediaParams(h.Get("Content-Type"))
		name = params["name"]
	}
	if cdOK && err == nil && name != "" && utf8.ValidString(name) &&
		!strings.Contains(name, "=?") && !strings.Contains(name, "\x1b") {
		return cleanName(name)
	}
	return cleanName(fileNameLenient(h.Get("Content-Disposition"), h.Get("Content-Type")))
}

// fileNameLenient is the fallback parser, on the raw header values.
func fileNameLenient(disposition, contentType string) string {
	cd := parseHeaderValue(disposition)
	ct := parseHeaderValue(contentType)
	for _, v := range []string{cd.Params["filename"], ct.Params["name"], cd.Params["name"], ct.Params["filename"]} {
		if v = strings.TrimSpace(v); v != "" {
			return decodeParam(v)
		}
	}
	return ""
}

// cleanName trims what no mailer shows: surrounding blanks, NUL and line
// breaks (other control and bidi characters are kept: the policy may want to
// see a right-to-left override).
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == 0 || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
