package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"strings"

	"github.com/emersion/go-message"
)

// This file writes MIME with go-message's writer: it formats and folds the
// header fields, writes the multipart delimiters and applies each part's
// Content-Transfer-Encoding. notify chooses only what goes in: the fields in
// order, the boundaries (fixed per message, so that a report can be
// compared byte for byte) and the encodings.

// fields is a header section in the order it is written.
type fields [][2]string

// header returns fs as a go-message header. go-message's Add puts a field
// at the top (the order DKIM needs for prepending), so the last is added
// first. Field names come out in go-message's canonical form
// ("Message-Id", "Mime-Version"); names are case-insensitive (rfc/5322
// section 1.2.2).
func (fs fields) header() message.Header {
	var h message.Header
	for i := len(fs) - 1; i >= 0; i-- {
		h.Add(fs[i][0], fs[i][1])
	}
	return h
}

// multipartType is the Content-Type value of a multipart entity.
func multipartType(subtype, bnd string, params map[string]string) string {
	p := map[string]string{"boundary": bnd}
	for k, v := range params {
		p[k] = v
	}
	return mime.FormatMediaType("multipart/"+subtype, p)
}

// boundary returns a multipart boundary derived from seed that occurs in
// none of the bodies (rfc/2046 section 5.1.1). Only bodies written as they
// are (7bit) need be passed: "=_" never occurs in base64 or
// quoted-printable.
func boundary(seed string, bodies ...[]byte) string {
	for n := 0; ; n++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%d", seed, n)))
		b := "=_sendguard_" + hex.EncodeToString(sum[:12])
		clash := false
		for _, body := range bodies {
			if bytes.Contains(body, []byte(b)) {
				clash = true
				break
			}
		}
		if !clash {
			return b
		}
	}
}

// writePart writes one leaf part of parent: its header fields, then body,
// encoded as its Content-Transfer-Encoding says. go-message's CreatePart
// does not return an error from writing the part's fields (v0.18.2): the
// fields of every part here are fixed strings, never text from a message.
func writePart(parent *message.Writer, h fields, body []byte) error {
	w, err := parent.CreatePart(h.header())
	if err == nil {
		_, err = w.Write(body)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		mt, _, _ := strings.Cut(h.get("Content-Type"), ";")
		return fmt.Errorf("%s part: %w", mt, err)
	}
	return nil
}

// get returns the value of the first field named name (any case).
func (fs fields) get(name string) string {
	for _, f := range fs {
		if strings.EqualFold(f[0], name) {
			return f[1]
		}
	}
	return ""
}

// crlf makes the line ends of text CRLF, the canonical form of text on the
// wire (rfc/2046 section 4.1.1); base64 keeps line ends as they are.
func crlf(text string) string {
	return strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")
}

// writeAlternative writes the parts of a notice's multipart/alternative
// entity w: text/plain and text/html, UTF-8 in base64 (the texts are
// mostly Japanese, for which base64 is a third the size of
// quoted-printable), and closes w.
func writeAlternative(w *message.Writer, d *document) error {
	for _, p := range []struct{ subtype, text string }{{"plain", d.plain()}, {"html", d.html()}} {
		h := fields{
			{"Content-Type", mime.FormatMediaType("text/"+p.subtype, map[string]string{"charset": "utf-8"})},
			{"Content-Transfer-Encoding", "base64"},
		}
		if err := writePart(w, h, []byte(crlf(p.text))); err != nil {
			return err
		}
	}
	return w.Close()
}

// alternativeType is the Content-Type of a notice's multipart/alternative
// entity; seed makes its boundary.
func alternativeType(seed string) string {
	return multipartType("alternative", boundary(seed+"|alternative"), nil)
}

// writeNotice writes a whole mail whose body is the notice d:
// multipart/alternative (text/plain and text/html). top holds the fields
// up to MIME-Version.
func writeNotice(top fields, seed string, d *document) ([]byte, error) {
	h := append(top[:len(top):len(top)], [2]string{"Content-Type", alternativeType(seed)})
	var b bytes.Buffer
	w, err := message.CreateWriter(&b, h.header())
	if err != nil {
		return nil, fmt.Errorf("write the header: %w", err)
	}
	if err := writeAlternative(w, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
