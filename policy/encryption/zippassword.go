package encryption

import (
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// Errors returned by NewZipPasswordChecker and ZipPasswordOpens.
var (
	ErrUnscannable  = errors.New("archive is unscannable")
	ErrNotEncrypted = errors.New("archive has no encrypted file entry")
	ErrCannotVerify = errors.New("no encrypted entry can be verified")
)

// maxPasswordTargets bounds the entries a candidate is tried against. All
// entries of an archive normally share one password; trying a few covers
// archives where some entries cannot be verified or use another password
// without multiplying the cost of a long candidate list.
const maxPasswordTargets = 4

// ZipPasswordChecker tests candidate passwords against the encrypted
// entries of one ZIP archive. Build it once, then call Check per
// candidate; it is safe for concurrent use when r is.
type ZipPasswordChecker struct {
	r       io.ReaderAt
	targets []pwTarget
}

// pwTarget is an encrypted entry with what a password test needs.
type pwTarget struct {
	name     string
	enc      encInfo
	dataOff  int64 // start of the entry data (encryption header or salt)
	csize    int64
	usize    int64
	crc      uint32
	modTime  uint16
	dataDesc bool
	header   [zipCryptoHeaderLen]byte // ZipCrypto
	salt     []byte                   // AES
	verifier [aesVerifierLen]byte     // AES
}

// NewZipPasswordChecker parses the archive (the same structural checks as
// Inspect; an unscannable archive is refused with ErrUnscannable) and picks
// the encrypted entries that are cheapest to verify: non-empty before
// empty, smallest first, at most a few. ZipCrypto entries must be stored
// or deflated (the check decompresses them); entries larger than
// lim.MaxBytes and PKWARE strong encryption are not tried.
func NewZipPasswordChecker(r io.ReaderAt, size int64, lim Limits) (c *ZipPasswordChecker, err error) {
	defer internalError(&err, true)
	lim = lim.withDefaults()
	s := &scanner{lim: lim, left: lim.MaxBytes}
	a, reason := s.parseZip(r, size)
	return newZipPasswordChecker(r, size, lim, a, reason)
}

// newZipPasswordChecker builds the checker from parseZip's result a and
// reason; lim has its defaults.
func newZipPasswordChecker(r io.ReaderAt, size int64, lim Limits, a *zipArchive, reason string) (c *ZipPasswordChecker, err error) {
	defer internalError(&err, true)
	if reason != "" {
		return nil, fmt.Errorf("%w: %s", ErrUnscannable, reason)
	}
	var cands []zipFile
	encrypted := 0
	for _, f := range a.files {
		if f.isDir || f.enc.kind == encNone {
			continue
		}
		encrypted++
		if verifiable(f, lim.MaxBytes) {
			cands = append(cands, f)
		}
	}
	if encrypted == 0 {
		return nil, ErrNotEncrypted
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("%w: entries use PKWARE strong encryption, an unsupported compression method, or exceed %d bytes",
			ErrCannotVerify, lim.MaxBytes)
	}
	sort.SliceStable(cands, func(i, j int) bool {
		ei, ej := cands[i].cd.usize == 0, cands[j].cd.usize == 0
		if ei != ej {
			return ej
		}
		return cands[i].cd.csize < cands[j].cd.csize
	})
	c = &ZipPasswordChecker{r: r}
	for _, f := range cands[:min(len(cands), maxPasswordTargets)] {
		t, err := newTarget(r, size, f)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", f.cd.name, err)
		}
		c.targets = append(c.targets, t)
	}
	return c, nil
}

func verifiable(f zipFile, maxBytes int64) bool {
	if f.cd.csize > uint64(maxBytes) || f.cd.usize > uint64(maxBytes) {
		return false
	}
	switch f.enc.kind {
	case encZipCrypto:
		return f.cd.csize >= zipCryptoHeaderLen && (f.enc.method == methodStore || f.enc.method == methodDeflate)
	case encAES:
		return f.cd.csize >= uint64(aesSaltLen(f.enc.strength)+aesVerifierLen+aesMACLen)
	}
	return false
}

func newTarget(r io.ReaderAt, size int64, f zipFile) (pwTarget, error) {
	t := pwTarget{
		name: f.cd.name, enc: f.enc, dataOff: f.loc.dataOff,
		csize: int64(f.cd.csize), usize: int64(f.cd.usize), crc: f.cd.crc,
		modTime: f.loc.modTime, dataDesc: f.loc.flags&flagDataDesc != 0,
	}
	switch f.enc.kind {
	case encZipCrypto:
		b, err := readAt(r, size, t.dataOff, zipCryptoHeaderLen)
		if err != nil {
			return t, fmt.Errorf("reading the ZipCrypto header: %w", err)
		}
		copy(t.header[:], b)
	case encAES:
		n := aesSaltLen(f.enc.strength)
		b, err := readAt(r, size, t.dataOff, int64(n+aesVerifierLen))
		if err != nil {
			return t, fmt.Errorf("reading the AES salt: %w", err)
		}
		t.salt = b[:n]
		copy(t.verifier[:], b[n:])
	}
	return t, nil
}

// Check reports whether password opens one of the chosen entries, and
// which. The password is tried as UTF-8 and, when it is not ASCII, also
// as CP932 (Shift_JIS), the ANSI code page of Japanese Windows zip tools.
// A hit is verified against the data: CRC-32 of the decrypted and
// inflated entry (ZipCrypto) or the HMAC-SHA1 authentication code (AES).
func (c *ZipPasswordChecker) Check(password string) (entry string, ok bool, err error) {
	defer internalError(&err, false)
	for _, pw := range passwordEncodings(password) {
		for i := range c.targets {
			t := &c.targets[i]
			ok, err := t.try(c.r, pw)
			if err != nil {
				return "", false, fmt.Errorf("entry %q: %w", t.name, err)
			}
			if ok {
				return t.name, true, nil
			}
		}
	}
	return "", false, nil
}

// ZipPasswordOpens reports whether password opens an encrypted entry of
// the ZIP archive in r, verified against the entry's data. For many
// candidates, build a ZipPasswordChecker once instead.
func ZipPasswordOpens(r io.ReaderAt, size int64, password string, lim Limits) (entry string, ok bool, err error) {
	c, err := NewZipPasswordChecker(r, size, lim)
	if err != nil {
		return "", false, err
	}
	return c.Check(password)
}

// passwordEncodings returns the byte strings a password may have been
// typed as.
func passwordEncodings(password string) [][]byte {
	out := [][]byte{[]byte(password)}
	if !isASCII(password) && utf8.ValidString(password) {
		if sjis, err := japanese.ShiftJIS.NewEncoder().String(password); err == nil && sjis != password {
			out = append(out, []byte(sjis))
		}
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func (t *pwTarget) try(r io.ReaderAt, pw []byte) (bool, error) {
	switch t.enc.kind {
	case encZipCrypto:
		k, ok := zipCryptoCheck(t.header, pw, t.crc, t.modTime, t.dataDesc)
		if !ok {
			return false, nil
		}
		return t.zipCryptoData(r, k), nil
	case encAES:
		keyLen := aesKeyLen(t.enc.strength)
		if aesVerifier(pw, t.salt, keyLen) != t.verifier {
			return false, nil
		}
		off := t.dataOff + int64(len(t.salt)+aesVerifierLen)
		n := t.csize - int64(len(t.salt)+aesVerifierLen+aesMACLen)
		return aesVerify(r, pw, t.salt, keyLen, off, n)
	}
	return false, nil
}

// zipCryptoData decrypts and inflates the entry with keys k (positioned
// after the encryption header) and checks its size and CRC-32. Garbage
// from a wrong password that passed the check byte fails here.
func (t *pwTarget) zipCryptoData(r io.ReaderAt, k zipCryptoKeys) bool {
	raw := io.NewSectionReader(r, t.dataOff+zipCryptoHeaderLen, t.csize-zipCryptoHeaderLen)
	var rd io.Reader = &zipCryptoReader{r: raw, k: k}
	if t.enc.method == methodDeflate {
		fr := newInflater(rd)
		defer putInflater(fr)
		rd = fr
	}
	h := crc32.NewIEEE()
	n, err := io.Copy(h, io.LimitReader(rd, t.usize+1))
	return err == nil && n == t.usize && h.Sum32() == t.crc
}

// inflaters are decompressors kept for zipCryptoData: about one wrong
// password in 256 passes the check byte and has its data inflated, and a
// decompressor is large to allocate.
var inflaters sync.Pool

// newInflater returns a decompressor reading from r, from inflaters when
// one is free.
func newInflater(r io.Reader) io.ReadCloser {
	if fr, ok := inflaters.Get().(io.ReadCloser); ok {
		if err := fr.(flate.Resetter).Reset(r, nil); err == nil {
			return fr
		}
	}
	return flate.NewReader(r)
}

// putInflater gives fr back to inflaters, without the reader it read from.
func putInflater(fr io.ReadCloser) {
	if err := fr.(flate.Resetter).Reset(noBytes{}, nil); err == nil {
		inflaters.Put(fr)
	}
}

// noBytes is an empty reader.
type noBytes struct{}

func (noBytes) Read([]byte) (int, error) { return 0, io.EOF }
func (noBytes) ReadByte() (byte, error)  { return 0, io.EOF }
