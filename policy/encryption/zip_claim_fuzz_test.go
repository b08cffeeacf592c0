package encryption

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"testing"
)

// FuzzZipHeaderClaims mutates the header fields of real ZIP fixtures —
// flags, method, CRC, sizes, in the local header, the central header or
// both — and checks the rule behind verifyEncryption: an archive judged
// protected never has an entry whose data, read as stored or as raw
// deflate (from its start or after a 12-byte header), is that entry's
// plaintext (its CRC-32 matches the header's).
//
// edits is read 6 bytes at a time: entry index, field (low 3 bits: flags,
// method, CRC, compressed size, size; bit 3: local header only, bit 4:
// central only), and a 32-bit little-endian value (16 bits for flags and
// method).
func FuzzZipHeaderClaims(f *testing.F) {
	for _, name := range []string{"plain.zip", "mixed.zip", "zipcrypto.zip", "aes256.zip", "stdin.zip", "streamed.zip"} {
		f.Add(fixture(f, name), []byte{0, 0, 1, 0, 0, 0})
	}
	crc := crc32.ChecksumIEEE(meibo)
	n := uint32(len(meibo))
	f.Add(buildZip(same(rawHeader{name: "meibo.csv", crc: crc, csize: n, usize: n}, meibo)), []byte{0, 0, 1, 0, 0, 0})
	lim := Limits{MaxEntries: 64, MaxBytes: 4 << 20}
	f.Fuzz(func(t *testing.T, base, edits []byte) {
		b := applyHeaderEdits(base, edits)
		res := Inspect(bytes.NewReader(b), int64(len(b)), lim)
		if !res.Protected {
			return
		}
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, zf := range zr.File {
			if zf.UncompressedSize64 == 0 || zf.UncompressedSize64 > 1<<20 {
				continue
			}
			raw, err := zf.OpenRaw()
			if err != nil {
				continue
			}
			data, err := io.ReadAll(io.LimitReader(raw, 2<<20))
			if err != nil {
				continue
			}
			for _, off := range []int{0, 12} {
				if off > len(data) {
					continue
				}
				if plaintextOf(data[off:], zf.UncompressedSize64, zf.CRC32) {
					t.Fatalf("judged protected (%s), but entry %q is readable plaintext at offset %d", res.Method, zf.Name, off)
				}
			}
		}
	})
}

// plaintextOf reports whether data, stored or raw-deflated, is the
// content with size usize and CRC-32 crc.
func plaintextOf(data []byte, usize uint64, crc uint32) bool {
	if uint64(len(data)) == usize && crc32.ChecksumIEEE(data) == crc {
		return true
	}
	out, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(data)), int64(usize)+1))
	return err == nil && uint64(len(out)) == usize && crc32.ChecksumIEEE(out) == crc
}

// applyHeaderEdits writes edits into the headers of the ZIP b (a copy).
func applyHeaderEdits(b, edits []byte) []byte {
	b = bytes.Clone(b)
	locals := headerOffsets(b, "PK\x03\x04")
	centrals := headerOffsets(b, "PK\x01\x02")
	// Field offsets in the local and central headers (APPNOTE 4.3.7, 4.3.12).
	fields := []struct{ local, central, size int }{
		{6, 8, 2},   // flags
		{8, 10, 2},  // method
		{14, 16, 4}, // CRC-32
		{18, 20, 4}, // compressed size
		{22, 24, 4}, // uncompressed size
	}
	for len(edits) >= 6 {
		idx, sel, v := int(edits[0]), edits[1], binary.LittleEndian.Uint32(edits[2:6])
		edits = edits[6:]
		fd := fields[int(sel&7)%len(fields)]
		put := func(offs []int, rel int) {
			if idx >= len(offs) || offs[idx]+rel+fd.size > len(b) {
				return
			}
			if fd.size == 2 {
				binary.LittleEndian.PutUint16(b[offs[idx]+rel:], uint16(v))
			} else {
				binary.LittleEndian.PutUint32(b[offs[idx]+rel:], v)
			}
		}
		if sel&0x10 == 0 {
			put(locals, fd.local)
		}
		if sel&0x08 == 0 {
			put(centrals, fd.central)
		}
	}
	return b
}

func headerOffsets(b []byte, sig string) []int {
	var out []int
	for i := 0; i+4 <= len(b) && len(out) < 64; {
		j := bytes.Index(b[i:], []byte(sig))
		if j < 0 {
			break
		}
		out = append(out, i+j)
		i += j + 4
	}
	return out
}
