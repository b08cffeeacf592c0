package encryption

// 7z StreamsInfo and FilesInfo (7zFormat.txt): pack streams, folders,
// substreams with their sizes and CRCs, and the file entries.

import (
	"fmt"
	"unicode/utf16"
)

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
