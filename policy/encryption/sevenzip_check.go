package encryption

// Judging a 7z archive for Inspect: protected or not, and the plain
// archives nested in it.

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
)

// inspect7z judges a 7z archive: Protected when every file with data is
// in an encrypted folder and there is at least one, or when the header is
// encrypted. Empty files and directories have no data to protect.
func (s *scanner) inspect7z(r io.ReaderAt, size int64, depth int) Result {
	res := Result{Format: Format7z}
	a, reason := s.parse7z(r, size)
	if reason != nil {
		res.Unscannable = reason.Error()
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
	if reason := s.sevenZipClaims(r, size, &a.main); reason != nil {
		res.Unscannable = reason.Error()
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
