// Package wire is the load tool's own SMTP client and counting sink, cut
// down to what a benchmark needs so that the harness costs as little CPU as
// possible on the machine it shares with the server it measures.
//
// The client sends a message that was dot-stuffed once, ahead of time, in a
// single write per transaction; the sink reads DATA in large chunks and finds
// the terminating dot line with bytes.Index, keeping nothing. Both speak
// plain RFC 5321 (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; multi-line
// replies; commands answered in order, so a pipelining client works too).
// Neither is meant for anything but benchmarks: there is no TLS, no AUTH and
// no message is kept.
package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// ReplyError is a reply that was not the one the client expected.
type ReplyError struct {
	Command string
	Code    int
	Text    string
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("%s: %d %s", e.Command, e.Code, e.Text)
}

// Temporary reports whether the reply was a 4xx.
func (e *ReplyError) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// Stuff returns msg dot-stuffed (a "." doubled at every line start) with
// the terminating ".\r\n" line appended, ready to follow a 354 reply. Line
// ends must be CRLF; a message that does not end in CRLF gets one.
func Stuff(msg []byte) []byte {
	out := make([]byte, 0, len(msg)+len(msg)/64+8)
	atStart := true
	for len(msg) > 0 {
		if atStart && msg[0] == '.' {
			out = append(out, '.')
		}
		i := bytes.IndexByte(msg, '\n')
		if i < 0 {
			out = append(out, msg...)
			atStart = false
			break
		}
		out = append(out, msg[:i+1]...)
		msg = msg[i+1:]
		atStart = true
	}
	if !atStart {
		out = append(out, '\r', '\n')
	}
	return append(out, ".\r\n"...)
}

// Client is one SMTP connection.
type Client struct {
	conn    net.Conn
	br      *bufio.Reader
	timeout time.Duration
}

// Dial connects to addr, reads the greeting and says EHLO.
func Dial(addr string, timeout time.Duration) (*Client, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	c := &Client{conn: conn, br: bufio.NewReaderSize(conn, 4096), timeout: timeout}
	c.conn.SetDeadline(time.Now().Add(timeout))
	if err := c.expect("greeting", 220); err != nil {
		conn.Close()
		return nil, err
	}
	if err := c.cmd("EHLO loadgen.example.co.jp", 250); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the connection without QUIT.
func (c *Client) Close() error { return c.conn.Close() }

// Quit says QUIT and closes the connection.
func (c *Client) Quit() error {
	err := c.cmd("QUIT", 221)
	c.conn.Close()
	return err
}

// Reset says RSET.
func (c *Client) Reset() error { return c.cmd("RSET", 250) }

// Send is one transaction: MAIL FROM (with SIZE=size), RCPT TO for each
// recipient, DATA, then the parts of the message (already stuffed by Stuff,
// the first parts may be a header of this copy) in one write, up to the
// reply to the final dot.
func (c *Client) Send(from string, to []string, size int, stuffed ...[]byte) error {
	c.conn.SetDeadline(time.Now().Add(c.timeout))
	if err := c.cmd(fmt.Sprintf("MAIL FROM:<%s> SIZE=%d", from, size), 250); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.cmd("RCPT TO:<"+rcpt+">", 250); err != nil {
			return err
		}
	}
	if err := c.cmd("DATA", 354); err != nil {
		return err
	}
	bufs := net.Buffers(append([][]byte(nil), stuffed...))
	if _, err := bufs.WriteTo(c.conn); err != nil {
		return fmt.Errorf("DATA upload: %w", err)
	}
	return c.expect("end of DATA", 250)
}

func (c *Client) cmd(line string, want int) error {
	if _, err := c.conn.Write([]byte(line + "\r\n")); err != nil {
		return fmt.Errorf("%s: %w", verb(line), err)
	}
	return c.expect(verb(line), want)
}

func verb(line string) string {
	if i := strings.IndexByte(line, ' '); i > 0 {
		return line[:i]
	}
	return line
}

// expect reads one reply (all its lines) and checks its code.
func (c *Client) expect(what string, want int) error {
	var text []string
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("%s: reading the reply: %w", what, err)
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 3 {
			return fmt.Errorf("%s: malformed reply %q", what, line)
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil {
			return fmt.Errorf("%s: malformed reply %q", what, line)
		}
		text = append(text, strings.TrimLeft(line[3:], " -"))
		if len(line) > 3 && line[3] == '-' {
			continue
		}
		if code != want {
			return &ReplyError{Command: what, Code: code, Text: strings.Join(text, " / ")}
		}
		return nil
	}
}

// IsReply reports whether err is a server's reply (the connection is still
// in a known state) rather than a network or protocol failure.
func IsReply(err error) bool {
	var re *ReplyError
	return errors.As(err, &re)
}
