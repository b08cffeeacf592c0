package smtpfilter_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/internal/smtpsink"
	"github.com/sendguard/sendguard/internal/testcert"
	"github.com/sendguard/sendguard/smtpfilter"
)

func TestUpstreamFailures(t *testing.T) {
	plain := message(sender, external, "s", "本文\n", "", nil)
	cases := []struct {
		name      string
		behaviour smtpsink.Behaviour
		wantCode  int
		wantEnh   string
	}{
		{"upstream 4xx at MAIL", smtpsink.Behaviour{Mail: func(string) *smtp.SMTPError {
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "busy"}
		}}, 451, "4.4."},
		{"upstream 4xx at DATA", smtpsink.Behaviour{Data: func(smtpsink.Message) *smtp.SMTPError {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "queue full"}
		}}, 451, "4.4."},
		{"upstream 5xx at DATA", smtpsink.Behaviour{Data: func(smtpsink.Message) *smtp.SMTPError {
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "spam detected"}
		}}, 554, "5.7.1"},
		{"upstream drops the connection mid-DATA", smtpsink.Behaviour{DropDuringData: 100}, 451, "4.4.2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := start(t, options{})
			h.sink.SetBehaviour(c.behaviour)
			_, err := h.send(h.dial(), sender, []string{external}, plain)
			code, text := smtpCode(err)
			if code != c.wantCode || !strings.HasPrefix(text, c.wantEnh) {
				t.Errorf("client heard %d %s, want %d %s…", code, text, c.wantCode, c.wantEnh)
			}
			if n := len(h.sink.Messages()); n != 0 {
				t.Errorf("sink holds %d messages", n)
			}
			// The session goes on: the next message is relayed once the
			// upstream accepts again.
			h.sink.SetBehaviour(smtpsink.Behaviour{})
			_, err = h.send(h.dial(), sender, []string{external}, plain)
			if code, text := smtpCode(err); code != 250 {
				t.Errorf("after recovery: %d %s", code, text)
			}
		})
	}
}

func TestUpstreamUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	h := start(t, options{upstream: func(string) smtpfilter.Upstream {
		return &smtpfilter.SMTPUpstream{Addr: dead, Helo: "sendguard.test", ConnectTimeout: 2 * time.Second, CommandTimeout: 5 * time.Second}
	}})
	c := h.dial()
	err = c.Mail(sender, nil)
	if code, text := smtpCode(err); code != 451 || !strings.HasPrefix(text, "4.4.1") {
		t.Errorf("upstream down: %d %s, want 451 4.4.1", code, text)
	}
}

func TestUpstreamTimeout(t *testing.T) {
	// A listener that accepts and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	h := start(t, options{upstream: func(string) smtpfilter.Upstream {
		return &smtpfilter.SMTPUpstream{Addr: l.Addr().String(), Helo: "sendguard.test", ConnectTimeout: time.Second, CommandTimeout: 300 * time.Millisecond}
	}})
	err = h.dial().Mail(sender, nil)
	if code, text := smtpCode(err); code != 451 || !strings.HasPrefix(text, "4.4.2") {
		t.Errorf("upstream silent: %d %s, want 451 4.4.2", code, text)
	}
}

func TestUpstreamRecipientRejections(t *testing.T) {
	h := start(t, options{})
	h.sink.SetBehaviour(smtpsink.Behaviour{Rcpt: func(to string) *smtp.SMTPError {
		switch {
		case strings.HasPrefix(to, "unknown@"):
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		case strings.HasPrefix(to, "full@"):
			return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "mailbox full"}
		}
		return nil
	}})
	c := h.dial()
	msg := message(sender, external, "s", "b\n", "", nil)
	rcpts, err := h.send(c, sender, []string{"unknown@partner.example.com", "full@partner.example.com", external}, msg)
	if code, text := smtpCode(rcpts[0]); code != 550 || !strings.HasPrefix(text, "5.1.1") || !strings.Contains(text, "no such user") {
		t.Errorf("RCPT refused upstream with 550: client heard %d %s", code, text)
	}
	if code, text := smtpCode(rcpts[1]); code != 452 || !strings.HasPrefix(text, "4.5.3") {
		t.Errorf("RCPT refused upstream with 552: client heard %d %s, want 452 4.5.3", code, text)
	}
	if code, text := smtpCode(err); code != 250 {
		t.Fatalf("DATA: %d %s", code, text)
	}
	got := h.sink.Wait(1, 5*time.Second)
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != external {
		t.Errorf("sink recipients: %v", got)
	}
}

func TestUpstreamStartTLS(t *testing.T) {
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []smtpfilter.StartTLSMode{smtpfilter.StartTLSOpportunistic, smtpfilter.StartTLSRequired} {
		h := start(t, options{
			sinkOpts: smtpsink.Options{TLS: cert.ServerConfig(), Users: map[string]string{"relay": "pw"}},
			upstream: func(addr string) smtpfilter.Upstream {
				return &smtpfilter.SMTPUpstream{Addr: addr, Helo: "sendguard.test", StartTLS: mode, TLSConfig: cert.ClientConfig(),
					Username: "relay", Password: "pw", ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second, DataTimeout: 5 * time.Second}
			},
		})
		_, err := h.send(h.dial(), sender, []string{external}, message(sender, external, "s", "b\n", "", nil))
		if code, text := smtpCode(err); code != 250 {
			t.Fatalf("mode %v: DATA %d %s", mode, code, text)
		}
		got := h.sink.Wait(1, 5*time.Second)
		if len(got) != 1 || !got[0].TLS || got[0].User != "relay" {
			t.Errorf("mode %v: upstream got %d messages (want 1, over TLS, as user relay)", mode, len(got))
		}
	}
	// Required, but the upstream offers no STARTTLS: the client must retry.
	h := start(t, options{upstream: func(addr string) smtpfilter.Upstream {
		return &smtpfilter.SMTPUpstream{Addr: addr, Helo: "sendguard.test", StartTLS: smtpfilter.StartTLSRequired,
			ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second}
	}})
	if code, text := smtpCode(h.dial().Mail(sender, nil)); code != 451 {
		t.Errorf("required STARTTLS missing upstream: %d %s, want 451", code, text)
	}
}
