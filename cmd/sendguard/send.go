package main

import (
	"bytes"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/policy"
)

// sendCmd sends one message: a file given as argument, or one it builds from
// flags (text body and attachments). It prints the server's final reply, so a
// newcomer sees at once what sendguard says.
func sendCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "127.0.0.1:2525", "SMTP server host:port")
	from := fs.String("from", "alice@example.co.jp", "envelope and header sender")
	var to, attach stringList
	fs.Var(&to, "to", "recipient, repeatable")
	fs.Var(&attach, "attach", "file to attach, repeatable")
	subject := fs.String("subject", "sendguard test / テスト送信", "subject")
	body := fs.String("body", "お世話になっております。\n資料をお送りします。\n", "text body")
	starttls := fs.Bool("starttls", false, "use STARTTLS")
	insecure := fs.Bool("insecure", false, "do not verify the server's certificate")
	user := fs.String("user", "", "AUTH PLAIN user name")
	password := fs.String("password", "", "AUTH PLAIN password")
	if err := parseFlags("send", fs, interleaveFlags(args, "json"), stdout); err != nil {
		return err
	}
	if len(to) == 0 {
		return fail(exitUsage, "give at least one --to")
	}
	var msg []byte
	var err error
	switch fs.NArg() {
	case 0:
		msg, err = buildMessage(*from, to, *subject, *body, attach)
	case 1:
		if fs.Arg(0) == "-" {
			msg, err = io.ReadAll(stdin)
		} else {
			msg, err = os.ReadFile(fs.Arg(0))
		}
	default:
		return fail(exitUsage, "at most one MESSAGE.eml")
	}
	if err != nil {
		return fail(exitUsage, "%v", err)
	}

	var c *smtp.Client
	if *starttls {
		c, err = smtp.DialStartTLS(*server, &tls.Config{InsecureSkipVerify: *insecure})
	} else {
		c, err = smtp.Dial(*server)
	}
	if err != nil {
		return fail(75, "connect: %v", err)
	}
	defer c.Close()
	if *user != "" {
		if err := c.Auth(sasl.NewPlainClient("", *user, *password)); err != nil {
			return replyExit(stdout, "AUTH", err)
		}
	}
	if err := c.Mail(*from, nil); err != nil {
		return replyExit(stdout, "MAIL FROM", err)
	}
	accepted := 0
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			printReply(stdout, "RCPT TO <"+rcpt+">", err)
			continue
		}
		accepted++
	}
	if accepted == 0 {
		return fail(2, "no recipient accepted")
	}
	w, err := c.Data()
	if err != nil {
		return replyExit(stdout, "DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fail(75, "send: %v", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return replyExit(stdout, "end of DATA", err)
	}
	fmt.Fprintf(stdout, "250 %s\n", resp.StatusText)
	c.Quit()
	return nil
}

func printReply(w io.Writer, stage string, err error) {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		fmt.Fprintf(w, "%s: %d %d.%d.%d %s\n", stage, se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)
		return
	}
	fmt.Fprintf(w, "%s: %v\n", stage, err)
}

// replyExit prints the reply and turns it into the exit status: 2 for a
// permanent refusal, 75 (EX_TEMPFAIL) for a temporary one.
func replyExit(w io.Writer, stage string, err error) error {
	printReply(w, stage, err)
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code/100 == 5 {
		return &exitError{code: 2, err: errors.New("")}
	}
	return &exitError{code: 75, err: errors.New("")}
}

// buildMessage makes a UTF-8 message with a text body and attachments.
func buildMessage(from string, to []string, subject, body string, attach []string) ([]byte, error) {
	var h mail.Header
	h.SetDate(time.Now())
	h.SetAddressList("From", []*mail.Address{{Address: from}})
	var rcpts []*mail.Address
	for _, a := range to {
		rcpts = append(rcpts, &mail.Address{Address: a})
	}
	h.SetAddressList("To", rcpts)
	h.SetSubject(subject)
	h.Set("Message-Id", "<"+policy.NewRef()+"@sendguard.send>")
	var buf bytes.Buffer
	mw, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	var th mail.InlineHeader
	th.Set("Content-Type", "text/plain; charset=utf-8")
	tw, err := mw.CreateSingleInline(th)
	if err != nil {
		return nil, err
	}
	io.WriteString(tw, body)
	tw.Close()
	for _, p := range attach {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var ah mail.AttachmentHeader
		ct := mime.TypeByExtension(filepath.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		ah.Set("Content-Type", ct)
		ah.SetFilename(filepath.Base(p))
		aw, err := mw.CreateAttachment(ah)
		if err != nil {
			return nil, err
		}
		aw.Write(data)
		aw.Close()
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
