package smtpfilter_test

import (
	"strings"
	"testing"

	"github.com/sendguard/sendguard/smtpfilter"
)

// TestBareLineEndings sends DATA with bare CR / bare LF (SMTP smuggling,
// CVE-2023-51764 family) in both server.bare_newline modes. With "reject"
// nothing is relayed: 550 5.6.0, at once even when the last line ends in a
// bare CR (which left go-smtp v0.25.1's DATA reader waiting). With
// "normalize" a bare CR is still refused; a bare LF is taken as CRLF, only
// CRLF . CRLF ends DATA, and the sink receives exactly one message with
// CRLF line endings only: what a smuggler meant as a second transaction is
// body text of the first, and no command after the end of data is run.
func TestBareLineEndings(t *testing.T) {
	cases := []struct {
		name string
		data string
		// normalized is the message the sink must receive in normalize
		// mode (after sendguard's Received and X-Sendguard-Verdict
		// fields); "" when normalize mode must refuse it too.
		normalized string
	}{
		{"bare LF smuggling", "Subject: a\r\n\r\nhello\n.\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nsmuggled\r\n.\r\n",
			"Subject: a\r\n\r\nhello\r\n.\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nsmuggled\r\n"},
		{"bare LF dot bare LF", "Subject: a\r\n\r\nhello\n.\nMAIL FROM:<evil@x>\r\n.\r\n",
			"Subject: a\r\n\r\nhello\r\n.\r\nMAIL FROM:<evil@x>\r\n"},
		{"bare CR in a line", "Subject: a\r\n\r\nhel\rlo\r\n.\r\n", ""},
		{"last line ends in a bare CR", "Subject: a\r\n\r\nhello\r\r\n.\r\n", ""},
		{"bare CR before the dot", "Subject: a\r\n\r\nhello\r.\r\n.\r\n", ""},
		// A line "." CR x: the reader used to drop the dot and the CR, so
		// the bare CR went unseen and the message was relayed altered.
		{"dot then bare CR at a line start", "Subject: a\r\n\r\nhello\r\n.\rMAIL FROM:<evil@x>\r\n.\r\n", ""},
		{"dot, bare CR, then CR LF", "Subject: a\r\n\r\nhello\r\n.\r\r\n.\r\n", ""},
		{"dot, bare CR in the header section", "Subject: a\r\n.\rX: y\r\n\r\nbody\r\n.\r\n", ""},
		// Rows where normalize accepts what a script sends with LF only.
		{"script with LF lines", "Subject: a\nX-Script: cron\n\nline 1\nline 2\r\n.\r\n",
			"Subject: a\r\nX-Script: cron\r\n\r\nline 1\r\nline 2\r\n"},
		{"LF then CR LF", "Subject: a\r\n\r\nhello\n\r\nworld\r\n.\r\n",
			"Subject: a\r\n\r\nhello\r\n\r\nworld\r\n"},
		{"CR LF then LF", "Subject: a\r\n\r\nhello\r\n\nworld\r\n.\r\n",
			"Subject: a\r\n\r\nhello\r\n\r\nworld\r\n"},
		{"LF and a bare CR", "Subject: a\n\nhello\nwo\rrld\r\n.\r\n", ""},
		{"LF then CR CR LF", "Subject: a\r\n\r\nhello\n\r\r\n.\r\n", ""},
		// LF . LF is no end of data: the session goes on reading, and the
		// real end comes later.
		{"LF . LF is not the end", "Subject: a\n\nhello\n.\n", ""},
	}
	modes := []struct {
		name string
		mode smtpfilter.BareNewline
	}{{"reject", smtpfilter.BareNewlineReject}, {"normalize", smtpfilter.BareNewlineNormalize}}
	for _, m := range modes {
		for _, c := range cases {
			t.Run(m.name+"/"+c.name, func(t *testing.T) {
				h := start(t, options{server: func(cfg *smtpfilter.Config) { cfg.BareNewline = m.mode }})
				r := h.raw()
				r.cmd("EHLO client.test", "250")
				r.cmd("MAIL FROM:<"+sender+">", "250")
				r.cmd("RCPT TO:<"+external+">", "250")
				r.cmd("DATA", "354")
				r.write(c.data)
				if c.name == "LF . LF is not the end" {
					// Not ended yet: the next line is still data.
					r.write("QUIT\r\n.\r\n")
				}
				got := r.reply()
				want := "550 5.6.0"
				if m.mode == smtpfilter.BareNewlineNormalize && c.normalized != "" {
					want = "250 "
				}
				if c.name == "LF . LF is not the end" && m.mode == smtpfilter.BareNewlineNormalize {
					want, c.normalized = "250 ", "Subject: a\r\n\r\nhello\r\n.\r\nQUIT\r\n"
				}
				if !strings.HasPrefix(got, want) {
					t.Fatalf("reply %q, want %s", got, want)
				}
				// Nothing after the end of data ran as a command.
				r.cmd("QUIT", "221")
				msgs := h.sink.Messages()
				if want != "250 " {
					if len(msgs) != 0 {
						t.Errorf("sink holds %d messages, want none", len(msgs))
					}
					return
				}
				if len(msgs) != 1 {
					t.Fatalf("sink holds %d messages, want 1", len(msgs))
				}
				data := string(msgs[0].Data)
				if i := strings.Index(data, "Subject: a\r\n"); i < 0 || data[i:] != c.normalized {
					t.Errorf("sink received\n%q\nwant it to end with\n%q", data, c.normalized)
				}
				if bare := bareLineBreak(data); bare >= 0 {
					t.Errorf("sink received a bare CR or LF at byte %d: %q", bare, data)
				}
			})
		}
	}
}

// bareLineBreak is the offset of the first CR not followed by LF or LF
// not preceded by CR in s, or -1.
func bareLineBreak(s string) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\r' && (i+1 == len(s) || s[i+1] != '\n'):
			return i
		case s[i] == '\n' && (i == 0 || s[i-1] != '\r'):
			return i
		}
	}
	return -1
}
