package smtpfilter_test

import (
	"archive/zip"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/internal/logcapture"
	"github.com/sendguard/sendguard/internal/smtpsink"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
)

// harness runs sendguard on loopback in front of a real go-smtp sink.
type harness struct {
	t        *testing.T
	sink     *smtpsink.Sink
	srv      *smtpfilter.Server
	addr     string
	audit    *logcapture.Buffer
	spoolDir string
	cfg      smtpfilter.Config // as started; tests copy it to Reload
}

type options struct {
	policy   policy.Config
	server   func(*smtpfilter.Config)
	sinkOpts smtpsink.Options
	upstream func(sinkAddr string) smtpfilter.Upstream
	listen   string // "" = 127.0.0.1:0
}

func defaultPolicy() policy.Config {
	return policy.Config{Domains: policy.DomainsConfig{
		Internal: []string{"example.co.jp"},
		Verified: []string{"partner.example.com"},
	}}
}

func start(t *testing.T, o options) *harness {
	t.Helper()
	sink, err := smtpsink.Start(o.sinkOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	if o.policy.Domains.Internal == nil {
		o.policy.Domains = defaultPolicy().Domains
	}
	spoolDir := t.TempDir()
	o.policy.Attachments.SpoolDir = spoolDir
	o.policy.Attachments.SpoolMemoryBytes = 4096
	pol, _, err := policy.Compile(o.policy)
	if err != nil {
		t.Fatal(err)
	}
	audit := &logcapture.Buffer{}
	var up smtpfilter.Upstream = &smtpfilter.SMTPUpstream{
		Addr: sink.Addr, Helo: "sendguard.test",
		ConnectTimeout: 5 * time.Second, CommandTimeout: 10 * time.Second, DataTimeout: 10 * time.Second,
	}
	if o.upstream != nil {
		up = o.upstream(sink.Addr)
	}
	cfg := smtpfilter.Config{
		Hostname:            "sendguard.test",
		AllowedNetworks:     []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		MaxMessageBytes:     10 << 20,
		MaxRecipients:       50,
		MaxLineLength:       64 << 10,
		MaxConnections:      50,
		MaxConnectionsPerIP: 50,
		CommandTimeout:      30 * time.Second,
		DataTimeout:         30 * time.Second,
		SpoolDir:            spoolDir,
		SpoolMemoryBytes:    4096,
		Upstream:            up,
		Policy:              func() *policy.Policy { return pol },
		Log:                 slog.New(slog.NewTextHandler(io.Discard, nil)),
		Audit:               slog.New(slog.NewJSONHandler(audit, nil)),
	}
	if o.server != nil {
		o.server(&cfg)
	}
	srv := smtpfilter.New(cfg)
	if o.listen == "" {
		o.listen = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	h := &harness{t: t, sink: sink, srv: srv, addr: l.Addr().String(), audit: audit, spoolDir: spoolDir, cfg: cfg}
	t.Cleanup(func() {
		srv.Close()
		h.assertSpoolEmpty()
	})
	return h
}

// assertSpoolEmpty checks that no temp file is left behind.
func (h *harness) assertSpoolEmpty() {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		entries, _ := os.ReadDir(h.spoolDir)
		if len(entries) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			h.t.Errorf("temp files left in spool dir: %v", names)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dial opens a go-smtp client to sendguard.
func (h *harness) dial() *smtp.Client {
	h.t.Helper()
	c, err := smtp.Dial(h.addr)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// dialTLS opens a client and runs STARTTLS.
func (h *harness) dialTLS(cfg *tls.Config) *smtp.Client {
	h.t.Helper()
	c, err := smtp.DialStartTLS(h.addr, cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// send runs one transaction and returns the reply to DATA (nil = 250) and
// the replies to each RCPT.
func (h *harness) send(c *smtp.Client, from string, to []string, msg []byte) (rcptErrs []error, dataErr error) {
	h.t.Helper()
	if err := c.Mail(from, nil); err != nil {
		return nil, err
	}
	ok := 0
	for _, r := range to {
		err := c.Rcpt(r, nil)
		rcptErrs = append(rcptErrs, err)
		if err == nil {
			ok++
		}
	}
	if ok == 0 {
		c.Reset()
		return rcptErrs, errors.New("no recipient accepted")
	}
	w, err := c.Data()
	if err != nil {
		return rcptErrs, err
	}
	if _, err := w.Write(msg); err != nil {
		return rcptErrs, err
	}
	return rcptErrs, w.Close()
}

// auditLines parses the audit log.
func (h *harness) auditLines() []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(h.audit.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			h.t.Fatalf("audit line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// waitAudit waits for n audit lines (written after the reply).
func (h *harness) waitAudit(n int) []map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines := h.auditLines()
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// smtpCode returns the reply code of err (250 for nil).
func smtpCode(err error) (int, string) {
	if err == nil {
		return 250, ""
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code, fmt.Sprintf("%d.%d.%d %s", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)
	}
	return 0, err.Error()
}

// message builds a CRLF message with an optional attachment.
func message(from, to, subject, body string, attachName string, attach []byte) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%d@test>\r\nMIME-Version: 1.0\r\n", from, to, subject, time.Now().UnixNano())
	if attach == nil {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
		return []byte(b.String())
	}
	b.WriteString("Content-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n\r\n--BOUNDARY\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	fmt.Fprintf(&b, "\r\n--BOUNDARY\r\nContent-Type: application/octet-stream; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", attachName, attachName)
	enc := base64Lines(attach)
	b.WriteString(enc)
	b.WriteString("\r\n--BOUNDARY--\r\n")
	return []byte(b.String())
}

func base64Lines(data []byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var out strings.Builder
	var line []byte
	for i := 0; i < len(data); i += 3 {
		var chunk [3]byte
		n := copy(chunk[:], data[i:])
		v := uint(chunk[0])<<16 | uint(chunk[1])<<8 | uint(chunk[2])
		enc := []byte{alphabet[v>>18&63], alphabet[v>>12&63], alphabet[v>>6&63], alphabet[v&63]}
		if n < 3 {
			enc[3] = '='
		}
		if n < 2 {
			enc[2] = '='
		}
		line = append(line, enc...)
		if len(line) >= 76 {
			out.Write(line)
			out.WriteString("\r\n")
			line = line[:0]
		}
	}
	out.Write(line)
	return out.String()
}

// plainZip makes an unencrypted ZIP with one file.
func plainZip(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, content)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixture reads a file made by testdata/attachments/make.sh.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/attachments/" + name)
	if err != nil {
		t.Fatalf("fixture %s: %v (made by testdata/attachments/make.sh)", name, err)
	}
	return b
}

// rawConn is a line-level SMTP client for what go-smtp's client will not send.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	buf  []byte
}

func (h *harness) raw() *rawConn {
	h.t.Helper()
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	r := &rawConn{t: h.t, conn: c}
	r.expect("220")
	return r
}

func (r *rawConn) write(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.conn, s); err != nil {
		r.t.Fatal(err)
	}
}

// reply reads one (possibly multi-line) reply.
func (r *rawConn) reply() string {
	r.t.Helper()
	r.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	var lines []string
	for {
		line, err := r.readLine()
		if err != nil {
			r.t.Fatalf("reading reply: %v (got %q)", err, lines)
		}
		lines = append(lines, line)
		if len(line) < 4 || line[3] != '-' {
			return strings.Join(lines, "\n")
		}
	}
}

func (r *rawConn) readLine() (string, error) {
	for {
		if i := bytes.Index(r.buf, []byte("\r\n")); i >= 0 {
			line := string(r.buf[:i])
			r.buf = r.buf[i+2:]
			return line, nil
		}
		tmp := make([]byte, 4096)
		n, err := r.conn.Read(tmp)
		r.buf = append(r.buf, tmp[:n]...)
		if err != nil {
			return "", err
		}
	}
}

func (r *rawConn) expect(prefix string) string {
	r.t.Helper()
	got := r.reply()
	if !strings.HasPrefix(got, prefix) {
		r.t.Fatalf("want reply %q..., got %q", prefix, got)
	}
	return got
}

func (r *rawConn) cmd(line, want string) string {
	r.t.Helper()
	r.write(line + "\r\n")
	return r.expect(want)
}
