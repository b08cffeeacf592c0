package encryption

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
)

const (
	docPW      = "secret123"
	docOwnerPW = "owner456"
)

// Verifiers computed with Debian's python3-msoffcrypto-tool 5.0.0 (an
// independent implementation), salt 00..0f, verifier 10..1f:
//
//	rc4_cryptoapi._makekey(pw, salt, bits, 0) -> ARC4 over verifier+sha1(verifier)
//	rc4._makekey(pw, salt, 0)                 -> ARC4 over verifier+md5(verifier)
//	ECMA376Standard.makekey_from_password(pw, 0x660e, 0x8004, 0x18, 128, 16, salt)
//	                                          -> AES-ECB over verifier, sha1(verifier)+12 zero bytes
var (
	katSalt = ofHex("000102030405060708090a0b0c0d0e0f")
	// password -> encryptedVerifier, encryptedVerifierHash
	katCryptoAPI128 = map[string][2][]byte{
		docPW:                     {ofHex("953c3553d21055377fde3713af51554c"), ofHex("d2a8666c386f0e049f707896b767f0e694aad8df")},
		powerPointDefaultPassword: {ofHex("b45d085644806709c1b0ede3a4c7e61c"), ofHex("6546bfc31911897984ce7bc87b53c557cdaddc1e")},
		excelDefaultPassword:      {ofHex("d450d6e1a56ca0ad1f5f1dbdb3837575"), ofHex("02d09feac72b2b48ed3d4117812c077ce90f780e")},
	}
	katCryptoAPI40 = map[string][2][]byte{
		docPW: {ofHex("f42c20566b63cf17f9073cb8a7a0f145"), ofHex("34b110db625d60e8f951838e979a130eafc65fc3")},
	}
	katRC4 = map[string][2][]byte{
		docPW:                {ofHex("33e7bda023b01f1794afd2f953ad36eb"), ofHex("eb7270c1ac757223ca9454772f082509")},
		excelDefaultPassword: {ofHex("75893a71a012720e88b0c355190404ef"), ofHex("7952c14f1ebd3eec4903dea40b7cc250")},
	}
	katStandard = [2][]byte{ofHex("efdd00233ea8014df185d4762a7e090b"),
		ofHex("5e1c134e9a78676965a80e0cf2a5c7369356dc8d2af2511d33dab3d40a11bccc")}
)

func ofHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func ofLE16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func ofLE32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func ofCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func ofUTF16Z(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, ofLE16(u)...)
	}
	return append(b, 0, 0)
}

// cryptoAPIInfo builds an EncryptionVersionInfo, EncryptionHeader and
// EncryptionVerifier ([MS-OFFCRYPTO] 2.3.5.1 / 2.3.4.5).
func cryptoAPIBlob(major uint16, flags, algID, keyBits uint32, csp string, v [2][]byte) []byte {
	hdr := ofCat(ofLE32(flags), ofLE32(0), ofLE32(algID), ofLE32(0x8004), ofLE32(keyBits), ofLE32(0x18), ofLE32(0), ofLE32(0), ofUTF16Z(csp))
	return ofCat(ofLE16(major), ofLE16(2), ofLE32(flags), ofLE32(uint32(len(hdr))), hdr,
		ofLE32(16), katSalt, v[0], ofLE32(20), v[1])
}

func rc4CryptoAPIBlob(pw string, keyBits uint32) []byte {
	v := katCryptoAPI128[pw]
	if keyBits == 40 {
		v = katCryptoAPI40[pw]
	}
	return cryptoAPIBlob(4, fCryptoAPI, algRC4, keyBits, "Microsoft Enhanced Cryptographic Provider v1.0", v)
}

func rc4Blob(pw string) []byte {
	return ofCat(ofLE16(1), ofLE16(1), katSalt, katRC4[pw][0], katRC4[pw][1])
}

// wordCFB is a Word document: FibBase (flags at 0x0A, lKey at 0x0E) and a
// table stream that starts with the encryption header.
func wordCFB(nFib, flags uint16, lKey uint32, tableName string, table []byte) []byte {
	fib := make([]byte, 1024)
	copy(fib, ofCat(ofLE16(0xA5EC), ofLE16(nFib), ofLE16(0), ofLE16(0x0411), ofLE16(0), ofLE16(flags), ofLE16(0xBF), ofLE32(lKey)))
	specs := []cfbSpec{cfbStreamOf("WordDocument", fib)}
	if tableName != "" {
		specs = append(specs, cfbStreamOf(tableName, append(append([]byte(nil), table...), make([]byte, 512)...)))
	}
	return buildCFB(specs...)
}

func biffRecord(typ uint16, body []byte) []byte {
	return ofCat(ofLE16(typ), ofLE16(uint16(len(body))), body)
}

var (
	biff8BOF = biffRecord(biffBOF, ofCat(ofLE16(0x0600), ofLE16(0x0005), make([]byte, 12)))
	biffEnd  = biffRecord(biffEOF, nil)
)

func xlsCFB(streamName string, records ...[]byte) []byte {
	return buildCFB(cfbStreamOf(streamName, ofCat(records...)))
}

func filePassCryptoAPI(pw string) []byte {
	return biffRecord(biffFilePass, ofCat(ofLE16(1), rc4CryptoAPIBlob(pw, 128)))
}
func filePassXOR(verifier uint16) []byte {
	return biffRecord(biffFilePass, ofCat(ofLE16(0), ofLE16(0x1234), ofLE16(verifier)))
}

// pptCFB lays out a PowerPoint document: CryptSession10Container at 0
// (when encInfo is set), PersistDirectoryAtom, UserEditAtom; Current User
// points at the UserEditAtom.
func pptCFB(token uint32, encInfo []byte, userEditLen int, ref uint32) []byte {
	var doc []byte
	if encInfo != nil {
		doc = ofCat(ofLE16(0x000F), ofLE16(pptCryptSession10), ofLE32(uint32(len(encInfo))), encInfo)
	}
	pdOff := uint32(len(doc))
	doc = ofCat(doc, ofLE16(0), ofLE16(pptPersistDirectory), ofLE32(8), ofLE32(1|1<<20), ofLE32(0))
	ueOff := uint32(len(doc))
	ue := ofCat(ofLE32(0), ofLE16(0), []byte{0, 3}, ofLE32(0), ofLE32(pdOff), ofLE32(1), ofLE32(2), ofLE16(1), ofLE16(0), ofLE32(ref))
	doc = ofCat(doc, ofLE16(0), ofLE16(pptUserEditAtom), ofLE32(uint32(userEditLen)), ue[:userEditLen])
	user := "sendguard"
	cu := ofCat(ofLE32(0x14), ofLE32(token), ofLE32(ueOff), ofLE16(uint16(len(user))), ofLE16(0x03F4), []byte{3, 0}, ofLE16(0), []byte(user), ofLE32(8))
	cu = ofCat(ofLE16(0), ofLE16(pptCurrentUserAtom), ofLE32(uint32(len(cu))), cu)
	return buildCFB(cfbStreamOf("Current User", cu), cfbStreamOf("PowerPoint Document", doc))
}

func encryptedOOXMLCFB(info []byte) []byte {
	pkg := ofCat(binary.LittleEndian.AppendUint64(nil, 100), make([]byte, 112))
	return buildCFB(cfbStreamOf("EncryptionInfo", info), cfbStreamOf("EncryptedPackage", pkg),
		cfbSpec{name: "\x06DataSpaces", storage: true})
}

func agileInfo(keyEncryptors string) []byte {
	x := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" +
		`<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" ` +
		`xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password" ` +
		`xmlns:c="http://schemas.microsoft.com/office/2006/keyEncryptor/certificate">` +
		`<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" ` +
		`cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="AAECAwQFBgcICQoLDA0ODw=="/>` +
		`<dataIntegrity encryptedHmacKey="" encryptedHmacValue=""/><keyEncryptors>` + keyEncryptors +
		`</keyEncryptors></encryption>`
	return ofCat(ofLE16(4), ofLE16(4), ofLE32(0x40), []byte(x))
}

const certEncryptor = `<keyEncryptor uri="http://schemas.microsoft.com/office/2006/keyEncryptor/certificate">` +
	`<c:encryptedKey encryptedKeyValue="AAAA" x509Certificate="AAAA" certVerifier="AAAA"/></keyEncryptor>`

// fixtureStream returns a stream of a compound-file fixture.
func fixtureStream(t testing.TB, file, name string) []byte {
	t.Helper()
	c, err := openCFBBytes(fixture(t, file), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	e := c.lookup(name)
	if e == nil {
		t.Fatalf("%s has no %s", file, name)
	}
	b, err := c.stream(e, e.size)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// syntheticOffice returns the synthetic documents of the tests below, as
// fuzzing seeds.
func syntheticOffice(t testing.TB) [][]byte {
	return [][]byte{
		wordCFB(0xC1, 0x0100|0x0200, uint32(len(rc4CryptoAPIBlob(docPW, 128))), "1Table", rc4CryptoAPIBlob(docPW, 128)),
		wordCFB(0xC1, 0x0100|0x8000, 0xBEEF, "1Table", nil),
		xlsCFB("Workbook", biff8BOF, filePassCryptoAPI(docPW), biffEnd),
		xlsCFB("Workbook", biff8BOF, filePassXOR(0x9A0A), biffEnd),
		pptCFB(pptTokenEncrypted, rc4CryptoAPIBlob(docPW, 128), 0x20, 1),
		encryptedOOXMLCFB(agileInfo(certEncryptor)),
		encryptedOOXMLCFB(cryptoAPIBlob(4, fCryptoAPI|fAES, algAES128, 128, "Microsoft Enhanced RSA and AES Cryptographic Provider", katStandard)),
	}
}

// Fixtures made by LibreOffice and officecrypto-tool (make.sh).
func TestInspectOfficeFixtures(t *testing.T) {
	tests := []struct {
		file      string
		format    Format
		protected bool
		method    string
		note      string // a note that must be there
	}{
		{"office-plain.doc", FormatCFB, false, "", "Word 97-2003 document"},
		{"office-plain.xls", FormatCFB, false, "", "Excel 97-2003 workbook"},
		{"office-plain.ppt", FormatCFB, false, "", "PowerPoint 97-2003 presentation"},
		{"office-rc4.doc", FormatCFB, true, "RC4", "Office 97/2000 RC4 encryption (40-bit key, MD5): weak"},
		{"office-rc4.xls", FormatCFB, true, "RC4", "Excel 97-2003 workbook"},
		// Workbook structure protection without a password: encrypted
		// with VelvetSweatshop, which Excel tries silently.
		{"office-velvet.xls", FormatCFB, false, "RC4", `built-in password "VelvetSweatshop"`},
		{"office-plain.docx", FormatOOXML, false, "", ""},
		{"office-plain.xlsx", FormatOOXML, false, "", ""},
		{"office-plain.pptx", FormatOOXML, false, "", ""},
		{"office-agile.docx", FormatCFB, true, "Agile AES-256", "Agile encryption: AES-256-CBC, SHA512, 100000 spins"},
		{"office-agile.xlsx", FormatCFB, true, "Agile AES-256", ""},
		{"office-agile.pptx", FormatCFB, true, "Agile AES-256", ""},
		{"office-standard.docx", FormatCFB, true, "Standard AES-128", "Standard encryption 4.2: AES-128-ECB"},
		{"office-standard.xlsx", FormatCFB, true, "Standard AES-128", ""},
		{"office-velvet.xlsx", FormatCFB, false, "Agile AES-256", `built-in password "VelvetSweatshop"`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			res := inspectBytes(fixture(t, tt.file), Limits{})
			if res.Unscannable != "" {
				t.Fatalf("Unscannable = %q", res.Unscannable)
			}
			if res.Format != tt.format || res.Protected != tt.protected || res.Method != tt.method {
				t.Errorf("got format %q protected %v method %q, want %q %v %q",
					res.Format, res.Protected, res.Method, tt.format, tt.protected, tt.method)
			}
			if tt.note != "" && !hasNote(res, tt.note) {
				t.Errorf("notes %q lack %q", res.Notes, tt.note)
			}
		})
	}
}

// checkDocument compares Inspect's result for a document of format with
// what is wanted: unscannable (a part of the reason) when not "", else
// protected, method and a note (a part of one) when not "".
func checkDocument(t *testing.T, res Result, format Format, protected bool, method, note, unscannable string) {
	t.Helper()
	if res.Format != format {
		t.Fatalf("Format = %q", res.Format)
	}
	if unscannable != "" {
		if !strings.Contains(res.Unscannable, unscannable) || res.Protected {
			t.Fatalf("got %+v, want unscannable %q", res, unscannable)
		}
		return
	}
	if res.Unscannable != "" {
		t.Fatalf("Unscannable = %q", res.Unscannable)
	}
	if res.Protected != protected || res.Method != method {
		t.Errorf("got protected %v method %q, want %v %q (notes %q)", res.Protected, res.Method, protected, method, res.Notes)
	}
	if note != "" && !hasNote(res, note) {
		t.Errorf("notes %q lack %q", res.Notes, note)
	}
}

// Documents no tool here writes, built from [MS-CFB], [MS-DOC], [MS-XLS],
// [MS-PPT] and [MS-OFFCRYPTO].
func TestInspectOfficeSynthetic(t *testing.T) {
	cryptoAPI := rc4CryptoAPIBlob(docPW, 128)
	n := uint32(len(cryptoAPI))
	agileStream := fixtureStream(t, "office-agile.docx", "EncryptionInfo")
	highSpin := bytes.Replace(agileStream, []byte(`spinCount="100000"`), []byte(`spinCount="2000000"`), 1)
	hugeSpin := bytes.Replace(agileStream, []byte(`spinCount="100000"`), []byte(`spinCount="20000000"`), 1)
	rc2 := bytes.Replace(agileStream, []byte(`cipherAlgorithm="AES"`), []byte(`cipherAlgorithm="RC2"`), -1)
	standard := cryptoAPIBlob(4, fCryptoAPI|fAES, algAES128, 128, "Microsoft Enhanced RSA and AES Cryptographic Provider", katStandard)
	plainXLSX := fixture(t, "office-plain.xlsx")
	tests := []struct {
		name        string
		b           []byte
		protected   bool
		method      string
		note        string
		unscannable string
	}{
		// Word.
		{"doc RC4 CryptoAPI", wordCFB(0xC1, 0x0100|0x0200, n, "1Table", cryptoAPI), true, "RC4 CryptoAPI", "RC4 CryptoAPI encryption (128-bit key, SHA-1)", ""},
		{"doc RC4 CryptoAPI 40-bit, 0Table", wordCFB(0xC1, 0x0100, n, "0Table", rc4CryptoAPIBlob(docPW, 40)), true, "RC4 CryptoAPI", "40-bit key, SHA-1): weak", ""},
		{"doc RC4", wordCFB(0xC1, 0x0100|0x0200, 52, "1Table", rc4Blob(docPW)), true, "RC4", "", ""},
		{"doc XOR", wordCFB(0xC1, 0x0100|0x8000, 0xBEEF, "1Table", nil), true, "XOR obfuscation", "weak", ""},
		{"Word 95 encrypted", wordCFB(0x65, 0x0100, 0, "", nil), true, "XOR obfuscation", "Word 6/95 document", ""},
		{"doc plain, write-reserved", wordCFB(0xC1, 0x0800|0x0200, 0, "1Table", nil), false, "", "Word 97-2003 document", ""},
		{"doc table stream missing", wordCFB(0xC1, 0x0100|0x0200, n, "0Table", cryptoAPI), false, "", "", "CFB has no 1Table stream"},
		{"doc header larger than table", wordCFB(0xC1, 0x0100|0x0200, 1<<20, "1Table", cryptoAPI), false, "", "", "does not fit"},
		{"doc unknown encryption version", wordCFB(0xC1, 0x0100|0x0200, 60, "1Table", ofCat(ofLE16(9), ofLE16(9), make([]byte, 56))), false, "", "", "version 9.9 is unknown"},
		{"doc without FIB", buildCFB(cfbStreamOf("WordDocument", []byte("short"))), false, "", "", "no FibBase"},
		{"doc bad FIB", buildCFB(cfbStreamOf("WordDocument", make([]byte, 64))), false, "", "", "not 0xA5EC"},
		// Excel.
		{"xls RC4 CryptoAPI", xlsCFB("Workbook", biff8BOF, filePassCryptoAPI(docPW), biffEnd), true, "RC4 CryptoAPI", "", ""},
		{"xls after WriteProtect", xlsCFB("Workbook", biff8BOF, biffRecord(biffWriteProtect, nil), filePassCryptoAPI(docPW), biffEnd), true, "RC4 CryptoAPI", "", ""},
		{"xls RC4 CryptoAPI, VelvetSweatshop", xlsCFB("Workbook", biff8BOF, filePassCryptoAPI(excelDefaultPassword), biffEnd), false, "RC4 CryptoAPI", "VelvetSweatshop", ""},
		{"xls RC4, VelvetSweatshop", xlsCFB("Workbook", biff8BOF, biffRecord(biffFilePass, ofCat(ofLE16(1), rc4Blob(excelDefaultPassword))), biffEnd), false, "RC4", "VelvetSweatshop", ""},
		{"xls XOR", xlsCFB("Workbook", biff8BOF, filePassXOR(xorPasswordVerifier([]byte(docPW))), biffEnd), true, "XOR obfuscation", "weak", ""},
		{"xls XOR, VelvetSweatshop", xlsCFB("Workbook", biff8BOF, filePassXOR(0x9A0A), biffEnd), false, "XOR obfuscation", "VelvetSweatshop", ""},
		{"xls BIFF5 XOR", xlsCFB("Book", biffRecord(biffBOF, ofCat(ofLE16(0x0500), ofLE16(5), make([]byte, 4))),
			biffRecord(biffFilePass, ofCat(ofLE16(0x1234), ofLE16(xorPasswordVerifier([]byte(docPW))))), biffEnd), true, "XOR obfuscation", "Excel 5.0/95 workbook", ""},
		{"xls plain", xlsCFB("Workbook", biff8BOF, biffRecord(0x00E1, make([]byte, 2)), biffEnd), false, "", "Excel 97-2003 workbook", ""},
		{"xls FILEPASS out of place", xlsCFB("Workbook", biff8BOF, biffRecord(0x00E1, make([]byte, 2)), filePassCryptoAPI(docPW), biffEnd), false, "", "", "FILEPASS record is out of place"},
		{"xls no BOF", xlsCFB("Workbook", biffEnd), false, "", "", "not a BIFF5/BIFF8 BOF"},
		{"xls BIFF4", xlsCFB("Workbook", biffRecord(biffBOF, ofCat(ofLE16(0x0400), ofLE16(5))), biffEnd), false, "", "", "not BIFF5 or BIFF8"},
		{"xls record overruns", xlsCFB("Workbook", biff8BOF, ofCat(ofLE16(0x00E1), ofLE16(200), make([]byte, 10))), false, "", "", "is corrupt"},
		{"xls unknown FILEPASS type", xlsCFB("Workbook", biff8BOF, biffRecord(biffFilePass, ofCat(ofLE16(7), make([]byte, 8))), biffEnd), false, "", "", "encryption type 7 is unknown"},
		{"xls FILEPASS truncated", xlsCFB("Workbook", biff8BOF, biffRecord(biffFilePass, ofCat(ofLE16(1), cryptoAPI[:30])), biffEnd), false, "", "", "RC4 CryptoAPI encryption header"},
		// PowerPoint.
		{"ppt RC4 CryptoAPI", pptCFB(pptTokenEncrypted, cryptoAPI, 0x20, 1), true, "RC4 CryptoAPI", "PowerPoint 97-2003 presentation", ""},
		{"ppt default password", pptCFB(pptTokenEncrypted, rc4CryptoAPIBlob(powerPointDefaultPassword, 128), 0x20, 1), false, "RC4 CryptoAPI", "/01Hannes Ruescher/01", ""},
		{"ppt plain", pptCFB(pptTokenPlain, nil, 0x1C, 0), false, "", "PowerPoint 97-2003 presentation", ""},
		{"ppt token says plain", pptCFB(pptTokenPlain, cryptoAPI, 0x20, 1), false, "", "", "disagree about encryption"},
		{"ppt token says encrypted", pptCFB(pptTokenEncrypted, nil, 0x1C, 0), false, "", "", "disagree about encryption"},
		{"ppt session not in directory", pptCFB(pptTokenEncrypted, cryptoAPI, 0x20, 7), false, "", "", "persist object 7 (the encryption session) is not in the persist directory"},
		{"ppt bad token", pptCFB(0x12345678, nil, 0x1C, 0), false, "", "", "header token"},
		{"ppt no Current User", buildCFB(cfbStreamOf("PowerPoint Document", make([]byte, 100))), false, "", "", "no Current User stream"},
		// Encrypted OOXML.
		{"Standard AES-128", encryptedOOXMLCFB(standard), true, "Standard AES-128", "", ""},
		{"Standard RC4 is not ECMA-376", encryptedOOXMLCFB(cryptoAPIBlob(4, fCryptoAPI, algRC4, 128, "", katCryptoAPI128[docPW])), false, "", "", "ECMA-376 requires AES"},
		// Excel's built-in password cannot be ruled out: fail closed.
		{"Extensible", encryptedOOXMLCFB(ofCat(ofLE16(4), ofLE16(3), make([]byte, 64))), false, "", "", "cannot check Excel's built-in password: the Extensible encryption"},
		{"Agile for certificates only", encryptedOOXMLCFB(agileInfo(certEncryptor)), true, "Agile AES-256", "certificates only", ""},
		{"Agile without key encryptors", encryptedOOXMLCFB(agileInfo("")), false, "", "", "no password or certificate key encryptor"},
		{"Agile XML broken", encryptedOOXMLCFB(ofCat(ofLE16(4), ofLE16(4), ofLE32(0x40), []byte("<encryption><keyData"))), false, "", "", "XML is corrupt"},
		{"Agile spin count over the Inspect limit", encryptedOOXMLCFB(highSpin), false, "", "", "spin count 2000000 is over the 1000000"},
		{"Agile spin count over the specification", encryptedOOXMLCFB(hugeSpin), false, "", "", "spin count 20000000 is out of range"},
		{"Agile RC2", encryptedOOXMLCFB(rc2), false, "", "", "RC2/ChainingModeCBC"},
		{"EncryptionInfo version 9.9", encryptedOOXMLCFB(ofCat(ofLE16(9), ofLE16(9), make([]byte, 64))), false, "", "", "version 9.9 is unknown"},
		{"EncryptionInfo without a package", buildCFB(cfbStreamOf("EncryptionInfo", standard)), false, "", "", "no EncryptedPackage stream"},
		{"package without EncryptionInfo", buildCFB(cfbStreamOf("EncryptedPackage", make([]byte, 64))), false, "", "", "no EncryptionInfo stream"},
		{"EncryptionInfo is a storage", buildCFB(cfbSpec{name: "EncryptionInfo", storage: true}, cfbStreamOf("EncryptedPackage", make([]byte, 64))), false, "", "", "is a storage"},
		{"plain xlsx inside EncryptedPackage", buildCFB(cfbStreamOf("EncryptionInfo", standard), cfbStreamOf("EncryptedPackage", ofCat(binary.LittleEndian.AppendUint64(nil, uint64(len(plainXLSX))), plainXLSX)), cfbSpec{name: "\x06DataSpaces", storage: true}),
			false, "", "", "holds readable data, not ciphertext"},
		{"text inside EncryptedPackage", buildCFB(cfbStreamOf("EncryptionInfo", standard), cfbStreamOf("EncryptedPackage", ofCat(binary.LittleEndian.AppendUint64(nil, uint64(len(meibo))), meibo))),
			false, "", "", "holds readable data, not ciphertext"},
		{"package shorter than it says", buildCFB(cfbStreamOf("EncryptionInfo", standard), cfbStreamOf("EncryptedPackage", ofCat(binary.LittleEndian.AppendUint64(nil, 1000), make([]byte, 64)))), false, "", "", "declares 1000 bytes"},
		// Ambiguous and unknown containers.
		{"Word document and encrypted package", buildCFB(cfbStreamOf("WordDocument", make([]byte, 64)), cfbStreamOf("EncryptionInfo", standard), cfbStreamOf("EncryptedPackage", make([]byte, 64))),
			false, "", "", "an application could open either"},
		{"Word and Excel", buildCFB(cfbStreamOf("WordDocument", make([]byte, 64)), cfbStreamOf("Workbook", biff8BOF)), false, "", "", "an application could open either"},
		{"not an Office document", buildCFB(cfbStreamOf("__substg1.0_0037001F", []byte("subject"))), false, "", "holds no Word, Excel or PowerPoint document", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkDocument(t, inspectBytes(tt.b, Limits{}), FormatCFB, tt.protected, tt.method, tt.note, tt.unscannable)
		})
	}
}

// Known answers from msoffcrypto-tool, and the XOR verifier of Excel's
// default password ([MS-OFFCRYPTO] 2.3.7.1; 0x9A0A is also in
// msoffcrypto-tool's documentation).
func TestOfficeVerifierVectors(t *testing.T) {
	info := func(keyBits int, v [2][]byte, aes bool) *cryptoAPIInfo {
		a := &cryptoAPIInfo{algID: algRC4, keyBits: keyBits, salt: katSalt, encVerifier: v[0], encVerifierHash: v[1]}
		if aes {
			a.algID = algAES128
		}
		return a
	}
	tests := []struct {
		name string
		v    officeVerifier
		pw   string
	}{
		{"RC4 CryptoAPI 128", &rc4CryptoAPIVerifier{a: info(128, katCryptoAPI128[docPW], false)}, docPW},
		{"RC4 CryptoAPI 40", &rc4CryptoAPIVerifier{a: info(40, katCryptoAPI40[docPW], false)}, docPW},
		{"RC4 CryptoAPI default", &rc4CryptoAPIVerifier{a: info(128, katCryptoAPI128[powerPointDefaultPassword], false)}, powerPointDefaultPassword},
		{"RC4", &rc4Verifier{salt: katSalt, encVerifier: katRC4[docPW][0], encVerifierHash: katRC4[docPW][1]}, docPW},
		{"Standard", &standardVerifier{a: info(128, katStandard, true)}, docPW},
		{"XOR VelvetSweatshop", &xorVerifier{verifier: 0x9A0A}, excelDefaultPassword},
	}
	for _, tt := range tests {
		if !tt.v.verify(tt.pw) {
			t.Errorf("%s: %q rejected", tt.name, tt.pw)
		}
		for _, wrong := range []string{"", "secret124", tt.pw + "x"} {
			if tt.v.verify(wrong) {
				t.Errorf("%s: %q accepted", tt.name, wrong)
			}
		}
	}
}

func TestOfficePasswordChecker(t *testing.T) {
	cryptoAPI := rc4CryptoAPIBlob(docPW, 128)
	tests := []struct {
		name   string
		b      []byte
		method string
		pw     string
	}{
		{"office-agile.docx", fixture(t, "office-agile.docx"), "Agile AES-256", docPW},
		{"office-agile.xlsx", fixture(t, "office-agile.xlsx"), "Agile AES-256", docPW},
		{"office-agile.pptx", fixture(t, "office-agile.pptx"), "Agile AES-256", docPW},
		{"office-standard.docx", fixture(t, "office-standard.docx"), "Standard AES-128", docPW},
		{"office-standard.xlsx", fixture(t, "office-standard.xlsx"), "Standard AES-128", docPW},
		{"office-velvet.xlsx", fixture(t, "office-velvet.xlsx"), "Agile AES-256", excelDefaultPassword},
		{"office-rc4.doc", fixture(t, "office-rc4.doc"), "RC4", docPW},
		{"office-rc4.xls", fixture(t, "office-rc4.xls"), "RC4", docPW},
		{"office-velvet.xls", fixture(t, "office-velvet.xls"), "RC4", excelDefaultPassword},
		{"synthetic doc RC4 CryptoAPI", wordCFB(0xC1, 0x0300, uint32(len(cryptoAPI)), "1Table", cryptoAPI), "RC4 CryptoAPI", docPW},
		{"synthetic xls RC4 CryptoAPI", xlsCFB("Workbook", biff8BOF, filePassCryptoAPI(docPW), biffEnd), "RC4 CryptoAPI", docPW},
		{"synthetic ppt RC4 CryptoAPI", pptCFB(pptTokenEncrypted, cryptoAPI, 0x20, 1), "RC4 CryptoAPI", docPW},
		{"synthetic xls XOR", xlsCFB("Workbook", biff8BOF, filePassXOR(xorPasswordVerifier([]byte(docPW))), biffEnd), "XOR obfuscation", docPW},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewOfficePasswordChecker(bytes.NewReader(tt.b), int64(len(tt.b)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if c.Method() != tt.method {
				t.Errorf("Method = %q, want %q", c.Method(), tt.method)
			}
			cands := map[string]bool{tt.pw: true, "wrong": false}
			if !strings.HasPrefix(tt.method, "Agile") { // 100000 rounds of SHA-512 each: keep it short
				cands[""], cands[docOwnerPW], cands[tt.pw+"x"] = false, false, false
			}
			for pw, want := range cands {
				if ok, err := c.Check(pw); err != nil || ok != want {
					t.Errorf("Check(%q) = %v, %v; want %v", pw, ok, err, want)
				}
			}
		})
	}
}

func TestOfficePasswordCheckerErrors(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"plain doc", fixture(t, "office-plain.doc"), ErrNotEncrypted},
		{"plain xls", fixture(t, "office-plain.xls"), ErrNotEncrypted},
		{"plain docx (a ZIP)", fixture(t, "office-plain.docx"), ErrNotEncrypted},
		{"certificates only", encryptedOOXMLCFB(agileInfo(certEncryptor)), ErrCannotVerify},
		{"Extensible", encryptedOOXMLCFB(ofCat(ofLE16(4), ofLE16(3), make([]byte, 64))), ErrCannotVerify},
		{"Word XOR", wordCFB(0xC1, 0x0100|0x8000, 0xBEEF, "1Table", nil), ErrCannotVerify},
		{"corrupt CFB", fixture(t, "office-rc4.doc")[:1000], ErrUnscannable},
		{"a PDF", fixture(t, "pdf-aes256.pdf"), ErrUnscannable},
		{"nothing", nil, ErrUnscannable},
	}
	for _, tt := range tests {
		_, err := NewOfficePasswordChecker(bytes.NewReader(tt.b), int64(len(tt.b)), Limits{})
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// Concurrent checks against one checker (run with -race).
func TestOfficePasswordCheckerConcurrent(t *testing.T) {
	b := fixture(t, "office-standard.docx")
	c, err := NewOfficePasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	for _, pw := range []string{docPW, "a", "b", docPW} {
		go func() {
			ok, _ := c.Check(pw)
			done <- ok == (pw == docPW)
		}()
	}
	for i := 0; i < 4; i++ {
		if !<-done {
			t.Error("wrong answer under concurrency")
		}
	}
}

// An encrypted document inside a plain ZIP is inspected as nested.
func TestOfficeNestedInZip(t *testing.T) {
	z := goZip(t, map[string][]byte{"report.doc": fixture(t, "office-rc4.doc"), "plan.pdf": fixture(t, "pdf-aes256.pdf")},
		"report.doc", "plan.pdf")
	res := inspectBytes(z, Limits{})
	if res.Protected || len(res.Nested) != 2 || !res.PlainContainerOfProtected() {
		t.Fatalf("got %+v", res)
	}
	if res.Nested[0].Method != "RC4" || res.Nested[1].Method != "AES-256" {
		t.Errorf("nested methods %q, %q", res.Nested[0].Method, res.Nested[1].Method)
	}
}

// Cost of one candidate password, per method.
func BenchmarkOfficePasswordCheck(b *testing.B) {
	cryptoAPI := rc4CryptoAPIBlob(docPW, 128)
	for _, bc := range []struct {
		name string
		file []byte
	}{
		{"Agile-AES256-SHA512-100000", fixture(b, "office-agile.docx")},
		{"Standard-AES128-SHA1-50000", fixture(b, "office-standard.docx")},
		{"RC4CryptoAPI", wordCFB(0xC1, 0x0300, uint32(len(cryptoAPI)), "1Table", cryptoAPI)},
		{"RC4", fixture(b, "office-rc4.doc")},
		{"XOR", xlsCFB("Workbook", biff8BOF, filePassXOR(0x9A0A), biffEnd)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := NewOfficePasswordChecker(bytes.NewReader(bc.file), int64(len(bc.file)), Limits{})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.Check("wrong password")
			}
		})
	}
}
