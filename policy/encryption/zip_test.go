package encryption

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// Fixtures made by real tools (testdata/attachments/make.sh).
func TestInspectFixtures(t *testing.T) {
	tests := []struct {
		file      string
		format    Format
		protected bool
		method    string
		plain     []string
		entries   int
	}{
		// Info-ZIP, no password: both entries plain.
		{"plain.zip", FormatZIP, false, "", []string{"hello.txt", "secret.txt"}, 2},
		// zip -P: ZipCrypto with a data descriptor flag (bit 3).
		{"zipcrypto.zip", FormatZIP, true, "ZipCrypto", nil, 2},
		// 7-Zip ZipCrypto: no bit 3, the check byte is the CRC's.
		{"zipcrypto-7z.zip", FormatZIP, true, "ZipCrypto", nil, 2},
		// 7-Zip WinZip AES, each strength (stored and deflated entries).
		{"aes128.zip", FormatZIP, true, "AES-128", nil, 2},
		{"aes192.zip", FormatZIP, true, "AES-192", nil, 2},
		{"aes256.zip", FormatZIP, true, "AES-256", nil, 2},
		// One encrypted and one plain entry: not protected, evidence names the plain one.
		{"mixed.zip", FormatZIP, false, "ZipCrypto", []string{"hello.txt"}, 2},
		// Two encryption methods in one archive.
		{"mixed-methods.zip", FormatZIP, true, "ZipCrypto, AES-128", nil, 2},
		// A plain directory entry does not spoil protection.
		{"dir-encrypted.zip", FormatZIP, true, "ZipCrypto", nil, 2},
		// Nothing but a directory, or nothing at all: nothing to protect.
		{"dir-only.zip", FormatZIP, false, "", nil, 1},
		{"empty.zip", FormatZIP, false, "", nil, 0},
		// A plain archive holding an encrypted one is itself not protected.
		{"nested-encrypted.zip", FormatZIP, false, "", []string{"inner-encrypted.zip"}, 1},
		{"nested-plain.zip", FormatZIP, false, "", []string{"inner-plain.zip"}, 1},
		// UTF-8 Japanese entry name.
		{"japanese-name.zip", FormatZIP, true, "ZipCrypto", nil, 1},
		// zip -P to a pipe: local headers without CRC/sizes, data descriptors.
		{"streamed.zip", FormatZIP, true, "ZipCrypto", nil, 2},
		// zip -P - - (stdin): zip64 end record and locator, 64-bit data descriptor.
		{"stdin.zip", FormatZIP, true, "ZipCrypto", nil, 1},
		{"jp-password-utf8.zip", FormatZIP, true, "ZipCrypto", nil, 1},
		{"jp-password-cp932.zip", FormatZIP, true, "ZipCrypto", nil, 1},
		// A ZIP with a plain [Content_Types].xml is an OOXML document.
		{"document.docx", FormatOOXML, false, "", []string{"[Content_Types].xml", "word/document.xml"}, 2},
		// Other formats (7z: see sevenzip_test.go; gzip is identified only).
		{"encrypted.7z", Format7z, true, "AES-256 (headers encrypted)", nil, 0},
		{"hello.txt.gz", FormatGzip, false, "", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := inspectBytes(fixture(t, tt.file), Limits{})
			if res.Unscannable != "" {
				t.Fatalf("Unscannable = %q", res.Unscannable)
			}
			if res.Format != tt.format || res.Protected != tt.protected || res.Method != tt.method {
				t.Errorf("got format %q protected %v method %q, want %q %v %q",
					res.Format, res.Protected, res.Method, tt.format, tt.protected, tt.method)
			}
			if !reflect.DeepEqual(res.PlainEntries, tt.plain) {
				t.Errorf("PlainEntries = %q, want %q", res.PlainEntries, tt.plain)
			}
			if len(res.Entries) != tt.entries {
				t.Errorf("%d entries, want %d: %+v", len(res.Entries), tt.entries, res.Entries)
			}
		})
	}
}

func TestInspectFixtureDetails(t *testing.T) {
	t.Run("directory entry", func(t *testing.T) {
		res := inspectBytes(fixture(t, "dir-encrypted.zip"), Limits{})
		want := []Entry{
			{Name: "docs/", Compression: "store", Dir: true},
			{Name: "docs/report.txt", Encrypted: true, Method: "ZipCrypto", Compression: "store", Size: 7, CompressedSize: 19},
		}
		if !reflect.DeepEqual(res.Entries, want) {
			t.Errorf("Entries = %+v\nwant %+v", res.Entries, want)
		}
	})
	t.Run("AES entries report the real compression", func(t *testing.T) {
		res := inspectBytes(fixture(t, "aes256.zip"), Limits{})
		got := []string{res.Entries[0].Compression, res.Entries[1].Compression}
		if !reflect.DeepEqual(got, []string{"store", "deflate"}) {
			t.Errorf("compression = %q", got)
		}
	})
	t.Run("Japanese name", func(t *testing.T) {
		res := inspectBytes(fixture(t, "japanese-name.zip"), Limits{})
		if res.Entries[0].Name != "日本語の資料.txt" || !res.Entries[0].Encrypted {
			t.Errorf("entry = %+v", res.Entries[0])
		}
	})
	t.Run("plain container of an encrypted archive", func(t *testing.T) {
		res := inspectBytes(fixture(t, "nested-encrypted.zip"), Limits{})
		if len(res.Nested) != 1 {
			t.Fatalf("Nested = %+v", res.Nested)
		}
		n := res.Nested[0]
		if n.Name != "inner-encrypted.zip" || n.Format != FormatZIP || !n.Protected || n.Method != "ZipCrypto" {
			t.Errorf("nested = %+v", n)
		}
		if !res.PlainContainerOfProtected() {
			t.Error("PlainContainerOfProtected = false")
		}
	})
	t.Run("plain container of a plain archive (deflated)", func(t *testing.T) {
		res := inspectBytes(fixture(t, "nested-plain.zip"), Limits{})
		if len(res.Nested) != 1 || res.Nested[0].Protected || len(res.Nested[0].PlainEntries) != 2 {
			t.Fatalf("Nested = %+v", res.Nested)
		}
		if res.PlainContainerOfProtected() {
			t.Error("PlainContainerOfProtected = true")
		}
	})
	t.Run("mixed is no container of protected", func(t *testing.T) {
		if inspectBytes(fixture(t, "mixed.zip"), Limits{}).PlainContainerOfProtected() {
			t.Error("PlainContainerOfProtected = true")
		}
	})
}

func TestZipPasswordOpens(t *testing.T) {
	const pw = "secret123"
	tests := []struct {
		file, password string
		ok             bool
		entry          string // the entry checked first: non-empty, smallest
	}{
		{"zipcrypto.zip", pw, true, "hello.txt"},
		{"zipcrypto.zip", "secret124", false, ""},
		{"zipcrypto.zip", "", false, ""},
		{"zipcrypto-7z.zip", pw, true, "hello.txt"},
		{"zipcrypto-7z.zip", "Secret123", false, ""},
		{"streamed.zip", pw, true, "hello.txt"},
		{"streamed.zip", "nope", false, ""},
		{"stdin.zip", pw, true, "-"},
		{"stdin.zip", "secret12", false, ""},
		{"aes128.zip", pw, true, "hello.txt"},
		{"aes128.zip", "secret", false, ""},
		{"aes192.zip", pw, true, "hello.txt"},
		{"aes192.zip", "secret1234", false, ""},
		{"aes256.zip", pw, true, "hello.txt"},
		{"aes256.zip", "パスワード", false, ""},
		{"mixed.zip", pw, true, "secret.txt"},
		{"mixed-methods.zip", pw, true, "hello.txt"},
		{"dir-encrypted.zip", pw, true, "docs/report.txt"},
		{"japanese-name.zip", pw, true, "日本語の資料.txt"},
		// UTF-8 bytes, as typed on Linux/macOS.
		{"jp-password-utf8.zip", "パスワード", true, "hello.txt"},
		// CP932 bytes, as a Japanese Windows zip tool writes them.
		{"jp-password-cp932.zip", "パスワード", true, "hello.txt"},
		{"jp-password-cp932.zip", "パスワート", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.password, func(t *testing.T) {
			b := fixture(t, tt.file)
			entry, ok, err := ZipPasswordOpens(bytes.NewReader(b), int64(len(b)), tt.password, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok || entry != tt.entry {
				t.Errorf("got (%q, %v), want (%q, %v)", entry, ok, tt.entry, tt.ok)
			}
		})
	}
}

func TestZipPasswordOpensErrors(t *testing.T) {
	for _, tt := range []struct {
		file string
		want error
	}{
		{"plain.zip", ErrNotEncrypted},
		{"dir-only.zip", ErrNotEncrypted},
		{"nested-encrypted.zip", ErrNotEncrypted}, // the inner archive is not opened
		{"encrypted.7z", ErrUnscannable},          // not a ZIP
	} {
		b := fixture(t, tt.file)
		if _, ok, err := ZipPasswordOpens(bytes.NewReader(b), int64(len(b)), "secret123", Limits{}); ok || !errors.Is(err, tt.want) {
			t.Errorf("%s: ok %v err %v, want %v", tt.file, ok, err, tt.want)
		}
	}
}

// candidates returns n wrong passwords.
func candidates(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("password%04d", i)
	}
	return out
}

// TestZipPassword2000 runs a weak-password list against each method: no
// false positive although about 1 in 128 candidates passes the ZipCrypto
// check byte, and the right password at the end is found.
func TestZipPassword2000(t *testing.T) {
	for _, file := range []string{"zipcrypto.zip", "zipcrypto-7z.zip", "aes256.zip", "aes128.zip"} {
		t.Run(file, func(t *testing.T) {
			b := fixture(t, file)
			c, err := NewZipPasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			checkBytePassed := 0
			for _, pw := range candidates(2000) {
				if _, ok, err := c.Check(pw); ok || err != nil {
					t.Fatalf("candidate %q: ok %v err %v", pw, ok, err)
				}
				for _, tg := range c.targets {
					if tg.enc.kind == encZipCrypto {
						if _, ok := zipCryptoCheck(tg.header, []byte(pw), tg.crc, tg.modTime, tg.dataDesc); ok {
							checkBytePassed++
						}
					}
				}
			}
			if c.targets[0].enc.kind == encZipCrypto && checkBytePassed == 0 {
				t.Error("no candidate passed the check byte: CRC verification untested")
			}
			t.Logf("%d wrong candidates passed the ZipCrypto check byte and were rejected by the CRC", checkBytePassed)
			if _, ok, err := c.Check("secret123"); !ok || err != nil {
				t.Errorf("right password: ok %v err %v", ok, err)
			}
		})
	}
}

func BenchmarkZipPassword2000(b *testing.B) {
	list := candidates(2000)
	for _, file := range []string{"zipcrypto.zip", "aes256.zip"} {
		b.Run(file, func(b *testing.B) {
			data := fixture(b, file)
			c, err := NewZipPasswordChecker(bytes.NewReader(data), int64(len(data)), Limits{})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				for _, pw := range list {
					if _, ok, _ := c.Check(pw); ok {
						b.Fatal("false positive")
					}
				}
			}
		})
	}
}
