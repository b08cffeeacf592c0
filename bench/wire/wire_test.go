package wire

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/emersion/go-smtp"
)

var bodies = []string{
	"",
	"Subject: x\r\n\r\nhello\r\n",
	".\r\n",
	"..\r\n.x\r\n",
	"Subject: x\r\n\r\n.\r\n..\r\nend",
	"a\r\n.\r\nb\r\n", // a dot line inside the message
	strings.Repeat("0123456789abcdef\r\n.leading dot\r\n", 9000),
}

// Stuff gives the bytes textproto's dot writer puts on the wire.
func TestStuffMatchesTextproto(t *testing.T) {
	for _, b := range bodies[1:] { // textproto sends an empty line for an empty message
		var want bytes.Buffer
		w := textproto.NewWriter(bufio.NewWriter(&want)).DotWriter()
		io.WriteString(w, b)
		w.Close()
		if got := Stuff([]byte(b)); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("Stuff(%.40q) = %.60q, want %.60q", b, got, want.Bytes())
		}
	}
}

// readData stops right after the end line, whatever the read sizes, and
// leaves the next command unread.
func TestReadData(t *testing.T) {
	for _, b := range bodies {
		stuffed := Stuff([]byte(b))
		in := append(append([]byte(nil), stuffed...), "QUIT\r\n"...)
		for _, r := range []io.Reader{bytes.NewReader(in), iotest.OneByteReader(bytes.NewReader(in)), iotest.HalfReader(bytes.NewReader(in))} {
			br := bufio.NewReaderSize(r, 16)
			n, err := readData(br)
			if err != nil {
				t.Fatalf("%.40q: %v", b, err)
			}
			if want := int64(len(stuffed) - 3); n != want {
				t.Errorf("%.40q: %d bytes before the end line, want %d", b, n, want)
			}
			if rest, _ := io.ReadAll(br); string(rest) != "QUIT\r\n" {
				t.Errorf("%.40q: left %q after the data", b, rest)
			}
		}
	}
	if _, err := readData(bufio.NewReader(strings.NewReader("no end\r\n"))); err == nil {
		t.Error("data without its end line: no error")
	}
}

// The client's messages reach the sink, and a real SMTP client (go-smtp's)
// can use the sink too.
func TestClientAndSink(t *testing.T) {
	sink, c := sinkAndClient(t)
	msg := []byte("Subject: hi\r\n\r\n.dot\r\nbody\r\n")
	for i := 0; i < 3; i++ {
		if err := c.Send("a@example.co.jp", []string{"b@example.com", "c@example.com"}, len(msg), []byte("X-Seq: 1\r\n"), Stuff(msg)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if err := c.Reset(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}

	gc, err := smtp.Dial(sink.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := gc.SendMail("a@example.co.jp", []string{"b@example.com"}, bytes.NewReader(msg)); err != nil {
		t.Fatalf("go-smtp client: %v", err)
	}
	gc.Quit()
	if got := sink.Count(); got != 4 {
		t.Errorf("sink counted %d messages, want 4", got)
	}
	if got, want := sink.Bytes(), int64(3*(len("X-Seq: 1\r\n")+len(msg)+1)+len(msg)+1); got != want {
		t.Errorf("sink counted %d bytes, want %d", got, want)
	}
}

// A reply other than the expected one is a ReplyError with its code.
func TestReplyError(t *testing.T) {
	_, c := sinkAndClient(t)
	defer c.Close()
	err := c.cmd("VRFY x", 250)
	if !IsReply(err) || err.(*ReplyError).Code != 502 {
		t.Fatalf("VRFY: %v, want a 502 reply", err)
	}
}

// sinkAndClient starts a sink (closed at the end of the test) and connects
// a client to it.
func sinkAndClient(t *testing.T) (*Sink, *Client) {
	t.Helper()
	sink, err := StartSink()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	c, err := Dial(sink.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return sink, c
}
