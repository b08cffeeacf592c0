package smtpfilter_test

import (
	"strings"
	"testing"
)

// TestBareLineEndings sends DATA with bare CR / bare LF (SMTP smuggling,
// CVE-2023-51764 family): never relayed, refused with 550 5.6.0, and the
// session answers at once even when the last line ends in a bare CR (which
// leaves go-smtp v0.25.1's DATA reader waiting).
func TestBareLineEndings(t *testing.T) {
	cases := []struct {
		name string
		data string
	}{
		{"bare LF smuggling", "Subject: a\r\n\r\nhello\n.\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nsmuggled\r\n.\r\n"},
		{"bare LF dot bare LF", "Subject: a\r\n\r\nhello\n.\nMAIL FROM:<evil@x>\r\n.\r\n"},
		{"bare CR in a line", "Subject: a\r\n\r\nhel\rlo\r\n.\r\n"},
		{"last line ends in a bare CR", "Subject: a\r\n\r\nhello\r\r\n.\r\n"},
		{"bare CR before the dot", "Subject: a\r\n\r\nhello\r.\r\n.\r\n"},
		// A line "." CR x: the reader used to drop the dot and the CR, so
		// the bare CR went unseen and the message was relayed altered.
		{"dot then bare CR at a line start", "Subject: a\r\n\r\nhello\r\n.\rMAIL FROM:<evil@x>\r\n.\r\n"},
		{"dot, bare CR, then CR LF", "Subject: a\r\n\r\nhello\r\n.\r\r\n.\r\n"},
		{"dot, bare CR in the header section", "Subject: a\r\n.\rX: y\r\n\r\nbody\r\n.\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := start(t, options{})
			r := h.raw()
			r.cmd("EHLO client.test", "250")
			r.cmd("MAIL FROM:<"+sender+">", "250")
			r.cmd("RCPT TO:<"+external+">", "250")
			r.cmd("DATA", "354")
			r.write(c.data)
			got := r.reply()
			if !strings.HasPrefix(got, "550 5.6.0") {
				t.Fatalf("reply %q, want 550 5.6.0", got)
			}
			if n := len(h.sink.Messages()); n != 0 {
				t.Errorf("sink holds %d messages", n)
			}
		})
	}
}
