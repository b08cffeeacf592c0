package notify_test

import (
	"strings"
	"testing"

	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy/explain"
)

// FuzzBuildReport: whatever the original header and the evidence, the
// report parses with go-message into the three parts, and nothing after the
// header section reaches it.
func FuzzBuildReport(f *testing.F) {
	f.Add("Subject: hi\r\nMessage-ID: <a@b>\r\n", "meibo.zip")
	f.Add("Subject: =?ISO-2022-JP?B?GyRCOCtAUT1xQXdJVSRON28bKEI=?=\r\n folded\r\n", "名簿.xlsx")
	f.Add("Subject: \xff\xfe raw\r\nX: \r\r\n", "a\r\n--=_sendguard_x")
	f.Add("no colon line\nSubject: lf only\n", "<b>x</b>")
	f.Add("", "")
	const marker = "QWxsIHlvdXIgYm9keSBhcmUgYmVsb25nIHRvIHVz"
	c := explain.Default()
	f.Fuzz(func(t *testing.T, header, evidence string) {
		fd, _ := notify.NewFinding(c, explain.Input{Rule: "attachment-unencrypted", Evidence: evidence, Ref: testRef})
		r := report(t, fd)
		r.Header = []byte(header + "\r\n\r\n" + marker + "\r\n")
		raw, err := notify.BuildReport(r)
		if err != nil {
			t.Fatal(err)
		}
		p := parseMail(t, raw)
		if len(p.tree) != 6 || p.tree[4] != "  message/delivery-status" || p.tree[5] != "  text/rfc822-headers" {
			t.Fatalf("structure %v", p.tree)
		}
		if strings.Contains(string(raw), marker) || strings.Contains(p.allText(), marker) {
			t.Fatal("text after the header section reached the report")
		}
	})
}
