package encryption

// RAR password checks: RARPasswordChecker, the RAR 4 and RAR 5 key
// derivations, and the decrypted headers or data that prove a candidate.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
)

// Password checks.
//
// RAR5 stores a password check value: PBKDF2-HMAC-SHA256 over the UTF-8
// password and the salt, 2^KDF count iterations for the key, continued for
// 32 more; the last value folded to 8 bytes (plus 4 bytes of its SHA-256
// that guard the stored value). A match is a 2^-64 coincidence. Without a
// check value, encrypted headers are verified by decrypting the first
// header and checking its CRC-32.
//
// RAR4 has no check value. Its key and IV come from SHA-1 over 2^18 rounds
// of UTF-16LE password, salt and a 3-byte counter. Encrypted headers are
// verified by decrypting the first one or two headers and checking their
// type, size and CRC-16 (false positives about 2^-21 per header, so 2^-37
// when two headers exist). Encrypted entries that are stored (not
// compressed) and at most szCheckMax bytes are verified by their CRC-32.
// Compressed RAR4 entries cannot be verified without a RAR decompressor:
// ErrCannotVerify. The RAR 2.0 and 1.5 ciphers are not supported either.
// unrar's SHA-1 alters its input for passwords over 28 UTF-16 units (a
// RAR 2.9 quirk); such candidates are refused with ErrCannotVerify.

// rarMaxTargets bounds the entries a candidate is tried against. RAR
// entries usually have their own salt, so each one costs a key derivation
// (RAR4 about 6 ms, RAR5 with the usual 2^15 iterations about 10 ms on one
// AMD EPYC core); two cover an archive whose first entry was added with
// another password.
const rarMaxTargets = 2

// RARPasswordChecker tests candidate passwords against an encrypted RAR
// archive. It is safe for concurrent use when r is.
type RARPasswordChecker struct {
	r       io.ReaderAt
	size    int64
	targets []rarTarget
}

type rarTargetKind int

const (
	tgt5Check  rarTargetKind = iota // compare the check value
	tgt5Header                      // decrypt the first encrypted header, check its CRC-32
	tgt4Header                      // decrypt the first encrypted headers, check their CRC-16
	tgt4Stored                      // decrypt a stored entry, check its CRC-32
)

type rarTarget struct {
	kind  rarTargetKind
	name  string
	salt  []byte
	kdf   int
	check []byte // tgt5Check: the 8-byte check value
	off   int64  // tgt5Header: the IV; tgt4Header: the salt; tgt4Stored: the data
	n     int64  // tgt4Stored: data length
	size  int64  // tgt4Stored: unpacked size
	crc   uint32
}

// NewRARPasswordChecker parses the archive like Inspect (an unscannable
// archive is refused with ErrUnscannable) and picks what candidates are
// verified against (see above), at most a few targets. It returns
// ErrNotEncrypted for an archive without encryption and ErrCannotVerify
// when nothing encrypted can be verified.
func NewRARPasswordChecker(r io.ReaderAt, size int64, lim Limits) (c *RARPasswordChecker, err error) {
	defer internalError(&err, true)
	lim = lim.withDefaults()
	s := &scanner{lim: lim, left: lim.MaxBytes}
	a, reason := s.parseRAR(r, size)
	if reason != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnscannable, reason)
	}
	c = &RARPasswordChecker{r: r, size: size}
	switch {
	case a.hdrEnc && a.v5:
		if a.kdf > rar5MaxKDF {
			return nil, fmt.Errorf("%w: KDF count 2^%d exceeds 2^%d", ErrCannotVerify, a.kdf, rar5MaxKDF)
		}
		if chk, ok := rar5CheckValue(a.check); ok {
			c.targets = append(c.targets, rarTarget{kind: tgt5Check, name: "(headers)", salt: a.salt, kdf: a.kdf, check: chk})
		} else {
			c.targets = append(c.targets, rarTarget{kind: tgt5Header, name: "(headers)", salt: a.salt, kdf: a.kdf, off: a.encAt})
		}
		return c, nil
	case a.hdrEnc:
		c.targets = append(c.targets, rarTarget{kind: tgt4Header, name: "(headers)", salt: a.salt, off: a.encAt})
		return c, nil
	}
	encrypted, why := 0, "no encrypted entry can be checked"
	var cands []rarTarget
	for _, e := range a.entries {
		if !e.encrypted || e.dir || e.service {
			continue
		}
		encrypted++
		switch {
		case a.v5 && e.kdf > rar5MaxKDF:
			why = fmt.Sprintf("entry %q: KDF count 2^%d exceeds 2^%d", e.name, e.kdf, rar5MaxKDF)
		case a.v5:
			chk, ok := rar5CheckValue(e.check)
			if !ok {
				why = fmt.Sprintf("entry %q has no password check value", e.name)
				continue
			}
			t := rarTarget{kind: tgt5Check, name: e.name, salt: e.salt, kdf: e.kdf, check: chk}
			if !containsRARTarget(cands, t) {
				cands = append(cands, t)
			}
		case e.unpVer < 29:
			why = fmt.Sprintf("entry %q uses the %s", e.name, e.method)
		case !e.stored || e.split || len(e.salt) != rar4SaltLen:
			why = fmt.Sprintf("entry %q is compressed: RAR4 entries are only verified when stored", e.name)
		case e.size > szCheckMax || e.dataLen%aes.BlockSize != 0 || uint64(e.dataLen) < e.size || e.dataLen-int64(e.size) >= aes.BlockSize:
			why = fmt.Sprintf("entry %q is too large or its sizes are inconsistent", e.name)
		default:
			cands = append(cands, rarTarget{kind: tgt4Stored, name: e.name, salt: e.salt, off: e.dataOff, n: e.dataLen, size: int64(e.size), crc: e.crc})
		}
	}
	if encrypted == 0 {
		return nil, ErrNotEncrypted
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrCannotVerify, why)
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].n < cands[j].n })
	c.targets = cands[:min(len(cands), rarMaxTargets)]
	return c, nil
}

func containsRARTarget(list []rarTarget, t rarTarget) bool {
	for _, x := range list {
		if x.kind == t.kind && x.kdf == t.kdf && bytes.Equal(x.salt, t.salt) && bytes.Equal(x.check, t.check) {
			return true
		}
	}
	return false
}

// rar5CheckValue returns the 8-byte check value of a 12-byte stored one
// whose checksum is intact.
func rar5CheckValue(stored []byte) ([]byte, bool) {
	if len(stored) != rar5CheckLen {
		return nil, false
	}
	sum := sha256.Sum256(stored[:8])
	return stored[:8], bytes.Equal(sum[:4], stored[8:])
}

// Check reports whether password opens the archive, verified as described
// above. An error wrapping ErrCannotVerify means this candidate cannot be
// tested; other errors are internal failures.
func (c *RARPasswordChecker) Check(password string) (ok bool, err error) {
	defer internalError(&err, false)
	type rar4Key struct{ salt, key, iv []byte }
	type rar5Key struct {
		salt       []byte
		kdf        int
		key, check []byte
	}
	var keys4 []rar4Key
	var keys5 []rar5Key
	key4 := func(salt []byte) (key, iv []byte, err error) {
		for _, k := range keys4 {
			if bytes.Equal(k.salt, salt) {
				return k.key, k.iv, nil
			}
		}
		pw := utf16LE(password)
		if len(pw) > 2*28 {
			return nil, nil, fmt.Errorf("%w: RAR4 passwords over 28 characters are not supported", ErrCannotVerify)
		}
		key, iv = rar4Keys(pw, salt)
		keys4 = append(keys4, rar4Key{salt, key, iv})
		return key, iv, nil
	}
	key5 := func(salt []byte, kdf int) (key, check []byte) {
		for _, k := range keys5 {
			if k.kdf == kdf && bytes.Equal(k.salt, salt) {
				return k.key, k.check
			}
		}
		key, check = rar5Keys([]byte(password), salt, kdf)
		keys5 = append(keys5, rar5Key{salt, kdf, key, check})
		return key, check
	}
	for i := range c.targets {
		t := &c.targets[i]
		switch t.kind {
		case tgt5Check:
			if _, check := key5(t.salt, t.kdf); bytes.Equal(check, t.check) {
				return true, nil
			}
		case tgt5Header:
			key, _ := key5(t.salt, t.kdf)
			if c.rar5HeaderOpens(t.off, key) {
				return true, nil
			}
		case tgt4Header:
			if len(password) > 28 && len(utf16LE(password)) > 2*28 {
				return false, fmt.Errorf("%w: RAR4 passwords over 28 characters are not supported", ErrCannotVerify)
			}
			if c.rar4HeadersOpen(t.off, key4) {
				return true, nil
			}
		case tgt4Stored:
			key, iv, err := key4(t.salt)
			if err != nil {
				return false, err
			}
			if c.rar4StoredOpens(t, key, iv) {
				return true, nil
			}
		}
	}
	return false, nil
}

// rar5HeaderOpens decrypts the encrypted header at off (IV, then AES-256
// CBC) and checks its CRC-32.
func (c *RARPasswordChecker) rar5HeaderOpens(off int64, key []byte) bool {
	iv, err := readAt(c.r, c.size, off, aes.BlockSize)
	if err != nil {
		return false
	}
	block, _ := aes.NewCipher(key)
	first, err := readAt(c.r, c.size, off+aes.BlockSize, aes.BlockSize)
	if err != nil {
		return false
	}
	dec := make([]byte, aes.BlockSize)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(dec, first)
	sr := &rar5Reader{b: dec[4:]}
	hsize := sr.vint()
	if sr.err != nil || hsize == 0 || hsize > rar5MaxHeader {
		return false
	}
	total := 4 + int64(len(dec)-4-len(sr.b)) + int64(hsize)
	padded := (total + aes.BlockSize - 1) / aes.BlockSize * aes.BlockSize
	enc, err := readAt(c.r, c.size, off+aes.BlockSize, padded)
	if err != nil {
		return false
	}
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(enc, enc)
	return crc32.ChecksumIEEE(enc[4:total]) == binary.LittleEndian.Uint32(enc[0:4])
}

// rar4HeadersOpen decrypts the first encrypted header at off (an 8-byte
// salt, then AES-128 CBC) and, when the archive goes on, the next one.
func (c *RARPasswordChecker) rar4HeadersOpen(off int64, keyFor func([]byte) ([]byte, []byte, error)) bool {
	for i := 0; i < 2 && off < c.size; i++ {
		salt, err := readAt(c.r, c.size, off, rar4SaltLen)
		if err != nil {
			return i > 0
		}
		key, iv, err := keyFor(salt)
		if err != nil {
			return false
		}
		block, _ := aes.NewCipher(key)
		first, err := readAt(c.r, c.size, off+rar4SaltLen, aes.BlockSize)
		if err != nil {
			return i > 0
		}
		dec := make([]byte, aes.BlockSize)
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(dec, first)
		typ, flags, hsize := dec[2], binary.LittleEndian.Uint16(dec[3:5]), int64(binary.LittleEndian.Uint16(dec[5:7]))
		if typ < rar4Main || typ > rar4End || hsize < 7 {
			return false
		}
		padded := (hsize + aes.BlockSize - 1) / aes.BlockSize * aes.BlockSize
		enc, err := readAt(c.r, c.size, off+rar4SaltLen, padded)
		if err != nil {
			return false
		}
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(enc, enc)
		if uint16(crc32.ChecksumIEEE(enc[2:hsize])) != binary.LittleEndian.Uint16(enc[0:2]) {
			return false
		}
		if typ == rar4End {
			return true
		}
		var dataLen int64
		switch {
		case typ == rar4File || typ == rar4NewSub:
			e, problem := parseRAR4File(enc[:hsize], flags)
			if problem != nil {
				return false
			}
			dataLen = e.dataLen
		case flags&rar4LongBlock != 0 && hsize >= 11:
			dataLen = int64(binary.LittleEndian.Uint32(enc[7:11]))
		}
		off += rar4SaltLen + padded + dataLen
	}
	return true
}

// rar4StoredOpens decrypts a stored entry and checks its CRC-32.
func (c *RARPasswordChecker) rar4StoredOpens(t *rarTarget, key, iv []byte) bool {
	data, err := readAt(c.r, c.size, t.off, t.n)
	if err != nil {
		return false
	}
	block, _ := aes.NewCipher(key)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(data, data)
	return crc32.ChecksumIEEE(data[:t.size]) == t.crc
}

// rar4Keys derives the AES-128 key and IV of RAR 2.9-4.x (unrar's
// CryptData::SetKey30): SHA-1 over 2^18 rounds of password || salt ||
// 3-byte round number; the IV takes byte 19 of the digest at every 2^14th
// round; the key is the first four digest words, each little-endian.
func rar4Keys(pw, salt []byte) (key, iv []byte) {
	unit := len(pw) + len(salt) + 3
	const step = rar4HashRound / 16 // IV byte every 16384 rounds
	buf := make([]byte, step*unit)
	for j := 0; j < step; j++ {
		copy(buf[j*unit:], pw)
		copy(buf[j*unit+len(pw):], salt)
	}
	h := sha1.New()
	iv = make([]byte, aes.BlockSize)
	var sum [sha1.Size]byte
	for i := 0; i < rar4HashRound; i += step {
		// Round i first (its digest gives an IV byte), then the other
		// rounds of the step in one write.
		for j := 0; j < step; j++ {
			n := i + j
			p := buf[j*unit+unit-3:]
			p[0], p[1], p[2] = byte(n), byte(n>>8), byte(n>>16)
		}
		h.Write(buf[:unit])
		iv[i/step] = h.Sum(sum[:0])[19]
		h.Write(buf[unit:])
	}
	d := h.Sum(sum[:0])
	key = make([]byte, 16)
	for i := 0; i < 4; i++ {
		key[4*i], key[4*i+1], key[4*i+2], key[4*i+3] = d[4*i+3], d[4*i+2], d[4*i+1], d[4*i]
	}
	return key, iv
}

// rar5Keys derives the AES-256 key and the 8-byte password check value of
// RAR5: PBKDF2-HMAC-SHA256 with 2^kdf iterations gives the key; 16 more
// give the hash key (unused here), 16 more the check value, folded to 8
// bytes by XOR.
func rar5Keys(pw, salt []byte, kdf int) (key, check []byte) {
	prf := hmac.New(sha256.New, pw)
	prf.Write(salt)
	prf.Write([]byte{0, 0, 0, 1})
	u := prf.Sum(nil)
	f := append([]byte(nil), u...)
	iterate := func(n int) {
		for ; n > 0; n-- {
			prf.Reset()
			prf.Write(u)
			u = prf.Sum(u[:0])
			for j := range f {
				f[j] ^= u[j]
			}
		}
	}
	iterate(1<<kdf - 1)
	key = append([]byte(nil), f...)
	iterate(16) // hash key
	iterate(16)
	check = make([]byte, 8)
	for i, v := range f {
		check[i%8] ^= v
	}
	return key, check
}
