package encryption

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// 7z fixtures made by 7-Zip (testdata/attachments/make.sh). Password
// "secret123", except 7z-jp-password.7z ("パスワード").
func TestInspect7z(t *testing.T) {
	tests := []struct {
		file string
		want archiveWant
	}{
		{"7z-aes.7z", archiveWant{true, "AES-256", nil, 2, "file names visible", ""}},
		{"7z-aes-mhe.7z", archiveWant{true, "AES-256 (headers encrypted)", nil, 0, "file names are hidden", ""}},
		{"encrypted.7z", archiveWant{true, "AES-256 (headers encrypted)", nil, 0, "file names are hidden", ""}},
		{"7z-plain.7z", archiveWant{false, "", []string{"hello.txt", "secret.txt"}, 2, "", ""}},
		{"7z-mixed.7z", archiveWant{false, "AES-256", []string{"hello.txt"}, 2, "file names visible", ""}},
		{"7z-aes-lzma.7z", archiveWant{true, "AES-256", nil, 2, "", ""}},
		{"7z-aes-copy.7z", archiveWant{true, "AES-256", nil, 2, "", ""}},
		{"7z-aes-bcj.7z", archiveWant{true, "AES-256", nil, 2, "", ""}},
		{"7z-aes-bcj2.7z", archiveWant{true, "AES-256", nil, 1, "", ""}},
		// Directories and an empty file have no data to encrypt.
		{"7z-aes-dirs.7z", archiveWant{true, "AES-256", nil, 4, "1 empty file(s)", ""}},
		{"7z-nested.7z", archiveWant{false, "", []string{"inner-encrypted.zip"}, 1, "", FormatZIP}},
		{"7z-jp-password.7z", archiveWant{true, "AES-256", nil, 1, "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			checkArchive(t, inspectBytes(fixture(t, tt.file), Limits{}), Format7z, tt.want)
		})
	}
}

func TestInspect7zDetails(t *testing.T) {
	res := inspectBytes(fixture(t, "7z-aes-dirs.7z"), Limits{})
	want := []Entry{
		{Name: "docs", Dir: true},
		{Name: "emptydir", Dir: true},
		{Name: "empty.txt"},
		{Name: "docs/report.txt", Encrypted: true, Method: "AES-256", Compression: "LZMA2", Size: 7, CompressedSize: 16},
	}
	if !reflect.DeepEqual(res.Entries, want) {
		t.Errorf("Entries = %+v\nwant %+v", res.Entries, want)
	}
	// Coders as 7-Zip lists them.
	for file, want := range map[string]string{"7z-aes-bcj.7z": "BCJ LZMA2", "7z-aes-bcj2.7z": "BCJ2 LZMA LZMA LZMA", "7z-aes-copy.7z": "Copy"} {
		if got := inspectBytes(fixture(t, file), Limits{}).Entries[0].Compression; got != want {
			t.Errorf("%s: compression %q, want %q", file, got, want)
		}
	}
	// A plain 7z of an encrypted ZIP: the container is plain, its content
	// protected.
	res = inspectBytes(fixture(t, "7z-nested.7z"), Limits{})
	if n := res.Nested[0]; !n.Protected || n.Method != "ZipCrypto" || !res.PlainContainerOfProtected() {
		t.Errorf("nested = %+v", n)
	}
	// With no byte budget left for the content, the plain entries are not
	// read; the archive is still judged.
	res = inspectBytes(fixture(t, "7z-nested.7z"), Limits{MaxBytes: 300})
	if res.Unscannable != "" || len(res.Nested) != 0 || !hasNote(res, "limit") {
		t.Errorf("small budget: %+v", res)
	}
}

// szw writes the 7z header encoding, for hand-made archives with plain
// (uncompressed) headers, as 7-Zip writes with -mhc=off.
type szw struct{ bytes.Buffer }

func (w *szw) num(v uint64) *szw {
	if v < 0x80 {
		w.WriteByte(byte(v))
		return w
	}
	w.WriteByte(0xFF)
	binary.Write(w, binary.LittleEndian, v)
	return w
}

func (w *szw) raw(b ...byte) *szw { w.Write(b); return w }

func (w *szw) u32(v uint32) *szw { binary.Write(w, binary.LittleEndian, v); return w }

func (w *szw) bits(v []bool) *szw {
	var b, mask byte = 0, 0x80
	for _, x := range v {
		if x {
			b |= mask
		}
		if mask >>= 1; mask == 0 {
			w.WriteByte(b)
			b, mask = 0, 0x80
		}
	}
	if mask != 0x80 {
		w.WriteByte(b)
	}
	return w
}

// szHdr is a plain 7z header with one pack stream per folder.
type szHdr struct {
	packPos   uint64
	packSizes []uint64
	folders   [][]byte   // folder records (coders, bind pairs, packed stream indexes)
	unpack    [][]uint64 // unpack sizes per folder, one per out stream
	numSub    []uint64   // nil: one file per folder
	subSizes  []uint64   // written as is after kSize
	subCRCs   []uint32   // all defined, when set
	names     []string
	empty     []bool // kEmptyStream, when set
}

func (h szHdr) bytes() []byte {
	w := &szw{}
	w.raw(szHeader, szMainStreamsInfo)
	if h.folders != nil {
		w.raw(szPackInfo).num(h.packPos).num(uint64(len(h.packSizes))).raw(szSize)
		for _, s := range h.packSizes {
			w.num(s)
		}
		w.raw(szEnd)
		w.raw(szUnpackInfo, szFolderID).num(uint64(len(h.folders))).raw(0)
		for _, f := range h.folders {
			w.raw(f...)
		}
		w.raw(szCodersUnpackSize)
		for _, u := range h.unpack {
			for _, s := range u {
				w.num(s)
			}
		}
		w.raw(szEnd)
		if h.numSub != nil || h.subCRCs != nil {
			w.raw(szSubStreamsInfo)
			if h.numSub != nil {
				w.raw(szNumUnpackStream)
				for _, n := range h.numSub {
					w.num(n)
				}
				w.raw(szSize)
				for _, s := range h.subSizes {
					w.num(s)
				}
			}
			if h.subCRCs != nil {
				w.raw(szCRC, 1)
				for _, c := range h.subCRCs {
					w.u32(c)
				}
			}
			w.raw(szEnd)
		}
	}
	w.raw(szEnd)
	w.raw(szFilesInfo).num(uint64(len(h.names)))
	if h.empty != nil {
		var b szw
		b.bits(h.empty)
		w.raw(szEmptyStream).num(uint64(b.Len())).raw(b.Bytes()...)
	}
	var names szw
	names.raw(0)
	for _, n := range h.names {
		for _, c := range utf16.Encode([]rune(n)) {
			binary.Write(&names, binary.LittleEndian, c)
		}
		names.raw(0, 0)
	}
	w.raw(szName).num(uint64(names.Len())).raw(names.Bytes()...)
	w.raw(szEnd, szEnd)
	return w.Bytes()
}

// szArchiveBytes puts a signature header in front of packed data and a
// header.
func szArchiveBytes(packed, header []byte) []byte {
	out := make([]byte, szSigLen, szSigLen+len(packed)+len(header))
	copy(out, magic7zFull)
	out[7] = 4
	binary.LittleEndian.PutUint64(out[12:], uint64(len(packed)))
	binary.LittleEndian.PutUint64(out[20:], uint64(len(header)))
	binary.LittleEndian.PutUint32(out[28:], crc32.ChecksumIEEE(header))
	binary.LittleEndian.PutUint32(out[8:], crc32.ChecksumIEEE(out[12:32]))
	out = append(out, packed...)
	return append(out, header...)
}

var (
	szCopyFolder = []byte{0x01, 0x01, szCopy}
	// 7zAES (NumCyclesPower 19, no salt or IV) then Copy, as 7-Zip binds
	// them: coder 0 Copy reads the output of coder 1, 7zAES, which reads
	// the packed stream.
	szAESCopyFolder = []byte{0x02, 0x01, szCopy, 0x24, 0x06, 0xF1, 0x07, 0x01, 0x01, 0x13, 0x00, 0x01}
)

// plain7z is a hand-made plain archive: two files in one Copy folder.
func plain7z() []byte {
	a, b := []byte("first file\n"), []byte("second file\n")
	h := szHdr{
		packSizes: []uint64{uint64(len(a) + len(b))},
		folders:   [][]byte{szCopyFolder},
		unpack:    [][]uint64{{uint64(len(a) + len(b))}},
		numSub:    []uint64{2},
		subSizes:  []uint64{uint64(len(a))},
		subCRCs:   []uint32{crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b)},
		names:     []string{"a.txt", "b.txt"},
	}
	return szArchiveBytes(append(a, b...), h.bytes())
}

// encrypted7z is a hand-made archive whose one file is in a 7zAES+Copy
// folder (the payload is random: Inspect never decrypts).
func encrypted7z() []byte {
	h := szHdr{
		packSizes: []uint64{32},
		folders:   [][]byte{szAESCopyFolder},
		unpack:    [][]uint64{{20, 20}},
		names:     []string{"secret.txt"},
	}
	return szArchiveBytes(bytes.Repeat([]byte{0xA5}, 32), h.bytes())
}

func TestInspect7zHandMade(t *testing.T) {
	for name, tt := range map[string]struct {
		b         []byte
		protected bool
		plain     []string
	}{
		"plain":     {plain7z(), false, []string{"a.txt", "b.txt"}},
		"encrypted": {encrypted7z(), true, nil},
	} {
		res := inspectBytes(tt.b, Limits{})
		if res.Unscannable != "" || res.Protected != tt.protected || !reflect.DeepEqual(res.PlainEntries, tt.plain) {
			t.Errorf("%s: %+v", name, res)
		}
	}
	empty := szArchiveBytes(nil, nil)
	binary.LittleEndian.PutUint64(empty[20:], 0)
	binary.LittleEndian.PutUint32(empty[28:], 0)
	binary.LittleEndian.PutUint32(empty[8:], crc32.ChecksumIEEE(empty[12:32]))
	if res := inspectBytes(empty, Limits{}); res.Unscannable != "" || res.Protected || !hasNote(res, "empty") {
		t.Errorf("empty archive: %+v", res)
	}
}

// Hostile and broken archives: unscannable with a clear reason, quickly.
func TestInspect7zHostile(t *testing.T) {
	aes7z := fixture(t, "7z-aes.7z")
	resign := func(b []byte) []byte { // fix the start header CRC after an edit
		binary.LittleEndian.PutUint32(b[8:], crc32.ChecksumIEEE(b[12:32]))
		return b
	}
	withHeader := func(packed []byte, h szHdr) []byte { return szArchiveBytes(packed, h.bytes()) }
	data := []byte("0123456789abcdef")
	one := func(mod func(*szHdr)) []byte {
		h := szHdr{packSizes: []uint64{16}, folders: [][]byte{szCopyFolder}, unpack: [][]uint64{{16}}, names: []string{"a"}}
		mod(&h)
		return withHeader(data, h)
	}
	huge := func(b []byte) []byte { return append(b, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0x40) } // 2^62
	incomplete := bytes.Clone(aes7z[:szSigLen])
	copy(incomplete[8:], make([]byte, 24))
	startCRC := bytes.Clone(aes7z)
	startCRC[14] ^= 1
	hdrCRC := bytes.Clone(aes7z)
	hdrCRC[len(hdrCRC)-1] ^= 1
	version := resign(bytes.Clone(aes7z))
	version[6] = 1
	// A header 64 bytes long declared 2^62 long.
	farHeader := resign(bytes.Clone(aes7z))
	binary.LittleEndian.PutUint64(farHeader[20:], 1<<62)
	resign(farHeader)

	tests := []struct {
		name string
		b    []byte
		lim  Limits
		want string
	}{
		{"truncated", aes7z[:len(aes7z)-10], Limits{}, "past the end of the file"},
		{"split volume", aes7z[:100], Limits{}, "one volume of a split archive"},
		{"signature only", aes7z[:20], Limits{}, "shorter than its 32-byte signature header"},
		{"appended zip", append(bytes.Clone(aes7z), plainZip(t)...), Limits{}, "after its end (appended data)"},
		{"incomplete", incomplete, Limits{}, "incomplete"},
		{"start header CRC", startCRC, Limits{}, "start header CRC mismatch"},
		{"header CRC", hdrCRC, Limits{}, "header CRC mismatch"},
		{"version", version, Limits{}, "version 1.4 is not supported"},
		{"huge header", farHeader, Limits{}, "past the end of the file"},
		{"header over the budget", aes7z, Limits{MaxBytes: 40}, "exceed"},
		{"too many entries", aes7z, Limits{MaxEntries: 1}, "more than 1 entries"},
		{"hidden data", withHeader(append(bytes.Clone(data), "PK\x03\x04hidden"...), szHdr{packSizes: []uint64{16}, folders: [][]byte{szCopyFolder}, unpack: [][]uint64{{16}}, names: []string{"a"}}), Limits{}, "belong to no stream (hidden data)"},
		{"gap before the streams", one(func(h *szHdr) { h.packPos = 4; h.packSizes = []uint64{12}; h.unpack = [][]uint64{{12}} }), Limits{}, "hidden data"},
		{"streams past the header", one(func(h *szHdr) { h.packSizes = []uint64{17} }), Limits{}, "extend past the header"},
		{"no files for the streams", withHeader(data, szHdr{packSizes: []uint64{16}, folders: [][]byte{szCopyFolder}, unpack: [][]uint64{{16}}, names: nil}), Limits{}, "streams but 0 files"},
		{"2^62 files", szArchiveBytes(nil, huge([]byte{szHeader, szFilesInfo})), Limits{}, "more than 10000 entries"},
		{"2^62 folders", szArchiveBytes(data, huge([]byte{szHeader, szMainStreamsInfo, szPackInfo, 0, 1, szSize, 16, szEnd, szUnpackInfo, szFolderID})), Limits{}, "folders"},
		{"2^62 pack streams", szArchiveBytes(data, huge([]byte{szHeader, szMainStreamsInfo, szPackInfo, 0})), Limits{}, "pack streams"},
		{"2^62 substreams", one(func(h *szHdr) { h.numSub = []uint64{1 << 62} }), Limits{}, "more than 10000 entries"},
		{"substreams larger than the folder", one(func(h *szHdr) { h.numSub = []uint64{2}; h.subSizes = []uint64{17}; h.names = []string{"a", "b"} }), Limits{}, "exceed their folder"},
		{"more files than streams", one(func(h *szHdr) { h.names = []string{"a", "b"} }), Limits{}, "more files with data than streams"},
		{"bind pair cycle", one(func(h *szHdr) {
			// Coder 0 (2 in, 1 out) reads both packed streams; coder 1
			// reads its own output.
			h.folders = [][]byte{{0x02, 0x11, szCopy, 2, 1, 0x01, szCopy, 2, 1, 0, 1}}
			h.packSizes = []uint64{8, 8}
			h.unpack = [][]uint64{{16, 16}}
		}), Limits{}, "do not form a tree"},
		{"invalid AES properties", one(func(h *szHdr) {
			h.folders = [][]byte{{0x02, 0x01, szCopy, 0x24, 0x06, 0xF1, 0x07, 0x01, 0x02, 0xD3, 0x00, 0x00, 0x01}}
			h.unpack = [][]uint64{{16, 16}}
		}), Limits{}, "7z encryption is invalid"},
		{"bomb", one(func(h *szHdr) { h.unpack = [][]uint64{{1 << 40}} }), Limits{}, "7z bomb"},
		{"unknown property", szArchiveBytes(nil, []byte{szHeader, 0x42}), Limits{}, "unexpected property 0x42"},
		{"names property too long", szArchiveBytes(nil, []byte{szHeader, szFilesInfo, 1, szName, 6, 0, 'a', 0, 0, 0, 'x', szEnd, szEnd}), Limits{}, "longer than its names"},
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

// A folder where only one of two packed streams goes through 7zAES is not
// encrypted: the other stream is plain data.
func TestInspect7zPartlyEncryptedFolder(t *testing.T) {
	// Coder 0: a 2-in/1-out coder (BCJ2's id); coder 1: 7zAES feeding its
	// in stream 0; its in stream 1 is a plain packed stream.
	folder := []byte{0x02,
		0x14, 0x03, 0x03, 0x01, 0x1B, 2, 1, // BCJ2-like: 2 in, 1 out
		0x24, 0x06, 0xF1, 0x07, 0x01, 0x01, 0x13, // 7zAES
		0, 1, // bind pair: in 0 <- out 1
		1, 2} // packed streams: in 1 (plain), in 2 (7zAES)
	h := szHdr{packSizes: []uint64{16, 16}, folders: [][]byte{folder}, unpack: [][]uint64{{40, 16}}, names: []string{"a.exe"}}
	res := inspectBytes(szArchiveBytes(make([]byte, 32), h.bytes()), Limits{})
	if res.Unscannable != "" || res.Protected || !reflect.DeepEqual(res.PlainEntries, []string{"a.exe"}) || !hasNote(res, "only some streams") {
		t.Errorf("%+v", res)
	}
}

// A forged LZMA dictionary size in a compressed header is clamped to the
// header's size: the archive reads the same, nothing big is allocated.
func TestInspect7zForgedDictionary(t *testing.T) {
	b := bytes.Clone(fixture(t, "7z-plain.7z"))
	nextOff := int(binary.LittleEndian.Uint64(b[12:]))
	hdr := b[szSigLen+nextOff:]
	i := bytes.Index(hdr, []byte{0x23, 0x03, 0x01, 0x01, 0x05}) // LZMA coder with 5 bytes of properties
	if hdr[0] != szEncodedHeader || i < 0 {
		t.Fatalf("7z-plain.7z has no LZMA-encoded header: % x", hdr)
	}
	copy(hdr[i+6:], []byte{0xFF, 0xFF, 0xFF, 0xFF})
	binary.LittleEndian.PutUint32(b[28:], crc32.ChecksumIEEE(hdr))
	binary.LittleEndian.PutUint32(b[8:], crc32.ChecksumIEEE(b[12:32]))
	res := inspectBytes(b, Limits{})
	if res.Unscannable != "" || len(res.PlainEntries) != 2 {
		t.Errorf("%+v", res)
	}
}

func Test7zPasswordChecker(t *testing.T) {
	const pw = "secret123"
	tests := []struct {
		file, password string
		ok             bool
	}{
		{"7z-aes.7z", pw, true}, // LZMA2: CRC of the first file
		{"7z-aes.7z", "secret124", false},
		{"7z-aes.7z", "", false},
		{"7z-aes-mhe.7z", pw, true}, // encrypted header: its CRC
		{"7z-aes-mhe.7z", "Secret123", false},
		{"encrypted.7z", pw, true},
		{"encrypted.7z", "パスワード", false},
		{"7z-aes-lzma.7z", pw, true},
		{"7z-aes-lzma.7z", "secret", false},
		{"7z-aes-copy.7z", pw, true},
		{"7z-aes-copy.7z", "secret1234", false},
		{"7z-aes-bcj.7z", pw, true}, // BCJ is not decoded: LZMA2 partly decoded
		{"7z-aes-bcj.7z", "x", false},
		{"7z-aes-bcj2.7z", pw, true}, // the main stream's 7zAES+LZMA path
		{"7z-aes-bcj2.7z", "y", false},
		{"7z-aes-dirs.7z", pw, true},
		{"7z-mixed.7z", pw, true},
		{"7z-jp-password.7z", "パスワード", true}, // UTF-16LE
		{"7z-jp-password.7z", "パスワート", false},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.password, func(t *testing.T) {
			b := fixture(t, tt.file)
			c, err := New7zPasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := c.Check(tt.password); ok != tt.ok || err != nil {
				t.Errorf("Check = %v, %v; want %v", ok, err, tt.ok)
			}
		})
	}
}

func Test7zPasswordCheckerErrors(t *testing.T) {
	// A hand-made 7zAES folder with NumCyclesPower 30.
	slow := encrypted7z()
	i := bytes.Index(slow, []byte{0x06, 0xF1, 0x07, 0x01, 0x01, 0x13})
	slow[i+5] = 30
	nextOff := int(binary.LittleEndian.Uint64(slow[12:]))
	binary.LittleEndian.PutUint32(slow[28:], crc32.ChecksumIEEE(slow[szSigLen+nextOff:]))
	binary.LittleEndian.PutUint32(slow[8:], crc32.ChecksumIEEE(slow[12:32]))
	for name, tt := range map[string]struct {
		b    []byte
		want error
	}{
		"plain":              {fixture(t, "7z-plain.7z"), ErrNotEncrypted},
		"plain of encrypted": {fixture(t, "7z-nested.7z"), ErrNotEncrypted},
		"zip":                {fixture(t, "aes256.zip"), ErrUnscannable},
		"truncated":          {fixture(t, "7z-aes.7z")[:200], ErrUnscannable},
		"no CRC, Copy":       {encrypted7z(), ErrCannotVerify},
		"2^30 rounds":        {slow, ErrCannotVerify},
	} {
		if _, err := New7zPasswordChecker(bytes.NewReader(tt.b), int64(len(tt.b)), Limits{}); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", name, err, tt.want)
		}
	}
}

// sevenZipKey must match a plain, unbatched implementation of 7-Zip's
// derivation.
func TestSevenZipKey(t *testing.T) {
	ref := func(pw, salt []byte, cycles int) []byte {
		h := sha256.New()
		var ctr [8]byte
		for i := uint64(0); i < 1<<cycles; i++ {
			h.Write(salt)
			h.Write(pw)
			binary.LittleEndian.PutUint64(ctr[:], i)
			h.Write(ctr[:])
		}
		return h.Sum(nil)
	}
	for _, c := range []struct {
		pw     string
		salt   []byte
		cycles int
	}{{"secret123", nil, 12}, {"パスワード", []byte{1, 2, 3}, 11}, {"", nil, 3}} {
		if got, want := sevenZipKey(utf16LE(c.pw), c.salt, c.cycles), ref(utf16LE(c.pw), c.salt, c.cycles); !bytes.Equal(got, want) {
			t.Errorf("%q: %x, want %x", c.pw, got, want)
		}
	}
	if got := sevenZipKey([]byte{1, 2}, []byte{9}, 0x3F); !bytes.Equal(got, append([]byte{9, 1, 2}, make([]byte, 29)...)) {
		t.Errorf("raw key: %x", got)
	}
}

// TestSevenZipGarbageKeys measures the false positives of the checks after
// key derivation: random keys stand for wrong passwords (a wrong password
// gives a pseudo-random key). Stage 1 passes about 1/256 (LZMA), 1/25
// (LZMA2) or everything (Copy); nothing may pass stage 2. With 20000 keys
// per file (n below), none did.
func TestSevenZipGarbageKeys(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 500
	}
	if v, err := strconv.Atoi(os.Getenv("GARBAGE_KEYS")); err == nil {
		n = v // GARBAGE_KEYS=200000 go test -run GarbageKeys -v
	}
	rng := rand.New(rand.NewSource(1))
	for _, file := range []string{"7z-aes.7z", "7z-aes-lzma.7z", "7z-aes-copy.7z", "7z-aes-bcj.7z", "7z-aes-bcj2.7z", "7z-aes-mhe.7z"} {
		b := fixture(t, file)
		c, err := New7zPasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		tg := &c.targets[0]
		f := &c.st.folders[tg.folder]
		stage1, passed := 0, 0
		key := make([]byte, 32)
		for i := 0; i < n; i++ {
			rng.Read(key)
			block, _ := aes.NewCipher(key)
			first := make([]byte, aes.BlockSize)
			copy(first, b[c.st.packOffset(f.packIndex+tg.pack):])
			cipher.NewCBCDecrypter(block, tg.iv).CryptBlocks(first, first)
			if szPlausibleStart(tg.next, first, tg.header) {
				stage1++
			}
			if c.st.verify(bytes.NewReader(b), tg, key) {
				passed++
			}
		}
		mode := "CRC"
		switch {
		case tg.header:
			mode = "header CRC"
		case !tg.withCRC:
			mode = "partial decode"
		}
		t.Logf("%-16s next coder %-6s %-14s stage 1 passed %5d of %d, stage 2 %d", file, szCoderName(tg.next), mode, stage1, n, passed)
		if passed != 0 {
			t.Errorf("%s: %d random keys accepted", file, passed)
		}
	}
}

func Benchmark7zPassword(b *testing.B) {
	for _, file := range []string{"7z-aes.7z", "7z-aes-mhe.7z", "7z-aes-bcj.7z"} {
		b.Run(file, func(b *testing.B) {
			data := fixture(b, file)
			c, err := New7zPasswordChecker(bytes.NewReader(data), int64(len(data)), Limits{})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if ok, _ := c.Check("wrong password"); ok {
					b.Fatal("false positive")
				}
			}
		})
	}
}

// Fuzz7z feeds mutated 7z archives to Inspect and the password checker.
// Run: go test -fuzz Fuzz7z -fuzztime 30s ./policy/encryption/
func Fuzz7z(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.7z"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(plain7z())
	f.Add(encrypted7z())
	lim := Limits{MaxEntries: 64, MaxBytes: 1 << 20}
	key := bytes.Repeat([]byte{7}, 32)
	f.Fuzz(func(t *testing.T, b []byte) {
		res := Inspect(bytes.NewReader(b), int64(len(b)), lim)
		if strings.HasPrefix(res.Unscannable, "internal error") {
			t.Fatalf("Inspect recovered from a panic: %s", res.Unscannable)
		}
		if res.Protected && res.Unscannable != "" {
			t.Fatalf("protected and unscannable: %+v", res)
		}
		for _, n := range res.Nested {
			if strings.HasPrefix(n.Unscannable, "internal error") {
				t.Fatalf("nested: %s", n.Unscannable)
			}
		}
		c, err := New7zPasswordChecker(bytes.NewReader(b), int64(len(b)), lim)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		// The key derivation is expensive and not what is fuzzed: run the
		// checks after it with a fixed key.
		for i := range c.targets {
			c.st.verify(bytes.NewReader(b), &c.targets[i], key)
		}
	})
}

// The 7zAES key derivation alone (2^19 SHA-256 rounds), per candidate.
func BenchmarkSevenZipKey(b *testing.B) {
	pw := utf16LE("candidate")
	for b.Loop() {
		sevenZipKey(pw, nil, 19)
	}
}

// Many small folders (one per file, as 7-Zip writes -ms=off) stay cheap,
// including reading each plain file for nested inspection.
func TestInspect7zManyFolders(t *testing.T) {
	const n = 10000
	h := szHdr{}
	var packed []byte
	for i := 0; i < n; i++ {
		h.packSizes = append(h.packSizes, 1)
		h.folders = append(h.folders, szCopyFolder)
		h.unpack = append(h.unpack, []uint64{1})
		h.names = append(h.names, "f"+strconv.Itoa(i))
		packed = append(packed, 'x')
	}
	start := time.Now()
	res := inspectBytes(szArchiveBytes(packed, h.bytes()), Limits{})
	if res.Unscannable != "" || len(res.PlainEntries) != n {
		t.Errorf("Unscannable %q, %d plain entries", res.Unscannable, len(res.PlainEntries))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	if res := inspectBytes(szArchiveBytes(packed, h.bytes()), Limits{MaxEntries: n - 1}); !strings.Contains(res.Unscannable, "more than") {
		t.Errorf("limit: %q", res.Unscannable)
	}
}

// TestSevenZipFlaggedEncryptionIsChecked: an AES folder whose packed bytes
// are readable data is not protected (the packed stream of a real 7zAES
// archive is overwritten with a plain ZIP's first bytes; 7z keeps no CRC
// of packed streams, so the archive still parses).
func TestSevenZipFlaggedEncryptionIsChecked(t *testing.T) {
	b := bytes.Clone(fixture(t, "7z-aes-copy.7z"))
	res := inspectBytes(b, Limits{})
	if !res.Protected {
		t.Fatalf("7z-aes-copy.7z: protected %v, unscannable %q", res.Protected, res.Unscannable)
	}
	sc := &scanner{lim: DefaultLimits(), left: 1 << 30}
	a, reason := sc.parse7z(bytes.NewReader(b), int64(len(b)))
	if reason != nil || len(a.main.packSizes) == 0 {
		t.Fatalf("parse: %q", reason)
	}
	off, n := a.main.packOffset(0), int64(a.main.packSizes[0])
	// The start of a plain ZIP, as long as the packed stream.
	copy(b[off:off+n], bytes.Repeat(plainZip(t), 10))
	res = inspectBytes(b, Limits{})
	if res.Protected || !strings.Contains(res.Unscannable, "readable, not ciphertext") {
		t.Errorf("text in the AES folder: protected %v, unscannable %q", res.Protected, res.Unscannable)
	}
}
