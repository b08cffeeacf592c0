package encryption

// Password checks for Office encryption, from [MS-OFFCRYPTO]: Agile
// (2.3.4.11-13: hash(salt+password), spinCount rounds of
// hash(iterator+H), keys from H+block key, AES-CBC verifier), Standard
// (2.3.4.7-9: SHA-1, 50000 rounds, AES-ECB verifier), RC4 CryptoAPI
// (2.3.5.2, 2.3.5.6), RC4 (2.3.6.2, 2.3.6.4) and the XOR obfuscation
// verifier (2.3.7.1). Every check compares a hash of at least 16 bytes,
// except XOR, whose verifier has 16 bits (1 wrong password in 65536
// passes). Only the standard library: crypto/aes, crypto/rc4, crypto/sha*.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"unicode/utf16"

	"golang.org/x/text/encoding/japanese"
)

// officeVerifier tests one password.
type officeVerifier interface {
	verify(password string) bool
}

// utf16le is how Office hashes passwords.
func officePassword16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, v := range u {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	return b
}

// Agile block keys ([MS-OFFCRYPTO] 2.3.4.13).
var (
	agileBlockVerifierInput = []byte{0xfe, 0xa7, 0xd2, 0x76, 0x3b, 0x4b, 0x9e, 0x79}
	agileBlockVerifierValue = []byte{0xd7, 0xaa, 0x0f, 0x6d, 0x30, 0x61, 0x34, 0x4e}
)

// agileMaxSpin is the largest spin count [MS-OFFCRYPTO] allows.
const agileMaxSpin = 10000000

type agileVerifier struct {
	name      string // hash algorithm, as in the XML
	newHash   func() hash.Hash
	hashSize  int
	spin      int
	keyBytes  int
	salt      []byte
	iv        []byte
	encInput  []byte
	encValue  []byte
	inputSize int // saltSize: the verifier input's length
}

func (v *agileVerifier) spins() int { return v.spin }

func newAgileVerifier(k *agileKey) (*agileVerifier, error) {
	v := &agileVerifier{name: k.HashAlgorithm, spin: int(k.SpinCount), keyBytes: k.KeyBits / 8, inputSize: k.SaltSize}
	switch k.HashAlgorithm {
	case "SHA1":
		v.newHash = sha1.New
	case "SHA256":
		v.newHash = sha256.New
	case "SHA384":
		v.newHash = sha512.New384
	case "SHA512":
		v.newHash = sha512.New
	default:
		return nil, fmt.Errorf("the Agile hash %q is not supported", k.HashAlgorithm)
	}
	v.hashSize = v.newHash().Size()
	if k.CipherAlgorithm != "AES" || k.CipherChaining != "ChainingModeCBC" || k.BlockSize != aes.BlockSize {
		return nil, fmt.Errorf("the Agile password key encryptor %s/%s with %d-byte blocks is not supported",
			k.CipherAlgorithm, k.CipherChaining, k.BlockSize)
	}
	if k.KeyBits != 128 && k.KeyBits != 192 && k.KeyBits != 256 {
		return nil, fmt.Errorf("an Agile AES key of %d bits", k.KeyBits)
	}
	if k.SpinCount < 0 || k.SpinCount > agileMaxSpin {
		return nil, fmt.Errorf("the Agile spin count %d is out of range", k.SpinCount)
	}
	if k.HashSize != 0 && k.HashSize != v.hashSize {
		return nil, fmt.Errorf("the Agile hash size %d does not match %s", k.HashSize, k.HashAlgorithm)
	}
	var err error
	if v.salt, err = agileB64(k.SaltValue); err != nil || len(v.salt) == 0 || len(v.salt) > 65536 {
		return nil, errors.New("the Agile password salt is missing or corrupt")
	}
	if v.inputSize <= 0 {
		v.inputSize = len(v.salt)
	}
	if v.encInput, err = agileB64(k.EncryptedVerifierHashInput); err != nil ||
		len(v.encInput)%aes.BlockSize != 0 || len(v.encInput) < v.inputSize {
		return nil, errors.New("the Agile encryptedVerifierHashInput is missing or corrupt")
	}
	if v.encValue, err = agileB64(k.EncryptedVerifierHashValue); err != nil ||
		len(v.encValue)%aes.BlockSize != 0 || len(v.encValue) < v.hashSize {
		return nil, errors.New("the Agile encryptedVerifierHashValue is missing or corrupt")
	}
	v.iv = agilePadKey(v.salt, aes.BlockSize)
	return v, nil
}

// padKey truncates b to n bytes or pads it with 0x36 ([MS-OFFCRYPTO]
// 2.3.4.11).
func agilePadKey(b []byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = 0x36
	}
	copy(out, b)
	return out
}

func (v *agileVerifier) verify(password string) bool {
	h := v.newHash()
	h.Write(v.salt)
	h.Write(officePassword16(password))
	sum := h.Sum(make([]byte, 0, v.hashSize))
	if v.hashSize == sha512.Size && v.name == "SHA512" {
		// What Office writes: Sum512 on a fixed buffer, about a quarter
		// faster than going through hash.Hash.
		var buf [4 + sha512.Size]byte
		copy(buf[4:], sum)
		for i := 0; i < v.spin; i++ {
			binary.LittleEndian.PutUint32(buf[:4], uint32(i))
			s := sha512.Sum512(buf[:])
			copy(buf[4:], s[:])
		}
		sum = append(sum[:0], buf[4:]...)
	} else {
		buf := make([]byte, 4+v.hashSize)
		for i := 0; i < v.spin; i++ {
			binary.LittleEndian.PutUint32(buf, uint32(i))
			copy(buf[4:], sum)
			h.Reset()
			h.Write(buf)
			sum = h.Sum(sum[:0])
		}
	}
	key := func(block []byte) []byte {
		h.Reset()
		h.Write(sum)
		h.Write(block)
		return agilePadKey(h.Sum(nil), v.keyBytes)
	}
	input, ok := aesCBCDecrypt(key(agileBlockVerifierInput), v.iv, v.encInput)
	if !ok {
		return false
	}
	value, ok := aesCBCDecrypt(key(agileBlockVerifierValue), v.iv, v.encValue)
	if !ok {
		return false
	}
	h.Reset()
	h.Write(input[:v.inputSize])
	return subtle.ConstantTimeCompare(h.Sum(nil), value[:v.hashSize]) == 1
}

func aesCBCDecrypt(key, iv, data []byte) ([]byte, bool) {
	b, err := aes.NewCipher(key)
	if err != nil || len(data)%aes.BlockSize != 0 {
		return nil, false
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, data)
	return out, true
}

// standardVerifier: ECMA-376 Standard encryption.
type standardVerifier struct{ a *cryptoAPIInfo }

const standardSpin = 50000

func (v *standardVerifier) spins() int { return standardSpin }

func (v *standardVerifier) verify(password string) bool {
	le := binary.LittleEndian
	h := sha1.Sum(append(append([]byte{}, v.a.salt...), officePassword16(password)...))
	var buf [24]byte
	for i := 0; i < standardSpin; i++ {
		le.PutUint32(buf[:4], uint32(i))
		copy(buf[4:], h[:])
		h = sha1.Sum(buf[:])
	}
	copy(buf[:20], h[:])
	le.PutUint32(buf[20:], 0) // block 0
	final := sha1.Sum(buf[:])
	var b1, b2 [64]byte
	for i := range b1 {
		b1[i], b2[i] = 0x36, 0x5C
	}
	for i, c := range final {
		b1[i] ^= c
		b2[i] ^= c
	}
	x1, x2 := sha1.Sum(b1[:]), sha1.Sum(b2[:])
	key := append(x1[:], x2[:]...)[:v.a.keyBits/8]
	blk, err := aes.NewCipher(key)
	if err != nil {
		return false
	}
	verifier := make([]byte, 16)
	blk.Decrypt(verifier, v.a.encVerifier)
	vh := make([]byte, len(v.a.encVerifierHash))
	for i := 0; i+16 <= len(vh); i += 16 { // ECB
		blk.Decrypt(vh[i:i+16], v.a.encVerifierHash[i:i+16])
	}
	want := sha1.Sum(verifier)
	return subtle.ConstantTimeCompare(want[:], vh[:sha1.Size]) == 1
}

// rc4CryptoAPIVerifier: binary documents, RC4 CryptoAPI.
type rc4CryptoAPIVerifier struct{ a *cryptoAPIInfo }

func (v *rc4CryptoAPIVerifier) verify(password string) bool {
	h0 := sha1.Sum(append(append([]byte{}, v.a.salt...), officePassword16(password)...))
	final := sha1.Sum(append(h0[:], 0, 0, 0, 0)) // block 0
	key := final[:v.a.keyBits/8]
	if v.a.keyBits == 40 {
		key = append(append([]byte{}, final[:5]...), make([]byte, 11)...) // 2.3.5.2: 40-bit keys are padded to 128 bits
	}
	c, err := rc4.NewCipher(key)
	if err != nil {
		return false
	}
	verifier := make([]byte, 16)
	c.XORKeyStream(verifier, v.a.encVerifier)
	vh := make([]byte, sha1.Size)
	c.XORKeyStream(vh, v.a.encVerifierHash[:sha1.Size])
	want := sha1.Sum(verifier)
	return subtle.ConstantTimeCompare(want[:], vh) == 1
}

// rc4Verifier: Office 97/2000 binary RC4 (MD5, 40-bit key).
type rc4Verifier struct{ salt, encVerifier, encVerifierHash []byte }

func (v *rc4Verifier) verify(password string) bool {
	h0 := md5.Sum(officePassword16(password))
	buf := make([]byte, 0, 16*21)
	for i := 0; i < 16; i++ {
		buf = append(buf, h0[:5]...)
		buf = append(buf, v.salt...)
	}
	h1 := md5.Sum(buf)
	key := md5.Sum(append(h1[:5:5], 0, 0, 0, 0)) // block 0
	c, err := rc4.NewCipher(key[:])
	if err != nil {
		return false
	}
	verifier := make([]byte, 16)
	c.XORKeyStream(verifier, v.encVerifier)
	vh := make([]byte, 16)
	c.XORKeyStream(vh, v.encVerifierHash)
	want := md5.Sum(verifier)
	return subtle.ConstantTimeCompare(want[:], vh) == 1
}

// xorVerifier: the 16-bit password verifier of XOR obfuscation
// ([MS-OFFCRYPTO] 2.3.7.1, CreatePasswordVerifier_Method1). Passwords are
// single bytes per character, at most 15: the ASCII bytes, or for other
// text the CP932 bytes a Japanese Windows would use.
type xorVerifier struct{ verifier uint16 }

func xorPasswordVerifier(pw []byte) uint16 {
	var v uint16
	b := append([]byte{byte(len(pw))}, pw...)
	for i := len(b) - 1; i >= 0; i-- {
		hi := (v >> 14) & 1
		v = ((v << 1) & 0x7FFF) | hi
		v ^= uint16(b[i])
	}
	return v ^ 0xCE4B
}

func (v *xorVerifier) verify(password string) bool {
	cands := [][]byte{[]byte(password)}
	if !isASCII(password) {
		cands = cands[:0]
		if sjis, err := japanese.ShiftJIS.NewEncoder().String(password); err == nil {
			cands = append(cands, []byte(sjis))
		}
	}
	for _, pw := range cands {
		if len(pw) >= 1 && len(pw) <= 15 && xorPasswordVerifier(pw) == v.verifier {
			return true
		}
	}
	return false
}

// OfficePasswordChecker tests candidate passwords against an encrypted
// Office document in a CFB container: encrypted OOXML (Agile, Standard)
// and legacy .doc/.xls/.ppt (RC4 CryptoAPI, RC4, and the XOR obfuscation
// of .xls). Build it once, then call Check per candidate; it is safe for
// concurrent use. The cost per candidate is the document's key
// derivation: Agile is spinCount rounds of SHA-512 (100000 as Office
// writes it, tens of milliseconds), Standard 50000 rounds of SHA-1, the
// legacy methods a few hashes.
type OfficePasswordChecker struct {
	v      officeVerifier
	method string
}

// NewOfficePasswordChecker parses the compound file in r. It returns
// ErrNotEncrypted for a document that is not encrypted (a plain
// DOCX/XLSX is a ZIP, and not encrypted either), ErrUnscannable when the
// file cannot be parsed, and ErrCannotVerify when it is encrypted in a
// way whose passwords cannot be tested here (certificates only, Extensible
// encryption, Word XOR obfuscation).
func NewOfficePasswordChecker(r io.ReaderAt, size int64, lim Limits) (c *OfficePasswordChecker, err error) {
	defer internalError(&err, true)
	lim = lim.withDefaults()
	s := &scanner{lim: lim, left: lim.MaxBytes}
	head := make([]byte, min(max(size, 0), IdentifyHeadSize))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%w: reading the first bytes: %v", ErrUnscannable, err)
	}
	switch Identify(head) {
	case FormatCFB:
	case FormatZIP:
		return nil, fmt.Errorf("%w: a ZIP (a plain OOXML document is not encrypted)", ErrNotEncrypted)
	default:
		return nil, fmt.Errorf("%w: not a CFB (OLE2) file", ErrUnscannable)
	}
	d, err := s.analyzeOffice(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnscannable, err)
	}
	if !d.encrypted {
		return nil, fmt.Errorf("%w: %s is not encrypted", ErrNotEncrypted, d.kind)
	}
	if d.verifier == nil {
		return nil, fmt.Errorf("%w: %s (%s): %v", ErrCannotVerify, d.kind, d.method, d.verifyErr)
	}
	return &OfficePasswordChecker{v: d.verifier, method: d.method}, nil
}

// Check reports whether password opens the document.
func (c *OfficePasswordChecker) Check(password string) (ok bool, err error) {
	defer internalError(&err, false)
	return c.v.verify(password), nil
}

// Method names the document's encryption, as in Result.Method.
func (c *OfficePasswordChecker) Method() string { return c.method }
