package milter_test

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"

	"github.com/sendguard/sendguard/internal/smtpsink"
	"github.com/sendguard/sendguard/metrics"
	"github.com/sendguard/sendguard/milter"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
)

const plainMail = "From: Taro Yamada <taro@example.co.jp>\r\n" +
	"To: bob@partner.example.com\r\n" +
	"Subject: hello\r\n" +
	"\r\n" +
	"See you tomorrow.\r\n"

// csvMail is the README's meibo.eml: an unencrypted CSV attachment.
const csvMail = "From: Taro Yamada <taro@example.co.jp>\r\n" +
	"To: bob@partner.example.com\r\n" +
	"Subject: meibo\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed;\r\n boundary=\"b\"\r\n" +
	"\r\n" +
	"--b\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"Here is the list.\r\n" +
	"--b\r\n" +
	"Content-Type: text/csv; name=\"meibo.csv\"\r\n" +
	"Content-Disposition: attachment; filename=\"meibo.csv\"\r\n" +
	"\r\n" +
	"name,phone\r\n" +
	"Yamada,090-0000-0000\r\n" +
	"--b--\r\n"

var refRE = regexp.MustCompile(`\(ref ([a-z0-9]+)\)`)

// addedHeaders are the header fields the milter added, "Name: value" as
// the MTA writes them (the milter asked for values with their leading
// space, so it supplies the space itself).
func addedHeaders(mods []gomilter.ModifyAction) []string {
	var out []string
	for _, m := range mods {
		if m.Type == gomilter.ActionAddHeader || m.Type == gomilter.ActionInsertHeader {
			out = append(out, m.HeaderName+":"+m.HeaderValue)
		}
	}
	return out
}

func TestVerdicts(t *testing.T) {
	h := start(t, nil)
	tests := []struct {
		name       string
		to         []string
		msg        string
		wantAction gomilter.ActionType
		wantReply  string // with REF for the reference
		wantHeader string // with REF for the reference
		wantAudit  map[string]any
	}{
		{
			name: "pass: plain text to a verified partner", to: []string{"bob@partner.example.com"}, msg: plainMail,
			wantAction: gomilter.ActionAccept, wantHeader: "X-Sendguard-Verdict: pass",
			wantAudit: map[string]any{"verdict": "pass", "result": "accepted", "reply_code": 250.0},
		},
		{
			name: "flag: an unverified recipient domain", to: []string{"someone@abc-trading.co.jp"}, msg: plainMail,
			wantAction: gomilter.ActionAccept, wantHeader: "X-Sendguard-Verdict: flag; rules=recipient-domain-unverified; ref=REF",
			wantAudit: map[string]any{"verdict": "flag", "result": "accepted", "reply_code": 250.0},
		},
		{
			name: "reject: an unencrypted attachment, the smarthost's reply text", to: []string{"bob@partner.example.com"}, msg: csvMail,
			wantAction: gomilter.ActionRejectWithCode,
			wantReply:  `550 5.7.1 [attachment-unencrypted] attachment "meibo.csv" is not encrypted; zip the file with a password, resend, and send the password in a separate mail (ref REF)`,
			wantAudit:  map[string]any{"verdict": "reject", "result": "rejected", "reply_code": 550.0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(h.auditLines())
			res := h.send("taro@example.co.jp", tt.to, tt.msg)
			lines := h.auditLines()
			if len(lines) != before+1 {
				t.Fatalf("want one new audit line, got %d", len(lines)-before)
			}
			audit := lines[len(lines)-1]
			ref, _ := audit["ref"].(string)
			if ref == "" {
				t.Fatalf("audit line without ref: %v", audit)
			}
			if res.act.Type != tt.wantAction {
				t.Fatalf("action = %v, want %v", res.act, tt.wantAction)
			}
			if tt.wantReply != "" {
				if want := strings.ReplaceAll(tt.wantReply, "REF", ref); res.act.SMTPReply != want {
					t.Errorf("reply\n got %q\nwant %q", res.act.SMTPReply, want)
				}
				if len(res.mods) != 0 {
					t.Errorf("a rejected message was changed: %v", res.mods)
				}
			}
			if tt.wantHeader != "" {
				want := []string{strings.ReplaceAll(tt.wantHeader, "REF", ref)}
				if got := addedHeaders(res.mods); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("added headers %q, want %q", got, want)
				}
			}
			for k, v := range tt.wantAudit {
				if audit[k] != v {
					t.Errorf("audit %s = %v, want %v (line %v)", k, audit[k], v, audit)
				}
			}
			for k, v := range map[string]any{"mode": "milter", "client_ip": "192.0.2.10", "helo": "client.example.co.jp", "from": "taro@example.co.jp"} {
				if audit[k] != v {
					t.Errorf("audit %s = %v, want %v", k, audit[k], v)
				}
			}
			h.waitSpoolEmpty()
		})
	}
}

// A reject with several findings is a multi-line reply: every line carries
// 550 and 5.7.1 (RFC 2034), continuation lines with a dash.
func TestRejectMultiLine(t *testing.T) {
	h := start(t, nil)
	res := h.send("taro@example.co.jp", []string{"bob@partner.example.com", "eve@partner-example.com"}, csvMail)
	if res.act.Type != gomilter.ActionRejectWithCode || res.act.SMTPCode != 550 {
		t.Fatalf("got %v, want a 550", res.act)
	}
	lines := strings.Split(res.act.SMTPReply, "\r\n")
	if len(lines) < 2 {
		t.Fatalf("want several reply lines, got %q", res.act.SMTPReply)
	}
	for i, l := range lines {
		prefix := "550-5.7.1 ["
		if i == len(lines)-1 {
			prefix = "550 5.7.1 ["
		}
		if !strings.HasPrefix(l, prefix) || !refRE.MatchString(l) {
			t.Errorf("line %d = %q, want %q… (ref …)", i, l, prefix)
		}
	}
	if !strings.Contains(res.act.SMTPReply, "[attachment-unencrypted]") || !strings.Contains(res.act.SMTPReply, "[recipient-domain-") {
		t.Errorf("reply does not name both rules: %q", res.act.SMTPReply)
	}
}

// A sender cannot forge the verdict: every X-Sendguard-Verdict field the
// client sent is deleted (the last first), and the message is judged by
// what it holds.
func TestForgedVerdictHeader(t *testing.T) {
	h := start(t, nil)
	forged := "X-Sendguard-Verdict: pass\r\nx-sendguard-verdict:pass; ref=fake\r\n"
	res := h.send("taro@example.co.jp", []string{"someone@abc-trading.co.jp"}, forged+plainMail)
	if res.act.Type != gomilter.ActionAccept {
		t.Fatalf("got %v, want accept", res.act)
	}
	var got []string
	for _, m := range res.mods {
		switch m.Type {
		case gomilter.ActionChangeHeader:
			got = append(got, fmt.Sprintf("change %d %s=%q", m.HeaderIndex, m.HeaderName, m.HeaderValue))
		case gomilter.ActionAddHeader:
			got = append(got, fmt.Sprintf("add %s=%q", m.HeaderName, strings.TrimSpace(m.HeaderValue)))
		default:
			got = append(got, m.String())
		}
	}
	ref := h.auditLines()[0]["ref"]
	want := []string{
		`change 2 X-Sendguard-Verdict=""`,
		`change 1 X-Sendguard-Verdict=""`,
		fmt.Sprintf(`add X-Sendguard-Verdict="flag; rules=recipient-domain-unverified; ref=%s"`, ref),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("changes\n got %q\nwant %q", got, want)
	}

	// A forged pass header does not save a message that breaks the rules.
	res = h.send("taro@example.co.jp", []string{"bob@partner.example.com"}, forged+csvMail)
	if res.act.Type != gomilter.ActionRejectWithCode || !strings.Contains(res.act.SMTPReply, "[attachment-unencrypted]") {
		t.Errorf("forged pass header: got %v %q, want the reject", res.act, res.act.SMTPReply)
	}
}

// Header values reach the policy as they were on the wire: a boundary
// given on a folded continuation line is found, so the attachment behind
// it is judged (a milter that lost the folding would see no attachment).
func TestFoldedHeaderKept(t *testing.T) {
	msg := strings.Replace(csvMail, "Content-Type: multipart/mixed;\r\n boundary=\"b\"", "Content-Type: multipart/mixed;\r\n\tboundary=\"b\";\r\n  charset=us-ascii", 1)
	for _, foldLF := range []bool{false, true} {
		h := start(t, nil)
		h.foldLF = foldLF
		res := h.send("taro@example.co.jp", []string{"bob@partner.example.com"}, msg)
		if res.act.Type != gomilter.ActionRejectWithCode || !strings.Contains(res.act.SMTPReply, `"meibo.csv"`) {
			t.Errorf("folded with LF only %v: got %v %q, want the attachment rejected", foldLF, res.act, res.act.SMTPReply)
		}
	}
}

// A message over max_message_bytes is refused with 552 5.3.4, and only up
// to the limit is ever spooled.
func TestTooLarge(t *testing.T) {
	h := start(t, func(c *milter.Config) { c.MaxMessageBytes = 20000 })
	big := plainMail + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 2000)
	res := h.send("taro@example.co.jp", []string{"bob@partner.example.com"}, big)
	if res.act.Type != gomilter.ActionRejectWithCode || res.act.SMTPCode != 552 || !strings.HasPrefix(res.act.SMTPReply, "552 5.3.4 Message too big") {
		t.Fatalf("got %v %q, want 552 5.3.4", res.act, res.act.SMTPReply)
	}
	audit := h.auditLines()[0]
	if audit["result"] != "rejected" || audit["detail"] != "message too large" || audit["size"].(float64) > 20000 {
		t.Errorf("audit line %v", audit)
	}
	h.waitSpoolEmpty()
}

// A large message is spooled to a temporary file, not held in memory, and
// the file is gone once the message is judged.
func TestLargeMessageSpoolsToDisk(t *testing.T) {
	h := start(t, func(c *milter.Config) { c.MaxMessageBytes = 16 << 20 })
	s := h.session()
	defer s.Close()
	h.ok(s.Mail("taro@example.co.jp", ""))
	h.ok(s.Rcpt("bob@partner.example.com", ""))
	h.ok(s.DataStart())
	head, body, _ := strings.Cut(plainMail, "\r\n\r\n")
	for _, f := range fields(head) {
		name, value, _ := strings.Cut(f, ":")
		h.ok(s.HeaderField(name, value, nil))
	}
	h.ok(s.HeaderEnd())
	h.ok(s.BodyChunk([]byte(body)))
	line := []byte(strings.Repeat("x", 998) + "\r\n")
	chunk := []byte(strings.Repeat(string(line), 60)) // 60 KB
	for range 150 {                                   // 9 MB
		h.ok(s.BodyChunk(chunk))
	}
	// In flight, the message is in one temporary file.
	h.waitSpoolFiles(1)
	_, act, err := s.End()
	if err != nil {
		t.Fatal(err)
	}
	if act.Type != gomilter.ActionAccept {
		t.Errorf("got %v, want accept", act)
	}
	if size := h.auditLines()[0]["size"].(float64); size < 9_000_000 {
		t.Errorf("audit size %v, want the whole message", size)
	}
	h.waitSpoolEmpty()
}

// A message the MTA aborts (RSET, a client gone) leaves no temporary file,
// and the next message on the connection is judged on its own.
func TestAbortThenNextMessage(t *testing.T) {
	h := start(t, func(c *milter.Config) { c.MaxMessageBytes = 16 << 20 })
	s := h.session()
	defer s.Close()
	h.ok(s.Mail("taro@example.co.jp", ""))
	h.ok(s.Rcpt("bob@partner.example.com", ""))
	h.ok(s.DataStart())
	h.ok(s.HeaderField("Subject", " x", nil))
	h.ok(s.HeaderEnd())
	h.ok(s.BodyChunk([]byte(strings.Repeat("y", 60000))))
	h.ok(s.BodyChunk([]byte(strings.Repeat("y", 60000))))
	if err := s.Abort(nil); err != nil {
		t.Fatal(err)
	}
	h.waitSpoolEmpty()
	res := h.sendOn(s, "taro@example.co.jp", []string{"bob@partner.example.com"}, csvMail)
	if res.act.Type != gomilter.ActionRejectWithCode {
		t.Errorf("next message: got %v, want reject", res.act)
	}
	if n := len(h.auditLines()); n != 1 {
		t.Errorf("want one audit line (the aborted message is not judged), got %d", n)
	}
	res = h.sendOn(s, "taro@example.co.jp", []string{"bob@partner.example.com"}, plainMail)
	if res.act.Type != gomilter.ActionAccept {
		t.Errorf("third message: got %v, want accept", res.act)
	}
	lines := h.auditLines()
	if lines[0]["ref"] == lines[1]["ref"] {
		t.Errorf("two messages share the reference %v", lines[0]["ref"])
	}
	h.waitSpoolEmpty()
}

// An MTA that goes away in the middle of a message leaves no temporary
// file behind.
func TestConnectionLostMidMessage(t *testing.T) {
	h := start(t, func(c *milter.Config) { c.MaxMessageBytes = 16 << 20 })
	s := h.session()
	h.ok(s.Mail("taro@example.co.jp", ""))
	h.ok(s.Rcpt("bob@partner.example.com", ""))
	h.ok(s.DataStart())
	h.ok(s.HeaderField("Subject", " x", nil))
	h.ok(s.HeaderEnd())
	for range 5 {
		h.ok(s.BodyChunk([]byte(strings.Repeat("z", 60000))))
	}
	h.waitSpoolFiles(1)
	s.Close()
	h.waitSpoolEmpty()
	if n := len(h.auditLines()); n != 0 {
		t.Errorf("an unfinished message was judged: %d audit lines", n)
	}
}

// A Unix socket listener is made 0660 (the milter protocol has no
// authentication: only its owner and group may connect), replaces a socket
// left by an earlier run, and serves the same verdicts.
func TestUnixSocket(t *testing.T) {
	path := t.TempDir() + "/milter.sock"
	for range 2 { // the second time, the first run's socket file is there
		l, err := milter.Listen("unix:" + path)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o660 {
			t.Errorf("socket mode %04o, want 0660", mode)
		}
		// Leave the file behind as a crashed process would.
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close()
	}
	h := start(t, nil)
	l, err := milter.Listen("unix:" + path)
	if err != nil {
		t.Fatal(err)
	}
	go h.srv.Serve(l)
	c := gomilter.NewClient("unix", path, gomilter.WithReadTimeout(20*time.Second))
	s, err := c.Session(gomilter.NewMacroBag())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h.ok(s.Conn("mta", gomilter.FamilyUnix, 0, ""))
	h.ok(s.Helo("client"))
	res := h.sendOn(s, "taro@example.co.jp", []string{"bob@partner.example.com"}, csvMail)
	if res.act.Type != gomilter.ActionRejectWithCode || !strings.Contains(res.act.SMTPReply, "[attachment-unencrypted]") {
		t.Errorf("over the Unix socket: got %v %q", res.act, res.act.SMTPReply)
	}
}

// Shutdown does not wait for idle MTA connections (Postfix keeps one per
// SMTP session), but lets a message in flight get its verdict first.
func TestShutdown(t *testing.T) {
	h := start(t, nil)
	idle := h.session() // connected, no message
	defer idle.Close()
	busy := h.session()
	defer busy.Close()
	h.ok(busy.Mail("taro@example.co.jp", ""))
	h.ok(busy.Rcpt("bob@partner.example.com", ""))
	h.ok(busy.DataStart())
	h.ok(busy.HeaderField("Subject", " x", nil))
	h.ok(busy.HeaderEnd())
	h.ok(busy.BodyChunk([]byte("hello\r\n")))

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- h.srv.Shutdown(ctx)
	}()
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) while a message was in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	_, act, err := busy.End()
	if err != nil || act.Type != gomilter.ActionAccept {
		t.Fatalf("the message in flight: %v %v, want its verdict (accept)", act, err)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Shutdown still waits, for an idle connection")
	}
	if _, err := net.Dial("tcp", h.addr); err == nil {
		t.Error("still accepting connections after Shutdown")
	}
}

// The milter counts its messages and findings in the smarthost's metrics.
func TestMetrics(t *testing.T) {
	m := metrics.New(nil)
	h := start(t, func(c *milter.Config) { c.Metrics = m })
	h.send("taro@example.co.jp", []string{"bob@partner.example.com"}, plainMail)
	h.send("taro@example.co.jp", []string{"bob@partner.example.com"}, csvMail)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`sendguard_messages_total{result="accepted",verdict="pass"} 1`,
		`sendguard_messages_total{result="rejected",verdict="reject"} 1`,
		`sendguard_findings_total{action="reject",rule="attachment-unencrypted"} 1`,
		`sendguard_inspection_seconds_count 2`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// An MTA speaking an older milter protocol (Postfix's milter_protocol = 2,
// say) gets the same verdicts: every event is answered, and the space the
// MTA swallows after each header colon is put back (the folded boundary
// and the verdict header show it).
func TestOlderProtocolVersions(t *testing.T) {
	for _, v := range []uint32{2, 4} {
		t.Run(fmt.Sprint("version ", v), func(t *testing.T) {
			h := start(t, nil)
			h.version = v
			res := h.send("taro@example.co.jp", []string{"bob@partner.example.com"}, csvMail)
			if res.act.Type != gomilter.ActionRejectWithCode || !strings.Contains(res.act.SMTPReply, `[attachment-unencrypted] attachment "meibo.csv"`) {
				t.Errorf("got %v %q, want the reject", res.act, res.act.SMTPReply)
			}
			res = h.send("taro@example.co.jp", []string{"someone@abc-trading.co.jp"}, "X-Sendguard-Verdict: pass\r\n"+plainMail)
			ref := h.auditLines()[1]["ref"]
			var got []string
			for _, m := range res.mods {
				got = append(got, fmt.Sprintf("%d %d %s:%s", m.Type, m.HeaderIndex, m.HeaderName, m.HeaderValue))
			}
			want := []string{
				fmt.Sprintf("%d 1 X-Sendguard-Verdict:", gomilter.ActionChangeHeader),
				fmt.Sprintf("%d 0 X-Sendguard-Verdict:flag; rules=recipient-domain-unverified; ref=%s", gomilter.ActionAddHeader, ref),
			}
			if res.act.Type != gomilter.ActionAccept || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got %v %q, want accept with %q (no leading space: the MTA adds it)", res.act, got, want)
			}
		})
	}
}

// A flagged message's sender gets the smarthost's flag notice (for a rule
// with flag_notice), sent through the upstream from the null sender; a
// passed message gets none.
func TestFlagNotice(t *testing.T) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	pol, _, err := policy.Compile(policy.Config{
		Domains: policy.DomainsConfig{Internal: []string{"example.co.jp"}, Verified: []string{"partner.example.com"}},
		Rules:   map[string]policy.RuleConfig{"recipient-domain-unverified": {Action: "flag", FlagNotice: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, func(c *milter.Config) {
		c.Policy = func() *policy.Policy { return pol }
		c.Notices = &smtpfilter.Notifier{
			Upstream: &smtpfilter.SMTPUpstream{Addr: sink.Addr, Helo: "sendguard.test",
				ConnectTimeout: 5 * time.Second, CommandTimeout: 10 * time.Second, DataTimeout: 10 * time.Second},
			Explain:  smtpfilter.ExplainConfig{From: "postmaster@example.co.jp"},
			Hostname: "sendguard.test", Log: c.Log,
		}
	})
	h.send("taro@example.co.jp", []string{"bob@partner.example.com"}, plainMail)
	res := h.send("taro@example.co.jp", []string{"someone@abc-trading.co.jp"}, plainMail)
	if res.act.Type != gomilter.ActionAccept {
		t.Fatalf("got %v, want accept", res.act)
	}
	got := sink.Wait(1, 10*time.Second)
	if len(got) != 1 {
		t.Fatalf("sink holds %d messages, want the one notice", len(got))
	}
	ref := h.auditLines()[1]["ref"].(string)
	n := got[0]
	if n.From != "" || fmt.Sprint(n.To) != "[taro@example.co.jp]" || !strings.Contains(string(n.Data), "\r\nX-Sendguard-Report: "+ref+"\r\n") {
		t.Errorf("notice from <%s> to %v:\n%s", n.From, n.To, n.Data[:min(len(n.Data), 600)])
	}
	time.Sleep(200 * time.Millisecond)
	if c := len(sink.Messages()); c != 1 {
		t.Errorf("sink holds %d messages: the passed message got a notice too", c)
	}
}

// Progress messages sent while a long evaluation runs never garble the
// exchange: the MTA still gets the verdict, after progress packets (here
// one every millisecond, counted on the wire).
func TestProgressDuringLongEvaluation(t *testing.T) {
	h := start(t, func(c *milter.Config) {
		c.ProgressInterval = time.Millisecond
		c.MaxMessageBytes = 32 << 20
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counting := &progressCounter{Listener: l}
	go h.srv.Serve(counting)
	hh := *h
	hh.addr = l.Addr().String()
	long := strings.Repeat("お世話になっております。本日の会議の資料は添付のとおりです。\r\n", 60000) // 5 MB
	msg := strings.Replace(csvMail, "Here is the list.\r\n", "Here is the list.\r\n"+long, 1)
	res := hh.send("taro@example.co.jp", []string{"bob@partner.example.com"}, msg)
	if res.act.Type != gomilter.ActionRejectWithCode || !strings.Contains(res.act.SMTPReply, "[attachment-unencrypted]") {
		t.Fatalf("got %v %q, want the reject", res.act, res.act.SMTPReply)
	}
	if n := counting.n.Load(); n == 0 {
		t.Errorf("no progress packet was sent during a %v ms transaction", h.auditLines()[0]["duration_ms"])
	}
}

// progressCounter counts the milter's SMFIR_PROGRESS packets (length 1,
// code 'p') written on the connections it accepts.
type progressCounter struct {
	net.Listener
	n atomic.Int64
}

func (l *progressCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &l.n}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	if string(b) == "\x00\x00\x00\x01p" {
		c.n.Add(1)
	}
	return c.Conn.Write(b)
}

// Reload applies to the next message: a lower max_message_bytes refuses a
// message the previous limit took, on a connection opened before.
func TestReload(t *testing.T) {
	var cfg milter.Config
	h := start(t, func(c *milter.Config) { cfg = *c })
	s := h.session()
	defer s.Close()
	big := plainMail + strings.Repeat("x", 5000) + "\r\n"
	if res := h.sendOn(s, "taro@example.co.jp", []string{"bob@partner.example.com"}, big); res.act.Type != gomilter.ActionAccept {
		t.Fatalf("before the reload: %v", res.act)
	}
	cfg.MaxMessageBytes = 4000
	h.srv.Reload(cfg)
	res := h.sendOn(s, "taro@example.co.jp", []string{"bob@partner.example.com"}, big)
	if res.act.Type != gomilter.ActionRejectWithCode || res.act.SMTPCode != 552 {
		t.Errorf("after the reload: %v %q, want 552", res.act, res.act.SMTPReply)
	}
}
