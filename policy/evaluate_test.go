package policy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/policy"
)

type part struct {
	name, contentType string
	data              []byte
}

// build makes a multipart/mixed message with a Japanese text body and parts.
func build(parts ...part) []byte {
	var b bytes.Buffer
	b.WriteString("From: alice@example.co.jp\r\nTo: bob@partner.example.com\r\nSubject: =?UTF-8?B?6LOH5paZ?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n")
	b.WriteString("--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nお世話になっております。\r\n")
	for _, p := range parts {
		fmt.Fprintf(&b, "--XX\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n",
			p.contentType, p.name, p.name, base64.StdEncoding.EncodeToString(p.data))
	}
	b.WriteString("--XX--\r\n")
	return b.Bytes()
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/attachments/" + name)
	if err != nil {
		t.Fatalf("%v (made by testdata/attachments/make.sh)", err)
	}
	return b
}

func plainZip(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("a.csv")
	w.Write([]byte("x"))
	zw.Close()
	return buf.Bytes()
}

func compile(t *testing.T, cfg policy.Config) *policy.Policy {
	t.Helper()
	if cfg.Domains.Internal == nil {
		cfg.Domains.Internal = []string{"example.co.jp", "*.example.co.jp"}
	}
	if cfg.Domains.Verified == nil {
		// The recipients of the attachment tests are verified partners, so
		// that only the attachment rules speak.
		cfg.Domains.Verified = []string{"partner.example.com", "other.example", "例え.jp"}
	}
	p, _, err := policy.Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func evaluate(t *testing.T, p *policy.Policy, env policy.Envelope, msg []byte) *policy.Verdict {
	t.Helper()
	v, err := p.Evaluate(context.Background(), env, bytes.NewReader(msg), int64(len(msg)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAttachmentRules(t *testing.T) {
	ext := policy.Envelope{From: "alice@example.co.jp", To: []string{"bob@partner.example.com"}}
	p := compile(t, policy.Config{})
	cases := []struct {
		name      string
		msg       []byte
		action    policy.Action
		rules     string
		evidence  string
		reasonHas string
		protected bool
		methodHas string
	}{
		{"no attachment", build(), policy.Pass, "", "", "", false, ""},
		{"plain zip", build(part{"meibo.zip", "application/zip", plainZip(t)}), policy.Reject, "attachment-unencrypted", "meibo.zip", "a.csv", false, ""},
		{"ZipCrypto zip", build(part{"x.zip", "application/zip", fixture(t, "zipcrypto.zip")}), policy.Pass, "", "", "", true, "ZipCrypto"},
		{"AES-256 zip", build(part{"x.zip", "application/zip", fixture(t, "aes256.zip")}), policy.Pass, "", "", "", true, "AES-256"},
		{"zip with one plain entry", build(part{"mixed.zip", "application/zip", fixture(t, "mixed.zip")}), policy.Reject, "attachment-unencrypted", "mixed.zip", "not encrypted", false, ""},
		{"pdf", build(part{"見積書.pdf", "application/pdf", fixture(t, "pdf-plain.pdf")}), policy.Reject, "attachment-unencrypted", "見積書.pdf", "見積書.pdf", false, ""},
		{"encrypted zip renamed .dat", build(part{"data.dat", "application/octet-stream", fixture(t, "aes256.zip")}), policy.Pass, "", "", "", true, "AES"},
		{"signature is exempt", build(part{"smime.p7s", "application/pkcs7-signature", fixture(t, "exempt-smime-detached.p7s")}), policy.Pass, "", "", "", false, ""},
		{"invitation is exempt", build(part{"invite.ics", "text/calendar", fixture(t, "exempt-invite.ics")}), policy.Pass, "", "", "", false, ""},
		{"public key is exempt", build(part{"alice.asc", "application/pgp-keys", fixture(t, "exempt-pgp-pubkey.asc")}), policy.Pass, "", "", "", false, ""},
		{"contact card is exempt", build(part{"hanako.vcf", "text/vcard", fixture(t, "exempt-contact.vcf")}), policy.Pass, "", "", "", false, ""},
		// Relabelled files are judged as what they are (issue: exempt types by label).
		{"zip labelled as a signature", build(part{"smime.p7s", "application/pkcs7-signature", plainZip(t)}), policy.Reject, "attachment-unencrypted", "smime.p7s", "labelled application/pkcs7-signature", false, ""},
		{"xlsx labelled as an invitation", build(part{"invite.ics", "text/calendar", fixture(t, "office-plain.xlsx")}), policy.Reject, "attachment-unencrypted", "invite.ics", "labelled text/calendar", false, ""},
		{"csv labelled as a public key", build(part{"key.asc", "application/pgp-keys", []byte("氏名,電話\r\n山田太郎,090-1234-5678\r\n")}), policy.Reject, "attachment-unencrypted", "key.asc", "labelled application/pgp-keys", false, ""},
		{"attached signature carries content", build(part{"smime.p7s", "application/pkcs7-signature", fixture(t, "exempt-smime-attached.p7s")}), policy.Reject, "attachment-unencrypted", "smime.p7s", "labelled", false, ""},
		{"invitation with a file inside", build(part{"invite.ics", "text/calendar", fixture(t, "exempt-invite-attach.ics")}), policy.Reject, "attachment-unencrypted", "invite.ics", "labelled text/calendar", false, ""},
		{"address book of 20 cards", build(part{"customers.vcf", "text/vcard", fixture(t, "exempt-addressbook.vcf")}), policy.Reject, "attachment-unencrypted", "customers.vcf", "labelled text/vcard", false, ""},
		{"truncated zip is unscannable", build(part{"broken.zip", "application/zip", fixture(t, "zipcrypto.zip")[:60]}), policy.Reject, "attachment-unscannable", "broken.zip", "could not be checked", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := evaluate(t, p, ext, c.msg)
			if v.Action != c.action {
				t.Fatalf("action %v, want %v; findings %+v", v.Action, c.action, v.Findings)
			}
			if got := strings.Join(v.Rules(), ","); got != c.rules {
				t.Errorf("rules %q, want %q", got, c.rules)
			}
			if c.evidence != "" {
				f := v.Findings[0]
				if f.Evidence != c.evidence || !strings.Contains(f.Reason+f.ReasonJA, c.reasonHas) {
					t.Errorf("finding %+v: want evidence %q and reason with %q", f, c.evidence, c.reasonHas)
				}
				if f.Remedy == "" || f.RemedyJA == "" || f.ReasonJA == "" {
					t.Errorf("finding lacks a remedy or Japanese text: %+v", f)
				}
			}
			if c.methodHas != "" {
				if len(v.Attachments) != 1 || v.Attachments[0].Protected != c.protected || !strings.Contains(v.Attachments[0].Method, c.methodHas) {
					t.Errorf("attachments %+v: want protected=%v method %q", v.Attachments, c.protected, c.methodHas)
				}
			}
		})
	}
}

func TestScopeExemptionsAndActions(t *testing.T) {
	msg := build(part{"a.zip", "application/zip", plainZip(t)})
	cases := []struct {
		name string
		cfg  policy.Config
		env  policy.Envelope
		want policy.Action
	}{
		{"internal only, scope external", policy.Config{}, policy.Envelope{From: "a@example.co.jp", To: []string{"b@example.co.jp", "c@sub.example.co.jp"}}, policy.Pass},
		{"internal only, scope all", policy.Config{Rules: map[string]policy.RuleConfig{"attachment-unencrypted": {Scope: "all"}}},
			policy.Envelope{From: "a@example.co.jp", To: []string{"b@example.co.jp"}}, policy.Reject},
		{"one external among internal", policy.Config{}, policy.Envelope{From: "a@example.co.jp", To: []string{"b@example.co.jp", "x@other.example"}}, policy.Reject},
		{"exempt address", policy.Config{Rules: map[string]policy.RuleConfig{"attachment-unencrypted": {ExemptSenders: []string{"A@Example.co.jp"}}}},
			policy.Envelope{From: "a@example.co.jp", To: []string{"x@other.example"}}, policy.Pass},
		{"exempt domain", policy.Config{Rules: map[string]policy.RuleConfig{"attachment-unencrypted": {ExemptSenders: []string{"*@legal.example.co.jp"}}}},
			policy.Envelope{From: "k@legal.example.co.jp", To: []string{"x@other.example"}}, policy.Pass},
		{"exempt domain does not cover a lookalike", policy.Config{Rules: map[string]policy.RuleConfig{"attachment-unencrypted": {ExemptSenders: []string{"@legal.example.co.jp"}}}},
			policy.Envelope{From: "k@evillegal.example.co.jp", To: []string{"x@other.example"}}, policy.Reject},
		{"flag action", policy.Config{Rules: map[string]policy.RuleConfig{"attachment-unencrypted": {Action: "flag"}}},
			policy.Envelope{From: "a@example.co.jp", To: []string{"x@other.example"}}, policy.Flag},
		{"pass action", policy.Config{Rules: map[string]policy.RuleConfig{"attachment-unencrypted": {Action: "pass"}}},
			policy.Envelope{From: "a@example.co.jp", To: []string{"x@other.example"}}, policy.Pass},
		{"IDN recipient is external", policy.Config{}, policy.Envelope{From: "a@example.co.jp", To: []string{"x@例え.jp"}}, policy.Reject},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := evaluate(t, compile(t, c.cfg), c.env, msg)
			if v.Action != c.want {
				t.Errorf("action %v, want %v (findings %+v)", v.Action, c.want, v.Findings)
			}
		})
	}
}

func TestCompileRefusesUnknownRulesAndActions(t *testing.T) {
	_, _, err := policy.Compile(policy.Config{Rules: map[string]policy.RuleConfig{
		"attachment-unencrypted": {Action: "hold"},
		"recipients-exposed":     {Action: "approve"},
		"link-file-sharing":      {Action: "quarantine"},
		"no-such-rule":           {Action: "reject"},
	}})
	if err == nil || !strings.Contains(err.Error(), `unknown action "quarantine" (pass, flag, hold, approve or reject)`) ||
		!strings.Contains(err.Error(), "no-such-rule") || strings.Contains(err.Error(), "rules.attachment-unencrypted") || strings.Contains(err.Error(), "rules.recipients-exposed") {
		t.Errorf("error %v", err)
	}
}

func TestZipCryptoAndContainerOptions(t *testing.T) {
	ext := policy.Envelope{From: "alice@example.co.jp", To: []string{"bob@partner.example.com"}}
	zc := build(part{"x.zip", "application/zip", fixture(t, "zipcrypto.zip")})
	aes := build(part{"x.zip", "application/zip", fixture(t, "aes256.zip")})
	nested := build(part{"bundle.zip", "application/zip", fixture(t, "nested-encrypted.zip")})
	cases := []struct {
		name   string
		att    policy.AttachmentsConfig
		msg    []byte
		want   policy.Action
		reason string
	}{
		{"zipcrypto accepted by default", policy.AttachmentsConfig{}, zc, policy.Pass, ""},
		{"zipcrypto flagged", policy.AttachmentsConfig{ZipCrypto: "flag"}, zc, policy.Flag, "ZipCrypto"},
		{"zipcrypto rejected", policy.AttachmentsConfig{ZipCrypto: "reject"}, zc, policy.Reject, "ZipCrypto"},
		{"AES unaffected by zipcrypto = reject", policy.AttachmentsConfig{ZipCrypto: "reject"}, aes, policy.Pass, ""},
		{"plain container of an encrypted zip rejected by default", policy.AttachmentsConfig{}, nested, policy.Reject, "unencrypted archive"},
		{"plain container allowed", policy.AttachmentsConfig{AllowPlainContainerOfProtected: true}, nested, policy.Pass, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := evaluate(t, compile(t, policy.Config{Attachments: c.att}), ext, c.msg)
			if v.Action != c.want {
				t.Fatalf("action %v, want %v (%+v)", v.Action, c.want, v.Findings)
			}
			if c.reason != "" && !strings.Contains(v.Findings[0].Reason, c.reason) {
				t.Errorf("reason %q lacks %q", v.Findings[0].Reason, c.reason)
			}
		})
	}
	if _, _, err := policy.Compile(policy.Config{Attachments: policy.AttachmentsConfig{ZipCrypto: "maybe"}}); err == nil {
		t.Error("zipcrypto = maybe accepted")
	}
}
