package smtpfilter

import (
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/policy/recipient"
)

var (
	// errHiddenRoute refuses "b%evil.example@example.co.jp",
	// "evil.example!b@…" and "\"b@evil.example\"@…": an upstream that
	// honours the percent hack or bang paths for its own domains would
	// deliver them outside while they look internal. (go-smtp drops an
	// RFC 821 source route "@relay:" itself, as RFC 5321 section 4.1.1.3 lets
	// a server do, so the mail goes to the mailbox after it.)
	errHiddenRoute = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3},
		Message: "Recipient address routes on to another mailbox (%, ! or @ in the local part); address the final mailbox directly"}
	errQuotedLocalPart = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3},
		Message: "Quoted local parts are not accepted here; address the mailbox without quotes"}
)

// checkRecipient refuses recipient addresses that hide a route to another
// mailbox and, unless allowQuoted, local parts that need quoting (RFC 5321
// section 4.1.2 allows them; real mail almost never uses them, and they are
// the easiest place to hide an "@"). to is the address as go-smtp hands it
// over: a quoted local part already unquoted. It returns the address to
// send upstream, quoted again where it has to be.
func checkRecipient(to string, allowQuoted bool) (string, error) {
	if recipient.ParseRoute(to).Hidden {
		return "", errHiddenRoute
	}
	i := strings.LastIndexByte(to, '@')
	if i < 0 || isDotString(to[:i]) {
		return to, nil
	}
	if !allowQuoted {
		return "", errQuotedLocalPart
	}
	return quoteLocalPart(to[:i]) + to[i:], nil
}

// isDotString reports whether local is an RFC 5321 Dot-string: atoms of
// atext joined by single dots. UTF-8 is allowed (SMTPUTF8, RFC 6531).
func isDotString(local string) bool {
	if local == "" || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case c >= 0x80, c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// quoteLocalPart writes local as an RFC 5321 Quoted-string.
func quoteLocalPart(local string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(local); i++ {
		if local[i] == '"' || local[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(local[i])
	}
	b.WriteByte('"')
	return b.String()
}
