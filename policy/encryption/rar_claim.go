package encryption

// A RAR entry's encryption claim held against its data.

import (
	"errors"
	"fmt"
	"io"
)

// rarClaim checks an entry flagged as encrypted against its data (see
// zipclaim.go for the principle): RAR encrypts with AES in CBC mode, so
// the data is whole 16-byte blocks; a stored entry whose data is its
// plaintext (CRC-32 matches) or far from random is not encrypted.
func (s *scanner) rarClaim(r io.ReaderAt, size int64, e rarEntry) (plain bool, problem error) {
	if e.dataLen%16 != 0 {
		return false, fmt.Errorf("claims %s but its data (%d bytes) is not whole AES blocks", e.method, e.dataLen)
	}
	if !e.stored {
		return false, nil
	}
	if e.hasCRC && !e.usesMAC && uint64(e.dataLen) == e.size {
		match, why := s.crcMatches(r, size, e.dataOff, e.dataLen, e.crc)
		if why != "" {
			return false, errors.New(why)
		}
		if match {
			return true, nil
		}
	}
	n := min(e.dataLen, randomSample)
	if !s.charge(n) {
		return false, fmt.Errorf("exceeds the %d-byte limit", s.lim.MaxBytes)
	}
	sample, err := readAt(r, size, e.dataOff, n)
	if err != nil {
		return false, errors.New("data unreadable: " + err.Error())
	}
	return Identify(sample) != FormatUnknown || !looksRandom(sample), nil
}
