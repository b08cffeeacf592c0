package encryption

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// OpenPGP fixtures made by gpg (testdata/attachments/make.sh).
func TestInspectPGPFixtures(t *testing.T) {
	tests := []struct {
		file      string
		protected bool
		method    string
		note      string
	}{
		{"pgp-symmetric.gpg", true, "OpenPGP (AES-256)", "encrypted with a passphrase"},
		{"pgp-symmetric.asc", true, "OpenPGP (AES-128)", "ASCII-armored"},
		{"pgp-pubkey.gpg", true, "OpenPGP (public key)", "encrypted to 1 ECDH key(s)"},
		// Not encrypted: clear-signed text, a signed message in a "BEGIN PGP
		// MESSAGE" block, a detached signature.
		{"pgp-clearsigned.asc", false, "", "clear-signed"},
		{"pgp-signed.asc", false, "", "signed, compressed or literal"},
		{"pgp-signature.asc", false, "", "signature"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := inspectBytes(fixture(t, tt.file), Limits{})
			if res.Unscannable != "" {
				t.Fatalf("Unscannable = %q", res.Unscannable)
			}
			if res.Format != FormatPGP || res.Protected != tt.protected || res.Method != tt.method {
				t.Errorf("got %q protected %v method %q, want pgp %v %q", res.Format, res.Protected, res.Method, tt.protected, tt.method)
			}
			if !hasNote(res, tt.note) {
				t.Errorf("no note %q in %q", tt.note, res.Notes)
			}
		})
	}
}

// pgpNew is a new-format packet with a definite length.
func pgpNew(tag byte, body []byte) []byte {
	h := []byte{0xC0 | tag}
	switch n := len(body); {
	case n < 192:
		h = append(h, byte(n))
	case n < 8384:
		h = append(h, byte((n-192)>>8+192), byte(n-192))
	default:
		h = append(h, 255, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(h, body...)
}

var (
	pgpSKESK4   = pgpNew(3, []byte{4, 9, 3, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0x60}) // AES-256, iterated+salted S2K
	pgpSKESK6   = pgpNew(3, []byte{6, 20, 7, 2, 3, 1, 8})                     // count, AES-128, OCB, S2K...
	pgpSKESK5   = pgpNew(3, []byte{5, 9, 2, 3, 8, 1, 2})                      // LibrePGP: AES-256, OCB
	pgpPKESK3   = pgpNew(1, append([]byte{3, 1, 2, 3, 4, 5, 6, 7, 8, 1}, make([]byte, 20)...))
	pgpSEIPD1   = pgpNew(18, append([]byte{1}, bytes.Repeat([]byte{0xAB}, 40)...))
	pgpSEIPD2   = pgpNew(18, append([]byte{2, 9, 2, 6}, bytes.Repeat([]byte{0xAB}, 60)...))
	pgpAEAD     = pgpNew(20, append([]byte{1, 9, 2, 6}, bytes.Repeat([]byte{0xAB}, 40)...))
	pgpLiteral  = pgpNew(11, []byte("b\x04file\x00\x00\x00\x00hello"))
	pgpOnePass  = pgpNew(4, []byte{3, 0, 8, 22, 1, 2, 3, 4, 5, 6, 7, 8, 1})
	pgpOldSED   = append([]byte{0xA7}, bytes.Repeat([]byte{0xCD}, 30)...) // old format, tag 9, indeterminate length
	pgpPubKey   = pgpNew(6, []byte{4, 0, 0, 0, 0, 22, 1, 2, 3})
	pgpUnknown  = pgpNew(60, []byte{1, 2, 3})
	pgpPartial  = append(append([]byte{0xC0 | 18, 0xE9}, bytes.Repeat([]byte{1}, 512)...), append([]byte{10}, bytes.Repeat([]byte{2}, 10)...)...) // 512-byte chunk, then 10
	pgpTooShort = []byte{0xC0 | 18, 100, 1, 2, 3}
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestInspectPGPPackets(t *testing.T) {
	tests := []struct {
		name      string
		b         []byte
		protected bool
		method    string
		want      string // note, or the Unscannable reason when not protected and it starts with "!"
	}{
		{"SKESK v4 + SEIPD v1", cat(pgpSKESK4, pgpSEIPD1), true, "OpenPGP (AES-256)", "passphrase"},
		{"PKESK + SEIPD v2", cat(pgpPKESK3, pgpSEIPD2), true, "OpenPGP (AES-256)", "encrypted to 1 RSA key(s)"},
		// The cipher of a SEIPD v2 packet is the content's; an SKESK's is
		// the one that protects the session key.
		{"PKESK + SKESK v6 + SEIPD v2", cat(pgpPKESK3, pgpSKESK6, pgpSEIPD2), true, "OpenPGP (AES-256)", "passphrase"},
		{"SKESK v6 + SEIPD v2 (AES-128)", cat(pgpSKESK6, pgpNew(18, append([]byte{2, 7, 2, 6}, make([]byte, 40)...))), true, "OpenPGP (AES-128)", "passphrase"},
		{"SKESK v5 + AEAD (LibrePGP)", cat(pgpSKESK5, pgpAEAD), true, "OpenPGP (AES-256)", ""},
		{"PKESK + SEIPD v1", cat(pgpPKESK3, pgpSEIPD1), true, "OpenPGP (public key)", ""},
		{"partial lengths", cat(pgpSKESK4, pgpPartial), true, "OpenPGP (AES-256)", ""},
		{"old-format SED to the end", cat(pgpSKESK4, pgpOldSED), true, "OpenPGP (AES-256)", "without integrity protection"},
		{"truncated", cat(pgpSKESK4, pgpTooShort), false, "", "!truncated"},
		{"no encrypted data", pgpSKESK4, false, "", "!session keys but no encrypted data"},
		{"appended zip", cat(pgpSKESK4, pgpSEIPD1, []byte("PK\x03\x04")), false, "", "!4 bytes after its encrypted data"},
		{"unexpected tag", cat(pgpSKESK4, pgpUnknown), false, "", "!unexpected tag 60"},
		{"literal after a session key", cat(pgpSKESK4, pgpLiteral), false, "", "not encrypted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Identify(tt.b) != FormatPGP {
				t.Fatalf("not identified: % x", tt.b[:8])
			}
			res := inspectBytes(tt.b, Limits{})
			checkPGP(t, res, tt.protected, tt.method, tt.want)
		})
	}
	// Messages Identify does not claim (they do not start with a session
	// key packet), walked directly.
	for name, tt := range map[string]struct {
		b         []byte
		protected bool
		want      string
	}{
		"SED only":          {pgpOldSED, true, "no session key packet"},
		"signed message":    {cat(pgpOnePass, pgpLiteral), false, "not encrypted"},
		"public key":        {pgpPubKey, false, "key material"},
		"marker then SKESK": {cat(pgpNew(10, []byte("PGP")), pgpSKESK4, pgpSEIPD1), true, "passphrase"},
	} {
		res := Result{Format: FormatPGP}
		pgpMessage(bytes.NewReader(tt.b), int64(len(tt.b)), &res)
		if res.Protected != tt.protected || res.Unscannable != "" || !hasNote(res, tt.want) {
			t.Errorf("%s: %+v", name, res)
		}
	}
}

func checkPGP(t *testing.T, res Result, protected bool, method, want string) {
	t.Helper()
	if res.Format != FormatPGP || res.Protected != protected || res.Method != method {
		t.Errorf("got %q protected %v method %q unscannable %q, want %v %q", res.Format, res.Protected, res.Method, res.Unscannable, protected, method)
	}
	switch {
	case strings.HasPrefix(want, "!"):
		if !strings.Contains(res.Unscannable, want[1:]) {
			t.Errorf("Unscannable = %q, want %q", res.Unscannable, want[1:])
		}
	case res.Unscannable != "":
		t.Errorf("Unscannable = %q", res.Unscannable)
	case !hasNote(res, want):
		t.Errorf("no note %q in %q", want, res.Notes)
	}
}

func armor(data []byte, headers string, withSum bool) string {
	var b strings.Builder
	b.WriteString("-----BEGIN PGP MESSAGE-----\n" + headers + "\n")
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 64 {
		b.WriteString(enc[:64] + "\n")
		enc = enc[64:]
	}
	b.WriteString(enc + "\n")
	if withSum {
		c := crc24(data)
		b.WriteString("=" + base64.StdEncoding.EncodeToString([]byte{byte(c >> 16), byte(c >> 8), byte(c)}) + "\n")
	}
	b.WriteString("-----END PGP MESSAGE-----\n")
	return b.String()
}

func TestInspectPGPArmor(t *testing.T) {
	msg := cat(pgpSKESK4, pgpSEIPD1)
	good := armor(msg, "Version: Test\nComment: two headers\n", true)
	i := strings.Index(good, "\n=")
	badSum := good[:i+1] + "=AAAA" + good[i+6:]
	tests := []struct {
		name      string
		text      string
		protected bool
		want      string
	}{
		{"headers and checksum", good, true, "ASCII-armored"},
		{"no checksum", armor(msg, "", false), true, "ASCII-armored"},
		{"CRLF and leading blank lines", "\r\n\r\n" + strings.ReplaceAll(good, "\n", "\r\n"), true, "ASCII-armored"},
		{"no blank line after BEGIN", strings.Replace(armor(msg, "", true), "-----\n\n", "-----\n", 1), true, "ASCII-armored"},
		{"checksum mismatch", badSum, false, "!checksum mismatch"},
		{"no END line", good[:strings.Index(good, "-----END")], false, "!no END line"},
		{"data after END", good + "PK\x03\x04 something", false, "!data after the END"},
		{"bad base64", strings.Replace(good, "\n\n", "\n\n*!*", 1), false, "!base64"},
		{"armored signed message", armor(cat(pgpOnePass, pgpLiteral), "", true), false, "not encrypted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := inspectBytes([]byte(tt.text), Limits{})
			method := ""
			if tt.protected {
				method = "OpenPGP (AES-256)"
			}
			checkPGP(t, res, tt.protected, method, tt.want)
		})
	}
	// A byte budget smaller than the armored file.
	if res := inspectBytes([]byte(good), Limits{MaxBytes: 50}); !strings.Contains(res.Unscannable, "limit") {
		t.Errorf("budget: %+v", res)
	}
}

// Armor that Identify leaves unknown is still reported as OpenPGP.
func TestInspectPGPOtherArmor(t *testing.T) {
	for text, want := range map[string]string{
		"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n-----END PGP PUBLIC KEY BLOCK-----\n": "public key",
		"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlFgEZ\n":                                    "private key",
		"-----BEGIN PGP MESSAGE, PART 1/2-----\n\nhQEMA\n":                                    "!multi-part",
		"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhello\n":                         "clear-signed",
	} {
		res := inspectBytes([]byte(text), Limits{})
		if res.Format != FormatPGP || res.Protected {
			t.Errorf("%.30q: %+v", text, res)
		}
		if strings.HasPrefix(want, "!") {
			if !strings.Contains(res.Unscannable, want[1:]) {
				t.Errorf("%.30q: Unscannable %q", text, res.Unscannable)
			}
		} else if !hasNote(res, want) {
			t.Errorf("%.30q: notes %q", text, res.Notes)
		}
	}
	if res := inspectBytes([]byte("just some text\n"), Limits{}); res.Format != FormatUnknown || res.Unscannable != "" {
		t.Errorf("text: %+v", res)
	}
}

// A million one-byte partial chunks are refused quickly.
func TestInspectPGPChunkBomb(t *testing.T) {
	b := cat(pgpSKESK4, []byte{0xC0 | 18})
	b = append(b, bytes.Repeat([]byte{0xE0, 0x55}, pgpMaxChunks+2)...)
	b = append(b, 1, 0x55)
	start := time.Now()
	res := inspectBytes(b, Limits{})
	if !strings.Contains(res.Unscannable, fmt.Sprintf("more than %d chunks", pgpMaxChunks)) {
		t.Errorf("Unscannable = %q", res.Unscannable)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestCRC24(t *testing.T) {
	// RFC 4880 section 6.1's CRC-24 of "123456789" (the CRC-24/OPENPGP check value).
	if got := crc24([]byte("123456789")); got != 0x21CF02 {
		t.Errorf("crc24 = %06x", got)
	}
}
