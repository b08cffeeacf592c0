package recipient

import (
	"fmt"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// KnownTLD reports whether label (one label, Unicode or A-label, any case)
// is a top-level domain that exists: an entry of the ICANN section of the
// Public Suffix List (golang.org/x/net/publicsuffix, the list both this
// package and policy/links already use). "jp", "com", "xn--wgv71a" are;
// "jpp", "cmo" are not. policy/links uses it for bare link names (it
// cannot be the other way round: links imports this package).
func KnownTLD(label string) bool {
	a, err := idna.Lookup.ToASCII(strings.ToLower(label))
	if err != nil || a == "" || strings.Contains(a, ".") {
		return false
	}
	s, icann := publicsuffix.PublicSuffix(a)
	return icann && s == a
}

// specialUseTLDs are names reserved for special use (RFC 2606, RFC 6761,
// RFC 6762, RFC 7686, RFC 9476, ICANN's .internal): not in the Public Suffix
// List, yet written on purpose, in documentation, tests and private
// networks, never by a slip of the finger.
var specialUseTLDs = map[string]bool{
	"example": true, "test": true, "invalid": true, "localhost": true,
	"local": true, "onion": true, "alt": true, "internal": true,
}

// typoTLD returns the top-level label of d (normalised) when it is not a
// top-level domain that exists, "" when it is one (or is reserved for
// special use, or d is an address literal or has no dot).
func typoTLD(d string) string {
	i := strings.LastIndexByte(d, '.')
	if i < 0 || isAddressLiteral(d) {
		return ""
	}
	tld := d[i+1:]
	if specialUseTLDs[tld] || KnownTLD(tld) {
		return ""
	}
	return tld
}

// tldDetail is the reason given for a domain under a top-level domain that
// does not exist (Verdict.DNSDetail, shown as the unresolvable finding's
// reason): the root zone has no such name, so no DNS look-up is needed.
func tldDetail(tld string) string {
	return fmt.Sprintf("no top-level domain .%s", tld)
}

// typoOf looks for an internal or verified name that d, whose top-level
// domain does not exist, is one edit away from as a whole
// (example.co.jpp, partner.cmo), or whose subdomain d is under such a
// slip (mail.partner.cmo). It is only asked for such domains: rare, so a
// scan of the protected names costs nothing on the common path.
func (ix *lookIndex) typoOf(d string) (lookMatch, bool) {
	if ix == nil {
		return lookMatch{}, false
	}
	for s := d; ; {
		for _, e := range ix.entries {
			if osa(s, e.domain) == 1 {
				return lookMatch{resembles: e.domain, kind: editKind(s, e.domain), dist: 1, otherTLD: true}, true
			}
		}
		i := strings.IndexByte(s, '.')
		if i < 0 || strings.IndexByte(s[i+1:], '.') < 0 {
			return lookMatch{}, false
		}
		s = s[i+1:]
	}
}
