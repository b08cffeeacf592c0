package mailarchive

import (
	"bytes"
	"io"
	"net/mail"

	"github.com/sendguard/sendguard/mailcharset"

	"github.com/sendguard/sendguard/mailheader"
	"github.com/sendguard/sendguard/policy/encryption"
)

// notMailHeadSize is how much of a file notMail reads.
const notMailHeadSize = encryption.IdentifyHeadSize

// NotMail reports, for check and replay, why the data is not an Internet
// message, or "" when it is one. It judges by bytes, not by the file's
// name: a message starts with a header field (RFC 5322 section 2.2: a
// field name of printable ASCII without ":", then ":"), optionally after an
// mbox "From " line. Anything else (an empty file, a ZIP, a PDF, an image,
// binary data, plain text) would otherwise be judged as a message with no
// headers and an odd body, a verdict that means nothing.
func NotMail(r io.ReaderAt, size int64) string {
	if size == 0 {
		return "the file is empty"
	}
	head := make([]byte, min(size, notMailHeadSize))
	n, err := r.ReadAt(head, 0)
	if n == 0 && err != nil {
		return "it cannot be read: " + err.Error()
	}
	head = head[:n]
	if startsWithHeader(head) {
		return ""
	}
	if what := fileKind(head); what != "" {
		return "it is " + what + ", not a mail message (a message starts with header fields such as From: and Subject:)"
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return "it is binary data, not a mail message (a message starts with header fields such as From: and Subject:)"
	}
	return "it does not start with header fields such as From: and Subject:, so it is not a mail message"
}

// startsWithHeader: the first line (after an mbox "From " line) is a
// header field "Name: …" and the header block holds no NUL byte.
func startsWithHeader(head []byte) bool {
	if bytes.HasPrefix(head, []byte("From ")) {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			return false
		}
		head = head[i+1:]
	}
	colon := bytes.IndexByte(head, ':')
	if colon <= 0 {
		return false
	}
	for _, c := range head[:colon] {
		if c < 33 || c > 126 {
			return false
		}
	}
	end := len(head)
	if i := bytes.Index(head, []byte("\n\r\n")); i >= 0 {
		end = i
	} else if i := bytes.Index(head, []byte("\n\n")); i >= 0 {
		end = i
	}
	return bytes.IndexByte(head[:end], 0) < 0
}

// imageMagic names common image and program formats that
// encryption.Identify has no reason to know.
var imageMagic = []struct {
	prefix string
	name   string
}{
	{"\x89PNG\r\n\x1a\n", "a PNG image"},
	{"\xff\xd8\xff", "a JPEG image"},
	{"GIF87a", "a GIF image"},
	{"GIF89a", "a GIF image"},
	{"II*\x00", "a TIFF image"},
	{"MM\x00*", "a TIFF image"},
	{"\x7fELF", "a program (ELF)"},
	{"MZ", "a Windows program"},
}

// fileKind names the format of head in words, or "".
func fileKind(head []byte) string {
	switch encryption.Identify(head) {
	case encryption.FormatZIP:
		return "a ZIP archive (or an Office document)"
	case encryption.Format7z:
		return "a 7z archive"
	case encryption.FormatRAR:
		return "a RAR archive"
	case encryption.FormatPDF:
		return "a PDF document"
	case encryption.FormatCFB:
		return "an Office document (OLE2)"
	case encryption.FormatPGP:
		return "a PGP message file"
	case encryption.FormatGzip, encryption.FormatBzip2, encryption.FormatXZ, encryption.FormatZstd:
		return "a compressed file"
	case encryption.FormatTar:
		return "a tar archive"
	case encryption.FormatLZH:
		return "an LZH archive"
	}
	for _, m := range imageMagic {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return m.name
		}
	}
	if len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP" {
		return "a WebP image"
	}
	return ""
}

// HeaderEnvelope reads From and To/Cc/Bcc from a message's header, for a
// dry run without an explicit envelope: the first address of the first From
// field, and every address of every To, Cc and Bcc field (a message may
// carry several; they are one list). The header section is read with
// mailheader (at most envelopeHeaderMax bytes, leniently: a line that is not
// a field, such as an mbox "From " line, is skipped rather than ending the
// header). Display names in any charset are fine: only the addresses are
// used.
func HeaderEnvelope(r io.ReaderAt) (string, []string) {
	sec, _ := mailheader.ReadSection(r, envelopeHeaderMax)
	fs := mailheader.Parse(sec)
	var from string
	if l := addresses(fs.Get("From")); len(l) > 0 {
		from = l[0]
	}
	var to []string
	for _, k := range []string{"To", "Cc", "Bcc"} {
		for _, v := range fs.Values(k) {
			to = append(to, addresses(v)...)
		}
	}
	return from, to
}

// envelopeHeaderMax bounds the header section HeaderEnvelope reads.
const envelopeHeaderMax = 1 << 20

// addressParser reads address lists whose display names may be RFC 2047
// words in any charset, Japanese mailers' labels included.
var addressParser = mail.AddressParser{WordDecoder: mailcharset.WordDecoder}

// addresses returns the addresses of an address-list field value, none when
// it does not parse.
func addresses(v string) []string {
	if v == "" {
		return nil
	}
	l, err := addressParser.ParseList(v)
	if err != nil {
		return nil
	}
	out := make([]string, len(l))
	for i, a := range l {
		out[i] = a.Address
	}
	return out
}
