package smtpfilter

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/policy"
)

// CaptureUpstream is the embedded default upstream: instead of relaying, it
// writes each accepted message into Dir as one .eml file, with the envelope
// prepended as "Return-Path:" and one "X-Envelope-To:" per recipient. A file
// appears under its final name only when it is complete (written to Dir/tmp,
// then renamed), so a reader of Dir never sees half a message.
type CaptureUpstream struct {
	Dir string
}

// Connect checks that the directory can be written.
func (u *CaptureUpstream) Connect(context.Context) (Conn, error) {
	if err := os.MkdirAll(filepath.Join(u.Dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("capture directory: %w", err)
	}
	return &captureConn{dir: u.Dir}, nil
}

type captureConn struct {
	dir  string
	from string
	to   []string
}

func (c *captureConn) Mail(from string, _ *smtp.MailOptions) error {
	c.from, c.to = from, nil
	return nil
}

func (c *captureConn) Rcpt(to string, _ *smtp.RcptOptions) error {
	c.to = append(c.to, to)
	return nil
}

func (c *captureConn) Data(r io.Reader) (string, error) {
	id := time.Now().UTC().Format("20060102T150405.000000000Z") + "-" + policy.NewRef()
	tmp := filepath.Join(c.dir, "tmp", id+".eml")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return "", fmt.Errorf("capture: %w", err)
	}
	var env strings.Builder
	fmt.Fprintf(&env, "Return-Path: <%s>\r\n", c.from)
	for _, to := range c.to {
		fmt.Fprintf(&env, "X-Envelope-To: <%s>\r\n", to)
	}
	_, err = io.WriteString(f, env.String())
	if err == nil {
		_, err = io.Copy(f, r)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(c.dir, id+".eml"))
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("capture: %w", err)
	}
	return "captured as " + id + ".eml", nil
}

func (c *captureConn) Reset() error {
	c.from, c.to = "", nil
	return nil
}

func (c *captureConn) Close() error { return nil }

// Ping checks that the capture directory can be written.
func (u *CaptureUpstream) Ping(context.Context) error {
	dir := filepath.Join(u.Dir, "tmp")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "ping-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}
