package notify_test

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/store"
)

// What a sender controls (envelope sender, subject, attachment names, an
// approver's comment) cannot add header fields to a notice, break its
// lines or redirect it: each notice has the fixed set of fields, goes to
// the one address it names, and its lines stay within rfc/5322's 998.
func TestHeldNoticesResistHeaderInjection(t *testing.T) {
	long := strings.Repeat("x", 900)
	h := &store.Held{Ref: "0123abcd", State: store.StateApproval, Sender: `"evil\r\nBcc: spy@evil.example"@example.co.jp`,
		Recipients: []string{"a@client.example.jp"}, Approvers: []string{"boss@example.co.jp"}, Rules: []string{"r"},
		HeldAt: time.Now(), ExpireAt: time.Now().Add(time.Hour), Comment: "no\r\nBcc: spy@evil.example",
		Summary: store.Summary{Subject: "hi\r\nBcc: spy@evil.example\r\n\r\n<script>body" + long,
			Recipients:  []store.Recipient{{Address: "a@client.example.jp\r\nBcc: spy@evil.example", Class: "lookalike", Resembles: "b\r\nX: y"}},
			Attachments: []store.Attachment{{Name: "a\r\nBcc: spy@evil.example\r\n<script>.pdf" + long, Format: "pdf"}},
			Findings:    []store.Finding{{Rule: "r", Action: "approve", Reason: "why\r\nBcc: spy@evil.example", ReasonJA: "理由\r\nBcc: x", Remedy: "a\nb"}}},
	}
	hn := notify.HeldNotices{From: "postmaster@example.co.jp", Hostname: "sendguard.example.co.jp",
		Link: func(ref, role string, exp time.Time) string {
			return "https://sendguard.example.co.jp/h/" + ref + "?t=abc"
		}}
	var all []store.Notice
	all = append(all, hn.Held(h)...)
	all = append(all, hn.Decided(h, store.Refuse, store.Actor{Name: "boss@example.co.jp\r\nBcc: spy@evil.example"})...)
	all = append(all, hn.Expired(h)...)
	all = append(all, hn.Failed(h, "550 no\r\nBcc: spy@evil.example")...)
	all = append(all, hn.Partial(h, []string{"x@y\r\nBcc: z"}, "550\r\nBcc: z")...)
	if len(all) != 6 {
		t.Fatalf("%d notices", len(all))
	}
	want := map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true, "Auto-Submitted": true,
		"X-Auto-Response-Suppress": true, "X-Sendguard-Report": true, "Mime-Version": true, "Content-Type": true}
	for _, n := range all {
		for _, line := range bytes.Split(n.Message, []byte("\r\n")) {
			if len(line) > 998 {
				t.Errorf("%s: a line of %d bytes", n.Kind, len(line))
			}
		}
		m, err := mail.ReadMessage(bytes.NewReader(n.Message))
		if err != nil {
			t.Fatalf("%s: %v", n.Kind, err)
		}
		for k := range m.Header {
			if !want[k] {
				t.Errorf("%s: header field %q", n.Kind, k)
			}
		}
		if len(n.Recipients) != 1 || strings.ContainsAny(n.Recipients[0], "\r\n") {
			t.Errorf("%s: recipients %q", n.Kind, n.Recipients)
		}
		to, err := mail.ParseAddressList(m.Header.Get("To"))
		if err != nil || len(to) != 1 || to[0].Address != n.Recipients[0] {
			t.Errorf("%s: To %q (%v) for envelope %q", n.Kind, m.Header.Get("To"), err, n.Recipients)
		}
		subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if strings.ContainsAny(subj, "\r\n") {
			t.Errorf("%s: subject %q", n.Kind, subj)
		}
		// The parts are the text and the HTML one; the HTML one escapes
		// what the sender wrote.
		r, err := gomail.CreateReader(bytes.NewReader(n.Message))
		if err != nil {
			t.Fatal(err)
		}
		parts := 0
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			parts++
			b, _ := io.ReadAll(p.Body)
			if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct == "text/html" && bytes.Contains(b, []byte("<script>")) {
				t.Errorf("%s: part %d holds a raw <script>", n.Kind, parts)
			}
		}
		if parts != 2 {
			t.Errorf("%s: %d parts", n.Kind, parts)
		}
	}
}
