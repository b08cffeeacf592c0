package e2e

import (
	"crypto/tls"
	"path/filepath"
	"syscall"
	"testing"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/internal/smtpsink"
	"github.com/sendguard/sendguard/internal/testcert"
)

// servedSerial connects with STARTTLS and returns the serial number of the
// certificate the gateway presents.
func servedSerial(t *testing.T, addr string) string {
	t.Helper()
	c, err := gosmtp.DialStartTLS(addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Noop(); err != nil { // the handshake happens on first use
		t.Fatal(err)
	}
	st, ok := c.TLSConnectionState()
	if !ok || len(st.PeerCertificates) == 0 {
		t.Fatal("no TLS")
	}
	return st.PeerCertificates[0].SerialNumber.String()
}

// TestTLSCertificateReload: a renewed certificate is served after SIGHUP,
// without a restart.
func TestTLSCertificateReload(t *testing.T) {
	upstream, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()
	dir := t.TempDir()
	first, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := first.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	g := startGatewayWith(t, buildBinary(t), upstream.Addr,
		`tls_cert = "`+filepath.ToSlash(certFile)+`"`+"\n"+`tls_key = "`+filepath.ToSlash(keyFile)+`"`)

	before := servedSerial(t, g.addr)
	renewed, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := renewed.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	g.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, func() bool {
		return scrape(t, g, "sendguard_policy_reloads_total", map[string]string{"result": "ok"}) == 1
	})
	after := servedSerial(t, g.addr)
	if before == after {
		t.Errorf("the renewed certificate is not served after SIGHUP (serial %s)", after)
	}
	if want := renewed.Cert.Leaf; want != nil && want.SerialNumber.String() != after {
		t.Errorf("served serial %s, want the renewed %s", after, want.SerialNumber)
	}
	if again := servedSerial(t, g.addr); again != after {
		t.Errorf("serial changed again without a reload")
	}
}
