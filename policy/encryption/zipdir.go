package encryption

// Low-level ZIP records (PKWARE APPNOTE.TXT section 4.3): the end of
// central directory, central directory headers, local file headers and
// data descriptors. archive/zip reads the central directory for us; these
// readers give what it does not export (local header offsets, the local
// headers themselves) so the two views can be cross-checked.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	sigLocal     = 0x04034b50
	sigCentral   = 0x02014b50
	sigEnd       = 0x06054b50
	sigEnd64     = 0x06064b50
	sigLocator64 = 0x07064b50
	sigDataDesc  = 0x08074b50

	localLen     = 30
	centralLen   = 46
	endLen       = 22
	end64Len     = 56
	locator64Len = 20

	flagEncrypted  = 1 << 0
	flagDataDesc   = 1 << 3
	flagStrong     = 1 << 6
	flagUTF8       = 1 << 11
	flagMaskedHdrs = 1 << 13 // central directory encryption: local headers masked

	methodStore   = 0
	methodDeflate = 8
	methodAES     = 99

	extraZip64 = 0x0001
	extraAES   = 0x9901
)

// le is a little-endian cursor over a byte slice that never panics: reads
// past the end return zero and set short.
type le struct {
	b     []byte
	short bool
}

func (c *le) take(n int) []byte {
	if n < 0 || len(c.b) < n {
		c.short = true
		c.b = nil
		return make([]byte, max(n, 0))
	}
	v := c.b[:n]
	c.b = c.b[n:]
	return v
}
func (c *le) u16() uint16 { return binary.LittleEndian.Uint16(c.take(2)) }
func (c *le) u32() uint32 { return binary.LittleEndian.Uint32(c.take(4)) }
func (c *le) u64() uint64 { return binary.LittleEndian.Uint64(c.take(8)) }

// readAt reads exactly n bytes at off, checking the range against size.
func readAt(r io.ReaderAt, size, off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > size || n > size-off {
		return nil, fmt.Errorf("range %d+%d outside the %d-byte file", off, n, size)
	}
	b := make([]byte, n)
	if k, err := r.ReadAt(b, off); int64(k) < n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// extraField returns the data of the first extra field with the given id.
func extraField(extra []byte, id uint16) ([]byte, bool) {
	for len(extra) >= 4 {
		tag := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		if len(extra)-4 < n {
			return nil, false
		}
		if tag == id {
			return extra[4 : 4+n], true
		}
		extra = extra[4+n:]
	}
	return nil, false
}

// zipEnd is the end of central directory, resolved like archive/zip does
// (including its zip64 handling and base offset), so the absolute offsets
// agree with archive/zip's.
type zipEnd struct {
	endOff     int64 // EOCD record
	endStop    int64 // just past the EOCD record and its comment
	comment    []byte
	records    uint64
	cdSize     uint64
	cdOffset   uint64
	base       int64 // offset of the archive start (non-zero: data prepended)
	cdStart    int64 // absolute start of the central directory
	end64Off   int64 // zip64 EOCD record, -1 if none
	end64Len   int64
	end64Need  uint16 // "version needed to extract" of the zip64 EOCD record
	locatorOff int64  // zip64 locator, -1 if none
}

func findEnd(r io.ReaderAt, size int64) (*zipEnd, error) {
	var buf []byte
	endOff := int64(-1)
	for _, n := range []int64{1024, 65 * 1024} {
		n = min(n, size)
		b, err := readAt(r, size, size-n, n)
		if err != nil {
			return nil, err
		}
		if p := findEndSig(b); p >= 0 {
			buf, endOff = b[p:], size-n+int64(p)
			break
		}
		if n == size {
			break
		}
	}
	if endOff < 0 {
		return nil, errors.New("end of central directory record not found (truncated or not a ZIP)")
	}
	c := le{b: buf[4:]}
	e := &zipEnd{endOff: endOff, end64Off: -1, locatorOff: -1}
	c.u16() // this disk
	c.u16() // disk with the central directory
	c.u16() // records on this disk
	e.records = uint64(c.u16())
	e.cdSize = uint64(c.u32())
	e.cdOffset = uint64(c.u32())
	clen := int(c.u16())
	e.comment = c.take(clen)
	if c.short {
		return nil, errors.New("end of central directory record is truncated")
	}
	e.endStop = endOff + endLen + int64(clen)
	dirEnd := endOff

	// A zip64 end record and locator may precede the end record. Their
	// values replace saturated 32-bit fields; archive/zip looks for them
	// only then (and compares the size with 0xffff), so do the same for
	// the values, but always account for their bytes: Info-ZIP writes them
	// for input read from a pipe without saturating anything.
	saturated := e.records == 0xffff || e.cdSize == 0xffff || e.cdSize == 0xffffffff || e.cdOffset == 0xffffffff
	if p, ok := findLocator64(r, size, endOff); ok {
		z, err := readEnd64(r, size, p)
		switch {
		case err == nil:
			e.end64Off, e.end64Len, e.end64Need = z.end64Off, z.end64Len, z.end64Need
			e.locatorOff = endOff - locator64Len
			if saturated {
				e.records, e.cdSize, e.cdOffset = z.records, z.cdSize, z.cdOffset
				dirEnd = e.end64Off
			}
		case saturated:
			return nil, fmt.Errorf("zip64 end of central directory: %w", err)
		}
	}
	const maxInt64 = 1<<63 - 1
	if e.cdSize > maxInt64 || e.cdOffset > maxInt64 {
		return nil, errors.New("central directory size or offset out of range")
	}
	e.base = dirEnd - int64(e.cdSize) - int64(e.cdOffset)
	if o := e.base + int64(e.cdOffset); o < 0 || o >= size {
		return nil, errors.New("central directory offset points outside the file")
	}
	if e.base > 0 { // archive/zip's fallback for a wrong base offset
		if b, err := readAt(r, size, int64(e.cdOffset), 4); err == nil && binary.LittleEndian.Uint32(b) == sigCentral {
			e.base = 0
		}
	}
	e.cdStart = e.base + int64(e.cdOffset)
	return e, nil
}

// findLocator64 returns the zip64 end record offset from the locator
// just before the end record at endOff, like archive/zip.
func findLocator64(r io.ReaderAt, size, endOff int64) (uint64, bool) {
	b, err := readAt(r, size, endOff-locator64Len, locator64Len)
	if err != nil {
		return 0, false
	}
	c := le{b: b}
	if c.u32() != sigLocator64 || c.u32() != 0 {
		return 0, false
	}
	p := c.u64()
	return p, c.u32() == 1
}

// readEnd64 reads the zip64 end of central directory record at off.
func readEnd64(r io.ReaderAt, size int64, off uint64) (*zipEnd, error) {
	if off > uint64(size) {
		return nil, errors.New("record offset outside the file")
	}
	b, err := readAt(r, size, int64(off), end64Len)
	if err != nil {
		return nil, err
	}
	c := le{b: b}
	if c.u32() != sigEnd64 {
		return nil, errors.New("bad signature")
	}
	e := &zipEnd{}
	recSize := c.u64()
	c.u16() // version made by
	e.end64Need = c.u16()
	c.u32() // this disk
	c.u32() // disk with the central directory
	c.u64() // records on this disk
	e.records = c.u64()
	e.cdSize = c.u64()
	e.cdOffset = c.u64()
	if recSize < end64Len-12 || recSize > uint64(size) {
		return nil, errors.New("bad record size")
	}
	e.end64Off, e.end64Len = int64(off), 12+int64(recSize)
	return e, nil
}

// findEndSig finds the last EOCD signature whose comment fits in b, like
// archive/zip.
func findEndSig(b []byte) int {
	for i := len(b) - endLen; i >= 0; i-- {
		if b[i] == 'P' && b[i+1] == 'K' && b[i+2] == 0x05 && b[i+3] == 0x06 {
			n := int(b[i+endLen-2]) | int(b[i+endLen-1])<<8
			if n+endLen+i > len(b) {
				return -1
			}
			return i
		}
	}
	return -1
}

// cdEntry is one central directory header, with the absolute offset of
// its local header.
type cdEntry struct {
	name      string
	flags     uint16
	method    uint16
	crc       uint32
	csize     uint64
	usize     uint64
	headerOff int64
	extra     []byte
}

// walkCentral parses the central directory [cdStart, cdStart+cdSize). It
// stops with an error after maxEntries+1 headers.
func walkCentral(r io.ReaderAt, size int64, e *zipEnd, maxEntries int) ([]cdEntry, error) {
	b, err := readAt(r, size, e.cdStart, int64(e.cdSize))
	if err != nil {
		return nil, fmt.Errorf("reading the central directory: %w", err)
	}
	var out []cdEntry
	for i := 0; len(b) > 0; i++ {
		if i >= maxEntries {
			return out, errTooManyEntries
		}
		c := le{b: b}
		if c.u32() != sigCentral {
			return out, fmt.Errorf("header %d: bad signature", i)
		}
		c.u16() // version made by
		c.u16() // version needed
		var d cdEntry
		d.flags = c.u16()
		d.method = c.u16()
		c.u32() // time, date
		d.crc = c.u32()
		csize, usize := c.u32(), c.u32()
		nlen, xlen, clen := int(c.u16()), int(c.u16()), int(c.u16())
		c.u16() // disk number start
		c.u16() // internal attributes
		c.u32() // external attributes
		off := c.u32()
		d.name = string(c.take(nlen))
		d.extra = c.take(xlen)
		c.take(clen)
		if c.short {
			return out, fmt.Errorf("header %d is truncated", i)
		}
		d.csize, d.usize = uint64(csize), uint64(usize)
		hoff := uint64(off)
		if z, ok := extraField(d.extra, extraZip64); ok {
			zc := le{b: z}
			// Same order and rule as archive/zip: only saturated fields.
			if usize == 0xffffffff {
				d.usize = zc.u64()
			}
			if csize == 0xffffffff {
				d.csize = zc.u64()
			}
			if off == 0xffffffff {
				hoff = zc.u64()
			}
			if zc.short {
				return out, fmt.Errorf("header %d: truncated zip64 extra field", i)
			}
		}
		if hoff > 1<<62 {
			return out, fmt.Errorf("header %d: local header offset out of range", i)
		}
		d.headerOff = e.base + int64(hoff)
		out = append(out, d)
		b = c.b
	}
	return out, nil
}

var errTooManyEntries = errors.New("too many entries")

// localHeader is a local file header as found at a central directory
// entry's offset.
type localHeader struct {
	flags   uint16
	method  uint16
	modTime uint16
	crc     uint32
	csize   uint64
	usize   uint64
	name    string
	extra   []byte
	dataOff int64 // absolute offset of the entry's data
}

func readLocal(r io.ReaderAt, size, off int64) (localHeader, error) {
	var h localHeader
	b, err := readAt(r, size, off, localLen)
	if err != nil {
		return h, err
	}
	c := le{b: b}
	if c.u32() != sigLocal {
		return h, errors.New("no local file header signature")
	}
	c.u16() // version needed
	h.flags = c.u16()
	h.method = c.u16()
	h.modTime = c.u16()
	c.u16() // date
	h.crc = c.u32()
	csize, usize := c.u32(), c.u32()
	nlen, xlen := int64(c.u16()), int64(c.u16())
	rest, err := readAt(r, size, off+localLen, nlen+xlen)
	if err != nil {
		return h, fmt.Errorf("name and extra field: %w", err)
	}
	h.name, h.extra = string(rest[:nlen]), rest[nlen:]
	h.csize, h.usize = uint64(csize), uint64(usize)
	if z, ok := extraField(h.extra, extraZip64); ok && (usize == 0xffffffff || csize == 0xffffffff) {
		// In a local header the zip64 field holds both sizes.
		zc := le{b: z}
		u, cs := zc.u64(), zc.u64()
		if !zc.short {
			h.usize, h.csize = u, cs
		}
	}
	h.dataOff = off + localLen + nlen + xlen
	return h, nil
}

// dataDescriptorLen returns the length of the data descriptor at off that
// matches the central directory's CRC and sizes (with or without its
// optional signature, 32- or 64-bit sizes), 0 if there is none. mismatch
// is true when a descriptor signature is present but no layout matches.
func dataDescriptorLen(r io.ReaderAt, size, off int64, d cdEntry) (n int64, mismatch bool) {
	b := make([]byte, 24)
	k, _ := r.ReadAt(b[:min(24, max(size-off, 0))], off)
	b = b[:k]
	try := func(b []byte, sig int64) int64 {
		c := le{b: b}
		crc := c.u32()
		if !c.short && crc == d.crc {
			c32 := le{b: c.b}
			if cs, us := c32.u32(), c32.u32(); !c32.short && uint64(cs) == d.csize && uint64(us) == d.usize {
				return sig + 12
			}
			c64 := le{b: c.b}
			if cs, us := c64.u64(), c64.u64(); !c64.short && cs == d.csize && us == d.usize {
				return sig + 20
			}
		}
		return 0
	}
	hasSig := len(b) >= 4 && binary.LittleEndian.Uint32(b) == sigDataDesc
	if hasSig {
		if n := try(b[4:], 4); n > 0 {
			return n, false
		}
	}
	if n := try(b, 0); n > 0 {
		return n, false
	}
	return 0, hasSig
}
