package encryption

// 7z password checks: the 7zAES key derivation and SevenZipPasswordChecker,
// which accepts a candidate only when the decrypted data proves it.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
	"unicode/utf16"
)

// Password checks.
//
// 7zAES derives its AES-256 key from SHA-256 over 2^NumCyclesPower copies
// of salt || UTF-16LE(password) || 64-bit counter: 2^19 rounds (7-Zip's
// default), about 11 ms per candidate of 9 characters on one AMD EPYC
// core, so everything after the key is kept cheap. A candidate is accepted
// only when decrypted data proves it:
//
//   - stage 1: the first decrypted block must start like the next coder's
//     stream (LZMA: range coder byte 0, 1 in 256 garbage blocks pass;
//     LZMA2: a dictionary-reset chunk with valid properties, about 1 in
//     25; BZip2: "BZh1".."BZh9"; Copy under an encrypted header: the
//     kHeader byte; Copy content: no test);
//   - stage 2, encrypted header: the whole header is decrypted and decoded
//     and must match the header folder's CRC-32 (7-Zip always writes it;
//     without one, it must start with kHeader and parse);
//   - stage 2, content: the first file of the folder, when it has a CRC and
//     is at most szCheckMax bytes, is decoded and its CRC-32 compared; else
//     (a large first file, or a filter such as BCJ or BCJ2 after the
//     decompressor) the first szPartialCheck bytes of the LZMA, LZMA2,
//     Deflate or BZip2 stream must decode without error.
//
// False positive rate: with a CRC, 2^-32 times the stage 1 rate (LZMA
// about 2^-40, LZMA2 about 2^-37, Copy 2^-32). Without a CRC it is not
// computable; garbage must survive the decoder for up to 256 KiB. In
// TestSevenZipGarbageKeys (GARBAGE_KEYS=200000), 200000 random keys per
// fixture gave stage 1 passes at the expected rates (LZMA 772, LZMA2 8144)
// and not one stage 2 pass, in either mode. Folders that cannot be checked
// this way (PPMd, Copy without a small CRC-checked first file) are not
// targets; ErrCannotVerify when none is left.

const (
	sz7MaxCycles   = 24        // 7-Zip's own limit on NumCyclesPower (16M rounds)
	szCheckMax     = 1 << 20   // largest first file decoded for its CRC
	szPartialCheck = 256 << 10 // bytes decoded when no CRC can be checked
)

// SevenZipPasswordChecker tests candidate passwords against an encrypted
// 7z archive: its encrypted header, or up to a few encrypted folders. It
// is safe for concurrent use when r is.
type SevenZipPasswordChecker struct {
	r       io.ReaderAt
	st      *szStreams
	targets []szTarget
}

// szTarget is an encrypted folder with what a password test needs.
type szTarget struct {
	folder  int
	pack    int // the packed stream, within the folder, whose path is decoded
	header  bool
	cycles  int
	salt    []byte
	iv      []byte
	next    uint64 // the coder after 7zAES (szCopy when none)
	coders  int    // chain coders to decode (7zAES included)
	check   int64  // bytes to decode: the first file (CRC), the header, or the partial check
	crc     uint32
	withCRC bool
}

// New7zPasswordChecker parses the archive like Inspect (an unscannable
// archive is refused with ErrUnscannable) and picks what to verify
// candidates against: the encrypted header, else encrypted folders whose
// first file is small and has a CRC (smallest first), else folders whose
// LZMA/LZMA2/Deflate/BZip2 stream can be partly decoded; at most a few. It
// returns ErrNotEncrypted for an archive without encryption and
// ErrCannotVerify when no folder can be checked.
func New7zPasswordChecker(r io.ReaderAt, size int64, lim Limits) (c *SevenZipPasswordChecker, err error) {
	defer internalError(&err, true)
	lim = lim.withDefaults()
	s := &scanner{lim: lim, left: lim.MaxBytes}
	if head, err := readAt(r, size, 0, int64(len(magic7zFull))); err != nil || !bytes.Equal(head, magic7zFull) {
		return nil, fmt.Errorf("%w: not a 7z archive", ErrUnscannable)
	}
	a, reason := s.parse7z(r, size)
	if reason != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnscannable, reason)
	}
	if a.hdrEnc {
		f := &a.hdr.folders[0]
		t, why := new7zTarget(a.hdr, 0, true, int64(f.unpackSize()), f.hasCRC, f.crc)
		if why != "" {
			return nil, fmt.Errorf("%w: encrypted header: %s", ErrCannotVerify, why)
		}
		return &SevenZipPasswordChecker{r: r, st: a.hdr, targets: []szTarget{t}}, nil
	}
	var cands []szTarget
	encrypted, why, sub := 0, "", 0
	for fi := range a.main.folders {
		f := &a.main.folders[fi]
		first := sub
		sub += f.numSub
		if !f.encrypted() || f.numSub == 0 {
			continue
		}
		encrypted++
		size := a.main.subSizes[first]
		if size > szCheckMax || !a.main.subHasCRC[first] {
			size = 0
		}
		t, w := new7zTarget(&a.main, fi, false, int64(size), a.main.subHasCRC[first], a.main.subCRC[first])
		if w != "" {
			why = w
			continue
		}
		cands = append(cands, t)
	}
	if encrypted == 0 {
		return nil, ErrNotEncrypted
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrCannotVerify, why)
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].withCRC != cands[j].withCRC {
			return cands[i].withCRC
		}
		return cands[i].check < cands[j].check
	})
	return &SevenZipPasswordChecker{r: r, st: &a.main, targets: cands[:min(len(cands), maxPasswordTargets)]}, nil
}

// new7zTarget plans the check of folder fi; checkLen > 0 asks for a CRC
// check of that many bytes (the first file, or the whole header). A
// non-empty reason says why the folder cannot be a target.
func new7zTarget(st *szStreams, fi int, header bool, checkLen int64, hasCRC bool, crc uint32) (t szTarget, reason string) {
	f := &st.folders[fi]
	reason = fmt.Sprintf("coders %s: no small file with a CRC, and no compressed stream to check", f.methods())
	for k := range f.packed {
		order, full := f.path(k)
		if len(order) == 0 || f.coders[order[0]].id != szAES {
			continue
		}
		if st.packSizes[f.packIndex+k] < aes.BlockSize {
			return t, "the encrypted stream is shorter than one AES block"
		}
		cycles, salt, iv, err := parse7zAESProps(f.coders[order[0]].props)
		if err != nil {
			return t, err.Error()
		}
		if cycles > sz7MaxCycles && cycles != 0x3F {
			return t, fmt.Sprintf("key derivation with 2^%d rounds exceeds the 2^%d limit", cycles, sz7MaxCycles)
		}
		t = szTarget{folder: fi, pack: k, header: header, cycles: cycles, salt: salt, iv: iv, next: szCopy, coders: 1}
		if len(order) > 1 {
			t.next = f.coders[order[1]].id
		}
		// The longest decodable prefix of the path, and its last decompressor.
		decompressor := 0
		for _, ci := range order[1:] {
			id := f.coders[ci].id
			if id != szCopy && id != szLZMA && id != szLZMA2 && id != szDeflate && id != szBZip2 {
				break
			}
			t.coders++
			if id != szCopy {
				decompressor = t.coders
			}
		}
		full = full && t.coders == len(order) && len(f.packed) == 1
		switch {
		case header && !full:
			return t, fmt.Sprintf("coders %s are not decoded", f.methods())
		case header:
			if f.unpackSize() == 0 || f.unpackSize() > szMaxHeader {
				return t, "the header size is out of range"
			}
			t.check, t.withCRC, t.crc = int64(f.unpackSize()), hasCRC, crc
			return t, ""
		case full && checkLen > 0 && hasCRC:
			t.check, t.withCRC, t.crc = checkLen, true, crc
			return t, ""
		case decompressor > 0:
			t.coders = decompressor
			t.check = int64(min(uint64(szPartialCheck), f.unpack[f.firstStream(order[decompressor-1], false)]))
			return t, ""
		}
	}
	return szTarget{}, reason
}

// Check reports whether password decrypts the archive, verified as
// described above. Errors are internal failures, not wrong passwords.
func (c *SevenZipPasswordChecker) Check(password string) (ok bool, err error) {
	defer internalError(&err, false)
	pw := utf16LE(password)
	type derived struct {
		cycles int
		salt   []byte
		key    []byte
	}
	var keys []derived
	for i := range c.targets {
		t := &c.targets[i]
		var key []byte
		for _, d := range keys {
			if d.cycles == t.cycles && bytes.Equal(d.salt, t.salt) {
				key = d.key
			}
		}
		if key == nil {
			key = sevenZipKey(pw, t.salt, t.cycles)
			keys = append(keys, derived{t.cycles, t.salt, key})
		}
		if c.st.verify(c.r, t, key) {
			return true, nil
		}
	}
	return false, nil
}

// verify runs stages 1 and 2 for target t with key.
func (st *szStreams) verify(r io.ReaderAt, t *szTarget, key []byte) bool {
	f := &st.folders[t.folder]
	block, err := aes.NewCipher(key)
	if err != nil {
		return false
	}
	var first [aes.BlockSize]byte
	if _, err := r.ReadAt(first[:], st.packOffset(f.packIndex+t.pack)); err != nil {
		return false
	}
	cipher.NewCBCDecrypter(block, t.iv).CryptBlocks(first[:], first[:])
	if !szPlausibleStart(t.next, first[:], t.header) {
		return false
	}
	rd, err := st.folderReader(r, t.folder, t.pack, key, t.coders, t.check)
	if err != nil {
		return false
	}
	switch {
	case t.header:
		data := make([]byte, t.check)
		if _, err := io.ReadFull(rd, data); err != nil {
			return false
		}
		if t.withCRC {
			return crc32.ChecksumIEEE(data) == t.crc
		}
		return data[0] == szHeader && (&szArchive{}).parseHeader(data[1:], DefaultLimits()) == nil
	case t.withCRC:
		h := crc32.NewIEEE()
		if _, err := io.CopyN(h, rd, t.check); err != nil {
			return false
		}
		return h.Sum32() == t.crc
	default:
		_, err := io.CopyN(io.Discard, rd, t.check)
		return err == nil
	}
}

// szPlausibleStart: does a decrypted first block start like the stream of
// coder next?
func szPlausibleStart(next uint64, b []byte, header bool) bool {
	switch next {
	case szLZMA:
		return b[0] == 0
	case szLZMA2:
		// An uncompressed chunk, or an LZMA chunk resetting the dictionary
		// with valid properties (lc+lp <= 4).
		return b[0] == 1 || b[0] >= 0xE0 && lzmaPropsOK(b[5], true)
	case szBZip2:
		return b[0] == 'B' && b[1] == 'Z' && b[2] == 'h' && b[3] >= '1' && b[3] <= '9'
	case szDeflate:
		return b[0]&6 != 6 // block type 3 is reserved
	case szCopy:
		return !header || b[0] == szHeader
	}
	return true
}

// lzmaPropsOK checks an LZMA properties byte (lc, lp, pb); LZMA2 also
// requires lc+lp <= 4.
func lzmaPropsOK(p byte, lzma2 bool) bool {
	if p >= 9*5*5 {
		return false
	}
	lc, lp := p%9, p/9%5
	return !lzma2 || lc+lp <= 4
}

// sevenZipKey derives the 7zAES key. The rounds are hashed in batches to
// keep per-round overhead low.
func sevenZipKey(pw, salt []byte, cycles int) []byte {
	key := make([]byte, 32)
	if cycles == 0x3F {
		n := copy(key, salt)
		copy(key[n:], pw)
		return key
	}
	unit := len(salt) + len(pw) + 8
	const batch = 2048
	buf := make([]byte, batch*unit)
	for j := 0; j < batch; j++ {
		copy(buf[j*unit:], salt)
		copy(buf[j*unit+len(salt):], pw)
	}
	h := sha256.New()
	total := uint64(1) << cycles
	for i := uint64(0); i < total; {
		n := min(batch, total-i)
		for j := uint64(0); j < n; j++ {
			binary.LittleEndian.PutUint64(buf[int(j)*unit+unit-8:], i+j)
		}
		h.Write(buf[:int(n)*unit])
		i += n
	}
	return h.Sum(key[:0])
}

// utf16LE encodes a password as 7-Zip and RAR 3.x hash it.
func utf16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}
