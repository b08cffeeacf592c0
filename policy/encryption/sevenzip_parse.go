package encryption

// Parsing a whole 7z archive: the signature header, the header (decoded
// when it is compressed), and the check that the packed streams and the
// header cover the file exactly.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
)

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
func (s *scanner) parse7z(r io.ReaderAt, size int64) (*szArchive, error) {
	sig, err := readAt(r, size, 0, szSigLen)
	if err != nil {
		return nil, errors.New("7z archive is truncated (shorter than its 32-byte signature header)")
	}
	if !bytes.HasPrefix(sig, magic7zFull) {
		return nil, errors.New("7z signature is missing")
	}
	if sig[6] != 0 {
		return nil, fmt.Errorf("7z format version %d.%d is not supported", sig[6], sig[7])
	}
	start := sig[12:32]
	if crc32.ChecksumIEEE(start) != binary.LittleEndian.Uint32(sig[8:12]) {
		if bytes.Count(sig[8:32], []byte{0}) == 24 {
			return nil, errors.New("7z archive is incomplete (its start header was never written)")
		}
		return nil, errors.New("7z start header CRC mismatch (corrupt)")
	}
	nextOff := binary.LittleEndian.Uint64(start[0:8])
	nextSize := binary.LittleEndian.Uint64(start[8:16])
	nextCRC := binary.LittleEndian.Uint32(start[16:20])
	a := &szArchive{}
	if nextSize == 0 {
		if nextOff != 0 {
			return nil, errors.New("7z start header is corrupt (an empty header at a non-zero offset)")
		}
		if size > szSigLen {
			return nil, fmt.Errorf("7z archive has %d bytes after its end (appended data)", size-szSigLen)
		}
		a.empty = true
		return a, nil
	}
	if nextOff > uint64(size) || nextSize > uint64(size) || szSigLen+nextOff+nextSize > uint64(size) {
		return nil, errors.New("7z header lies past the end of the file (truncated, or one volume of a split archive)")
	}
	a.nextOff = szSigLen + int64(nextOff)
	if end := a.nextOff + int64(nextSize); end < size {
		return nil, fmt.Errorf("7z archive has %d bytes after its end (appended data)", size-end)
	}
	if nextSize > szMaxHeader || !s.charge(int64(nextSize)) {
		return nil, fmt.Errorf("7z header of %d bytes exceeds the limit", nextSize)
	}
	hdr, err := readAt(r, size, a.nextOff, int64(nextSize))
	if err != nil {
		return nil, fmt.Errorf("reading the 7z header: %v", err)
	}
	if crc32.ChecksumIEEE(hdr) != nextCRC {
		return nil, errors.New("7z header CRC mismatch (corrupt)")
	}

	if hdr[0] == szEncodedHeader {
		rd := &szReader{b: hdr[1:]}
		st := rd.readStreamsInfo(s.lim.MaxEntries)
		if rd.err != nil {
			return nil, errors.New("7z encoded header is corrupt: " + rd.err.Error())
		}
		if len(st.folders) != 1 {
			return nil, fmt.Errorf("7z encoded header is corrupt: it has %d folders", len(st.folders))
		}
		a.hdr = &st
		f := &st.folders[0]
		if f.has(szAES) {
			if !f.encrypted() {
				return nil, errors.New("7z header is only partly encrypted")
			}
			if _, _, _, err := parse7zAESProps(f.coders[f.streamCoder(f.packed[0], true)].props); err != nil {
				return nil, errors.New("7z header encryption is invalid: " + err.Error())
			}
			a.hdrEnc = true
			if reason := a.checkLayout(); reason != nil {
				return nil, reason
			}
			return a, nil
		}
		hdr, err = s.decodeHeader(r, a.nextOff, &st)
		if err != nil {
			return nil, errors.New("7z compressed header: " + err.Error())
		}
	}
	if hdr[0] != szHeader {
		return nil, fmt.Errorf("7z header is corrupt: it starts with %#x", hdr[0])
	}
	if reason := a.parseHeader(hdr[1:], s.lim); reason != nil {
		return nil, reason
	}
	if reason := a.checkLayout(); reason != nil {
		return nil, reason
	}
	return a, nil
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
func (a *szArchive) parseHeader(b []byte, lim Limits) error {
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
		return errors.New("7z additional streams (header data stored outside the header) are not supported")
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
		return fmt.Errorf("7z archive has more than %d entries", lim.MaxEntries)
	}
	if r.err != nil {
		return errors.New("7z header is corrupt: " + r.err.Error())
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
			return errors.New("7z header is corrupt: more files with data than streams")
		}
		f.folder, f.sub = folderOf[k], k
		k++
	}
	if k != len(a.main.subSizes) {
		return fmt.Errorf("7z header is corrupt: %d streams but %d files with data", len(a.main.subSizes), k)
	}
	for _, f := range a.main.folders {
		if f.has(szAES) {
			if _, _, _, err := parse7zAESProps(f.coders[indexAES(&f)].props); err != nil {
				return errors.New("7z encryption is invalid: " + err.Error())
			}
		}
	}
	return nil
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
func (a *szArchive) checkLayout() error {
	type span struct{ start, stop int64 }
	var spans []span
	for _, st := range []*szStreams{&a.main, a.hdr} {
		if st == nil || len(st.packSizes) == 0 {
			continue
		}
		start, stop, err := st.checkPack(a.nextOff)
		if err != nil {
			return errors.New("7z archive is corrupt: " + err.Error())
		}
		spans = append(spans, span{start, stop})
	}
	if a.hdrEnc {
		if spans[0].stop != a.nextOff {
			return fmt.Errorf("7z archive has %d bytes between its encrypted header and the header (hidden data)", a.nextOff-spans[0].stop)
		}
		return nil
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	pos := int64(szSigLen)
	for _, sp := range spans {
		switch {
		case sp.start < pos:
			return errors.New("7z archive is corrupt: packed streams overlap")
		case sp.start > pos:
			return fmt.Errorf("7z archive has %d bytes at offset %d that belong to no stream (hidden data)", sp.start-pos, pos)
		}
		pos = sp.stop
	}
	if pos != a.nextOff {
		return fmt.Errorf("7z archive has %d bytes at offset %d that belong to no stream (hidden data)", a.nextOff-pos, pos)
	}
	return nil
}
