package inspect

import (
	"bytes"
	"io"
	"strings"
)

// uuPart handles a part with Content-Transfer-Encoding x-uuencode: each block
// becomes an attachment (Origin "uuencode"), named by the part's file name
// when it has one (what the mailer shows), else by the block's name.
func (w *walker) uuPart(body io.Reader, t, disp, name, cs, path string, c walkCtx) {
	lr := &limitReader{r: body, n: w.lim.MaxPartBytes}
	blocks := 0
	var other int
	err := scanUU(lr, func(line []byte) {
		other += len(bytes.TrimSpace(line))
	}, func(bname []byte, r io.Reader) error {
		blocks++
		if blocks > 1 && !w.countFile(path) {
			return nil
		}
		n := name
		if n == "" || blocks > 1 {
			n = decodeText(bname, cs)
		}
		w.attach(r, path, n, t, disp, "uuencode", c)
		return nil
	})
	if err != nil {
		w.readProblem(path, err)
	}
	if blocks == 0 {
		// Nothing to decode: an empty part is an empty file; anything else
		// is not uuencode we can read.
		w.attach(bytes.NewReader(nil), path, name, t, disp, "uuencode", c)
		if other > 0 {
			w.problem(path, "uuencode is corrupt")
		}
	}
}

// tnef buffers a winmail.dat and lists the files inside it (Origin "tnef").
// When it cannot be parsed the winmail.dat stays an attachment and a
// Problem says so.
func (w *walker) tnef(dec io.Reader, t, disp, name, path string, c walkCtx) {
	before := len(w.m.Problems)
	a := w.attach(dec, path, name, t, disp, c.origin, c)
	if a == nil {
		return
	}
	if len(w.m.Problems) > before {
		return // truncated or corrupt: judged as it is, with its Problem
	}
	files, err := parseTNEF(a.Content, a.Size, w.lim.MaxParts)
	if err != nil {
		w.problem(path, "TNEF (winmail.dat) could not be read")
		return
	}
	w.detach(a)
	for _, f := range files {
		if !w.countFile(path) {
			return
		}
		ct := f.MimeType
		if ct == "" || !strings.Contains(ct, "/") {
			ct = "application/octet-stream"
		}
		if f.Data == nil {
			w.problem(path, "TNEF attachment without data")
			continue
		}
		w.attach(f.Data, path, f.Name, ct, "attachment", "tnef", c)
	}
}

// pkcs7 handles application/pkcs7-mime: enveloped (encrypted) data makes
// the whole message Encrypted when it is the message's content; signed data
// is opened and its content walked (Origin "smime-signed").
func (w *walker) pkcs7(dec io.Reader, ct headerValue, disp, name, path string, depth int, c walkCtx) {
	before := len(w.m.Problems)
	a := w.attach(dec, path, name, ct.Value, disp, c.origin, c)
	if a == nil || len(w.m.Problems) > before {
		return
	}
	kind := strings.ToLower(strings.TrimSpace(ct.Params["smime-type"]))
	switch kind {
	case "enveloped-data", "authenveloped-data", "signed-data", "compressed-data", "certs-only":
	default:
		kind = cmsKind(a.Content, a.Size)
	}
	switch kind {
	case "enveloped-data", "authenveloped-data":
		if c.whole {
			w.m.Encrypted = "smime"
			w.detach(a)
		}
	case "signed-data":
		r, err := cmsSignedContent(a.Content, a.Size)
		if err != nil {
			w.problem(path, "S/MIME signed data could not be read")
			return
		}
		w.detach(a)
		cp := childPath(path, 1)
		br := newLineReader(r)
		defer releaseLineReader(br)
		h, body, ok := w.readHeader(br, cp)
		if !ok {
			return
		}
		cc := c
		cc.origin = "smime-signed"
		w.entity(h, body, cp, depth+1, cc)
		io.Copy(io.Discard, br)
	case "compressed-data":
		w.problem(path, "S/MIME compressed data is not scanned")
	}
}
