package milter_test

import (
	"strings"
	"testing"

	gomilter "github.com/d--j/go-milter"
)

// FuzzMessage: whatever header fields and body an MTA passes on, the milter
// answers with a verdict — accept with exactly one verdict header added, a
// 550/552 reject, or a 451 — never a broken connection (which the MTA would
// answer with its milter_default_action) and never a temporary file left.
func FuzzMessage(f *testing.F) {
	f.Add("Subject: hi\r\nTo: bob@partner.example.com", []byte("hello\r\n"))
	f.Add(strings.SplitN(csvMail, "\r\n\r\n", 2)[0], []byte(strings.SplitN(csvMail, "\r\n\r\n", 2)[1]))
	f.Add("Content-Type: multipart/mixed; boundary=x\r\nX-Sendguard-Verdict: pass", []byte("--x\r\nContent-Type: application/zip\r\n\r\nPK\x03\x04\r\n--x"))
	f.Add("Content-Transfer-Encoding: base64\r\nContent-Type: message/rfc822", []byte("====\r\n\r\n"))
	h := start(f, nil)
	f.Fuzz(func(t *testing.T, head string, body []byte) {
		if len(body) > 60000 || strings.ContainsRune(head, 0) {
			t.Skip() // one body chunk; the wire cannot carry NUL in a header
		}
		var fields []string
		for _, f := range strings.Split(head, "\r\n") {
			name, _, ok := strings.Cut(f, ":")
			if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") {
				t.Skip() // not a header field an MTA would pass on
			}
			fields = append(fields, f)
		}
		hh := *h
		hh.t = t
		res := hh.send("taro@example.co.jp", []string{"bob@partner.example.com"}, strings.Join(fields, "\r\n")+"\r\n\r\n"+string(body))
		switch res.act.Type {
		case gomilter.ActionAccept:
			n := 0
			for _, m := range res.mods {
				if m.Type == gomilter.ActionAddHeader && m.HeaderName == "X-Sendguard-Verdict" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("accepted with %d verdict headers added: %v", n, res.mods)
			}
		case gomilter.ActionRejectWithCode:
			if c := res.act.SMTPCode; c != 550 && c != 552 && c != 451 {
				t.Errorf("reply code %d: %q", c, res.act.SMTPReply)
			}
		default:
			t.Errorf("answer %v", res.act)
		}
		hh.waitSpoolEmpty()
	})
}
