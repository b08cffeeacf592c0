package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/internal/logcapture"
	"github.com/sendguard/sendguard/internal/postfixtest"
	"github.com/sendguard/sendguard/internal/smtpsink"
)

// gateway is the sendguard binary running as a separate process.
type gateway struct {
	addr    string
	admin   string
	audit   string
	config  string
	baseCfg string
	web     string // the page's address
	dir     string // the configuration's directory (the store is there)
	cmd     *exec.Cmd
	log     *logcapture.Buffer
	exited  chan struct{}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// buildBinary builds cmd/sendguard once per test binary.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sendguard-e2e-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "sendguard")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/sendguard").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startGateway runs `sendguard serve` with a generated configuration plus
// extra TOML appended (policy sections).
func startGateway(t *testing.T, bin, upstream string, extra ...string) *gateway {
	t.Helper()
	return startGatewayWith(t, bin, upstream, "", extra...)
}

// startGatewayWith adds serverKeys to the [server] section.
func startGatewayWith(t *testing.T, bin, upstream, serverKeys string, extra ...string) *gateway {
	t.Helper()
	g := newGateway(t, upstream, serverKeys, "", extra...)
	g.launch(t, bin)
	return g
}

// newGateway writes the configuration (webKeys go into [web]) without
// starting the gateway.
func newGateway(t *testing.T, upstream, serverKeys, webKeys string, extra ...string) *gateway {
	t.Helper()
	dir := t.TempDir()
	g := &gateway{addr: freeAddr(t), admin: freeAddr(t), web: freeAddr(t), dir: dir, audit: filepath.Join(dir, "audit.log"), log: &logcapture.Buffer{}}
	g.baseCfg = fmt.Sprintf(`[server]
listen = %q
hostname = "sendguard.example.co.jp"
allowed_networks = ["127.0.0.0/8"]
spool_dir = %q
%s

[upstream]
address = %q
connect_timeout = "3s"
command_timeout = "10s"

[admin]
listen = %q

[log]
level = "debug"
format = "text"
audit = %q

[web]
listen = %q
%s

[domains]
internal = ["example.co.jp"]
verified = ["partner.example.com"]
`, g.addr, dir, serverKeys, upstream, g.admin, g.audit, g.web, webKeys)
	g.config = filepath.Join(dir, "sendguard.toml")
	g.writeConfig(t, strings.Join(extra, "\n"))
	return g
}

// launch starts `sendguard serve` on the gateway's configuration and
// waits until it listens; the test's end stops it.
func (g *gateway) launch(t *testing.T, bin string) {
	t.Helper()
	g.exited = make(chan struct{})
	cmd := exec.Command(bin, "serve", "--config", g.config)
	cmd.Stderr = g.log
	cmd.Stdout = g.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g.cmd = cmd
	exited := g.exited
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("sendguard log:\n%s", g.log.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", g.addr)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("sendguard exited:\n%s", g.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sendguard did not listen on %s:\n%s", g.addr, g.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeConfig replaces the policy part of the configuration file.
func (g *gateway) writeConfig(t *testing.T, extra string) {
	t.Helper()
	if err := os.WriteFile(g.config, []byte(g.baseCfg+extra+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// submit hands a message to Postfix, as a user's mail client would.
func submit(t *testing.T, addr, from, to string, msg []byte) {
	t.Helper()
	if err := smtp.SendMail(addr, nil, from, []string{to}, msg); err != nil {
		t.Fatalf("submit to Postfix: %v", err)
	}
}

func mail(from, to, subject, body string, attachName string, attach []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%d@e2e.test>\r\nDate: %s\r\nMIME-Version: 1.0\r\n",
		from, to, subject, time.Now().UnixNano(), time.Now().Format(time.RFC1123Z))
	if attach == nil {
		fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n", body)
		return b.Bytes()
	}
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n", body)
	fmt.Fprintf(&b, "--b1\r\nContent-Type: application/zip; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", attachName, attachName)
	enc := base64.StdEncoding.EncodeToString(attach)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b1--\r\n")
	return b.Bytes()
}

func plainZip(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("顧客名簿.csv")
	io.WriteString(w, "山田太郎,090-1234-5678\n")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPostfixRelaysThroughSendguard(t *testing.T) {
	upstream, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()
	mailbox, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer mailbox.Close()

	g := startGateway(t, buildBinary(t), upstream.Addr)
	pf := postfixtest.Start(t, postfixtest.Options{RelayHost: g.addr, LocalDomain: "example.co.jp", MailboxHost: mailbox.Addr})
	const alice, bob = "alice@example.co.jp", "bob@partner.example.com"

	t.Run("pass reaches the upstream", func(t *testing.T) {
		submit(t, pf.SMTPAddr, alice, bob, mail(alice, bob, "定例会議の件", "お世話になっております。", "", nil))
		got := upstream.Wait(1, 30*time.Second)
		if len(got) != 1 {
			t.Fatalf("upstream holds %d messages\npostfix log:\n%s", len(got), pf.Logs())
		}
		data := string(got[0].Data)
		if !strings.Contains(data, "X-Sendguard-Verdict: pass") || !strings.Contains(data, "by sendguard.example.co.jp (sendguard)") {
			t.Errorf("relayed message lacks sendguard's fields:\n%s", data[:min(len(data), 600)])
		}
		if !strings.Contains(data, "by mta.example.co.jp (Postfix)") {
			t.Errorf("relayed message lacks Postfix's Received field")
		}
	})

	t.Run("reject bounces to the sender with the explanation", func(t *testing.T) {
		before := len(upstream.Messages())
		submit(t, pf.SMTPAddr, alice, bob, mail(alice, bob, "名簿送付", "名簿を送ります。", "meibo.zip", plainZip(t)))
		bounces := mailbox.Wait(1, 30*time.Second)
		if len(bounces) != 1 {
			t.Fatalf("sender's mailbox holds %d messages\npostfix log:\n%s", len(bounces), pf.Logs())
		}
		b := string(bounces[0].Data)
		if bounces[0].To[0] != alice {
			t.Errorf("bounce went to %v", bounces[0].To)
		}
		for _, want := range []string{"message/delivery-status", "550", "5.7.1", "[attachment-unencrypted]", "meibo.zip", "password"} {
			if !strings.Contains(b, want) {
				t.Errorf("bounce lacks %q", want)
			}
		}
		if n := len(upstream.Messages()); n != before {
			t.Errorf("rejected message reached the upstream")
		}
	})

	t.Run("upstream trouble defers, then delivers", func(t *testing.T) {
		before := len(upstream.Messages())
		upstream.SetBehaviour(smtpsink.Behaviour{Data: func(smtpsink.Message) *gosmtp.SMTPError {
			return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try later"}
		}})
		submit(t, pf.SMTPAddr, alice, bob, mail(alice, bob, "再送テスト", "本文", "", nil))
		pf.WaitLog(30*time.Second, "status=deferred")
		if pf.QueueIsEmpty() {
			t.Fatalf("message not kept in Postfix's queue\n%s", pf.Logs())
		}
		upstream.SetBehaviour(smtpsink.Behaviour{})
		pf.Flush()
		if got := upstream.Wait(before+1, 30*time.Second); len(got) != before+1 {
			t.Fatalf("deferred message not delivered after recovery\n%s", pf.Logs())
		}
		if !pf.WaitQueueEmpty(30 * time.Second) {
			t.Errorf("Postfix queue not empty")
		}
		if n := len(mailbox.Messages()); n != 1 {
			t.Errorf("sender got %d bounces, want only the one for the reject", n)
		}
	})
}
