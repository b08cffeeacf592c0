package encryption

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"
)

// meibo is the plaintext a sender wants to get out unprotected.
var meibo = []byte(strings.Repeat("氏名,電話,住所\r\n山田太郎,090-1234-5678,東京都千代田区1-1\r\n", 40))

// aesExtra is a WinZip AES 0x9901 extra field (AE-ver, strength, method).
func aesExtra(aeVer uint16, strength byte, method uint16) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint16(extraAES))
	binary.Write(&b, binary.LittleEndian, uint16(7))
	binary.Write(&b, binary.LittleEndian, aeVer)
	b.WriteString("AE")
	b.WriteByte(strength)
	binary.Write(&b, binary.LittleEndian, method)
	return b.Bytes()
}

// TestEncryptionClaimsAreChecked: an entry is encrypted only if its data
// is. Flags flipped on plain entries (in both headers, so that the
// headers agree) must never make the archive "protected".
func TestEncryptionClaimsAreChecked(t *testing.T) {
	crc := crc32.ChecksumIEEE(meibo)
	n := uint32(len(meibo))
	deflated := deflate(t, meibo)
	junk := bytes.Repeat([]byte{0xA5}, 12)
	salt := bytes.Repeat([]byte{0x3C}, 16+2) // AES-256 salt + verifier
	mac := bytes.Repeat([]byte{0x77}, 10)
	wrap := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name      string
		zip       []byte
		plain     bool   // the entry must be listed as plain
		unscannab string // or the archive is unscannable with this
	}{
		{"stored, ZipCrypto flag flipped", buildZip(same(rawHeader{name: "meibo.csv", flags: flagEncrypted, crc: crc, csize: n, usize: n}, meibo)), true, ""},
		{"deflated, ZipCrypto flag flipped", buildZip(same(rawHeader{name: "meibo.csv", flags: flagEncrypted, method: methodDeflate, crc: crc, csize: uint32(len(deflated)), usize: n}, deflated)), true, ""},
		{"stored plaintext behind 12 junk bytes", buildZip(same(rawHeader{name: "meibo.csv", flags: flagEncrypted, crc: crc, csize: n + 12, usize: n}, wrap(junk, meibo))), true, ""},
		{"deflated plaintext behind 12 junk bytes", buildZip(same(rawHeader{name: "meibo.csv", flags: flagEncrypted, method: methodDeflate, crc: crc, csize: uint32(len(deflated) + 12), usize: n}, wrap(junk, deflated))), true, ""},
		{"stored plaintext, ZipCrypto sizes and a wrong CRC", buildZip(same(rawHeader{name: "meibo.csv", flags: flagEncrypted, crc: 0xDEADBEEF, csize: n + 12, usize: n}, wrap(junk, meibo))), true, ""},
		{"AE-1 stored plaintext in a fake AES frame", buildZip(same(rawHeader{name: "meibo.csv", flags: flagEncrypted, method: methodAES, crc: crc, csize: n + 28, usize: n, extra: aesExtra(1, 3, methodStore)}, wrap(salt, meibo, mac))), true, ""},
		{"AE-2 stored plaintext in a fake AES frame (no CRC)", buildZip(same(rawHeader{name: "meibo.csv", flags: flagEncrypted, method: methodAES, csize: n + 28, usize: n, extra: aesExtra(2, 3, methodStore)}, wrap(salt, meibo, mac))), true, ""},
		{"AE-2 deflated plaintext in a fake AES frame", buildZip(same(rawHeader{name: "meibo.csv", flags: flagEncrypted, method: methodAES, csize: uint32(len(deflated) + 28), usize: n, extra: aesExtra(2, 3, methodDeflate)}, wrap(salt, deflated, mac))), true, ""},
		{"AES claimed with data too short for its frame", buildZip(same(rawHeader{name: "meibo.csv", flags: flagEncrypted, method: methodAES, csize: 20, usize: 4, extra: aesExtra(2, 3, methodStore)}, bytes.Repeat([]byte{1}, 20))), false, "shorter than the encryption adds"},
		{"ZipCrypto stored with sizes that do not fit", buildZip(same(rawHeader{name: "meibo.csv", flags: flagEncrypted, crc: 0x1234, csize: n + 3, usize: n}, wrap(meibo, []byte("abc")))), false, "sizes do not fit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := inspectBytes(c.zip, Limits{})
			if res.Protected {
				t.Fatalf("judged protected (%s); the entry's data is plaintext", res.Method)
			}
			if c.plain {
				if res.Unscannable != "" || len(res.PlainEntries) != 1 || res.PlainEntries[0] != "meibo.csv" {
					t.Errorf("plain entries %q, unscannable %q; want meibo.csv listed as not encrypted", res.PlainEntries, res.Unscannable)
				}
				if !strings.Contains(strings.Join(res.Notes, "\n"), "its data is plaintext") {
					t.Errorf("notes %q do not say the flag lied", res.Notes)
				}
				return
			}
			if !strings.Contains(res.Unscannable, c.unscannab) {
				t.Errorf("unscannable %q, want %q", res.Unscannable, c.unscannab)
			}
		})
	}
}

// TestRealEncryptionStaysProtected: archives from real tools keep their
// verdict, also with a declared ratio far over the bomb limit.
func TestRealEncryptionStaysProtected(t *testing.T) {
	for _, name := range []string{"zipcrypto.zip", "aes128.zip", "aes192.zip", "aes256.zip", "zipcrypto-7z.zip",
		"jp-password-cp932.zip", "bigratio-zipcrypto.zip", "bigratio-aes256.zip"} {
		res := inspectBytes(fixture(t, name), Limits{})
		if !res.Protected || res.Unscannable != "" {
			t.Errorf("%s: protected %v, unscannable %q; want protected", name, res.Protected, res.Unscannable)
		}
	}
	// A plain entry with the same ratio is still a bomb.
	big := goZip(t, map[string][]byte{"disk.img": make([]byte, 8<<20)}, "disk.img")
	if res := inspectBytes(big, Limits{}); !strings.Contains(res.Unscannable, "ZIP bomb") {
		t.Errorf("plain 8 MiB of zeros: unscannable %q, want a ZIP bomb", res.Unscannable)
	}
}

func TestLooksRandom(t *testing.T) {
	if looksRandom(meibo) {
		t.Error("CSV text looks random")
	}
	rnd := make([]byte, 4096)
	x := uint32(2463534242)
	for i := range rnd { // xorshift: uniform enough for the test
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		rnd[i] = byte(x >> 24)
	}
	if !looksRandom(rnd) {
		t.Error("pseudo-random bytes do not look random")
	}
}
