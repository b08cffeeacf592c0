package encryption

// WinZip AES encryption (AE-1 / AE-2): salt, 2-byte password verifier,
// AES-CTR data, 10-byte HMAC-SHA1 authentication code. Keys come from
// PBKDF2-HMAC-SHA1 with 1000 iterations: 2*keyLen+2 bytes, the AES key,
// the HMAC key, then the verifier.

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
)

const (
	aesIterations  = 1000
	aesVerifierLen = 2
	aesMACLen      = 10
)

// aesSaltLen is the salt length for a 0x9901 strength (8, 12, 16 bytes).
func aesSaltLen(strength byte) int { return 4 + 4*int(strength) }

// aesVerifier computes only the two verifier bytes of the PBKDF2 output:
// PBKDF2 blocks are independent, so the one or two SHA-1 blocks that hold
// bytes [2*keyLen, 2*keyLen+2) are enough to reject a wrong password, at a
// quarter of the cost of the full derivation for AES-256.
func aesVerifier(password, salt []byte, keyLen int) [aesVerifierLen]byte {
	var out [aesVerifierLen]byte
	prf := hmac.New(sha1.New, password)
	const hLen = sha1.Size
	pos := 2 * keyLen
	var block []byte
	blockNo := -1
	for i := range out {
		if n := (pos + i) / hLen; n != blockNo {
			blockNo = n
			block = pbkdf2Block(prf, salt, uint32(n+1))
		}
		out[i] = block[(pos+i)%hLen]
	}
	return out
}

// pbkdf2Block computes block i (1-based) of PBKDF2 (RFC 8018 section 5.2).
func pbkdf2Block(prf hash.Hash, salt []byte, i uint32) []byte {
	prf.Reset()
	prf.Write(salt)
	var be [4]byte
	binary.BigEndian.PutUint32(be[:], i)
	prf.Write(be[:])
	u := prf.Sum(nil)
	t := append([]byte(nil), u...)
	for n := 1; n < aesIterations; n++ {
		prf.Reset()
		prf.Write(u)
		u = prf.Sum(u[:0])
		for j := range t {
			t[j] ^= u[j]
		}
	}
	return t
}

// aesVerify confirms a password whose verifier matched: it derives the
// HMAC key and checks the authentication code over the encrypted data
// [off, off+n), followed by the 10-byte code.
func aesVerify(r io.ReaderAt, password, salt []byte, keyLen int, off, n int64) (bool, error) {
	dk, err := pbkdf2.Key(sha1.New, string(password), salt, aesIterations, 2*keyLen+aesVerifierLen)
	if err != nil {
		return false, fmt.Errorf("deriving AES keys: %w", err)
	}
	mac := hmac.New(sha1.New, dk[keyLen:2*keyLen])
	if _, err := io.Copy(mac, io.NewSectionReader(r, off, n)); err != nil {
		return false, fmt.Errorf("reading AES data: %w", err)
	}
	code := make([]byte, aesMACLen)
	if k, err := r.ReadAt(code, off+n); k < aesMACLen {
		return false, fmt.Errorf("reading AES authentication code: %w", err)
	}
	return hmac.Equal(mac.Sum(nil)[:aesMACLen], code), nil
}
