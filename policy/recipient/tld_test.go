package recipient

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestKnownTLD(t *testing.T) {
	for label, want := range map[string]bool{
		"jp": true, "com": true, "JP": true, "net": true, "tokyo": true, "xn--p1ai": true, "рф": true, "みんな": true, "日本": false,
		"jpp": false, "cmo": false, "co": true, "comm": false, "": false, "co.jp": false, "xn--zzzzzz": false,
	} {
		if got := KnownTLD(label); got != want {
			t.Errorf("KnownTLD(%q) = %v, want %v", label, got, want)
		}
	}
}

// TestTypoTLD: a recipient domain under a top-level domain that does not
// exist is unresolvable without any DNS look-up (the classifier here has
// the DNS check off), and a lookalike when it is one edit from an internal
// or verified name. Names reserved for special use are written on purpose
// and stay merely unverified.
func TestTypoTLD(t *testing.T) {
	c, err := NewClassifier(Config{
		Internal: []string{"example.co.jp"},
		Verified: []string{"partner.com", "*.torihiki.co.jp"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		addr      string
		class     Class
		resembles string
		rules     []string
		detail    string
	}{
		{"a@example.co.jpp", Lookalike, "example.co.jp", []string{RuleLookalike, RuleUnverified, RuleUnresolvable}, "no top-level domain .jpp"},
		{"a@partner.cmo", Lookalike, "partner.com", []string{RuleLookalike, RuleUnverified, RuleUnresolvable}, "no top-level domain .cmo"},
		{"a@mail.partner.cmo", Lookalike, "partner.com", []string{RuleLookalike, RuleUnverified, RuleUnresolvable}, "no top-level domain .cmo"},
		{"a@example.co.j", Lookalike, "example.co.jp", []string{RuleLookalike, RuleUnverified, RuleUnresolvable}, "no top-level domain .j"},
		{"a@PARTNER.CMO.", Lookalike, "partner.com", []string{RuleLookalike, RuleUnverified, RuleUnresolvable}, "no top-level domain .cmo"},
		{"a@ｅｘａｍｐｌｅ．ｃｏ．ｊｐｐ", Lookalike, "example.co.jp", []string{RuleLookalike, RuleUnverified, RuleUnresolvable}, "no top-level domain .jpp"},
		{"a@example.co.jp.evil.cmo", Lookalike, "example.co.jp", []string{RuleLookalike, RuleUnverified, RuleUnresolvable}, "no top-level domain .cmo"},
		{"a@10.0.0.1", Unverified, "", []string{RuleUnverified, RuleUnresolvable}, "no top-level domain .1"},
		{"a@EXAMPLE.CO.JPP", Lookalike, "example.co.jp", []string{RuleLookalike, RuleUnverified, RuleUnresolvable}, "no top-level domain .jpp"},
		{"a@someone.cmo", Unverified, "", []string{RuleUnverified, RuleUnresolvable}, "no top-level domain .cmo"},
		{"a@stranger.co.jpp", Unverified, "", []string{RuleUnverified, RuleUnresolvable}, "no top-level domain .jpp"},
		// A protected name under a subdomain of a wildcard, mistyped.
		{"a@osaka.torihiki.co.jpn", Lookalike, "torihiki.co.jp", []string{RuleLookalike, RuleUnverified, RuleUnresolvable}, "no top-level domain .jpn"},
		// Real top-level domains: no typo (whatever DNS would say).
		{"a@someone.com", Unverified, "", []string{RuleUnverified}, ""},
		{"a@someone.co.jp", Unverified, "", []string{RuleUnverified}, ""},
		{"a@partner.co", Lookalike, "partner.com", []string{RuleLookalike, RuleUnverified}, ""},
		// Reserved names.
		{"a@x.example", Unverified, "", []string{RuleUnverified}, ""},
		{"a@host.test", Unverified, "", []string{RuleUnverified}, ""},
		{"a@[192.0.2.1]", Unverified, "", []string{RuleUnverified}, ""},
		// Verified and internal names are the admin's word.
		{"a@example.co.jp", Internal, "", nil, ""},
		{"a@partner.com", Verified, "", nil, ""},
	}
	for _, tc := range cases {
		v := c.Classify(context.Background(), []string{tc.addr})[0]
		if v.Class != tc.class || v.Resembles != tc.resembles || !slices.Equal(v.Rules(), tc.rules) || v.DNSDetail != tc.detail {
			t.Errorf("%s: class %v resembles %q rules %v detail %q; want %v %q %v %q",
				tc.addr, v.Class, v.Resembles, v.Rules(), v.DNSDetail, tc.class, tc.resembles, tc.rules, tc.detail)
		}
	}
}

// TestTypoTLDWithDNS: with the DNS check on, a name under a top-level
// domain that does not exist is not looked up (even a resolver that
// answers for it, as a hijacking or split-horizon one might, does not make
// it resolvable), while real names still are.
func TestTypoTLDWithDNS(t *testing.T) {
	z := newTestZone(t,
		"partner.cmo. 300 IN MX 10 mx.partner.cmo.",
		"mx.partner.cmo. 300 IN A 192.0.2.1",
		"someone.com. 300 IN MX 10 mx.someone.com.",
	)
	c, err := NewClassifier(Config{
		Verified: []string{"partner.com"},
		DNS:      &DNSConfig{Resolver: startDNS(t, z, false), Timeout: 2 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	vs := c.Classify(context.Background(), []string{"a@partner.cmo", "b@someone.com"})
	if vs[0].Resolution != Unresolvable || vs[0].DNSDetail != "no top-level domain .cmo" {
		t.Errorf("partner.cmo: %v %q", vs[0].Resolution, vs[0].DNSDetail)
	}
	if vs[1].Resolution == Unresolvable {
		t.Errorf("someone.com: %v %q", vs[1].Resolution, vs[1].DNSDetail)
	}
	for _, q := range z.queryLog() {
		if strings.Contains(q, "cmo.") {
			t.Errorf("looked up %s", q)
		}
	}
}
