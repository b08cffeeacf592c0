package recipient

import "testing"

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
