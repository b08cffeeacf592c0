package encryption

// PDF: is there an /Encrypt dictionary, and does the empty user password
// open the file? (ISO 32000-1 7.5 file structure, 7.6 encryption;
// ISO 32000-2 for revision 6.)
//
// Why not github.com/pdfcpu/pdfcpu: it is a whole PDF processor (about
// 100k lines, a config directory it writes to unless told not to, and
// fonts, images and forms we never need) that reads and validates the
// entire object graph to answer a question that lives in two
// dictionaries. We need the trailer (or the cross-reference stream
// dictionary) and the encryption dictionary it points at, plus the
// standard security handler's password checks (pdfcrypt.go), all of it
// written from the specification in the pdf*.go files (about 1900 lines
// with comments) that are bounded by Limits.MaxBytes and fuzzed (FuzzPDF):
// pdf.go (the file in memory, the revision check, the verdict),
// pdfxref.go (cross-reference sections), pdfobject.go (objects and
// streams), pdftrailer.go (trailers found by scanning), pdfsyntax.go (the
// object syntax), pdfcrypt.go (the standard security handler) and
// pdfclaim.go (the encryption claim held against the streams).
//
// How the trailer is found: the last "startxref" gives the newest
// cross-reference section, either a classic "xref" table followed by
// "trailer << ... >>" (on one line, as qpdf writes it, or with the
// keyword on its own line, as LibreOffice and Acrobat do) or a
// cross-reference stream "N 0 obj << /Type /XRef ... >> stream" whose
// dictionary is the trailer (streams are never encrypted). /Prev links
// older sections (incremental updates): the newest trailer decides. A
// hybrid file's /XRefStm is read too. When the offsets are broken, the
// file is repaired the way readers do it: the last trailer or
// cross-reference stream dictionary in the file is used, and objects are
// found by scanning for "N G obj".
//
// /Encrypt usually points at an ordinary object; one inside an object
// stream (which ISO 32000 forbids) is read when that stream can be
// inflated.
//
// Before a file is called protected, every trailer and cross-reference
// stream dictionary in it that names a document catalog (/Root), found by
// scanning as well as by following /Prev, must carry /Encrypt: a plain
// document with an "encrypted" incremental update appended would
// otherwise pass while its earlier, plain objects are still readable with
// a text editor. (Sections without /Root only extend another one, like a
// linearized file's main cross-reference.)
//
// The whole file is read into memory (charged to the byte budget): the
// scan above needs it anyway, and cross-reference tables are easiest to
// read from a slice. A PDF larger than Limits.MaxBytes is unscannable.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// pdfFile is a PDF read into memory with its cross-reference sections.
type pdfFile struct {
	s        *scanner
	data     []byte
	base     int64          // offset of "%PDF-": broken files count offsets from it
	sections []*xrefSection // newest first
	trailer  pdfDict        // the effective trailer
	repaired bool           // no usable cross-reference: objects are found by scanning
	notes    []string
}

// xrefSection is one cross-reference section: a classic table or a
// cross-reference stream.
type xrefSection struct {
	off     int64
	trailer pdfDict
	subs    []xrefSub   // classic table
	stream  *xrefStream // cross-reference stream
	xrefStm *xrefSection
}

type xrefSub struct {
	start, count int64
	pos          int  // offset of the first entry
	fixed        bool // 20-byte entries, as the specification wants
}

type xrefStream struct {
	w     [3]int
	index []int64 // start, count pairs
	data  []byte
}

// xrefEntry: typ 0 free, 1 at offset a (generation b), 2 in object
// stream a at index b.
type xrefEntry struct {
	typ  int
	a, b int64
}

const (
	pdfMaxSections = 1000
	pdfMaxSubs     = 1 << 20
)

var errPDFBudget = errors.New("PDF exceeds the byte limit")

// openPDF reads the file and its cross-reference sections.
func (s *scanner) openPDF(r io.ReaderAt, size int64) (*pdfFile, error) {
	if !s.charge(size) {
		return nil, fmt.Errorf("PDF exceeds the %d-byte limit", s.lim.MaxBytes)
	}
	data := make([]byte, size)
	if _, err := r.ReadAt(data, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("reading the PDF: %v", err)
	}
	f := &pdfFile{s: s, data: data}
	if i := bytes.Index(data[:min(len(data), 1024)], magicPDF); i > 0 {
		f.base = int64(i)
	}
	var why error
	if sx := bytes.LastIndex(data, []byte("startxref")); sx < 0 {
		why = errors.New("no startxref")
	} else {
		p := &pdfParser{b: data, pos: sx + len("startxref")}
		if off, ok := p.uint(); !ok {
			why = errors.New("startxref has no offset")
		} else if why = f.loadSections(int64(off)); why == nil {
			f.trailer = f.sections[0].trailer
			return f, nil
		}
	}
	if errors.Is(why, errPDFBudget) {
		return nil, fmt.Errorf("PDF exceeds the %d-byte limit", s.lim.MaxBytes)
	}
	// Repair, as readers do: the last trailer in the file.
	f.sections, f.repaired = nil, true
	t := f.lastTrailer()
	if t == nil {
		return nil, fmt.Errorf("PDF trailer not found (%v, and no trailer dictionary in the file)", why)
	}
	f.trailer = t
	f.notes = append(f.notes, fmt.Sprintf("cross-reference is broken (%v): used the last trailer in the file", why))
	return f, nil
}

// checkRevisions is the consistency check described at the top: every
// trailer and cross-reference stream dictionary that could stand for a
// revision of the document (one with /Root) must carry /Encrypt. Those
// without /Root only extend another section: a linearized file's main
// cross-reference (ISO 32000-1 F.3.3: it needs only /Size), a hybrid
// file's /XRefStm stream.
func (f *pdfFile) checkRevisions() string {
	plainRevision := func(d pdfDict) bool { return d["Encrypt"] == nil && d["Root"] != nil }
	for _, sec := range f.sections {
		if plainRevision(sec.trailer) {
			return fmt.Sprintf("PDF revision at offset %d is not encrypted: an earlier plain version of the document may be readable", sec.off)
		}
	}
	exempt := make(map[int64]bool)
	found := f.allTrailers()
	for _, t := range found {
		if xs, ok := t.dict.int("XRefStm"); ok {
			for _, o := range f.offsets(xs) {
				exempt[o] = true
			}
		}
	}
	for _, t := range found {
		if t.stream && exempt[int64(t.at)] {
			continue
		}
		if plainRevision(t.dict) {
			return fmt.Sprintf("PDF has a trailer without /Encrypt at offset %d: an earlier plain version of the document may be readable", t.at)
		}
	}
	return ""
}

// inspectPDF judges a PDF: protected when it is encrypted, its streams
// are, and the empty user password does not open it.
func (s *scanner) inspectPDF(r io.ReaderAt, size int64) Result {
	res := Result{Format: FormatPDF}
	f, err := s.openPDF(r, size)
	if err != nil {
		res.Unscannable = err.Error()
		return res
	}
	res.Notes = f.notes
	sec, err := f.security()
	if err != nil {
		res.Unscannable = err.Error()
		return res
	}
	if sec == nil {
		return res
	}
	res.Method = sec.method
	res.Notes = append(res.Notes, sec.notes...)
	switch {
	case sec.plainStreams != "":
		res.Notes = append(res.Notes, sec.plainStreams)
		return res
	case sec.handler == "Standard" && sec.opens(nil):
		res.Notes = append(res.Notes, "opens without a password; only permissions are restricted")
		return res
	}
	if problem := f.checkRevisions(); problem != "" {
		res.Unscannable = problem
		return res
	}
	if note := f.plainStreamIn(sec); note != "" {
		res.Notes = append(res.Notes, note)
		return res
	}
	res.Protected = true
	return res
}

// security reads the encryption dictionary; nil when there is none.
func (f *pdfFile) security() (*pdfSecurity, error) {
	v, ok := f.trailer["Encrypt"]
	if !ok || v == nil {
		return nil, nil
	}
	if ref, isRef := v.(pdfRef); isRef {
		var err error
		if v, err = f.resolve(ref); err != nil {
			return nil, fmt.Errorf("PDF encryption dictionary %d %d R not found: %v", ref.num, ref.gen, err)
		}
	}
	enc, ok := v.(pdfDict)
	if !ok {
		return nil, errors.New("PDF /Encrypt is not a dictionary")
	}
	var id0 []byte
	if ids, ok := f.trailer["ID"].(pdfArray); ok && len(ids) > 0 {
		if s, ok := ids[0].(pdfString); ok {
			id0 = []byte(s)
		}
	}
	return parseSecurity(enc, id0)
}
