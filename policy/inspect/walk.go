package inspect

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	netmail "net/mail"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/sendguard/sendguard/policy/encryption"
	"github.com/sendguard/sendguard/spool"
)

// Walk reads a whole message from r and walks its MIME tree. Malformed input
// becomes Problems, never an error or a panic; the error is only for a read
// error of r or a spool (temp file) failure, and then no Message is returned
// (its buffers are already closed).
//
// The walk uses go-message's header parser (textproto.ReadHeader on each
// part's header, read with a size bound) and its own recursion, multipart
// splitter and transfer decoders: message.Read alone converts text/* bodies
// to UTF-8, which would change the bytes of text attachments (a Shift_JIS
// CSV) and hide the raw bytes needed to repair missing or wrong charsets.
func Walk(r io.Reader, lim Limits) (m *Message, err error) {
	lim = lim.withDefaults()
	m = &Message{}
	src := &srcReader{r: r}
	w := &walker{lim: lim, m: m, src: src}
	defer func() {
		if p := recover(); p != nil {
			// Last resort: the causes are meant to be fixed, but a message
			// that makes the walk panic must still be refused, not relayed.
			m.Problems = append(m.Problems, Problem{Reason: "internal error while walking the message"})
		}
		if src.err != nil {
			err = fmt.Errorf("inspect: reading message: %w", src.err)
		} else if w.fatal != nil {
			err = fmt.Errorf("inspect: %w", w.fatal)
		}
		if err != nil {
			m.Close()
			m = nil
		}
	}()
	w.message(src, "", 1, walkCtx{whole: true})
	w.fileNameTexts()
	w.attachmentTexts()
	return m, nil
}

type walker struct {
	lim     Limits
	m       *Message
	src     *srcReader
	parts   int
	text    int64
	textCut bool
	stop    bool // part limit reached or fatal error: decode no more
	fatal   error
	scope   *cidScope
	addrs   map[string]parsedAddrs // parseAddresses' cache
}

// cidScope collects, per message (the top one and each forwarded one), the
// cid: references of its HTML bodies and its images that have a Content-ID.
type cidScope struct {
	refs   map[string]bool
	images []*Attachment
}

type walkCtx struct {
	forwarded bool
	origin    string // Origin for attachments found below
	whole     bool   // this entity is the whole message's content
	digest    bool   // parent is multipart/digest: default type message/rfc822
}

func (w *walker) problem(path, reason string) {
	for _, p := range w.m.Problems {
		if p.Path == path && p.Reason == reason {
			return
		}
	}
	if len(w.m.Problems) >= 100 {
		return
	}
	w.m.Problems = append(w.m.Problems, Problem{Path: strings.TrimSuffix(path, "/"), Reason: reason})
}

// childPath is the path of the i-th child of the entity at path. A message's
// root entity has path "" (top) or "N/" (forwarded at part N).
func childPath(path string, i int) string {
	switch {
	case path == "":
		return strconv.Itoa(i)
	case strings.HasSuffix(path, "/"):
		return path + strconv.Itoa(i)
	}
	return path + "." + strconv.Itoa(i)
}

// leafPath is the IMAP-style path of a non-multipart entity: a message's
// single body is part 1.
func leafPath(path string) string {
	if path == "" || strings.HasSuffix(path, "/") {
		return childPath(path, 1)
	}
	return path
}

// message walks a message (header and body) read from r. prefix is "" for
// the top-level message and "N/" for one forwarded at part N.
func (w *walker) message(r io.Reader, prefix string, depth int, c walkCtx) {
	br := newLineReader(r)
	defer releaseLineReader(br)
	if prefix == "" {
		// Tolerate an mbox "From " line before the header.
		if b, err := br.Peek(5); err == nil && string(b) == "From " {
			br.ReadSlice('\n')
		}
	}
	hdr, body, ok := w.readHeader(br, prefix)
	if !ok {
		return
	}
	subject, err := headerText(hdr, "Subject")
	if err != nil && strings.Contains(subject, "=?") {
		if s, ok := decodeWordsLoose(subject); ok {
			subject = s
		}
	}
	subject = decodeLooseString(subject)
	if prefix == "" {
		w.m.Subject = subject
		w.m.From = w.addrList(hdr, "From")
		w.m.To = w.addrList(hdr, "To")
		w.m.Cc = w.addrList(hdr, "Cc")
		mh := mail.Header{Header: hdr}
		if id, err := mh.MessageID(); err == nil {
			w.m.MessageID = id
		} else {
			w.m.MessageID = normCIDKeepCase(hdr.Get("Message-Id"))
		}
	}
	w.addText(strings.TrimSuffix(prefix, "/"), "subject", subject)
	w.headerTexts(hdr, strings.TrimSuffix(prefix, "/"))

	outer := w.scope
	w.scope = &cidScope{refs: map[string]bool{}}
	w.entity(hdr, body, prefix, depth, c)
	w.resolveScope()
	w.scope = outer
}

// resolveScope moves images the HTML references by cid: out of the
// attachment list, unless Limits.CountInlineImages. Only parts whose bytes
// are a plain image move (encryption.IsPlainImage).
func (w *walker) resolveScope() {
	if w.lim.CountInlineImages || len(w.scope.images) == 0 {
		return
	}
	inline := map[*Attachment]bool{}
	for _, a := range w.scope.images {
		// Judged by its bytes: a part labelled image/* that is not a plain
		// image stays an attachment.
		if w.scope.refs[normCID(a.ContentID)] && a.Content != nil && encryption.IsPlainImage(a.Content, a.Size) {
			inline[a] = true
		}
	}
	if len(inline) == 0 {
		return
	}
	kept := w.m.Attachments[:0]
	for _, a := range w.m.Attachments {
		if inline[a] {
			w.m.InlineImages = append(w.m.InlineImages, a)
			continue
		}
		kept = append(kept, a)
	}
	w.m.Attachments = kept
}

// readHeader reads a part's header from br, bounded by MaxHeaderBytes, and
// parses it with go-message. A line that cannot be a header field (no colon,
// or a bad field name) is taken as the start of the body, as mailers do for
// parts that lack the blank line. body is the rest of the part.
func (w *walker) readHeader(br *bufio.Reader, path string) (message.Header, io.Reader, bool) {
	var raw []byte
	var leftover []byte
	max := w.lim.MaxHeaderBytes
	first := true
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull || len(raw)+len(line) > max {
			if len(raw)+len(line) > max {
				w.problem(path, fmt.Sprintf("MIME header larger than %d bytes", max))
				return message.Header{}, nil, false
			}
			// A 16 KiB line without a colon early on is body, not header.
			if !looksLikeField(line, first) {
				leftover = append([]byte(nil), line...)
				break
			}
			raw = append(raw, line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				if len(raw)+len(line) > max {
					w.problem(path, fmt.Sprintf("MIME header larger than %d bytes", max))
					return message.Header{}, nil, false
				}
				raw = append(raw, line...)
			}
			first = false
			if err != nil {
				break
			}
			continue
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break // blank line: end of header (or end of input)
		}
		if !looksLikeField(line, first) {
			leftover = append([]byte(nil), line...)
			break
		}
		raw = append(raw, line...)
		first = false
		if err != nil {
			break
		}
	}
	raw = append(raw, "\r\n"...)
	// go-message's header parser only: message.ReadWithOptions would also
	// build an Entity, decoding parameters and bodies with go-message's
	// global charset reader (this package decodes them itself).
	th, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		w.problem(path, "malformed MIME header")
		return message.Header{}, nil, false
	}
	var body io.Reader = br
	if len(leftover) > 0 {
		body = io.MultiReader(bytes.NewReader(leftover), br)
	}
	return message.Header{Header: th}, body, true
}

// looksLikeField reports whether line can be (part of) a header field: a
// continuation line (not first), or "Name:" with a valid field name.
func looksLikeField(line []byte, first bool) bool {
	if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
		return !first
	}
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range bytes.TrimRight(line[:i], " \t") {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// entity walks one entity whose header is read; body is its raw body.
func (w *walker) entity(hdr message.Header, body io.Reader, path string, depth int, c walkCtx) {
	if w.stop {
		return
	}
	w.parts++
	if w.parts > w.lim.MaxParts {
		w.problem(path, fmt.Sprintf("more than %d MIME parts", w.lim.MaxParts))
		w.stop = true
		return
	}
	if depth > w.lim.MaxDepth {
		w.problem(path, fmt.Sprintf("MIME nesting deeper than %d", w.lim.MaxDepth))
		return
	}
	ct := parseHeaderValue(hdr.Get("Content-Type"))
	if !strings.Contains(ct.Value, "/") {
		// RFC 2045 5.2: missing or unparseable means text/plain (RFC 2046
		// 5.1.5: message/rfc822 inside multipart/digest).
		ct.Value = "text/plain"
		if c.digest {
			ct.Value = "message/rfc822"
		}
	}
	cte := strings.ToLower(strings.TrimSpace(hdr.Get("Content-Transfer-Encoding")))
	if i := strings.IndexAny(cte, " \t;("); i >= 0 {
		cte = cte[:i]
	}
	switch {
	case strings.HasPrefix(ct.Value, "multipart/"):
		w.multipart(ct, body, path, depth, c)
	case ct.Value == "message/rfc822" || ct.Value == "message/global":
		dec, known := transferDecoder(cte, body)
		if !known && !isUUEncoding(cte) {
			w.problem(leafPath(path), "unknown transfer encoding "+printable(cte))
		}
		er := &errRecorder{r: dec}
		cc := c
		cc.forwarded, cc.whole, cc.digest = true, false, false
		w.message(er, leafPath(path)+"/", depth+1, cc)
		io.Copy(io.Discard, er)
		if er.err != nil {
			w.readProblem(leafPath(path), er.err)
		}
	case ct.Value == "message/partial":
		w.problem(leafPath(path), "message/partial (a fragment of a message) cannot be scanned")
	default:
		w.leaf(hdr, ct, cte, body, leafPath(path), depth, c)
	}
}

// errRecorder passes reads through and remembers a decoding error.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

func (w *walker) multipart(ct headerValue, body io.Reader, path string, depth int, c walkCtx) {
	if ct.Value == "multipart/encrypted" && c.whole {
		// RFC 1847: the content is opaque whatever the protocol; in mail it
		// is PGP/MIME (RFC 3156).
		w.m.Encrypted = "pgp"
		if strings.Contains(strings.ToLower(ct.Params["protocol"]), "pkcs7") {
			w.m.Encrypted = "smime"
		}
		return
	}
	boundary := ct.Params["boundary"]
	if boundary == "" {
		w.problem(path, "multipart without a boundary")
		cc := c
		cc.whole = false
		w.bodyText(body, "text/plain", "", leafPath(path), cc)
		return
	}
	sp := newSplitter(body, boundary)
	defer sp.release()
	for i := 1; ; i++ {
		pr := sp.Next()
		if pr == nil {
			break
		}
		if w.stop {
			continue
		}
		cp := childPath(path, i)
		br := newLineReader(pr)
		h, b, ok := w.readHeader(br, cp)
		if ok {
			cc := c
			cc.whole = c.whole && ct.Value == "multipart/signed" && i == 1
			cc.digest = ct.Value == "multipart/digest"
			w.entity(h, b, cp, depth+1, cc)
		}
		releaseLineReader(br)
	}
	sp.Drain()
	if sp.missingEnd {
		w.problem(path, "missing final MIME boundary")
	}
	if sp.afterEnd {
		w.problem(path, "MIME part after the final boundary")
	}
	if sp.parts == 0 {
		w.problem(path, "multipart without any part")
	}
}

func isSignatureType(t string) bool {
	switch t {
	case "application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature":
		return true
	}
	return false
}

// isBodyText reports whether a text type is shown as the message text (when
// it has no file name and no attachment disposition).
func isBodyText(t string) bool {
	switch t {
	case "text/plain", "text/html", "text/enriched", "text/richtext", "text/rfc822-headers",
		"message/delivery-status", "message/disposition-notification", "message/feedback-report",
		"message/global-delivery-status", "message/global-headers", "message/global-disposition-notification":
		return true
	}
	return false
}

// leaf handles a non-multipart entity.
func (w *walker) leaf(hdr message.Header, ct headerValue, cte string, body io.Reader, path string, depth int, c walkCtx) {
	cd := parseHeaderValue(hdr.Get("Content-Disposition"))
	disp := cd.Value
	if i := strings.IndexAny(disp, " \t"); i >= 0 {
		disp = disp[:i]
	}
	name := fileName(hdr)
	t := ct.Value
	cid := normCIDKeepCase(hdr.Get("Content-Id"))

	if isUUEncoding(cte) {
		w.uuPart(body, t, disp, name, ct.Params["charset"], path, c)
		return
	}
	dec, known := transferDecoder(cte, body)
	if !known {
		w.problem(path, "unknown transfer encoding "+printable(cte))
	}
	switch {
	case isSignatureType(t):
		w.attach(dec, path, name, t, disp, "signature", c)
	case t == "application/pkcs7-mime" || t == "application/x-pkcs7-mime":
		w.pkcs7(dec, ct, disp, name, path, depth, c)
	case t == "application/ms-tnef" || t == "application/vnd.ms-tnef" || strings.EqualFold(name, "winmail.dat"):
		w.tnef(dec, t, disp, name, path, c)
	case isBodyText(t) && disp != "attachment" && name == "":
		w.bodyText(dec, t, ct.Params["charset"], path, c)
	default:
		a := w.attach(dec, path, name, t, disp, c.origin, c)
		if a != nil {
			a.ContentID = cid
			if strings.HasPrefix(t, "image/") && cid != "" {
				w.scope.images = append(w.scope.images, a)
			}
		}
	}
}

// printable makes a header token safe to quote in a Problem.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
	if len(s) > 40 {
		s = s[:40]
	}
	if s == "" {
		s = `""`
	}
	return s
}

// normCIDKeepCase strips blanks and angle brackets from a Content-ID or
// Message-ID.
func normCIDKeepCase(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			return strings.TrimSpace(s[i+1 : i+j])
		}
	}
	return strings.Trim(s, "<> \t")
}

// readProblem records a decoding error met while reading a part (an I/O
// error of the source is returned by Walk instead).
func (w *walker) readProblem(path string, err error) {
	if w.src.err != nil {
		return
	}
	switch {
	case errors.Is(err, errCorruptBase64):
		w.problem(path, "base64 is corrupt")
	case errors.Is(err, errUUCorrupt):
		w.problem(path, "uuencode is corrupt")
	case errors.Is(err, errUUNoEnd):
		w.problem(path, "uuencode block has no end line")
	case errors.Is(err, errHTMLToken):
		w.problem(path, "HTML token larger than the part limit")
	case errors.Is(err, errPartTooLarge):
		w.problem(path, fmt.Sprintf("part larger than %d bytes", w.lim.MaxPartBytes))
	default:
		w.problem(path, "part could not be decoded")
	}
}

var errPartTooLarge = errors.New("part too large")

// attach reads r into a new spool buffer and lists it as an attachment.
func (w *walker) attach(r io.Reader, path, name, ctype, disp, origin string, c walkCtx) *Attachment {
	if w.stop {
		return nil
	}
	buf := spool.New(w.lim.SpoolDir, w.lim.MemThreshold, w.lim.MaxPartBytes)
	w.m.bufs = append(w.m.bufs, buf)
	a := &Attachment{
		Path: path, Name: name, ContentType: ctype, Disposition: disp,
		Content: buf, Forwarded: c.forwarded, Origin: origin,
	}
	h := sha256.New()
	pooled := chunks.Get().(*[chunkSize]byte)
	defer chunks.Put(pooled)
	chunk := pooled[:]
	for {
		// Fill the chunk: decoders return a few bytes per Read, and each
		// Write may be a system call once the buffer is on disk.
		n, rerr := io.ReadFull(r, chunk)
		if rerr == io.ErrUnexpectedEOF {
			rerr = io.EOF
		}
		if n > 0 {
			wn, werr := buf.Write(chunk[:n])
			h.Write(chunk[:wn])
			if errors.Is(werr, spool.ErrTooLarge) {
				w.readProblem(path, errPartTooLarge)
				break
			}
			if werr != nil {
				w.fatal = werr
				w.stop = true
				break
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			w.readProblem(path, rerr)
			break
		}
	}
	a.Size = buf.Size()
	a.SHA256 = hex.EncodeToString(h.Sum(nil))
	w.m.Attachments = append(w.m.Attachments, a)
	return a
}

// detach takes a out of the attachment list (its buffer stays owned by the
// Message and is closed by Close).
func (w *walker) detach(a *Attachment) {
	for i, x := range w.m.Attachments {
		if x == a {
			w.m.Attachments = append(w.m.Attachments[:i], w.m.Attachments[i+1:]...)
			return
		}
	}
}

// countFile counts a file found inside a part against MaxParts.
func (w *walker) countFile(path string) bool {
	if w.stop {
		return false
	}
	w.parts++
	if w.parts > w.lim.MaxParts {
		w.problem(path, fmt.Sprintf("more than %d MIME parts", w.lim.MaxParts))
		w.stop = true
		return false
	}
	return true
}

// addText keeps s for the rules, within MaxTextBytes in all.
func (w *walker) addText(path, kind, s string) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if s == "" {
		return
	}
	room := w.lim.MaxTextBytes - w.text
	if int64(len(s)) > room {
		s = truncateUTF8(s, int(room))
		w.cutText(path)
	}
	if s == "" {
		return
	}
	w.text += int64(len(s))
	w.m.Texts = append(w.m.Texts, Text{Path: path, Kind: kind, Content: s})
}

// cutText records that text was left out. It is not a Problem: attachments
// are still judged in full; the rules that read text see TextTruncated.
func (w *walker) cutText(string) {
	w.textCut = true
	w.m.TextTruncated = true
}

// fileNameTexts adds the attachments' names as texts.
func (w *walker) fileNameTexts() {
	for _, a := range w.m.Attachments {
		w.addText(a.Path, "filename", a.Name)
	}
}

// limitReader fails with errPartTooLarge past n bytes.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, errPartTooLarge
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// bodyText reads a text body: plain text (with uuencoded blocks taken out as
// attachments) or HTML (reduced to visible text, cid: references noted).
func (w *walker) bodyText(dec io.Reader, t, cs, path string, c walkCtx) {
	lr := &limitReader{r: dec, n: w.lim.MaxPartBytes}
	if t == "text/html" {
		w.htmlText(lr, cs, path, c)
		return
	}
	room := w.lim.MaxTextBytes - w.text
	// The text is gathered in a pooled buffer: decodeText copies it.
	pooled := textBufs.Get().(*[]byte)
	raw := (*pooled)[:0]
	defer func() {
		if cap(raw) <= maxPooledText {
			*pooled = raw[:0]
			textBufs.Put(pooled)
		}
	}()
	cut := false
	err := scanUU(lr, func(line []byte) {
		if int64(len(raw)+len(line)) > room {
			cut = true
			return
		}
		raw = append(raw, line...)
	}, func(name []byte, body io.Reader) error {
		if !w.countFile(path) {
			return nil
		}
		w.attach(body, path, decodeText(name, cs), "application/octet-stream", "", "uuencode", c)
		return nil
	})
	if err != nil {
		w.readProblem(path, err)
	}
	kind := "plain"
	w.addText(path, kind, decodeText(raw, cs))
	if cut {
		w.cutText(path)
	}
}

func (w *walker) htmlText(r io.Reader, cs, path string, c walkCtx) {
	sample := make([]byte, 64*1024)
	n, err := io.ReadFull(r, sample)
	sample = sample[:n]
	rest := r
	if err != nil {
		rest = &errOnly{err: err}
	}
	if cs == "" {
		cs = htmlCharset(sample)
	}
	in := decodeStream(io.MultiReader(bytes.NewReader(sample), rest), sample, cs)
	maxTok := int(min(w.lim.MaxPartBytes, 1<<30))
	room := w.lim.MaxTextBytes - w.text
	res := reduceHTML(in, room, maxTok)
	for id := range res.cids {
		w.scope.refs[id] = true
	}
	if res.err != nil {
		w.readProblem(path, res.err)
	}
	w.addText(path, "html", res.text)
	if res.truncated {
		w.cutText(path)
	}
	w.addText(path, KindHTMLHidden, res.hidden)
	w.addText(path, KindHTMLLink, res.links)
	w.dataFiles(res.data, path, c)
}

// errOnly returns err (io.EOF when nil-like) on every read.
type errOnly struct{ err error }

func (e *errOnly) Read([]byte) (int, error) {
	if e.err == io.ErrUnexpectedEOF {
		return 0, io.EOF
	}
	return 0, e.err
}

// decodeStream converts a text stream to UTF-8 from its label cs, falling
// back to guessing from sample (its first bytes) when the label is missing,
// unknown or evidently wrong.
func decodeStream(in io.Reader, sample []byte, cs string) io.Reader {
	cs = strings.ToLower(strings.TrimSpace(cs))
	guess := func() io.Reader {
		if enc := guessEncoding(sample); enc != nil {
			return enc.NewDecoder().Reader(in)
		}
		return in
	}
	switch {
	case guessCharsets[cs] || (sevenBitCharsets[cs] && hasHighBit(sample)):
		return guess()
	case sevenBitCharsets[cs] && !bytes.Contains(sample, []byte{0x1b}):
		return in
	}
	r, err := charsetReader(cs, in)
	if err != nil || r == nil {
		return guess()
	}
	return r
}

// addrList returns the addr-specs of every field named key (several To:
// lines are one list, as mailers show them).
func (w *walker) addrList(h message.Header, key string) []string {
	var out []string
	for _, v := range h.Values(key) {
		if strings.TrimSpace(v) == "" {
			continue
		}
		if list, err := w.parseAddresses(v); err == nil {
			for _, a := range list {
				if a.Address != "" {
					out = append(out, a.Address)
				}
			}
			continue
		}
		// Lenient: raw 8-bit display names and other breakage.
		out = append(out, addrRE.FindAllString(v, 100)...)
	}
	return out
}

// parseAddresses parses an address field's value once per walk (the
// address lists and the display-name texts both need it).
func (w *walker) parseAddresses(v string) ([]*netmail.Address, error) {
	if p, ok := w.addrs[v]; ok {
		return p.list, p.err
	}
	list, err := addressParser.ParseList(v)
	if w.addrs == nil {
		w.addrs = map[string]parsedAddrs{}
	}
	w.addrs[v] = parsedAddrs{list, err}
	return list, err
}

// addressParser parses address lists with the explicit charset reader.
var addressParser = netmail.AddressParser{WordDecoder: wordDecoder}

type parsedAddrs struct {
	list []*netmail.Address
	err  error
}

var addrRE = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?`)
