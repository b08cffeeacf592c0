package encryption

// Traditional PKWARE encryption ("ZipCrypto"), APPNOTE.TXT section 6.1.

import (
	"hash/crc32"
	"io"
)

// zipCryptoHeaderLen is the length of the encryption header that precedes
// the data of a ZipCrypto entry.
const zipCryptoHeaderLen = 12

type zipCryptoKeys [3]uint32

func crc32Byte(crc uint32, b byte) uint32 {
	return crc32.IEEETable[byte(crc)^b] ^ crc>>8
}

func newZipCryptoKeys(password []byte) zipCryptoKeys {
	k := zipCryptoKeys{0x12345678, 0x23456789, 0x34567890}
	for _, b := range password {
		k.update(b)
	}
	return k
}

func (k *zipCryptoKeys) update(b byte) {
	k[0] = crc32Byte(k[0], b)
	k[1] = (k[1]+k[0]&0xff)*134775813 + 1
	k[2] = crc32Byte(k[2], byte(k[1]>>24))
}

// decryptByte returns the next keystream byte (APPNOTE: temp is 16 bits).
func (k *zipCryptoKeys) decryptByte() byte {
	t := uint16(k[2]) | 2
	return byte((uint32(t) * uint32(t^1)) >> 8)
}

// decrypt decrypts b in place.
func (k *zipCryptoKeys) decrypt(b []byte) {
	for i, c := range b {
		p := c ^ k.decryptByte()
		k.update(p)
		b[i] = p
	}
}

// zipCryptoCheck decrypts the 12-byte encryption header with password and
// compares its last byte with the expected check byte: the high byte of
// the CRC, or of the modification time when the sizes and CRC follow in a
// data descriptor (flag bit 3; Info-ZIP does this). With bit 3 both are
// accepted, as writers differ; the caller verifies a match against the
// data anyway (1 in 256 wrong passwords pass this test). It returns the
// keys positioned after the header.
func zipCryptoCheck(header [zipCryptoHeaderLen]byte, password []byte, crc uint32, modTime uint16, dataDesc bool) (zipCryptoKeys, bool) {
	k := newZipCryptoKeys(password)
	h := header
	k.decrypt(h[:])
	check := h[zipCryptoHeaderLen-1]
	ok := check == byte(crc>>24) || (dataDesc && check == byte(modTime>>8))
	return k, ok
}

// zipCryptoReader decrypts a ZipCrypto data stream.
type zipCryptoReader struct {
	r io.Reader
	k zipCryptoKeys
}

func (z *zipCryptoReader) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	z.k.decrypt(p[:n])
	return n, err
}
