package encryption

// The RAR 5 block layer ("RAR 5.0 archive format"): vints, block headers
// checked against their CRC-32, the archive encryption header, and file
// and service headers with their extra records.

import (
	"crypto/aes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

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
func (s *scanner) readRAR5Block(r io.ReaderAt, size, pos int64) (b rar5Block, problem error) {
	pre, err := readAt(r, size, pos, min(size-pos, 7))
	if err != nil || len(pre) < 5 {
		return b, errors.New("is truncated")
	}
	sr := &rar5Reader{b: pre[4:]}
	hsize := sr.vint()
	if sr.err != nil || hsize == 0 || hsize > rar5MaxHeader {
		return b, errors.New("is corrupt (header size)")
	}
	sizeLen := int64(len(pre) - 4 - len(sr.b))
	b.totalLen = 4 + sizeLen + int64(hsize)
	if !s.charge(b.totalLen) {
		return b, fmt.Errorf("exceeds the %d-byte limit", s.lim.MaxBytes)
	}
	h, err := readAt(r, size, pos, b.totalLen)
	if err != nil {
		return b, errors.New("is truncated")
	}
	if crc32.ChecksumIEEE(h[4:]) != binary.LittleEndian.Uint32(h[0:4]) {
		return b, errors.New("has a CRC mismatch (corrupt)")
	}
	return b, b.parse(h[4+sizeLen:])
}

// parse reads the common fields of a header body.
func (b *rar5Block) parse(body []byte) error {
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
		return errors.New("is corrupt: " + rd.err.Error())
	}
	if extraLen > uint64(len(rd.b)) {
		return errors.New("is corrupt (extra area size)")
	}
	if dataLen > 1<<62 {
		return errors.New("is corrupt (data size)")
	}
	b.extra = rd.b[uint64(len(rd.b))-extraLen:]
	b.body = &rar5Reader{b: rd.b[:uint64(len(rd.b))-extraLen]}
	b.dataLen = int64(dataLen)
	return nil
}

func (s *scanner) parseRAR5(r io.ReaderAt, size int64) (*rarArchive, error) {
	a := &rarArchive{v5: true}
	pos := int64(len(magicRAR5))
	files := 0
	for n := 0; ; n++ {
		if pos == size {
			return a, errors.New("RAR archive is truncated (no end-of-archive block)")
		}
		b, problem := s.readRAR5Block(r, size, pos)
		if problem != nil {
			return a, fmt.Errorf("RAR block header at offset %d %s", pos, problem)
		}
		next := pos + b.totalLen + b.dataLen
		if next > size || next < pos {
			return a, fmt.Errorf("RAR block at offset %d extends past the end of the file (truncated, or one volume of a split archive)", pos)
		}
		switch b.typ {
		case rar5Encryption:
			if n != 0 {
				return a, fmt.Errorf("RAR archive encryption header at offset %d is not the first block", pos)
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
				return a, errors.New("RAR archive encryption header is corrupt")
			case version != 0:
				return a, fmt.Errorf("RAR archive encryption version %d is not supported", version)
			}
			a.hdrEnc, a.encAt, a.salt, a.kdf, a.check = true, next, salt, int(kdf[0]), check
			if size-next < 2*aes.BlockSize {
				return a, errors.New("RAR encrypted headers are truncated")
			}
			return a, nil
		case rar5Main:
			if n != 0 {
				return a, fmt.Errorf("RAR archive has a second archive header at offset %d", pos)
			}
			if flags := b.body.vint(); flags&rar5MainVolume != 0 {
				a.notes = append(a.notes, "one volume of a multi-volume archive")
			}
		case rar5File, rar5Service:
			if n == 0 {
				return a, errors.New("RAR archive header is missing")
			}
			e, problem := parseRAR5File(&b)
			if problem != nil {
				return a, fmt.Errorf("RAR file header at offset %d is corrupt: %s", pos, problem)
			}
			e.service = b.typ == rar5Service
			e.dataOff, e.dataLen = pos+b.totalLen, b.dataLen
			if !e.service {
				files++
				if files > s.lim.MaxEntries {
					return a, fmt.Errorf("RAR archive has more than %d entries", s.lim.MaxEntries)
				}
			}
			a.entries = append(a.entries, e)
		case rar5End:
			if n == 0 {
				return a, errors.New("RAR archive header is missing")
			}
			if next < size {
				return a, fmt.Errorf("RAR archive has %d bytes after its end (appended data)", size-next)
			}
			return a, nil
		default:
			return a, fmt.Errorf("RAR block at offset %d has an unknown type %d", pos, b.typ)
		}
		pos = next
	}
}

// parseRAR5File reads the fields of a file or service header and its
// extra records.
func parseRAR5File(b *rar5Block) (e rarEntry, problem error) {
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
		return e, rd.err
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
			return e, errors.New("the encryption record is truncated")
		}
		if version != 0 {
			return e, fmt.Errorf("encryption version %d is not supported", version)
		}
		e.encrypted, e.method, e.kdf, e.usesMAC = true, "AES-256 (RAR5)", int(kdf[0]), flags&0x0002 != 0
	}
	if ex.err != nil {
		return e, errors.New("the extra area is corrupt")
	}
	return e, nil
}
