package encryption

// 7z archives, read from the format description in the LZMA SDK
// (DOC/7zFormat.txt) and checked against 7-Zip's reader (7zIn.cpp).
//
// Library choice. github.com/bodgit/sevenzip (v1.6.5) was evaluated and is
// not used: it does not expose a folder's coders, so content encryption is
// only seen as ReadError{Encrypted: true} when an entry is opened and
// read, which runs the 7zAES key derivation (2^19 SHA-256 rounds, more if
// the archive asks for it, up to 2^24) and the decompressors on every
// inspection; it has no byte budget and no hook to check that the packed
// streams cover the file (appended or hidden data); and it pulls in about
// ten modules (brotli, lz4, zstd, ppmd, afero, an LRU cache, ...) for
// codecs we never need. What Inspect needs is small: the signature
// header, the (possibly LZMA-compressed) header, and the coder list of
// each folder. That is parsed here, strictly and within Limits; no key is
// derived and no content is decompressed to decide. The only dependency is
// github.com/ulikunitz/xz/lzma (pure Go, no further modules) to decode
// LZMA/LZMA2: a compressed header (7-Zip's default), plain folders for
// nested archives, and the first bytes of an encrypted folder for the
// password check. Dictionaries are clamped to the declared output size and
// to szMaxDict (32 MiB), so a forged dictionary size cannot allocate
// gigabytes.
//
// A folder is encrypted when every packed stream it reads is consumed by a
// 7zAES coder (06F10701): that is how 7-Zip writes -p archives, also with
// multi-stream filters such as BCJ2. 7zAES is always AES-256-CBC. When the
// header itself is packed through 7zAES (-mhe=on), file names and coders
// are hidden; the archive is Protected and nothing else can be learned
// without the password.

import (
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
	"strings"
	"unicode/utf16"

	"github.com/ulikunitz/xz/lzma"
)

const (
	szSigLen     = 32       // signature header
	szMaxCoders  = 64       // coders, and in/out streams, per folder (7-Zip's limit)
	szMaxHeader  = 16 << 20 // a (decoded) header larger than this is unscannable
	szMaxDict    = 32 << 20 // largest LZMA dictionary allocated to read content
	szMaxNameLen = 32 << 10 // UTF-16 units in one name
)

// Property ids (7zFormat.txt).
const (
	szEnd                   = 0x00
	szHeader                = 0x01
	szArchiveProperties     = 0x02
	szAdditionalStreamsInfo = 0x03
	szMainStreamsInfo       = 0x04
	szFilesInfo             = 0x05
	szPackInfo              = 0x06
	szUnpackInfo            = 0x07
	szSubStreamsInfo        = 0x08
	szSize                  = 0x09
	szCRC                   = 0x0A
	szFolderID              = 0x0B
	szCodersUnpackSize      = 0x0C
	szNumUnpackStream       = 0x0D
	szEmptyStream           = 0x0E
	szEmptyFile             = 0x0F
	szAnti                  = 0x10
	szName                  = 0x11
	szWinAttributes         = 0x15
	szEncodedHeader         = 0x17
)

// Coder ids (DOC/Methods.txt), as big-endian integers of their bytes.
const (
	szCopy    = 0x00
	szLZMA2   = 0x21
	szLZMA    = 0x030101
	szDeflate = 0x040108
	szBZip2   = 0x040202
	szAES     = 0x06F10701
)

var szCoderNames = map[uint64]string{
	szCopy: "Copy", 0x03: "Delta", 0x04: "BCJ", 0x05: "PPC", 0x06: "IA64", 0x07: "ARM", 0x08: "ARMT",
	0x09: "SPARC", 0x0A: "ARM64", 0x0B: "RISCV", szLZMA2: "LZMA2", szLZMA: "LZMA", 0x03030103: "BCJ",
	0x0303011B: "BCJ2", 0x03030205: "PPC", 0x03030401: "IA64", 0x03030501: "ARM", 0x03030701: "ARMT",
	0x03030805: "SPARC", 0x030401: "PPMD", szDeflate: "Deflate", 0x040109: "Deflate64", szBZip2: "BZip2",
	0x04F71101: "ZSTD", 0x04F71102: "Brotli", 0x04F71104: "LZ4", 0x04F71105: "LZ5", 0x04F71106: "Lizard",
	szAES: "7zAES",
}

func szCoderName(id uint64) string {
	if n, ok := szCoderNames[id]; ok {
		return n
	}
	return fmt.Sprintf("coder %X", id)
}

var magic7zFull = []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}

// szReader reads the 7z header encoding: bytes, 7z NUMBERs, bit vectors.
// The first error sticks and later reads return zero values.
type szReader struct {
	b   []byte
	err error
}

var errSzTruncated = errors.New("the header is truncated")

func (r *szReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *szReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errSzTruncated
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *szReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errSzTruncated
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

// number reads a 7z NUMBER: the leading one bits of the first byte count
// the extra little-endian bytes; the rest of the first byte is the high
// part.
func (r *szReader) number() uint64 {
	first := r.byte()
	if r.err != nil {
		return 0
	}
	var v uint64
	mask := byte(0x80)
	for i := 0; i < 8; i++ {
		if first&mask == 0 {
			return v | uint64(first&(mask-1))<<(8*i)
		}
		v |= uint64(r.byte()) << (8 * i)
		mask >>= 1
	}
	return v
}

// count reads a NUMBER that counts items, each taking at least one byte of
// what is left (so hostile counts are refused before anything is
// allocated), and at most max.
func (r *szReader) count(what string, max int) int {
	v := r.number()
	if r.err == nil && (v > uint64(len(r.b)) || v > uint64(max)) {
		r.fail("it declares %d %s", v, what)
	}
	if r.err != nil {
		return 0
	}
	return int(v)
}

func (r *szReader) uint32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// boolVector reads n bits, most significant first.
func (r *szReader) boolVector(n int) []bool {
	if r.err == nil && uint64(n) > 8*uint64(len(r.b)) {
		r.err = errSzTruncated
	}
	if r.err != nil {
		return nil
	}
	v := make([]bool, n)
	var b, mask byte
	for i := range v {
		if mask == 0 {
			b, mask = r.byte(), 0x80
		}
		v[i] = b&mask != 0
		mask >>= 1
	}
	return v
}

// boolVector2 reads an "all defined" byte, then a bit vector if not.
func (r *szReader) boolVector2(n int) []bool {
	if r.byte() == 0 {
		return r.boolVector(n)
	}
	if r.err != nil {
		return nil
	}
	v := make([]bool, n)
	for i := range v {
		v[i] = true
	}
	return v
}

// digests reads n optional CRC-32s.
func (r *szReader) digests(n int) (defined []bool, crcs []uint32) {
	defined = r.boolVector2(n)
	if r.err != nil {
		return nil, nil
	}
	crcs = make([]uint32, n)
	for i, d := range defined {
		if d {
			crcs[i] = r.uint32()
		}
	}
	return defined, crcs
}

func (r *szReader) skipData() { r.bytes(r.number()) }

// waitID skips properties up to id, as 7-Zip does.
func (r *szReader) waitID(id uint64) {
	for r.err == nil {
		t := r.number()
		switch {
		case r.err != nil:
		case t == id:
			return
		case t == szEnd:
			r.fail("property %#x is missing", id)
		default:
			r.skipData()
		}
	}
}

// szCoder is one coder of a folder. Streams are numbered as in
// 7zFormat.txt: "in" streams are on the packed side, "out" streams on the
// unpacked side.
type szCoder struct {
	id            uint64
	numIn, numOut int
	props         []byte
}

type szFolder struct {
	coders    []szCoder
	bindIn    []int // bind pair i: in stream bindIn[i] reads out stream bindOut[i]
	bindOut   []int
	packed    []int    // in streams fed by packed streams, in pack stream order
	unpack    []uint64 // size of each out stream
	crc       uint32   // CRC of the main out stream, if hasCRC
	hasCRC    bool
	packIndex int // first of its pack streams
	numSub    int // unpack streams (files) in the folder
}

func (f *szFolder) numOutTotal() (n int) {
	for _, c := range f.coders {
		n += c.numOut
	}
	return n
}

// streamCoder returns the coder owning in stream (or out stream) i.
func (f *szFolder) streamCoder(i int, in bool) int {
	for ci, c := range f.coders {
		n := c.numOut
		if in {
			n = c.numIn
		}
		if i < n {
			return ci
		}
		i -= n
	}
	return -1
}

func (f *szFolder) firstStream(coder int, in bool) (n int) {
	for _, c := range f.coders[:coder] {
		if in {
			n += c.numIn
		} else {
			n += c.numOut
		}
	}
	return n
}

// mainOut is the out stream that no bind pair consumes: the folder's
// output.
func (f *szFolder) mainOut() int {
	for i := 0; i < f.numOutTotal(); i++ {
		if !containsInt(f.bindOut, i) {
			return i
		}
	}
	return -1
}

func (f *szFolder) unpackSize() uint64 {
	if m := f.mainOut(); m >= 0 && m < len(f.unpack) {
		return f.unpack[m]
	}
	return 0
}

func (f *szFolder) has(id uint64) bool {
	for _, c := range f.coders {
		if c.id == id {
			return true
		}
	}
	return false
}

// encrypted: every packed stream is read by a 7zAES coder.
func (f *szFolder) encrypted() bool {
	if len(f.packed) == 0 {
		return false
	}
	for _, in := range f.packed {
		if f.coders[f.streamCoder(in, true)].id != szAES {
			return false
		}
	}
	return true
}

// methods names the coders (7zAES excluded) from the output side, as
// 7-Zip lists them: "BCJ LZMA2".
func (f *szFolder) methods() string {
	order, ok := f.chain()
	if ok {
		for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
			order[i], order[j] = order[j], order[i]
		}
	} else {
		order = order[:0]
		if m := f.streamCoder(f.mainOut(), false); m >= 0 {
			order = append(order, m)
		}
		for i := range f.coders {
			if !containsInt(order, i) {
				order = append(order, i)
			}
		}
	}
	var names []string
	for _, i := range order {
		if f.coders[i].id != szAES {
			names = append(names, szCoderName(f.coders[i].id))
		}
	}
	return strings.Join(names, " ")
}

// path follows packed stream k up through coders with one in and one out
// stream each, from the packed side; full reports that it reaches the
// folder's output (it stops below a multi-stream coder such as BCJ2).
func (f *szFolder) path(k int) (order []int, full bool) {
	if k < 0 || k >= len(f.packed) {
		return nil, false
	}
	main := f.mainOut()
	for c := f.streamCoder(f.packed[k], true); len(order) < len(f.coders); {
		if c < 0 || f.coders[c].numIn != 1 || f.coders[c].numOut != 1 {
			return order, false
		}
		order = append(order, c)
		o := f.firstStream(c, false)
		if o == main {
			return order, true
		}
		j := indexInt(f.bindOut, o)
		if j < 0 {
			return order, false
		}
		c = f.streamCoder(f.bindIn[j], true)
	}
	return order, false
}

// chain returns the coders from the packed stream to the output when the
// folder is a simple pipeline (one packed stream, one in and one out
// stream per coder); ok is false otherwise (BCJ2).
func (f *szFolder) chain() (order []int, ok bool) {
	if len(f.packed) != 1 {
		return nil, false
	}
	return f.path(0)
}

func containsInt(list []int, v int) bool { return indexInt(list, v) >= 0 }

func indexInt(list []int, v int) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// readFolder reads a folder's coders, bind pairs and packed stream
// indexes, and checks that they form a tree rooted at the single main out
// stream, as 7-Zip requires.
func (r *szReader) readFolder() szFolder {
	var f szFolder
	n := r.count("coders in a folder", szMaxCoders)
	if r.err == nil && n == 0 {
		r.fail("a folder has no coder")
	}
	numIn, numOut := 0, 0
	for i := 0; i < n && r.err == nil; i++ {
		flags := r.byte()
		if flags&0xC0 != 0 {
			r.fail("a coder uses reserved flags %#x", flags)
			break
		}
		idLen := int(flags & 0x0F)
		if idLen > 8 {
			r.fail("a coder id is %d bytes long", idLen)
			break
		}
		c := szCoder{numIn: 1, numOut: 1}
		for _, b := range r.bytes(uint64(idLen)) {
			c.id = c.id<<8 | uint64(b)
		}
		if flags&0x10 != 0 {
			c.numIn = r.count("coder in streams", szMaxCoders)
			c.numOut = r.count("coder out streams", szMaxCoders)
		}
		if flags&0x20 != 0 {
			c.props = r.bytes(r.number())
		}
		if r.err == nil && (c.numIn == 0 || c.numOut == 0) {
			r.fail("a coder has no streams")
		}
		numIn += c.numIn
		numOut += c.numOut
		if numIn > szMaxCoders || numOut > szMaxCoders {
			r.fail("a folder has more than %d streams", szMaxCoders)
		}
		f.coders = append(f.coders, c)
	}
	if r.err != nil {
		return f
	}
	for i := 0; i < numOut-1 && r.err == nil; i++ {
		in, out := r.number(), r.number()
		if in >= uint64(numIn) || out >= uint64(numOut) || containsInt(f.bindIn, int(in)) || containsInt(f.bindOut, int(out)) {
			r.fail("a folder has an invalid bind pair")
			break
		}
		f.bindIn = append(f.bindIn, int(in))
		f.bindOut = append(f.bindOut, int(out))
	}
	numPacked := numIn - (numOut - 1)
	switch {
	case r.err != nil:
		return f
	case numPacked < 1:
		r.fail("a folder has no packed stream")
	case numPacked == 1:
		for i := 0; i < numIn; i++ {
			if !containsInt(f.bindIn, i) {
				f.packed = append(f.packed, i)
				break
			}
		}
	default:
		for i := 0; i < numPacked && r.err == nil; i++ {
			v := r.number()
			if v >= uint64(numIn) || containsInt(f.bindIn, int(v)) || containsInt(f.packed, int(v)) {
				r.fail("a folder has an invalid packed stream index")
				break
			}
			f.packed = append(f.packed, int(v))
		}
	}
	if r.err == nil && !f.isTree() {
		r.fail("a folder's coders do not form a tree")
	}
	return f
}

// isTree checks that every coder and every in stream is reached exactly
// once walking back from the main out stream.
func (f *szFolder) isTree() bool {
	main := f.mainOut()
	if main < 0 || len(f.packed) == 0 {
		return false
	}
	seen := make([]bool, len(f.coders))
	var visit func(out, depth int) bool
	visit = func(out, depth int) bool {
		c := f.streamCoder(out, false)
		if c < 0 || seen[c] || depth > len(f.coders) {
			return false
		}
		seen[c] = true
		first := f.firstStream(c, true)
		for in := first; in < first+f.coders[c].numIn; in++ {
			if j := indexInt(f.bindIn, in); j >= 0 {
				if !visit(f.bindOut[j], depth+1) {
					return false
				}
			} else if !containsInt(f.packed, in) {
				return false
			}
		}
		return true
	}
	if !visit(main, 0) {
		return false
	}
	for _, s := range seen {
		if !s {
			return false
		}
	}
	return true
}

// szStreams is a StreamsInfo: pack streams, folders, and the unpack
// streams (files) in them.
type szStreams struct {
	packPos   uint64
	packSizes []uint64
	folders   []szFolder
	subSizes  []uint64
	subHasCRC []bool
	subCRC    []uint32
	offs      []int64 // offset of each pack stream, set by checkPack
}

func (r *szReader) readPackInfo(s *szStreams, maxEntries int) {
	s.packPos = r.number()
	n := r.count("pack streams", szMaxCoders*(maxEntries+1))
	r.waitID(szSize)
	if r.err != nil {
		return
	}
	s.packSizes = make([]uint64, n)
	for i := range s.packSizes {
		s.packSizes[i] = r.number()
	}
	for r.err == nil {
		switch t := r.number(); t {
		case szEnd:
			return
		case szCRC:
			r.digests(n)
		default:
			r.skipData()
		}
	}
}

func (r *szReader) readUnpackInfo(s *szStreams, maxEntries int) {
	r.waitID(szFolderID)
	n := r.count("folders", len(r.b))
	if n > maxEntries {
		r.fail("%w", errTooManyEntries)
	}
	if r.byte() != 0 && r.err == nil {
		r.fail("folders stored outside the header are not supported")
	}
	for i := 0; i < n && r.err == nil; i++ {
		s.folders = append(s.folders, r.readFolder())
	}
	r.waitID(szCodersUnpackSize)
	for i := range s.folders {
		f := &s.folders[i]
		f.unpack = make([]uint64, f.numOutTotal())
		for j := range f.unpack {
			f.unpack[j] = r.number()
		}
	}
	for r.err == nil {
		switch t := r.number(); t {
		case szEnd:
			return
		case szCRC:
			defined, crcs := r.digests(n)
			for i := range defined {
				s.folders[i].hasCRC, s.folders[i].crc = defined[i], crcs[i]
			}
		default:
			r.skipData()
		}
	}
}

func (r *szReader) readSubStreamsInfo(s *szStreams, maxEntries int) {
	for i := range s.folders {
		s.folders[i].numSub = 1
	}
	var t uint64
	for r.err == nil {
		t = r.number()
		if t == szNumUnpackStream {
			total := 0
			for i := range s.folders {
				s.folders[i].numSub = int(min(r.number(), uint64(maxEntries)+1))
				total += s.folders[i].numSub
				if total > maxEntries {
					r.fail("%w", errTooManyEntries)
					return
				}
			}
			continue
		}
		if t == szCRC || t == szSize || t == szEnd {
			break
		}
		r.skipData()
	}
	if r.err != nil {
		return
	}
	if t == szSize {
		for i := range s.folders {
			f := &s.folders[i]
			if f.numSub == 0 {
				continue
			}
			var sum uint64
			for j := 1; j < f.numSub && r.err == nil; j++ {
				v := r.number()
				if sum+v < sum || sum+v > f.unpackSize() {
					r.fail("substream sizes exceed their folder")
				}
				sum += v
				s.subSizes = append(s.subSizes, v)
			}
			s.subSizes = append(s.subSizes, f.unpackSize()-sum)
		}
		t = r.number()
	} else {
		for i := range s.folders {
			f := &s.folders[i]
			if f.numSub > 1 {
				r.fail("substream sizes are missing")
				return
			}
			if f.numSub == 1 {
				s.subSizes = append(s.subSizes, f.unpackSize())
			}
		}
	}
	numDigests := 0
	for _, f := range s.folders {
		if f.numSub != 1 || !f.hasCRC {
			numDigests += f.numSub
		}
	}
	s.subHasCRC = make([]bool, len(s.subSizes))
	s.subCRC = make([]uint32, len(s.subSizes))
	fill := func(defined []bool, crcs []uint32) {
		k, d := 0, 0
		for _, f := range s.folders {
			if f.numSub == 1 && f.hasCRC {
				s.subHasCRC[k], s.subCRC[k] = true, f.crc
				k++
				continue
			}
			for j := 0; j < f.numSub; j++ {
				if d < len(defined) {
					s.subHasCRC[k], s.subCRC[k] = defined[d], crcs[d]
				}
				k, d = k+1, d+1
			}
		}
	}
	fill(nil, nil)
	for r.err == nil && t != szEnd {
		if t == szCRC {
			fill(r.digests(numDigests))
		} else {
			r.skipData()
		}
		t = r.number()
	}
}

// readStreamsInfo reads a StreamsInfo up to its kEnd and assigns pack
// streams to folders.
func (r *szReader) readStreamsInfo(maxEntries int) szStreams {
	var s szStreams
	t := r.number()
	if t == szPackInfo {
		r.readPackInfo(&s, maxEntries)
		t = r.number()
	}
	if t == szUnpackInfo {
		r.readUnpackInfo(&s, maxEntries)
		t = r.number()
	}
	if t == szSubStreamsInfo {
		r.readSubStreamsInfo(&s, maxEntries)
		t = r.number()
	} else if r.err == nil {
		if len(s.folders) > maxEntries {
			r.fail("%w", errTooManyEntries)
		}
		for i := range s.folders {
			f := &s.folders[i]
			f.numSub = 1
			s.subSizes = append(s.subSizes, f.unpackSize())
			s.subHasCRC = append(s.subHasCRC, f.hasCRC)
			s.subCRC = append(s.subCRC, f.crc)
		}
	}
	if r.err == nil && t != szEnd {
		r.fail("unexpected property %#x in streams info", t)
	}
	if r.err != nil {
		return s
	}
	idx := 0
	for i := range s.folders {
		s.folders[i].packIndex = idx
		idx += len(s.folders[i].packed)
	}
	if idx != len(s.packSizes) {
		r.fail("folders use %d pack streams, %d are declared", idx, len(s.packSizes))
	}
	return s
}

// szFile is an entry of the FilesInfo.
type szFile struct {
	name      string
	hasStream bool
	dir       bool
	anti      bool
	folder    int // -1 without a stream
	sub       int // index into szStreams.subSizes, -1 without a stream
}

func (r *szReader) readFilesInfo(maxEntries int) []szFile {
	n := r.number()
	if r.err == nil && n > uint64(maxEntries) {
		r.fail("%w", errTooManyEntries)
	}
	if r.err != nil {
		return nil
	}
	files := make([]szFile, n)
	var emptyStream, emptyFile, anti, attrDefined []bool
	var attrs []uint32
	numEmpty := 0
	for r.err == nil {
		t := r.number()
		if t == szEnd || r.err != nil {
			break
		}
		sub := &szReader{b: r.bytes(r.number())}
		switch t {
		case szEmptyStream:
			emptyStream = sub.boolVector(int(n))
			numEmpty = 0
			for _, e := range emptyStream {
				if e {
					numEmpty++
				}
			}
			emptyFile, anti = nil, nil
		case szEmptyFile:
			emptyFile = sub.boolVector(numEmpty)
		case szAnti:
			anti = sub.boolVector(numEmpty)
		case szName:
			if sub.byte() != 0 && sub.err == nil {
				sub.fail("file names stored outside the header are not supported")
			}
			for i := range files {
				files[i].name = sub.utf16z()
			}
			if sub.err == nil && len(sub.b) != 0 {
				sub.fail("the file names property is longer than its names")
			}
		case szWinAttributes:
			attrDefined = sub.boolVector2(int(n))
			if sub.byte() != 0 && sub.err == nil {
				sub.fail("attributes stored outside the header are not supported")
			}
			attrs = make([]uint32, n)
			for i, d := range attrDefined {
				if d {
					attrs[i] = sub.uint32()
				}
			}
		}
		if sub.err != nil && r.err == nil {
			r.err = fmt.Errorf("file property %#x: %w", t, sub.err)
		}
	}
	if r.err != nil {
		return nil
	}
	e := 0
	for i := range files {
		f := &files[i]
		f.folder, f.sub = -1, -1
		if emptyStream == nil || !emptyStream[i] {
			f.hasStream = true
			continue
		}
		f.dir = emptyFile == nil || !emptyFile[e]
		f.anti = anti != nil && anti[e]
		e++
	}
	for i, d := range attrDefined {
		if d && attrs[i]&0x10 != 0 && !files[i].hasStream { // FILE_ATTRIBUTE_DIRECTORY
			files[i].dir = true
		}
	}
	return files
}

// utf16z reads a NUL-terminated UTF-16LE string.
func (r *szReader) utf16z() string {
	var u []uint16
	for r.err == nil {
		b := r.bytes(2)
		if b == nil {
			break
		}
		c := uint16(b[0]) | uint16(b[1])<<8
		if c == 0 {
			return string(utf16.Decode(u))
		}
		if len(u) >= szMaxNameLen {
			r.fail("a file name is longer than %d characters", szMaxNameLen)
			break
		}
		u = append(u, c)
	}
	return ""
}

// szArchive is a parsed 7z archive.
type szArchive struct {
	nextOff int64 // offset of the next header (end of the packed streams)
	empty   bool  // no header at all (an empty archive)
	hdrEnc  bool  // the header is packed through 7zAES
	hdr     *szStreams
	main    szStreams
	files   []szFile
}

// packOffset is the offset of pack stream i of s (after checkPack).
func (s *szStreams) packOffset(i int) int64 { return s.offs[i] }

// checkPack checks that the pack streams of s lie inside the packed area
// [32, end), records their offsets, and returns their extent.
func (s *szStreams) checkPack(end int64) (start, stop int64, err error) {
	if s.packPos > uint64(end) {
		return 0, 0, fmt.Errorf("its packed streams start past the end of the archive")
	}
	start = szSigLen + int64(s.packPos)
	stop = start
	s.offs = make([]int64, len(s.packSizes))
	for i, n := range s.packSizes {
		if n > uint64(end-stop) {
			return 0, 0, fmt.Errorf("its packed streams extend past the header (truncated)")
		}
		s.offs[i] = stop
		stop += int64(n)
	}
	return start, stop, nil
}

// parse7z reads the signature header and the header, decoding it when it
// is compressed, and checks that the packed streams and the header cover
// the file. It never derives a key.
func (s *scanner) parse7z(r io.ReaderAt, size int64) (*szArchive, string) {
	sig, err := readAt(r, size, 0, szSigLen)
	if err != nil {
		return nil, "7z archive is truncated (shorter than its 32-byte signature header)"
	}
	if !bytes.HasPrefix(sig, magic7zFull) {
		return nil, "7z signature is missing"
	}
	if sig[6] != 0 {
		return nil, fmt.Sprintf("7z format version %d.%d is not supported", sig[6], sig[7])
	}
	start := sig[12:32]
	if crc32.ChecksumIEEE(start) != binary.LittleEndian.Uint32(sig[8:12]) {
		if bytes.Count(sig[8:32], []byte{0}) == 24 {
			return nil, "7z archive is incomplete (its start header was never written)"
		}
		return nil, "7z start header CRC mismatch (corrupt)"
	}
	nextOff := binary.LittleEndian.Uint64(start[0:8])
	nextSize := binary.LittleEndian.Uint64(start[8:16])
	nextCRC := binary.LittleEndian.Uint32(start[16:20])
	a := &szArchive{}
	if nextSize == 0 {
		if nextOff != 0 {
			return nil, "7z start header is corrupt (an empty header at a non-zero offset)"
		}
		if size > szSigLen {
			return nil, fmt.Sprintf("7z archive has %d bytes after its end (appended data)", size-szSigLen)
		}
		a.empty = true
		return a, ""
	}
	if nextOff > uint64(size) || nextSize > uint64(size) || szSigLen+nextOff+nextSize > uint64(size) {
		return nil, "7z header lies past the end of the file (truncated, or one volume of a split archive)"
	}
	a.nextOff = szSigLen + int64(nextOff)
	if end := a.nextOff + int64(nextSize); end < size {
		return nil, fmt.Sprintf("7z archive has %d bytes after its end (appended data)", size-end)
	}
	if nextSize > szMaxHeader || !s.charge(int64(nextSize)) {
		return nil, fmt.Sprintf("7z header of %d bytes exceeds the limit", nextSize)
	}
	hdr, err := readAt(r, size, a.nextOff, int64(nextSize))
	if err != nil {
		return nil, fmt.Sprintf("reading the 7z header: %v", err)
	}
	if crc32.ChecksumIEEE(hdr) != nextCRC {
		return nil, "7z header CRC mismatch (corrupt)"
	}

	if hdr[0] == szEncodedHeader {
		rd := &szReader{b: hdr[1:]}
		st := rd.readStreamsInfo(s.lim.MaxEntries)
		if rd.err != nil {
			return nil, "7z encoded header is corrupt: " + rd.err.Error()
		}
		if len(st.folders) != 1 {
			return nil, fmt.Sprintf("7z encoded header is corrupt: it has %d folders", len(st.folders))
		}
		a.hdr = &st
		f := &st.folders[0]
		if f.has(szAES) {
			if !f.encrypted() {
				return nil, "7z header is only partly encrypted"
			}
			if _, _, _, err := parse7zAESProps(f.coders[f.streamCoder(f.packed[0], true)].props); err != nil {
				return nil, "7z header encryption is invalid: " + err.Error()
			}
			a.hdrEnc = true
			if reason := a.checkLayout(); reason != "" {
				return nil, reason
			}
			return a, ""
		}
		hdr, err = s.decodeHeader(r, a.nextOff, &st)
		if err != nil {
			return nil, "7z compressed header: " + err.Error()
		}
	}
	if hdr[0] != szHeader {
		return nil, fmt.Sprintf("7z header is corrupt: it starts with %#x", hdr[0])
	}
	if reason := a.parseHeader(hdr[1:], s.lim); reason != "" {
		return nil, reason
	}
	if reason := a.checkLayout(); reason != "" {
		return nil, reason
	}
	return a, ""
}

// decodeHeader decodes the single folder of an encoded (not encrypted)
// header, whose packed stream must end by end, and checks its CRC.
func (s *scanner) decodeHeader(r io.ReaderAt, end int64, st *szStreams) ([]byte, error) {
	f := &st.folders[0]
	n := f.unpackSize()
	if n == 0 {
		return nil, errors.New("it is empty")
	}
	if n > szMaxHeader || !s.charge(int64(n)) {
		return nil, fmt.Errorf("%d bytes exceed the limit", n)
	}
	if _, _, err := st.checkPack(end); err != nil {
		return nil, err
	}
	rd, err := st.folderReader(r, 0, 0, nil, -1, int64(n))
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rd, b); err != nil {
		return nil, fmt.Errorf("decoding: %v", err)
	}
	if f.hasCRC && crc32.ChecksumIEEE(b) != f.crc {
		return nil, errors.New("CRC mismatch (corrupt)")
	}
	return b, nil
}

// parseHeader reads a plain header (after its kHeader byte) into a.
func (a *szArchive) parseHeader(b []byte, lim Limits) string {
	r := &szReader{b: b}
	t := r.number()
	if t == szArchiveProperties {
		for r.err == nil {
			if p := r.number(); p == szEnd || r.err != nil {
				break
			}
			r.skipData()
		}
		t = r.number()
	}
	if t == szAdditionalStreamsInfo && r.err == nil {
		return "7z additional streams (header data stored outside the header) are not supported"
	}
	if t == szMainStreamsInfo {
		a.main = r.readStreamsInfo(lim.MaxEntries)
		t = r.number()
	}
	if t == szFilesInfo && r.err == nil {
		a.files = r.readFilesInfo(lim.MaxEntries)
		t = r.number()
	}
	if r.err == nil && t != szEnd {
		r.fail("unexpected property %#x", t)
	}
	if errors.Is(r.err, errTooManyEntries) {
		return fmt.Sprintf("7z archive has more than %d entries", lim.MaxEntries)
	}
	if r.err != nil {
		return "7z header is corrupt: " + r.err.Error()
	}
	// Files with a stream take the unpack streams in order.
	k := 0
	folderOf := make([]int, 0, len(a.main.subSizes))
	for i, f := range a.main.folders {
		for j := 0; j < f.numSub; j++ {
			folderOf = append(folderOf, i)
		}
	}
	for i := range a.files {
		f := &a.files[i]
		if !f.hasStream {
			continue
		}
		if k >= len(folderOf) {
			return "7z header is corrupt: more files with data than streams"
		}
		f.folder, f.sub = folderOf[k], k
		k++
	}
	if k != len(a.main.subSizes) {
		return fmt.Sprintf("7z header is corrupt: %d streams but %d files with data", len(a.main.subSizes), k)
	}
	for _, f := range a.main.folders {
		if f.has(szAES) {
			if _, _, _, err := parse7zAESProps(f.coders[indexAES(&f)].props); err != nil {
				return "7z encryption is invalid: " + err.Error()
			}
		}
	}
	return ""
}

func indexAES(f *szFolder) int {
	for i, c := range f.coders {
		if c.id == szAES {
			return i
		}
	}
	return -1
}

// checkLayout requires the packed streams of the main streams and of the
// encoded header to tile [32, next header) exactly: a gap hides data, an
// overlap is a forged archive. When the header is encrypted, the main
// streams are unknown; the encrypted header must then end where the next
// header starts.
func (a *szArchive) checkLayout() string {
	type span struct{ start, stop int64 }
	var spans []span
	for _, st := range []*szStreams{&a.main, a.hdr} {
		if st == nil || len(st.packSizes) == 0 {
			continue
		}
		start, stop, err := st.checkPack(a.nextOff)
		if err != nil {
			return "7z archive is corrupt: " + err.Error()
		}
		spans = append(spans, span{start, stop})
	}
	if a.hdrEnc {
		if spans[0].stop != a.nextOff {
			return fmt.Sprintf("7z archive has %d bytes between its encrypted header and the header (hidden data)", a.nextOff-spans[0].stop)
		}
		return ""
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	pos := int64(szSigLen)
	for _, sp := range spans {
		switch {
		case sp.start < pos:
			return "7z archive is corrupt: packed streams overlap"
		case sp.start > pos:
			return fmt.Sprintf("7z archive has %d bytes at offset %d that belong to no stream (hidden data)", sp.start-pos, pos)
		}
		pos = sp.stop
	}
	if pos != a.nextOff {
		return fmt.Sprintf("7z archive has %d bytes at offset %d that belong to no stream (hidden data)", a.nextOff-pos, pos)
	}
	return ""
}

// inspect7z judges a 7z archive: Protected when every file with data is
// in an encrypted folder and there is at least one, or when the header is
// encrypted. Empty files and directories have no data to protect.
func (s *scanner) inspect7z(r io.ReaderAt, size int64, depth int) Result {
	res := Result{Format: Format7z}
	a, reason := s.parse7z(r, size)
	if reason != "" {
		res.Unscannable = reason
		return res
	}
	switch {
	case a.empty:
		res.Notes = append(res.Notes, "empty 7z archive")
		return res
	case a.hdrEnc:
		res.Protected = true
		res.Method = "AES-256 (headers encrypted)"
		res.Notes = append(res.Notes, "headers encrypted: file names are hidden")
		return res
	}
	if reason := s.sevenZipClaims(r, size, &a.main); reason != "" {
		res.Unscannable = reason
		return res
	}
	for i, f := range a.main.folders {
		// An encrypted folder is never decompressed here: its declared
		// ratio is no bomb (an AES 7z of a disk image is protected).
		if f.encrypted() {
			continue
		}
		if u := f.unpackSize(); u > 1<<20 {
			var packed uint64
			for _, n := range a.main.packSizes[f.packIndex : f.packIndex+len(f.packed)] {
				packed += n
			}
			if packed == 0 || u/packed > uint64(s.lim.MaxRatio) {
				res.Unscannable = fmt.Sprintf("7z bomb: folder %d declares a compression ratio over %d:1", i, s.lim.MaxRatio)
				return res
			}
		}
	}
	encrypted, files, empties, anti := false, 0, 0, 0
	for i, f := range a.files {
		e := Entry{Name: f.name, Dir: f.dir}
		if e.Name == "" {
			e.Name = fmt.Sprintf("(unnamed entry %d)", i+1)
		}
		switch {
		case f.hasStream:
			fo := &a.main.folders[f.folder]
			e.Encrypted = fo.encrypted()
			e.Compression = fo.methods()
			e.Size = a.main.subSizes[f.sub]
			if fo.numSub == 1 {
				for _, n := range a.main.packSizes[fo.packIndex : fo.packIndex+len(fo.packed)] {
					e.CompressedSize += n
				}
			}
			if e.Encrypted {
				e.Method = "AES-256"
				encrypted = true
			} else {
				res.PlainEntries = append(res.PlainEntries, e.Name)
				if fo.has(szAES) {
					res.Notes = append(res.Notes, fmt.Sprintf("entry %q: only some streams of its folder are encrypted", e.Name))
				}
			}
			files++
		case f.anti:
			anti++
		case !f.dir:
			empties++
		}
		res.Entries = append(res.Entries, e)
	}
	if encrypted {
		res.Method = "AES-256"
		res.Notes = append(res.Notes, "file names visible (headers are not encrypted)")
	}
	if empties > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d empty file(s): no data to encrypt", empties))
	}
	if anti > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d anti-item(s) (deletion markers)", anti))
	}
	res.Protected = files > 0 && len(res.PlainEntries) == 0
	if len(res.PlainEntries) > 0 {
		s.nested7z(r, a, depth, &res)
	}
	return res
}

// nested7z decodes the plain folders (within the byte budget) to identify
// their files; known formats are inspected one level deeper into
// parent.Nested. Problems only add notes: the parent is not protected
// anyway.
func (s *scanner) nested7z(r io.ReaderAt, a *szArchive, depth int, parent *Result) {
	byFolder := make(map[int][]*szFile)
	for i := range a.files {
		if f := &a.files[i]; f.hasStream {
			byFolder[f.folder] = append(byFolder[f.folder], f)
		}
	}
	for fi := range a.main.folders {
		fo := &a.main.folders[fi]
		files := byFolder[fi]
		if fo.encrypted() || len(files) == 0 {
			continue
		}
		rd, err := a.main.folderReader(r, fi, 0, nil, -1, s.left)
		if err != nil {
			parent.Notes = append(parent.Notes, fmt.Sprintf("entry %q and the others of its folder were not checked: %v", files[0].name, err))
			continue
		}
		for _, f := range files {
			if !s.nestedEntry7z(rd, a, f, depth, parent) {
				break
			}
		}
		if s.left == 0 {
			return
		}
	}
}

// nestedEntry7z reads one file from its folder's decoder; false when the
// folder cannot be read further.
func (s *scanner) nestedEntry7z(rd io.Reader, a *szArchive, f *szFile, depth int, parent *Result) bool {
	n := a.main.subSizes[f.sub]
	if n == 0 {
		return true
	}
	head := make([]byte, min(n, IdentifyHeadSize))
	if !s.charge(int64(len(head))) {
		parent.Notes = append(parent.Notes, fmt.Sprintf("byte limit reached: entry %q and later entries were not checked", f.name))
		return false
	}
	if _, err := io.ReadFull(rd, head); err != nil {
		parent.Notes = append(parent.Notes, fmt.Sprintf("entry %q: decoding its data: %v", f.name, err))
		return false
	}
	rest := int64(n) - int64(len(head))
	format := Identify(head)
	if format == FormatUnknown {
		if !s.charge(rest) {
			parent.Notes = append(parent.Notes, fmt.Sprintf("byte limit reached: entries after %q were not checked", f.name))
			return false
		}
		if _, err := io.CopyN(io.Discard, rd, rest); err != nil {
			parent.Notes = append(parent.Notes, fmt.Sprintf("entry %q: decoding its data: %v", f.name, err))
			return false
		}
		return true
	}
	child := Result{Format: format, Name: f.name}
	switch {
	case depth+1 > s.lim.MaxNesting:
		child.Unscannable = fmt.Sprintf("nested more than %d archive levels deep", s.lim.MaxNesting)
		if !s.charge(rest) {
			parent.Nested = append(parent.Nested, child)
			return false
		}
		if _, err := io.CopyN(io.Discard, rd, rest); err != nil {
			parent.Nested = append(parent.Nested, child)
			return false
		}
	case !s.charge(rest):
		child.Unscannable = fmt.Sprintf("nested file exceeds the %d-byte limit", s.lim.MaxBytes)
		parent.Nested = append(parent.Nested, child)
		return false
	default:
		data := make([]byte, n)
		copy(data, head)
		if _, err := io.ReadFull(rd, data[len(head):]); err != nil {
			child.Unscannable = fmt.Sprintf("reading nested file: %v", err)
			parent.Nested = append(parent.Nested, child)
			return false
		}
		if a.main.subHasCRC[f.sub] && crc32.ChecksumIEEE(data) != a.main.subCRC[f.sub] {
			child.Unscannable = "reading nested file: CRC-32 mismatch"
			break
		}
		child = s.inspect(bytes.NewReader(data), int64(len(data)), depth+1)
		child.Name = f.name
	}
	parent.Nested = append(parent.Nested, child)
	return true
}

// folderReader returns the decoded output of folder fi of st: of its first
// n coders (all when n < 0) on the path up from packed stream k. Decoding
// all of them must reach the folder's output. The coders must be Copy,
// LZMA, LZMA2, Deflate, BZip2 and (with key) 7zAES. An LZMA dictionary is
// clamped to the declared output size; for the last coder also to
// readMax, the most the caller will read, when that is at most szMaxDict
// (a decoder never looks further back than it has written); a dictionary
// still over szMaxDict is refused.
func (st *szStreams) folderReader(r io.ReaderAt, fi, k int, key []byte, n int, readMax int64) (io.Reader, error) {
	f := &st.folders[fi]
	order, full := f.path(k)
	switch {
	case n < 0 && !full:
		return nil, fmt.Errorf("coders %s are not decoded", f.methods())
	case n > len(order):
		return nil, errors.New("coder path too short")
	case n >= 0:
		order = order[:n]
	}
	p := f.packIndex + k
	var rd io.Reader = io.NewSectionReader(r, st.packOffset(p), int64(st.packSizes[p]))
	for i, ci := range order {
		dictCap, clamp := int64(szMaxDict), false
		if i == len(order)-1 && readMax <= szMaxDict {
			dictCap, clamp = max(readMax, lzma.MinDictCap), true
		}
		var err error
		out := f.unpack[f.firstStream(ci, false)]
		if rd, err = szCoderReader(rd, f.coders[ci], out, key, dictCap, clamp); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

// szCoderReader decodes one coder whose output is outSize bytes. LZMA
// dictionaries over dictCap are clamped to it when clamp is set (the
// caller reads no more than dictCap bytes), refused otherwise.
func szCoderReader(rd io.Reader, c szCoder, outSize uint64, key []byte, dictCap int64, clamp bool) (io.Reader, error) {
	switch c.id {
	case szCopy:
	case szLZMA:
		if len(c.props) != 5 || !lzmaPropsOK(c.props[0], false) {
			return nil, errors.New("invalid LZMA properties")
		}
		dict, err := clampDict(uint64(binary.LittleEndian.Uint32(c.props[1:])), outSize, dictCap, clamp)
		if err != nil {
			return nil, err
		}
		h := make([]byte, 13)
		h[0] = c.props[0]
		binary.LittleEndian.PutUint32(h[1:], uint32(dict))
		binary.LittleEndian.PutUint64(h[5:], outSize)
		lr, err := lzma.ReaderConfig{DictCap: int(dict)}.NewReader(io.MultiReader(bytes.NewReader(h), rd))
		if err != nil {
			return nil, fmt.Errorf("LZMA: %v", err)
		}
		rd = lr
	case szLZMA2:
		if len(c.props) != 1 || c.props[0] > 40 {
			return nil, errors.New("invalid LZMA2 properties")
		}
		d := uint64(0xFFFFFFFF)
		if p := c.props[0]; p < 40 {
			d = uint64(2|p&1) << (p/2 + 11)
		}
		dict, err := clampDict(d, outSize, dictCap, clamp)
		if err != nil {
			return nil, err
		}
		lr, err := lzma.Reader2Config{DictCap: int(dict)}.NewReader2(rd)
		if err != nil {
			return nil, fmt.Errorf("LZMA2: %v", err)
		}
		rd = lr
	case szDeflate:
		rd = flate.NewReader(rd)
	case szBZip2:
		rd = bzip2.NewReader(rd)
	case szAES:
		if key == nil {
			return nil, errors.New("encrypted")
		}
		_, _, iv, err := parse7zAESProps(c.props)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		rd = &cbcReader{src: rd, mode: cipher.NewCBCDecrypter(block, iv)}
	default:
		return nil, fmt.Errorf("coder %s is not decoded", szCoderName(c.id))
	}
	return &exactReader{r: rd, n: int64(outSize)}, nil
}

// clampDict bounds an LZMA dictionary by the output size and by limit.
func clampDict(dict, outSize uint64, limit int64, clamp bool) (int64, error) {
	d := min(dict, outSize)
	if d > uint64(limit) {
		if !clamp {
			return 0, fmt.Errorf("an LZMA dictionary of %d bytes exceeds the limit", d)
		}
		d = uint64(limit)
	}
	return int64(max(d, lzma.MinDictCap)), nil
}

// exactReader yields exactly n bytes of r: fewer is an error.
type exactReader struct {
	r io.Reader
	n int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.n {
		p = p[:e.n]
	}
	n, err := e.r.Read(p)
	e.n -= int64(n)
	if err == io.EOF && e.n > 0 {
		err = io.ErrUnexpectedEOF
	}
	if e.n == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

// cbcReader decrypts AES-CBC blocks from src.
type cbcReader struct {
	src  io.Reader
	mode cipher.BlockMode
	buf  [32 << 10]byte
	out  []byte
	err  error
}

func (c *cbcReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		n, err := io.ReadFull(c.src, c.buf[:])
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		if n%aes.BlockSize != 0 {
			n -= n % aes.BlockSize
			err = errors.New("AES stream length is not a multiple of 16")
		}
		c.mode.CryptBlocks(c.buf[:n], c.buf[:n])
		c.out, c.err = c.buf[:n], err
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// parse7zAESProps reads 7zAES coder properties: NumCyclesPower, salt and
// IV sizes in two bytes, then salt and IV (7-Zip's 7zAes.cpp).
func parse7zAESProps(p []byte) (cycles int, salt, iv []byte, err error) {
	if len(p) == 0 {
		return 0, nil, nil, errors.New("7zAES properties are missing")
	}
	cycles = int(p[0] & 0x3F)
	iv = make([]byte, aes.BlockSize)
	if p[0]&0xC0 == 0 {
		if len(p) != 1 {
			return 0, nil, nil, errors.New("7zAES properties have the wrong length")
		}
		return cycles, nil, iv, nil
	}
	if len(p) < 2 {
		return 0, nil, nil, errors.New("7zAES properties are truncated")
	}
	saltLen := int(p[0]>>7&1) + int(p[1]>>4)
	ivLen := int(p[0]>>6&1) + int(p[1]&0x0F)
	if len(p) != 2+saltLen+ivLen {
		return 0, nil, nil, errors.New("7zAES properties have the wrong length")
	}
	salt = p[2 : 2+saltLen]
	copy(iv, p[2+saltLen:])
	return cycles, salt, iv, nil
}

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
	defer func() {
		if v := recover(); v != nil {
			c, err = nil, fmt.Errorf("%w: internal error: %v", ErrUnscannable, v)
		}
	}()
	lim = lim.withDefaults()
	s := &scanner{lim: lim, left: lim.MaxBytes}
	if head, err := readAt(r, size, 0, int64(len(magic7zFull))); err != nil || !bytes.Equal(head, magic7zFull) {
		return nil, fmt.Errorf("%w: not a 7z archive", ErrUnscannable)
	}
	a, reason := s.parse7z(r, size)
	if reason != "" {
		return nil, fmt.Errorf("%w: %s", ErrUnscannable, reason)
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
	defer func() {
		if v := recover(); v != nil {
			ok, err = false, fmt.Errorf("internal error: %v", v)
		}
	}()
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
		return data[0] == szHeader && (&szArchive{}).parseHeader(data[1:], DefaultLimits()) == ""
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

// sevenZipClaims holds each encrypted folder's claim against its packed
// data (see zipclaim.go for the principle): 7zAES is AES-256-CBC, so a
// packed stream it reads is whole 16-byte blocks of ciphertext — not a
// known file format, not far from random.
func (s *scanner) sevenZipClaims(r io.ReaderAt, size int64, st *szStreams) string {
	for i := range st.folders {
		f := &st.folders[i]
		if !f.encrypted() {
			continue
		}
		for k := range f.packed {
			p := f.packIndex + k
			n := int64(st.packSizes[p])
			if n%aes.BlockSize != 0 {
				return fmt.Sprintf("7z folder %d claims AES-256 but its packed stream (%d bytes) is not whole AES blocks", i, n)
			}
			m := min(n, randomSample)
			if !s.charge(m) {
				return fmt.Sprintf("7z archive exceeds the %d-byte limit", s.lim.MaxBytes)
			}
			sample, err := readAt(r, size, st.packOffset(p), m)
			if err != nil {
				return fmt.Sprintf("7z packed stream unreadable: %v", err)
			}
			if Identify(sample) != FormatUnknown || !looksRandom(sample) {
				return fmt.Sprintf("7z folder %d claims AES-256 but its packed data is readable, not ciphertext", i)
			}
		}
	}
	return ""
}
