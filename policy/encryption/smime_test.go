package encryption

import (
	"bytes"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// S/MIME files made by openssl (testdata/attachments/make.sh).
func TestInspectSMIMEFixtures(t *testing.T) {
	tests := []struct {
		file      string
		protected bool
		method    string
		plain     []string
		nested    Format
		note      string
	}{
		{"smime-enveloped.p7m", true, "S/MIME enveloped (AES-256-CBC)", nil, "", "1 recipient(s)"},
		{"smime-enveloped-ber.p7m", true, "S/MIME enveloped (AES-256-CBC)", nil, "", "1 recipient(s)"}, // indefinite lengths
		{"smime-enveloped.pem", true, "S/MIME enveloped (AES-128-CBC)", nil, "", "1 recipient(s)"},
		{"smime-authenveloped.p7m", true, "S/MIME authEnveloped (AES-256-GCM)", nil, "", "1 recipient(s)"},
		{"smime-signed.p7m", false, "", []string{"(signed content)"}, "", "signed, not encrypted"},
		{"smime-signed-ber.p7m", false, "", []string{"(signed content)"}, "", "signed, not encrypted"},
		{"smime-signed-zip.p7m", false, "", []string{"(signed content)"}, FormatZIP, "signed, not encrypted"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := inspectBytes(fixture(t, tt.file), Limits{})
			if res.Unscannable != "" {
				t.Fatalf("Unscannable = %q", res.Unscannable)
			}
			if res.Format != FormatSMIME || res.Protected != tt.protected || res.Method != tt.method {
				t.Errorf("got %q protected %v method %q, want smime %v %q", res.Format, res.Protected, res.Method, tt.protected, tt.method)
			}
			if !reflect.DeepEqual(res.PlainEntries, tt.plain) {
				t.Errorf("PlainEntries = %q, want %q", res.PlainEntries, tt.plain)
			}
			if !hasNote(res, tt.note) {
				t.Errorf("no note %q in %q", tt.note, res.Notes)
			}
			if tt.nested != "" {
				if len(res.Nested) != 1 || res.Nested[0].Format != tt.nested || !res.Nested[0].Protected {
					t.Errorf("Nested = %+v", res.Nested)
				}
				if !res.PlainContainerOfProtected() {
					t.Error("a signed encrypted ZIP is a plain container of a protected file")
				}
			} else if len(res.Nested) != 0 {
				t.Errorf("Nested = %+v", res.Nested)
			}
		})
	}
}

func TestSMIMESignedContent(t *testing.T) {
	for _, file := range []string{"smime-signed.p7m", "smime-signed-ber.p7m"} {
		b := fixture(t, file)
		got, err := SMIMESignedContent(bytes.NewReader(b), int64(len(b)), Limits{})
		if err != nil || string(got) != "hello, world\n" {
			t.Errorf("%s: %q, %v", file, got, err)
		}
	}
	b := fixture(t, "smime-signed-zip.p7m")
	if got, err := SMIMESignedContent(bytes.NewReader(b), int64(len(b)), Limits{}); err != nil || !bytes.HasPrefix(got, []byte("PK\x03\x04")) {
		t.Errorf("zip: %.8q, %v", got, err)
	}
	if _, err := SMIMESignedContent(bytes.NewReader(b), int64(len(b)), Limits{MaxBytes: 100}); !errors.Is(err, ErrUnscannable) {
		t.Errorf("over the limit: %v", err)
	}
	b = fixture(t, "smime-enveloped.p7m")
	if _, err := SMIMESignedContent(bytes.NewReader(b), int64(len(b)), Limits{}); !errors.Is(err, ErrUnscannable) {
		t.Errorf("enveloped: %v", err)
	}
}

// DER helpers for hand-made CMS structures.
func der(tag byte, parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	n := len(body)
	var h []byte
	switch {
	case n < 0x80:
		h = []byte{tag, byte(n)}
	case n < 0x100:
		h = []byte{tag, 0x81, byte(n)}
	case n < 0x10000:
		h = []byte{tag, 0x82, byte(n >> 8), byte(n)}
	default:
		h = []byte{tag, 0x83, byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return append(h, body...)
}

// ber writes an indefinite-length constructed element.
func ber(tag byte, parts ...[]byte) []byte {
	return append(append([]byte{tag, 0x80}, bytes.Join(parts, nil)...), 0, 0)
}

func oid(contents ...byte) []byte { return der(0x06, contents) }

var (
	oidData       = oid(0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01)
	oidSigned     = oid(0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02)
	oidSignedEnv  = oid(0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x04)
	oidEncrypted  = oid(0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x06)
	oidUnknown    = oid(0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x09)
	oidCompressed = oid(0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x09)
	oidAES256CBC  = oid(0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2A)
	oid3DES       = oid(0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x03, 0x07)
	derInt0       = []byte{0x02, 0x01, 0x00}
)

func contentInfo(typ []byte, content ...[]byte) []byte {
	if len(content) == 0 {
		return der(0x30, typ)
	}
	return der(0x30, typ, der(0xA0, content...))
}

// encryptedContentInfo: data, an algorithm, [0] IMPLICIT ciphertext.
func encryptedContentInfo(alg []byte) []byte {
	return der(0x30, oidData, der(0x30, alg, der(0x04, make([]byte, 16))), der(0x80, bytes.Repeat([]byte{0xEE}, 32)))
}

// signedData with content (nil: detached).
func signedData(content []byte) []byte {
	encap := der(0x30, oidData)
	if content != nil {
		encap = der(0x30, oidData, der(0xA0, der(0x04, content)))
	}
	return der(0x30, []byte{0x02, 0x01, 0x01}, der(0x31), encap, der(0x31))
}

func TestInspectSMIMEHandMade(t *testing.T) {
	zipCrypto := fixture(t, "zipcrypto.zip")
	// A BER signedData whose content is a segmented OCTET STRING.
	segmented := ber(0x30, oidSigned, ber(0xA0, ber(0x30, []byte{0x02, 0x01, 0x01}, der(0x31),
		ber(0x30, oidData, ber(0xA0, ber(0x24, der(0x04, zipCrypto[:100]), der(0x04, zipCrypto[100:])))), der(0x31))))
	deep := append([]byte{0x30, 0x80}, oidSigned...)
	deep = append(deep, bytes.Repeat([]byte{0xA0, 0x80}, 200)...)
	many := append([]byte{0x30, 0x80}, oidSigned...)
	many = append(many, 0xA0, 0x80, 0x30, 0x80)
	many = append(many, bytes.Repeat([]byte{0x04, 0x00}, berMaxSteps+1)...)
	enveloped := fixture(t, "smime-enveloped.p7m")
	tests := []struct {
		name      string
		b         []byte
		protected bool
		method    string
		want      string // a note, or "!" and the Unscannable reason
	}{
		{"encryptedData", contentInfo(oidEncrypted, der(0x30, derInt0, encryptedContentInfo(oidAES256CBC))), true, "CMS encryptedData (AES-256-CBC)", ""},
		{"signedAndEnvelopedData", contentInfo(oidSignedEnv, der(0x30, derInt0, der(0x31, der(0x30, derInt0)), der(0x31), encryptedContentInfo(oid3DES))), true, "PKCS #7 signedAndEnveloped (3DES-CBC)", "1 recipient(s)"},
		{"data", contentInfo(oidData, der(0x04, []byte("hello"))), false, "", "CMS data: not encrypted"},
		{"data without content", contentInfo(oidData), false, "", "CMS data: not encrypted"},
		{"compressedData", contentInfo(oidCompressed, der(0x30, derInt0)), false, "", "compressed data"},
		{"detached signature", contentInfo(oidSigned, signedData(nil)), false, "", "detached signature"},
		{"signed MIME entity", contentInfo(oidSigned, signedData([]byte("Content-Type: text/plain\r\n\r\nhi\r\n"))), false, "", "MIME entity"},
		{"signed segmented BER", segmented, false, "", "signed, not encrypted"},
		{"signed enveloped", contentInfo(oidSigned, signedData(enveloped)), false, "", "signed, not encrypted"},
		{"unknown type", contentInfo(oidUnknown, der(0x30)), false, "", "!content type 1.2.840.113549.1.7.9 is not known"},
		{"truncated", enveloped[:len(enveloped)/2], false, "", "!corrupt"},
		{"appended zip", append(bytes.Clone(enveloped), zipCrypto...), false, "", "!after its end (appended data)"},
		{"trailing newline", append(bytes.Clone(enveloped), '\r', '\n'), true, "S/MIME enveloped (AES-256-CBC)", ""},
		{"deep nesting", deep, false, "", "!too deeply nested"},
		{"a million segments", many, false, "", "!too many elements"},
		{"PEM with data after it", []byte("-----BEGIN PKCS7-----\n" + base64.StdEncoding.EncodeToString(enveloped) + "\n-----END PKCS7-----\nPK\x03\x04"), false, "", "!followed by other data"},
		{"PEM without END", []byte("-----BEGIN PKCS7-----\nMIIB\n"), false, "", "!no END line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res := inspectBytes(tt.b, Limits{})
			if res.Format != FormatSMIME || res.Protected != tt.protected || res.Method != tt.method {
				t.Errorf("got %q protected %v method %q unscannable %q, want smime %v %q", res.Format, res.Protected, res.Method, res.Unscannable, tt.protected, tt.method)
			}
			switch {
			case strings.HasPrefix(tt.want, "!"):
				if !strings.Contains(res.Unscannable, tt.want[1:]) {
					t.Errorf("Unscannable = %q, want %q", res.Unscannable, tt.want[1:])
				}
			case res.Unscannable != "":
				t.Errorf("Unscannable = %q", res.Unscannable)
			case tt.want != "" && !hasNote(res, tt.want):
				t.Errorf("no note %q in %q", tt.want, res.Notes)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	// The segmented content is put together and inspected.
	res := inspectBytes(segmented, Limits{})
	if len(res.Nested) != 1 || !res.Nested[0].Protected || res.Nested[0].Method != "ZipCrypto" {
		t.Errorf("segmented: Nested = %+v", res.Nested)
	}
	// Signed enveloped data: the inner CMS file is recognised too.
	res = inspectBytes(contentInfo(oidSigned, signedData(enveloped)), Limits{})
	if len(res.Nested) != 1 || res.Nested[0].Format != FormatSMIME || !res.Nested[0].Protected || !res.PlainContainerOfProtected() {
		t.Errorf("signed enveloped: Nested = %+v", res.Nested)
	}
}

// Binary files that merely start with a SEQUENCE stay unknown.
func TestInspectSMIMENotCMS(t *testing.T) {
	for _, b := range [][]byte{
		{0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x00},                       // SEQUENCE of INTEGER (a certificate, a key)
		append([]byte{0x30, 0x0B}, oid(0x2B, 0x06, 0x01, 0x05, 0x05)...), // another OID
		append([]byte{0x30, 0x89}, oidSigned...),                         // impossible length
		[]byte("0\x80"),                                                  // too short
	} {
		if res := inspectBytes(b, Limits{}); res.Format != FormatUnknown || res.Unscannable != "" {
			t.Errorf("% x: %+v", b, res)
		}
	}
}

func TestOIDString(t *testing.T) {
	for in, want := range map[string]string{
		"\x2A\x86\x48\x86\xF7\x0D\x01\x07\x03":         "1.2.840.113549.1.7.3",
		"\x60\x86\x48\x01\x65\x03\x04\x01\x2A":         "2.16.840.1.101.3.4.1.42",
		"\x2A\x86\x48\x86\xF7\x0D\x01\x09\x10\x01\x17": "1.2.840.113549.1.9.16.1.23",
		"\x88\x37": "2.999",
		"\x86":     "", // truncated
	} {
		if got := oidString([]byte(in)); got != want {
			t.Errorf("% x: %q, want %q", in, got, want)
		}
	}
}
