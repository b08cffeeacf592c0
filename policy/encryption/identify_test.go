package encryption

import (
	"bytes"
	"testing"
)

func TestIdentify(t *testing.T) {
	tar := make([]byte, 512)
	copy(tar, "file.txt")
	copy(tar[257:], "ustar\x0000")
	tests := []struct {
		name string
		head []byte
		want Format
	}{
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00"), FormatZIP},
		{"empty zip", []byte("PK\x05\x06" + string(make([]byte, 18))), FormatZIP},
		{"spanning marker", []byte("PK\x07\x08PK\x03\x04"), FormatZIP},
		{"7z", []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C, 0, 4}, Format7z},
		{"rar4", []byte("Rar!\x1a\x07\x00\xcf"), FormatRAR},
		{"rar5", []byte("Rar!\x1a\x07\x01\x00"), FormatRAR},
		{"pdf", []byte("%PDF-1.7\n"), FormatPDF},
		{"pdf after junk", append(bytes.Repeat([]byte{' '}, 100), "%PDF-1.4"...), FormatPDF},
		{"cfb", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, FormatCFB},
		{"gzip", []byte{0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0}, FormatGzip},
		{"bzip2", []byte("BZh91AY&SY\x00"), FormatBzip2},
		{"xz", []byte{0xFD, '7', 'z', 'X', 'Z', 0, 0, 4}, FormatXZ},
		{"zstd", []byte{0x28, 0xB5, 0x2F, 0xFD, 0x24}, FormatZstd},
		{"tar", tar, FormatTar},
		{"lzh", []byte("\x24\x1a-lh5-\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), FormatLZH},
		{"pgp armored", []byte("\r\n-----BEGIN PGP MESSAGE-----\n\nhQEMA"), FormatPGP},
		{"pgp clearsigned is text", []byte("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256"), FormatUnknown},
		{"pgp gpg -c (old format SKESK v4, AES)", []byte{0x8C, 0x0D, 0x04, 0x09, 0x03, 0x02}, FormatPGP},
		{"pgp new format PKESK v3", []byte{0xC1, 0xC0, 0x4C, 0x03, 0x11, 0x22}, FormatPGP},
		{"binary that is not pgp", []byte{0x8C, 0x0D, 0x09, 0x09, 0x03, 0x02}, FormatUnknown},
		{"text", []byte("hello, world"), FormatUnknown},
		{"empty", nil, FormatUnknown},
		{"one byte", []byte{0x8C}, FormatUnknown},
	}
	for _, tt := range tests {
		if got := Identify(tt.head); got != tt.want {
			t.Errorf("%s: Identify = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestIdentifyFixtures(t *testing.T) {
	for file, want := range map[string]Format{
		"plain.zip": FormatZIP, "aes256.zip": FormatZIP, "empty.zip": FormatZIP,
		"document.docx": FormatZIP, // refined by Inspect
		"encrypted.7z":  Format7z, "hello.txt.gz": FormatGzip,
	} {
		if got := Identify(fixture(t, file)); got != want {
			t.Errorf("%s: Identify = %q, want %q", file, got, want)
		}
	}
}
