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

// zipCryptoReader decrypts a ZipCrypto data stream. It is an io.ByteReader,
// so that flate reads through it directly and only what it consumes is
// decrypted: the output of a wrong password that passed the check byte is
// garbage that inflate refuses after a few bytes (5 on average, in a trial
// on random data), where a bufio.Reader in between would read and decrypt
// 4 KB first.
type zipCryptoReader struct {
	r        io.Reader
	k        zipCryptoKeys
	ahead    []byte // read from r, not decrypted yet: ahead[pos:end]
	pos, end int
	err      error // r's error, once ahead is used up
}

// readAhead is how much ReadByte reads from r at a time (decrypting only
// what is taken).
const readAhead = 4096

func (z *zipCryptoReader) Read(p []byte) (int, error) {
	if z.pos < z.end {
		n := copy(p, z.ahead[z.pos:z.end])
		z.k.decrypt(p[:n])
		z.pos += n
		return n, nil
	}
	if z.err != nil {
		return 0, z.err
	}
	n, err := z.r.Read(p)
	z.k.decrypt(p[:n])
	return n, err
}

func (z *zipCryptoReader) ReadByte() (byte, error) {
	if z.pos == z.end {
		if z.err != nil {
			return 0, z.err
		}
		if z.ahead == nil {
			z.ahead = make([]byte, readAhead)
		}
		n, err := z.r.Read(z.ahead)
		z.pos, z.end, z.err = 0, n, err
		if n == 0 {
			if err == nil {
				z.err = io.ErrNoProgress
			}
			return 0, z.err
		}
	}
	c := z.ahead[z.pos] ^ z.k.decryptByte()
	z.k.update(c)
	z.pos++
	return c, nil
}
