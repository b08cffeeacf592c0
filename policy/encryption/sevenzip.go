package encryption

// 7z archives, read from the format description in the LZMA SDK
// (DOC/7zFormat.txt) and checked against 7-Zip's reader (7zIn.cpp).
//
// Library choice. github.com/bodgit/sevenzip (v1.6.5) was evaluated and is
// not used: it does not expose a folder's coders, so content encryption is
// only seen as ReadError{Encrypted: true} when an entry is opened and
// read, which runs the 7zAES key derivation (2^19 SHA-256 rounds, more if
// the archive asks for it, up to 2^24) and the decompressors on every
// inspection; it has no byte budget and no hook to check that the packed
// streams cover the file (appended or hidden data); and it pulls in about
// ten modules (brotli, lz4, zstd, ppmd, afero, an LRU cache, ...) for
// codecs we never need. What Inspect needs is small: the signature
// header, the (possibly LZMA-compressed) header, and the coder list of
// each folder. That is parsed here, strictly and within Limits; no key is
// derived and no content is decompressed to decide. The only dependency is
// github.com/ulikunitz/xz/lzma (pure Go, no further modules) to decode
// LZMA/LZMA2: a compressed header (7-Zip's default), plain folders for
// nested archives, and the first bytes of an encrypted folder for the
// password check. Dictionaries are clamped to the declared output size and
// to szMaxDict (32 MiB), so a forged dictionary size cannot allocate
// gigabytes.
//
// A folder is encrypted when every packed stream it reads is consumed by a
// 7zAES coder (06F10701): that is how 7-Zip writes -p archives, also with
// multi-stream filters such as BCJ2. 7zAES is always AES-256-CBC. When the
// header itself is packed through 7zAES (-mhe=on), file names and coders
// are hidden; the archive is Protected and nothing else can be learned
// without the password.
//
// This file holds the format's constants and coder names. The code is in
// one file per step: sevenzip_reader.go (the header encoding),
// sevenzip_folder.go and sevenzip_streams.go (folders, StreamsInfo,
// FilesInfo), sevenzip_parse.go (the whole archive and its layout),
// sevenzip_check.go and sevenzip_claim.go (Inspect's verdict),
// sevenzip_decode.go (the coder chain) and sevenzip_password.go (password
// checks).

import "fmt"

const (
	szSigLen     = 32       // signature header
	szMaxCoders  = 64       // coders, and in/out streams, per folder (7-Zip's limit)
	szMaxHeader  = 16 << 20 // a (decoded) header larger than this is unscannable
	szMaxDict    = 32 << 20 // largest LZMA dictionary allocated to read content
	szMaxNameLen = 32 << 10 // UTF-16 units in one name
)

// Property ids (7zFormat.txt).
const (
	szEnd                   = 0x00
	szHeader                = 0x01
	szArchiveProperties     = 0x02
	szAdditionalStreamsInfo = 0x03
	szMainStreamsInfo       = 0x04
	szFilesInfo             = 0x05
	szPackInfo              = 0x06
	szUnpackInfo            = 0x07
	szSubStreamsInfo        = 0x08
	szSize                  = 0x09
	szCRC                   = 0x0A
	szFolderID              = 0x0B
	szCodersUnpackSize      = 0x0C
	szNumUnpackStream       = 0x0D
	szEmptyStream           = 0x0E
	szEmptyFile             = 0x0F
	szAnti                  = 0x10
	szName                  = 0x11
	szWinAttributes         = 0x15
	szEncodedHeader         = 0x17
)

// Coder ids (DOC/Methods.txt), as big-endian integers of their bytes.
const (
	szCopy    = 0x00
	szLZMA2   = 0x21
	szLZMA    = 0x030101
	szDeflate = 0x040108
	szBZip2   = 0x040202
	szAES     = 0x06F10701
)

var szCoderNames = map[uint64]string{
	szCopy: "Copy", 0x03: "Delta", 0x04: "BCJ", 0x05: "PPC", 0x06: "IA64", 0x07: "ARM", 0x08: "ARMT",
	0x09: "SPARC", 0x0A: "ARM64", 0x0B: "RISCV", szLZMA2: "LZMA2", szLZMA: "LZMA", 0x03030103: "BCJ",
	0x0303011B: "BCJ2", 0x03030205: "PPC", 0x03030401: "IA64", 0x03030501: "ARM", 0x03030701: "ARMT",
	0x03030805: "SPARC", 0x030401: "PPMD", szDeflate: "Deflate", 0x040109: "Deflate64", szBZip2: "BZip2",
	0x04F71101: "ZSTD", 0x04F71102: "Brotli", 0x04F71104: "LZ4", 0x04F71105: "LZ5", 0x04F71106: "Lizard",
	szAES: "7zAES",
}

func szCoderName(id uint64) string {
	if n, ok := szCoderNames[id]; ok {
		return n
	}
	return fmt.Sprintf("coder %X", id)
}

var magic7zFull = []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}
