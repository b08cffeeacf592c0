package encryption

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// encKind is how a ZIP entry is encrypted.
type encKind int

const (
	encNone encKind = iota
	encZipCrypto
	encAES
	encStrong
)

// encInfo describes an entry's encryption, from its central directory
// header.
type encInfo struct {
	kind     encKind
	strength byte   // AES: 1, 2, 3 = AES-128, -192, -256
	method   uint16 // compression method of the data (AES: from 0x9901)
	aeVer    uint16 // AES: 1 = AE-1 (CRC kept), 2 = AE-2 (CRC zero)
}

func (e encInfo) String() string {
	switch e.kind {
	case encZipCrypto:
		return "ZipCrypto"
	case encAES:
		return fmt.Sprintf("AES-%d", 64+64*int(e.strength))
	case encStrong:
		return "PKWARE strong encryption"
	}
	return ""
}

// aesKeyLen is the AES key length in bytes for a 0x9901 strength.
func aesKeyLen(strength byte) int { return 8 + 8*int(strength) }

// classify reads the encryption of an entry from its flags, method and
// extra field (APPNOTE 4.4.4, WinZip AE-1/AE-2). A non-empty problem makes
// the archive unscannable.
func classify(flags, method uint16, extra []byte) (e encInfo, problem string) {
	e.method = method
	switch {
	case flags&flagEncrypted == 0:
		if method == methodAES {
			return e, "uses method 99 (WinZip AES) without the encryption flag"
		}
		e.kind = encNone
	case flags&flagStrong != 0:
		e.kind = encStrong
	case method == methodAES:
		x, ok := extraField(extra, extraAES)
		if !ok || len(x) < 7 || x[2] != 'A' || x[3] != 'E' || x[4] < 1 || x[4] > 3 {
			return e, "uses method 99 (WinZip AES) without a valid 0x9901 extra field"
		}
		e.kind, e.strength = encAES, x[4]
		e.aeVer = uint16(x[0]) | uint16(x[1])<<8
		e.method = uint16(x[5]) | uint16(x[6])<<8
	default:
		e.kind = encZipCrypto
	}
	return e, ""
}

func compressionName(m uint16) string {
	switch m {
	case 0:
		return "store"
	case 8:
		return "deflate"
	case 9:
		return "deflate64"
	case 12:
		return "bzip2"
	case 14:
		return "lzma"
	case 93:
		return "zstd"
	case 95:
		return "xz"
	case 98:
		return "ppmd"
	}
	return fmt.Sprintf("method %d", m)
}

// zipFile is one entry seen both through the central directory and
// through its local header.
type zipFile struct {
	cd    cdEntry
	loc   localHeader
	enc   encInfo
	end   int64 // end of the entry: data plus data descriptor
	isDir bool
	// fakeEncryption names the encryption the entry's flags claim when
	// its data turned out to be plaintext (enc is then encNone).
	fakeEncryption string
}

// zipArchive is a parsed, cross-checked ZIP.
type zipArchive struct {
	end   *zipEnd
	files []zipFile
	notes []string
	// zr and zrErr are what zip.NewReader returned, when parseZip got as
	// far as calling it (zrRead).
	zr     *zip.Reader
	zrErr  error
	zrRead bool
}

// Priorities of the reasons an archive is unscannable; the most telling
// one is reported.
const (
	prioLimit = iota
	prioCorrupt
	prioOverlap
	prioRatio
	prioDisagree
	prioHidden
)

type verdict struct {
	prio int
	msg  string
}

func (v *verdict) add(prio int, format string, args ...any) {
	if v.msg == "" || prio < v.prio {
		v.prio, v.msg = prio, fmt.Sprintf(format, args...)
	}
}

// parseZip reads the central directory with archive/zip and again by
// hand, reads every local header, and checks that the archive is what the
// central directory says: entries tile the file without overlaps or
// hidden bytes, local headers agree, declared ratios are sane. It returns
// the archive (possibly partial, for evidence) and the reason it is
// unscannable, if any.
func (s *scanner) parseZip(r io.ReaderAt, size int64) (*zipArchive, string) {
	var v verdict
	end, err := findEnd(r, size)
	if err != nil {
		return nil, "ZIP " + err.Error()
	}
	a := &zipArchive{end: end}
	if end.records > uint64(s.lim.MaxEntries) {
		return a, fmt.Sprintf("ZIP has more than %d entries", s.lim.MaxEntries)
	}
	if end.cdSize > uint64(size) {
		return a, "ZIP central directory is corrupt: it is larger than the file"
	}
	if !s.charge(int64(end.cdSize)) {
		return a, fmt.Sprintf("ZIP central directory exceeds the %d-byte limit", s.lim.MaxBytes)
	}
	zr, err := zip.NewReader(r, size)
	a.zr, a.zrErr, a.zrRead = zr, err, true
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return a, fmt.Sprintf("ZIP central directory is corrupt: %v", err)
	}
	if len(zr.File) > s.lim.MaxEntries {
		return a, fmt.Sprintf("ZIP has more than %d entries", s.lim.MaxEntries)
	}
	cds, err := walkCentral(r, size, end, s.lim.MaxEntries)
	switch {
	case errors.Is(err, errTooManyEntries):
		return a, fmt.Sprintf("ZIP has more than %d entries", s.lim.MaxEntries)
	case err != nil:
		return a, fmt.Sprintf("ZIP central directory is corrupt: %v", err)
	case len(cds) != len(zr.File) || uint16(len(cds)) != uint16(end.records):
		return a, fmt.Sprintf("ZIP central directory is corrupt: it declares %d entries, holds %d, archive/zip read %d",
			end.records, len(cds), len(zr.File))
	}

	var regions []region
	for i, d := range cds {
		f := zr.File[i]
		if f.Name != d.name || f.Flags != d.flags || f.Method != d.method || f.CRC32 != d.crc ||
			f.CompressedSize64 != d.csize || f.UncompressedSize64 != d.usize {
			return a, fmt.Sprintf("ZIP central directory is corrupt: readers disagree on entry %q", d.name)
		}
		zf, ok := s.checkEntry(r, size, d, f, &v)
		a.files = append(a.files, zf)
		if ok {
			regions = append(regions, region{d.headerOff, zf.end, fmt.Sprintf("entry %q", d.name), true})
		}
		if d.flags&flagMaskedHdrs != 0 {
			a.notes = append(a.notes, fmt.Sprintf("entry %q has flag bit 13 (masked local header) set", d.name))
		}
	}
	regions = append(regions, end.regions()...)
	checkTiling(r, size, regions, &v)
	if bytes.Contains(end.comment, []byte("PK\x01\x02")) || bytes.Contains(end.comment, []byte("PK\x03\x04")) ||
		bytes.Contains(end.comment, []byte("PK\x05\x06")) {
		v.add(prioHidden, "ZIP comment contains ZIP headers (hidden archive)")
	}
	return a, v.msg
}

// checkEntry classifies the encryption of central directory entry d,
// reads its local header and data descriptor, and records what is wrong
// with it in v. ok is false when the entry's extent is unknown.
func (s *scanner) checkEntry(r io.ReaderAt, size int64, d cdEntry, f *zip.File, v *verdict) (zf zipFile, ok bool) {
	zf = zipFile{cd: d, isDir: strings.HasSuffix(d.name, "/") && d.usize == 0}
	var problem string
	zf.enc, problem = classify(d.flags, d.method, d.extra)
	if problem != "" {
		v.add(prioCorrupt, "ZIP entry %q %s", d.name, problem)
	}
	loc, err := readLocal(r, size, d.headerOff)
	if err != nil {
		v.add(prioCorrupt, "ZIP local header of entry %q is missing or unreadable: %v", d.name, err)
		return zf, false
	}
	if off, err := f.DataOffset(); err != nil || off != loc.dataOff {
		v.add(prioCorrupt, "ZIP central directory is corrupt: readers disagree on the data offset of entry %q", d.name)
		return zf, false
	}
	zf.loc = loc
	zf.end = loc.dataOff + int64(d.csize)
	if zf.end < loc.dataOff || zf.end > size {
		v.add(prioCorrupt, "ZIP entry %q extends past the end of the file (truncated)", d.name)
		return zf, false
	}
	if loc.flags&flagDataDesc != 0 {
		n, bad := dataDescriptorLen(r, size, zf.end, d)
		if bad {
			v.add(prioDisagree, "ZIP data descriptor disagrees with central directory for entry %q", d.name)
		}
		zf.end += n
	}
	if msg := disagreement(zf); msg != "" {
		v.add(prioDisagree, "ZIP local header disagrees with central directory for entry %q (%s)", d.name, msg)
	}
	if zf.enc.kind != encNone && problem == "" {
		plain, claim := s.verifyEncryption(r, size, zf)
		switch {
		case claim != "":
			v.add(prioDisagree, "ZIP entry %q %s", d.name, claim)
		case plain:
			zf.fakeEncryption = zf.enc.String()
			zf.enc = encInfo{kind: encNone, method: zf.enc.method}
		}
	}
	// An encrypted entry is never inflated beyond what a password trial
	// reads, so its declared ratio is no bomb (a protected ZIP of a disk
	// image is legitimate); a plain one is inflated to be inspected.
	if zf.enc.kind == encNone && d.usize > 1<<20 && (d.csize == 0 || d.usize/d.csize > uint64(s.lim.MaxRatio)) {
		v.add(prioRatio, "ZIP bomb: entry %q declares a compression ratio over %d:1", d.name, s.lim.MaxRatio)
	}
	return zf, true
}

// disagreement compares what the local header says with the central
// directory: signature (checked by readLocal), encryption flags, method,
// name, AES strength, and CRC and sizes unless they are deferred to a data
// descriptor.
func disagreement(f zipFile) string {
	l, d := f.loc, f.cd
	switch {
	case l.flags&flagEncrypted != d.flags&flagEncrypted:
		return "encryption flag"
	case l.flags&flagStrong != d.flags&flagStrong:
		return "strong encryption flag"
	case l.method != d.method:
		return "compression method"
	case l.name != d.name:
		return "name"
	}
	if f.enc.kind == encAES {
		x, ok := extraField(l.extra, extraAES)
		if !ok || len(x) < 7 || x[4] != f.enc.strength || uint16(x[5])|uint16(x[6])<<8 != f.enc.method {
			return "AES extra field"
		}
	}
	if l.flags&flagDataDesc == 0 && (l.crc != d.crc || l.csize != d.csize || l.usize != d.usize) {
		return "CRC or sizes"
	}
	return ""
}

// region is a byte range of the file that some ZIP structure claims.
type region struct {
	start, end int64
	what       string
	entry      bool
}

// regions returns the ranges of the central directory and end records.
func (e *zipEnd) regions() []region {
	rs := []region{
		{e.cdStart, e.cdStart + int64(e.cdSize), "the central directory", false},
		{e.endOff, e.endStop, "the end of central directory record", false},
	}
	if e.end64Off >= 0 {
		rs = append(rs, region{e.end64Off, e.end64Off + e.end64Len, "the zip64 end record", false})
	}
	if e.locatorOff >= 0 {
		rs = append(rs, region{e.locatorOff, e.locatorOff + locator64Len, "the zip64 locator", false})
	}
	return rs
}

// checkTiling requires the regions to cover the file exactly: no overlap
// (a zip bomb in the style of David Fifield's "better zip bomb", or a
// forged directory) and no unclaimed bytes (a prepended or appended
// archive, a shadow central directory, hidden data). The only slack is the
// 4-byte spanning marker some writers put at offset 0.
func checkTiling(r io.ReaderAt, size int64, regions []region, v *verdict) {
	sort.SliceStable(regions, func(i, j int) bool { return regions[i].start < regions[j].start })
	var pos int64
	var last region
	if len(regions) > 0 && regions[0].start == 4 {
		if b, err := readAt(r, size, 0, 4); err == nil && (string(b) == "PK\x07\x08" || string(b) == "PK00") {
			pos = 4
		}
	}
	for _, g := range regions {
		switch {
		case g.start < pos:
			if g.entry && last.entry {
				v.add(prioOverlap, "ZIP bomb: overlapping entries (%s and %s)", last.what, g.what)
			} else {
				v.add(prioOverlap, "ZIP structures overlap (%s and %s)", last.what, g.what)
			}
		case g.start > pos:
			v.add(prioHidden, "%s", unclaimed(r, size, pos, g.start-pos))
		}
		if g.end > pos {
			pos, last = g.end, g
		}
	}
	if pos < size {
		v.add(prioHidden, "%s", unclaimed(r, size, pos, size-pos))
	}
}

func unclaimed(r io.ReaderAt, size, off, n int64) string {
	if b, err := readAt(r, size, off, min(n, 4)); err == nil && len(b) == 4 {
		switch string(b) {
		case "PK\x03\x04":
			return fmt.Sprintf("ZIP has a local file header at offset %d that the central directory does not list (concatenated or hidden archive)", off)
		case "PK\x01\x02":
			return fmt.Sprintf("ZIP has a second central directory at offset %d", off)
		case "PK\x05\x06":
			return fmt.Sprintf("ZIP has a second end of central directory record at offset %d", off)
		}
	}
	return fmt.Sprintf("ZIP has %d bytes at offset %d that belong to no entry (hidden or appended data)", n, off)
}

// inspectZIP judges a ZIP archive; see Result for the rules.
func (s *scanner) inspectZIP(r io.ReaderAt, size int64, depth int) Result {
	res := Result{Format: FormatZIP}
	a, reason := s.parseZip(r, size)
	if depth == 0 {
		s.topZip, s.topZipReason = a, reason
	}
	if a != nil && len(a.files) == 0 && reason != "" {
		if e, ok := s.encryptedDirectory(r, size, a.end); ok {
			return e
		}
	}
	res.Unscannable = reason
	if a == nil {
		return res
	}
	res.Notes = a.notes
	var methods []string
	files := 0
	for _, f := range a.files {
		e := Entry{
			Name:           f.cd.name,
			Encrypted:      f.enc.kind != encNone,
			Method:         f.enc.String(),
			Compression:    compressionName(f.enc.method),
			Size:           f.cd.usize,
			CompressedSize: f.cd.csize,
			Dir:            f.isDir,
		}
		res.Entries = append(res.Entries, e)
		if e.Encrypted && !containsString(methods, e.Method) {
			methods = append(methods, e.Method)
		}
		if e.Dir {
			continue
		}
		files++
		if f.fakeEncryption != "" {
			res.Notes = append(res.Notes, fmt.Sprintf("entry %q is flagged as %s but its data is plaintext", f.cd.name, f.fakeEncryption))
		}
		if !e.Encrypted {
			res.PlainEntries = append(res.PlainEntries, e.Name)
			if e.Name == "[Content_Types].xml" {
				res.Format = FormatOOXML
			}
		}
	}
	res.Method = strings.Join(methods, ", ")
	if res.Unscannable != "" {
		return res
	}
	res.Protected = files > 0 && len(res.PlainEntries) == 0
	for _, f := range a.files {
		if f.enc.kind == encNone && !f.isDir && !s.nested(r, f, depth, &res) {
			break
		}
	}
	return res
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
