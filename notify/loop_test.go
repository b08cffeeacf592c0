package notify_test

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/sendguard/sendguard/mailheader"
	"github.com/sendguard/sendguard/notify"
)

// TestShouldReport: no report to a null sender, a mail system, automatic or
// list mail, another report, or our own reports — each header case alone.
func TestShouldReport(t *testing.T) {
	const plain = "From: taro@example.co.jp\r\nTo: bob@partner.example.com\r\nSubject: hi\r\n"
	tests := []struct {
		name    string
		from    string
		header  string
		want    bool
		because string
	}{
		{"ordinary message", "taro@example.co.jp", plain, true, ""},
		{"Auto-Submitted: no", "taro@example.co.jp", plain + "Auto-Submitted: no\r\n", true, ""},
		{"Precedence: first-class", "taro@example.co.jp", plain + "Precedence: first-class\r\n", true, ""},
		{"X-Auto-Response-Suppress: OOF", "taro@example.co.jp", plain + "X-Auto-Response-Suppress: OOF\r\n", true, ""},
		{"multipart/mixed", "taro@example.co.jp", plain + "Content-Type: multipart/mixed; boundary=x\r\n", true, ""},

		{"null sender", "", plain, false, "null sender"},
		{"null sender <>", "<>", plain, false, "null sender"},
		{"MAILER-DAEMON", "MAILER-DAEMON@mx.example.co.jp", plain, false, "mailer-daemon"},
		{"postmaster", "Postmaster@example.co.jp", plain, false, "postmaster"},
		{"list owner", "owner-staff@example.co.jp", plain, false, "mailing-list"},
		{"list request", "staff-request@example.co.jp", plain, false, "mailing-list"},
		{"mailman bounces", "staff-bounces+taro=example.co.jp@lists.example.co.jp", plain, false, "mailing-list"},
		{"Auto-Submitted: auto-replied", "taro@example.co.jp", plain + "Auto-Submitted: auto-replied\r\n", false, "Auto-Submitted"},
		{"Auto-Submitted: auto-generated", "taro@example.co.jp", plain + "Auto-Submitted: Auto-Generated (cron)\r\n", false, "Auto-Submitted"},
		{"Auto-Submitted: auto-notified", "taro@example.co.jp", plain + "Auto-Submitted: auto-notified; owner-email=\"a@b\"\r\n", false, "Auto-Submitted"},
		{"Precedence: bulk", "taro@example.co.jp", plain + "Precedence: bulk\r\n", false, "Precedence"},
		{"Precedence: junk", "taro@example.co.jp", plain + "Precedence: JUNK\r\n", false, "Precedence"},
		{"Precedence: list", "taro@example.co.jp", plain + "Precedence: list\r\n", false, "Precedence"},
		{"List-Id", "taro@example.co.jp", plain + "List-Id: Staff <staff.example.co.jp>\r\n", false, "List-Id"},
		{"multipart/report", "taro@example.co.jp", plain + "Content-Type: multipart/report; report-type=delivery-status;\r\n boundary=x\r\n", false, "multipart/report"},
		{"MDN", "taro@example.co.jp", plain + "Content-Type: message/disposition-notification\r\n", false, "report"},
		{"our own report", "taro@example.co.jp", plain + "X-Sendguard-Report: k3v9q2x7m4pa\r\n", false, "sendguard report"},
		{"Exchange automatic mail", "taro@example.co.jp", plain + "X-Auto-Response-Suppress: All\r\n", false, "X-Auto-Response-Suppress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, h := range headers(t, tt.header) {
				got, why := notify.ShouldReport(tt.from, h)
				if got != tt.want {
					t.Errorf("ShouldReport(%q) = %v (%s), want %v", tt.from, got, why, tt.want)
				}
				if !got && !strings.Contains(strings.ToLower(why), strings.ToLower(tt.because)) {
					t.Errorf("reason %q, want it to mention %q", why, tt.because)
				}
			}
		})
	}
}

// headers gives the same header section as each Header implementation the
// gateway may hold.
func headers(t *testing.T, raw string) []notify.Header {
	t.Helper()
	th, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(raw + "\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	return []notify.Header{mailheader.Parse([]byte(raw + "\r\nbody\r\n")), &th}
}

// TestOwnReportIsNotAnswered: a report BuildReport made, fed back in, is not
// answered — the loop is closed by the marker field, Auto-Submitted, the
// content type and the null sender it is sent from.
func TestOwnReportIsNotAnswered(t *testing.T) {
	raw, err := notify.BuildReport(report(t, finding(t, ruleCases[0])))
	if err != nil {
		t.Fatal(err)
	}
	h := mailheader.Parse(raw)
	for _, from := range []string{"", "taro@example.co.jp"} {
		if ok, why := notify.ShouldReport(from, h); ok {
			t.Errorf("own report from %q would be answered (%s)", from, why)
		}
	}
	flag, err := notify.BuildFlagNotice(flagNotice(t))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := notify.ShouldReport("postmaster@example.co.jp", mailheader.Parse(flag)); ok {
		t.Error("own flag notice would be answered")
	}
	if ok, _ := notify.ShouldReport("taro@example.co.jp", mailheader.Parse(flag)); ok {
		t.Error("own flag notice would be answered from any sender")
	}
}

// TestRateLimiter: ten reports per sender per hour by default, refilled over
// the hour, per sender, case-insensitive.
func TestRateLimiter(t *testing.T) {
	now := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l := notify.NewRateLimiter(0, 0, clock)
	for i := 0; i < notify.DefaultRateLimit; i++ {
		if !l.Allow("taro@example.co.jp") {
			t.Fatalf("report %d refused", i+1)
		}
	}
	if l.Allow("TARO@example.co.jp") {
		t.Fatal("report 11 within the hour allowed")
	}
	if !l.Allow("hanako@example.co.jp") {
		t.Fatal("another sender is limited too")
	}
	now = now.Add(5 * time.Minute) // less than 1/10 of the hour
	if l.Allow("taro@example.co.jp") {
		t.Fatal("allowed before a token came back")
	}
	now = now.Add(time.Minute + time.Second) // 6 minutes: one token
	if !l.Allow("taro@example.co.jp") {
		t.Fatal("no token after 6 minutes")
	}
	if l.Allow("taro@example.co.jp") {
		t.Fatal("two tokens after 6 minutes")
	}
	now = now.Add(3 * time.Hour)
	n := 0
	for l.Allow("taro@example.co.jp") {
		n++
	}
	if n != notify.DefaultRateLimit {
		t.Fatalf("after a long pause %d allowed, want a full bucket of %d", n, notify.DefaultRateLimit)
	}

	l2 := notify.NewRateLimiter(2, time.Minute, clock)
	first, second, third := l2.Allow("a@x"), l2.Allow("a@x"), l2.Allow("a@x")
	if !first || !second || third {
		t.Fatal("limit 2 per minute not kept")
	}
	now = now.Add(30 * time.Second)
	if !l2.Allow("a@x") || l2.Allow("a@x") {
		t.Fatal("one token per 30 seconds not kept")
	}
}
