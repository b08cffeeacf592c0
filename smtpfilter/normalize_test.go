package smtpfilter

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// refNormalize is what bare_newline = "normalize" must make of data: a CR
// before every LF that has none, and whether a bare CR is left.
func refNormalize(data []byte) (out []byte, bareCR bool) {
	for i, c := range data {
		if c == '\n' && (i == 0 || data[i-1] != '\r') {
			out = append(out, '\r')
		}
		if c == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
			bareCR = true
		}
		out = append(out, c)
	}
	return out, bareCR
}

// readAllSized reads r with reads of exactly size bytes (io.ReadAll would
// grow its buffer).
func readAllSized(r io.Reader, size int) ([]byte, error) {
	var out []byte
	p := make([]byte, size)
	for {
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// checkNormalize reads data through a normalizing lineGuard, in chunks of
// every size from the underlying reader and with read buffers of several
// sizes, and compares with refNormalize.
func checkNormalize(t *testing.T, data []byte) {
	t.Helper()
	want, wantBare := refNormalize(data)
	for _, size := range []int{1, 2, 3, 5, 8, 4096} {
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = bytes.NewReader(data)
			if oneByte {
				src = iotest.OneByteReader(src)
			}
			g := &lineGuard{r: src, normalize: true}
			got, err := readAllSized(g, size)
			if err != nil {
				t.Fatalf("%q, reads of %d: %v", data, size, err)
			}
			if g.bare != wantBare {
				t.Fatalf("%q, reads of %d (one byte at a time: %v): bare = %v, want %v", data, size, oneByte, g.bare, wantBare)
			}
			if !wantBare && !bytes.Equal(got, want) {
				t.Fatalf("%q, reads of %d (one byte at a time: %v): got %q, want %q", data, size, oneByte, got, want)
			}
		}
	}
}

func TestLineGuardNormalize(t *testing.T) {
	for _, data := range []string{
		"", "\n", "\r\n", "a\nb\n", "\n\n\n", "a\r\nb\nc\r\n", "a\r", "a\rb\r\n",
		"a\r\r\n", "\r\n\n", "\n\r\n", "x\n.\r\nMAIL FROM:<e@x>\r\n",
		"Subject: s\n\n" + string(bytes.Repeat([]byte("line\n"), 3000)),
	} {
		checkNormalize(t, []byte(data))
	}
}

// TestLineGuardRejectUnchanged: without normalize the bytes pass unchanged
// and a bare LF is recorded.
func TestLineGuardRejectUnchanged(t *testing.T) {
	g := &lineGuard{r: bytes.NewReader([]byte("a\nb\r\n"))}
	got, _ := io.ReadAll(g)
	if string(got) != "a\nb\r\n" || !g.bare {
		t.Errorf("got %q bare=%v, want the bytes unchanged and bare", got, g.bare)
	}
}

func FuzzLineGuardNormalize(f *testing.F) {
	for _, s := range []string{"a\nb\r\n", "\r\r\n", "x\n.\r\n", "\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<14 {
			return
		}
		checkNormalize(t, data)
	})
}
