package encryption

// The RAR 4 block layer (technote.txt): the archive, file and service
// headers, each checked against its CRC, its size and the file; file names
// in RAR 4's own Unicode encoding.

import (
	"bytes"
	"crypto/aes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"unicode/utf16"
)

func (s *scanner) parseRAR4(r io.ReaderAt, size int64) (*rarArchive, error) {
	a := &rarArchive{}
	pos := int64(len(magicRAR4))
	files := 0
	for first := true; ; first = false {
		if pos == size {
			a.notes = append(a.notes, "no end-of-archive block (RAR 2.x, or truncated at a block boundary)")
			return a, nil
		}
		base, err := readAt(r, size, pos, 7)
		if err != nil {
			return a, fmt.Errorf("RAR block header at offset %d is truncated", pos)
		}
		typ, flags, hsize := base[2], binary.LittleEndian.Uint16(base[3:5]), int64(binary.LittleEndian.Uint16(base[5:7]))
		if hsize < 7 {
			return a, fmt.Errorf("RAR block header at offset %d is corrupt (size %d)", pos, hsize)
		}
		if first && typ != rar4Main {
			return a, errors.New("RAR archive header is missing")
		}
		if !s.charge(hsize) {
			return a, fmt.Errorf("RAR headers exceed the %d-byte limit", s.lim.MaxBytes)
		}
		h, err := readAt(r, size, pos, hsize)
		if err != nil {
			return a, fmt.Errorf("RAR block header at offset %d is truncated", pos)
		}
		crc := uint16(crc32.ChecksumIEEE(h[2:]))
		crcOK := crc == binary.LittleEndian.Uint16(h[0:2]) || typ == rar4Sign || typ == rar4AV
		var dataLen int64
		switch typ {
		case rar4Main:
			if !first {
				return a, fmt.Errorf("RAR archive has a second archive header at offset %d", pos)
			}
			if hsize < rar4MainLen {
				return a, errors.New("RAR archive header is corrupt (too short)")
			}
			if !crcOK && flags&rar4MainComment != 0 { // an old comment inside the header
				crcOK = uint16(crc32.ChecksumIEEE(h[2:rar4MainLen])) == binary.LittleEndian.Uint16(h[0:2])
			}
			if flags&rar4MainVolume != 0 {
				a.notes = append(a.notes, "one volume of a multi-volume archive")
			}
		case rar4File, rar4NewSub:
			e, reason := parseRAR4File(h, flags)
			if reason != nil {
				return a, fmt.Errorf("RAR file header at offset %d is corrupt: %s", pos, reason)
			}
			e.service = typ == rar4NewSub
			e.dataOff = pos + hsize
			dataLen = e.dataLen
			if !e.service {
				files++
				if files > s.lim.MaxEntries {
					return a, fmt.Errorf("RAR archive has more than %d entries", s.lim.MaxEntries)
				}
			}
			a.entries = append(a.entries, e)
		case rar4End, rar4Comment, rar4AV, rar4Sub, rar4Protect, rar4Sign:
			if flags&rar4LongBlock != 0 {
				if hsize < 11 {
					return a, fmt.Errorf("RAR block header at offset %d is corrupt (too short)", pos)
				}
				dataLen = int64(binary.LittleEndian.Uint32(h[7:11]))
			}
		default:
			return a, fmt.Errorf("RAR block at offset %d has an unknown type %#x", pos, typ)
		}
		if !crcOK {
			return a, fmt.Errorf("RAR header CRC mismatch at offset %d (corrupt)", pos)
		}
		next := pos + hsize + dataLen
		if dataLen < 0 || next > size || next < pos {
			if n := len(a.entries); n > 0 && typ != rar4Main && typ != rar4End && a.entries[n-1].dataOff == pos+hsize {
				return a, fmt.Errorf("RAR entry %q extends past the end of the file (truncated, or one volume of a split archive)", a.entries[n-1].name)
			}
			return a, fmt.Errorf("RAR block at offset %d extends past the end of the file (truncated)", pos)
		}
		if typ == rar4Main && flags&rar4MainPassword != 0 {
			a.hdrEnc, a.encAt = true, next
			if size-next < rar4SaltLen+aes.BlockSize {
				return a, errors.New("RAR encrypted headers are truncated")
			}
			salt, _ := readAt(r, size, next, rar4SaltLen)
			a.salt = salt
			return a, nil
		}
		pos = next
		if typ == rar4End {
			if pos < size {
				return a, fmt.Errorf("RAR archive has %d bytes after its end (appended data)", size-pos)
			}
			return a, nil
		}
	}
}

// parseRAR4File reads a RAR4 file or service header h (the whole header).
func parseRAR4File(h []byte, flags uint16) (e rarEntry, problem error) {
	if len(h) < rar4FileLen {
		return e, errors.New("too short")
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
			return e, errors.New("too short")
		}
		packHigh = uint64(binary.LittleEndian.Uint32(h[off : off+4]))
		unpHigh = uint64(binary.LittleEndian.Uint32(h[off+4 : off+8]))
		off += 8
	}
	if len(h) < off+nameLen {
		return e, errors.New("the name runs past the header")
	}
	name := h[off : off+nameLen]
	off += nameLen
	if flags&rar4FileSalt != 0 {
		if len(h) < off+rar4SaltLen {
			return e, errors.New("the salt runs past the header")
		}
		e.salt = append([]byte(nil), h[off:off+rar4SaltLen]...)
	}
	pack := packHigh<<32 | packLow
	if pack > 1<<62 {
		return e, errors.New("impossible packed size")
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
	return e, nil
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
