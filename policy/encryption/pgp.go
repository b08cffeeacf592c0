package encryption

// OpenPGP messages (RFC 4880, RFC 9580; the LibrePGP AEAD packet of
// GnuPG 2.3+), binary or ASCII-armored, read with a small packet walker
// written from the RFCs. golang.org/x/crypto/openpgp is deprecated and
// frozen (it knows neither SEIPD v2 nor the AEAD packet) and would only be
// used to walk packet headers, which is a few dozen lines.
//
// An encrypted message is: marker packets (ignored), session key packets
// (public-key PKESK, tag 1; symmetric-key SKESK, tag 3), then one
// encrypted data packet (SED, tag 9; SEIPD, tag 18; AEAD, tag 20) that
// runs to the end of the file. That is Protected. The cipher is named when
// the file says it: SEIPD v2 and the AEAD packet name the content's
// cipher; otherwise the first SKESK's (the cipher of the passphrase key,
// which gpg -c also uses for the content) is reported. With only
// public-key session keys it is inside the encrypted session key, and the
// method is "OpenPGP (public key)". A message that
// starts with anything else (a signed message: one-pass signature or
// compressed data; literal data; a key) is not encrypted, and bytes after
// the encrypted packet are unscannable (a second file hiding behind the
// first). Clear-signed texts, detached signatures and key blocks are not
// identified by Identify; inspectUnidentified reports them as FormatPGP,
// not protected.

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	pgpMaxChunks    = 1 << 20 // partial body length chunks per packet
	pgpMaxESK       = 1 << 10 // session key packets per message
	pgpMaxESKLength = 1 << 16 // bytes in one session key packet
)

var pgpCiphers = map[byte]string{
	1: "IDEA", 2: "TripleDES", 3: "CAST5", 4: "Blowfish", 7: "AES-128", 8: "AES-192", 9: "AES-256",
	10: "Twofish", 11: "Camellia-128", 12: "Camellia-192", 13: "Camellia-256",
}

var pgpPublicKeyAlgos = map[byte]string{
	1: "RSA", 2: "RSA", 3: "RSA", 16: "Elgamal", 18: "ECDH", 25: "X25519", 26: "X448",
}

// pgpPacket is a packet header: tag, body extent and, for partial
// lengths, the first chunk.
type pgpPacket struct {
	tag   byte
	body  int64 // offset of the body (of its first chunk when partial)
	first int64 // length of the first chunk (the whole body when not partial)
	end   int64 // offset after the packet
}

var errPGPTruncated = errors.New("truncated")

// readPGPPacket reads the packet header at pos and finds where the packet
// ends, following partial body lengths chunk by chunk.
func readPGPPacket(r io.ReaderAt, size, pos int64) (p pgpPacket, err error) {
	b := func(off int64) (byte, error) {
		if off >= size {
			return 0, errPGPTruncated
		}
		var c [1]byte
		if _, err := r.ReadAt(c[:], off); err != nil {
			return 0, errPGPTruncated
		}
		return c[0], nil
	}
	be := func(off int64, n int) (int64, error) {
		var v int64
		for i := 0; i < n; i++ {
			c, err := b(off + int64(i))
			if err != nil {
				return 0, err
			}
			v = v<<8 | int64(c)
		}
		return v, nil
	}
	h, err := b(pos)
	if err != nil {
		return p, err
	}
	if h&0x80 == 0 {
		return p, fmt.Errorf("byte %#x at offset %d is not a packet header", h, pos)
	}
	if h&0x40 == 0 { // old format
		p.tag = h >> 2 & 0x0F
		switch h & 3 {
		case 0:
			p.first, err = be(pos+1, 1)
			p.body = pos + 2
		case 1:
			p.first, err = be(pos+1, 2)
			p.body = pos + 3
		case 2:
			p.first, err = be(pos+1, 4)
			p.body = pos + 5
		case 3: // indeterminate: to the end of the file
			p.body, p.first = pos+1, size-pos-1
		}
		if err != nil {
			return p, err
		}
		p.end = p.body + p.first
		if p.end > size {
			return p, errPGPTruncated
		}
		return p, nil
	}
	p.tag = h & 0x3F
	off := pos + 1
	for chunks := 0; ; chunks++ {
		if chunks > pgpMaxChunks {
			return p, fmt.Errorf("a packet has more than %d chunks", pgpMaxChunks)
		}
		l0, err := b(off)
		if err != nil {
			return p, err
		}
		var n int64
		partial := false
		switch {
		case l0 < 192:
			n, off = int64(l0), off+1
		case l0 < 224:
			l1, err := b(off + 1)
			if err != nil {
				return p, err
			}
			n, off = (int64(l0)-192)<<8+int64(l1)+192, off+2
		case l0 == 255:
			if n, err = be(off+1, 4); err != nil {
				return p, err
			}
			off += 5
		default:
			n, off, partial = 1<<(l0&0x1F), off+1, true
		}
		if chunks == 0 {
			p.body, p.first = off, n
		}
		if n > size-off {
			return p, errPGPTruncated
		}
		off += n
		if !partial {
			p.end = off
			return p, nil
		}
	}
}

// inspectPGP judges an OpenPGP message, binary or armored.
func (s *scanner) inspectPGP(r io.ReaderAt, size int64) Result {
	res := Result{Format: FormatPGP}
	head, err := readAt(r, size, 0, min(size, 64))
	if err != nil {
		res.Unscannable = fmt.Sprintf("reading the OpenPGP message: %v", err)
		return res
	}
	if bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n\ufeff"), magicPGPArmor) {
		if !s.charge(size) {
			res.Unscannable = fmt.Sprintf("armored OpenPGP message exceeds the %d-byte limit", s.lim.MaxBytes)
			return res
		}
		text, err := readAt(r, size, 0, size)
		if err != nil {
			res.Unscannable = fmt.Sprintf("reading the OpenPGP message: %v", err)
			return res
		}
		data, problem := dearmorPGP(text, "PGP MESSAGE")
		if problem != "" {
			res.Unscannable = "OpenPGP armor " + problem
			return res
		}
		r, size = bytes.NewReader(data), int64(len(data))
		res.Notes = append(res.Notes, "ASCII-armored")
	}
	pgpMessage(r, size, &res)
	return res
}

// pgpMessage walks the packets of a binary message into res.
func pgpMessage(r io.ReaderAt, size int64, res *Result) {
	var cipher, publicKey string
	pk, sk := 0, 0
	for pos, n := int64(0), 0; ; n++ {
		if pos == size {
			if n == 0 {
				res.Unscannable = "OpenPGP message is empty"
			} else {
				res.Unscannable = "OpenPGP message is truncated: session keys but no encrypted data"
			}
			return
		}
		p, err := readPGPPacket(r, size, pos)
		if err != nil {
			res.Unscannable = fmt.Sprintf("OpenPGP packet at offset %d is corrupt: %v", pos, err)
			return
		}
		var body []byte
		if p.first <= pgpMaxESKLength {
			body, _ = readAt(r, size, p.body, min(p.first, 64))
		}
		switch p.tag {
		case 10: // marker
		case 1, 3:
			if p.end-p.body != p.first || p.first > pgpMaxESKLength || n > pgpMaxESK || len(body) < 2 {
				res.Unscannable = fmt.Sprintf("OpenPGP session key packet at offset %d is corrupt", pos)
				return
			}
			if p.tag == 1 {
				pk++
				// v3: key id (8), algorithm; v6: key version and fingerprint first.
				if body[0] == 3 && len(body) >= 10 && publicKey == "" {
					publicKey = pgpPublicKeyAlgos[body[9]]
				}
				break
			}
			sk++
			var id byte
			switch body[0] {
			case 4, 5:
				id = body[1]
			case 6:
				if len(body) > 2 {
					id = body[2]
				}
			}
			if name := pgpCiphers[id]; name != "" && cipher == "" {
				cipher = name
			}
		case 9, 18, 20:
			if p.end != size {
				res.Unscannable = fmt.Sprintf("OpenPGP message has %d bytes after its encrypted data (appended data)", size-p.end)
				return
			}
			switch {
			case p.tag == 18 && len(body) >= 2 && body[0] == 2, p.tag == 20 && len(body) >= 2:
				if name := pgpCiphers[body[1]]; name != "" {
					cipher = name
				}
			case p.tag == 9:
				res.Notes = append(res.Notes, "legacy encrypted data without integrity protection (SED)")
			}
			res.Protected = true
			switch {
			case cipher != "":
				res.Method = "OpenPGP (" + cipher + ")"
			case pk > 0:
				res.Method = "OpenPGP (public key)"
			default:
				res.Method = "OpenPGP"
			}
			if pk > 0 {
				k := "public key"
				if publicKey != "" {
					k = publicKey + " key"
				}
				res.Notes = append(res.Notes, fmt.Sprintf("encrypted to %d %s(s)", pk, k))
			}
			if sk > 0 {
				res.Notes = append(res.Notes, "encrypted with a passphrase")
			}
			if pk+sk == 0 {
				res.Notes = append(res.Notes, "no session key packet: the key is the hashed passphrase")
			}
			return
		case 2, 4, 8, 11:
			res.Notes = append(res.Notes, "signed, compressed or literal OpenPGP data: not encrypted")
			return
		case 5, 6, 7, 13, 14:
			res.Notes = append(res.Notes, "OpenPGP key material: not an encrypted message")
			return
		default:
			res.Unscannable = fmt.Sprintf("OpenPGP packet at offset %d has an unexpected tag %d", pos, p.tag)
			return
		}
		pos = p.end
	}
}

// dearmorPGP decodes the first ASCII-armored block of the given kind
// ("PGP MESSAGE") in text: header lines, base64, an optional CRC-24, the
// END line. Anything but white space after the block is refused.
func dearmorPGP(text []byte, kind string) ([]byte, string) {
	begin, end := "-----BEGIN "+kind+"-----", "-----END "+kind+"-----"
	lines := strings.Split(strings.TrimLeft(string(text), " \t\r\n\ufeff"), "\n")
	if len(lines) == 0 || strings.TrimRight(lines[0], " \t\r") != begin {
		return nil, "has no BEGIN line"
	}
	i := 1
	// Armor headers ("Version: ...") up to a blank line; tolerate their
	// absence.
	for j := i; j < len(lines); j++ {
		l := strings.TrimRight(lines[j], " \t\r")
		if l == "" {
			i = j + 1
			break
		}
		if !strings.Contains(l, ": ") {
			break
		}
	}
	var b64 strings.Builder
	var sum string
	for ; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " \t\r")
		switch {
		case l == end:
			rest := strings.Join(lines[i+1:], "\n")
			if strings.TrimSpace(strings.Trim(rest, "\x00")) != "" {
				return nil, fmt.Sprintf("has data after the END %s line", kind)
			}
			data, err := base64.StdEncoding.DecodeString(b64.String())
			if err != nil {
				return nil, fmt.Sprintf("is corrupt (base64: %v)", err)
			}
			if sum != "" {
				want, err := base64.StdEncoding.DecodeString(sum)
				got := crc24(data)
				if err != nil || len(want) != 3 || !bytes.Equal(want, []byte{byte(got >> 16), byte(got >> 8), byte(got)}) {
					return nil, "checksum mismatch (corrupt)"
				}
			}
			return data, ""
		case strings.HasPrefix(l, "=") && len(l) == 5:
			sum = l[1:]
		case strings.HasPrefix(l, "-----"):
			return nil, fmt.Sprintf("has an unexpected line %q", l)
		default:
			b64.WriteString(l)
		}
	}
	return nil, "has no END line (truncated)"
}

// crc24 is the armor checksum (RFC 4880 section 6.1).
func crc24(b []byte) uint32 {
	crc := uint32(0xB704CE)
	for _, c := range b {
		crc ^= uint32(c) << 16
		for i := 0; i < 8; i++ {
			crc <<= 1
			if crc&0x1000000 != 0 {
				crc ^= 0x1864CFB
			}
		}
	}
	return crc & 0xFFFFFF
}

// pgpArmorKind recognises OpenPGP armor that Identify leaves unknown:
// clear-signed texts, signatures and keys (not encrypted), and parts of
// multi-part messages (undecidable here).
func pgpArmorKind(head []byte) (note string, undecidable bool) {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	for _, k := range []struct {
		prefix, note string
		undecidable  bool
	}{
		{"-----BEGIN PGP SIGNED MESSAGE-----", "clear-signed OpenPGP text: signed, not encrypted", false},
		{"-----BEGIN PGP SIGNATURE", "OpenPGP signature: not encrypted", false},
		{"-----BEGIN PGP PUBLIC KEY BLOCK", "OpenPGP public key: not an encrypted message", false},
		{"-----BEGIN PGP PRIVATE KEY BLOCK", "OpenPGP private key: not an encrypted message", false},
		{"-----BEGIN PGP ARMORED FILE", "armored OpenPGP file: literal data, not encrypted", false},
		{"-----BEGIN PGP MESSAGE, PART ", "one part of a multi-part armored OpenPGP message cannot be checked", true},
	} {
		if bytes.HasPrefix(t, []byte(k.prefix)) {
			return k.note, k.undecidable
		}
	}
	return "", false
}
