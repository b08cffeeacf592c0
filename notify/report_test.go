package notify_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	stdhtml "html"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy/explain"
)

const (
	bodyMarker       = "BODY-MARKER-7f3a9c"
	attachmentMarker = "ATTACHMENT-MARKER-51d2"
	clearPassword    = "Hunter2!xyz"
	testRef          = "k3v9q2x7m4pa"
)

var arrival = time.Date(2026, 11, 26, 5, 3, 5, 0, time.UTC)

// originalMessage is a message as a sender submits it: an ISO-2022-JP
// subject, a body with a marker and a clear password, an attachment with a
// marker.
func originalMessage() []byte {
	att := base64.StdEncoding.EncodeToString([]byte(attachmentMarker + " name,phone\nYamada,090-0000-0000\n"))
	return []byte("From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <taro@example.co.jp>\r\n" +
		"To: bob@partner.example.com, carol@partner-exmaple.com\r\n" +
		"Subject: =?ISO-2022-JP?B?GyRCOCtAUT1xQXdJVSRON28bKEI=?=\r\n" +
		"Date: Thu, 26 Nov 2026 14:03:00 +0900\r\n" +
		"Message-ID: <20261126140300.abc@example.co.jp>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed;\r\n boundary=\"XYZ\"\r\n" +
		"\r\n" +
		"--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"お世話になっております。" + bodyMarker + "\r\nパスワード: " + clearPassword + "\r\n" +
		"--XYZ\r\nContent-Type: application/zip; name=\"meibo.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		att + "\r\n--XYZ--\r\n")
}

// ruleCases is one finding per rule, as the gateway would render it.
var ruleCases = []explain.Input{
	{Rule: "attachment-unencrypted", Variant: explain.VariantArchiveEntries, Evidence: "meibo.zip", Detail: map[string]string{"Part": "2", "Entries": "meibo.csv"}},
	{Rule: "attachment-unscannable", Evidence: "深い.zip", Detail: map[string]string{"Part": "2", "Reason": "archive nesting over the limit (3)"}},
	{Rule: "password-in-body", Variant: explain.VariantProof, Evidence: "meibo.zip", Detail: map[string]string{"Part": "2", "Masked": "Hu****"}},
	{Rule: "recipient-domain-unverified", Evidence: "newclient.example.org"},
	{Rule: "recipient-domain-lookalike", Evidence: "partner-exmaple.com", Detail: map[string]string{"Resembles": "partner.example.com"}},
	{Rule: "recipient-domain-anonymous", Evidence: "guerrillamail.com", Detail: map[string]string{"Service": "Guerrilla Mail"}},
	{Rule: "recipient-domain-unresolvable", Evidence: "partner.example.cmo", Detail: map[string]string{"Reason": "NXDOMAIN"}},
	{Rule: "recipients-exposed", Evidence: "12 external addresses in To/Cc", Detail: map[string]string{"Count": "12", "Threshold": "5"}},
	{Rule: "link-file-sharing", Evidence: "gigafile.nu", Detail: map[string]string{"Service": "ギガファイル便"}},
	{Rule: "link-online-service", Evidence: "docs.google.com", Detail: map[string]string{"Service": "Google Docs"}},
}

func finding(t *testing.T, in explain.Input) notify.Finding {
	t.Helper()
	in.Ref = testRef
	f, err := notify.NewFinding(explain.Default(), in)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func report(t *testing.T, findings ...notify.Finding) notify.Report {
	return notify.Report{
		From:         "postmaster@example.co.jp",
		Sender:       "taro@example.co.jp",
		Recipients:   []string{"bob@partner.example.com", "carol@partner-exmaple.com"},
		Header:       originalMessage(),
		Findings:     findings,
		Ref:          testRef,
		ReportingMTA: "sendguard.example.co.jp",
		Arrival:      arrival,
		Date:         arrival.Add(2 * time.Second),
	}
}

// TestReportGolden writes a report for each rule and compares the mail and
// its decoded text with testdata/golden; each is also checked for its
// structure.
func TestReportGolden(t *testing.T) {
	for _, in := range ruleCases {
		t.Run(in.Rule, func(t *testing.T) {
			f := finding(t, in)
			r := report(t, f)
			raw, err := notify.BuildReport(r)
			if err != nil {
				t.Fatal(err)
			}
			p := checkReport(t, raw, r)
			golden(t, "report-"+in.Rule+".eml", raw)
			var view strings.Builder
			fmt.Fprintf(&view, "Subject: %s\n\n", p.subject(t))
			view.WriteString(strings.ReplaceAll(p.leaf(t, "text/plain").body, "\r\n", "\n"))
			view.WriteString("\n== message/delivery-status\n")
			view.WriteString(strings.ReplaceAll(p.leaf(t, "message/delivery-status").body, "\r\n", "\n"))
			golden(t, "report-"+in.Rule+".txt", []byte(view.String()))
			if got := notify.ReportText(r); got != strings.ReplaceAll(p.leaf(t, "text/plain").body, "\r\n", "\n") {
				t.Errorf("ReportText differs from the mail's text/plain part:\n%s", got)
			}
		})
	}
}

// checkReport parses a report with go-message and asserts what every report
// must be.
func checkReport(t *testing.T, raw []byte, r notify.Report) *parsed {
	t.Helper()
	p := parseMail(t, raw)
	if p.contentType != "multipart/report" || p.params["report-type"] != "delivery-status" {
		t.Fatalf("Content-Type %s %v, want multipart/report; report-type=delivery-status", p.contentType, p.params)
	}
	wantTree := []string{
		"multipart/report",
		"  multipart/alternative",
		"    text/plain",
		"    text/html",
		"  message/delivery-status",
		"  text/rfc822-headers",
	}
	if strings.Join(p.tree, "\n") != strings.Join(wantTree, "\n") {
		t.Fatalf("structure:\n%s\nwant:\n%s", strings.Join(p.tree, "\n"), strings.Join(wantTree, "\n"))
	}
	for k, want := range map[string]string{
		"From":               "\"sendguard\" <postmaster@example.co.jp>",
		"To":                 "<taro@example.co.jp>",
		"Auto-Submitted":     "auto-replied",
		"MIME-Version":       "1.0",
		"X-Sendguard-Report": testRef,
		"In-Reply-To":        "<20261126140300.abc@example.co.jp>",
	} {
		if got := p.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if d, err := time.Parse(time.RFC1123Z, p.header.Get("Date")); err != nil || !d.Equal(r.Date) {
		t.Errorf("Date %q (%v), want %v", p.header.Get("Date"), err, r.Date)
	}
	if id := p.header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@sendguard.example.co.jp>") {
		t.Errorf("Message-ID %q", id)
	}
	// The subject says what happened to the message: it was not sent, and
	// nothing will send it later (it is not held: no 保留).
	if s := p.subject(t); s != notify.ReportSubject || !strings.Contains(s, "未送信") || strings.Contains(s, "保留") || !strings.Contains(s, "was not sent") {
		t.Errorf("Subject %q: want one that says the message was not sent (未送信), not held", s)
	}
	if raw := p.header.Get("Subject"); !strings.HasPrefix(raw, "=?UTF-8?") {
		t.Errorf("Subject not RFC 2047 UTF-8: %q", raw)
	}

	plain, html := p.leaf(t, "text/plain"), p.leaf(t, "text/html")
	html.body = stdhtml.UnescapeString(html.body)
	for _, l := range []leaf{plain, html} {
		if l.params["charset"] != "utf-8" {
			t.Errorf("%s charset %q", l.contentType, l.params["charset"])
		}
	}
	for _, want := range []string{"メールは送信されませんでした", "Your message was not sent", "見積書送付", "参照番号", "Reference", testRef} {
		if !strings.Contains(plain.body, want) {
			t.Errorf("text/plain lacks %q", want)
		}
		if !strings.Contains(html.body, want) {
			t.Errorf("text/html lacks %q", want)
		}
	}
	if ja, en := strings.Index(plain.body, "メールは送信されませんでした"), strings.Index(plain.body, "Your message was not sent"); ja > en {
		t.Error("English comes before Japanese")
	}
	for _, f := range r.Findings {
		for _, s := range []string{f.JA.Summary, f.EN.Summary, f.JA.Rule, f.EN.Rule, f.Rule} {
			if !strings.Contains(plain.body, s) {
				t.Errorf("text/plain lacks %q", s)
			}
		}
		for _, step := range append(f.JA.Steps(), f.EN.Steps()...) {
			if !strings.Contains(plain.body, step) {
				t.Errorf("text/plain lacks step %q", step)
			}
		}
	}

	dsn := p.leaf(t, "message/delivery-status").body
	for _, want := range []string{
		"Reporting-MTA: dns; sendguard.example.co.jp\r\n",
		"Arrival-Date: Thu, 26 Nov 2026 14:03:05 +0900\r\n",
	} {
		if !strings.Contains(dsn, want) {
			t.Errorf("delivery-status lacks %q:\n%s", want, dsn)
		}
	}
	blocks := strings.Split(dsn, "\r\n\r\n")
	if len(blocks) != 1+len(r.Recipients) {
		t.Fatalf("delivery-status has %d blocks, want 1 + %d recipients:\n%s", len(blocks), len(r.Recipients), dsn)
	}
	for i, rcpt := range r.Recipients {
		block := unfold(blocks[i+1])
		for _, want := range []string{"Final-Recipient: rfc822; " + rcpt, "Action: failed", "Status: 5.7.1", "Diagnostic-Code: smtp; 550 5.7.1 ["} {
			if !strings.Contains(block, want) {
				t.Errorf("recipient block %d lacks %q:\n%s", i, want, block)
			}
		}
	}
	for i := 0; i < len(dsn); i++ {
		if dsn[i] >= 0x80 {
			t.Fatalf("delivery-status is not 7-bit: %q", dsn)
		}
	}

	headers := p.leaf(t, "text/rfc822-headers").body
	for _, want := range []string{
		"Subject: =?ISO-2022-JP?B?GyRCOCtAUT1xQXdJVSRON28bKEI=?=\r\n",
		"Message-ID: <20261126140300.abc@example.co.jp>\r\n",
		"Content-Type: multipart/mixed;\r\n boundary=\"XYZ\"\r\n",
	} {
		if !strings.Contains(headers, want) {
			t.Errorf("original headers lack %q:\n%s", want, headers)
		}
	}
	if strings.Contains(headers, "--XYZ") {
		t.Errorf("original headers part holds body lines:\n%s", headers)
	}

	// Never the body, the attachment or the clear password — not in any
	// decoded part, not in the raw bytes.
	all := p.allText() + string(raw)
	for _, never := range []string{bodyMarker, attachmentMarker, clearPassword, "お世話になっております",
		base64.StdEncoding.EncodeToString([]byte(attachmentMarker))[:16]} {
		if strings.Contains(all, never) {
			t.Errorf("report contains %q", never)
		}
	}
	return p
}

func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", " ") }

// TestReportMaskedPassword: with a finding carrying the masked password the
// report shows it masked and never in clear.
func TestReportMaskedPassword(t *testing.T) {
	f := finding(t, explain.Input{Rule: "password-in-body", Variant: explain.VariantProof, Evidence: "meibo.zip",
		Detail: map[string]string{"Masked": "Hu****", "Password": clearPassword}})
	r := report(t, f)
	raw, err := notify.BuildReport(r)
	if err != nil {
		t.Fatal(err)
	}
	p := checkReport(t, raw, r)
	if body := p.leaf(t, "text/plain").body; !strings.Contains(body, "Hu****") {
		t.Errorf("masked password not shown:\n%s", body)
	}
}

// TestReportSeveralFindings: every finding is listed, and a recipient's
// Diagnostic-Code names the finding about it.
func TestReportSeveralFindings(t *testing.T) {
	a := finding(t, ruleCases[0])
	b := finding(t, ruleCases[4])
	b.Recipients = []string{"carol@partner-exmaple.com"}
	r := report(t, a, b)
	raw, err := notify.BuildReport(r)
	if err != nil {
		t.Fatal(err)
	}
	p := checkReport(t, raw, r)
	plain := p.leaf(t, "text/plain").body
	if !strings.Contains(plain, "■ 1. "+a.JA.Summary) || !strings.Contains(plain, "■ 2. "+b.JA.Summary) ||
		!strings.Contains(plain, "■ 2. "+b.EN.Summary) {
		t.Errorf("findings not numbered in order:\n%s", plain)
	}
	blocks := strings.Split(p.leaf(t, "message/delivery-status").body, "\r\n\r\n")
	if !strings.Contains(unfold(blocks[1]), "[attachment-unencrypted]") {
		t.Errorf("bob's diagnostic: %s", blocks[1])
	}
	if !strings.Contains(unfold(blocks[2]), "[recipient-domain-lookalike]") {
		t.Errorf("carol's diagnostic: %s", blocks[2])
	}
}

// TestReportOriginalHeaderBounds: the original header part is cut at a
// field boundary within MaxOriginalHeader, keeps 8-bit headers (as UTF-8
// quoted-printable) and never holds the body even when the caller passes a
// message whose header section ends in a bare-LF blank line.
func TestReportOriginalHeaderBounds(t *testing.T) {
	r := report(t, finding(t, ruleCases[0]))
	r.Header = longHeader("Subject: 生のUTF-8件名\r\n", "X-Filler-%05d: "+strings.Repeat("f", 200)+"\r\n", notify.MaxOriginalHeader+10000)
	_, p, l := qpHeaderPart(t, r)
	if !strings.HasPrefix(l.body, "Subject: 生のUTF-8件名\r\n") || !strings.HasSuffix(l.body, strings.Repeat("f", 200)+"\r\n") {
		t.Errorf("header part not cut at a field boundary: %q … %q", l.body[:40], l.body[len(l.body)-40:])
	}
	if !strings.Contains(p.leaf(t, "text/plain").body, "生のUTF-8件名") {
		t.Error("raw UTF-8 subject not shown")
	}

	// LF line ends: the body still ends the header section.
	r.Header = []byte("Subject: lf\nX-A: 1\n\n" + bodyMarker + "\n")
	raw, err := notify.BuildReport(r)
	if err != nil {
		t.Fatal(err)
	}
	if l := parseMail(t, raw).leaf(t, "text/rfc822-headers"); l.body != "Subject: lf\r\nX-A: 1\r\n" || strings.Contains(string(raw), bodyMarker) {
		t.Errorf("LF message: header part %q", l.body)
	}
}

// TestReportEscaping: values from the message cannot break out of the HTML
// part or forge header fields.
func TestReportEscaping(t *testing.T) {
	f := finding(t, explain.Input{Rule: "attachment-unencrypted", Evidence: `<script>alert("x")</script>.zip`})
	r := report(t, f)
	r.Header = []byte("Subject: <b>bold</b>\r\n =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("\r\nBcc: evil@example.net")) + "?=\r\n\r\n")
	raw, err := notify.BuildReport(r)
	if err != nil {
		t.Fatal(err)
	}
	p := parseMail(t, raw)
	html := p.leaf(t, "text/html").body
	if strings.Contains(html, "<script>") || strings.Contains(html, "<b>bold") {
		t.Errorf("HTML not escaped:\n%s", html)
	}
	if !strings.Contains(html, "&lt;script&gt;") {
		t.Errorf("escaped evidence missing:\n%s", html)
	}
	if p.header.Get("Bcc") != "" || strings.Contains(p.leaf(t, "text/plain").body, "\nBcc: evil") {
		t.Error("a decoded subject forged a line")
	}
}

func TestReportErrors(t *testing.T) {
	good := report(t, finding(t, ruleCases[0]))
	for name, mod := range map[string]func(*notify.Report){
		"null sender":        func(r *notify.Report) { r.Sender = "" },
		"angle null sender":  func(r *notify.Report) { r.Sender = "<>" },
		"injected sender":    func(r *notify.Report) { r.Sender = "a@b.example\r\nBcc: x@y.example" },
		"no recipients":      func(r *notify.Report) { r.Recipients = nil },
		"bad recipient":      func(r *notify.Report) { r.Recipients = []string{"a b@c"} },
		"no findings":        func(r *notify.Report) { r.Findings = nil },
		"bad host":           func(r *notify.Report) { r.ReportingMTA = "host\r\nX: y" },
		"no from":            func(r *notify.Report) { r.From = "" },
		"no arrival":         func(r *notify.Report) { r.Arrival = time.Time{} },
		"display-name from":  func(r *notify.Report) { r.From = "Postmaster <postmaster@example.co.jp>" },
		"comma in recipient": func(r *notify.Report) { r.Recipients = []string{"a@b.example,c@d.example"} },
	} {
		r := good
		mod(&r)
		if _, err := notify.BuildReport(r); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := notify.BuildReport(good); err != nil {
		t.Errorf("good report: %v", err)
	}
}

// TestReportNonASCIIRecipient: an internationalised address is written in
// utf-8-addr-xtext form so the delivery status stays 7-bit.
func TestReportNonASCIIRecipient(t *testing.T) {
	r := report(t, finding(t, ruleCases[3]))
	r.Recipients = []string{"山田@例え.jp"}
	raw, err := notify.BuildReport(r)
	if err != nil {
		t.Fatal(err)
	}
	dsn := parseMail(t, raw).leaf(t, "message/delivery-status").body
	if !strings.Contains(dsn, `Final-Recipient: utf-8; \x{5C71}\x{7530}@\x{4F8B}\x{3048}.jp`) {
		t.Errorf("delivery-status:\n%s", dsn)
	}
}

// TestReportHeaderFolding: every header line of the report stays within 78
// characters where there is a space to fold at.
func TestReportHeaderFolding(t *testing.T) {
	raw, err := notify.BuildReport(report(t, finding(t, ruleCases[4])))
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(raw), "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 78 && strings.Contains(strings.TrimSpace(line[strings.Index(line, ":")+1:]), " ") {
			t.Errorf("header line of %d characters: %q", len(line), line)
		}
		if strings.TrimSpace(line) == "" {
			t.Errorf("whitespace-only header line in:\n%s", head)
		}
	}
}

// TestReportRedactSubject: when the password is in the subject, the report
// neither shows nor returns the subject.
func TestReportRedactSubject(t *testing.T) {
	f := finding(t, explain.Input{Rule: "password-in-body", Variant: explain.VariantPattern,
		Detail: map[string]string{"Where": "subject", "Masked": "Hu****"}})
	r := report(t, f)
	r.Header = []byte("From: taro@example.co.jp\r\nSubject: =?UTF-8?B?" +
		base64.StdEncoding.EncodeToString([]byte("資料 パスワード: "+clearPassword)) + "?=\r\n\t(continued " + clearPassword + ")\r\nX-After: kept\r\n\r\nbody\r\n")
	r.RedactSubject = true
	raw, err := notify.BuildReport(r)
	if err != nil {
		t.Fatal(err)
	}
	p := checkReport2(t, raw)
	if strings.Contains(p.allText()+string(raw), clearPassword) {
		t.Error("the password in the subject reached the report")
	}
	hdrs := p.leaf(t, "text/rfc822-headers").body
	if !strings.Contains(hdrs, "Subject: "+notify.RedactedSubject+"\r\nX-After: kept\r\n") {
		t.Errorf("headers part:\n%s", hdrs)
	}
	if !strings.Contains(p.leaf(t, "text/plain").body, notify.RedactedSubject) {
		t.Error("text does not say the subject was removed")
	}
}

// checkReport2 parses a report and checks its three parts only.
func checkReport2(t *testing.T, raw []byte) *parsed {
	t.Helper()
	p := parseMail(t, raw)
	if len(p.tree) != 6 {
		t.Fatalf("structure %v", p.tree)
	}
	return p
}

// longHeader makes a header section: first, then fields made from format
// with a number until size bytes, then the body marker after the empty
// line.
func longHeader(first, format string, size int) []byte {
	var h bytes.Buffer
	h.WriteString(first)
	for i := 0; h.Len() < size; i++ {
		fmt.Fprintf(&h, format, i)
	}
	h.WriteString("\r\n" + bodyMarker + "\r\n")
	return h.Bytes()
}

// qpHeaderPart builds the report r and returns it, parsed, and its
// text/rfc822-headers part, which must be UTF-8 quoted-printable within
// MaxOriginalHeader; the body must not be in the report.
func qpHeaderPart(t *testing.T, r notify.Report) ([]byte, *parsed, leaf) {
	t.Helper()
	raw, err := notify.BuildReport(r)
	if err != nil {
		t.Fatal(err)
	}
	p := parseMail(t, raw)
	l := p.leaf(t, "text/rfc822-headers")
	if l.params["charset"] != "utf-8" || l.header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("8-bit header part: %v %q", l.params, l.header.Get("Content-Transfer-Encoding"))
	}
	if len(l.body) > notify.MaxOriginalHeader {
		t.Errorf("header part is %d bytes, more than %d", len(l.body), notify.MaxOriginalHeader)
	}
	if strings.Contains(string(raw), bodyMarker) {
		t.Error("body in the report")
	}
	return raw, p, l
}

// TestReportNonUTF8Header: an original header with raw bytes that are not
// UTF-8 (Shift_JIS written without RFC 2047) is returned as UTF-8
// quoted-printable with U+FFFD for those bytes, within MaxOriginalHeader
// and cut at a field boundary — the report is still made and parses.
func TestReportNonUTF8Header(t *testing.T) {
	sjis := "\x8c\xa9\x90\xcf\x8f\x91" // 見積書 in Shift_JIS
	r := report(t, finding(t, ruleCases[0]))
	r.Header = longHeader("Subject: "+sjis+"\r\nFrom: taro@example.co.jp\r\n", "X-Raw-%05d: "+strings.Repeat("\xff", 60)+"\r\n", notify.MaxOriginalHeader)
	_, _, l := qpHeaderPart(t, r)
	if !utf8.ValidString(l.body) || !strings.HasPrefix(l.body, "Subject: \uFFFD") ||
		!strings.Contains(l.body, "\r\nFrom: taro@example.co.jp\r\n") || !strings.HasSuffix(l.body, "\uFFFD\r\n") {
		t.Errorf("header part: %.200q … %q", l.body, l.body[max(0, len(l.body)-40):])
	}
}
