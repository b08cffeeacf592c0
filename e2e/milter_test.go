package e2e

import (
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/internal/postfixtest"
	"github.com/sendguard/sendguard/internal/smtpsink"
)

// startMilterGateway runs `sendguard serve` with [milter] listen on a free
// loopback port and waits until the milter answers.
func startMilterGateway(t *testing.T, upstream string) (*gateway, string) {
	t.Helper()
	milterAddr := freeAddr(t)
	g := startGateway(t, buildBinary(t), upstream, fmt.Sprintf("[milter]\nlisten = %q\n", milterAddr))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", milterAddr)
		if err == nil {
			c.Close()
			return g, milterAddr
		}
		if time.Now().After(deadline) {
			t.Fatalf("milter did not listen on %s:\n%s", milterAddr, g.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// smtpReply is the SMTP reply an error from net/smtp carries.
func smtpReply(err error) (int, string) {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code, te.Msg
	}
	return 0, ""
}

// TestPostfixMilterMode: a real Postfix calls sendguard as a milter
// (smtpd_milters) and relays directly to the next hop; the verdicts are the
// smarthost's: pass and flag reach the next hop with the header, a reject is
// Postfix's 550 with sendguard's text, and with sendguard down Postfix applies
// milter_default_action.
func TestPostfixMilterMode(t *testing.T) {
	upstream, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()

	g, milterAddr := startMilterGateway(t, upstream.Addr)
	pf := postfixtest.Start(t, postfixtest.Options{RelayHost: upstream.Addr, MainCF: map[string]string{
		"smtpd_milters":          "inet:" + milterAddr,
		"milter_protocol":        "6",
		"milter_default_action":  "tempfail",
		"milter_connect_timeout": "5s",
		"milter_content_timeout": "300s",
	}})
	const alice, bob, unverified = "alice@example.co.jp", "bob@partner.example.com", "info@abc-trading.co.jp"
	refRE := regexp.MustCompile(`ref=([a-z0-9]+)`)

	t.Run("pass reaches the next hop with the header", func(t *testing.T) {
		before := len(upstream.Messages())
		submit(t, pf.SMTPAddr, alice, bob, mail(alice, bob, "定例会議の件", "お世話になっております。", "", nil))
		got := upstream.Wait(before+1, 30*time.Second)
		if len(got) != before+1 {
			t.Fatalf("next hop holds %d messages\npostfix log:\n%s", len(got), pf.Logs())
		}
		data := string(got[before].Data)
		if n := strings.Count(data, "X-Sendguard-Verdict:"); n != 1 || !strings.Contains(data, "X-Sendguard-Verdict: pass\r\n") {
			t.Errorf("want one X-Sendguard-Verdict: pass field, got %d in:\n%s", n, head(data))
		}
		if !strings.Contains(data, "お世話になっております。") {
			t.Errorf("body not delivered as sent")
		}
	})

	t.Run("flag reaches the next hop with its rules; a forged header is gone", func(t *testing.T) {
		before := len(upstream.Messages())
		msg := append([]byte("X-Sendguard-Verdict: pass\r\nx-sendguard-verdict:pass; ref=fake\r\n"), mail(alice, unverified, "ご挨拶", "はじめまして。", "", nil)...)
		submit(t, pf.SMTPAddr, alice, unverified, msg)
		got := upstream.Wait(before+1, 30*time.Second)
		if len(got) != before+1 {
			t.Fatalf("next hop holds %d messages\npostfix log:\n%s", len(got), pf.Logs())
		}
		data := string(got[before].Data)
		if n := strings.Count(data, "X-Sendguard-Verdict:"); n != 1 || !strings.Contains(data, "X-Sendguard-Verdict: flag; rules=recipient-domain-unverified; ref=") {
			t.Errorf("want only sendguard's flag field, got %d fields in:\n%s", n, head(data))
		}
		if strings.Contains(strings.ToLower(data), "ref=fake") {
			t.Errorf("the client's lower-case verdict field went through")
		}
		m := refRE.FindStringSubmatch(data)
		if m == nil {
			t.Fatalf("no reference in the header")
		}
		var line string
		for _, l := range strings.Split(readFile(t, g.audit), "\n") {
			if strings.Contains(l, `"ref":"`+m[1]+`"`) {
				line = l
			}
		}
		for _, want := range []string{`"mode":"milter"`, `"result":"accepted"`, `"verdict":"flag"`, `"queue_id":"`, `"to":["` + unverified + `"]`} {
			if !strings.Contains(line, want) {
				t.Errorf("audit line for ref %s lacks %s: %s", m[1], want, line)
			}
		}
		if strings.Contains(line, `"queue_id":""`) {
			t.Errorf("audit line without Postfix's queue id: %s", line)
		}
	})

	t.Run("reject is Postfix's 550 with sendguard's text", func(t *testing.T) {
		before := len(upstream.Messages())
		err := smtp.SendMail(pf.SMTPAddr, nil, alice, []string{bob}, mail(alice, bob, "名簿送付", "名簿を送ります。", "meibo.zip", plainZip(t)))
		code, text := smtpReply(err)
		if code != 550 {
			t.Fatalf("Postfix answered %v, want 550\npostfix log:\n%s", err, pf.Logs())
		}
		want := regexp.MustCompile(`^5\.7\.1 \[attachment-unencrypted\] attachment "meibo\.zip" holds files that are not encrypted \([^)]*\.csv\); .*\(ref [a-z0-9]+\)$`)
		if !want.MatchString(text) {
			t.Errorf("reply text %q\nwant %v", text, want)
		}
		time.Sleep(500 * time.Millisecond)
		if n := len(upstream.Messages()); n != before {
			t.Errorf("the rejected message reached the next hop")
		}
		if !pf.QueueIsEmpty() {
			t.Errorf("Postfix queued the rejected message")
		}
	})

	t.Run("several findings: every line of the multi-line reply", func(t *testing.T) {
		err := smtp.SendMail(pf.SMTPAddr, nil, alice, []string{bob, "eve@partner-example.com"}, mail(alice, bob, "名簿送付", "名簿を送ります。", "meibo.zip", plainZip(t)))
		code, text := smtpReply(err)
		lines := strings.Split(text, "\n")
		if code != 550 || len(lines) < 2 {
			t.Fatalf("Postfix answered %v, want a multi-line 550", err)
		}
		for i, l := range lines {
			if !strings.HasPrefix(l, "5.7.1 [") || !strings.Contains(l, "(ref ") {
				t.Errorf("line %d: %q", i, l)
			}
		}
	})

	t.Run("a 50 MB message: judged with flat memory, no temporary file left", func(t *testing.T) {
		spool := filepath.Dir(g.config) // the test configuration's spool_dir
		hwm := func() int64 {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.cmd.Process.Pid))
			if err != nil {
				t.Skipf("no /proc: %v", err)
			}
			for _, l := range strings.Split(string(b), "\n") {
				if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					return kb << 10
				}
			}
			t.Skip("no VmHWM")
			return 0
		}
		before := hwm()
		blob := make([]byte, 35<<20) // 50 MB (48 MiB) in base64
		rand.New(rand.NewSource(1)).Read(blob)
		began := time.Now()
		err := smtp.SendMail(pf.SMTPAddr, nil, alice, []string{bob}, mail(alice, bob, "大きな資料", "資料です。", "data.bin", blob))
		code, text := smtpReply(err)
		if code != 550 || !strings.Contains(text, "[attachment-unencrypted]") || !strings.Contains(text, "data.bin") {
			t.Fatalf("Postfix answered %v, want the 550 for data.bin\n%s", err, pf.Logs())
		}
		t.Logf("50 MB through Postfix and the milter in %v; sendguard peak RSS %d MB before, %d MB after", time.Since(began).Round(time.Millisecond), before>>20, hwm()>>20)
		if grew := hwm() - before; grew > 64<<20 {
			t.Errorf("sendguard's peak memory grew by %d MB for a 50 MB message", grew>>20)
		}
		entries, _ := os.ReadDir(spool)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "sendguard-spool-") {
				t.Errorf("temporary file left: %s", e.Name())
			}
		}
	})

	t.Run("sendguard down: milter_default_action tempfail", func(t *testing.T) {
		g.cmd.Process.Signal(os.Interrupt)
		select {
		case <-g.exited:
		case <-time.After(40 * time.Second):
			t.Fatal("sendguard did not stop")
		}
		before := len(upstream.Messages())
		err := smtp.SendMail(pf.SMTPAddr, nil, alice, []string{bob}, mail(alice, bob, "定例会議の件", "本文", "", nil))
		code, text := smtpReply(err)
		if code/100 != 4 {
			t.Fatalf("Postfix answered %v, want a 4xx (milter_default_action = tempfail)\n%s", err, pf.Logs())
		}
		t.Logf("Postfix with sendguard down: %d %s", code, text)
		if n := len(upstream.Messages()); n != before {
			t.Errorf("a message went out unchecked")
		}
	})
}

func head(s string) string { return s[:min(len(s), 800)] }

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
