package encryption

// RAR 4 (RAR 2.9/3.x/4.x, "RAR version 4.x - technical information",
// technote.txt) and RAR 5 ("RAR 5.0 archive format", rarlab.com) archives:
// block headers only, checked against unrar's reader (arcread.cpp) where the
// documents are silent.
//
// Library choice. github.com/nwaples/rardecode/v2 (v2.4.x) was evaluated and
// is not used. Its FileHeader does say Encrypted and HeaderEncrypted, but
// it reads the archive as a stream (io.Reader) and skips what it does not
// understand; it does not expose the salt, KDF count or password check
// value that the password checker needs (it only checks a password it was
// given, deriving keys for every KDF count up to 2^24 that the file asks
// for); it does not report blocks that do not tile the file (appended or
// hidden data); and everything else it offers is decompression, which
// Inspect never does. The block layer is small and fully documented, so it
// is read here, strictly: every header CRC is checked, sizes are checked
// against the file, each block must start where the previous one ends, and
// the archive must end with its end-of-archive block (or, for RAR 2.x files
// without one, at the end of the file).
//
// Protected: the headers are encrypted (RAR4 archive header flag 0x0080
// MHD_PASSWORD; RAR5 archive encryption header, block type 4), or every
// file entry is encrypted (RAR4 file flag 0x0004; RAR5 file encryption
// extra record, type 1) and there is at least one. RAR4 encryption is
// AES-128 from RAR 2.9 on (unpack version >= 29), the older RAR 2.0 and
// 1.5 ciphers before; RAR5 is always AES-256.
//
// Nothing is decompressed: plain entries that are stored (not compressed)
// are read as is and inspected nested when they are a known format; plain
// compressed entries are named in a note.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
	"strings"
	"unicode/utf16"
)

// RAR 4 block types and flags (technote.txt).
const (
	rar4Main    = 0x73
	rar4File    = 0x74
	rar4Comment = 0x75
	rar4AV      = 0x76
	rar4Sub     = 0x77
	rar4Protect = 0x78
	rar4Sign    = 0x79
	rar4NewSub  = 0x7A
	rar4End     = 0x7B

	rar4LongBlock = 0x8000

	rar4MainVolume   = 0x0001
	rar4MainComment  = 0x0002
	rar4MainPassword = 0x0080 // block headers are encrypted

	rar4FileSplitBefore = 0x0001
	rar4FileSplitAfter  = 0x0002
	rar4FileEncrypted   = 0x0004
	rar4FileDirMask     = 0x00E0
	rar4FileLarge       = 0x0100
	rar4FileUnicode     = 0x0200
	rar4FileSalt        = 0x0400

	rar4SaltLen   = 8
	rar4MainLen   = 13
	rar4FileLen   = 32 // file header up to the name, without the 64-bit sizes
	rar4HashRound = 0x40000
)

// RAR 5 header types, flags and records ("RAR 5.0 archive format").
const (
	rar5Main       = 1
	rar5File       = 2
	rar5Service    = 3
	rar5Encryption = 4
	rar5End        = 5

	rar5HasExtra     = 0x0001
	rar5HasData      = 0x0002
	rar5SplitBefore  = 0x0008
	rar5SplitAfter   = 0x0010
	rar5FileDir      = 0x0001
	rar5FileTime     = 0x0002
	rar5FileCRC      = 0x0004
	rar5RecEncrypted = 0x01
	rar5CheckPresent = 0x0001
	rar5MainVolume   = 0x0001
	rar5MainVolNum   = 0x0002

	rar5MaxHeader = 2<<20 + 3 // "header size ... must not exceed 2 MB"
	rar5SaltLen   = 16
	rar5CheckLen  = 12 // 8-byte check value and 4 bytes of its SHA-256
	rar5MaxKDF    = 24 // unrar's CRYPT5_KDF_LG2_COUNT_MAX
)

var errRARTruncated = errors.New("truncated")

// rarEntry is a file or service block.
type rarEntry struct {
	name      string
	service   bool // a service header (comment, recovery record, NTFS stream, ...)
	dir       bool
	encrypted bool
	method    string // encryption method
	stored    bool   // not compressed
	split     bool   // continued from or in another volume
	compress  string
	size      uint64
	dataOff   int64
	dataLen   int64
	crc       uint32
	hasCRC    bool
	unpVer    byte   // RAR4
	salt      []byte // RAR4 (8 bytes) or RAR5 encryption record (16)
	kdf       int    // RAR5
	check     []byte // RAR5: 12-byte check value, when present
	iv        []byte // RAR5
	usesMAC   bool   // RAR5: checksums are tweaked with the key
}

// rarArchive is what the block layer says.
type rarArchive struct {
	v5      bool
	hdrEnc  bool  // block headers are encrypted
	encAt   int64 // RAR4: offset of the first encrypted header (its salt); RAR5: of its IV
	salt    []byte
	kdf     int    // RAR5 header encryption
	check   []byte // RAR5 header encryption check value
	entries []rarEntry
	notes   []string
}

// parseRAR reads the block headers of a RAR4 or RAR5 archive.
func (s *scanner) parseRAR(r io.ReaderAt, size int64) (*rarArchive, string) {
	head, err := readAt(r, size, 0, min(size, 8))
	switch {
	case err != nil:
		return nil, fmt.Sprintf("RAR signature: %v", err)
	case bytes.HasPrefix(head, magicRAR5):
		return s.parseRAR5(r, size)
	case bytes.HasPrefix(head, magicRAR4):
		return s.parseRAR4(r, size)
	}
	return nil, "RAR signature is missing"
}

func (s *scanner) parseRAR4(r io.ReaderAt, size int64) (*rarArchive, string) {
	a := &rarArchive{}
	pos := int64(len(magicRAR4))
	files := 0
	for first := true; ; first = false {
		if pos == size {
			a.notes = append(a.notes, "no end-of-archive block (RAR 2.x, or truncated at a block boundary)")
			return a, ""
		}
		base, err := readAt(r, size, pos, 7)
		if err != nil {
			return a, fmt.Sprintf("RAR block header at offset %d is truncated", pos)
		}
		typ, flags, hsize := base[2], binary.LittleEndian.Uint16(base[3:5]), int64(binary.LittleEndian.Uint16(base[5:7]))
		if hsize < 7 {
			return a, fmt.Sprintf("RAR block header at offset %d is corrupt (size %d)", pos, hsize)
		}
		if first && typ != rar4Main {
			return a, "RAR archive header is missing"
		}
		if !s.charge(hsize) {
			return a, fmt.Sprintf("RAR headers exceed the %d-byte limit", s.lim.MaxBytes)
		}
		h, err := readAt(r, size, pos, hsize)
		if err != nil {
			return a, fmt.Sprintf("RAR block header at offset %d is truncated", pos)
		}
		crc := uint16(crc32.ChecksumIEEE(h[2:]))
		crcOK := crc == binary.LittleEndian.Uint16(h[0:2]) || typ == rar4Sign || typ == rar4AV
		var dataLen int64
		switch typ {
		case rar4Main:
			if !first {
				return a, fmt.Sprintf("RAR archive has a second archive header at offset %d", pos)
			}
			if hsize < rar4MainLen {
				return a, "RAR archive header is corrupt (too short)"
			}
			if !crcOK && flags&rar4MainComment != 0 { // an old comment inside the header
				crcOK = uint16(crc32.ChecksumIEEE(h[2:rar4MainLen])) == binary.LittleEndian.Uint16(h[0:2])
			}
			if flags&rar4MainVolume != 0 {
				a.notes = append(a.notes, "one volume of a multi-volume archive")
			}
		case rar4File, rar4NewSub:
			e, reason := parseRAR4File(h, flags)
			if reason != "" {
				return a, fmt.Sprintf("RAR file header at offset %d is corrupt: %s", pos, reason)
			}
			e.service = typ == rar4NewSub
			e.dataOff = pos + hsize
			dataLen = e.dataLen
			if !e.service {
				files++
				if files > s.lim.MaxEntries {
					return a, fmt.Sprintf("RAR archive has more than %d entries", s.lim.MaxEntries)
				}
			}
			a.entries = append(a.entries, e)
		case rar4End, rar4Comment, rar4AV, rar4Sub, rar4Protect, rar4Sign:
			if flags&rar4LongBlock != 0 {
				if hsize < 11 {
					return a, fmt.Sprintf("RAR block header at offset %d is corrupt (too short)", pos)
				}
				dataLen = int64(binary.LittleEndian.Uint32(h[7:11]))
			}
		default:
			return a, fmt.Sprintf("RAR block at offset %d has an unknown type %#x", pos, typ)
		}
		if !crcOK {
			return a, fmt.Sprintf("RAR header CRC mismatch at offset %d (corrupt)", pos)
		}
		next := pos + hsize + dataLen
		if dataLen < 0 || next > size || next < pos {
			if n := len(a.entries); n > 0 && typ != rar4Main && typ != rar4End && a.entries[n-1].dataOff == pos+hsize {
				return a, fmt.Sprintf("RAR entry %q extends past the end of the file (truncated, or one volume of a split archive)", a.entries[n-1].name)
			}
			return a, fmt.Sprintf("RAR block at offset %d extends past the end of the file (truncated)", pos)
		}
		if typ == rar4Main && flags&rar4MainPassword != 0 {
			a.hdrEnc, a.encAt = true, next
			if size-next < rar4SaltLen+aes.BlockSize {
				return a, "RAR encrypted headers are truncated"
			}
			salt, _ := readAt(r, size, next, rar4SaltLen)
			a.salt = salt
			return a, ""
		}
		pos = next
		if typ == rar4End {
			if pos < size {
				return a, fmt.Sprintf("RAR archive has %d bytes after its end (appended data)", size-pos)
			}
			return a, ""
		}
	}
}

// parseRAR4File reads a RAR4 file or service header h (the whole header).
func parseRAR4File(h []byte, flags uint16) (e rarEntry, problem string) {
	if len(h) < rar4FileLen {
		return e, "too short"
	}
	packLow := uint64(binary.LittleEndian.Uint32(h[7:11]))
	unpLow := uint64(binary.LittleEndian.Uint32(h[11:15]))
	e.crc, e.hasCRC = binary.LittleEndian.Uint32(h[16:20]), true
	e.unpVer = h[24]
	method := h[25]
	nameLen := int(binary.LittleEndian.Uint16(h[26:28]))
	off := rar4FileLen
	var packHigh, unpHigh uint64
	if flags&rar4FileLarge != 0 {
		if len(h) < off+8 {
			return e, "too short"
		}
		packHigh = uint64(binary.LittleEndian.Uint32(h[off : off+4]))
		unpHigh = uint64(binary.LittleEndian.Uint32(h[off+4 : off+8]))
		off += 8
	}
	if len(h) < off+nameLen {
		return e, "the name runs past the header"
	}
	name := h[off : off+nameLen]
	off += nameLen
	if flags&rar4FileSalt != 0 {
		if len(h) < off+rar4SaltLen {
			return e, "the salt runs past the header"
		}
		e.salt = append([]byte(nil), h[off:off+rar4SaltLen]...)
	}
	pack := packHigh<<32 | packLow
	if pack > 1<<62 {
		return e, "impossible packed size"
	}
	e.dataLen = int64(pack)
	e.size = unpHigh<<32 | unpLow
	e.dir = flags&rar4FileDirMask == rar4FileDirMask
	e.split = flags&(rar4FileSplitBefore|rar4FileSplitAfter) != 0
	e.stored = method == 0x30
	e.compress = rar4MethodName(method)
	if flags&rar4FileUnicode != 0 {
		e.name = decodeRAR4Name(name)
	} else {
		e.name = string(name)
	}
	if flags&rar4FileEncrypted != 0 {
		e.encrypted = true
		switch {
		case e.unpVer >= 29:
			e.method = "AES-128 (RAR4)"
		case e.unpVer >= 20:
			e.method = "RAR 2.0 cipher"
		default:
			e.method = "RAR 1.5 cipher"
		}
	}
	return e, ""
}

func rar4MethodName(m byte) string {
	switch m {
	case 0x30:
		return "store"
	case 0x31:
		return "fastest"
	case 0x32:
		return "fast"
	case 0x33:
		return "normal"
	case 0x34:
		return "good"
	case 0x35:
		return "best"
	}
	return fmt.Sprintf("method %#x", m)
}

// decodeRAR4Name decodes a RAR4 Unicode file name: an OEM name, a NUL, and
// the UTF-16 name packed against it (unrar's EncodeFileName::Decode). Without
// the NUL the name is UTF-8.
func decodeRAR4Name(b []byte) string {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return string(b)
	}
	oem, enc := b[:i], b[i+1:]
	if len(enc) == 0 {
		return string(oem)
	}
	high := uint16(enc[0]) << 8
	enc = enc[1:]
	var out []uint16
	var flags byte
	bits := 0
	next := func() (byte, bool) {
		if len(enc) == 0 {
			return 0, false
		}
		c := enc[0]
		enc = enc[1:]
		return c, true
	}
	for len(enc) > 0 && len(out) < 0x10000 {
		if bits == 0 {
			flags, _ = next()
			bits = 8
		}
		bits -= 2
		switch flags >> bits & 3 {
		case 0:
			c, ok := next()
			if !ok {
				return string(utf16.Decode(out))
			}
			out = append(out, uint16(c))
		case 1:
			c, ok := next()
			if !ok {
				return string(utf16.Decode(out))
			}
			out = append(out, uint16(c)|high)
		case 2:
			lo, ok1 := next()
			hi, ok2 := next()
			if !ok1 || !ok2 {
				return string(utf16.Decode(out))
			}
			out = append(out, uint16(lo)|uint16(hi)<<8)
		case 3:
			n, ok := next()
			if !ok {
				return string(utf16.Decode(out))
			}
			length := int(n&0x7F) + 2
			var corr byte
			if n&0x80 != 0 {
				if corr, ok = next(); !ok {
					return string(utf16.Decode(out))
				}
			}
			for ; length > 0 && len(out) < len(oem); length-- {
				c := oem[len(out)]
				if n&0x80 != 0 {
					out = append(out, uint16(c+corr)|high)
				} else {
					out = append(out, uint16(c))
				}
			}
		}
	}
	return string(utf16.Decode(out))
}

// rar5Reader reads RAR5 vints and fixed fields from a header.
type rar5Reader struct {
	b   []byte
	err error
}

func (r *rar5Reader) vint() uint64 {
	var v uint64
	for i := 0; i < 10; i++ {
		if r.err != nil {
			return 0
		}
		if len(r.b) == 0 {
			r.err = errRARTruncated
			return 0
		}
		c := r.b[0]
		r.b = r.b[1:]
		v |= uint64(c&0x7F) << (7 * i)
		if c&0x80 == 0 {
			return v
		}
	}
	r.err = errors.New("a number is longer than 10 bytes")
	return 0
}

func (r *rar5Reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errRARTruncated
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *rar5Reader) uint32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// rar5Block is a parsed RAR5 block header.
type rar5Block struct {
	typ      uint64
	flags    uint64
	body     *rar5Reader // type-specific fields
	extra    []byte
	dataLen  int64
	totalLen int64 // CRC, size and header
}

// readRAR5Block reads the block header at pos.
func (s *scanner) readRAR5Block(r io.ReaderAt, size, pos int64) (b rar5Block, problem string) {
	pre, err := readAt(r, size, pos, min(size-pos, 7))
	if err != nil || len(pre) < 5 {
		return b, "is truncated"
	}
	sr := &rar5Reader{b: pre[4:]}
	hsize := sr.vint()
	if sr.err != nil || hsize == 0 || hsize > rar5MaxHeader {
		return b, "is corrupt (header size)"
	}
	sizeLen := int64(len(pre) - 4 - len(sr.b))
	b.totalLen = 4 + sizeLen + int64(hsize)
	if !s.charge(b.totalLen) {
		return b, fmt.Sprintf("exceeds the %d-byte limit", s.lim.MaxBytes)
	}
	h, err := readAt(r, size, pos, b.totalLen)
	if err != nil {
		return b, "is truncated"
	}
	if crc32.ChecksumIEEE(h[4:]) != binary.LittleEndian.Uint32(h[0:4]) {
		return b, "has a CRC mismatch (corrupt)"
	}
	return b, b.parse(h[4+sizeLen:])
}

// parse reads the common fields of a header body.
func (b *rar5Block) parse(body []byte) string {
	rd := &rar5Reader{b: body}
	b.typ = rd.vint()
	b.flags = rd.vint()
	var extraLen, dataLen uint64
	if b.flags&rar5HasExtra != 0 {
		extraLen = rd.vint()
	}
	if b.flags&rar5HasData != 0 {
		dataLen = rd.vint()
	}
	if rd.err != nil {
		return "is corrupt: " + rd.err.Error()
	}
	if extraLen > uint64(len(rd.b)) {
		return "is corrupt (extra area size)"
	}
	if dataLen > 1<<62 {
		return "is corrupt (data size)"
	}
	b.extra = rd.b[uint64(len(rd.b))-extraLen:]
	b.body = &rar5Reader{b: rd.b[:uint64(len(rd.b))-extraLen]}
	b.dataLen = int64(dataLen)
	return ""
}

func (s *scanner) parseRAR5(r io.ReaderAt, size int64) (*rarArchive, string) {
	a := &rarArchive{v5: true}
	pos := int64(len(magicRAR5))
	files := 0
	for n := 0; ; n++ {
		if pos == size {
			return a, "RAR archive is truncated (no end-of-archive block)"
		}
		b, problem := s.readRAR5Block(r, size, pos)
		if problem != "" {
			return a, fmt.Sprintf("RAR block header at offset %d %s", pos, problem)
		}
		next := pos + b.totalLen + b.dataLen
		if next > size || next < pos {
			return a, fmt.Sprintf("RAR block at offset %d extends past the end of the file (truncated, or one volume of a split archive)", pos)
		}
		switch b.typ {
		case rar5Encryption:
			if n != 0 {
				return a, fmt.Sprintf("RAR archive encryption header at offset %d is not the first block", pos)
			}
			version := b.body.vint()
			flags := b.body.vint()
			kdf := b.body.bytes(1)
			salt := b.body.bytes(rar5SaltLen)
			var check []byte
			if flags&rar5CheckPresent != 0 {
				check = b.body.bytes(rar5CheckLen)
			}
			switch {
			case b.body.err != nil:
				return a, "RAR archive encryption header is corrupt"
			case version != 0:
				return a, fmt.Sprintf("RAR archive encryption version %d is not supported", version)
			}
			a.hdrEnc, a.encAt, a.salt, a.kdf, a.check = true, next, salt, int(kdf[0]), check
			if size-next < 2*aes.BlockSize {
				return a, "RAR encrypted headers are truncated"
			}
			return a, ""
		case rar5Main:
			if n != 0 {
				return a, fmt.Sprintf("RAR archive has a second archive header at offset %d", pos)
			}
			if flags := b.body.vint(); flags&rar5MainVolume != 0 {
				a.notes = append(a.notes, "one volume of a multi-volume archive")
			}
		case rar5File, rar5Service:
			if n == 0 {
				return a, "RAR archive header is missing"
			}
			e, problem := parseRAR5File(&b)
			if problem != "" {
				return a, fmt.Sprintf("RAR file header at offset %d is corrupt: %s", pos, problem)
			}
			e.service = b.typ == rar5Service
			e.dataOff, e.dataLen = pos+b.totalLen, b.dataLen
			if !e.service {
				files++
				if files > s.lim.MaxEntries {
					return a, fmt.Sprintf("RAR archive has more than %d entries", s.lim.MaxEntries)
				}
			}
			a.entries = append(a.entries, e)
		case rar5End:
			if n == 0 {
				return a, "RAR archive header is missing"
			}
			if next < size {
				return a, fmt.Sprintf("RAR archive has %d bytes after its end (appended data)", size-next)
			}
			return a, ""
		default:
			return a, fmt.Sprintf("RAR block at offset %d has an unknown type %d", pos, b.typ)
		}
		pos = next
	}
}

// parseRAR5File reads the fields of a file or service header and its
// extra records.
func parseRAR5File(b *rar5Block) (e rarEntry, problem string) {
	rd := b.body
	fileFlags := rd.vint()
	e.size = rd.vint()
	rd.vint() // attributes
	if fileFlags&rar5FileTime != 0 {
		rd.uint32()
	}
	if fileFlags&rar5FileCRC != 0 {
		e.crc, e.hasCRC = rd.uint32(), true
	}
	comp := rd.vint()
	rd.vint() // host OS
	name := rd.bytes(rd.vint())
	if rd.err != nil {
		return e, rd.err.Error()
	}
	e.name = string(name)
	e.dir = fileFlags&rar5FileDir != 0
	e.split = b.flags&(rar5SplitBefore|rar5SplitAfter) != 0
	method := comp >> 7 & 7
	e.stored = method == 0
	e.compress = [...]string{"store", "fastest", "fast", "normal", "good", "best", "method 6", "method 7"}[method]
	ex := &rar5Reader{b: b.extra}
	for len(ex.b) > 0 && ex.err == nil {
		rec := &rar5Reader{b: ex.bytes(ex.vint())}
		if ex.err != nil {
			break
		}
		if typ := rec.vint(); typ != rar5RecEncrypted || rec.err != nil {
			continue
		}
		version := rec.vint()
		flags := rec.vint()
		kdf := rec.bytes(1)
		e.salt = rec.bytes(rar5SaltLen)
		e.iv = rec.bytes(aes.BlockSize)
		if flags&rar5CheckPresent != 0 {
			e.check = rec.bytes(rar5CheckLen)
		}
		if rec.err != nil {
			return e, "the encryption record is truncated"
		}
		if version != 0 {
			return e, fmt.Sprintf("encryption version %d is not supported", version)
		}
		e.encrypted, e.method, e.kdf, e.usesMAC = true, "AES-256 (RAR5)", int(kdf[0]), flags&0x0002 != 0
	}
	if ex.err != nil {
		return e, "the extra area is corrupt"
	}
	return e, ""
}

// inspectRAR judges a RAR archive; see the top of this file.
func (s *scanner) inspectRAR(r io.ReaderAt, size int64, depth int) Result {
	res := Result{Format: FormatRAR}
	a, reason := s.parseRAR(r, size)
	if a != nil {
		res.Notes = a.notes
	}
	if reason != "" {
		res.Unscannable = reason
		return res
	}
	if a.hdrEnc {
		res.Protected = true
		if a.v5 {
			res.Method = "AES-256 (RAR5, headers encrypted)"
		} else {
			res.Method = "AES-128 (RAR4, headers encrypted)"
		}
		res.Notes = append(res.Notes, "headers encrypted: file names are hidden")
		return res
	}
	for i, e := range a.entries {
		if !e.encrypted || e.dataLen == 0 || e.split {
			continue
		}
		plain, problem := s.rarClaim(r, size, e)
		switch {
		case problem != "":
			res.Unscannable = fmt.Sprintf("RAR entry %q %s", e.name, problem)
			return res
		case plain:
			res.Notes = append(res.Notes, fmt.Sprintf("entry %q is flagged as %s but its data is plaintext", e.name, e.method))
			a.entries[i].encrypted, a.entries[i].method = false, ""
		}
	}
	var methods, compressed []string
	files, streams := 0, 0
	for _, e := range a.entries {
		if e.service {
			if e.name == "STM" && e.dataLen > 0 && !e.encrypted {
				streams++
			}
			continue
		}
		res.Entries = append(res.Entries, Entry{
			Name: e.name, Encrypted: e.encrypted, Method: e.method, Compression: e.compress,
			Size: e.size, CompressedSize: uint64(e.dataLen), Dir: e.dir,
		})
		if e.encrypted && !containsString(methods, e.method) {
			methods = append(methods, e.method)
		}
		if e.dir {
			continue
		}
		files++
		if !e.encrypted {
			res.PlainEntries = append(res.PlainEntries, e.name)
			if !e.stored && e.size > 0 {
				compressed = append(compressed, e.name)
			}
		}
	}
	if streams > 0 {
		// NTFS alternate data streams travel with a file but are not
		// entries; plain ones are plain data.
		res.PlainEntries = append(res.PlainEntries, fmt.Sprintf("(%d NTFS alternate data stream(s))", streams))
	}
	res.Method = strings.Join(methods, ", ")
	if len(methods) > 0 {
		res.Notes = append(res.Notes, "file names visible (headers are not encrypted)")
	}
	res.Protected = files > 0 && len(res.PlainEntries) == 0
	if len(compressed) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d plain compressed entr(y/ies) not decompressed, their content was not checked: %s",
			len(compressed), strings.Join(compressed[:min(len(compressed), 3)], ", ")))
	}
	for _, e := range a.entries {
		if !e.service && !e.dir && !e.encrypted && e.stored && !e.split && e.size > 0 && !s.nestedRAR(r, e, depth, &res) {
			break
		}
	}
	return res
}

// nestedRAR identifies a plain stored entry and inspects a known format one
// level deeper; false when the byte budget is spent.
func (s *scanner) nestedRAR(r io.ReaderAt, e rarEntry, depth int, parent *Result) bool {
	if uint64(e.dataLen) != e.size {
		parent.Notes = append(parent.Notes, fmt.Sprintf("entry %q: stored, but its sizes differ", e.name))
		return true
	}
	n := min(e.dataLen, IdentifyHeadSize)
	if !s.charge(n) {
		parent.Notes = append(parent.Notes, fmt.Sprintf("byte limit reached: entry %q and later entries were not checked", e.name))
		return false
	}
	head, err := readAt(r, e.dataOff+e.dataLen, e.dataOff, n)
	if err != nil {
		parent.Notes = append(parent.Notes, fmt.Sprintf("entry %q: reading its data: %v", e.name, err))
		return true
	}
	format := Identify(head)
	if format == FormatUnknown {
		return true
	}
	child := Result{Format: format, Name: e.name}
	switch {
	case depth+1 > s.lim.MaxNesting:
		child.Unscannable = fmt.Sprintf("nested more than %d archive levels deep", s.lim.MaxNesting)
	case !s.charge(e.dataLen - n):
		child.Unscannable = fmt.Sprintf("nested file exceeds the %d-byte limit", s.lim.MaxBytes)
	default:
		data, err := readAt(r, e.dataOff+e.dataLen, e.dataOff, e.dataLen)
		switch {
		case err != nil:
			child.Unscannable = fmt.Sprintf("reading nested file: %v", err)
		case e.hasCRC && crc32.ChecksumIEEE(data) != e.crc:
			child.Unscannable = "reading nested file: CRC-32 mismatch"
		default:
			child = s.inspect(bytes.NewReader(data), int64(len(data)), depth+1)
			child.Name = e.name
		}
	}
	parent.Nested = append(parent.Nested, child)
	return true
}

// Password checks.
//
// RAR5 stores a password check value: PBKDF2-HMAC-SHA256 over the UTF-8
// password and the salt, 2^KDF count iterations for the key, continued for
// 32 more; the last value folded to 8 bytes (plus 4 bytes of its SHA-256
// that guard the stored value). A match is a 2^-64 coincidence. Without a
// check value, encrypted headers are verified by decrypting the first
// header and checking its CRC-32.
//
// RAR4 has no check value. Its key and IV come from SHA-1 over 2^18 rounds
// of UTF-16LE password, salt and a 3-byte counter. Encrypted headers are
// verified by decrypting the first one or two headers and checking their
// type, size and CRC-16 (false positives about 2^-21 per header, so 2^-37
// when two headers exist). Encrypted entries that are stored (not
// compressed) and at most szCheckMax bytes are verified by their CRC-32.
// Compressed RAR4 entries cannot be verified without a RAR decompressor:
// ErrCannotVerify. The RAR 2.0 and 1.5 ciphers are not supported either.
// unrar's SHA-1 alters its input for passwords over 28 UTF-16 units (a
// RAR 2.9 quirk); such candidates are refused with ErrCannotVerify.

// rarMaxTargets bounds the entries a candidate is tried against. RAR
// entries usually have their own salt, so each one costs a key derivation
// (RAR4 about 6 ms, RAR5 with the usual 2^15 iterations about 10 ms on one
// AMD EPYC core); two cover an archive whose first entry was added with
// another password.
const rarMaxTargets = 2

// RARPasswordChecker tests candidate passwords against an encrypted RAR
// archive. It is safe for concurrent use when r is.
type RARPasswordChecker struct {
	r       io.ReaderAt
	size    int64
	targets []rarTarget
}

type rarTargetKind int

const (
	tgt5Check  rarTargetKind = iota // compare the check value
	tgt5Header                      // decrypt the first encrypted header, check its CRC-32
	tgt4Header                      // decrypt the first encrypted headers, check their CRC-16
	tgt4Stored                      // decrypt a stored entry, check its CRC-32
)

type rarTarget struct {
	kind  rarTargetKind
	name  string
	salt  []byte
	kdf   int
	check []byte // tgt5Check: the 8-byte check value
	off   int64  // tgt5Header: the IV; tgt4Header: the salt; tgt4Stored: the data
	n     int64  // tgt4Stored: data length
	size  int64  // tgt4Stored: unpacked size
	crc   uint32
}

// NewRARPasswordChecker parses the archive like Inspect (an unscannable
// archive is refused with ErrUnscannable) and picks what candidates are
// verified against (see above), at most a few targets. It returns
// ErrNotEncrypted for an archive without encryption and ErrCannotVerify
// when nothing encrypted can be verified.
func NewRARPasswordChecker(r io.ReaderAt, size int64, lim Limits) (c *RARPasswordChecker, err error) {
	defer func() {
		if v := recover(); v != nil {
			c, err = nil, fmt.Errorf("%w: internal error: %v", ErrUnscannable, v)
		}
	}()
	lim = lim.withDefaults()
	s := &scanner{lim: lim, left: lim.MaxBytes}
	a, reason := s.parseRAR(r, size)
	if reason != "" {
		return nil, fmt.Errorf("%w: %s", ErrUnscannable, reason)
	}
	c = &RARPasswordChecker{r: r, size: size}
	switch {
	case a.hdrEnc && a.v5:
		if a.kdf > rar5MaxKDF {
			return nil, fmt.Errorf("%w: KDF count 2^%d exceeds 2^%d", ErrCannotVerify, a.kdf, rar5MaxKDF)
		}
		if chk, ok := rar5CheckValue(a.check); ok {
			c.targets = append(c.targets, rarTarget{kind: tgt5Check, name: "(headers)", salt: a.salt, kdf: a.kdf, check: chk})
		} else {
			c.targets = append(c.targets, rarTarget{kind: tgt5Header, name: "(headers)", salt: a.salt, kdf: a.kdf, off: a.encAt})
		}
		return c, nil
	case a.hdrEnc:
		c.targets = append(c.targets, rarTarget{kind: tgt4Header, name: "(headers)", salt: a.salt, off: a.encAt})
		return c, nil
	}
	encrypted, why := 0, "no encrypted entry can be checked"
	var cands []rarTarget
	for _, e := range a.entries {
		if !e.encrypted || e.dir || e.service {
			continue
		}
		encrypted++
		switch {
		case a.v5 && e.kdf > rar5MaxKDF:
			why = fmt.Sprintf("entry %q: KDF count 2^%d exceeds 2^%d", e.name, e.kdf, rar5MaxKDF)
		case a.v5:
			chk, ok := rar5CheckValue(e.check)
			if !ok {
				why = fmt.Sprintf("entry %q has no password check value", e.name)
				continue
			}
			t := rarTarget{kind: tgt5Check, name: e.name, salt: e.salt, kdf: e.kdf, check: chk}
			if !containsRARTarget(cands, t) {
				cands = append(cands, t)
			}
		case e.unpVer < 29:
			why = fmt.Sprintf("entry %q uses the %s", e.name, e.method)
		case !e.stored || e.split || len(e.salt) != rar4SaltLen:
			why = fmt.Sprintf("entry %q is compressed: RAR4 entries are only verified when stored", e.name)
		case e.size > szCheckMax || e.dataLen%aes.BlockSize != 0 || uint64(e.dataLen) < e.size || e.dataLen-int64(e.size) >= aes.BlockSize:
			why = fmt.Sprintf("entry %q is too large or its sizes are inconsistent", e.name)
		default:
			cands = append(cands, rarTarget{kind: tgt4Stored, name: e.name, salt: e.salt, off: e.dataOff, n: e.dataLen, size: int64(e.size), crc: e.crc})
		}
	}
	if encrypted == 0 {
		return nil, ErrNotEncrypted
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrCannotVerify, why)
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].n < cands[j].n })
	c.targets = cands[:min(len(cands), rarMaxTargets)]
	return c, nil
}

func containsRARTarget(list []rarTarget, t rarTarget) bool {
	for _, x := range list {
		if x.kind == t.kind && x.kdf == t.kdf && bytes.Equal(x.salt, t.salt) && bytes.Equal(x.check, t.check) {
			return true
		}
	}
	return false
}

// rar5CheckValue returns the 8-byte check value of a 12-byte stored one
// whose checksum is intact.
func rar5CheckValue(stored []byte) ([]byte, bool) {
	if len(stored) != rar5CheckLen {
		return nil, false
	}
	sum := sha256.Sum256(stored[:8])
	return stored[:8], bytes.Equal(sum[:4], stored[8:])
}

// Check reports whether password opens the archive, verified as described
// above. An error wrapping ErrCannotVerify means this candidate cannot be
// tested; other errors are internal failures.
func (c *RARPasswordChecker) Check(password string) (ok bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			ok, err = false, fmt.Errorf("internal error: %v", v)
		}
	}()
	type rar4Key struct{ salt, key, iv []byte }
	type rar5Key struct {
		salt       []byte
		kdf        int
		key, check []byte
	}
	var keys4 []rar4Key
	var keys5 []rar5Key
	key4 := func(salt []byte) (key, iv []byte, err error) {
		for _, k := range keys4 {
			if bytes.Equal(k.salt, salt) {
				return k.key, k.iv, nil
			}
		}
		pw := utf16LE(password)
		if len(pw) > 2*28 {
			return nil, nil, fmt.Errorf("%w: RAR4 passwords over 28 characters are not supported", ErrCannotVerify)
		}
		key, iv = rar4Keys(pw, salt)
		keys4 = append(keys4, rar4Key{salt, key, iv})
		return key, iv, nil
	}
	key5 := func(salt []byte, kdf int) (key, check []byte) {
		for _, k := range keys5 {
			if k.kdf == kdf && bytes.Equal(k.salt, salt) {
				return k.key, k.check
			}
		}
		key, check = rar5Keys([]byte(password), salt, kdf)
		keys5 = append(keys5, rar5Key{salt, kdf, key, check})
		return key, check
	}
	for i := range c.targets {
		t := &c.targets[i]
		switch t.kind {
		case tgt5Check:
			if _, check := key5(t.salt, t.kdf); bytes.Equal(check, t.check) {
				return true, nil
			}
		case tgt5Header:
			key, _ := key5(t.salt, t.kdf)
			if c.rar5HeaderOpens(t.off, key) {
				return true, nil
			}
		case tgt4Header:
			if len(password) > 28 && len(utf16LE(password)) > 2*28 {
				return false, fmt.Errorf("%w: RAR4 passwords over 28 characters are not supported", ErrCannotVerify)
			}
			if c.rar4HeadersOpen(t.off, key4) {
				return true, nil
			}
		case tgt4Stored:
			key, iv, err := key4(t.salt)
			if err != nil {
				return false, err
			}
			if c.rar4StoredOpens(t, key, iv) {
				return true, nil
			}
		}
	}
	return false, nil
}

// rar5HeaderOpens decrypts the encrypted header at off (IV, then AES-256
// CBC) and checks its CRC-32.
func (c *RARPasswordChecker) rar5HeaderOpens(off int64, key []byte) bool {
	iv, err := readAt(c.r, c.size, off, aes.BlockSize)
	if err != nil {
		return false
	}
	block, _ := aes.NewCipher(key)
	first, err := readAt(c.r, c.size, off+aes.BlockSize, aes.BlockSize)
	if err != nil {
		return false
	}
	dec := make([]byte, aes.BlockSize)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(dec, first)
	sr := &rar5Reader{b: dec[4:]}
	hsize := sr.vint()
	if sr.err != nil || hsize == 0 || hsize > rar5MaxHeader {
		return false
	}
	total := 4 + int64(len(dec)-4-len(sr.b)) + int64(hsize)
	padded := (total + aes.BlockSize - 1) / aes.BlockSize * aes.BlockSize
	enc, err := readAt(c.r, c.size, off+aes.BlockSize, padded)
	if err != nil {
		return false
	}
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(enc, enc)
	return crc32.ChecksumIEEE(enc[4:total]) == binary.LittleEndian.Uint32(enc[0:4])
}

// rar4HeadersOpen decrypts the first encrypted header at off (an 8-byte
// salt, then AES-128 CBC) and, when the archive goes on, the next one.
func (c *RARPasswordChecker) rar4HeadersOpen(off int64, keyFor func([]byte) ([]byte, []byte, error)) bool {
	for i := 0; i < 2 && off < c.size; i++ {
		salt, err := readAt(c.r, c.size, off, rar4SaltLen)
		if err != nil {
			return i > 0
		}
		key, iv, err := keyFor(salt)
		if err != nil {
			return false
		}
		block, _ := aes.NewCipher(key)
		first, err := readAt(c.r, c.size, off+rar4SaltLen, aes.BlockSize)
		if err != nil {
			return i > 0
		}
		dec := make([]byte, aes.BlockSize)
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(dec, first)
		typ, flags, hsize := dec[2], binary.LittleEndian.Uint16(dec[3:5]), int64(binary.LittleEndian.Uint16(dec[5:7]))
		if typ < rar4Main || typ > rar4End || hsize < 7 {
			return false
		}
		padded := (hsize + aes.BlockSize - 1) / aes.BlockSize * aes.BlockSize
		enc, err := readAt(c.r, c.size, off+rar4SaltLen, padded)
		if err != nil {
			return false
		}
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(enc, enc)
		if uint16(crc32.ChecksumIEEE(enc[2:hsize])) != binary.LittleEndian.Uint16(enc[0:2]) {
			return false
		}
		if typ == rar4End {
			return true
		}
		var dataLen int64
		switch {
		case typ == rar4File || typ == rar4NewSub:
			e, problem := parseRAR4File(enc[:hsize], flags)
			if problem != "" {
				return false
			}
			dataLen = e.dataLen
		case flags&rar4LongBlock != 0 && hsize >= 11:
			dataLen = int64(binary.LittleEndian.Uint32(enc[7:11]))
		}
		off += rar4SaltLen + padded + dataLen
	}
	return true
}

// rar4StoredOpens decrypts a stored entry and checks its CRC-32.
func (c *RARPasswordChecker) rar4StoredOpens(t *rarTarget, key, iv []byte) bool {
	data, err := readAt(c.r, c.size, t.off, t.n)
	if err != nil {
		return false
	}
	block, _ := aes.NewCipher(key)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(data, data)
	return crc32.ChecksumIEEE(data[:t.size]) == t.crc
}

// rar4Keys derives the AES-128 key and IV of RAR 2.9-4.x (unrar's
// CryptData::SetKey30): SHA-1 over 2^18 rounds of password || salt ||
// 3-byte round number; the IV takes byte 19 of the digest at every 2^14th
// round; the key is the first four digest words, each little-endian.
func rar4Keys(pw, salt []byte) (key, iv []byte) {
	unit := len(pw) + len(salt) + 3
	const step = rar4HashRound / 16 // IV byte every 16384 rounds
	buf := make([]byte, step*unit)
	for j := 0; j < step; j++ {
		copy(buf[j*unit:], pw)
		copy(buf[j*unit+len(pw):], salt)
	}
	h := sha1.New()
	iv = make([]byte, aes.BlockSize)
	var sum [sha1.Size]byte
	for i := 0; i < rar4HashRound; i += step {
		// Round i first (its digest gives an IV byte), then the other
		// rounds of the step in one write.
		for j := 0; j < step; j++ {
			n := i + j
			p := buf[j*unit+unit-3:]
			p[0], p[1], p[2] = byte(n), byte(n>>8), byte(n>>16)
		}
		h.Write(buf[:unit])
		iv[i/step] = h.Sum(sum[:0])[19]
		h.Write(buf[unit:])
	}
	d := h.Sum(sum[:0])
	key = make([]byte, 16)
	for i := 0; i < 4; i++ {
		key[4*i], key[4*i+1], key[4*i+2], key[4*i+3] = d[4*i+3], d[4*i+2], d[4*i+1], d[4*i]
	}
	return key, iv
}

// rar5Keys derives the AES-256 key and the 8-byte password check value of
// RAR5: PBKDF2-HMAC-SHA256 with 2^kdf iterations gives the key; 16 more
// give the hash key (unused here), 16 more the check value, folded to 8
// bytes by XOR.
func rar5Keys(pw, salt []byte, kdf int) (key, check []byte) {
	prf := hmac.New(sha256.New, pw)
	prf.Write(salt)
	prf.Write([]byte{0, 0, 0, 1})
	u := prf.Sum(nil)
	f := append([]byte(nil), u...)
	iterate := func(n int) {
		for ; n > 0; n-- {
			prf.Reset()
			prf.Write(u)
			u = prf.Sum(u[:0])
			for j := range f {
				f[j] ^= u[j]
			}
		}
	}
	iterate(1<<kdf - 1)
	key = append([]byte(nil), f...)
	iterate(16) // hash key
	iterate(16)
	check = make([]byte, 8)
	for i, v := range f {
		check[i%8] ^= v
	}
	return key, check
}

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
