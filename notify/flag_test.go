package notify_test

import (
	stdhtml "html"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy/explain"
)

func flagNotice(t *testing.T) notify.FlagNotice {
	t.Helper()
	f := finding(t, explain.Input{Rule: "recipient-domain-unverified", Action: "flag", Evidence: "newclient.example.org"})
	return notify.FlagNotice{
		From:       "postmaster@example.co.jp",
		Sender:     "taro@example.co.jp",
		Recipients: []string{"bob@newclient.example.org"},
		Header:     originalMessage(),
		Findings:   []notify.Finding{f},
		Ref:        testRef,
		Hostname:   "sendguard.example.co.jp",
		Sent:       arrival,
	}
}

// TestFlagNotice: a short bilingual notice, not a delivery status, that says
// the message went out and why it was flagged.
func TestFlagNotice(t *testing.T) {
	n := flagNotice(t)
	raw, err := notify.BuildFlagNotice(n)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "flag-recipient-domain-unverified.eml", raw)
	p := parseMail(t, raw)
	if got := strings.Join(p.tree, "\n"); got != "multipart/alternative\n  text/plain\n  text/html" {
		t.Fatalf("structure:\n%s", got)
	}
	if got := p.header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted: %q", got)
	}
	if s := p.subject(t); s != notify.FlagSubject {
		t.Errorf("Subject %q", s)
	}
	plain := strings.ReplaceAll(p.leaf(t, "text/plain").body, "\r\n", "\n")
	golden(t, "flag-recipient-domain-unverified.txt", []byte(plain))
	if got := notify.FlagNoticeText(n); got != plain {
		t.Errorf("FlagNoticeText differs from the mail's text/plain part:\n%s", got)
	}
	html := stdhtml.UnescapeString(p.leaf(t, "text/html").body)
	f := n.Findings[0]
	for _, want := range []string{"メールは送信されました", "Your message was sent", f.JA.Summary, f.EN.Summary,
		"newclient.example.org", testRef, "宛先が誤っていた場合は、直ちに上長と情報セキュリティ担当に連絡してください"} {
		if !strings.Contains(plain, want) || !strings.Contains(html, want) {
			t.Errorf("notice lacks %q", want)
		}
	}
	all := p.allText() + string(raw)
	for _, never := range []string{bodyMarker, attachmentMarker, clearPassword} {
		if strings.Contains(all, never) {
			t.Errorf("notice contains %q", never)
		}
	}
	for _, l := range p.leaves {
		if l.contentType == "text/rfc822-headers" || l.contentType == "message/delivery-status" {
			t.Errorf("flag notice has a %s part", l.contentType)
		}
	}

	bad := n
	bad.Sender = ""
	if _, err := notify.BuildFlagNotice(bad); err == nil {
		t.Error("no error for a null sender")
	}
	bad = n
	bad.Sent = time.Time{}
	if _, err := notify.BuildFlagNotice(bad); err == nil {
		t.Error("no error without a time")
	}
}
