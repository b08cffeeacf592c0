package encryption

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// Any mix of ReadByte and Read, over any split of the underlying reads,
// gives the stream decrypted in one go, then the underlying reader's error.
func TestZipCryptoReaderByteAndBulk(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 300; i++ {
		raw := make([]byte, rng.IntN(3*readAhead))
		for j := range raw {
			raw[j] = byte(rng.IntN(256))
		}
		want := append([]byte(nil), raw...)
		k := newZipCryptoKeys([]byte("secret123"))
		k.decrypt(want)

		var src io.Reader = bytes.NewReader(raw)
		if i%2 == 1 {
			src = iotest.HalfReader(src)
		}
		z := &zipCryptoReader{r: src, k: newZipCryptoKeys([]byte("secret123"))}
		var got []byte
		var err error
		for err == nil {
			if rng.IntN(3) == 0 {
				buf := make([]byte, rng.IntN(700)+1)
				var n int
				n, err = z.Read(buf)
				got = append(got, buf[:n]...)
			} else {
				var c byte
				if c, err = z.ReadByte(); err == nil {
					got = append(got, c)
				}
			}
		}
		if err != io.EOF {
			t.Fatalf("stream %d: error %v, want EOF", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("stream %d (%d bytes): decrypted differently", i, len(raw))
		}
	}
}
