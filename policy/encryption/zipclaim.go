package encryption

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
)

// A ZIP entry is encrypted only if its data is. The encryption flag (bit
// 0 of the general purpose flags, in both headers) is two bits anyone can
// set on a plain entry, and archive/zip and most scanners believe it. The
// claim is checked against the data:
//
//   - ZipCrypto puts a 12-byte header before the data (APPNOTE 6.1.3), so a
//     stored entry has compressed size = size + 12; WinZip AES puts a salt
//     (8, 12 or 16 bytes), a 2-byte verifier and a 10-byte MAC around it
//     (AE-1/AE-2), so a stored entry has compressed size = size + that.
//     Sizes that do not fit make the archive unscannable.
//   - Plaintext is not encrypted: data that is the entry's content as it
//     stands — its CRC-32 matches (stored), or it inflates cleanly into the
//     entry (deflated) — at the data's start or after the space an
//     encryption header would take, means the entry is plain, whatever its
//     flags say.
//   - Ciphertext is indistinguishable from random bytes: a stored entry's
//     data that is far from random (text, a known file format) is not
//     encrypted.
//
// Only a bounded prefix is read (randomSample stored, what inflation of
// claimSample bytes needs deflated) unless a stored entry's whole data has
// to be checked against its CRC; everything is charged to the byte budget.

// claimSample is how much of a deflated entry the checks inflate at most;
// randomSample how much of a stored entry's data the randomness test reads.
const (
	claimSample  = 64 << 10
	randomSample = 4096
)

// verifyEncryption checks the encryption claim of an entry whose extent is
// known. plain means the entry's data is its plaintext; a problem means the
// claim does not fit the structure (unscannable).
func (s *scanner) verifyEncryption(r io.ReaderAt, size int64, zf zipFile) (plain bool, problem string) {
	csize, usize := int64(zf.cd.csize), int64(zf.cd.usize)
	var header, trailer int64 // bytes an encryption adds before and after the data
	switch zf.enc.kind {
	case encZipCrypto:
		header = 12
	case encAES:
		header, trailer = int64(aesKeyLen(zf.enc.strength)/2)+2, 10
	case encStrong:
		return s.strongClaim(r, size, zf)
	default:
		return false, ""
	}
	if csize < header+trailer {
		return false, fmt.Sprintf("claims %s but its data (%d bytes) is shorter than the encryption adds", zf.enc, csize)
	}
	dataOff := zf.loc.dataOff
	switch zf.enc.method {
	case methodStore:
		n := min(csize, randomSample+header)
		if !s.charge(n) {
			return false, fmt.Sprintf("exceeds the %d-byte limit", s.lim.MaxBytes)
		}
		sample, err := readAt(r, size, dataOff, n)
		if err != nil {
			return false, "data unreadable: " + err.Error()
		}
		return s.storedClaim(r, size, zf, sample, header, trailer)
	case methodDeflate:
		// AE-2 writes no CRC (it is zero): then a clean stream of exactly
		// the entry's size is the proof.
		crcKnown := zf.enc.kind != encAES || zf.enc.aeVer != 2
		br := claimReaders.Get().(*bufio.Reader)
		defer claimReaders.Put(br)
		for _, off := range []int64{0, header} {
			src := &chargedReader{r: io.NewSectionReader(r, dataOff+off, csize-off), s: s}
			br.Reset(src)
			if inflatesTo(br, usize, zf.cd.crc, crcKnown) {
				return true, ""
			}
			if src.over {
				return false, fmt.Sprintf("exceeds the %d-byte limit", s.lim.MaxBytes)
			}
		}
		br.Reset(nil)
	}
	return false, ""
}

// strongAlgorithms are the AlgIDs of APPNOTE 7.2.3.2 (PKWARE strong
// encryption).
var strongAlgorithms = map[uint16]bool{
	0x6601: true, 0x6603: true, 0x6609: true, 0x660E: true, 0x660F: true, 0x6610: true,
	0x6702: true, 0x6720: true, 0x6721: true, 0x6801: true,
}

// strongClaim checks a PKWARE strong encryption claim (flag bits 0 and 6):
// the data must start with a Decryption Header (APPNOTE 7.2.4: IV size and
// IV, size, format 3, a known algorithm), and must not be the entry's
// plaintext, stored or deflated, at its start or after a 12-byte header.
func (s *scanner) strongClaim(r io.ReaderAt, size int64, zf zipFile) (plain bool, problem string) {
	csize, usize := int64(zf.cd.csize), int64(zf.cd.usize)
	dataOff := zf.loc.dataOff
	for _, off := range []int64{0, 12} {
		if off > csize {
			continue
		}
		if csize-off == usize && usize > 0 {
			match, err := s.crcMatches(r, size, dataOff+off, usize, zf.cd.crc)
			if err != "" {
				return false, err
			}
			if match {
				return true, ""
			}
		}
		if zf.enc.method == methodDeflate {
			br := claimReaders.Get().(*bufio.Reader)
			src := &chargedReader{r: io.NewSectionReader(r, dataOff+off, csize-off), s: s}
			br.Reset(src)
			inflated := inflatesTo(br, usize, zf.cd.crc, true)
			br.Reset(nil)
			claimReaders.Put(br)
			if inflated {
				return true, ""
			}
			if src.over {
				return false, fmt.Sprintf("exceeds the %d-byte limit", s.lim.MaxBytes)
			}
		}
	}
	n := min(csize, 64)
	if !s.charge(n) {
		return false, fmt.Sprintf("exceeds the %d-byte limit", s.lim.MaxBytes)
	}
	h, err := readAt(r, size, dataOff, n)
	if err != nil {
		return false, "data unreadable: " + err.Error()
	}
	bad := "claims PKWARE strong encryption but its data does not start with a decryption header"
	if len(h) < 2 {
		return false, bad
	}
	iv := int(binary.LittleEndian.Uint16(h))
	p := 2 + iv
	if iv < 8 || iv > 32 || len(h) < p+10 {
		return false, bad
	}
	format, alg := binary.LittleEndian.Uint16(h[p+4:]), binary.LittleEndian.Uint16(h[p+6:])
	if format != 3 || !strongAlgorithms[alg] {
		return false, bad
	}
	return false, ""
}

// chargedReader charges what it reads to the scanner's byte budget.
type chargedReader struct {
	r    io.Reader
	s    *scanner
	over bool
}

func (c *chargedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if !c.s.charge(int64(n)) {
		c.over = true
		return 0, errLimit
	}
	return n, err
}

// storedClaim checks a stored entry that claims encryption.
func (s *scanner) storedClaim(r io.ReaderAt, size int64, zf zipFile, sample []byte, header, trailer int64) (plain bool, problem string) {
	csize, usize := int64(zf.cd.csize), int64(zf.cd.usize)
	// The plaintext as it stands, at the start or after a fake header.
	for _, off := range []int64{0, header} {
		if csize-off == usize && usize > 0 {
			match, err := s.crcMatches(r, size, zf.loc.dataOff+off, usize, zf.cd.crc)
			if err != "" {
				return false, err
			}
			if match {
				return true, ""
			}
		}
	}
	if csize != usize+header+trailer {
		return false, fmt.Sprintf("claims %s but its sizes do not fit it (stored: %d bytes of data for %d of content)", zf.enc, csize, usize)
	}
	payload := sample[min(header, int64(len(sample))):]
	if int64(len(payload)) > usize {
		payload = payload[:usize]
	}
	if Identify(payload) != FormatUnknown || !looksRandom(payload) {
		return true, ""
	}
	return false, ""
}

// crcMatches reports whether the CRC-32 of n bytes at off is crc.
func (s *scanner) crcMatches(r io.ReaderAt, size, off, n int64, crc uint32) (bool, string) {
	if !s.charge(n) {
		return false, fmt.Sprintf("exceeds the %d-byte limit", s.lim.MaxBytes)
	}
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, io.NewSectionReader(r, off, min(n, size-off))); err != nil {
		return false, "data unreadable: " + err.Error()
	}
	return h.Sum32() == crc, ""
}

// inflatesTo reports whether src is a raw deflate stream of the entry:
// it inflates without error into the whole content — usize bytes, then the
// end of the stream, with the CRC-32 crc when crcKnown (at least 16 bytes
// when not) — or into claimSample bytes of a larger one. Encrypted bytes
// fail within a few bytes, having read only the first few KiB of src.
func inflatesTo(src io.Reader, usize int64, crc uint32, crcKnown bool) bool {
	if usize == 0 || !crcKnown && usize < 16 {
		return false
	}
	fr := newInflater(src) // src is an io.ByteReader: no buffer of its own
	defer putInflater(fr)
	want := min(usize, claimSample)
	buf := claimBufs.Get().(*[4096]byte)
	defer claimBufs.Put(buf)
	h := crc32.NewIEEE()
	var got int64
	for got <= want {
		n, err := fr.Read(buf[:min(int64(len(buf)), want+1-got)])
		h.Write(buf[:n])
		got += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return false // broken: not a deflate stream
		}
	}
	switch {
	case want < usize:
		return got == want+1 // a clean claimSample bytes of a larger entry
	case got != want:
		return false // shorter or longer than the entry
	}
	return !crcKnown || h.Sum32() == crc
}

// Buffers of the claim checks, kept between messages (the check runs on
// every encrypted entry of every message).
var (
	claimReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	claimBufs    = sync.Pool{New: func() any { return new([4096]byte) }}
)

// looksRandom reports whether b could be ciphertext: a chi-square test of
// its byte counts against the uniform distribution (255 degrees of
// freedom). Random data scores about 255 ± 23; 600 is beyond any
// ciphertext, while text and most file formats score in the thousands.
// Samples under 512 bytes are too small to judge and count as random.
func looksRandom(b []byte) bool {
	if len(b) < 512 {
		return true
	}
	if len(b) > randomSample {
		b = b[:randomSample]
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	expected := float64(len(b)) / 256
	chi := 0.0
	for _, c := range counts {
		d := float64(c) - expected
		chi += d * d / expected
	}
	return chi < 600
}
