package encryption

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// fixtureDir holds the archives made by real tools (see its make.sh).
const fixtureDir = "../../testdata/attachments"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("fixture %s: %v (regenerate with testdata/attachments/make.sh)", name, err)
	}
	return b
}

func inspectBytes(b []byte, lim Limits) Result {
	return Inspect(bytes.NewReader(b), int64(len(b)), lim)
}

// The helpers below write ZIP records byte by byte from the APPNOTE.TXT
// layout (section 4.3), to build hostile archives that no real tool
// writes: overlapping entries, local headers that contradict the central
// directory, shadow directories, masked (encrypted) directories.

// rawHeader is what goes into a local or central header.
type rawHeader struct {
	name    string
	flags   uint16
	method  uint16
	modTime uint16
	crc     uint32
	csize   uint32
	usize   uint32
	extra   []byte
}

// stored returns a header for data stored as is.
func stored(name string, data []byte) rawHeader {
	n := uint32(len(data))
	return rawHeader{name: name, crc: crc32.ChecksumIEEE(data), csize: n, usize: n}
}

func (h rawHeader) local(data []byte) []byte {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w(uint32(sigLocal))
	w(uint16(20))
	w(h.flags)
	w(h.method)
	w(h.modTime)
	w(uint16(0x5821)) // date
	w(h.crc)
	w(h.csize)
	w(h.usize)
	w(uint16(len(h.name)))
	w(uint16(len(h.extra)))
	b.WriteString(h.name)
	b.Write(h.extra)
	b.Write(data)
	return b.Bytes()
}

func (h rawHeader) central(off uint32) []byte {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w(uint32(sigCentral))
	w(uint16(0x031e))
	w(uint16(20))
	w(h.flags)
	w(h.method)
	w(h.modTime)
	w(uint16(0x5821))
	w(h.crc)
	w(h.csize)
	w(h.usize)
	w(uint16(len(h.name)))
	w(uint16(len(h.extra)))
	w(uint16(0)) // comment
	w(uint16(0)) // disk
	w(uint16(0)) // internal attributes
	w(uint32(0)) // external attributes
	w(off)
	b.WriteString(h.name)
	b.Write(h.extra)
	return b.Bytes()
}

func endRecord(records int, cdSize, cdOff uint32, comment string) []byte {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w(uint32(sigEnd))
	w(uint16(0))
	w(uint16(0))
	w(uint16(records))
	w(uint16(records))
	w(cdSize)
	w(cdOff)
	w(uint16(len(comment)))
	b.WriteString(comment)
	return b.Bytes()
}

// rawEntry is a local header with its data, and the central header that
// points at it.
type rawEntry struct {
	local   rawHeader
	central rawHeader
	data    []byte
}

func same(h rawHeader, data []byte) rawEntry { return rawEntry{h, h, data} }

// buildZip lays entries out in order, then the central directory and end
// record.
func buildZip(entries ...rawEntry) []byte {
	var out, cd bytes.Buffer
	for _, e := range entries {
		off := uint32(out.Len())
		out.Write(e.local.local(e.data))
		cd.Write(e.central.central(off))
	}
	cdOff := uint32(out.Len())
	out.Write(cd.Bytes())
	out.Write(endRecord(len(entries), uint32(cd.Len()), cdOff, ""))
	return out.Bytes()
}

// goZip writes an archive with archive/zip (a well-formed writer).
func goZip(t testing.TB, files map[string][]byte, order ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range order {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
