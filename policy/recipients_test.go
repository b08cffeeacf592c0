package policy_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/policy"
)

func TestRecipientAndLinkRules(t *testing.T) {
	p := compile(t, policy.Config{Domains: policy.DomainsConfig{
		Internal: []string{"example.co.jp"},
		Verified: []string{"partner.example.com", "client.example.jp", "*.kyoto.lg.jp"},
	}})
	plain := func(to []string, body string) []byte {
		return []byte(fmt.Sprintf("From: alice@example.co.jp\r\nTo: %s\r\nSubject: test\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", strings.Join(to, ", "), body))
	}
	many := []string{"a@one.example", "b@two.example", "c@three.example", "d@four.example", "e@five.example", "f@six.example"}
	cases := []struct {
		name     string
		to       []string
		header   []string // To header (default: to)
		body     string
		want     policy.Action
		rule     string
		evidence string
	}{
		{"verified partner", []string{"bob@partner.example.com"}, nil, "お世話になっております。", policy.Pass, "", ""},
		{"verified by wildcard (lg.jp)", []string{"kakari@city.kyoto.lg.jp"}, nil, "", policy.Pass, "", ""},
		{"unverified domain flags", []string{"x@yamada-shoji.jp"}, nil, "", policy.Flag, "recipient-domain-unverified", "yamada-shoji.jp"},
		{"lookalike: hyphen for dot", []string{"bob@partner-example.com"}, nil, "", policy.Reject, "recipient-domain-lookalike", "partner-example.com"},
		{"lookalike: typo", []string{"bob@partner.exmaple.com"}, nil, "", policy.Reject, "recipient-domain-lookalike", "partner.exmaple.com"},
		{"same registrable domain as internal: unverified, not lookalike", []string{"x@sub.example.co.jp"}, nil, "", policy.Flag, "recipient-domain-unverified", "sub.example.co.jp"},
		{"lookalike: other suffix (.co vs .com)", []string{"x@partner.example.co"}, nil, "", policy.Reject, "recipient-domain-lookalike", "partner.example.co"},
		{"anonymous service", []string{"x@mailinator.com"}, nil, "", policy.Reject, "recipient-domain-anonymous", "mailinator.com"},
		{"Bcc counts for domains", []string{"bob@partner.example.com", "hidden@mailinator.com"}, []string{"bob@partner.example.com"}, "", policy.Reject, "recipient-domain-anonymous", "mailinator.com"},
		{"exposed To list", many, nil, "", policy.Reject, "recipients-exposed", "6 external addresses"},
		{"file-sharing link", []string{"bob@partner.example.com"}, nil, "資料はこちら→https://gigafile.nu/abc123 からどうぞ。", policy.Flag, "link-file-sharing", "gigafile.nu"},
		{"online service link", []string{"bob@partner.example.com"}, nil, "共有: https://docs.google.com/spreadsheets/d/xyz", policy.Flag, "link-online-service", "docs.google.com"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			header := c.header
			if header == nil {
				header = c.to
			}
			v := evaluate(t, p, policy.Envelope{From: "alice@example.co.jp", To: c.to}, plain(header, c.body))
			if v.Action != c.want {
				t.Fatalf("action %v, want %v; rules %v", v.Action, c.want, v.Rules())
			}
			if c.rule == "" {
				return
			}
			for _, f := range v.Findings {
				if f.Rule == c.rule {
					if !strings.Contains(f.Evidence, c.evidence) {
						t.Errorf("evidence %q lacks %q", f.Evidence, c.evidence)
					}
					if f.ReasonJA == "" || f.Reason == "" || f.RemedyJA == "" {
						t.Errorf("finding lacks its explanation: %+v", f)
					}
					return
				}
			}
			t.Errorf("no %s finding; rules %v", c.rule, v.Rules())
		})
	}
}

// TestHiddenRouteRecipientsAreExternal: a recipient that looks internal
// but routes on through its local part makes the message external, so the
// attachment rules apply (an upstream honouring the percent hack or bang
// paths would deliver it outside).
func TestHiddenRouteRecipientsAreExternal(t *testing.T) {
	p := compile(t, policy.Config{})
	msg := build(part{"meibo.zip", "application/zip", plainZip(t)})
	if v := evaluate(t, p, policy.Envelope{From: "alice@example.co.jp", To: []string{"bob@example.co.jp"}}, msg); v.Action != policy.Pass {
		t.Fatalf("internal recipient: %v, want pass (attachment rules are for external mail)", v.Action)
	}
	for _, to := range []string{
		"b%evil.example@example.co.jp",
		`"b@evil.example"@example.co.jp`,
		"b@evil.example@example.co.jp",
		"evil.example!b@example.co.jp",
		"@evil.example:b@example.co.jp",
		"B%Evil.Example@EXAMPLE.CO.JP",
	} {
		v := evaluate(t, p, policy.Envelope{From: "alice@example.co.jp", To: []string{to}}, msg)
		if v.Action != policy.Reject || !slices.Contains(ruleIDs(v), "attachment-unencrypted") {
			t.Errorf("%s: %v %v, want reject with attachment-unencrypted", to, v.Action, ruleIDs(v))
		}
		if !slices.Contains(ruleIDs(v), "recipient-domain-unverified") {
			t.Errorf("%s: %v, want recipient-domain-unverified for the hidden hop", to, ruleIDs(v))
		}
	}
}

func ruleIDs(v *policy.Verdict) []string { return v.Rules() }
