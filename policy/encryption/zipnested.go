package encryption

import (
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
)

// nested inflates the plain file entry f far enough to identify its
// content; when it is a known format, the whole entry is read (within the
// byte budget) and inspected one level deeper, and the result is appended
// to parent.Nested. Problems here never make the parent unscannable: the
// parent is not protected anyway, since f is plain. It returns false when
// the byte budget is spent and later entries need not be tried.
func (s *scanner) nested(r io.ReaderAt, f zipFile, depth int, parent *Result) bool {
	name := f.cd.name
	if f.cd.usize == 0 {
		return true
	}
	if f.enc.method != methodStore && f.enc.method != methodDeflate {
		parent.Notes = append(parent.Notes, fmt.Sprintf("entry %q: %s is not inflated, its content was not checked",
			name, compressionName(f.enc.method)))
		return true
	}
	rd := s.entryReader(r, f.loc.dataOff, int64(f.cd.csize), f.enc.method)

	head := make([]byte, min(f.cd.usize, IdentifyHeadSize))
	if !s.charge(int64(len(head))) {
		parent.Notes = append(parent.Notes, fmt.Sprintf("byte limit reached: entry %q and later entries were not checked", name))
		return false
	}
	if _, err := io.ReadFull(rd, head); err != nil {
		parent.Notes = append(parent.Notes, fmt.Sprintf("entry %q: reading its data: %v", name, err))
		return true
	}
	format := Identify(head)
	if format == FormatUnknown {
		return true
	}
	child := Result{Format: format, Name: name}
	switch {
	case depth+1 > s.lim.MaxNesting:
		child.Unscannable = fmt.Sprintf("nested more than %d archive levels deep", s.lim.MaxNesting)
	case !s.charge(int64(f.cd.usize) - int64(len(head))):
		child.Unscannable = fmt.Sprintf("nested file exceeds the %d-byte limit", s.lim.MaxBytes)
	default:
		data, err := readEntry(rd, head, f.cd.usize, f.cd.crc)
		if err != nil {
			child.Unscannable = fmt.Sprintf("reading nested file: %v", err)
			break
		}
		child = s.inspect(bytes.NewReader(data), int64(len(data)), depth+1)
		child.Name = name
	}
	parent.Nested = append(parent.Nested, child)
	return true
}

// entryReader returns the uncompressed data of a stored or deflated entry
// whose raw data is at [off, off+n). The inflater is reused from entry to
// entry (it is 40 KB); the caller is done with it before the next call.
func (s *scanner) entryReader(r io.ReaderAt, off, n int64, method uint16) io.Reader {
	raw := io.NewSectionReader(r, off, n)
	if method != methodDeflate {
		return raw
	}
	if s.inflater == nil {
		s.inflater = flate.NewReader(raw)
	} else if err := s.inflater.(flate.Resetter).Reset(raw, nil); err != nil {
		s.inflater = flate.NewReader(raw)
	}
	return s.inflater
}

// readEntry reads the rest of an entry whose first bytes are head: exactly
// usize bytes in all (the caller has charged them to the budget), with the
// expected CRC-32.
func readEntry(rd io.Reader, head []byte, usize uint64, crc uint32) ([]byte, error) {
	data := make([]byte, usize)
	copy(data, head)
	if _, err := io.ReadFull(rd, data[len(head):]); err != nil {
		return nil, fmt.Errorf("shorter than its declared %d bytes: %w", usize, err)
	}
	if n, _ := rd.Read(make([]byte, 1)); n > 0 {
		return nil, fmt.Errorf("longer than its declared %d bytes", usize)
	}
	if got := crc32.ChecksumIEEE(data); got != crc {
		return nil, fmt.Errorf("CRC-32 mismatch (%08x, want %08x)", got, crc)
	}
	return data, nil
}
