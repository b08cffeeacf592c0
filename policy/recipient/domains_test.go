package recipient

import (
	"strings"
	"testing"

	"golang.org/x/net/idna"
)

func TestDomain(t *testing.T) {
	cases := map[string]string{
		"Bob@Partner.Example.COM":   "partner.example.com",
		"<x@例え.jp>":                 "xn--r8jz45g.jp",
		"no-domain":                 "",
		"a@b.example.co.jp.":        "b.example.co.jp",
		`"odd@name"@client.example`: "client.example",
	}
	for in, want := range cases {
		if got := Domain(in); got != want {
			t.Errorf("Domain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSet(t *testing.T) {
	s := NewSet([]string{"example.co.jp", "*.partner.example.com", "例え.jp"})
	cases := map[string]bool{
		"example.co.jp":           true,
		"sub.example.co.jp":       false, // exact entries do not cover subdomains
		"partner.example.com":     false, // "*." covers subdomains only
		"a.partner.example.com":   true,
		"a.b.partner.example.com": true,
		"evilpartner.example.com": false,
		"xn--r8jz45g.jp":          true,
		"example.co.jp.evil.test": false,
		"":                        false,
	}
	for d, want := range cases {
		if got := s.Contains(d); got != want {
			t.Errorf("Contains(%q) = %v, want %v", d, got, want)
		}
	}
}

// TestNormalizeASCIIFastPath checks that skipping IDNA for ASCII names gives
// what IDNA (with the lower-case fallback) gives.
func TestNormalizeASCIIFastPath(t *testing.T) {
	slow := func(d string) string {
		d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		if a, err := idna.Lookup.ToASCII(d); err == nil {
			return a
		}
		return d
	}
	for _, d := range []string{
		"Example.CO.JP", "a_b.example", "-a.example", "a-.example", "a..b", ".a", "a b.example",
		"mail.example.com.", "1.2.3.4", "[192.0.2.1]", "x@y", "a*b.example", strings.Repeat("a", 70) + ".com",
		"XN--R8JZ45G.JP", "xn--bad.jp", "a.xn--tckwe", "",
	} {
		if got, want := Normalize(d), slow(d); got != want {
			t.Errorf("Normalize(%q) = %q, IDNA gives %q", d, got, want)
		}
	}
}
