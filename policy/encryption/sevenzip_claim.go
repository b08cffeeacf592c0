package encryption

// A 7z folder's encryption claim held against its packed data.

import (
	"crypto/aes"
	"fmt"
	"io"
)

// sevenZipClaims holds each encrypted folder's claim against its packed
// data (see zipclaim.go for the principle): 7zAES is AES-256-CBC, so a
// packed stream it reads is whole 16-byte blocks of ciphertext — not a
// known file format, not far from random.
func (s *scanner) sevenZipClaims(r io.ReaderAt, size int64, st *szStreams) error {
	for i := range st.folders {
		f := &st.folders[i]
		if !f.encrypted() {
			continue
		}
		for k := range f.packed {
			p := f.packIndex + k
			n := int64(st.packSizes[p])
			if n%aes.BlockSize != 0 {
				return fmt.Errorf("7z folder %d claims AES-256 but its packed stream (%d bytes) is not whole AES blocks", i, n)
			}
			m := min(n, randomSample)
			if !s.charge(m) {
				return fmt.Errorf("7z archive exceeds the %d-byte limit", s.lim.MaxBytes)
			}
			sample, err := readAt(r, size, st.packOffset(p), m)
			if err != nil {
				return fmt.Errorf("7z packed stream unreadable: %v", err)
			}
			if Identify(sample) != FormatUnknown || !looksRandom(sample) {
				return fmt.Errorf("7z folder %d claims AES-256 but its packed data is readable, not ciphertext", i)
			}
		}
	}
	return nil
}
