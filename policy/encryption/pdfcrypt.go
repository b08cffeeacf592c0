package encryption

// The PDF standard security handler's password checks, from the
// specification: ISO 32000-1 7.6.3.3 Algorithm 2 (the RC4/AES-128 file
// key, revisions 2-4), Algorithm 4/5 (computing U) and 6 (user password),
// Algorithm 7 (owner password: it decrypts O to the user password);
// ISO 32000-2 7.6.4.3.3 Algorithm 2.A and 2.B (revision 6: SHA-256 then
// at least 64 rounds of AES-128-CBC and SHA-256/384/512) and Adobe's
// extension level 3 for the deprecated revision 5 (one SHA-256).
// Only the standard library is used.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/unicode/norm"
)

// pdfSecurity is what the encryption dictionary says.
type pdfSecurity struct {
	handler string // "Standard", "Adobe.PubSec"
	v, r    int64
	keyLen  int    // file key length in bytes (revisions 2-4)
	method  string // "RC4-40", "RC4-128", "AES-128", "AES-256"
	// plainStreams is non-empty when the crypt filters leave the page
	// content (streams) unencrypted: the reason, as a note.
	plainStreams    string
	notes           []string
	o, u            []byte
	p               uint32
	id0             []byte
	encryptMetadata bool
}

var pdfPadding = []byte{
	0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
	0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
}

// parseSecurity reads an encryption dictionary (ISO 32000 7.6.1 Table 20,
// 7.6.3.2 Table 21, 7.6.5 crypt filters).
func parseSecurity(enc pdfDict, id0 []byte) (*pdfSecurity, error) {
	sec := &pdfSecurity{handler: string(enc.name("Filter")), id0: id0, encryptMetadata: true}
	sec.v, _ = enc.int("V")
	sec.r, _ = enc.int("R")
	if em, ok := enc["EncryptMetadata"].(bool); ok {
		sec.encryptMetadata = em
	}
	switch sec.handler {
	case "Standard":
	case "Adobe.PubSec":
		sec.notes = append(sec.notes, "public-key security handler (Adobe.PubSec): opened with a recipient's certificate, not a password")
	case "":
		return nil, errors.New("PDF encryption dictionary has no /Filter")
	default:
		return nil, fmt.Errorf("PDF uses the security handler /%s, which is not supported", sec.handler)
	}
	bits, hasLen := enc.int("Length")
	switch sec.v {
	case 1:
		sec.method, bits = "RC4-40", 40
	case 2:
		if !hasLen {
			bits = 40
		}
		if bits < 40 || bits > 128 || bits%8 != 0 {
			return nil, fmt.Errorf("PDF RC4 key length %d is invalid", bits)
		}
		sec.method = fmt.Sprintf("RC4-%d", bits)
	case 4, 5:
		stmf, strf := enc.name("StmF"), enc.name("StrF")
		if stmf == "" {
			stmf = "Identity"
		}
		if strf == "" {
			strf = "Identity"
		}
		cfm := func(name pdfName) (pdfName, pdfDict, error) {
			if name == "Identity" {
				return "None", nil, nil
			}
			cf := enc.dict("CF").dict(name)
			if cf == nil {
				return "", nil, fmt.Errorf("PDF crypt filter /%s is not defined", name)
			}
			m := cf.name("CFM")
			if m == "" {
				m = "None"
			}
			return m, cf, nil
		}
		m, cf, err := cfm(stmf)
		if err != nil {
			return nil, err
		}
		sm, _, err := cfm(strf)
		if err != nil {
			return nil, err
		}
		if !hasLen && cf != nil {
			if l, ok := cf.int("Length"); ok {
				bits, hasLen = l, true
				if bits <= 32 { // crypt filters give bytes; some writers bits
					bits *= 8
				}
			}
		}
		if !hasLen {
			bits = 128
		}
		name := func(m pdfName) (string, error) {
			switch m {
			case "V2":
				if bits < 40 || bits > 128 || bits%8 != 0 {
					return "", fmt.Errorf("PDF RC4 key length %d is invalid", bits)
				}
				return fmt.Sprintf("RC4-%d", bits), nil
			case "AESV2":
				bits = 128
				return "AES-128", nil
			case "AESV3":
				bits = 256
				return "AES-256", nil
			case "None":
				return "", nil
			}
			return "", fmt.Errorf("PDF crypt filter method /%s is unknown", m)
		}
		if sec.method, err = name(m); err != nil {
			return nil, err
		}
		strMethod, err := name(sm)
		if err != nil {
			return nil, err
		}
		if m == "None" {
			sec.method = strMethod
			if sm == "None" {
				sec.plainStreams = "the encryption dictionary's crypt filters are /Identity: nothing is encrypted"
			} else {
				sec.plainStreams = "only strings are encrypted (/StmF is /Identity): the page content is not"
			}
			if eff := enc.name("EFF"); eff != "" && eff != "Identity" {
				sec.plainStreams += "; only embedded files are encrypted"
			}
		} else if strMethod == "" {
			sec.notes = append(sec.notes, "strings (such as the document title) are not encrypted (/StrF is /Identity)")
		} else if strMethod != sec.method {
			sec.notes = append(sec.notes, fmt.Sprintf("strings use %s", strMethod))
		}
	case 3:
		return nil, errors.New("PDF encryption /V 3 (an unpublished algorithm) is not supported")
	default:
		return nil, fmt.Errorf("PDF encryption /V %d is not supported", sec.v)
	}
	sec.keyLen = int(bits / 8)
	if !sec.encryptMetadata {
		sec.notes = append(sec.notes, "the document metadata (XMP) is not encrypted")
	}
	if sec.handler != "Standard" {
		return sec, nil
	}
	sec.o, sec.u = enc.str("O"), enc.str("U")
	p, _ := enc.int("P")
	sec.p = uint32(p) // a signed 32-bit value; some writers give it unsigned
	need := 32
	switch sec.r {
	case 2:
		sec.keyLen = 5
	case 3, 4:
		if sec.keyLen < 5 || sec.keyLen > 16 {
			return nil, fmt.Errorf("PDF key length %d bits is invalid for revision %d", bits, sec.r)
		}
	case 5, 6:
		need = 48
		if sec.method == "" {
			sec.method = "AES-256"
		}
	default:
		return nil, fmt.Errorf("PDF standard security handler revision %d is not supported", sec.r)
	}
	if len(sec.o) < need || len(sec.u) < need {
		return nil, fmt.Errorf("PDF encryption dictionary's /O or /U is shorter than %d bytes", need)
	}
	return sec, nil
}

// padPassword pads or truncates a password to 32 bytes (Algorithm 2 a).
func padPassword(pw []byte) []byte {
	out := make([]byte, 32)
	n := copy(out, pw)
	copy(out[n:], pdfPadding)
	return out
}

// fileKey is Algorithm 2 for a padded password.
func (sec *pdfSecurity) fileKey(padded []byte) []byte {
	h := md5.New()
	h.Write(padded)
	h.Write(sec.o[:32])
	var p [4]byte
	binary.LittleEndian.PutUint32(p[:], sec.p)
	h.Write(p[:])
	h.Write(sec.id0)
	if sec.r >= 4 && !sec.encryptMetadata {
		h.Write([]byte{0xFF, 0xFF, 0xFF, 0xFF})
	}
	sum := h.Sum(nil)
	n := sec.keyLen
	if sec.r >= 3 {
		for i := 0; i < 50; i++ {
			s := md5.Sum(sum[:n])
			sum = s[:]
		}
	}
	return sum[:n]
}

func rc4XOR(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		return nil
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// userPadded is Algorithm 6 for a padded password (revisions 2-4).
func (sec *pdfSecurity) userPadded(padded []byte) bool {
	key := sec.fileKey(padded)
	if sec.r == 2 {
		return subtle.ConstantTimeCompare(rc4XOR(key, pdfPadding), sec.u[:32]) == 1
	}
	h := md5.New()
	h.Write(pdfPadding)
	h.Write(sec.id0)
	x := rc4XOR(key, h.Sum(nil))
	k := make([]byte, len(key))
	for i := 1; i <= 19; i++ {
		for j := range key {
			k[j] = key[j] ^ byte(i)
		}
		x = rc4XOR(k, x)
	}
	return subtle.ConstantTimeCompare(x, sec.u[:16]) == 1
}

// owner is Algorithm 7: the owner password decrypts O to the padded user
// password (revisions 2-4).
func (sec *pdfSecurity) owner(pw []byte) bool {
	sum := md5.Sum(padPassword(pw))
	if sec.r >= 3 {
		for i := 0; i < 50; i++ {
			sum = md5.Sum(sum[:])
		}
	}
	n := sec.keyLen
	key := sum[:n]
	x := append([]byte{}, sec.o[:32]...)
	if sec.r == 2 {
		x = rc4XOR(key, x)
	} else {
		k := make([]byte, n)
		for i := 19; i >= 0; i-- {
			for j := range key {
				k[j] = key[j] ^ byte(i)
			}
			x = rc4XOR(k, x)
		}
	}
	return sec.userPadded(x)
}

// hash2B is ISO 32000-2 Algorithm 2.B (revision 6): SHA-256, then at
// least 64 rounds of AES-128-CBC over 64 copies of password+K+udata and a
// SHA-256/384/512 of the result chosen by its first 16 bytes mod 3, until
// the last byte of the AES output is at most the round number - 32.
func hash2B(pw, salt, udata []byte) []byte {
	h := sha256.New()
	h.Write(pw)
	h.Write(salt)
	h.Write(udata)
	k := h.Sum(make([]byte, 0, sha512.Size))
	buf := make([]byte, 0, 64*(len(pw)+sha512.Size+len(udata)))
	e := make([]byte, cap(buf))
	for i := 0; ; i++ {
		buf = buf[:0]
		for j := 0; j < 64; j++ {
			buf = append(append(append(buf, pw...), k...), udata...)
		}
		blk, _ := aes.NewCipher(k[:16])
		e = e[:len(buf)] // a multiple of 16: 64 copies
		cipher.NewCBCEncrypter(blk, k[16:32]).CryptBlocks(e, buf)
		var mod int
		for _, c := range e[:16] {
			mod += int(c) // 256 = 1 (mod 3): the byte sum has the number's residue
		}
		switch mod % 3 {
		case 0:
			s := sha256.Sum256(e)
			k = append(k[:0], s[:]...)
		case 1:
			s := sha512.Sum384(e)
			k = append(k[:0], s[:]...)
		default:
			s := sha512.Sum512(e)
			k = append(k[:0], s[:]...)
		}
		if i >= 63 && int(e[len(e)-1]) <= i+1-32 {
			break
		}
	}
	return k[:32]
}

// aesHash is the revision 5/6 password hash.
func (sec *pdfSecurity) aesHash(pw, salt, udata []byte) []byte {
	if len(pw) > 127 {
		pw = pw[:127]
	}
	if sec.r == 5 {
		h := sha256.New()
		h.Write(pw)
		h.Write(salt)
		h.Write(udata)
		return h.Sum(nil)
	}
	return hash2B(pw, salt, udata)
}

// opensAsUser reports whether pw (bytes as the handler wants them) is the
// user password.
func (sec *pdfSecurity) opensAsUser(pw []byte) bool {
	if sec.r >= 5 {
		return subtle.ConstantTimeCompare(sec.aesHash(pw, sec.u[32:40], nil), sec.u[:32]) == 1
	}
	return sec.userPadded(padPassword(pw))
}

// opensAsOwner reports whether pw is the owner password.
func (sec *pdfSecurity) opensAsOwner(pw []byte) bool {
	if sec.r >= 5 {
		return subtle.ConstantTimeCompare(sec.aesHash(pw, sec.o[32:40], sec.u[:48]), sec.o[:32]) == 1
	}
	return sec.owner(pw)
}

// opens reports whether the user password pw opens the file.
func (sec *pdfSecurity) opens(pw []byte) bool { return sec.opensAsUser(pw) }

// pdfPasswordBytes returns the byte strings a typed password may have
// become: revisions 5-6 use UTF-8 (SASLprep; NFKC is tried as its
// normalisation step), revisions 2-4 PDFDocEncoding (Latin-1 for our
// purposes), or on Japanese systems the CP932 bytes, or UTF-8.
func (sec *pdfSecurity) pdfPasswordBytes(password string) [][]byte {
	out := [][]byte{[]byte(password)}
	add := func(b []byte) {
		for _, o := range out {
			if string(o) == string(b) {
				return
			}
		}
		out = append(out, b)
	}
	if isASCII(password) || !utf8.ValidString(password) {
		return out
	}
	if sec.r >= 5 {
		add([]byte(norm.NFKC.String(password)))
		return out
	}
	if l1, err := charmap.ISO8859_1.NewEncoder().String(password); err == nil {
		add([]byte(l1))
	}
	if sjis, err := japanese.ShiftJIS.NewEncoder().String(password); err == nil {
		add([]byte(sjis))
	}
	return out
}

// PDFPasswordChecker tests candidate passwords against an encrypted PDF
// (standard security handler, revisions 2-6). Build it once, then call
// Check per candidate; it is safe for concurrent use. A candidate costs a
// few dozen MD5 and RC4 runs (revisions 2-4), one SHA-256 (revision 5) or
// at least 64 rounds of AES and SHA-2 over 64 copies of the password
// (revision 6); Check tries the user password and then the owner
// password, so twice that.
type PDFPasswordChecker struct {
	sec *pdfSecurity
}

// NewPDFPasswordChecker reads the PDF in r. It returns ErrNotEncrypted
// when there is no /Encrypt, ErrUnscannable when the file cannot be
// parsed, and ErrCannotVerify for a public-key (certificate) handler.
func NewPDFPasswordChecker(r io.ReaderAt, size int64, lim Limits) (c *PDFPasswordChecker, err error) {
	defer internalError(&err, true)
	lim = lim.withDefaults()
	s := &scanner{lim: lim, left: lim.MaxBytes}
	head := make([]byte, min(max(size, 0), IdentifyHeadSize))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%w: reading the first bytes: %v", ErrUnscannable, err)
	}
	if Identify(head) != FormatPDF {
		return nil, fmt.Errorf("%w: not a PDF", ErrUnscannable)
	}
	f, err := s.openPDF(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnscannable, err)
	}
	sec, err := f.security()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnscannable, err)
	}
	if sec == nil {
		return nil, fmt.Errorf("%w: the PDF has no /Encrypt dictionary", ErrNotEncrypted)
	}
	if sec.handler != "Standard" {
		return nil, fmt.Errorf("%w: the PDF uses the %s security handler", ErrCannotVerify, sec.handler)
	}
	return &PDFPasswordChecker{sec: sec}, nil
}

// Check reports whether password opens the PDF: it is the user password,
// or the owner password (readers open the file with either). The empty
// password opens a file whose user password is empty.
func (c *PDFPasswordChecker) Check(password string) (ok bool, err error) {
	kind, err := c.Opens(password)
	return kind != "", err
}

// Opens is Check that says which password it is: "user", "owner" or ""
// (neither).
func (c *PDFPasswordChecker) Opens(password string) (kind string, err error) {
	defer internalError(&err, false)
	cands := c.sec.pdfPasswordBytes(password)
	for _, pw := range cands {
		if c.sec.opensAsUser(pw) {
			return "user", nil
		}
	}
	for _, pw := range cands {
		if c.sec.opensAsOwner(pw) {
			return "owner", nil
		}
	}
	return "", nil
}

// Method names the PDF's encryption, as in Result.Method.
func (c *PDFPasswordChecker) Method() string { return c.sec.method }
