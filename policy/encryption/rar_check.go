package encryption

// Judging a RAR archive for Inspect: protected or not, and the plain
// stored entries nested in it.

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

// inspectRAR judges a RAR archive; see the top of rar.go.
func (s *scanner) inspectRAR(r io.ReaderAt, size int64, depth int) Result {
	res := Result{Format: FormatRAR}
	a, reason := s.parseRAR(r, size)
	if a != nil {
		res.Notes = a.notes
	}
	if reason != nil {
		res.Unscannable = reason.Error()
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
		case problem != nil:
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
