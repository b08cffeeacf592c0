package smtpfilter_test

import (
	"strings"
	"testing"
	"time"
)

// TestHiddenRouteRecipientsAreRefused: recipients whose local part routes
// on to another mailbox get 553 5.1.3 at RCPT and nothing is relayed;
// quoted local parts only when the admin allows them, and never with an
// "@", "%" or "!" inside.
func TestHiddenRouteRecipientsAreRefused(t *testing.T) {
	cases := []struct {
		rcpt        string
		allowQuoted bool
		want        string
	}{
		{"<b%evil.example@example.co.jp>", false, "553 5.1.3"},
		{"<B%EVIL.EXAMPLE@EXAMPLE.CO.JP>", false, "553 5.1.3"},
		{"<b@evil.example@example.co.jp>", false, "5"}, // go-smtp may refuse the syntax itself
		{"<evil.example!b@example.co.jp>", false, "553 5.1.3"},
		{`<"b@evil.example"@example.co.jp>`, false, "553 5.1.3"},
		{`<"b@evil.example"@example.co.jp>`, true, "553 5.1.3"},
		{`<"b%evil.example"@example.co.jp>`, true, "553 5.1.3"},
		{`<"b c"@example.co.jp>`, false, "553 5.1.3"},
		{`<"b c"@example.co.jp>`, true, "250"},
		// go-smtp drops the source route: the mail goes to b@example.co.jp.
		{"<@evil.example:b@example.co.jp>", false, "250"},
		{"<bob@example.co.jp>", false, "250"},
	}
	for _, c := range cases {
		t.Run(c.rcpt, func(t *testing.T) {
			h := start(t, options{server: func(cfg *smtpConfig) { cfg.AllowQuotedLocalParts = c.allowQuoted }})
			r := h.raw()
			r.cmd("EHLO client.test", "250")
			r.cmd("MAIL FROM:<"+sender+">", "250")
			got := r.cmd("RCPT TO:"+c.rcpt, c.want)
			if strings.HasPrefix(got, "553") && !strings.Contains(got, "mailbox") {
				t.Errorf("reply %q does not say what to do", got)
			}
			if c.want == "250" {
				r.cmd("DATA", "354")
				r.write("Subject: s\r\n\r\nb\r\n.\r\n")
				r.expect("250")
				got := h.sink.Wait(1, 5*time.Second)
				if len(got) != 1 {
					t.Fatalf("sink holds %d messages, want 1", len(got))
				}
				// The sink, a go-smtp server too, unquotes what it receives;
				// it refuses an unquoted "b c@…", so a 250 with this address
				// means it went upstream quoted.
				want := strings.ReplaceAll(strings.Trim(strings.Replace(c.rcpt, "@evil.example:", "", 1), "<>"), `"`, "")
				if rcpts := got[0].To; len(rcpts) != 1 || rcpts[0] != want {
					t.Errorf("relayed to %q, want %q", rcpts, want)
				}
				return
			}
			r.cmd("DATA", "5") // no valid recipient: nothing to relay
			if n := len(h.sink.Messages()); n != 0 {
				t.Errorf("sink holds %d messages", n)
			}
		})
	}
}
