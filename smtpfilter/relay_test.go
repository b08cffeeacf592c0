package smtpfilter_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/internal/smtpsink"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
)

type smtpConfig = smtpfilter.Config

const (
	sender   = "alice@example.co.jp"
	external = "bob@partner.example.com"
)

func TestPassRelaysByteForByte(t *testing.T) {
	h := start(t, options{})
	msg := message(sender, external, "見積書の件", "お世話になっております。\n本文です。\n", "", nil)
	// A client-supplied verdict header must not survive.
	forged := append([]byte("X-Sendguard-Verdict: pass\r\nx-sendguard-verdict : pass;\r\n folded\r\n"), msg...)
	_, err := h.send(h.dial(), sender, []string{external}, forged)
	if code, text := smtpCode(err); code != 250 {
		t.Fatalf("DATA reply %d %s, want 250", code, text)
	}
	got := h.sink.Wait(1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("sink holds %d messages, want 1", len(got))
	}
	m := got[0]
	if m.From != sender || len(m.To) != 1 || m.To[0] != external {
		t.Errorf("envelope at the sink: from %q to %q", m.From, m.To)
	}
	// Only our Received and X-Sendguard-Verdict are prepended; the rest is
	// byte-for-byte the client's message without its forged header.
	i := bytes.Index(m.Data, []byte("X-Sendguard-Verdict: pass\r\n"))
	if !bytes.HasPrefix(m.Data, []byte("Received: from ")) || i < 0 {
		t.Fatalf("relayed message does not start with Received and the verdict:\n%s", m.Data[:min(len(m.Data), 400)])
	}
	rest := m.Data[i+len("X-Sendguard-Verdict: pass\r\n"):]
	if !bytes.Equal(rest, msg) {
		t.Errorf("relayed body differs from what the client sent\ngot:  %q\nwant: %q", rest, msg)
	}
	if n := bytes.Count(bytes.ToLower(m.Data), []byte("x-sendguard-verdict")); n != 1 {
		t.Errorf("relayed message has %d X-Sendguard-Verdict fields, want 1", n)
	}
	lines := h.waitAudit(1)
	if len(lines) != 1 || lines[0]["verdict"] != "pass" || lines[0]["result"] != "relayed" {
		t.Errorf("audit: %v", lines)
	}
	if strings.Contains(h.audit.String(), "本文です") {
		t.Error("audit log contains body text")
	}
}

func TestRejectUnencryptedAttachment(t *testing.T) {
	h := start(t, options{})
	msg := message(sender, external, "資料", "資料を送ります。\n", "meibo.zip", plainZip(t, "名簿.csv", "山田,090-0000-0000\n"))
	_, err := h.send(h.dial(), sender, []string{external}, msg)
	code, text := smtpCode(err)
	if code != 550 {
		t.Fatalf("DATA reply %d %s, want 550", code, text)
	}
	for _, want := range []string{"5.7.1 [attachment-unencrypted]", "meibo.zip", "password", "(ref "} {
		if !strings.Contains(text, want) {
			t.Errorf("reject reply %q lacks %q", text, want)
		}
	}
	if n := len(h.sink.Messages()); n != 0 {
		t.Errorf("sink holds %d messages after a reject", n)
	}
	lines := h.waitAudit(1)
	if len(lines) != 1 {
		t.Fatalf("audit lines: %d", len(lines))
	}
	a := lines[0]
	if a["verdict"] != "reject" || a["result"] != "rejected" {
		t.Errorf("audit verdict/result: %v / %v", a["verdict"], a["result"])
	}
	if rules, _ := a["rules"].([]any); len(rules) != 1 || rules[0] != "attachment-unencrypted" {
		t.Errorf("audit rules: %v", a["rules"])
	}
	atts, _ := a["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("audit attachments: %v", a["attachments"])
	}
	att := atts[0].(map[string]any)
	if att["name"] != "meibo.zip" || len(att["sha256"].(string)) != 64 {
		t.Errorf("audit attachment: %v", att)
	}
	if strings.Contains(h.audit.String(), "090-0000-0000") || strings.Contains(h.audit.String(), "資料を送ります") {
		t.Error("audit log contains message content")
	}
}

func TestEncryptedZipPasses(t *testing.T) {
	for _, name := range []string{"zipcrypto.zip", "aes256.zip"} {
		t.Run(name, func(t *testing.T) {
			h := start(t, options{})
			msg := message(sender, external, "資料", "パスワードは別途お送りします。\n", name, fixture(t, name))
			_, err := h.send(h.dial(), sender, []string{external}, msg)
			if code, text := smtpCode(err); code != 250 {
				t.Fatalf("DATA reply %d %s, want 250", code, text)
			}
			if got := h.sink.Wait(1, 5*time.Second); len(got) != 1 || !bytes.Contains(got[0].Data, []byte("X-Sendguard-Verdict: pass\r\n")) {
				t.Errorf("sink: %d messages", len(got))
			}
		})
	}
}

func TestFlagRelaysWithHeader(t *testing.T) {
	pc := defaultPolicy()
	pc.Rules = map[string]policy.RuleConfig{"attachment-unencrypted": {Action: "flag"}}
	h := start(t, options{policy: pc})
	msg := message(sender, external, "s", "b\n", "report.pdf", fixture(t, "pdf-plain.pdf"))
	_, err := h.send(h.dial(), sender, []string{external}, msg)
	if code, text := smtpCode(err); code != 250 {
		t.Fatalf("DATA reply %d %s, want 250", code, text)
	}
	got := h.sink.Wait(1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("sink holds %d messages", len(got))
	}
	if !bytes.Contains(got[0].Data, []byte("X-Sendguard-Verdict: flag; rules=attachment-unencrypted; ref=")) {
		t.Errorf("flag header missing:\n%s", got[0].Data[:300])
	}
}

func TestScopeAndExemptions(t *testing.T) {
	pc := defaultPolicy()
	pc.Rules = map[string]policy.RuleConfig{"attachment-unencrypted": {ExemptSenders: []string{"*@legal.example.co.jp"}}}
	h := start(t, options{policy: pc})
	zip := plainZip(t, "a.txt", "x")
	cases := []struct {
		name     string
		from, to string
		want     int
	}{
		{"internal recipient only", sender, "carol@example.co.jp", 250},
		{"exempt sender", "lawyer@legal.example.co.jp", external, 250},
		{"external recipient", sender, external, 550},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.send(h.dial(), c.from, []string{c.to}, message(c.from, c.to, "s", "b\n", "a.zip", zip))
			if code, text := smtpCode(err); code != c.want {
				t.Errorf("DATA reply %d %s, want %d", code, text, c.want)
			}
		})
	}
}

func TestSizeLimit(t *testing.T) {
	h := start(t, options{server: func(c *smtpConfig) { c.MaxMessageBytes = 64 << 10 }})
	c := h.dial()
	err := c.Mail(sender, &smtp.MailOptions{Size: 1 << 20})
	if code, text := smtpCode(err); code != 552 || !strings.HasPrefix(text, "5.3.4") {
		t.Errorf("MAIL with SIZE over the limit: %d %s, want 552 5.3.4", code, text)
	}
	c.Reset()
	big := message(sender, external, "s", strings.Repeat("あいうえお\n", 20000), "", nil)
	_, err = h.send(c, sender, []string{external}, big)
	if code, text := smtpCode(err); code != 552 || !strings.HasPrefix(text, "5.3.4") {
		t.Errorf("DATA over the limit: %d %s, want 552 5.3.4", code, text)
	}
	if n := len(h.sink.Messages()); n != 0 {
		t.Errorf("sink holds %d messages", n)
	}
}

func TestRecipientLimit(t *testing.T) {
	h := start(t, options{server: func(c *smtpConfig) { c.MaxRecipients = 2 }})
	c := h.dial()
	if err := c.Mail(sender, nil); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{250, 250, 452} {
		err := c.Rcpt(strings.Repeat("x", i+1)+"@partner.example.com", nil)
		if code, text := smtpCode(err); code != want {
			t.Errorf("RCPT %d: %d %s, want %d", i+1, code, text, want)
		}
	}
}

func TestLargeMessageSpoolsToDisk(t *testing.T) {
	h := start(t, options{})
	body := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ日本語テキスト\n", 60000) // ~5 MB
	msg := message(sender, external, "big", body, "", nil)
	_, err := h.send(h.dial(), sender, []string{external}, msg)
	if code, text := smtpCode(err); code != 250 {
		t.Fatalf("DATA reply %d %s", code, text)
	}
	got := h.sink.Wait(1, 10*time.Second)
	if len(got) != 1 || !bytes.HasSuffix(got[0].Data, msg) {
		t.Fatalf("large message not relayed intact")
	}
}

func TestCaptureUpstream(t *testing.T) {
	dir := t.TempDir()
	h := start(t, options{upstream: func(string) smtpfilter.Upstream { return &smtpfilter.CaptureUpstream{Dir: dir} }})
	msg := message(sender, external, "s", "b\n", "", nil)
	_, err := h.send(h.dial(), sender, []string{external, "carol@example.co.jp"}, msg)
	if code, text := smtpCode(err); code != 250 {
		t.Fatalf("DATA reply %d %s", code, text)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("capture dir holds %d .eml files, want 1", len(files))
	}
	data, _ := os.ReadFile(files[0])
	for _, want := range []string{"Return-Path: <" + sender + ">\r\n", "X-Envelope-To: <" + external + ">\r\n", "X-Envelope-To: <carol@example.co.jp>\r\n", "X-Sendguard-Verdict: pass\r\n"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("captured file lacks %q", want)
		}
	}
	if !bytes.HasSuffix(data, msg) {
		t.Error("captured message differs from what the client sent")
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Errorf("capture tmp dir not empty: %d files", len(tmp))
	}
}

var _ = smtpsink.Message{}

func TestClientDisconnectMidDataLeavesNothing(t *testing.T) {
	h := start(t, options{})
	r := h.raw()
	r.cmd("EHLO client.test", "250")
	r.cmd("MAIL FROM:<"+sender+">", "250")
	r.cmd("RCPT TO:<"+external+">", "250")
	r.cmd("DATA", "354")
	r.write("Subject: half\r\n\r\n" + strings.Repeat("途中で切れるメール本文です。\r\n", 5000)) // spills to disk
	r.conn.Close()
	lines := h.waitAudit(1)
	if len(lines) != 1 || lines[0]["result"] != "aborted" {
		t.Errorf("audit after a client disconnect: %v", lines)
	}
	if n := len(h.sink.Messages()); n != 0 {
		t.Errorf("half a message reached the sink")
	}
	h.assertSpoolEmpty()
}

func TestPanicDuringEvaluationIsATempfail(t *testing.T) {
	h := start(t, options{server: func(c *smtpConfig) {
		c.Policy = func() *policy.Policy { return nil } // Evaluate on a nil policy panics
	}})
	_, err := h.send(h.dial(), sender, []string{external}, message(sender, external, "s", strings.Repeat("本文\n", 3000), "", nil))
	code, text := smtpCode(err)
	if code != 451 || !strings.HasPrefix(text, "4.3.0") || strings.Contains(text, "nil") {
		t.Errorf("client heard %d %s, want 451 4.3.0 without internal detail", code, text)
	}
	if n := len(h.sink.Messages()); n != 0 {
		t.Errorf("sink holds %d messages", n)
	}
	h.assertSpoolEmpty()
}

func TestTimeouts(t *testing.T) {
	t.Run("idle command", func(t *testing.T) {
		h := start(t, options{server: func(c *smtpConfig) { c.CommandTimeout = 300 * time.Millisecond }})
		r := h.raw()
		r.cmd("EHLO client.test", "250")
		if got := r.reply(); !strings.HasPrefix(got, "421 4.4.2") {
			t.Errorf("idle client heard %q, want 421 4.4.2", got)
		}
	})
	t.Run("stalled DATA", func(t *testing.T) {
		h := start(t, options{server: func(c *smtpConfig) { c.DataTimeout = 500 * time.Millisecond }})
		r := h.raw()
		r.cmd("EHLO client.test", "250")
		r.cmd("MAIL FROM:<"+sender+">", "250")
		r.cmd("RCPT TO:<"+external+">", "250")
		r.cmd("DATA", "354")
		r.write("Subject: stalled\r\n\r\n" + strings.Repeat("止まる本文\r\n", 2000))
		if got := r.reply(); !strings.HasPrefix(got, "451 4.3.0") {
			t.Errorf("stalled DATA: client heard %q, want 451 4.3.0", got)
		}
		if n := len(h.sink.Messages()); n != 0 {
			t.Errorf("a stalled message reached the sink")
		}
		if lines := h.waitAudit(1); len(lines) != 1 || lines[0]["result"] != "aborted" {
			t.Errorf("audit: %v", lines)
		}
	})
}

// TestRecipientRulesOverSMTP: each recipient and link rule's default action
// as the client hears it, and the flag header on what is relayed.
func TestRecipientRulesOverSMTP(t *testing.T) {
	many := "a@one.example, b@two.example, c@three.example, d@four.example, e@five.example, f@six.example"
	cases := []struct {
		name     string
		rcpts    []string
		toHeader string
		body     string
		code     int
		rule     string
		evidence string
	}{
		{"lookalike", []string{"bob@partner-example.com"}, "", "", 550, "recipient-domain-lookalike", "partner-example.com"},
		{"anonymous service", []string{"x@mailinator.com"}, "", "", 550, "recipient-domain-anonymous", "mailinator.com"},
		{"exposed To list", []string{external}, many, "", 550, "recipients-exposed", "6"},
		{"unverified domain", []string{"x@yamada-shoji.jp"}, "", "", 250, "recipient-domain-unverified", ""},
		{"file-sharing link", []string{external}, "", "こちら→https://gigafile.nu/abc123 からどうぞ。", 250, "link-file-sharing", ""},
		{"online-service link", []string{external}, "", "共有: https://docs.google.com/spreadsheets/d/xyz", 250, "link-online-service", ""},
		{"online-service mail-in address", []string{"me.12345@m.evernote.com"}, "", "", 250, "link-online-service", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := start(t, options{})
			to := c.toHeader
			if to == "" {
				to = c.rcpts[0]
			}
			body := c.body
			if body == "" {
				body = "お世話になっております。\n"
			}
			msg := message(sender, to, "ご挨拶", body, "", nil)
			_, err := h.send(h.dial(), sender, c.rcpts, msg)
			code, text := smtpCode(err)
			if code != c.code {
				t.Fatalf("client heard %d %s, want %d", code, text, c.code)
			}
			if code == 550 {
				if !strings.Contains(text, "["+c.rule+"]") || !strings.Contains(text, c.evidence) {
					t.Errorf("reply %q lacks [%s] and %q", text, c.rule, c.evidence)
				}
				if n := len(h.sink.Messages()); n != 0 {
					t.Errorf("a rejected message reached the sink")
				}
				return
			}
			got := h.sink.Wait(1, 5*time.Second)
			if len(got) != 1 {
				t.Fatalf("sink holds %d messages", len(got))
			}
			hdr := string(got[0].Data[:bytes.Index(got[0].Data, []byte("\r\n\r\n"))])
			if !strings.Contains(hdr, "X-Sendguard-Verdict: flag; rules=") || !strings.Contains(hdr, c.rule) {
				t.Errorf("relayed without the flag for %s:\n%s", c.rule, hdr)
			}
			lines := h.waitAudit(1)
			if len(lines) != 1 || !strings.Contains(fmt.Sprint(lines[0]["rules"]), c.rule) {
				t.Errorf("audit rules: %v", lines)
			}
		})
	}
}

// TestLineLengthLimit: max_line_length counts a line with its CRLF; one
// byte more and the message is refused, never relayed.
func TestLineLengthLimit(t *testing.T) {
	h := start(t, options{server: func(c *smtpConfig) { c.MaxLineLength = 1000 }})
	ok := message(sender, external, "s", strings.Repeat("x", 998)+"\n", "", nil)
	_, err := h.send(h.dial(), sender, []string{external}, ok)
	if code, text := smtpCode(err); code != 250 {
		t.Fatalf("a 998-character line: %d %s, want 250", code, text)
	}
	long := message(sender, external, "s", strings.Repeat("y", 999)+"\n", "", nil)
	_, err = h.send(h.dial(), sender, []string{external}, long)
	if code, text := smtpCode(err); code != 550 || !strings.HasPrefix(text, "5.6.0") {
		t.Errorf("a 999-character line: %d %s, want 550 5.6.0 (permanent: a retry cannot help)", code, text)
	}
	if got := h.sink.Messages(); len(got) != 1 {
		t.Errorf("sink holds %d messages, want only the first", len(got))
	}
}
