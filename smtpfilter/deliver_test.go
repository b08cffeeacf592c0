package smtpfilter_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/internal/smtpsink"
	"github.com/sendguard/sendguard/smtpfilter"
)

// failingReader yields its text, then fails: a stored body whose database
// went away mid-relay (closed at shutdown, connection reset).
type failingReader struct{ r io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("sql: database is closed")
	}
	return n, err
}

// A message whose source fails mid-DATA must not be ended with the final
// dot: the upstream would accept (and deliver) the part sent so far, and
// the retry would deliver the whole message a second time.
func TestDeliverSourceErrorDoesNotSendTruncatedMessage(t *testing.T) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	up := &smtpfilter.SMTPUpstream{Addr: sink.Addr, Helo: "sendguard.test",
		ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second, DataTimeout: 5 * time.Second}
	head := "From: tanaka@example.co.jp\r\nTo: a@client.example.jp\r\nSubject: q\r\n\r\n" + strings.Repeat("first part of the body\r\n", 4000)
	_, err = smtpfilter.Deliver(context.Background(), up, "tanaka@example.co.jp", []string{"a@client.example.jp"}, &failingReader{strings.NewReader(head)})
	if err == nil {
		t.Fatal("Deliver reported success for a message whose source failed")
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(sink.Messages()); n != 0 {
		t.Fatalf("the upstream accepted %d truncated message(s) (%d bytes)", n, len(sink.Messages()[0].Data))
	}
}
