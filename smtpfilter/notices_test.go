package smtpfilter_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"

	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
)

// TestExplainModeMailsTheSender: in explain mode a rejected message is
// answered 250, not relayed, and the sender gets an RFC 3464 report through
// the upstream with Japanese and English text and the original header —
// never the original body.
func TestExplainModeMailsTheSender(t *testing.T) {
	h := start(t, options{server: func(c *smtpConfig) {
		c.Explain = smtpfilter.ExplainConfig{Mail: true, From: "postmaster@example.co.jp"}
	}})
	msg := message(sender, external, "名簿送付", "本文の秘密テキストXYZ\n", "meibo.zip", plainZip(t, "名簿.csv", "山田,090\n"))
	_, err := h.send(h.dial(), sender, []string{external}, msg)
	if code, text := smtpCode(err); code != 250 {
		t.Fatalf("explain mode: client heard %d %s, want 250", code, text)
	}
	got := h.sink.Wait(1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("sink holds %d messages, want the report only", len(got))
	}
	r := got[0]
	if r.From != "" || len(r.To) != 1 || r.To[0] != sender {
		t.Errorf("report envelope: from %q to %v, want <> to the sender", r.From, r.To)
	}
	e, err := gomessage.Read(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, _ := e.Header.ContentType()
	if mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("report type %s %v", mt, params)
	}
	if as := e.Header.Get("Auto-Submitted"); as != "auto-replied" {
		t.Errorf("Auto-Submitted %q", as)
	}
	var types []string
	var text, all string
	e.Walk(func(path []int, p *gomessage.Entity, err error) error {
		if err != nil {
			return err
		}
		t, _, _ := p.Header.ContentType()
		types = append(types, t)
		if strings.HasPrefix(t, "multipart/") {
			return nil
		}
		b, _ := io.ReadAll(p.Body)
		all += string(b)
		if t == "text/plain" {
			text += string(b)
		}
		return nil
	})
	if strings.Contains(all, "本文の秘密テキストXYZ") || strings.Contains(all, "山田") {
		t.Error("the report carries the original body or attachment")
	}
	if !strings.Contains(all, "Subject: ") {
		t.Error("the report lacks the original header section")
	}
	for _, want := range []string{"message/delivery-status", "text/rfc822-headers", "text/plain", "text/html"} {
		if !strings.Contains(strings.Join(types, " "), want) {
			t.Errorf("report parts %v lack %s", types, want)
		}
	}
	for _, want := range []string{"meibo.zip", "パスワード", "password", "第6-2"} {
		if !strings.Contains(text, want) {
			t.Errorf("report text lacks %q", want)
		}
	}
	if lines := h.waitAudit(1); len(lines) != 1 || lines[0]["result"] != "reported" {
		t.Errorf("audit: %v", lines)
	}

	// A bounce (null sender) is never answered with a report: rejected in
	// the session instead.
	_, err = h.send(h.dial(), "", []string{external}, msg)
	if code, _ := smtpCode(err); code != 550 {
		t.Errorf("null sender in explain mode: %d, want 550", code)
	}
	if n := len(h.sink.Messages()); n != 1 {
		t.Errorf("a report was sent for a bounce")
	}
}

func TestExplainModeRateLimit(t *testing.T) {
	h := start(t, options{server: func(c *smtpConfig) {
		c.Explain = smtpfilter.ExplainConfig{Mail: true, From: "postmaster@example.co.jp", Limiter: notify.NewRateLimiter(1, time.Hour, nil)}
	}})
	msg := message(sender, external, "s", "b\n", "a.zip", plainZip(t, "a.txt", "x"))
	_, first := h.send(h.dial(), sender, []string{external}, msg)
	_, second := h.send(h.dial(), sender, []string{external}, msg)
	if code, _ := smtpCode(first); code != 250 {
		t.Errorf("first: %d, want 250 (reported)", code)
	}
	if code, _ := smtpCode(second); code != 550 {
		t.Errorf("second within the limit window: %d, want 550 (no second report)", code)
	}
}

func TestIncidentNoticeAndFlagNotice(t *testing.T) {
	pc := defaultPolicy()
	pc.Rules = map[string]policy.RuleConfig{"attachment-unencrypted": {Action: "flag", FlagNotice: true}}
	h := start(t, options{policy: pc, server: func(c *smtpConfig) {
		c.Explain = smtpfilter.ExplainConfig{From: "postmaster@example.co.jp"}
		inc, err := notify.NewIncidents(notify.IncidentConfig{
			From: "postmaster@example.co.jp", To: []string{"security@example.co.jp"}, Hostname: "sendguard.test",
			Send: func(ctx context.Context, from string, to []string, msg []byte) error {
				return smtpfilter.SendVia(ctx, c.Upstream, from, to, msg)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		c.Incidents = inc
		t.Cleanup(func() { inc.Close(context.Background()) })
	}})

	// Flagged and sent: the sender gets a notice as well.
	_, err := h.send(h.dial(), sender, []string{external}, message(sender, external, "s", "b\n", "report.zip", plainZip(t, "a.txt", "x")))
	if code, text := smtpCode(err); code != 250 {
		t.Fatalf("flag: %d %s", code, text)
	}
	// The password in the same mail is an incident.
	_, err = h.send(h.dial(), sender, []string{external}, message(sender, external, "見積書", "パスワード：secret123\n", "mitsumori.zip", fixture(t, "zipcrypto.zip")))
	if code, _ := smtpCode(err); code != 550 {
		t.Fatalf("password in body: %d, want 550", code)
	}
	got := h.sink.Wait(3, 10*time.Second)
	var notice, incident []byte
	for _, m := range got {
		switch {
		case len(m.To) == 1 && m.To[0] == sender && m.From == "":
			notice = m.Data
		case len(m.To) == 1 && m.To[0] == "security@example.co.jp":
			incident = m.Data
		}
	}
	if notice == nil || !bytes.Contains(notice, []byte("Auto-Submitted: auto-generated")) {
		t.Errorf("no flag notice to the sender (sink: %d messages)", len(got))
	}
	if incident == nil {
		t.Fatalf("no incident notice to the security contact (sink: %d messages)", len(got))
	}
	if bytes.Contains(incident, []byte("secret123")) {
		t.Error("the incident notice carries the password")
	}
	e, err := gomessage.Read(bytes.NewReader(incident))
	if err != nil {
		t.Fatal(err)
	}
	var text string
	e.Walk(func(_ []int, p *gomessage.Entity, err error) error {
		if t, _, _ := p.Header.ContentType(); t == "text/plain" {
			b, _ := io.ReadAll(p.Body)
			text += string(b)
		}
		return nil
	})
	for _, want := range []string{"password-in-body", "mitsumori.zip", sender} {
		if !strings.Contains(text, want) {
			t.Errorf("incident notice lacks %q", want)
		}
	}
}
