package encryption

// Office documents in a CFB (OLE2) container, from [MS-OFFCRYPTO],
// [MS-DOC], [MS-XLS] and [MS-PPT]:
//
//   - encrypted OOXML (docx/xlsx/pptx with a password): the root storage
//     holds "EncryptionInfo" and "EncryptedPackage"; EncryptionInfo
//     version 4.4 is Agile encryption (an XML descriptor naming cipher,
//     hash and spin count, with a password and/or certificate key
//     encryptor), 2.2/3.2/4.2 Standard encryption (AES, SHA-1 with 50000
//     spins), 3.3/4.3 Extensible encryption;
//   - Word 97-2003: FibBase at the start of "WordDocument": fEncrypted
//     (0x0100) and fObfuscated (0x8000, XOR) in the flags at 0x0A; the
//     RC4 / RC4 CryptoAPI header is at the start of the table stream;
//   - Excel 97-2003: a FILEPASS record (0x002F) right after the BOF of
//     the "Workbook" stream ("Book" for BIFF5);
//   - PowerPoint 97-2003: "Current User" points at the UserEditAtom in
//     "PowerPoint Document"; a recLen of 0x20 adds
//     encryptSessionPersistIdRef, resolved through the persist directory
//     to a CryptSession10Container that holds the RC4 CryptoAPI header.
//
// Excel and PowerPoint encrypt with a built-in password when the user set
// none ([MS-OFFCRYPTO] 2.4.2.3, "write protection"): Excel's
// "VelvetSweatshop" (workbook structure protection, "password to
// modify"; every Excel format, so it is tried on encrypted OOXML too) and
// PowerPoint's "/01Hannes Ruescher/01". Such a file opens without a
// prompt: Inspect tries those passwords and reports the file as not
// protected when one opens it.
//
// No library: the structures are a few fixed-layout records read through
// the bounded CFB reader (cfb.go); the password checks are in
// officecrypto.go.

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxInspectSpin bounds the Agile spin count Inspect pays for when it
// tries a built-in password (Office writes 100000; [MS-OFFCRYPTO] allows
// up to 10000000, seconds of CPU per trial). Above it the file is
// unscannable rather than assumed to need a password. (A variable only so
// that FuzzCFB can lower it.)
var maxInspectSpin = 1000000

// Built-in passwords ([MS-OFFCRYPTO] 2.4.2.3).
const (
	excelDefaultPassword      = "VelvetSweatshop"
	powerPointDefaultPassword = "/01Hannes Ruescher/01"
)

// officeDoc is what analyzeOffice found in a compound file.
type officeDoc struct {
	kind      string // "encrypted OOXML package", "Word 97-2003 document", ...
	encrypted bool
	method    string
	notes     []string
	// verifier tests passwords; nil with verifyErr set when the file is
	// encrypted but its passwords cannot be tested.
	verifier  officeVerifier
	verifyErr error
	// defaults are built-in passwords the application tries silently.
	defaults []string
	app      string // application that uses them
}

// inspectCFB judges a compound file: an encrypted OOXML package or a
// legacy Word, Excel or PowerPoint document.
func (s *scanner) inspectCFB(r io.ReaderAt, size int64) Result {
	res := Result{Format: FormatCFB}
	d, err := s.analyzeOffice(r, size)
	if err != nil {
		res.Unscannable = err.Error()
		return res
	}
	res.Method, res.Notes = d.method, d.notes
	if !d.encrypted {
		return res
	}
	if len(d.defaults) > 0 {
		if d.verifier == nil {
			res.Unscannable = fmt.Sprintf("%s: cannot check %s's built-in password: %v", d.kind, d.app, d.verifyErr)
			return res
		}
		if sp, ok := d.verifier.(interface{ spins() int }); ok && sp.spins() > maxInspectSpin {
			res.Unscannable = fmt.Sprintf("%s: spin count %d is over the %d tried for %s's built-in password",
				d.kind, sp.spins(), maxInspectSpin, d.app)
			return res
		}
		for _, pw := range d.defaults {
			if d.verifier.verify(pw) {
				res.Notes = append(res.Notes, fmt.Sprintf(
					"encrypted with %s's built-in password %q (write protection, not a password to open): opens without a password",
					d.app, pw))
				return res
			}
		}
	}
	res.Protected = true
	return res
}

// analyzeOffice parses a compound file far enough to tell what it is and
// whether and how it is encrypted. An error is the reason it is
// unscannable.
func (s *scanner) analyzeOffice(r io.ReaderAt, size int64) (*officeDoc, error) {
	c, err := s.openCFB(r, size)
	if err != nil {
		if errors.Is(err, errCFBBudget) {
			return nil, fmt.Errorf("CFB exceeds the %d-byte limit", s.lim.MaxBytes)
		}
		return nil, err
	}
	encInfo, encPkg := c.lookup("EncryptionInfo"), c.lookup("EncryptedPackage")
	word := c.lookup("WordDocument")
	excel := c.lookup("Workbook")
	if excel == nil {
		excel = c.lookup("Book") // BIFF5
	}
	ppt := c.lookup("PowerPoint Document")

	var kinds []string
	if encInfo != nil || encPkg != nil {
		kinds = append(kinds, "an encrypted OOXML package")
	}
	if word != nil {
		kinds = append(kinds, "a Word document")
	}
	if excel != nil {
		kinds = append(kinds, "an Excel workbook")
	}
	if ppt != nil {
		kinds = append(kinds, "a PowerPoint presentation")
	}
	if len(kinds) > 1 {
		return nil, fmt.Errorf("CFB holds %s: an application could open either", strings.Join(kinds, " and "))
	}
	var d *officeDoc
	switch {
	case encInfo != nil || encPkg != nil:
		d, err = c.encryptedOOXML(encInfo, encPkg)
	case word != nil:
		d, err = c.wordDoc(word)
	case excel != nil:
		d, err = c.excelDoc(excel)
	case ppt != nil:
		d, err = c.pptDoc(ppt)
	default:
		return &officeDoc{kind: "CFB container", notes: []string{
			"CFB container holds no Word, Excel or PowerPoint document and no encrypted OOXML package"}}, nil
	}
	if errors.Is(err, errCFBBudget) {
		return nil, fmt.Errorf("CFB exceeds the %d-byte limit", s.lim.MaxBytes)
	}
	return d, err
}

// maxEncryptionInfo bounds EncryptionInfo and similar headers (Office
// writes about 1 KB).
const maxEncryptionInfo = 1 << 20

func (c *cfbFile) streamEntry(e *cfbEntry, what string) error {
	if e == nil {
		return fmt.Errorf("CFB has no %s stream", what)
	}
	if e.typ != cfbTypeStream {
		return fmt.Errorf("CFB %q is a storage, not a stream", e.name)
	}
	return nil
}

// encryptedOOXML reads EncryptionInfo ([MS-OFFCRYPTO] 2.3.4.5, 2.3.4.10).
func (c *cfbFile) encryptedOOXML(encInfo, encPkg *cfbEntry) (*officeDoc, error) {
	if err := c.streamEntry(encInfo, "EncryptionInfo"); err != nil {
		return nil, fmt.Errorf("encrypted OOXML package: %w", err)
	}
	if err := c.streamEntry(encPkg, "EncryptedPackage"); err != nil {
		return nil, fmt.Errorf("encrypted OOXML package: %w", err)
	}
	d := &officeDoc{kind: "encrypted OOXML package", encrypted: true,
		defaults: []string{excelDefaultPassword}, app: "Excel"}
	if encPkg.size < 8 {
		return nil, errors.New("encrypted OOXML package: EncryptedPackage is truncated")
	}
	pkg, err := c.stream(encPkg, min(encPkg.size, 8+randomSample))
	if err != nil {
		return nil, err
	}
	if n := binary.LittleEndian.Uint64(pkg); n > uint64(encPkg.size-8) {
		return nil, fmt.Errorf("encrypted OOXML package: EncryptedPackage declares %d bytes but holds %d", n, encPkg.size-8)
	}
	// The package is encrypted only if its bytes are ciphertext: a plain
	// .xlsx (or any readable data) pasted into EncryptedPackage is not.
	if body := pkg[8:]; Identify(body) != FormatUnknown || !looksRandom(body) {
		return nil, errors.New("encrypted OOXML package: EncryptedPackage holds readable data, not ciphertext (not encrypted)")
	}
	if encInfo.size > maxEncryptionInfo {
		return nil, fmt.Errorf("encrypted OOXML package: EncryptionInfo is over %d bytes", maxEncryptionInfo)
	}
	info, err := c.stream(encInfo, encInfo.size)
	if err != nil {
		return nil, err
	}
	if len(info) < 8 {
		return nil, errors.New("encrypted OOXML package: EncryptionInfo is truncated")
	}
	le := binary.LittleEndian
	major, minor := le.Uint16(info), le.Uint16(info[2:])
	switch {
	case major == 4 && minor == 4:
		return d, parseAgile(d, info[8:])
	case minor == 2 && major >= 2 && major <= 4:
		a, err := parseCryptoAPI(info[4:])
		if err != nil {
			return nil, fmt.Errorf("encrypted OOXML package: Standard EncryptionInfo %v", err)
		}
		if !a.aes() {
			return nil, fmt.Errorf("encrypted OOXML package: Standard encryption with algorithm %#x (ECMA-376 requires AES)", a.algID)
		}
		d.method = "Standard AES-" + fmt.Sprint(a.keyBits)
		d.notes = append(d.notes, fmt.Sprintf("encrypted OOXML package (ECMA-376 Standard encryption %d.%d: AES-%d-ECB, SHA-1, 50000 spins)",
			major, minor, a.keyBits))
		d.verifier = &standardVerifier{a: a}
		return d, nil
	case minor == 3 && (major == 3 || major == 4):
		d.method = "Extensible encryption"
		d.notes = append(d.notes, "encrypted OOXML package (ECMA-376 Extensible encryption: a third-party cryptographic module)")
		d.verifyErr = errors.New("the Extensible encryption uses a third-party module")
		return d, nil
	}
	return nil, fmt.Errorf("encrypted OOXML package: EncryptionInfo version %d.%d is unknown", major, minor)
}

// Agile encryption descriptor ([MS-OFFCRYPTO] 2.3.4.10).
type agileXML struct {
	XMLName xml.Name `xml:"encryption"`
	KeyData struct {
		KeyBits         int    `xml:"keyBits,attr"`
		CipherAlgorithm string `xml:"cipherAlgorithm,attr"`
		CipherChaining  string `xml:"cipherChaining,attr"`
		HashAlgorithm   string `xml:"hashAlgorithm,attr"`
	} `xml:"keyData"`
	KeyEncryptors []struct {
		URI  string     `xml:"uri,attr"`
		Keys []agileKey `xml:"encryptedKey"`
	} `xml:"keyEncryptors>keyEncryptor"`
}

type agileKey struct {
	SpinCount                  int64  `xml:"spinCount,attr"`
	SaltSize                   int    `xml:"saltSize,attr"`
	BlockSize                  int    `xml:"blockSize,attr"`
	KeyBits                    int    `xml:"keyBits,attr"`
	HashSize                   int    `xml:"hashSize,attr"`
	CipherAlgorithm            string `xml:"cipherAlgorithm,attr"`
	CipherChaining             string `xml:"cipherChaining,attr"`
	HashAlgorithm              string `xml:"hashAlgorithm,attr"`
	SaltValue                  string `xml:"saltValue,attr"`
	EncryptedVerifierHashInput string `xml:"encryptedVerifierHashInput,attr"`
	EncryptedVerifierHashValue string `xml:"encryptedVerifierHashValue,attr"`
}

const (
	agilePasswordURI    = "http://schemas.microsoft.com/office/2006/keyEncryptor/password"
	agileCertificateURI = "http://schemas.microsoft.com/office/2006/keyEncryptor/certificate"
)

func parseAgile(d *officeDoc, x []byte) error {
	var a agileXML
	if err := xml.NewDecoder(bytes.NewReader(x)).Decode(&a); err != nil {
		return fmt.Errorf("encrypted OOXML package: Agile EncryptionInfo XML is corrupt: %v", err)
	}
	kd := a.KeyData
	if kd.CipherAlgorithm == "" || kd.KeyBits <= 0 || kd.KeyBits > 4096 {
		return errors.New("encrypted OOXML package: Agile EncryptionInfo has no usable keyData")
	}
	d.method = fmt.Sprintf("Agile %s-%d", kd.CipherAlgorithm, kd.KeyBits)
	var password *agileKey
	certs := 0
	for _, ke := range a.KeyEncryptors {
		switch ke.URI {
		case agilePasswordURI:
			if len(ke.Keys) > 0 && password == nil {
				password = &ke.Keys[0]
			}
		case agileCertificateURI:
			certs++
		}
	}
	desc := fmt.Sprintf("encrypted OOXML package (ECMA-376 Agile encryption: %s-%d-%s, %s",
		kd.CipherAlgorithm, kd.KeyBits, strings.TrimPrefix(kd.CipherChaining, "ChainingMode"), kd.HashAlgorithm)
	if password != nil {
		desc += fmt.Sprintf(", %d spins", password.SpinCount)
	}
	d.notes = append(d.notes, desc+")")
	switch {
	case password != nil:
		v, err := newAgileVerifier(password)
		if err != nil {
			d.verifyErr = err
		} else {
			d.verifier = v
		}
		if certs > 0 {
			d.notes = append(d.notes, "the key is also encrypted for a certificate")
		}
	case certs > 0:
		d.notes = append(d.notes, "the key is encrypted for certificates only, not for a password")
		d.verifyErr = errors.New("the key is encrypted for certificates only")
		d.defaults = nil // no password at all, built-in or not
	default:
		return errors.New("encrypted OOXML package: Agile EncryptionInfo has no password or certificate key encryptor")
	}
	return nil
}

func agileB64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimSpace(s))
}

// cryptoAPIInfo is an EncryptionHeader and EncryptionVerifier
// ([MS-OFFCRYPTO] 2.3.2, 2.3.3), used by Standard encryption and RC4
// CryptoAPI.
type cryptoAPIInfo struct {
	flags           uint32
	algID           uint32
	keyBits         int
	salt            []byte
	encVerifier     []byte
	encVerifierHash []byte
}

const (
	fCryptoAPI = 0x04
	fExternal  = 0x10
	fAES       = 0x20

	algRC4    = 0x6801
	algAES128 = 0x660E
	algAES192 = 0x660F
	algAES256 = 0x6610
)

func (a *cryptoAPIInfo) aes() bool {
	return a.algID == algAES128 || a.algID == algAES192 || a.algID == algAES256
}

// parseCryptoAPI parses what follows the version: Flags, HeaderSize,
// EncryptionHeader, EncryptionVerifier.
func parseCryptoAPI(b []byte) (*cryptoAPIInfo, error) {
	le := binary.LittleEndian
	if len(b) < 8 {
		return nil, errors.New("is truncated")
	}
	hsize := le.Uint32(b[4:])
	if hsize < 32 || uint64(hsize) > uint64(len(b)-8) {
		return nil, fmt.Errorf("has a header size of %d", hsize)
	}
	h, v := b[8:8+hsize], b[8+hsize:]
	a := &cryptoAPIInfo{flags: le.Uint32(h), algID: le.Uint32(h[8:]), keyBits: int(le.Uint32(h[16:]))}
	if a.flags&fExternal != 0 {
		return nil, errors.New("uses an external (Extensible) cryptographic module")
	}
	if a.algID == 0 {
		switch {
		case a.flags&fAES != 0:
			a.algID = algAES128
		case a.flags&fCryptoAPI != 0:
			a.algID = algRC4
		}
	}
	switch a.algID {
	case algRC4:
		if a.keyBits == 0 {
			a.keyBits = 40
		}
		if a.keyBits < 40 || a.keyBits > 128 || a.keyBits%8 != 0 {
			return nil, fmt.Errorf("has an RC4 key of %d bits", a.keyBits)
		}
	case algAES128, algAES192, algAES256:
		want := 128 + 64*int(a.algID-algAES128)
		if a.keyBits == 0 {
			a.keyBits = want
		}
		if a.keyBits != want {
			return nil, fmt.Errorf("has an AES key of %d bits for algorithm %#x", a.keyBits, a.algID)
		}
	default:
		return nil, fmt.Errorf("uses algorithm %#x", a.algID)
	}
	hashLen := 20
	if a.aes() {
		hashLen = 32
	}
	if len(v) < 4+16+16+4+hashLen || le.Uint32(v) != 16 {
		return nil, errors.New("has a truncated or unusual verifier")
	}
	a.salt, a.encVerifier = v[4:20], v[20:36]
	a.encVerifierHash = v[40 : 40+hashLen]
	return a, nil
}

// parseBinaryEncryption parses an EncryptionVersionInfo and what follows,
// as found in .doc table streams, .xls FILEPASS records and .ppt
// CryptSession10Containers: RC4 (1.1) or RC4 CryptoAPI (2.2, 3.2, 4.2).
func parseBinaryEncryption(d *officeDoc, b []byte) error {
	if len(b) < 4 {
		return errors.New("encryption header is truncated")
	}
	le := binary.LittleEndian
	major, minor := le.Uint16(b), le.Uint16(b[2:])
	switch {
	case major == 1 && minor == 1:
		if len(b) < 4+48 {
			return errors.New("RC4 encryption header is truncated")
		}
		d.method = "RC4"
		d.notes = append(d.notes, "Office 97/2000 RC4 encryption (40-bit key, MD5): weak")
		d.verifier = &rc4Verifier{salt: b[4:20], encVerifier: b[20:36], encVerifierHash: b[36:52]}
	case minor == 2 && major >= 2 && major <= 4:
		a, err := parseCryptoAPI(b[4:])
		if err != nil {
			return fmt.Errorf("RC4 CryptoAPI encryption header %v", err)
		}
		if a.algID != algRC4 {
			return fmt.Errorf("binary document encryption with algorithm %#x (expected RC4)", a.algID)
		}
		d.method = "RC4 CryptoAPI"
		note := fmt.Sprintf("RC4 CryptoAPI encryption (%d-bit key, SHA-1)", a.keyBits)
		if a.keyBits <= 56 {
			note += ": weak"
		}
		d.notes = append(d.notes, note)
		d.verifier = &rc4CryptoAPIVerifier{a: a}
	default:
		return fmt.Errorf("binary document encryption version %d.%d is unknown", major, minor)
	}
	return nil
}

// wordDoc reads the FibBase of a Word document ([MS-DOC] 2.5.2).
func (c *cfbFile) wordDoc(e *cfbEntry) (*officeDoc, error) {
	d := &officeDoc{kind: "Word document"}
	if err := c.streamEntry(e, "WordDocument"); err != nil {
		return nil, err
	}
	if e.size < 32 {
		return nil, errors.New("the Word document's WordDocument stream is truncated (no FibBase)")
	}
	fib, err := c.stream(e, 32)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	ident, nFib, flags, lKey := le.Uint16(fib), le.Uint16(fib[2:]), le.Uint16(fib[0x0A:]), le.Uint32(fib[0x0E:])
	if ident != 0xA5EC && ident != 0xA5DC {
		return nil, fmt.Errorf("the Word document's FibBase has identifier %#04x, not 0xA5EC", ident)
	}
	if nFib < 0x00C1 {
		d.kind = "Word 6/95 document"
	} else {
		d.kind = "Word 97-2003 document"
	}
	d.notes = append(d.notes, d.kind)
	if flags&0x0100 == 0 { // fEncrypted
		return d, nil
	}
	d.encrypted = true
	if flags&0x8000 != 0 || nFib < 0x00C1 { // fObfuscated; Word 6/95 had only XOR
		d.method = "XOR obfuscation"
		d.notes = append(d.notes, "XOR obfuscation is weak: the password can be recovered from the file")
		d.verifyErr = errors.New("password checks of Word XOR obfuscation are not implemented")
		return d, nil
	}
	table := "0Table"
	if flags&0x0200 != 0 { // fWhichTblStm
		table = "1Table"
	}
	t := c.lookup(table)
	if err := c.streamEntry(t, table); err != nil {
		return nil, fmt.Errorf("encrypted Word document: %w", err)
	}
	if lKey < 52 || int64(lKey) > t.size || lKey > maxEncryptionInfo {
		return nil, fmt.Errorf("encrypted Word document: encryption header size %d does not fit the %d-byte %s stream", lKey, t.size, table)
	}
	hdr, err := c.stream(t, int64(lKey))
	if err != nil {
		return nil, err
	}
	if err := parseBinaryEncryption(d, hdr); err != nil {
		return nil, fmt.Errorf("encrypted Word document: %w", err)
	}
	return d, nil
}

// BIFF record types.
const (
	biffBOF          = 0x0809
	biffEOF          = 0x000A
	biffFilePass     = 0x002F
	biffWriteProtect = 0x0086
	biffMaxRecord    = 8224
)

// excelDoc looks for FILEPASS in the workbook globals ([MS-XLS] 2.4.117):
// it must follow the BOF, after an optional WriteProtect; one found
// anywhere else before the globals' EOF makes the file unscannable (an
// application that ignores it would read the workbook as plain).
func (c *cfbFile) excelDoc(e *cfbEntry) (*officeDoc, error) {
	d := &officeDoc{kind: "Excel workbook", defaults: []string{excelDefaultPassword}, app: "Excel"}
	if err := c.streamEntry(e, e.name); err != nil {
		return nil, err
	}
	st, err := c.open(e)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	var hdr [4]byte
	var off int64
	var prev uint16
	biff5 := false
	for idx := 0; ; idx++ {
		if off+4 > st.size {
			if idx == 0 {
				return nil, errors.New("the Excel workbook stream is empty")
			}
			break // no EOF record: tolerated, the globals end with the stream
		}
		if err := st.readAt(hdr[:], off); err != nil {
			return nil, err
		}
		typ, n := le.Uint16(hdr[:]), int64(le.Uint16(hdr[2:]))
		if n > biffMaxRecord || off+4+n > st.size {
			return nil, fmt.Errorf("the Excel workbook's record %#04x at %d is corrupt (%d bytes)", typ, off, n)
		}
		if idx == 0 {
			if typ != biffBOF || n < 4 {
				return nil, fmt.Errorf("the Excel workbook stream starts with record %#04x, not a BIFF5/BIFF8 BOF", typ)
			}
			var bof [2]byte
			if err := st.readAt(bof[:], off+4); err != nil {
				return nil, err
			}
			switch v := le.Uint16(bof[:]); v {
			case 0x0600:
				d.kind = "Excel 97-2003 workbook"
			case 0x0500:
				d.kind, biff5 = "Excel 5.0/95 workbook", true
			default:
				return nil, fmt.Errorf("the Excel workbook's BOF version %#04x is not BIFF5 or BIFF8", v)
			}
		}
		if typ == biffFilePass {
			if idx != 1 && !(idx == 2 && prev == biffWriteProtect) {
				return nil, fmt.Errorf("the Excel workbook's FILEPASS record is out of place (record %d of the workbook globals)", idx)
			}
			body := make([]byte, n)
			if err := st.readAt(body, off+4); err != nil {
				return nil, err
			}
			d.notes = append(d.notes, d.kind)
			d.encrypted = true
			if err := excelFilePass(d, body, biff5); err != nil {
				return nil, fmt.Errorf("encrypted Excel workbook: %w", err)
			}
			return d, nil
		}
		if typ == biffEOF {
			break
		}
		prev = typ
		off += 4 + n
	}
	d.notes = append(d.notes, d.kind)
	return d, nil
}

func excelFilePass(d *officeDoc, b []byte, biff5 bool) error {
	le := binary.LittleEndian
	xor := func(v []byte) {
		d.method = "XOR obfuscation"
		d.notes = append(d.notes, "XOR obfuscation is weak: the password can be recovered from the file")
		d.verifier = &xorVerifier{verifier: le.Uint16(v)}
	}
	if biff5 {
		if len(b) < 4 {
			return errors.New("FILEPASS record is truncated")
		}
		xor(b[2:4])
		return nil
	}
	if len(b) < 2 {
		return errors.New("FILEPASS record is truncated")
	}
	switch t := le.Uint16(b); t {
	case 0:
		if len(b) < 6 {
			return errors.New("FILEPASS record is truncated")
		}
		xor(b[4:6])
		return nil
	case 1:
		return parseBinaryEncryption(d, b[2:])
	default:
		return fmt.Errorf("FILEPASS encryption type %d is unknown", t)
	}
}

// PowerPoint record types ([MS-PPT] 2.13.24).
const (
	pptCurrentUserAtom     = 0x0FF6
	pptUserEditAtom        = 0x0FF5
	pptPersistDirectory    = 0x1772
	pptCryptSession10      = 0x2F14
	pptTokenPlain          = 0xE391C05F
	pptTokenEncrypted      = 0xF3D1C4DF
	pptMaxEdits            = 4096
	pptMaxPersistDirectory = 16 << 20
)

// pptDoc follows Current User → UserEditAtom → persist directory →
// CryptSession10Container ([MS-PPT] 2.1.2, 2.3.7).
func (c *cfbFile) pptDoc(e *cfbEntry) (*officeDoc, error) {
	d := &officeDoc{kind: "PowerPoint 97-2003 presentation", defaults: []string{powerPointDefaultPassword}, app: "PowerPoint"}
	if err := c.streamEntry(e, "PowerPoint Document"); err != nil {
		return nil, err
	}
	cu := c.lookup("Current User")
	if err := c.streamEntry(cu, "Current User"); err != nil {
		return nil, fmt.Errorf("PowerPoint presentation: %w", err)
	}
	if cu.size < 28 {
		return nil, errors.New("PowerPoint presentation: Current User stream is truncated")
	}
	cub, err := c.stream(cu, 28)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	if le.Uint16(cub[2:]) != pptCurrentUserAtom || le.Uint32(cub[8:]) != 0x14 {
		return nil, errors.New("PowerPoint presentation: Current User stream has no CurrentUserAtom")
	}
	token, editOff := le.Uint32(cub[12:]), le.Uint32(cub[16:])
	if token != pptTokenPlain && token != pptTokenEncrypted {
		return nil, fmt.Errorf("PowerPoint presentation: CurrentUserAtom header token %#08x is unknown", token)
	}
	st, err := c.open(e)
	if err != nil {
		return nil, err
	}
	d.notes = append(d.notes, d.kind)
	ue, err := pptRecord(st, int64(editOff), pptUserEditAtom, 0x20)
	if err != nil {
		return nil, fmt.Errorf("PowerPoint presentation: current UserEditAtom: %w", err)
	}
	if len(ue) != 0x1C && len(ue) != 0x20 {
		return nil, fmt.Errorf("PowerPoint presentation: UserEditAtom has %d bytes, not 28 or 32", len(ue))
	}
	d.encrypted = len(ue) == 0x20
	if d.encrypted != (token == pptTokenEncrypted) {
		return nil, errors.New("PowerPoint presentation: the Current User stream and the UserEditAtom disagree about encryption")
	}
	if !d.encrypted {
		return d, nil
	}
	ref := le.Uint32(ue[0x1C:])
	off, err := pptPersistOffset(st, int64(editOff), ref)
	if err != nil {
		return nil, fmt.Errorf("encrypted PowerPoint presentation: %w", err)
	}
	cs, err := pptRecord(st, off, pptCryptSession10, maxEncryptionInfo)
	if err != nil {
		return nil, fmt.Errorf("encrypted PowerPoint presentation: CryptSession10Container: %w", err)
	}
	if err := parseBinaryEncryption(d, cs); err != nil {
		return nil, fmt.Errorf("encrypted PowerPoint presentation: %w", err)
	}
	return d, nil
}

// pptRecord reads the body of the record of type typ at off (at most
// max bytes long).
func pptRecord(st *cfbStream, off int64, typ uint16, max int64) ([]byte, error) {
	var h [8]byte
	if off < 0 || off+8 > st.size {
		return nil, fmt.Errorf("offset %d is outside the %d-byte stream", off, st.size)
	}
	if err := st.readAt(h[:], off); err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	if got := le.Uint16(h[2:]); got != typ {
		return nil, fmt.Errorf("record at %d has type %#04x, not %#04x", off, got, typ)
	}
	n := int64(le.Uint32(h[4:]))
	if n > max || n > st.size-off-8 {
		return nil, fmt.Errorf("record at %d declares %d bytes", off, n)
	}
	b := make([]byte, n)
	if err := st.readAt(b, off+8); err != nil {
		return nil, err
	}
	return b, nil
}

// pptPersistOffset finds persist object ref in the persist directories,
// newest edit first ([MS-PPT] 2.1.2: a newer entry replaces an older one).
func pptPersistOffset(st *cfbStream, editOff int64, ref uint32) (int64, error) {
	le := binary.LittleEndian
	seen := make(map[int64]bool)
	for edits := 0; ; edits++ {
		if edits >= pptMaxEdits || seen[editOff] {
			return 0, errors.New("the UserEditAtom chain loops or is too long")
		}
		seen[editOff] = true
		ue, err := pptRecord(st, editOff, pptUserEditAtom, 0x20)
		if err != nil {
			return 0, fmt.Errorf("UserEditAtom: %w", err)
		}
		if len(ue) < 0x1C {
			return 0, errors.New("UserEditAtom is truncated")
		}
		pd, err := pptRecord(st, int64(le.Uint32(ue[12:])), pptPersistDirectory, pptMaxPersistDirectory)
		if err != nil {
			return 0, fmt.Errorf("PersistDirectoryAtom: %w", err)
		}
		for len(pd) >= 4 {
			v := le.Uint32(pd)
			id, n := v&0xFFFFF, v>>20
			if int64(len(pd)) < 4+4*int64(n) {
				return 0, errors.New("PersistDirectoryAtom is truncated")
			}
			if ref >= id && ref < id+n {
				return int64(le.Uint32(pd[4+4*(ref-id):])), nil
			}
			pd = pd[4+4*n:]
		}
		last := int64(le.Uint32(ue[8:]))
		if last == 0 {
			return 0, fmt.Errorf("persist object %d (the encryption session) is not in the persist directory", ref)
		}
		editOff = last
	}
}
