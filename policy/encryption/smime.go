package encryption

// S/MIME (CMS, RFC 5652; PKCS #7) files attached as such: an .p7m part,
// DER or BER (Outlook and openssl -stream write indefinite lengths and
// segmented OCTET STRINGs, which encoding/asn1 does not read), or PEM
// ("-----BEGIN PKCS7-----"). A small BER reader written from X.690 walks
// the ContentInfo; no library is needed (go.mozilla.org/pkcs7 and
// smallstep/pkcs7 parse DER only and aim at decrypting and verifying).
//
//   - envelopedData (1.2.840.113549.1.7.3), authEnvelopedData
//     (1.2.840.113549.1.9.16.1.23), encryptedData (1.2.840.113549.1.7.6)
//     and PKCS #7 signedAndEnvelopedData (1.2.840.113549.1.7.4) are
//     Protected; the method names the content-encryption algorithm:
//     "S/MIME enveloped (AES-256-CBC)".
//   - signedData (1.2.840.113549.1.7.2) is not encrypted. The signed
//     content is exposed: it is the single plain entry "(signed content)",
//     inspected into Nested when it is a known format (so a signed,
//     encrypted ZIP is a plain container of a protected file), and
//     SMIMESignedContent returns it.
//   - data, digestedData, compressedData, authData: not encrypted.
//
// Identify does not recognise CMS; scanner.inspect hands unidentified
// files to inspectUnidentified, which claims those whose first bytes are a
// SEQUENCE holding a PKCS #7 / S/MIME content type OID (and PEM blocks),
// and also reports OpenPGP armor that is not a message (see pgp.go).
//
// The element must cover the file: bytes after it (other than white
// space) are unscannable, as an appended archive would be read by other
// tools.

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// FormatSMIME is a CMS / PKCS #7 ContentInfo: an S/MIME .p7m file.
const FormatSMIME Format = "smime"

// CMS content types, as DER OID contents.
var (
	oidPKCS7Prefix = []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07}             // 1.2.840.113549.1.7
	oidSMIMEPrefix = []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01} // 1.2.840.113549.1.9.16.1
)

var cmsAlgorithms = map[string]string{
	"2.16.840.1.101.3.4.1.2":     "AES-128-CBC",
	"2.16.840.1.101.3.4.1.22":    "AES-192-CBC",
	"2.16.840.1.101.3.4.1.42":    "AES-256-CBC",
	"2.16.840.1.101.3.4.1.6":     "AES-128-GCM",
	"2.16.840.1.101.3.4.1.26":    "AES-192-GCM",
	"2.16.840.1.101.3.4.1.46":    "AES-256-GCM",
	"2.16.840.1.101.3.4.1.7":     "AES-128-CCM",
	"2.16.840.1.101.3.4.1.27":    "AES-192-CCM",
	"2.16.840.1.101.3.4.1.47":    "AES-256-CCM",
	"1.2.840.113549.3.7":         "3DES-CBC",
	"1.2.840.113549.3.2":         "RC2-CBC",
	"1.3.14.3.2.7":               "DES-CBC",
	"1.2.840.113549.1.9.16.3.18": "ChaCha20-Poly1305",
	"1.2.392.200011.61.1.1.1.2":  "Camellia-128-CBC",
	"1.2.392.200011.61.1.1.1.3":  "Camellia-192-CBC",
	"1.2.392.200011.61.1.1.1.4":  "Camellia-256-CBC",
}

// oidString formats DER OID contents as dotted decimal.
func oidString(b []byte) string {
	if len(b) == 0 || len(b) > 64 {
		return ""
	}
	var parts []string
	var v uint64
	for i, c := range b {
		if v > 1<<56 {
			return ""
		}
		v = v<<7 | uint64(c&0x7F)
		if c&0x80 != 0 {
			if i == len(b)-1 {
				return ""
			}
			continue
		}
		if len(parts) == 0 {
			first := min(v/40, 2)
			parts = append(parts, strconv.FormatUint(first, 10), strconv.FormatUint(v-40*first, 10))
		} else {
			parts = append(parts, strconv.FormatUint(v, 10))
		}
		v = 0
	}
	return strings.Join(parts, ".")
}

// cmsHead reports whether head starts like a CMS ContentInfo: a SEQUENCE
// whose first element is a PKCS #7 or S/MIME content type OID.
func cmsHead(head []byte) bool {
	if len(head) < 4 || head[0] != 0x30 {
		return false
	}
	i := 2
	switch l := head[1]; {
	case l == 0x80 || l < 0x80:
	case l&0x7F <= 4:
		i += int(l & 0x7F)
	default:
		return false
	}
	if len(head) < i+2 || head[i] != 0x06 {
		return false
	}
	n := int(head[i+1])
	oid := head[min(len(head), i+2):min(len(head), i+2+n)]
	if len(oid) != n {
		return false
	}
	return (n == 9 && bytes.HasPrefix(oid, oidPKCS7Prefix)) || (n == 11 && bytes.HasPrefix(oid, oidSMIMEPrefix))
}

var pemCMS = [][]byte{[]byte("-----BEGIN PKCS7-----"), []byte("-----BEGIN CMS-----"), []byte("-----BEGIN PKCS #7 SIGNED DATA-----")}

// pemCMSHead reports whether head starts with a PEM CMS block.
func pemCMSHead(head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	for _, p := range pemCMS {
		if bytes.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// inspectUnidentified looks at files Identify does not know: CMS (S/MIME)
// and OpenPGP armor that is not a message. Anything else stays
// FormatUnknown.
func (s *scanner) inspectUnidentified(r io.ReaderAt, size int64, head []byte, depth int) Result {
	if cmsHead(head) || pemCMSHead(head) {
		return s.inspectSMIME(r, size, depth)
	}
	if note, undecidable := pgpArmorKind(head); note != "" {
		res := Result{Format: FormatPGP}
		if undecidable {
			res.Unscannable = note
		} else {
			res.Notes = []string{note}
		}
		return res
	}
	return Result{Format: FormatUnknown}
}

// readCMS reads the file (charged to the budget) and decodes PEM.
func (s *scanner) readCMS(r io.ReaderAt, size int64) ([]byte, string) {
	if !s.charge(size) {
		return nil, fmt.Sprintf("S/MIME file exceeds the %d-byte limit", s.lim.MaxBytes)
	}
	b, err := readAt(r, size, 0, size)
	if err != nil {
		return nil, fmt.Sprintf("reading the S/MIME file: %v", err)
	}
	if !pemCMSHead(b) {
		return b, ""
	}
	t := string(bytes.TrimLeft(b, " \t\r\n\ufeff"))
	nl := strings.IndexByte(t, '\n')
	if nl < 0 {
		return nil, "S/MIME PEM block has no END line (truncated)"
	}
	begin := strings.TrimRight(t[:nl], " \t\r")
	end := "-----END " + strings.TrimSuffix(strings.TrimPrefix(begin, "-----BEGIN "), "-----") + "-----"
	stop := strings.Index(t, end)
	if stop < 0 {
		return nil, "S/MIME PEM block has no END line (truncated)"
	}
	if rest := t[stop+len(end):]; strings.TrimSpace(strings.Trim(rest, "\x00")) != "" {
		return nil, "S/MIME PEM block is followed by other data"
	}
	body := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, t[nl+1:stop])
	der, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Sprintf("S/MIME PEM block is corrupt (base64: %v)", err)
	}
	return der, ""
}

// inspectSMIME judges a CMS ContentInfo; see the top of this file.
func (s *scanner) inspectSMIME(r io.ReaderAt, size int64, depth int) Result {
	res := Result{Format: FormatSMIME}
	b, reason := s.readCMS(r, size)
	if reason != "" {
		res.Unscannable = reason
		return res
	}
	p := NewBER(bytes.NewReader(b), int64(len(b)))
	corrupt := func(err error) Result {
		res.Unscannable = "S/MIME structure is corrupt: " + err.Error()
		return res
	}
	root, err := p.Elem(0, int64(len(b)), 0)
	if err != nil {
		return corrupt(err)
	}
	if rest := bytes.Trim(b[root.End:], " \t\r\n\x00"); len(rest) > 0 {
		res.Unscannable = fmt.Sprintf("S/MIME file has %d bytes after its end (appended data)", int64(len(b))-root.End)
		return res
	}
	kids, err := p.Children(root, 0, 2)
	if err != nil {
		return corrupt(err)
	}
	if !root.Is(0, true, 16) || len(kids) == 0 || !kids[0].Is(0, false, 6) {
		return corrupt(errors.New("not a ContentInfo"))
	}
	typ := oidString(b[kids[0].Start:kids[0].Stop])
	var content []BERElem
	if len(kids) > 1 && kids[1].Is(2, true, 0) {
		if content, err = p.Children(kids[1], 1, 1); err != nil {
			return corrupt(err)
		}
	}
	if len(content) != 1 || !content[0].Is(0, true, 16) {
		switch typ {
		case "1.2.840.113549.1.7.1":
			res.Notes = append(res.Notes, "CMS data: not encrypted")
			return res
		}
		return corrupt(fmt.Errorf("content type %s without its content", typ))
	}
	c := content[0]
	switch typ {
	case "1.2.840.113549.1.7.3": // envelopedData
		return s.smimeEncrypted(p, c, res, "S/MIME enveloped")
	case "1.2.840.113549.1.9.16.1.23": // authEnvelopedData
		return s.smimeEncrypted(p, c, res, "S/MIME authEnveloped")
	case "1.2.840.113549.1.7.4": // PKCS #7 signedAndEnvelopedData
		return s.smimeEncrypted(p, c, res, "PKCS #7 signedAndEnveloped")
	case "1.2.840.113549.1.7.6": // encryptedData
		return s.smimeEncrypted(p, c, res, "CMS encryptedData")
	case "1.2.840.113549.1.7.2":
		return s.smimeSigned(p, c, res, depth)
	case "1.2.840.113549.1.7.1":
		res.Notes = append(res.Notes, "CMS data: not encrypted")
	case "1.2.840.113549.1.7.5":
		res.Notes = append(res.Notes, "CMS digested data: not encrypted")
	case "1.2.840.113549.1.9.16.1.9":
		res.Notes = append(res.Notes, "S/MIME compressed data: not encrypted, its content was not checked")
	case "1.2.840.113549.1.9.16.1.2":
		res.Notes = append(res.Notes, "CMS authenticated data: not encrypted")
	default:
		res.Unscannable = fmt.Sprintf("S/MIME content type %s is not known", typ)
	}
	return res
}

// smimeEncrypted reads the EncryptedContentInfo of an enveloped-like
// structure c: its first SEQUENCE field (before it come the version, the
// [0] originatorInfo and SETs: recipientInfos, digestAlgorithms).
func (s *scanner) smimeEncrypted(p *BER, c BERElem, res Result, what string) Result {
	fields, err := p.Children(c, 2, 8)
	if err != nil {
		res.Unscannable = "S/MIME structure is corrupt: " + err.Error()
		return res
	}
	recipients := -1
	var eci *BERElem
	for i := range fields {
		switch f := fields[i]; {
		case f.Is(0, true, 17) && recipients < 0 && what != "CMS encryptedData":
			if rs, err := p.Children(f, 3, 1<<16); err == nil {
				recipients = len(rs)
			}
		case f.Is(0, true, 16):
			eci = &fields[i]
		}
		if eci != nil {
			break
		}
	}
	if eci == nil {
		res.Unscannable = "S/MIME structure is corrupt: no encrypted content info"
		return res
	}
	ec, err := p.Children(*eci, 3, 3)
	if err != nil || len(ec) < 2 || !ec[1].Is(0, true, 16) {
		res.Unscannable = "S/MIME structure is corrupt: bad encrypted content info"
		return res
	}
	alg, err := p.Children(ec[1], 4, 1)
	name := ""
	if err == nil && len(alg) == 1 && alg[0].Is(0, false, 6) {
		raw, _ := p.Bytes(alg[0], 64)
		oid := oidString(raw)
		if name = cmsAlgorithms[oid]; name == "" {
			name = oid
		}
	}
	res.Protected = true
	res.Method = what
	if name != "" {
		res.Method += " (" + name + ")"
	}
	if recipients >= 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d recipient(s)", recipients))
	}
	if len(ec) < 3 {
		res.Notes = append(res.Notes, "the encrypted content is detached (not in this file)")
	}
	return res
}

// signedContent returns the encapsulated content of a SignedData c, or
// ok false for a detached signature.
func signedContent(p *BER, c BERElem, max int64) (content []byte, ok bool, err error) {
	fields, err := p.Children(c, 2, 3)
	if err != nil || len(fields) < 3 || !fields[2].Is(0, true, 16) {
		return nil, false, errors.New("bad SignedData")
	}
	encap, err := p.Children(fields[2], 3, 2)
	if err != nil || len(encap) == 0 || !encap[0].Is(0, false, 6) {
		return nil, false, errors.New("bad encapsulated content info")
	}
	if len(encap) < 2 {
		return nil, false, nil
	}
	if !encap[1].Is(2, true, 0) {
		return nil, false, errors.New("bad encapsulated content")
	}
	octets, err := p.Children(encap[1], 4, 1)
	if err != nil || len(octets) != 1 || octets[0].Class != 0 || octets[0].Tag != 4 {
		return nil, false, errors.New("the encapsulated content is not an OCTET STRING")
	}
	var buf bytes.Buffer
	if err := p.Octets(octets[0], 5, max, &buf); err != nil {
		return nil, false, err
	}
	return buf.Bytes(), true, nil
}

const signedContentName = "(signed content)"

// smimeSigned reports signed data as not encrypted and inspects its
// content one level deeper.
func (s *scanner) smimeSigned(p *BER, c BERElem, res Result, depth int) Result {
	res.Notes = append(res.Notes, "S/MIME signed data: signed, not encrypted")
	content, ok, err := signedContent(p, c, s.left)
	switch {
	case errors.Is(err, errLimit):
		res.Notes = append(res.Notes, "the signed content exceeds the byte limit and was not checked")
		return res
	case err != nil:
		res.Unscannable = "S/MIME structure is corrupt: " + err.Error()
		return res
	case !ok:
		res.Notes = append(res.Notes, "detached signature: the signed content is not in this file")
		return res
	}
	res.Entries = []Entry{{Name: signedContentName, Compression: "store", Size: uint64(len(content)), CompressedSize: uint64(len(content))}}
	res.PlainEntries = []string{signedContentName}
	if len(content) == 0 {
		return res
	}
	if looksLikeMIME(content) {
		res.Notes = append(res.Notes, "the signed content is a MIME entity (an S/MIME message body)")
		return res
	}
	if depth+1 > s.lim.MaxNesting {
		res.Nested = append(res.Nested, Result{Name: signedContentName,
			Unscannable: fmt.Sprintf("nested more than %d levels deep", s.lim.MaxNesting)})
		return res
	}
	child := s.inspect(bytes.NewReader(content), int64(len(content)), depth+1)
	child.Name = signedContentName
	if child.Format != FormatUnknown || child.Unscannable != "" {
		res.Nested = append(res.Nested, child)
	}
	return res
}

func looksLikeMIME(b []byte) bool {
	h := strings.ToLower(string(b[:min(len(b), 64)]))
	return strings.HasPrefix(h, "content-type:") || strings.HasPrefix(h, "mime-version:") ||
		strings.HasPrefix(h, "content-transfer-encoding:")
}

// SMIMESignedContent returns the content of an S/MIME signedData file
// (DER, BER or PEM) so that the caller can judge it: the MIME entity of an
// opaque-signed message, or the signed file of a .p7m attachment. It fails
// for other content types, detached signatures, and content over
// lim.MaxBytes.
func SMIMESignedContent(r io.ReaderAt, size int64, lim Limits) (content []byte, err error) {
	defer internalError(&err, true)
	lim = lim.withDefaults()
	s := &scanner{lim: lim, left: lim.MaxBytes}
	b, reason := s.readCMS(r, size)
	if reason != "" {
		return nil, fmt.Errorf("%w: %s", ErrUnscannable, reason)
	}
	p := NewBER(bytes.NewReader(b), int64(len(b)))
	root, err := p.Elem(0, int64(len(b)), 0)
	if err != nil {
		return nil, fmt.Errorf("%w: S/MIME structure is corrupt: %v", ErrUnscannable, err)
	}
	kids, err := p.Children(root, 0, 2)
	if err != nil || len(kids) != 2 || !kids[0].Is(0, false, 6) || !kids[1].Is(2, true, 0) ||
		oidString(b[kids[0].Start:kids[0].Stop]) != "1.2.840.113549.1.7.2" {
		return nil, fmt.Errorf("%w: not S/MIME signed data", ErrUnscannable)
	}
	sd, err := p.Children(kids[1], 1, 1)
	if err != nil || len(sd) != 1 {
		return nil, fmt.Errorf("%w: S/MIME structure is corrupt", ErrUnscannable)
	}
	content, ok, err := signedContent(p, sd[0], s.left)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: S/MIME signed data: %v", ErrUnscannable, err)
	case !ok:
		return nil, errors.New("detached signature: the signed content is not in this file")
	}
	return content, nil
}
