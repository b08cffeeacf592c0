package inspect

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"net/url"
	"strings"

	"github.com/emersion/go-message"

	"github.com/sendguard/sendguard/policy/encryption"
)

// Text kinds beyond the subject, bodies and file names: text a recipient
// can see or reveal, which the password and link rules read too.
const (
	// KindHTMLHidden: HTML comments, <title>, alt/title/aria-label/
	// placeholder/value attributes.
	KindHTMLHidden = "html-hidden"
	// KindHTMLLink: URLs of HTML link and resource attributes and CSS
	// url(), one per line (a link behind 「こちら」 is still a link).
	KindHTMLLink = "html-link"
	// KindHeader: display names and comments of From, To, Cc, Reply-To and
	// Sender, decoded.
	KindHeader = "header"
	// KindAttachment: the text of an attachment whose bytes are text (a
	// password.txt, a CSV, an invitation's description).
	KindAttachment = "attachment"
)

// OriginHTMLData marks an attachment embedded in HTML as a data: URL.
const OriginHTMLData = "html-data"

// dataFiles decodes the data: URLs of an HTML part into attachments (or
// inline images, when shown as a picture and their bytes are one).
func (w *walker) dataFiles(urls []dataURL, path string, c walkCtx) {
	for _, d := range urls {
		if !w.countFile(path) {
			return
		}
		ctype, body, ok := parseDataURL(d.url, w.lim.MaxPartBytes)
		if !ok {
			w.problem(path, "an HTML data: URL cannot be decoded")
			continue
		}
		a := w.attach(bytes.NewReader(body), path, d.download, ctype, "attachment", OriginHTMLData, c)
		if a == nil {
			return
		}
		if d.image && !w.lim.CountInlineImages && encryption.IsPlainImage(a.Content, a.Size) {
			w.detach(a)
			w.m.InlineImages = append(w.m.InlineImages, a)
		}
	}
}

// parseDataURL decodes "data:[<media type>][;base64],<data>" (RFC 2397),
// at most max bytes.
func parseDataURL(s string, max int64) (ctype string, body []byte, ok bool) {
	s = strings.TrimSpace(s)
	comma := strings.IndexByte(s, ',')
	if len(s) < 5 || comma < 0 || !strings.EqualFold(s[:5], "data:") {
		return "", nil, false
	}
	meta, payload := s[5:comma], s[comma+1:]
	isB64 := false
	if i := strings.LastIndexByte(meta, ';'); i >= 0 && strings.EqualFold(strings.TrimSpace(meta[i+1:]), "base64") {
		isB64, meta = true, meta[:i]
	}
	ctype = "text/plain"
	if mt, _, err := mime.ParseMediaType(meta); err == nil && mt != "" {
		ctype = strings.ToLower(mt)
	}
	if isB64 {
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, payload)
		if u, err := url.PathUnescape(clean); err == nil {
			clean = u
		}
		if int64(base64.StdEncoding.DecodedLen(len(clean))) > max+3 {
			return "", nil, false
		}
		b, err := base64.StdEncoding.DecodeString(clean)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "="))
		}
		return ctype, b, err == nil
	}
	if int64(len(payload)) > max {
		return "", nil, false
	}
	b, err := url.PathUnescape(payload)
	return ctype, []byte(b), err == nil
}

// headerTexts adds the display names and comments of the address fields,
// decoded: a password written as a name ("pw Abc123" <a@b>) is text the
// recipient sees.
func (w *walker) headerTexts(h message.Header, path string) {
	var b strings.Builder
	for _, key := range []string{"From", "To", "Cc", "Reply-To", "Sender"} {
		for _, v := range h.Values(key) {
			if !strings.ContainsAny(v, "<(\"=") {
				continue // bare addresses: no name, no comment
			}
			if list, err := w.parseAddresses(v); err == nil {
				for _, a := range list {
					if a.Name != "" {
						b.WriteString(a.Name)
						b.WriteByte('\n')
					}
				}
			}
			// Comments, and names a lenient parse would lose: what is
			// left of the decoded field without its addresses.
			rest := addrRE.ReplaceAllString(decodeParam(v), " ")
			if strings.ContainsAny(rest, "()") || strings.TrimSpace(strings.Trim(rest, "<>, \t\"")) != "" {
				b.WriteString(rest)
				b.WriteByte('\n')
			}
		}
	}
	w.addText(path, KindHeader, b.String())
}

// Bounds of the text taken from attachments.
const (
	maxAttachmentText = 1 << 20
	textSniffBytes    = 4096
)

// attachmentTexts adds the text of attachments that are text by their
// bytes (any label): what the recipient reads when opening them.
func (w *walker) attachmentTexts() {
	for _, a := range w.m.Attachments {
		if a.Content == nil || a.Size == 0 || a.Origin == "signature" {
			continue
		}
		var sniff [textSniffBytes]byte
		head := sniff[:min(a.Size, textSniffBytes)]
		if _, err := a.Content.ReadAt(head, 0); err != nil && err != io.EOF {
			continue
		}
		if !looksLikeText(head) {
			continue
		}
		n := min(a.Size, maxAttachmentText)
		raw := make([]byte, n)
		if _, err := a.Content.ReadAt(raw, 0); err != nil && err != io.EOF {
			continue
		}
		text := decodeText(raw, "")
		if isDirectory(text) {
			text = unfoldDirectory(text)
		}
		w.addText(a.Path, KindAttachment, text)
		if n < a.Size {
			w.cutText(a.Path)
		}
	}
}

// looksLikeText reports whether head is text: no NUL, few control bytes,
// not PEM/OpenPGP armor (base64 blocks are no text a person reads), and
// decodable (UTF-8, or one of the Japanese charsets decodeText guesses).
func looksLikeText(head []byte) bool {
	if bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n\ufeff"), []byte("-----BEGIN ")) {
		return false
	}
	ctl := 0
	for _, c := range head {
		switch {
		case c == 0:
			return false
		case c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != 0x1b, c == 0x7f:
			ctl++
		}
	}
	return ctl*100 <= len(head)
}

// isDirectory reports iCalendar or vCard text.
func isDirectory(s string) bool {
	t := strings.TrimLeft(s, "\ufeff \r\n")
	return strings.HasPrefix(t, "BEGIN:VCALENDAR") || strings.HasPrefix(t, "BEGIN:VCARD")
}

// unfoldDirectory joins folded content lines (RFC 5545 3.1) and turns the
// escaped newlines of values ("\n") into real ones, so that a password
// split by folding is one word again.
func unfoldDirectory(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\n ", "")
	s = strings.ReplaceAll(s, "\n\t", "")
	r := strings.NewReplacer(`\n`, "\n", `\N`, "\n", `\,`, ",", `\;`, ";", `\\`, `\`)
	return r.Replace(s)
}
