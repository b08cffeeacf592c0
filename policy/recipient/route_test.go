package recipient

import (
	"context"
	"slices"
	"testing"
)

func TestParseRoute(t *testing.T) {
	cases := []struct {
		addr   string
		hidden bool
		quoted bool
		hops   []string
	}{
		{"b@example.co.jp", false, false, nil},
		{"<b.c+tag@example.co.jp>", false, false, nil},
		{`"b c"@example.co.jp`, false, true, nil},
		{"b%evil.example@example.co.jp", true, false, []string{"evil.example"}},
		{"B%EVIL.Example@Example.co.jp", true, false, []string{"evil.example"}},
		{"b%evil.example%relay.example.co.jp@example.co.jp", true, false, []string{"evil.example", "relay.example.co.jp"}},
		{`"b@evil.example"@example.co.jp`, true, true, []string{"evil.example"}},
		{`"b\@evil.example"@example.co.jp`, true, true, []string{"evil.example"}},
		{"b@evil.example@example.co.jp", true, false, []string{"evil.example"}},
		{"evil.example!b@example.co.jp", true, false, []string{"evil.example"}},
		{"a.example!evil.example!b@example.co.jp", true, false, []string{"a.example", "evil.example"}},
		{"@evil.example:b@example.co.jp", true, false, []string{"evil.example"}},
		{"<@a.example,@evil.example:b@example.co.jp>", true, false, []string{"a.example", "evil.example"}},
		{"b%evil.example.@example.co.jp", true, false, []string{"evil.example"}},
		{"b%例え.テスト@example.co.jp", true, false, []string{"xn--r8jz45g.xn--zckzah"}},
		{"b%nodot@example.co.jp", true, false, nil},
	}
	for _, c := range cases {
		r := ParseRoute(c.addr)
		if r.Hidden != c.hidden || r.Quoted != c.quoted || !slices.Equal(r.Hops, c.hops) {
			t.Errorf("ParseRoute(%q) = %+v, want hidden %v quoted %v hops %v", c.addr, r, c.hidden, c.quoted, c.hops)
		}
	}
}

// TestHiddenRouteIsNeverInternal: an internal-looking address that routes
// on is judged by the hop it reaches.
func TestHiddenRouteIsNeverInternal(t *testing.T) {
	c, err := NewClassifier(Config{
		Internal: []string{"example.co.jp"},
		Verified: []string{"partner.example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		addr     string
		internal bool
		domain   string
		class    Class
	}{
		{"b@example.co.jp", true, "example.co.jp", Internal},
		{"b%evil.example@example.co.jp", false, "evil.example", Unverified},
		{`"b@evil.example"@example.co.jp`, false, "evil.example", Unverified},
		{"b@evil.example@example.co.jp", false, "evil.example", Unverified},
		{"evil.example!b@example.co.jp", false, "evil.example", Unverified},
		{"b%mailinator.com@example.co.jp", false, "mailinator.com", Anonymous},
		{"b%examp1e.co.jp@example.co.jp", false, "examp1e.co.jp", Lookalike},
		{"b%partner.example.com@example.co.jp", false, "partner.example.com", Verified},
		// Every hop internal: still not internal (it routes on), unverified.
		{"b%sub.example.co.jp@example.co.jp", false, "sub.example.co.jp", Unverified},
	}
	for _, tc := range cases {
		if got := c.IsInternal(tc.addr); got != tc.internal {
			t.Errorf("IsInternal(%q) = %v, want %v", tc.addr, got, tc.internal)
		}
		v := c.Classify(context.Background(), []string{tc.addr})[0]
		if v.Domain != tc.domain || v.Class != tc.class {
			t.Errorf("Classify(%q) = %s %s, want %s %s", tc.addr, v.Domain, v.Class, tc.domain, tc.class)
		}
		if v.Class != Internal && v.Class != Verified && len(v.Rules()) == 0 {
			t.Errorf("Classify(%q): no rule fires", tc.addr)
		}
	}
	n, _, _ := c.Exposed([]string{"a%x.example@example.co.jp", "Bob <b%y.example@example.co.jp>", "c@example.co.jp"})
	if n != 2 {
		t.Errorf("Exposed counts %d hidden-route addresses, want 2", n)
	}
}
