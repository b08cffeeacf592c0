package mailarchive

import (
	"bytes"
	"testing"
)

// FuzzNotMail: any bytes get an answer without a panic; what is taken for
// a mail starts with a header field name and a colon (after an mbox From
// line), and what is not gets a reason.
func FuzzNotMail(f *testing.F) {
	for _, s := range []string{"", "From: a@b\r\n\r\nx", "From a@b Sat\nSubject: x\n\n", "PK\x03\x04", "%PDF-1.7\n", " x: y", ":x", "From \n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		why := NotMail(bytes.NewReader(data), int64(len(data)))
		if why != "" {
			return
		}
		head := data
		if bytes.HasPrefix(head, []byte("From ")) {
			head = head[bytes.IndexByte(head, '\n')+1:]
		}
		i := bytes.IndexByte(head, ':')
		if i <= 0 || bytes.ContainsAny(head[:i], " \t\r\n") {
			t.Fatalf("taken for a mail: %q", data)
		}
	})
}
