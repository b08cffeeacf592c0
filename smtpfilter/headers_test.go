package smtpfilter

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/mailheader"
)

// withoutFieldReference is the first implementation of withoutField (it read
// the whole header scan into one slice): the reference the streaming one must
// match byte for byte.
func withoutFieldReference(r io.ReaderAt, size int64, name string) io.Reader {
	scan := min(size, maxHeaderScan)
	head := make([]byte, scan)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	var parts []io.Reader
	var keepFrom int64
	pos := 0
	for pos < len(head) {
		end := bytes.IndexByte(head[pos:], '\n')
		if end < 0 {
			break
		}
		line := head[pos : pos+end+1]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
		next := pos + end + 1
		for next < len(head) && (head[next] == ' ' || head[next] == '\t') {
			e := bytes.IndexByte(head[next:], '\n')
			if e < 0 {
				next = len(head)
				break
			}
			next += e + 1
		}
		if mailheader.IsField(line, name) {
			parts = append(parts, io.NewSectionReader(r, keepFrom, int64(pos)-keepFrom))
			keepFrom = int64(next)
		}
		pos = next
	}
	parts = append(parts, io.NewSectionReader(r, keepFrom, size-keepFrom))
	return io.MultiReader(parts...)
}

func TestWithoutFieldMatchesReference(t *testing.T) {
	fixed := []string{
		"",
		"X-Sendguard-Verdict: pass\r\n\r\nbody\r\n",
		"Subject: a\r\nX-Sendguard-Verdict: flag\r\n\tcontinued\r\n more\r\nFrom: b\r\n\r\nX-Sendguard-Verdict: body\r\n",
		"x-sendguard-verdict  : pass\nSubject: lf only\n\nbody",
		" X-Sendguard-Verdict: leading space\r\n\r\n",
		"X-Sendguard-Verdict-Other: kept\r\nX-Sendguard-Verdicts: kept\r\n\r\n",
		"X-Sendguard-Verdict: no end of line",
		"Subject: a\r\nX-Sendguard-Verdict: cut off\r\n continuation without end",
		"X-Sendguard-Verdict: " + strings.Repeat("long ", 3000) + "\r\nSubject: after a long line\r\n\r\n",
		"Subject: " + strings.Repeat("x", 5000) + "\r\nX-Sendguard-Verdict: after a long line\r\n\r\n",
		"X-Sendguard-Verdict:\r\n \r\n\r\nbody",
		"Subject: a\r\n\r\n",
		// Past the scan limit: the field beyond it is passed on.
		strings.Repeat("X-Filler: "+strings.Repeat("y", 1000)+"\r\n", maxHeaderScan/1012+1) + "X-Sendguard-Verdict: beyond\r\n\r\n",
		"X-Sendguard-Verdict: a\r\n" + strings.Repeat("X-Filler: "+strings.Repeat("y", 1000)+"\r\n", maxHeaderScan/1012) + "X-Sendguard-Verdict: straddles" + strings.Repeat("z", 3000) + "\r\n\r\n",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{
		"X-Sendguard-Verdict: pass", "x-SENDGUARD-verdict:flag", "X-Sendguard-Verdict \t: x", "Subject: s", "From: f",
		" continued", "\tcontinued", "", " ", "X-Sendguard-Verdict", ":", strings.Repeat("w", 300),
	}
	ends := []string{"\r\n", "\n", "\r", ""}
	var generated []string
	for i := 0; i < 3000; i++ {
		var b strings.Builder
		for j := rng.IntN(12); j >= 0; j-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			b.WriteString(ends[rng.IntN(len(ends))])
		}
		generated = append(generated, b.String())
	}
	for _, msg := range append(fixed, generated...) {
		r := strings.NewReader(msg)
		want, _ := io.ReadAll(withoutFieldReference(r, int64(len(msg)), VerdictHeader))
		got, _ := io.ReadAll(withoutField(r, int64(len(msg)), VerdictHeader))
		if !bytes.Equal(got, want) {
			t.Fatalf("message %.80q:\ngot  %.200q\nwant %.200q", msg, got, want)
		}
	}
}

func TestReleasedVerdictField(t *testing.T) {
	for _, c := range []struct {
		flags    []string
		by, want string
	}{
		{nil, "tanaka@example.co.jp", "X-Sendguard-Verdict: pass; released-by=tanaka@example.co.jp; ref=r1\r\n"},
		{[]string{"recipient-domain-unverified", "link-file-sharing"}, "delay", "X-Sendguard-Verdict: flag; rules=recipient-domain-unverified,link-file-sharing; released-by=delay; ref=r1\r\n"},
		// A decider's name never breaks the field or adds one.
		{nil, "a@b\r\nBcc: evil@x; ref=forged", "X-Sendguard-Verdict: pass; released-by=a@bBcc:evil@xref=forged; ref=r1\r\n"},
		{nil, "", "X-Sendguard-Verdict: pass; released-by=unknown; ref=r1\r\n"},
	} {
		if got := ReleasedVerdictField(c.flags, c.by, "r1"); got != c.want {
			t.Errorf("%q: %q, want %q", c.by, got, c.want)
		}
	}
}
