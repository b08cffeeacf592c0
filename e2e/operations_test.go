package e2e

import (
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sendguard/sendguard/internal/smtpsink"
)

// scrape reads /metrics and returns the value of one sample, 0 when absent.
func scrape(t *testing.T, g *gateway, name string, labels map[string]string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	fam, ok := families[name]
	if !ok {
		return 0
	}
next:
	for _, m := range fam.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return 0
}

// sendDirect sends one message straight to sendguard and returns the reply
// code to DATA.
func sendDirect(t *testing.T, addr, from, to string, msg []byte) int {
	t.Helper()
	return sendFrom(t, addr, nil, from, to, msg)
}

// sendFrom sends one message from the loopback address ip (nil: any) and
// returns the first reply code that was not 2xx (250 when all went
// through).
func sendFrom(t *testing.T, addr string, ip net.IP, from, to string, msg []byte) int {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if ip != nil {
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c := gosmtp.NewClient(conn)
	defer c.Close()
	err = c.SendMail(from, []string{to}, strings.NewReader(string(msg)))
	if err == nil {
		return 250
	}
	if se, ok := err.(*gosmtp.SMTPError); ok {
		return se.Code
	}
	t.Fatalf("send: %v", err)
	return 0
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetricsHealthAndReload(t *testing.T) {
	upstream, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()
	g := startGateway(t, buildBinary(t), upstream.Addr)
	const alice, bob = "alice@example.co.jp", "bob@partner.example.com"
	zipMsg := mail(alice, bob, "名簿", "送ります", "meibo.zip", plainZip(t))

	if code, body := get(t, "http://"+g.admin+"/healthz"); code != 200 {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := get(t, "http://"+g.admin+"/readyz"); code != 200 {
		t.Errorf("/readyz with the upstream up: %d %s", code, body)
	}

	if code := sendDirect(t, g.addr, alice, bob, mail(alice, bob, "s", "本文", "", nil)); code != 250 {
		t.Fatalf("pass: %d", code)
	}
	if code := sendDirect(t, g.addr, alice, bob, zipMsg); code != 550 {
		t.Fatalf("reject: %d", code)
	}
	if v := scrape(t, g, "sendguard_messages_total", map[string]string{"verdict": "pass", "result": "relayed"}); v != 1 {
		t.Errorf("messages pass/relayed = %v, want 1", v)
	}
	if v := scrape(t, g, "sendguard_messages_total", map[string]string{"verdict": "reject", "result": "rejected"}); v != 1 {
		t.Errorf("messages reject/rejected = %v, want 1", v)
	}
	if v := scrape(t, g, "sendguard_findings_total", map[string]string{"rule": "attachment-unencrypted", "action": "reject"}); v != 1 {
		t.Errorf("findings attachment-unencrypted = %v, want 1", v)
	}
	if v := scrape(t, g, "sendguard_inspection_seconds", nil); v != 2 {
		t.Errorf("inspection observations = %v, want 2", v)
	}

	// A valid new policy applies to the next message.
	g.writeConfig(t, "[rules.attachment-unencrypted]\naction = \"flag\"\n")
	g.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, func() bool {
		return scrape(t, g, "sendguard_policy_reloads_total", map[string]string{"result": "ok"}) == 1
	})
	if code := sendDirect(t, g.addr, alice, bob, zipMsg); code != 250 {
		t.Errorf("after reload to flag: %d, want 250", code)
	}
	got := upstream.Wait(2, 5*time.Second)
	if len(got) != 2 || !strings.Contains(string(got[1].Data), "X-Sendguard-Verdict: flag; rules=attachment-unencrypted") {
		t.Errorf("flagged message not relayed with its header")
	}

	// An invalid policy is refused; the previous one stays.
	g.writeConfig(t, "[rules.attachment-unencrypted]\naction = \"explode\"\n")
	g.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, func() bool {
		return scrape(t, g, "sendguard_policy_reloads_total", map[string]string{"result": "error"}) == 1
	})
	if code := sendDirect(t, g.addr, alice, bob, zipMsg); code != 250 {
		t.Errorf("after a refused reload: %d, want 250 (flag policy kept)", code)
	}
	if !strings.Contains(g.log.String(), "rules.attachment-unencrypted.action") {
		t.Errorf("refused reload did not log the bad key")
	}

	// The upstream going away makes the gateway unready.
	upstream.Close()
	time.Sleep(5100 * time.Millisecond) // readiness is cached for 5 s
	if code, _ := get(t, "http://"+g.admin+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the upstream down: %d, want 503", code)
	}
}

func TestSIGTERMMidData(t *testing.T) {
	upstream, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()
	g := startGateway(t, buildBinary(t), upstream.Addr)
	c, err := net.Dial("tcp", g.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := &lineReader{c: c}
	for _, step := range []struct{ send, want string }{
		{"", "220"}, {"EHLO mta.test\r\n", "250"}, {"MAIL FROM:<alice@example.co.jp>\r\n", "250"},
		{"RCPT TO:<bob@partner.example.com>\r\n", "250"}, {"DATA\r\n", "354"},
	} {
		if step.send != "" {
			io.WriteString(c, step.send)
		}
		if got := r.reply(t); !strings.HasPrefix(got, step.want) {
			t.Fatalf("after %q: %q", step.send, got)
		}
	}
	io.WriteString(c, "Subject: in flight\r\n\r\n"+strings.Repeat("本文\r\n", 500))
	g.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond) // let the signal arrive mid-DATA
	io.WriteString(c, ".\r\n")
	got := r.reply(t)
	switch {
	case strings.HasPrefix(got, "250"):
		if n := len(upstream.Wait(1, 5*time.Second)); n != 1 {
			t.Errorf("client heard 250 but the upstream holds %d messages", n)
		}
	case strings.HasPrefix(got, "421"):
		if n := len(upstream.Messages()); n != 0 {
			t.Errorf("client heard 421 but the message was relayed")
		}
	default:
		t.Fatalf("mid-DATA at SIGTERM: %q, want 250 or 421", got)
	}
	select {
	case <-g.exited:
	case <-time.After(40 * time.Second):
		t.Fatal("sendguard did not exit after SIGTERM")
	}
	if code := g.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type lineReader struct {
	c   net.Conn
	buf []byte
}

func (r *lineReader) reply(t *testing.T) string {
	t.Helper()
	r.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	var lines []string
	for {
		for {
			if i := strings.Index(string(r.buf), "\r\n"); i >= 0 {
				line := string(r.buf[:i])
				r.buf = r.buf[i+2:]
				lines = append(lines, line)
				if len(line) < 4 || line[3] != '-' {
					return strings.Join(lines, "\n")
				}
				continue
			}
			break
		}
		tmp := make([]byte, 4096)
		n, err := r.c.Read(tmp)
		r.buf = append(r.buf, tmp[:n]...)
		if err != nil {
			t.Fatalf("read reply: %v (have %q)", err, lines)
		}
	}
}
