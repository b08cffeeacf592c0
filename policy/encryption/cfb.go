package encryption

// A small, bounded reader for [MS-CFB] compound files (OLE2), the
// container of legacy Office documents and of encrypted OOXML.
//
// Why not github.com/richardlehane/mscfb (v1.0.9, the newest; read and
// tried for this): it is a sound general reader for ordinary files, and
// v1.0.9 caps its allocations, but it does not fail closed where we need
// it to. A stream whose FAT chain runs into FREESECT (0xFFFFFFFF) reads
// the file header as its last sector, without an error (fileOffset adds 1
// to the sector number in uint32, which wraps to 0; tried on an
// officecrypto-tool file with one FAT entry changed). Stream chains are not
// checked for loops or shared sectors, stream sizes not against the file
// size, and nothing ties the work to Limits.MaxBytes. File.Read and
// File.ReadAt move a cursor kept in the shared directory entry, so two
// goroutines cannot read one stream. We need very little of CFB (the root
// storage's streams, read from the start), so a few hundred lines written
// from the specification are easier to bound and to fuzz (FuzzCFB) than
// a dependency (with its own, msoleps) that we would have to wrap anyway.
//
// Every count in the header is checked against the number of sectors the
// file really has; every chain is walked with a step limit (a cycle is an
// error, not a hang); every byte read is charged to the scanner's budget;
// errors are English sentences that start with "CFB".

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

const (
	cfbHeaderLen   = 512
	cfbDirEntryLen = 128
	cfbMiniSector  = 64
	cfbMiniCutoff  = 4096

	cfbMaxRegSect = 0xFFFFFFFA
	cfbDifSect    = 0xFFFFFFFC
	cfbFatSect    = 0xFFFFFFFD
	cfbEndOfChain = 0xFFFFFFFE
	cfbFreeSect   = 0xFFFFFFFF
	cfbNoStream   = 0xFFFFFFFF

	cfbTypeUnused  = 0
	cfbTypeStorage = 1
	cfbTypeStream  = 2
	cfbTypeRoot    = 5
)

// errCFBBudget is returned when reading would exceed Limits.MaxBytes.
var errCFBBudget = errors.New("CFB exceeds the byte limit")

// cfbEntry is one directory entry.
type cfbEntry struct {
	id                 uint32
	name               string
	typ                byte
	left, right, child uint32
	start              uint32
	size               int64
}

// cfbFile is a parsed compound file: its FAT, mini FAT, directory and the
// root storage's children.
type cfbFile struct {
	s         *scanner
	r         io.ReaderAt
	size      int64
	ss        int64  // sector size: 512 (version 3) or 4096 (version 4)
	nSect     uint32 // sectors after the header, counting a partial last one
	fat       []uint32
	miniFat   []uint32
	dir       []cfbEntry
	miniChain []uint32 // sectors holding the mini stream
	miniSize  int64
	root      []*cfbEntry // children of the root storage
}

func cfbCorrupt(format string, args ...any) error {
	return fmt.Errorf("CFB "+format, args...)
}

// read reads len(p) bytes at off, charging them to the budget.
func (c *cfbFile) read(p []byte, off int64) error {
	if !c.s.charge(int64(len(p))) {
		return errCFBBudget
	}
	if off < 0 || off > c.size || int64(len(p)) > c.size-off {
		return cfbCorrupt("file is truncated")
	}
	if _, err := c.r.ReadAt(p, off); err != nil && !(err == io.EOF && off+int64(len(p)) == c.size) {
		return fmt.Errorf("CFB: reading at %d: %w", off, err)
	}
	return nil
}

func (c *cfbFile) sectorOff(sn uint32) int64 { return (int64(sn) + 1) * c.ss }

// readSector reads a whole sector; a sector cut short by the end of the
// file is an error (FAT, directory and DIFAT sectors are always whole).
func (c *cfbFile) readSector(sn uint32) ([]byte, error) {
	if sn >= c.nSect {
		return nil, cfbCorrupt("sector %d is outside the file", sn)
	}
	b := make([]byte, c.ss)
	if err := c.read(b, c.sectorOff(sn)); err != nil {
		return nil, err
	}
	return b, nil
}

// openCFB parses the header, FAT, directory and mini stream of a compound
// file and lists the root storage's children.
func (s *scanner) openCFB(r io.ReaderAt, size int64) (*cfbFile, error) {
	c := &cfbFile{s: s, r: r, size: size}
	if size < cfbHeaderLen {
		return nil, cfbCorrupt("file is truncated: %d bytes, the header alone has %d", size, cfbHeaderLen)
	}
	h := make([]byte, cfbHeaderLen)
	if err := c.read(h, 0); err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	if string(h[:8]) != string(magicCFB) {
		return nil, cfbCorrupt("signature is missing")
	}
	major, shift := le.Uint16(h[26:]), le.Uint16(h[30:])
	switch {
	case le.Uint16(h[28:]) != 0xFFFE:
		return nil, cfbCorrupt("header is corrupt: byte order mark is not 0xFFFE")
	case major == 3 && shift == 9, major == 4 && shift == 12:
	default:
		return nil, cfbCorrupt("header is corrupt: version %d with sector shift %d", major, shift)
	}
	if le.Uint16(h[32:]) != 6 || le.Uint32(h[56:]) != cfbMiniCutoff {
		return nil, cfbCorrupt("header is corrupt: mini sector shift %d, cutoff %d", le.Uint16(h[32:]), le.Uint32(h[56:]))
	}
	c.ss = 1 << shift
	if size < c.ss {
		return nil, cfbCorrupt("file is truncated: %d bytes, the header sector has %d", size, c.ss)
	}
	n := (size - c.ss + c.ss - 1) / c.ss
	if n > cfbMaxRegSect {
		return nil, cfbCorrupt("file has too many sectors")
	}
	c.nSect = uint32(n)
	numFat, dirStart := le.Uint32(h[44:]), le.Uint32(h[48:])
	miniFatStart, numMiniFat := le.Uint32(h[60:]), le.Uint32(h[64:])
	difatStart, numDifat := le.Uint32(h[68:]), le.Uint32(h[72:])
	if numFat == 0 || numFat > c.nSect || numDifat > c.nSect || numMiniFat > c.nSect {
		return nil, cfbCorrupt("header is corrupt: %d FAT, %d DIFAT and %d mini FAT sectors in a file of %d sectors",
			numFat, numDifat, numMiniFat, c.nSect)
	}

	// FAT sector numbers: 109 in the header, the rest in the DIFAT chain.
	fatSects := make([]uint32, 0, numFat)
	for i := uint32(0); i < 109 && uint32(len(fatSects)) < numFat; i++ {
		fatSects = append(fatSects, le.Uint32(h[76+4*i:]))
	}
	per := uint32(c.ss/4) - 1
	sn := difatStart
	for i := uint32(0); i < numDifat && uint32(len(fatSects)) < numFat; i++ {
		b, err := c.readSector(sn)
		if err != nil {
			return nil, fmt.Errorf("%w (DIFAT)", err)
		}
		for j := uint32(0); j < per && uint32(len(fatSects)) < numFat; j++ {
			fatSects = append(fatSects, le.Uint32(b[4*j:]))
		}
		sn = le.Uint32(b[4*per:])
	}
	if uint32(len(fatSects)) < numFat {
		return nil, cfbCorrupt("DIFAT is corrupt: it lists %d of %d FAT sectors", len(fatSects), numFat)
	}
	c.fat = make([]uint32, 0, int64(numFat)*c.ss/4)
	for _, fs := range fatSects {
		b, err := c.readSector(fs)
		if err != nil {
			return nil, fmt.Errorf("%w (FAT)", err)
		}
		for j := 0; j < len(b); j += 4 {
			c.fat = append(c.fat, le.Uint32(b[j:]))
		}
	}

	// Directory.
	dirChain, err := c.chain(c.fat, dirStart, -1, c.nSect)
	if err != nil {
		return nil, cfbCorrupt("directory is corrupt: %v", err)
	}
	maxEntries := int64(s.lim.MaxEntries)
	if int64(len(dirChain))*c.ss/cfbDirEntryLen > maxEntries {
		return nil, fmt.Errorf("CFB directory has more than %d entries", maxEntries)
	}
	for _, sn := range dirChain {
		b, err := c.readSector(sn)
		if err != nil {
			return nil, fmt.Errorf("%w (directory)", err)
		}
		for off := 0; off < len(b); off += cfbDirEntryLen {
			e, err := c.parseEntry(uint32(len(c.dir)), b[off:off+cfbDirEntryLen], major)
			if err != nil {
				return nil, err
			}
			c.dir = append(c.dir, e)
		}
	}
	if len(c.dir) == 0 || c.dir[0].typ != cfbTypeRoot {
		return nil, cfbCorrupt("directory is corrupt: the first entry is not the root")
	}

	// Mini stream and mini FAT.
	root := &c.dir[0]
	if root.size > 0 {
		need := (root.size + c.ss - 1) / c.ss
		if need > int64(c.nSect) {
			return nil, cfbCorrupt("mini stream is larger than the file")
		}
		if c.miniChain, err = c.chain(c.fat, root.start, int(need), c.nSect); err != nil {
			return nil, cfbCorrupt("mini stream is corrupt: %v", err)
		}
		c.miniSize = root.size
	}
	if numMiniFat > 0 {
		chain, err := c.chain(c.fat, miniFatStart, int(numMiniFat), c.nSect)
		if err != nil {
			return nil, cfbCorrupt("mini FAT is corrupt: %v", err)
		}
		c.miniFat = make([]uint32, 0, int64(len(chain))*c.ss/4)
		for _, sn := range chain {
			b, err := c.readSector(sn)
			if err != nil {
				return nil, fmt.Errorf("%w (mini FAT)", err)
			}
			for j := 0; j < len(b); j += 4 {
				c.miniFat = append(c.miniFat, le.Uint32(b[j:]))
			}
		}
	}
	if err := c.listRoot(maxEntries); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *cfbFile) parseEntry(id uint32, b []byte, major uint16) (cfbEntry, error) {
	le := binary.LittleEndian
	e := cfbEntry{id: id, typ: b[66], left: le.Uint32(b[68:]), right: le.Uint32(b[72:]),
		child: le.Uint32(b[76:]), start: le.Uint32(b[116:])}
	switch e.typ {
	case cfbTypeUnused:
		return e, nil
	case cfbTypeStorage, cfbTypeStream, cfbTypeRoot:
	default:
		return e, cfbCorrupt("directory is corrupt: entry %d has type %d", id, e.typ)
	}
	nameLen := int(le.Uint16(b[64:]))
	if nameLen < 2 || nameLen > 64 || nameLen%2 != 0 {
		return e, cfbCorrupt("directory is corrupt: entry %d has a name of %d bytes", id, nameLen)
	}
	u := make([]uint16, 0, nameLen/2-1)
	for i := 0; i+2 < nameLen; i += 2 {
		u = append(u, le.Uint16(b[i:]))
	}
	e.name = string(utf16.Decode(u))
	size := le.Uint64(b[120:])
	if major == 3 {
		size &= 0xFFFFFFFF // version 3 writers may leave garbage in the high half
	}
	if size > uint64(c.size) {
		return e, cfbCorrupt("directory is corrupt: %q declares %d bytes in a file of %d", e.name, size, c.size)
	}
	e.size = int64(size)
	return e, nil
}

// chain follows a FAT (or mini FAT) chain from start. With need >= 0 it
// stops after need sectors and fails if the chain is shorter; with need
// < 0 it follows the chain to its end. limit bounds valid sector numbers.
// A sector met twice is a cycle: an error, even within the first need
// sectors (two parts of a stream must not share a sector).
func (c *cfbFile) chain(table []uint32, start uint32, need int, limit uint32) ([]uint32, error) {
	var out []uint32
	if need > 0 {
		out = make([]uint32, 0, need)
	}
	seen := make([]uint64, (len(table)+63)/64)
	sn := start
	for need < 0 || len(out) < need {
		if sn == cfbEndOfChain {
			if need < 0 {
				return out, nil
			}
			return nil, fmt.Errorf("chain ends after %d of %d sectors", len(out), need)
		}
		if sn >= limit || int(sn) >= len(table) {
			return nil, fmt.Errorf("chain points at sector %#x, outside the file", sn)
		}
		if seen[sn/64]&(1<<(sn%64)) != 0 {
			return nil, errors.New("chain has a cycle")
		}
		seen[sn/64] |= 1 << (sn % 64)
		out = append(out, sn)
		sn = table[sn]
	}
	return out, nil
}

// listRoot collects the children of the root storage by walking its
// red-black tree (without trusting the order). A cycle, a pointer to a
// free entry or two children with the same name make the directory
// corrupt: readers that search the tree and readers that scan it would
// not agree on what the file holds.
func (c *cfbFile) listRoot(maxEntries int64) error {
	seen := make([]bool, len(c.dir))
	names := make(map[string]bool)
	stack := []uint32{c.dir[0].child}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id == cfbNoStream {
			continue
		}
		if int64(id) >= int64(len(c.dir)) {
			return cfbCorrupt("directory is corrupt: entry %d does not exist", id)
		}
		if seen[id] {
			return cfbCorrupt("directory is corrupt: entry %d is reached twice", id)
		}
		seen[id] = true
		e := &c.dir[id]
		if e.typ != cfbTypeStream && e.typ != cfbTypeStorage {
			return cfbCorrupt("directory is corrupt: entry %d (type %d) is in the root storage", id, e.typ)
		}
		key := strings.ToUpper(e.name)
		if names[key] {
			return cfbCorrupt("directory is corrupt: the root storage holds %q twice", e.name)
		}
		names[key] = true
		if int64(len(c.root)) >= maxEntries {
			return fmt.Errorf("CFB root storage has more than %d entries", maxEntries)
		}
		c.root = append(c.root, e)
		stack = append(stack, e.left, e.right)
	}
	return nil
}

// lookup returns the root storage's child named name (case-insensitive,
// as in [MS-CFB]), or nil.
func (c *cfbFile) lookup(name string) *cfbEntry {
	for _, e := range c.root {
		if strings.EqualFold(e.name, name) {
			return e
		}
	}
	return nil
}

// stream returns the first min(e.size, max) bytes of stream e.
func (c *cfbFile) stream(e *cfbEntry, max int64) ([]byte, error) {
	st, err := c.open(e)
	if err != nil {
		return nil, err
	}
	b := make([]byte, min(st.size, max))
	if err := st.readAt(b, 0); err != nil {
		return nil, err
	}
	return b, nil
}

// cfbStream reads a stream through its sector chain.
type cfbStream struct {
	c       *cfbFile
	name    string
	size    int64
	unit    int64    // sector size of the chain: c.ss or 64
	sectors []uint32 // the chain, in order
	mini    bool
}

// open resolves the chain of stream e: in the mini stream when it is
// shorter than the cutoff, in the FAT otherwise.
func (c *cfbFile) open(e *cfbEntry) (*cfbStream, error) {
	if e.typ != cfbTypeStream {
		return nil, cfbCorrupt("entry %q is not a stream", e.name)
	}
	st := &cfbStream{c: c, name: e.name, size: e.size}
	if e.size == 0 {
		return st, nil
	}
	var err error
	if e.size < cfbMiniCutoff {
		st.unit, st.mini = cfbMiniSector, true
		need := (e.size + cfbMiniSector - 1) / cfbMiniSector
		// Mini sectors past the mini stream's end do not exist; the
		// mini stream's host chain covers every one below the limit.
		limit := uint32(min((c.miniSize+cfbMiniSector-1)/cfbMiniSector, int64(len(c.miniFat))))
		st.sectors, err = c.chain(c.miniFat, e.start, int(need), limit)
	} else {
		st.unit = c.ss
		need := (e.size + c.ss - 1) / c.ss
		if need > int64(c.nSect) {
			return nil, cfbCorrupt("stream %q is larger than the file", e.name)
		}
		st.sectors, err = c.chain(c.fat, e.start, int(need), c.nSect)
	}
	if err != nil {
		return nil, cfbCorrupt("stream %q is corrupt: %v", e.name, err)
	}
	return st, nil
}

// fileOff maps an offset in the stream to an offset in the file and the
// number of contiguous bytes available there.
func (st *cfbStream) fileOff(off int64) (int64, int64) {
	c := st.c
	idx, in := off/st.unit, off%st.unit
	sn := st.sectors[idx]
	if !st.mini {
		return c.sectorOff(sn) + in, st.unit - in
	}
	mo := int64(sn)*cfbMiniSector + in // offset in the mini stream
	host := c.miniChain[mo/c.ss]       // in range: see the limit in open
	return c.sectorOff(host) + mo%c.ss, cfbMiniSector - in
}

// readAt fills p from the stream at off; p must lie within the stream.
func (st *cfbStream) readAt(p []byte, off int64) error {
	if off < 0 || int64(len(p)) > st.size-off {
		return fmt.Errorf("CFB stream %q: read past its end", st.name)
	}
	for len(p) > 0 {
		fo, n := st.fileOff(off)
		n = min(n, int64(len(p)))
		if err := st.c.read(p[:n], fo); err != nil {
			return err
		}
		p, off = p[n:], off+n
	}
	return nil
}
