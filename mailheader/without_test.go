package mailheader

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestWithout(t *testing.T) {
	const name = "X-Sendguard-Verdict"
	for _, c := range []struct {
		name, msg, want string
		scan            int64
	}{
		{"removed with its continuation lines",
			"Subject: a\r\nX-Sendguard-Verdict: pass;\r\n\tforged\r\nFrom: b\r\n\r\nbody\r\n",
			"Subject: a\r\nFrom: b\r\n\r\nbody\r\n", 1 << 20},
		{"every one, in any case",
			"x-sendguard-verdict: 1\r\nSubject: a\r\nX-SENDGUARD-VERDICT : 2\r\n\r\nbody\r\n",
			"Subject: a\r\n\r\nbody\r\n", 1 << 20},
		{"the body is not a header",
			"Subject: a\r\n\r\nX-Sendguard-Verdict: pass\r\n",
			"Subject: a\r\n\r\nX-Sendguard-Verdict: pass\r\n", 1 << 20},
		{"other names are kept",
			"X-Sendguard-Verdicts: a\r\nX-Sendguard-Verdict-Other: b\r\n\r\n",
			"X-Sendguard-Verdicts: a\r\nX-Sendguard-Verdict-Other: b\r\n\r\n", 1 << 20},
		{"bare LF line ends",
			"X-Sendguard-Verdict: pass\nSubject: lf\n\nbody",
			"Subject: lf\n\nbody", 1 << 20},
		{"a field beyond the scan is passed on",
			"Subject: aaaaaaaaaa\r\nX-Sendguard-Verdict: pass\r\n\r\n",
			"Subject: aaaaaaaaaa\r\nX-Sendguard-Verdict: pass\r\n\r\n", 10},
		{"a field cut off by the scan is kept",
			"X-Sendguard-Verdict: pass\r\n\r\n",
			"X-Sendguard-Verdict: pass\r\n\r\n", 12},
		{"the last field without a body",
			"Subject: a\r\nX-Sendguard-Verdict: pass\r\n",
			"Subject: a\r\n", 1 << 20},
		{"empty", "", "", 1 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := io.ReadAll(Without(strings.NewReader(c.msg), int64(len(c.msg)), c.scan, name))
			if err != nil || string(got) != c.want {
				t.Errorf("got %q (%v), want %q", got, err, c.want)
			}
		})
	}
}

// FuzzWithout: whatever the message, the result is the message with some
// whole lines of its header section left out — never more bytes, the body
// untouched — and no header line left in it starts the field.
func FuzzWithout(f *testing.F) {
	f.Add("X-Sendguard-Verdict: a\r\n b\r\nSubject: s\r\n\r\nbody")
	f.Add("x-sendguard-verdict:a\nX-Sendguard-Verdict\t:\r\r\n")
	f.Fuzz(func(t *testing.T, msg string) {
		got, err := io.ReadAll(Without(strings.NewReader(msg), int64(len(msg)), 1<<20, "X-Sendguard-Verdict"))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > len(msg) {
			t.Fatalf("%d bytes out of %d", len(got), len(msg))
		}
		rest := got
		for len(rest) > 0 {
			line, after, found := bytes.Cut(rest, []byte("\n"))
			if !found {
				// The last line of a message with no end of line may be a
				// field cut off by the end: kept as it was.
				break
			}
			if len(bytes.TrimRight(line, "\r")) == 0 {
				break // the body
			}
			if IsField(line, "X-Sendguard-Verdict") {
				t.Fatalf("field left in %q (from %q)", got, msg)
			}
			rest = after
		}
	})
}

// BenchmarkWithout: removing the field from a typical message allocates a
// fixed few objects, whatever the body's size, and copies no body bytes.
func BenchmarkWithout(b *testing.B) {
	msg := "Received: from a\r\n\tby b\r\nFrom: a@example.co.jp\r\nTo: b@partner.example.com\r\nSubject: s\r\n" +
		"X-Sendguard-Verdict: pass\r\nMessage-ID: <x@example.co.jp>\r\n\r\n" + strings.Repeat("body line\r\n", 100000)
	r := strings.NewReader(msg)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := io.Copy(io.Discard, Without(r, int64(len(msg)), 1<<20, "X-Sendguard-Verdict")); err != nil {
			b.Fatal(err)
		}
	}
}
