package encryption

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
)

// Hostile archives that real tools do not write, built from the APPNOTE
// layout by the helpers in helpers_test.go.

func deflate(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// overlapBomb is David Fifield's "better zip bomb", non-quoted variant: many
// central directory headers point at one local header whose deflated
// kernel expands to 2 MiB each.
func overlapBomb(t testing.TB, copies int) []byte {
	kernel := bytes.Repeat([]byte{'a'}, 2<<20)
	z := deflate(t, kernel)
	h := rawHeader{name: "0", method: methodDeflate, crc: crc32.ChecksumIEEE(kernel), csize: uint32(len(z)), usize: uint32(len(kernel))}
	var out, cd bytes.Buffer
	out.Write(h.local(z))
	for i := 0; i < copies; i++ {
		c := h
		c.name = fmt.Sprint(i)
		cd.Write(c.central(0))
	}
	cdOff := uint32(out.Len())
	out.Write(cd.Bytes())
	out.Write(endRecord(copies, uint32(cd.Len()), cdOff, ""))
	return out.Bytes()
}

// quotedOverlap: the first entry's data spans the second entry's local
// header and data (the "quoting" variant of the same bomb).
func quotedOverlap() []byte {
	second := stored("b", []byte("BBBB"))
	secondLocal := second.local([]byte("BBBB"))
	firstData := append([]byte("AAAA"), secondLocal...)
	first := stored("a", firstData)
	var out, cd bytes.Buffer
	out.Write(first.local([]byte("AAAA"))[:localLen+1+4]) // header, name, "AAAA"
	off2 := uint32(out.Len())
	out.Write(secondLocal)
	cd.Write(first.central(0))
	cd.Write(second.central(off2))
	cdOff := uint32(out.Len())
	out.Write(cd.Bytes())
	out.Write(endRecord(2, uint32(cd.Len()), cdOff, ""))
	return out.Bytes()
}

// zipCryptoLooking returns a header flagged as ZipCrypto with 12+n bytes
// of (fake) encrypted data.
func zipCryptoLooking(name string, n int) (rawHeader, []byte) {
	data := bytes.Repeat([]byte{0x5a}, zipCryptoHeaderLen+n)
	return rawHeader{name: name, flags: flagEncrypted, crc: 0x12345678, csize: uint32(len(data)), usize: uint32(n)}, data
}

// shadowDirectory: plain and encrypted entries, a real central directory
// listing both, then a second one listing only the encrypted entry, which
// the end record points at (archive/zip sees a "protected" archive).
func shadowDirectory() []byte {
	plain := stored("plain.txt", []byte("confidential"))
	enc, encData := zipCryptoLooking("enc.txt", 8)
	var out, cd1, cd2 bytes.Buffer
	out.Write(plain.local([]byte("confidential")))
	encOff := uint32(out.Len())
	out.Write(enc.local(encData))
	cd1.Write(plain.central(0))
	cd1.Write(enc.central(encOff))
	cd2.Write(enc.central(encOff))
	out.Write(cd1.Bytes())
	cd2Off := uint32(out.Len())
	out.Write(cd2.Bytes())
	out.Write(endRecord(1, uint32(cd2.Len()), cd2Off, ""))
	return out.Bytes()
}

// encryptedDirectoryZip imitates a SecureZIP archive with an encrypted
// central directory (APPNOTE 7.3): masked local headers (flags 0, 6, 13),
// an opaque directory, a zip64 end record version 2 that needs 6.2, and
// saturated fields in the end record. extra adds a plain local header.
func encryptedDirectoryZip(plainToo bool) []byte {
	var out bytes.Buffer
	h := rawHeader{name: "1", flags: flagEncrypted | flagStrong | flagMaskedHdrs, csize: 64}
	out.Write(h.local(bytes.Repeat([]byte{0xA5}, 64)))
	if plainToo {
		out.Write(stored("2", []byte("plain")).local([]byte("plain")))
	}
	cdOff := out.Len()
	out.Write(bytes.Repeat([]byte{0x3C}, 100)) // decryption header + encrypted directory
	end64 := out.Len()
	w := func(v any) { binary.Write(&out, binary.LittleEndian, v) }
	w(uint32(sigEnd64))
	w(uint64(end64Len - 12 + 8)) // record size, with 8 bytes of version 2 data
	w(uint16(0x033e))            // made by 6.2
	w(uint16(62))                // needed 6.2
	w(uint32(0))
	w(uint32(0))
	w(uint64(1))
	w(uint64(1))
	w(uint64(100))
	w(uint64(cdOff))
	w(uint64(0)) // (part of) the version 2 fields
	w(uint32(sigLocator64))
	w(uint32(0))
	w(uint64(end64))
	w(uint32(1))
	w(uint32(sigEnd))
	w(uint16(0))
	w(uint16(0))
	w(uint16(0xffff))
	w(uint16(0xffff))
	w(uint32(0xffffffff))
	w(uint32(0xffffffff))
	w(uint16(0))
	return out.Bytes()
}

func nestZip(t testing.TB, name string, inner []byte, levels int) []byte {
	for i := 0; i < levels; i++ {
		inner = goZip(t, map[string][]byte{name: inner}, name)
	}
	return inner
}

func TestInspectHostile(t *testing.T) {
	plainZip, encZip := fixture(t, "plain.zip"), fixture(t, "zipcrypto.zip")

	manyFiles := map[string][]byte{}
	var manyNames []string
	for i := 0; i < 10001; i++ {
		n := fmt.Sprintf("f%05d", i)
		manyFiles[n], manyNames = nil, append(manyNames, n)
	}

	enc, encData := zipCryptoLooking("a.txt", 8)
	lying := same(enc, encData)
	lying.local.flags = 0 // the local header says plain, the directory says encrypted

	renamed := same(enc, encData)
	renamed.local.name = "b.txt"

	remethod := same(enc, encData)
	remethod.local.method = methodDeflate

	bigDecl := stored("big", bytes.Repeat([]byte{0}, 1000))
	bigDecl.usize = 2 << 30

	aesNoExtra := rawHeader{name: "x", flags: flagEncrypted, method: methodAES, csize: 30, usize: 2}
	aes99Plain := rawHeader{name: "x", method: methodAES, csize: 30, usize: 2}

	commentZip := append(append([]byte(nil), encZip[:len(encZip)-2]...), 4, 0)
	commentZip = append(commentZip, "PK\x03\x04"...)

	gap := buildZip(same(enc, encData))
	gapped := append(append(append([]byte(nil), gap[:len(gap)-endLen-centralLen-5]...), "hidden plain text"...),
		gap[len(gap)-endLen-centralLen-5:]...)
	// fix the central directory offset after the inserted bytes
	binary.LittleEndian.PutUint32(gapped[len(gapped)-6:], binary.LittleEndian.Uint32(gapped[len(gapped)-6:])+17)

	droppedMiddle := append(append([]byte(nil), encZip[:60]...), encZip[65:]...)

	tests := []struct {
		name string
		data []byte
		lim  Limits
		want string // substring of Unscannable
	}{
		{"overlap bomb", overlapBomb(t, 50), Limits{}, "ZIP bomb: overlapping entries"},
		{"quoted overlap bomb", quotedOverlap(), Limits{}, "ZIP bomb: overlapping entries"},
		{"declared ratio", buildZip(same(bigDecl, bytes.Repeat([]byte{0}, 1000))), Limits{}, `ZIP bomb: entry "big" declares a compression ratio over 1000:1`},
		{"too many entries", goZip(t, manyFiles, manyNames...), Limits{}, "ZIP has more than 10000 entries"},
		{"entry limit", plainZip, Limits{MaxEntries: 1}, "ZIP has more than 1 entries"},
		{"local says plain", buildZip(lying), Limits{}, `ZIP local header disagrees with central directory for entry "a.txt" (encryption flag)`},
		{"local renamed", buildZip(renamed), Limits{}, `ZIP local header disagrees with central directory for entry "a.txt" (name)`},
		{"local method", buildZip(remethod), Limits{}, `(compression method)`},
		{"truncated", encZip[:len(encZip)/2], Limits{}, "ZIP end of central directory record not found (truncated or not a ZIP)"},
		{"bytes dropped from the middle", droppedMiddle, Limits{}, "ZIP"},
		{"encrypted zip appended to a plain one", append(append([]byte(nil), plainZip...), encZip...), Limits{},
			"ZIP has a local file header at offset 0 that the central directory does not list"},
		{"plain zip appended to an encrypted one", append(append([]byte(nil), encZip...), plainZip...), Limits{},
			"ZIP has a local file header at offset 0 that the central directory does not list"},
		{"shadow central directory", shadowDirectory(), Limits{}, "ZIP has a local file header at offset 0"},
		{"trailing data", append(append([]byte(nil), encZip...), "plain text after the end"...), Limits{}, "belong to no entry"},
		{"hidden data between entries", gapped, Limits{}, "17 bytes at offset"},
		{"zip in the comment", commentZip, Limits{}, "ZIP comment contains ZIP headers"},
		{"AES without 0x9901", buildZip(same(aesNoExtra, make([]byte, 30))), Limits{}, "without a valid 0x9901 extra field"},
		{"method 99 without flag", buildZip(same(aes99Plain, make([]byte, 30))), Limits{}, "without the encryption flag"},
		{"not a zip after the magic", []byte("PK\x03\x04 this is not really a zip"), Limits{}, "end of central directory record not found"},
		{"encrypted directory with a plain local entry", encryptedDirectoryZip(true), Limits{}, "ZIP central directory is corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := inspectBytes(tt.data, tt.lim)
			if res.Protected || !strings.Contains(res.Unscannable, tt.want) {
				t.Errorf("Protected %v, Unscannable %q; want it to contain %q", res.Protected, res.Unscannable, tt.want)
			}
			b := tt.data
			if _, ok, err := ZipPasswordOpens(bytes.NewReader(b), int64(len(b)), "secret123", tt.lim); ok || err == nil {
				t.Errorf("ZipPasswordOpens: ok %v err %v; want an error", ok, err)
			}
		})
	}
}

// Every prefix of an encrypted archive is unscannable, never protected.
func TestInspectEveryTruncation(t *testing.T) {
	for _, file := range []string{"zipcrypto.zip", "aes256.zip", "streamed.zip"} {
		b := fixture(t, file)
		for n := 0; n < len(b); n++ {
			res := inspectBytes(b[:n], Limits{})
			if res.Protected || (res.Format == FormatZIP && res.Unscannable == "") {
				t.Fatalf("%s cut at %d: %+v", file, n, res)
			}
		}
	}
}

func TestInspectEncryptedDirectory(t *testing.T) {
	res := inspectBytes(encryptedDirectoryZip(false), Limits{})
	if !res.Protected || res.Unscannable != "" || res.Method != "PKWARE strong encryption" || len(res.Notes) != 1 {
		t.Errorf("%+v", res)
	}
}

func TestInspectOddEntries(t *testing.T) {
	t.Run("directory name with data is a file", func(t *testing.T) {
		enc, encData := zipCryptoLooking("a.txt", 8)
		res := inspectBytes(buildZip(same(enc, encData), same(stored("d/", []byte("data")), []byte("data"))), Limits{})
		if res.Protected || len(res.PlainEntries) != 1 || res.PlainEntries[0] != "d/" || res.Unscannable != "" {
			t.Errorf("%+v", res)
		}
	})
	t.Run("PKWARE strong encryption entry", func(t *testing.T) {
		// A decryption header (APPNOTE 7.2.4): IV size 16, IV, size,
		// format 3, AES-256 (0x6610), 256 bits, flags, then ciphertext.
		dh := []byte{16, 0}
		dh = append(dh, bytes.Repeat([]byte{0xa7}, 16)...)
		dh = append(dh, 0x20, 0, 0, 0, 3, 0, 0x10, 0x66, 0, 1, 1, 0, 0, 0)
		data := append(dh, bytes.Repeat([]byte{0x5a, 0xc3, 0x11, 0x8e}, 8)...)
		h := rawHeader{name: "s", flags: flagEncrypted | flagStrong, crc: 0x12345678, csize: uint32(len(data)), usize: 20}
		res := inspectBytes(buildZip(same(h, data)), Limits{})
		if !res.Protected || res.Method != "PKWARE strong encryption" {
			t.Errorf("%+v", res)
		}
		// The flags without a decryption header are no encryption.
		fake, fakeData := zipCryptoLooking("s", 20)
		fake.flags |= flagStrong
		if res := inspectBytes(buildZip(same(fake, fakeData)), Limits{}); res.Protected || res.Unscannable == "" {
			t.Errorf("strong flag without a decryption header: %+v", res)
		}
		// Nor over the plaintext itself.
		plainText := []byte("name,phone\nyamada,090\n")
		ph := rawHeader{name: "p.csv", flags: flagEncrypted | flagStrong, crc: crc32.ChecksumIEEE(plainText), csize: uint32(len(plainText)), usize: uint32(len(plainText))}
		if res := inspectBytes(buildZip(same(ph, plainText)), Limits{}); res.Protected {
			t.Errorf("strong flag over plaintext judged protected: %+v", res)
		}
		if _, _, err := ZipPasswordOpens(bytes.NewReader(buildZip(same(h, data))), int64(len(buildZip(same(h, data)))), "x", Limits{}); err == nil {
			t.Error("ZipPasswordOpens on strong encryption: no error")
		}
	})
	t.Run("spanning marker before the first entry", func(t *testing.T) {
		enc, encData := zipCryptoLooking("a.txt", 8)
		local := enc.local(encData)
		var out bytes.Buffer
		out.WriteString("PK\x07\x08")
		out.Write(local)
		cd := enc.central(4)
		out.Write(cd)
		out.Write(endRecord(1, uint32(len(cd)), uint32(4+len(local)), ""))
		if res := inspectBytes(out.Bytes(), Limits{}); !res.Protected || res.Unscannable != "" {
			t.Errorf("%+v", res)
		}
	})
}

func TestInspectNesting(t *testing.T) {
	enc := fixture(t, "zipcrypto.zip")
	t.Run("within the limit", func(t *testing.T) {
		res := inspectBytes(nestZip(t, "in.zip", enc, 3), Limits{})
		depth := 0
		for r := res; len(r.Nested) == 1; r = r.Nested[0] {
			depth++
			if r.Nested[0].Unscannable != "" {
				t.Fatalf("level %d: %q", depth, r.Nested[0].Unscannable)
			}
			if depth == 3 && !r.Nested[0].Protected {
				t.Error("innermost archive not protected")
			}
		}
		if depth != 3 {
			t.Errorf("depth %d, want 3", depth)
		}
	})
	t.Run("too deep", func(t *testing.T) {
		res := inspectBytes(nestZip(t, "in.zip", enc, 3), Limits{MaxNesting: 2})
		inner := res.Nested[0].Nested[0].Nested[0] // depth 3
		if inner.Unscannable != "nested more than 2 archive levels deep" || inner.Protected {
			t.Errorf("%+v", inner)
		}
		if res.PlainContainerOfProtected() {
			t.Error("PlainContainerOfProtected = true")
		}
	})
	t.Run("byte budget", func(t *testing.T) {
		big := goZip(t, map[string][]byte{"zeros": make([]byte, 1<<20), "inner.zip": enc}, "zeros", "inner.zip")
		// The central directory (~110 bytes) and the head of "zeros" (8 KiB)
		// leave too little for the 472-byte inner archive.
		res := inspectBytes(big, Limits{MaxBytes: IdentifyHeadSize + 200})
		if res.PlainContainerOfProtected() || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "byte limit reached") {
			t.Errorf("%+v", res)
		}
	})
	t.Run("nested zip bomb is unscannable inside", func(t *testing.T) {
		res := inspectBytes(goZip(t, map[string][]byte{"bomb.zip": overlapBomb(t, 5)}, "bomb.zip"), Limits{})
		if len(res.Nested) != 1 || !strings.Contains(res.Nested[0].Unscannable, "overlapping entries") {
			t.Errorf("%+v", res.Nested)
		}
	})
}
