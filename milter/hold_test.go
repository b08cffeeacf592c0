package milter_test

import (
	"strings"
	"testing"

	gomilter "github.com/d--j/go-milter"

	"github.com/sendguard/sendguard/milter"
	"github.com/sendguard/sendguard/policy"
)

// The milter cannot hold a message: a hold or an approve verdict is refused
// with a 550 that names every finding that stopped it (the hold beside the
// approve too), with the remedy of a rejected message, and the audit line
// keeps the verdict.
func TestHoldAndApproveRefused(t *testing.T) {
	tests := []struct {
		name        string
		rules       map[string]policy.RuleConfig
		to          []string
		wantVerdict string
		wantRules   []string
	}{
		{"hold", map[string]policy.RuleConfig{"attachment-unencrypted": {Action: "hold"}},
			[]string{"bob@partner.example.com"}, "hold", []string{"[attachment-unencrypted]"}},
		{"approve beside hold", map[string]policy.RuleConfig{
			"attachment-unencrypted":     {Action: "approve"},
			"recipient-domain-lookalike": {Action: "hold"},
		}, []string{"bob@partner.example.com", "eve@partner-example.com"}, "approve", []string{"[attachment-unencrypted]", "[recipient-domain-lookalike]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, func(c *milter.Config) {
				pol, _, err := policy.Compile(policy.Config{
					Domains: policy.DomainsConfig{
						Internal: []string{"example.co.jp"},
						Verified: []string{"partner.example.com"},
					},
					Rules:       tt.rules,
					Attachments: policy.AttachmentsConfig{SpoolDir: c.SpoolDir, SpoolMemoryBytes: 4096},
				})
				if err != nil {
					t.Fatal(err)
				}
				c.Policy = func() *policy.Policy { return pol }
			})
			res := h.send("taro@example.co.jp", tt.to, csvMail)
			if res.act.Type != gomilter.ActionRejectWithCode || res.act.SMTPCode != 550 {
				t.Fatalf("got %v %q, want a 550", res.act, res.act.SMTPReply)
			}
			for _, r := range tt.wantRules {
				if !strings.Contains(res.act.SMTPReply, r) {
					t.Errorf("reply does not name %s: %q", r, res.act.SMTPReply)
				}
			}
			if !strings.Contains(res.act.SMTPReply, "resend") {
				t.Errorf("reply does not say to resend: %q", res.act.SMTPReply)
			}
			lines := h.auditLines()
			audit := lines[len(lines)-1]
			if audit["verdict"] != tt.wantVerdict || audit["result"] != "rejected" {
				t.Errorf("audit verdict %v result %v, want %s rejected", audit["verdict"], audit["result"], tt.wantVerdict)
			}
			h.waitSpoolEmpty()
		})
	}
}
