package encryption

import "bytes"

// Format is a file format identified by content (magic bytes), not by name.
type Format string

// Formats recognised by Identify. FormatOOXML is only reported by Inspect:
// Identify sees a ZIP and Inspect refines it when the archive holds a plain
// "[Content_Types].xml". Encrypted OOXML documents are CFB containers.
const (
	FormatUnknown Format = ""
	FormatZIP     Format = "zip"
	Format7z      Format = "7z"
	FormatRAR     Format = "rar"
	FormatPDF     Format = "pdf"
	FormatCFB     Format = "cfb"   // OLE2 compound file: legacy Office, or encrypted OOXML
	FormatOOXML   Format = "ooxml" // a ZIP with [Content_Types].xml (docx, xlsx, pptx)
	FormatPGP     Format = "pgp"   // OpenPGP message, armored or binary
	FormatGzip    Format = "gzip"
	FormatBzip2   Format = "bzip2"
	FormatXZ      Format = "xz"
	FormatZstd    Format = "zstd"
	FormatTar     Format = "tar"
	FormatLZH     Format = "lzh" // LHA, still common in Japan; it has no encryption
)

// IdentifyHeadSize is how many leading bytes Identify wants when the file
// is that long; fewer are fine for short files.
const IdentifyHeadSize = 8 << 10

var (
	magic7z        = []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}
	magicRAR4      = []byte("Rar!\x1a\x07\x00")
	magicRAR5      = []byte("Rar!\x1a\x07\x01\x00")
	magicCFB       = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	magicGzip      = []byte{0x1F, 0x8B, 0x08}
	magicXZ        = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}
	magicZstd      = []byte{0x28, 0xB5, 0x2F, 0xFD}
	magicPDF       = []byte("%PDF-")
	magicPGPArmor  = []byte("-----BEGIN PGP MESSAGE-----")
	magicBzipBlock = []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59} // pi: first block
	magicBzipEOS   = []byte{0x17, 0x72, 0x45, 0x38, 0x50, 0x90} // sqrt(pi): empty stream
)

// zipHead reports whether head starts like a ZIP archive: a local file
// header, an empty archive's end record, or the single-segment "spanning"
// marker (PK\x07\x08 or PK00) some writers put before the first header.
func zipHead(head []byte) bool {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return true
	case bytes.HasPrefix(head, []byte("PK\x07\x08PK\x03\x04")), bytes.HasPrefix(head, []byte("PK00PK\x03\x04")):
		return true
	}
	return false
}

// Identify returns the format of a file from its first bytes (give at least
// IdentifyHeadSize bytes when the file is that long). It never reads a name
// or extension. A DOCX/XLSX/PPTX is reported as FormatZIP here; Inspect
// refines it to FormatOOXML.
func Identify(head []byte) Format {
	switch {
	case zipHead(head):
		return FormatZIP
	case bytes.HasPrefix(head, magic7z):
		return Format7z
	case bytes.HasPrefix(head, magicRAR4), bytes.HasPrefix(head, magicRAR5):
		return FormatRAR
	case bytes.HasPrefix(head, magicCFB):
		return FormatCFB
	case bytes.HasPrefix(head, magicGzip):
		return FormatGzip
	case bytes.HasPrefix(head, magicXZ):
		return FormatXZ
	case bytes.HasPrefix(head, magicZstd):
		return FormatZstd
	case isBzip2(head):
		return FormatBzip2
	case isLZH(head):
		return FormatLZH
	case isTar(head):
		return FormatTar
	case isPDF(head):
		return FormatPDF
	case isPGP(head):
		return FormatPGP
	}
	return FormatUnknown
}

// isPDF: readers accept "%PDF-" anywhere in the first 1024 bytes.
func isPDF(head []byte) bool {
	return bytes.Contains(head[:min(len(head), 1024)], magicPDF)
}

func isBzip2(head []byte) bool {
	if len(head) < 10 || !bytes.HasPrefix(head, []byte("BZh")) || head[3] < '1' || head[3] > '9' {
		return false
	}
	return bytes.HasPrefix(head[4:], magicBzipBlock) || bytes.HasPrefix(head[4:], magicBzipEOS)
}

// isLZH: "-lh?-" / "-lz?-" method id at offset 2 of the first header.
func isLZH(head []byte) bool {
	if len(head) < 21 || head[2] != '-' || head[6] != '-' || head[3] != 'l' {
		return false
	}
	return head[4] == 'h' || head[4] == 'z'
}

// isTar: POSIX/GNU "ustar" magic at offset 257.
func isTar(head []byte) bool {
	return len(head) >= 263 && bytes.Equal(head[257:262], []byte("ustar"))
}

// isPGP recognises an armored "BEGIN PGP MESSAGE" block (after leading
// white space) or a binary message that starts with a session-key packet:
// public-key (tag 1) or symmetric-key (tag 3) encrypted, old or new packet
// format, with a plausible version byte. A clear-signed text is not a
// message and is not reported.
func isPGP(head []byte) bool {
	if bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n\ufeff"), magicPGPArmor) {
		return true
	}
	if len(head) < 4 || head[0]&0x80 == 0 {
		return false
	}
	var tag byte
	var body []byte
	if head[0]&0x40 == 0 { // old format: tag in bits 5-2, length type in bits 1-0
		tag = (head[0] >> 2) & 0x0F
		switch head[0] & 3 {
		case 0:
			body = head[2:]
		case 1:
			body = head[3:]
		case 2:
			if len(head) < 6 {
				return false
			}
			body = head[5:]
		default:
			return false
		}
	} else { // new format: tag in bits 5-0
		tag = head[0] & 0x3F
		switch l := head[1]; {
		case l < 192:
			body = head[2:]
		case l < 224:
			body = head[3:]
		case l == 255:
			if len(head) < 6 {
				return false
			}
			body = head[6:]
		default:
			return false // partial lengths are not allowed for these packets
		}
	}
	if len(body) < 2 {
		return false
	}
	switch tag {
	case 1: // PKESK: version 3 (key id, algorithm follow) or 6
		return body[0] == 3 || body[0] == 6
	case 3: // SKESK: version 4 then a symmetric algorithm id, or 5/6
		if body[0] == 4 {
			return body[1] >= 1 && body[1] <= 13
		}
		return body[0] == 5 || body[0] == 6
	}
	return false
}
