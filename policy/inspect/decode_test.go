package inspect

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

func TestBase64Reader(t *testing.T) {
	payload := bytes.Repeat([]byte("sendguard\x00\xff"), 50)
	enc := base64.StdEncoding.EncodeToString(payload)
	var wrapped strings.Builder
	for i := 0; i < len(enc); i += 76 {
		wrapped.WriteString(enc[i:min(i+76, len(enc))] + "\r\n")
	}
	tests := []struct {
		name, in string
		want     []byte
		corrupt  bool
	}{
		{"wrapped", wrapped.String(), payload, false},
		{"indented lines", strings.ReplaceAll(wrapped.String(), "\r\n", "\r\n  \t"), payload, false},
		{"padding then blank lines", "QUJD\r\nRA==\r\n\r\n", []byte("ABCD"), false},
		{"bad character", "QUJD*RA==", []byte("ABC"), true},
		{"missing padding", "QUJDRA", []byte("ABCD"), true},
		{"data after padding", "RA==QUJD", []byte("D"), true},
		{"empty", "", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := transferDecoder("base64", strings.NewReader(tc.in))
			got, err := io.ReadAll(r)
			if tc.corrupt != errors.Is(err, errCorruptBase64) {
				t.Errorf("err = %v, corrupt want %v", err, tc.corrupt)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestQuotedPrintableReader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"caf=C3=A9\r\n", "café\r\n"},
		{"soft=\r\nbreak\n", "softbreak\n"},
		{"lower =e3=81=82\n", "lower あ\n"},
		{"trailing blanks   \r\nnext", "trailing blanks\r\nnext"},
		{"a = b =ZZ c\n", "a = b =ZZ c\n"},
		{"\x1b$B$3\x1b(B\n", "\x1b$B$3\x1b(B\n"},
		{"end=", "end"},
	}
	for _, tc := range tests {
		r, _ := transferDecoder("quoted-printable", strings.NewReader(tc.in))
		got, err := io.ReadAll(r)
		if err != nil || string(got) != tc.want {
			t.Errorf("%q → %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestUUDecode(t *testing.T) {
	data := []byte("The quick brown fox jumps over the lazy dog, 0123456789 times.\x00\x01\x02")
	// Encoded with uuencode(1).
	block := "begin 644 fox.txt\n" +
		"M5&AE('%U:6-K(&)R;W=N(&9O>\"!J=6UP<R!O=F5R('1H92!L87IY(&1O9RP@\n" +
		"4,#$R,S0U-C<X.2!T:6UE<RX``0(`\n" +
		"`\nend\n"
	var text strings.Builder
	var got []byte
	var gotName string
	err := scanUU(strings.NewReader("before\n"+block+"after\n"), func(l []byte) { text.Write(l) },
		func(name []byte, r io.Reader) error {
			gotName = string(name)
			var err error
			got, err = io.ReadAll(r)
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	if gotName != "fox.txt" || !bytes.Equal(got, data) {
		t.Errorf("block %q = %q, want fox.txt = %q", gotName, got, data)
	}
	if text.String() != "before\nafter\n" {
		t.Errorf("text %q", text.String())
	}
	// Classic encoders write zero bits as blanks, which get stripped in
	// transit: "#" alone is three zero bytes.
	err = scanUU(strings.NewReader("begin 644 z\n#\n \nend\n"), func([]byte) {}, func(_ []byte, r io.Reader) error {
		got, err = io.ReadAll(r)
		return err
	})
	if err != nil || !bytes.Equal(got, []byte{0, 0, 0}) {
		t.Errorf("stripped blanks: %q, %v", got, err)
	}
	// Corrupt line.
	err = scanUU(strings.NewReader("begin 644 x\nM{{{{\nend\n"), func([]byte) {}, func(_ []byte, r io.Reader) error {
		_, err := io.ReadAll(r)
		if !errors.Is(err, errUUCorrupt) {
			t.Errorf("corrupt block: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSplitterBoundaries(t *testing.T) {
	body := "preamble\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b \t\r\n\r\ntwo\r\n--bb\r\nstill two\r\n--b--\r\nepilogue\r\n"
	sp := newSplitter(strings.NewReader(body), "b")
	var parts []string
	for p := sp.Next(); p != nil; p = sp.Next() {
		b, _ := io.ReadAll(p)
		parts = append(parts, string(b))
	}
	sp.Drain()
	want := []string{"Content-Type: text/plain\r\n\r\none", "\r\ntwo\r\n--bb\r\nstill two"}
	if len(parts) != 2 || parts[0] != want[0] || parts[1] != want[1] || sp.missingEnd || sp.afterEnd {
		t.Errorf("parts %q missingEnd=%v afterEnd=%v", parts, sp.missingEnd, sp.afterEnd)
	}
}

func TestGuessEncoding(t *testing.T) {
	for _, s := range []string{"お世話になっております", "ｶﾀｶﾅと漢字", "①②③"} {
		sj := sjisString(t, s)
		if got := decodeGuess([]byte(sj)); got != s {
			t.Errorf("Shift_JIS %q → %q", s, got)
		}
		euc, _ := eucEncode(s)
		if got := decodeGuess([]byte(euc)); got != s && !strings.ContainsRune(s, '①') {
			t.Errorf("EUC-JP %q → %q", s, got)
		}
		if got := decodeGuess([]byte(jisString(t, s))); got != s && !strings.ContainsRune(s, 'ｶ') {
			t.Errorf("ISO-2022-JP %q → %q", s, got)
		}
	}
}

// The splitter's bulk copies give the parts line-by-line reading gives, for
// generated bodies with boundary look-alikes, bare CR and LF, long lines,
// missing and extra boundaries, in every read size.
func TestSplitterBulkMatchesLines(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	pieces := []string{
		"--b", "--b--", "--b ", "--bb", "--", "-", "b", "text", "", ".", "\r", "=", " ",
		strings.Repeat("L", 300), strings.Repeat("M", 20000), "--b\t", "x--b",
	}
	ends := []string{"\r\n", "\n", "\r", ""}
	split := func(body string, lineOnly bool, inWrap func(io.Reader) io.Reader, readSize int) (parts []string, flags [3]bool) {
		sp := newSplitter(inWrap(strings.NewReader(body)), "b")
		sp.lineOnly = lineOnly
		defer sp.release()
		for p := sp.Next(); p != nil; p = sp.Next() {
			var got []byte
			buf := make([]byte, readSize)
			for {
				n, err := p.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					break
				}
			}
			parts = append(parts, string(got))
		}
		sp.Drain()
		return parts, [3]bool{sp.missingEnd, sp.afterEnd, sp.parts > 0}
	}
	wraps := []func(io.Reader) io.Reader{
		func(r io.Reader) io.Reader { return r },
		iotest.HalfReader,
		iotest.OneByteReader,
	}
	for i := 0; i < 1500; i++ {
		var b strings.Builder
		for j := rng.IntN(40); j >= 0; j-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			b.WriteString(ends[rng.IntN(len(ends))])
		}
		body := b.String()
		want, wantFlags := split(body, true, wraps[0], 32<<10)
		for _, readSize := range []int{1, 7, 100, 32 << 10} {
			wrap := wraps[rng.IntN(len(wraps))]
			got, gotFlags := split(body, false, wrap, readSize)
			if gotFlags != wantFlags || len(got) != len(want) {
				t.Fatalf("body %.200q, read size %d: %d parts %v, line by line %d parts %v", body, readSize, len(got), gotFlags, len(want), wantFlags)
			}
			for k := range got {
				if got[k] != want[k] {
					t.Fatalf("body %.200q, read size %d, part %d:\n%.200q\nline by line:\n%.200q", body, readSize, k+1, got[k], want[k])
				}
			}
		}
	}
}
