package encryption

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// Synthetic RAR archives. No free tool writes RAR, so these are built byte
// by byte from the format documents: RAR 4 from technote.txt ("RAR version
// 4.x - technical information"), RAR 5 from "RAR 5.0 archive format"
// (rarlab.com/technote.htm). Header CRCs, sizes and flags are real; the
// encryption is real too (AES-128 with the RAR 2.9 SHA-1 key derivation,
// AES-256 with PBKDF2-HMAC-SHA256 and a proper password check value), so
// the password checker tests are genuine. They were cross-checked once by
// listing and extracting them with github.com/nwaples/rardecode/v2 v2.4.x
// (right password: every entry and CRC verified; wrong password: refused).
// Only stored (uncompressed) entries are written: RAR compression is not
// needed to test detection. Password: rarPW.

const rarPW = "secret123"

var (
	rarHello  = []byte("hello, world\n")
	rarSecret = []byte(strings.Repeat("line: quarterly figures, confidential\n", 20))
)

// rarRand gives reproducible salts and IVs.
func rarRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	rng.Read(b)
	return b
}

func cbcEncrypt(key, iv, data []byte) []byte {
	padded := make([]byte, (len(data)+aes.BlockSize-1)/aes.BlockSize*aes.BlockSize)
	copy(padded, data)
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(padded, padded)
	return padded
}

// ---- RAR 4 ----

// rar4Header returns a block header with its CRC-16 (the low half of the
// CRC-32 of everything after the CRC field).
func rar4Header(typ byte, flags uint16, body []byte) []byte {
	h := make([]byte, 7, 7+len(body))
	h[2] = typ
	binary.LittleEndian.PutUint16(h[3:], flags)
	binary.LittleEndian.PutUint16(h[5:], uint16(7+len(body)))
	h = append(h, body...)
	binary.LittleEndian.PutUint16(h[0:], uint16(crc32.ChecksumIEEE(h[2:])))
	return h
}

type rar4Spec struct {
	name      string
	data      []byte
	encrypted bool
	method    byte // 0x30 store (default), 0x33 normal: the data is then random
	unicode   bool // write the name in RAR's Unicode encoding
	dir       bool
	unpVer    byte   // default 29
	payload   []byte // replaces the (encrypted) data as stored
}

// rar4FileBlock returns a file header and its data. Encrypted data is
// AES-128-CBC with the key and IV derived from rarPW and a random salt.
func rar4FileBlock(rng *rand.Rand, f rar4Spec) (hdr, data []byte) {
	flags := uint16(rar4LongBlock)
	method := f.method
	if method == 0 {
		method = 0x30
	}
	unpVer := f.unpVer
	if unpVer == 0 {
		unpVer = 29
	}
	data = f.data
	var salt []byte
	if f.encrypted {
		flags |= rar4FileEncrypted | rar4FileSalt
		salt = randBytes(rng, rar4SaltLen)
		key, iv := rar4Keys(utf16LE(rarPW), salt)
		data = cbcEncrypt(key, iv, f.data)
	}
	if f.payload != nil {
		data = f.payload
	}
	name := []byte(f.name)
	if f.unicode {
		flags |= rar4FileUnicode
		name = rar4EncodeName(f.name)
	}
	attr := uint32(0x20)
	if f.dir {
		flags |= rar4FileDirMask
		attr = 0x10
	}
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w(uint32(len(data)))
	w(uint32(len(f.data)))
	w(byte(2)) // Win32
	w(crc32.ChecksumIEEE(f.data))
	w(uint32(0x58210000)) // DOS time
	w(unpVer)
	w(method)
	w(uint16(len(name)))
	w(attr)
	b.Write(name)
	b.Write(salt)
	return rar4Header(rar4File, flags, b.Bytes()), data
}

// rar4EncodeName writes an OEM name ("?" for non-ASCII), a NUL, and the
// UTF-16 name with every character as a full 16-bit value (flag 2).
func rar4EncodeName(name string) []byte {
	u := utf16.Encode([]rune(name))
	var oem []byte
	for _, c := range u {
		if c < 0x80 {
			oem = append(oem, byte(c))
		} else {
			oem = append(oem, '?')
		}
	}
	out := append(oem, 0, 0) // NUL, then the high byte (unused with flag 2)
	for i := 0; i < len(u); i += 4 {
		var flags byte
		var chars []byte
		for j := 0; j < 4 && i+j < len(u); j++ {
			flags |= 2 << (6 - 2*j)
			chars = append(chars, byte(u[i+j]), byte(u[i+j]>>8))
		}
		out = append(out, flags)
		out = append(out, chars...)
	}
	return out
}

func rar4MainBlock(flags uint16) []byte { return rar4Header(rar4Main, flags, make([]byte, 6)) }

func rar4EndBlock() []byte { return rar4Header(rar4End, 0x4000, nil) }

// buildRAR4 writes a RAR4 archive; with hp, every header after the archive
// header is encrypted (MHD_PASSWORD): an 8-byte salt, then the header in
// AES-128-CBC, padded to 16 bytes.
func buildRAR4(seed int64, hp bool, files ...rar4Spec) []byte {
	rng := rarRand(seed)
	var out bytes.Buffer
	out.Write(magicRAR4)
	var mainFlags uint16
	if hp {
		mainFlags = rar4MainPassword
	}
	out.Write(rar4MainBlock(mainFlags))
	put := func(h []byte) {
		if !hp {
			out.Write(h)
			return
		}
		salt := randBytes(rng, rar4SaltLen)
		key, iv := rar4Keys(utf16LE(rarPW), salt)
		out.Write(salt)
		out.Write(cbcEncrypt(key, iv, h))
	}
	for _, f := range files {
		h, data := rar4FileBlock(rng, f)
		put(h)
		out.Write(data)
	}
	put(rar4EndBlock())
	return out.Bytes()
}

// ---- RAR 5 ----

func vint(v uint64) []byte {
	var b []byte
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// rar5Header returns CRC32, size and header (type, flags, extra and data
// sizes, fields, extra area).
func rar5Header(typ, flags uint64, fields, extra []byte, dataLen int) []byte {
	if len(extra) > 0 {
		flags |= rar5HasExtra
	}
	if dataLen > 0 {
		flags |= rar5HasData
	}
	body := append(vint(typ), vint(flags)...)
	if len(extra) > 0 {
		body = append(body, vint(uint64(len(extra)))...)
	}
	if dataLen > 0 {
		body = append(body, vint(uint64(dataLen))...)
	}
	body = append(body, fields...)
	body = append(body, extra...)
	h := append(vint(uint64(len(body))), body...)
	return append(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(h)), h...)
}

const rar5TestKDF = 15 // what rar writes

// rar5Check returns the 12-byte stored check value for rarPW.
func rar5StoredCheck(salt []byte, kdf int) []byte {
	_, check := rar5Keys([]byte(rarPW), salt, kdf)
	sum := sha256.Sum256(check)
	return append(check, sum[:4]...)
}

type rar5Spec struct {
	name      string
	data      []byte
	encrypted bool
	noCheck   bool // encryption record without a check value
	dir       bool
}

// rar5FileBlock returns a file header and its data; encrypted data is
// AES-256-CBC with the record's salt and IV.
func rar5FileBlock(rng *rand.Rand, f rar5Spec) (hdr, data []byte) {
	data = f.data
	var extra []byte
	if f.encrypted {
		salt, iv := randBytes(rng, rar5SaltLen), randBytes(rng, aes.BlockSize)
		rec := append(vint(rar5RecEncrypted), vint(0)...) // type, version 0 (AES-256)
		if f.noCheck {
			rec = append(rec, vint(0)...)
		} else {
			rec = append(rec, vint(rar5CheckPresent)...)
		}
		rec = append(rec, rar5TestKDF)
		rec = append(rec, salt...)
		rec = append(rec, iv...)
		if !f.noCheck {
			rec = append(rec, rar5StoredCheck(salt, rar5TestKDF)...)
		}
		extra = append(vint(uint64(len(rec))), rec...)
		key, _ := rar5Keys([]byte(rarPW), salt, rar5TestKDF)
		data = cbcEncrypt(key, iv, f.data)
	}
	fileFlags := uint64(rar5FileCRC)
	if f.dir {
		fileFlags = rar5FileDir
	}
	fields := vint(fileFlags)
	fields = append(fields, vint(uint64(len(f.data)))...)
	fields = append(fields, vint(0x20)...) // attributes
	if !f.dir {
		fields = binary.LittleEndian.AppendUint32(fields, crc32.ChecksumIEEE(f.data))
	}
	fields = append(fields, vint(0)...) // compression: version 0, store
	fields = append(fields, vint(0)...) // Windows
	fields = append(fields, vint(uint64(len(f.name)))...)
	fields = append(fields, f.name...)
	return rar5Header(rar5File, 0, fields, extra, len(data)), data
}

// buildRAR5 writes a RAR5 archive; with hp, an archive encryption header
// comes first and every later header is a 16-byte IV and the header in
// AES-256-CBC, padded to 16 bytes (rar -hp). noCheck leaves the password
// check value out of the encryption header.
func buildRAR5(seed int64, hp, noCheck bool, files ...rar5Spec) []byte {
	rng := rarRand(seed)
	var out bytes.Buffer
	out.Write(magicRAR5)
	var key []byte
	if hp {
		salt := randBytes(rng, rar5SaltLen)
		fields := append(vint(0), vint(rar5CheckPresent)...)
		if noCheck {
			fields = append(vint(0), vint(0)...)
		}
		fields = append(fields, rar5TestKDF)
		fields = append(fields, salt...)
		if !noCheck {
			fields = append(fields, rar5StoredCheck(salt, rar5TestKDF)...)
		}
		out.Write(rar5Header(rar5Encryption, 0, fields, nil, 0))
		key, _ = rar5Keys([]byte(rarPW), salt, rar5TestKDF)
	}
	put := func(h []byte) {
		if !hp {
			out.Write(h)
			return
		}
		iv := randBytes(rng, aes.BlockSize)
		out.Write(iv)
		out.Write(cbcEncrypt(key, iv, h))
	}
	put(rar5Header(rar5Main, 0, vint(0), nil, 0))
	for _, f := range files {
		h, data := rar5FileBlock(rng, f)
		put(h)
		out.Write(data)
	}
	put(rar5Header(rar5End, 0, vint(0), nil, 0))
	return out.Bytes()
}

// ---- fixtures ----

// rarFixtures are the synthetic archives by name.
func rarFixtures() map[string][]byte {
	zipInside := buildZip(same(stored("a.txt", []byte("AAAA")), []byte("AAAA")))
	return map[string][]byte{
		"rar4-plain": buildRAR4(1, false,
			rar4Spec{name: "hello.txt", data: rarHello},
			rar4Spec{name: "secret.txt", data: rarSecret}),
		// 2 of 4 entries encrypted, one plain name in RAR's Unicode encoding.
		"rar4-partial": buildRAR4(2, false,
			rar4Spec{name: "a.txt", data: rarHello},
			rar4Spec{name: "b.txt", data: rarSecret, encrypted: true},
			rar4Spec{name: "日本語の資料.txt", data: rarHello, unicode: true},
			rar4Spec{name: "d.txt", data: rarSecret, encrypted: true}),
		"rar4-encrypted": buildRAR4(3, false,
			rar4Spec{name: "docs", dir: true},
			rar4Spec{name: "docs\\hello.txt", data: rarHello, encrypted: true},
			rar4Spec{name: "docs\\secret.txt", data: rarSecret, encrypted: true}),
		// Encrypted but compressed (random payload): cannot be verified.
		"rar4-encrypted-compressed": buildRAR4(4, false,
			rar4Spec{name: "b.txt", data: rarSecret, encrypted: true, method: 0x33, payload: randBytes(rarRand(40), 64)}),
		"rar4-hp": buildRAR4(5, true,
			rar4Spec{name: "hello.txt", data: rarHello, encrypted: true},
			rar4Spec{name: "secret.txt", data: rarSecret, encrypted: true}),
		"rar4-nested": buildRAR4(6, false,
			rar4Spec{name: "inner.zip", data: zipInside}),
		"rar5-plain": buildRAR5(7, false, false,
			rar5Spec{name: "hello.txt", data: rarHello},
			rar5Spec{name: "secret.txt", data: rarSecret}),
		"rar5-encrypted": buildRAR5(8, false, false,
			rar5Spec{name: "docs", dir: true},
			rar5Spec{name: "docs/hello.txt", data: rarHello, encrypted: true},
			rar5Spec{name: "docs/secret.txt", data: rarSecret, encrypted: true}),
		"rar5-partial": buildRAR5(9, false, false,
			rar5Spec{name: "hello.txt", data: rarHello},
			rar5Spec{name: "secret.txt", data: rarSecret, encrypted: true}),
		"rar5-encrypted-nocheck": buildRAR5(10, false, false,
			rar5Spec{name: "secret.txt", data: rarSecret, encrypted: true, noCheck: true}),
		"rar5-hp": buildRAR5(11, true, false,
			rar5Spec{name: "hello.txt", data: rarHello, encrypted: true},
			rar5Spec{name: "secret.txt", data: rarSecret, encrypted: true}),
		"rar5-hp-nocheck": buildRAR5(12, true, true,
			rar5Spec{name: "secret.txt", data: rarSecret, encrypted: true}),
		"rar5-nested": buildRAR5(13, false, false,
			rar5Spec{name: "日本語/inner.zip", data: zipInside}),
	}
}

// rarFixtureCache builds the fixtures once, when a test first needs them
// (key derivations make it take a moment).
var rarFixtureCache = sync.OnceValue(rarFixtures)

func rarFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, ok := rarFixtureCache()[name]
	if !ok {
		t.Fatalf("no RAR fixture %q", name)
	}
	return b
}

func TestInspectRAR(t *testing.T) {
	tests := []struct {
		name string
		want archiveWant
	}{
		{"rar4-plain", archiveWant{false, "", []string{"hello.txt", "secret.txt"}, 2, "", ""}},
		{"rar4-partial", archiveWant{false, "AES-128 (RAR4)", []string{"a.txt", "日本語の資料.txt"}, 4, "file names visible", ""}},
		{"rar4-encrypted", archiveWant{true, "AES-128 (RAR4)", nil, 3, "file names visible", ""}},
		{"rar4-encrypted-compressed", archiveWant{true, "AES-128 (RAR4)", nil, 1, "", ""}},
		{"rar4-hp", archiveWant{true, "AES-128 (RAR4, headers encrypted)", nil, 0, "file names are hidden", ""}},
		{"rar4-nested", archiveWant{false, "", []string{"inner.zip"}, 1, "", "zip"}},
		{"rar5-plain", archiveWant{false, "", []string{"hello.txt", "secret.txt"}, 2, "", ""}},
		{"rar5-encrypted", archiveWant{true, "AES-256 (RAR5)", nil, 3, "file names visible", ""}},
		{"rar5-partial", archiveWant{false, "AES-256 (RAR5)", []string{"hello.txt"}, 2, "", ""}},
		{"rar5-encrypted-nocheck", archiveWant{true, "AES-256 (RAR5)", nil, 1, "", ""}},
		{"rar5-hp", archiveWant{true, "AES-256 (RAR5, headers encrypted)", nil, 0, "file names are hidden", ""}},
		{"rar5-hp-nocheck", archiveWant{true, "AES-256 (RAR5, headers encrypted)", nil, 0, "", ""}},
		{"rar5-nested", archiveWant{false, "", []string{"日本語/inner.zip"}, 1, "", "zip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkArchive(t, inspectBytes(rarFixture(t, tt.name), Limits{}), FormatRAR, tt.want)
		})
	}
}

func hasNote(res Result, sub string) bool {
	for _, n := range res.Notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

func TestInspectRARDetails(t *testing.T) {
	res := inspectBytes(rarFixture(t, "rar4-encrypted"), Limits{})
	want := []Entry{
		{Name: "docs", Compression: "store", Dir: true},
		{Name: "docs\\hello.txt", Encrypted: true, Method: "AES-128 (RAR4)", Compression: "store", Size: 13, CompressedSize: 16},
		{Name: "docs\\secret.txt", Encrypted: true, Method: "AES-128 (RAR4)", Compression: "store", Size: 760, CompressedSize: 768},
	}
	if !reflect.DeepEqual(res.Entries, want) {
		t.Errorf("Entries = %+v\nwant %+v", res.Entries, want)
	}
	// The nested ZIP is a plain container of a plain file.
	res = inspectBytes(rarFixture(t, "rar5-nested"), Limits{})
	if n := res.Nested[0]; n.Protected || !reflect.DeepEqual(n.PlainEntries, []string{"a.txt"}) || res.PlainContainerOfProtected() {
		t.Errorf("nested = %+v", n)
	}
	// Compressed plain entries are named in a note.
	b := buildRAR4(20, false, rar4Spec{name: "packed.txt", data: rarSecret, method: 0x33, payload: randBytes(rarRand(41), 100)})
	if res := inspectBytes(b, Limits{}); !hasNote(res, "not decompressed") || !hasNote(res, "packed.txt") {
		t.Errorf("notes = %q", res.Notes)
	}
}

// Hostile and broken archives: each must be unscannable with a clear
// reason, cheaply.
func TestInspectRARHostile(t *testing.T) {
	plain4 := rarFixture(t, "rar4-plain")
	plain5 := rarFixture(t, "rar5-plain")
	enc5 := rarFixture(t, "rar5-encrypted")
	flip := func(b []byte, off int) []byte {
		c := bytes.Clone(b)
		c[off] ^= 0x55
		return c
	}
	// A RAR5 file header declaring an enormous data size.
	hugeData := append(bytes.Clone(magicRAR5), rar5Header(rar5Main, 0, vint(0), nil, 0)...)
	hugeData = append(hugeData, rar5Header(rar5File, rar5HasData, append(vint(0), vint(1)...), nil, 1<<40)...)
	// A vint that never ends.
	badVint := append(bytes.Clone(magicRAR5), 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
	// A RAR4 block with HEAD_SIZE < 7.
	shortHead := append(append(bytes.Clone(magicRAR4), rar4MainBlock(0)...), 0, 0, rar4File, 0, 0x80, 3, 0)
	// Unknown block types.
	unknown4 := append(append(bytes.Clone(magicRAR4), rar4MainBlock(0)...), rar4Header(0x99, 0, nil)...)
	unknown5 := append(append(bytes.Clone(magicRAR5), rar5Header(rar5Main, 0, vint(0), nil, 0)...), rar5Header(9, 0, nil, nil, 0)...)
	// A second archive header; a file header before the archive header.
	twoMains := append(append(append(bytes.Clone(magicRAR4), rar4MainBlock(0)...), rar4MainBlock(0)...), rar4EndBlock()...)
	noMain5 := append(bytes.Clone(magicRAR5), plain5[len(magicRAR5)+len(rar5Header(rar5Main, 0, vint(0), nil, 0)):]...)
	// A RAR5 encryption header with an unknown version.
	encV9 := append(bytes.Clone(magicRAR5), rar5Header(rar5Encryption, 0, append(append(vint(9), vint(0)...), append([]byte{15}, make([]byte, 16)...)...), nil, 0)...)
	encV9 = append(encV9, make([]byte, 64)...)
	// 12 entries and a limit of 10.
	var many []rar5Spec
	for i := 0; i < 12; i++ {
		many = append(many, rar5Spec{name: fmt.Sprint(i), data: []byte("x")})
	}
	tests := []struct {
		name string
		b    []byte
		lim  Limits
		want string
	}{
		{"rar4 truncated in an entry", plain4[:len(plain4)-30], Limits{}, `entry "secret.txt" extends past the end`},
		{"rar4 truncated in a header", plain4[:len(magicRAR4)+13+10], Limits{}, "truncated"},
		{"rar4 appended zip", append(bytes.Clone(plain4), plainZip(t)...), Limits{}, "after its end (appended data)"},
		{"rar4 header CRC", flip(plain4, len(magicRAR4)+13+20), Limits{}, "CRC mismatch"},
		{"rar4 short header", shortHead, Limits{}, "is corrupt (size 3)"},
		{"rar4 unknown block", unknown4, Limits{}, "unknown type 0x99"},
		{"rar4 two archive headers", twoMains, Limits{}, "second archive header"},
		{"rar5 truncated", plain5[:len(plain5)-20], Limits{}, "truncated"},
		{"rar5 no end block", plain5[:len(plain5)-len(rar5Header(rar5End, 0, vint(0), nil, 0))], Limits{}, "no end-of-archive block"},
		{"rar5 appended", append(bytes.Clone(enc5), "PK\x03\x04junk"...), Limits{}, "after its end"},
		{"rar5 header CRC", flip(plain5, 24), Limits{}, "CRC mismatch"},
		{"rar5 huge data", hugeData, Limits{}, "extends past the end"},
		{"rar5 endless vint", badVint, Limits{}, "corrupt"},
		{"rar5 unknown block", unknown5, Limits{}, "unknown type 9"},
		{"rar5 no archive header", noMain5, Limits{}, "archive header is missing"},
		{"rar5 encryption version", encV9, Limits{}, "encryption version 9"},
		{"rar5 too many entries", buildRAR5(30, false, false, many...), Limits{MaxEntries: 10}, "more than 10 entries"},
		{"rar5 header limit", plain5, Limits{MaxBytes: 20}, "limit"},
		{"rar signature only", magicRAR5, Limits{}, "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res := inspectBytes(tt.b, tt.lim)
			if !strings.Contains(res.Unscannable, tt.want) || res.Protected {
				t.Errorf("Unscannable = %q (protected %v), want %q", res.Unscannable, res.Protected, tt.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func plainZip(t testing.TB) []byte { return fixture(t, "plain.zip") }

func TestRAR4NameDecoding(t *testing.T) {
	for _, name := range []string{"plain.txt", "日本語の資料.txt", "a😀b"} {
		if got := decodeRAR4Name(rar4EncodeName(name)); got != name {
			t.Errorf("%q: decoded %q", name, got)
		}
	}
	// unrar's other encodings: low byte (0), low byte with the high byte
	// (1), and runs copied from the OEM name (3), with a correction.
	enc := []byte("abcdef\x00\x30") // OEM "abcdef", high byte 0x30
	// 'x'; 0x42 with the high byte; 3 characters of the OEM name from
	// position 2, plus 1, with the high byte; 'z'.
	enc = append(enc, 0b00_01_11_00, 'x', 0x42, 0x80|1, 1, 'z')
	if got, want := decodeRAR4Name(enc), "x\u3042\u3064\u3065\u3066z"; got != want {
		t.Errorf("decoded %q, want %q", got, want)
	}
	if got := decodeRAR4Name([]byte("utf8 名前")); got != "utf8 名前" {
		t.Errorf("no NUL: %q", got)
	}
	decodeRAR4Name([]byte("a\x00\x00\xff")) // truncated: must not panic
}

func TestRARPasswordChecker(t *testing.T) {
	tests := []struct {
		name, password string
		ok             bool
	}{
		{"rar4-encrypted", rarPW, true}, // stored entries: CRC-32 of the decrypted data
		{"rar4-encrypted", "secret124", false},
		{"rar4-encrypted", "", false},
		{"rar4-partial", rarPW, true},
		{"rar4-partial", "Secret123", false},
		{"rar4-hp", rarPW, true}, // encrypted headers: CRC-16 of two headers
		{"rar4-hp", "secret12", false},
		{"rar5-encrypted", rarPW, true}, // check value
		{"rar5-encrypted", "パスワード", false},
		{"rar5-partial", rarPW, true},
		{"rar5-hp", rarPW, true},
		{"rar5-hp", "secret1234", false},
		{"rar5-hp-nocheck", rarPW, true}, // no check value: CRC-32 of the first header
		{"rar5-hp-nocheck", "wrong", false},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.password, func(t *testing.T) {
			b := rarFixture(t, tt.name)
			c, err := NewRARPasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			ok, err := c.Check(tt.password)
			if ok != tt.ok || err != nil {
				t.Errorf("Check = %v, %v; want %v", ok, err, tt.ok)
			}
		})
	}
}

func TestRARPasswordCheckerErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    []byte
		want error
	}{
		{"rar4-plain", nil, ErrNotEncrypted},
		{"rar5-plain", nil, ErrNotEncrypted},
		{"rar4-nested", nil, ErrNotEncrypted},
		{"rar4-encrypted-compressed", nil, ErrCannotVerify},
		{"rar5-encrypted-nocheck", nil, ErrCannotVerify},
		{"truncated", rarFixture(t, "rar5-encrypted")[:100], ErrUnscannable},
		{"not a rar", fixture(t, "aes256.zip"), ErrUnscannable},
	} {
		b := tt.b
		if b == nil {
			b = rarFixture(t, tt.name)
		}
		if _, err := NewRARPasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{}); !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
	}
	// RAR 2.9 hashes passwords with a SHA-1 that alters its input past 28
	// characters; such candidates are refused, not answered.
	b := rarFixture(t, "rar4-hp")
	c, err := NewRARPasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Check(strings.Repeat("x", 29)); ok || !errors.Is(err, ErrCannotVerify) {
		t.Errorf("long password: %v %v", ok, err)
	}
	// A hostile KDF count is refused before any work.
	hostile := buildRAR5(31, true, false, rar5Spec{name: "a", data: rarHello, encrypted: true})
	at := len(magicRAR5) + 4 + 1 + 2 + 2 // CRC, size, type, flags, version, flags: the KDF count byte
	hostile[at] = 31
	h := hostile[len(magicRAR5)+4:]
	binary.LittleEndian.PutUint32(hostile[len(magicRAR5):], crc32.ChecksumIEEE(h[:1+int(h[0])]))
	if _, err := NewRARPasswordChecker(bytes.NewReader(hostile), int64(len(hostile)), Limits{}); !errors.Is(err, ErrCannotVerify) {
		t.Errorf("KDF 2^31: %v", err)
	}
}

// Reference values. RAR5: the password check value of a real rar -hp
// archive (libarchive's test_read_format_rar5_encrypted_filenames.rar,
// password "password": salt and check value copied from its archive
// encryption header). RAR4: key and IV from nwaples/rardecode's
// calcAes30Params for the same inputs.
func TestRARKeyDerivationVectors(t *testing.T) {
	salt5 := []byte{0x68, 0x0b, 0xb0, 0xd0, 0xa7, 0xc8, 0xbd, 0xa1, 0xde, 0x74, 0xa7, 0x71, 0x32, 0x34, 0x9b, 0x19}
	check5 := []byte{0xb7, 0x0a, 0x82, 0x18, 0x3b, 0x27, 0xb9, 0x00, 0xe3, 0xca, 0x69, 0x25}
	if _, check := rar5Keys([]byte("password"), salt5, 15); !bytes.Equal(check, check5[:8]) {
		t.Errorf("RAR5 check value %x, want %x", check, check5[:8])
	}
	if c, ok := rar5CheckValue(check5); !ok || !bytes.Equal(c, check5[:8]) {
		t.Error("RAR5 stored check value checksum")
	}
	key, iv := rar4Keys(utf16LE("password"), []byte{1, 2, 3, 4, 5, 6, 7, 8})
	if got := fmt.Sprintf("%x %x", key, iv); got != rar4Vector {
		t.Errorf("RAR4 key, iv = %s, want %s", got, rar4Vector)
	}
}

const rar4Vector = "413960312dec09cdfb250251fe1be37c e32ca60bca0ab1c28908804ee237a3a8"

func BenchmarkRARPassword(b *testing.B) {
	for _, name := range []string{"rar4-hp", "rar4-encrypted", "rar5-encrypted", "rar5-hp-nocheck"} {
		b.Run(name, func(b *testing.B) {
			data := rarFixture(b, name)
			c, err := NewRARPasswordChecker(bytes.NewReader(data), int64(len(data)), Limits{})
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				if ok, _ := c.Check(fmt.Sprintf("candidate%d", i)); ok {
					b.Fatal("false positive")
				}
				i++
			}
		})
	}
}

// FuzzRAR feeds mutated RAR archives to Inspect and the password checker.
// Run: go test -fuzz FuzzRAR -fuzztime 30s ./policy/encryption/
func FuzzRAR(f *testing.F) {
	for _, b := range rarFixtureCache() {
		f.Add(b)
	}
	lim := Limits{MaxEntries: 64, MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		res := Inspect(bytes.NewReader(b), int64(len(b)), lim)
		if strings.HasPrefix(res.Unscannable, "internal error") {
			t.Fatalf("Inspect recovered from a panic: %s", res.Unscannable)
		}
		if res.Protected && res.Unscannable != "" {
			t.Fatalf("protected and unscannable: %+v", res)
		}
		c, err := NewRARPasswordChecker(bytes.NewReader(b), int64(len(b)), lim)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		// Key derivation is what is expensive and it is not what is fuzzed:
		// verify the targets against fixed keys instead.
		key16, key32 := bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 32)
		for _, tg := range c.targets {
			switch tg.kind {
			case tgt5Header:
				c.rar5HeaderOpens(tg.off, key32)
			case tgt4Header:
				c.rar4HeadersOpen(tg.off, func([]byte) ([]byte, []byte, error) { return key16, key16, nil })
			case tgt4Stored:
				c.rar4StoredOpens(&tg, key16, key16)
			}
		}
	})
}

// The key derivations alone, per candidate.
func BenchmarkRARKeys(b *testing.B) {
	salt8, salt16 := make([]byte, 8), make([]byte, 16)
	b.Run("rar4-sha1-2^18", func(b *testing.B) {
		for b.Loop() {
			rar4Keys(utf16LE("candidate"), salt8)
		}
	})
	b.Run("rar5-pbkdf2-2^15+32", func(b *testing.B) {
		for b.Loop() {
			rar5Keys([]byte("candidate"), salt16, 15)
		}
	})
}

// archiveWant is what Inspect should say of an archive fixture.
type archiveWant struct {
	protected bool
	method    string
	plain     []string // PlainEntries
	entries   int
	note      string // a note that must be present
	nested    Format // the format of Nested[0], whose name is plain[0]
}

// checkArchive compares Inspect's result for an archive with want.
func checkArchive(t *testing.T, res Result, format Format, want archiveWant) {
	t.Helper()
	if res.Unscannable != "" {
		t.Fatalf("Unscannable = %q", res.Unscannable)
	}
	if res.Format != format || res.Protected != want.protected || res.Method != want.method {
		t.Errorf("got %q protected %v method %q, want %s %v %q", res.Format, res.Protected, res.Method, format, want.protected, want.method)
	}
	if !reflect.DeepEqual(res.PlainEntries, want.plain) {
		t.Errorf("PlainEntries = %q, want %q", res.PlainEntries, want.plain)
	}
	if len(res.Entries) != want.entries {
		t.Errorf("%d entries, want %d: %+v", len(res.Entries), want.entries, res.Entries)
	}
	if want.note != "" && !hasNote(res, want.note) {
		t.Errorf("no note %q in %q", want.note, res.Notes)
	}
	if want.nested != "" {
		if len(res.Nested) != 1 || res.Nested[0].Format != want.nested || res.Nested[0].Name != want.plain[0] {
			t.Errorf("Nested = %+v", res.Nested)
		}
	} else if len(res.Nested) != 0 {
		t.Errorf("Nested = %+v", res.Nested)
	}
}

// TestRARFlaggedEncryptionIsChecked: the encryption flag of a RAR entry is
// held against its data (see rarClaim).
func TestRARFlaggedEncryptionIsChecked(t *testing.T) {
	text := rarSecret[:752] // whole AES blocks
	tests := []struct {
		name      string
		spec      rar4Spec
		plain     bool
		unscannab string
	}{
		{"plaintext under the flag", rar4Spec{name: "meibo.csv", data: text, encrypted: true, payload: text}, true, ""},
		{"text under the flag with a wrong CRC", rar4Spec{name: "meibo.csv", data: bytes.Repeat([]byte("x"), len(text)), encrypted: true, payload: text}, true, ""},
		{"a ZIP under the flag", rar4Spec{name: "a.zip", data: plainZip(t)[:len(plainZip(t))/16*16], encrypted: true, payload: plainZip(t)[:len(plainZip(t))/16*16]}, true, ""},
		{"not whole AES blocks", rar4Spec{name: "meibo.csv", data: rarSecret, encrypted: true, payload: rarSecret}, false, "not whole AES blocks"},
		{"real encryption", rar4Spec{name: "meibo.csv", data: rarSecret, encrypted: true}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := inspectBytes(buildRAR4(7, false, tt.spec), Limits{})
			switch {
			case tt.plain:
				if res.Protected || res.Unscannable != "" || len(res.PlainEntries) != 1 || !hasNote(res, "its data is plaintext") {
					t.Errorf("protected %v, unscannable %q, plain %q, notes %q; want the entry plain", res.Protected, res.Unscannable, res.PlainEntries, res.Notes)
				}
			case tt.unscannab != "":
				if res.Protected || !strings.Contains(res.Unscannable, tt.unscannab) {
					t.Errorf("protected %v, unscannable %q; want %q", res.Protected, res.Unscannable, tt.unscannab)
				}
			default:
				if !res.Protected {
					t.Errorf("real AES entry: protected %v, unscannable %q", res.Protected, res.Unscannable)
				}
			}
		})
	}
}
