package inspect

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// The fast base64 and quoted-printable decoders of decode.go must give the
// same bytes and the same error as the byte-at-a-time decoders they
// replaced, for every input and every way the input arrives in chunks. The
// old decoders are kept here, unchanged, as the reference.

// b64RefReader is the former b64Reader.
type b64RefReader struct {
	src    io.Reader
	in     []byte
	pend   []byte
	out    []byte
	outBuf []byte
	padded bool
	err    error
}

func (b *b64RefReader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		b.fill()
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

func (b *b64RefReader) fill() {
	if b.in == nil {
		b.in = make([]byte, 32*1024)
	}
	n, rerr := b.src.Read(b.in)
	corrupt := false
	for _, c := range b.in[:n] {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v':
		case c == '=':
			if !b.padded {
				if len(b.pend)%4 < 2 {
					corrupt = true
					break
				}
				b.padded = true
			}
		case b64val(c) >= 0 && !b.padded:
			b.pend = append(b.pend, c)
		default:
			corrupt = true
		}
		if corrupt {
			break
		}
	}
	k := len(b.pend) / 4 * 4
	if (b.padded || corrupt || rerr != nil) && k < len(b.pend) {
		k = len(b.pend)
	}
	if cap(b.outBuf) < k/4*3+3 {
		b.outBuf = make([]byte, k/4*3+3)
	}
	m, _ := base64.RawStdEncoding.Decode(b.outBuf[:cap(b.outBuf)], b.pend[:k])
	b.out = b.outBuf[:m]
	short := k%4 != 0
	b.pend = append(b.pend[:0], b.pend[k:]...)
	switch {
	case corrupt:
		b.err = errCorruptBase64
	case rerr == io.EOF && short && !b.padded:
		b.err = errCorruptBase64
	case rerr != nil:
		b.err = rerr
	}
}

// qpRefReader is the former qpReader.
type qpRefReader struct {
	src *bufio.Reader
	buf []byte
	out []byte
	err error
}

func (q *qpRefReader) Read(p []byte) (int, error) {
	for len(q.out) == 0 {
		if q.err != nil {
			return 0, q.err
		}
		line, err := q.src.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			err = nil
		}
		q.out = q.decodeLine(line)
		q.err = err
	}
	n := copy(p, q.out)
	q.out = q.out[n:]
	return n, nil
}

func (q *qpRefReader) decodeLine(line []byte) []byte {
	dst := q.buf[:0]
	body, eol := line, []byte(nil)
	if n := len(body); n > 0 && body[n-1] == '\n' {
		body, eol = body[:n-1], []byte("\n")
		if n := len(body); n > 0 && body[n-1] == '\r' {
			body, eol = body[:n-1], []byte("\r\n")
		}
		for len(body) > 0 && (body[len(body)-1] == ' ' || body[len(body)-1] == '\t') {
			body = body[:len(body)-1]
		}
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == '=' {
			if i == len(body)-1 {
				eol = nil
				break
			}
			if i+2 < len(body) {
				if h, ok := unhex(body[i+1], body[i+2]); ok {
					dst = append(dst, h)
					i += 2
					continue
				}
			}
		}
		dst = append(dst, c)
	}
	dst = append(dst, eol...)
	q.buf = dst
	return dst
}

var errSource = errors.New("source failed")

// chunkReader hands data out in pseudo-random pieces (sizes from seed; a
// seed of 0 gives it all at once), and ends with io.EOF or, when fail is
// set, errSource; with eofWithData the last piece comes with the error.
type chunkReader struct {
	data        []byte
	rng         *rand.Rand
	max         int
	fail        bool
	eofWithData bool
}

func newChunkReader(data []byte, seed uint64, fail, eofWithData bool) *chunkReader {
	c := &chunkReader{data: data, fail: fail, eofWithData: eofWithData, max: len(data) + 1}
	if seed != 0 {
		c.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		c.max = []int{1, 3, 7, 64, 77, 1000, 40000}[seed%7]
	}
	return c
}

func (c *chunkReader) Read(p []byte) (int, error) {
	end := io.EOF
	if c.fail {
		end = errSource
	}
	if len(c.data) == 0 {
		return 0, end
	}
	n := min(len(p), len(c.data), c.max)
	if c.rng != nil {
		n = 1 + c.rng.IntN(n)
	}
	copy(p, c.data[:n])
	c.data = c.data[n:]
	if len(c.data) == 0 && c.eofWithData {
		return n, end
	}
	return n, nil
}

// readAllSized reads r to its end with reads of varying sizes.
func readAllSized(r io.Reader, seed uint64) ([]byte, error) {
	sizes := []int{1, 2, 5, 57, 512, 4096, 32 * 1024}
	var out []byte
	buf := make([]byte, 32*1024)
	for i := seed; ; i++ {
		p := buf[:sizes[i%uint64(len(sizes))]]
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err != nil {
			return out, err
		}
	}
}

// compareB64 decodes in with the new and the reference decoder, through the
// same chunking, and reports any difference.
func compareB64(in []byte, seed uint64, fail, eofWithData, buffered bool) error {
	src := func() io.Reader {
		var r io.Reader = newChunkReader(in, seed, fail, eofWithData)
		if buffered { // as transferDecoder makes it
			r = bufio.NewReaderSize(r, 32*1024)
		}
		return r
	}
	got, gerr := readAllSized(&b64Reader{src: src()}, seed)
	want, werr := readAllSized(&b64RefReader{src: src()}, seed+3)
	if !bytes.Equal(got, want) || gerr != werr {
		return fmt.Errorf("seed %d fail %v eofWithData %v buffered %v: got %d bytes, %v; want %d bytes, %v (first difference at %d)",
			seed, fail, eofWithData, buffered, len(got), gerr, len(want), werr, firstDiff(got, want))
	}
	return nil
}

func compareQP(in []byte, seed uint64, fail bool) error {
	src := func() *bufio.Reader {
		// A small buffer too, so that long lines come in pieces.
		size := 32 * 1024
		if seed%2 == 1 {
			size = 16
		}
		return bufio.NewReaderSize(newChunkReader(in, seed, fail, seed%3 == 0), size)
	}
	got, gerr := readAllSized(&qpReader{src: src()}, seed)
	want, werr := readAllSized(&qpRefReader{src: src()}, seed+1)
	if !bytes.Equal(got, want) || gerr != werr {
		return fmt.Errorf("seed %d: got %q, %v; want %q, %v", seed, got, gerr, want, werr)
	}
	return nil
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// randomB64 makes base64 text the way mailers and broken mailers write it,
// then damages it a little (or not at all).
func randomB64(rng *rand.Rand) []byte {
	payload := make([]byte, rng.IntN(4000))
	for i := range payload {
		payload[i] = byte(rng.Uint32())
	}
	enc := base64.StdEncoding.EncodeToString(payload)
	if rng.IntN(4) == 0 {
		enc = strings.TrimRight(enc, "=")
	}
	widths := []int{76, 72, 64, 60, 75, 77, 73, 1, 2, 3, 4, 5, 7, 1000, 100000}
	eols := []string{"\r\n", "\n", "\r\n", "\r", "\r\r\n", " \r\n", "\t\n", "\r\n\r\n", "\n\n", "\f\n"}
	w := widths[rng.IntN(len(widths))]
	eol := eols[rng.IntN(len(eols))]
	var b []byte
	if rng.IntN(4) == 0 {
		b = append(b, "  \r\n"[rng.IntN(4):]...)
	}
	for i := 0; i < len(enc); i += w {
		b = append(b, enc[i:min(i+w, len(enc))]...)
		b = append(b, eol...)
	}
	if rng.IntN(3) == 0 {
		b = append(b, "\r\n\r\n  "[rng.IntN(6):]...)
	}
	specials := []byte(" \t\r\n\f\v=*-.!\x00\x80\xffA/+9z")
	switch rng.IntN(3) {
	case 0: // clean
	case 1: // a few changes
		for range 1 + rng.IntN(4) {
			b = mutate(rng, b, specials)
		}
	case 2: // many
		for range 1 + rng.IntN(60) {
			b = mutate(rng, b, specials)
		}
	}
	return b
}

func mutate(rng *rand.Rand, b, specials []byte) []byte {
	pos := 0
	if len(b) > 0 {
		pos = rng.IntN(len(b) + 1)
	}
	c := specials[rng.IntN(len(specials))]
	switch rng.IntN(4) {
	case 0, 1:
		return append(b[:pos], append([]byte{c}, b[pos:]...)...)
	case 2:
		if pos < len(b) {
			b[pos] = c
		}
	case 3:
		if pos < len(b) {
			return append(b[:pos], b[pos+1:]...)
		}
	}
	return b
}

func TestB64MatchesReference(t *testing.T) {
	fixed := []string{
		"", "=", "==", "A", "AB", "ABC", "ABCD", "QUJD\r\nRA==\r\n\r\n", "QUJD*RA==", "QUJDRA", "RA==QUJD",
		"QQ", "QQ=", "QQ==", "QQ===", "Q=", "QUJ=", "QUJ=\r\n", "QUJD\r\nR", "QU\r\nJD\r\n", "QU JD",
		"QUJD\rRA==", "QUJD\r\rRA==", "QUJDRA==\r\nQUJD", "QUJDRA==\r\n=\r\n", "QUJD=\r\n", "QUJDR=A=",
		"QUJD\r\n.\r\n", "\r\n\r\n", "QUJDQUJDQUJD\n", "QUJDQUJDQUJ\nD\n", "QUJDQUJDQ\nUJD\n",
	}
	for _, in := range fixed {
		for seed := range uint64(8) {
			for _, fail := range []bool{false, true} {
				for _, buffered := range []bool{false, true} {
					if err := compareB64([]byte(in), seed, fail, seed%2 == 0, buffered); err != nil {
						t.Errorf("%q: %v", in, err)
					}
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		in := randomB64(rng)
		seed := uint64(i)
		if err := compareB64(in, seed, i%11 == 0, i%3 == 0, i%2 == 0); err != nil {
			t.Fatalf("input %d (%d bytes) %q: %v", i, len(in), truncate(in), err)
		}
	}
}

// TestB64LargeChunks runs inputs longer than one 32 KB fill, so that lines
// and groups straddle fills.
func TestB64LargeChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 40 {
		var in []byte
		for len(in) < 100*1024 {
			in = append(in, randomB64(rng)...)
			// Concatenated pieces have padding in the middle: keep most
			// inputs clean until their end.
			if i%2 == 0 {
				in = bytes.ReplaceAll(in, []byte("="), nil)
			}
		}
		for _, seed := range []uint64{0, uint64(i + 1)} {
			if err := compareB64(in, seed, false, false, true); err != nil {
				t.Fatalf("input %d: %v", i, err)
			}
		}
	}
}

func TestQPMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte("ab =\r\n\t09AFaf\x1b$B\x80=3D=\r\n=e3=81")
	for i := range 3000 {
		in := make([]byte, rng.IntN(300))
		for j := range in {
			in[j] = alphabet[rng.IntN(len(alphabet))]
		}
		if err := compareQP(in, uint64(i), i%7 == 0); err != nil {
			t.Fatalf("input %q: %v", in, err)
		}
	}
}

func truncate(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

func FuzzB64Equivalence(f *testing.F) {
	f.Add([]byte("QUJD\r\nRA==\r\n\r\n"), uint64(0))
	f.Add([]byte("QUJD*RA=="), uint64(1))
	f.Add([]byte("RA==QUJD"), uint64(2))
	f.Add([]byte("QU JD\r\n\tRA\r\n"), uint64(5))
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 8 {
		f.Add(randomB64(rng), uint64(i))
	}
	f.Fuzz(func(t *testing.T, in []byte, seed uint64) {
		for _, buffered := range []bool{false, true} {
			if err := compareB64(in, seed, seed%5 == 4, seed%3 == 0, buffered); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzQPEquivalence(f *testing.F) {
	f.Add([]byte("caf=C3=A9\r\nsoft=\r\nbreak\n"), uint64(0))
	f.Add([]byte("a = b =ZZ c   \r\nend="), uint64(1))
	f.Fuzz(func(t *testing.T, in []byte, seed uint64) {
		if err := compareQP(in, seed, seed%5 == 4); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkB64Decode: one 145 KB attachment, 76-character CRLF lines.
func BenchmarkB64Decode(b *testing.B) {
	payload := make([]byte, 145000)
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range payload {
		payload[i] = byte(rng.Uint32())
	}
	enc := base64.StdEncoding.EncodeToString(payload)
	var in []byte
	for i := 0; i < len(enc); i += 76 {
		in = append(in, enc[i:min(i+76, len(enc))]...)
		in = append(in, "\r\n"...)
	}
	for _, ref := range []bool{false, true} {
		name := "fast"
		if ref {
			name = "reference"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				src := bufio.NewReaderSize(bytes.NewReader(in), 32*1024)
				var r io.Reader = &b64Reader{src: src}
				if ref {
					r = &b64RefReader{src: src}
				}
				if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(payload)) {
					b.Fatal(n, err)
				}
			}
		})
	}
}

// decodeBase64Groups gives what the standard decoder gives for whole groups,
// and fails where it fails.
func TestBase64GroupsMatchStd(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		raw := make([]byte, rng.IntN(120))
		for j := range raw {
			raw[j] = byte(rng.IntN(256))
		}
		src := []byte(base64.RawStdEncoding.EncodeToString(raw))
		src = src[:len(src)&^3]
		if i%3 == 0 && len(src) > 0 {
			src[rng.IntN(len(src))] = "=\r\n -_.!\x00\xff"[rng.IntN(10)]
		}
		checkBase64Groups(t, src)
	}
}

func FuzzBase64Groups(f *testing.F) {
	f.Add([]byte("QUJD"))
	f.Add([]byte("QUJDREVGR0g="))
	f.Fuzz(func(t *testing.T, src []byte) {
		checkBase64Groups(t, src[:len(src)&^3])
	})
}

func checkBase64Groups(t *testing.T, src []byte) {
	t.Helper()
	if bytes.ContainsAny(src, "\r\n") {
		// The standard decoder skips line breaks; decodeBase64Groups is
		// never given any, and refuses them.
		if _, ok := decodeBase64Groups(make([]byte, len(src)/4*3+8), src); ok {
			t.Fatalf("%q: a line break decoded", src)
		}
		return
	}
	want := make([]byte, len(src)/4*3+8)
	wn, err := base64.RawStdEncoding.Decode(want, src)
	got := make([]byte, len(src)/4*3+8)
	n, ok := decodeBase64Groups(got, src)
	if ok != (err == nil) {
		t.Fatalf("%q: ok %v, standard decoder %v", src, ok, err)
	}
	if ok && (n != wn || !bytes.Equal(got[:n], want[:wn])) {
		t.Fatalf("%q: %x, standard decoder %x", src, got[:n], want[:wn])
	}
}
