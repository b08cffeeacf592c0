package encryption

// A RAR entry's encryption claim held against its data.

import (
	"fmt"
	"io"
)

// rarClaim checks an entry flagged as encrypted against its data (see
// zipclaim.go for the principle): RAR encrypts with AES in CBC mode, so
// the data is whole 16-byte blocks; a stored entry whose data is its
// plaintext (CRC-32 matches) or far from random is not encrypted.
func (s *scanner) rarClaim(r io.ReaderAt, size int64, e rarEntry) (plain bool, problem string) {
	if e.dataLen%16 != 0 {
		return false, fmt.Sprintf("claims %s but its data (%d bytes) is not whole AES blocks", e.method, e.dataLen)
	}
	if !e.stored {
		return false, ""
	}
	if e.hasCRC && !e.usesMAC && uint64(e.dataLen) == e.size {
		match, problem := s.crcMatches(r, size, e.dataOff, e.dataLen, e.crc)
		if problem != "" || match {
			return match, problem
		}
	}
	n := min(e.dataLen, randomSample)
	if !s.charge(n) {
		return false, fmt.Sprintf("exceeds the %d-byte limit", s.lim.MaxBytes)
	}
	sample, err := readAt(r, size, e.dataOff, n)
	if err != nil {
		return false, "data unreadable: " + err.Error()
	}
	return Identify(sample) != FormatUnknown || !looksRandom(sample), ""
}
