package encryption

// RAR 4 (RAR 2.9/3.x/4.x, "RAR version 4.x - technical information",
// technote.txt) and RAR 5 ("RAR 5.0 archive format", rarlab.com) archives:
// block headers only, checked against unrar's reader (arcread.cpp) where the
// documents are silent.
//
// Library choice. github.com/nwaples/rardecode/v2 (v2.4.x) was evaluated and
// is not used. Its FileHeader does say Encrypted and HeaderEncrypted, but
// it reads the archive as a stream (io.Reader) and skips what it does not
// understand; it does not expose the salt, KDF count or password check
// value that the password checker needs (it only checks a password it was
// given, deriving keys for every KDF count up to 2^24 that the file asks
// for); it does not report blocks that do not tile the file (appended or
// hidden data); and everything else it offers is decompression, which
// Inspect never does. The block layer is small and fully documented, so it
// is read here, strictly: every header CRC is checked, sizes are checked
// against the file, each block must start where the previous one ends, and
// the archive must end with its end-of-archive block (or, for RAR 2.x files
// without one, at the end of the file).
//
// Protected: the headers are encrypted (RAR4 archive header flag 0x0080
// MHD_PASSWORD; RAR5 archive encryption header, block type 4), or every
// file entry is encrypted (RAR4 file flag 0x0004; RAR5 file encryption
// extra record, type 1) and there is at least one. RAR4 encryption is
// AES-128 from RAR 2.9 on (unpack version >= 29), the older RAR 2.0 and
// 1.5 ciphers before; RAR5 is always AES-256.
//
// Nothing is decompressed: plain entries that are stored (not compressed)
// are read as is and inspected nested when they are a known format; plain
// compressed entries are named in a note.
//
// This file holds the constants and what the block layer yields (rarEntry,
// rarArchive). The block layers are in rar_parse4.go and rar_parse5.go,
// Inspect's verdict in rar_check.go and rar_claim.go, password checks in
// rar_password.go.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// RAR 4 block types and flags (technote.txt).
const (
	rar4Main    = 0x73
	rar4File    = 0x74
	rar4Comment = 0x75
	rar4AV      = 0x76
	rar4Sub     = 0x77
	rar4Protect = 0x78
	rar4Sign    = 0x79
	rar4NewSub  = 0x7A
	rar4End     = 0x7B

	rar4LongBlock = 0x8000

	rar4MainVolume   = 0x0001
	rar4MainComment  = 0x0002
	rar4MainPassword = 0x0080 // block headers are encrypted

	rar4FileSplitBefore = 0x0001
	rar4FileSplitAfter  = 0x0002
	rar4FileEncrypted   = 0x0004
	rar4FileDirMask     = 0x00E0
	rar4FileLarge       = 0x0100
	rar4FileUnicode     = 0x0200
	rar4FileSalt        = 0x0400

	rar4SaltLen   = 8
	rar4MainLen   = 13
	rar4FileLen   = 32 // file header up to the name, without the 64-bit sizes
	rar4HashRound = 0x40000
)

// RAR 5 header types, flags and records ("RAR 5.0 archive format").
const (
	rar5Main       = 1
	rar5File       = 2
	rar5Service    = 3
	rar5Encryption = 4
	rar5End        = 5

	rar5HasExtra     = 0x0001
	rar5HasData      = 0x0002
	rar5SplitBefore  = 0x0008
	rar5SplitAfter   = 0x0010
	rar5FileDir      = 0x0001
	rar5FileTime     = 0x0002
	rar5FileCRC      = 0x0004
	rar5RecEncrypted = 0x01
	rar5CheckPresent = 0x0001
	rar5MainVolume   = 0x0001
	rar5MainVolNum   = 0x0002

	rar5MaxHeader = 2<<20 + 3 // "header size ... must not exceed 2 MB"
	rar5SaltLen   = 16
	rar5CheckLen  = 12 // 8-byte check value and 4 bytes of its SHA-256
	rar5MaxKDF    = 24 // unrar's CRYPT5_KDF_LG2_COUNT_MAX
)

var errRARTruncated = errors.New("truncated")

// rarEntry is a file or service block.
type rarEntry struct {
	name      string
	service   bool // a service header (comment, recovery record, NTFS stream, ...)
	dir       bool
	encrypted bool
	method    string // encryption method
	stored    bool   // not compressed
	split     bool   // continued from or in another volume
	compress  string
	size      uint64
	dataOff   int64
	dataLen   int64
	crc       uint32
	hasCRC    bool
	unpVer    byte   // RAR4
	salt      []byte // RAR4 (8 bytes) or RAR5 encryption record (16)
	kdf       int    // RAR5
	check     []byte // RAR5: 12-byte check value, when present
	iv        []byte // RAR5
	usesMAC   bool   // RAR5: checksums are tweaked with the key
}

// rarArchive is what the block layer says.
type rarArchive struct {
	v5      bool
	hdrEnc  bool  // block headers are encrypted
	encAt   int64 // RAR4: offset of the first encrypted header (its salt); RAR5: of its IV
	salt    []byte
	kdf     int    // RAR5 header encryption
	check   []byte // RAR5 header encryption check value
	entries []rarEntry
	notes   []string
}

// parseRAR reads the block headers of a RAR4 or RAR5 archive.
func (s *scanner) parseRAR(r io.ReaderAt, size int64) (*rarArchive, error) {
	head, err := readAt(r, size, 0, min(size, 8))
	switch {
	case err != nil:
		return nil, fmt.Errorf("RAR signature: %v", err)
	case bytes.HasPrefix(head, magicRAR5):
		return s.parseRAR5(r, size)
	case bytes.HasPrefix(head, magicRAR4):
		return s.parseRAR4(r, size)
	}
	return nil, errors.New("RAR signature is missing")
}
