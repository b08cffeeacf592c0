package encryption

import (
	"bytes"
	"encoding/binary"
	"io"
)

// IsPlainImage reports whether r (size bytes) is an image a mail reader
// shows inline and nothing more: PNG, JPEG, GIF, WebP or BMP whose
// structure accounts for the whole file. A part referenced by cid: counts as
// part of the body only then; anything else — a CSV or ZIP labelled
// image/png, a real image with an archive appended (a polyglot), SVG (XML
// that can carry text), TIFF and icons (rare in mail, costly to walk) — is
// an attachment and judged as the file it is.
func IsPlainImage(r io.ReaderAt, size int64) bool {
	var head [16]byte
	if size < int64(len(head)) {
		return false
	}
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return false
	}
	switch {
	case bytes.HasPrefix(head[:], []byte("\x89PNG\r\n\x1a\n")):
		return pngEndsAtIEND(r, size)
	case head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF:
		return endsWith(r, size, []byte{0xFF, 0xD9})
	case bytes.HasPrefix(head[:], []byte("GIF87a")) || bytes.HasPrefix(head[:], []byte("GIF89a")):
		return endsWith(r, size, []byte{0x3B})
	case bytes.HasPrefix(head[:], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		// RIFF size: the bytes after the 8-byte header, padded to even.
		n := int64(binary.LittleEndian.Uint32(head[4:8]))
		return n+8 == size || n+9 == size && n%2 == 1
	case head[0] == 'B' && head[1] == 'M':
		return int64(binary.LittleEndian.Uint32(head[2:6])) == size
	}
	return false
}

// maxPNGChunks bounds the walk over a PNG's chunks.
const maxPNGChunks = 100000

// pngEndsAtIEND walks a PNG's chunks (length, type, data, CRC) and reports
// whether the IEND chunk ends the file.
func pngEndsAtIEND(r io.ReaderAt, size int64) bool {
	off := int64(8)
	var hdr [8]byte
	for i := 0; i < maxPNGChunks; i++ {
		if off+12 > size {
			return false
		}
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return false
		}
		n := int64(binary.BigEndian.Uint32(hdr[:4]))
		if n > 1<<31-1 {
			return false
		}
		off += 12 + n
		if string(hdr[4:8]) == "IEND" {
			return off == size
		}
	}
	return false
}

// endsWith reports whether the last bytes of r are tail.
func endsWith(r io.ReaderAt, size int64, tail []byte) bool {
	buf := make([]byte, len(tail))
	if _, err := r.ReadAt(buf, size-int64(len(tail))); err != nil {
		return false
	}
	return bytes.Equal(buf, tail)
}
