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
// written from the specification in three files (pdf.go, pdfsyntax.go,
// pdfcrypt.go; about 1700 lines with comments) that are bounded by
// Limits.MaxBytes and fuzzed (FuzzPDF).
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
	"compress/zlib"
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

// loadSections follows the cross-reference chain from off.
func (f *pdfFile) loadSections(off int64) error {
	seen := make(map[int64]bool)
	for {
		if len(f.sections) >= pdfMaxSections {
			return fmt.Errorf("more than %d cross-reference sections", pdfMaxSections)
		}
		if seen[off] {
			return errors.New("the /Prev chain loops")
		}
		seen[off] = true
		sec, err := f.section(off)
		if err != nil {
			return err
		}
		if sec.stream == nil {
			if xs, ok := sec.trailer.int("XRefStm"); ok {
				x, err := f.section(xs)
				if err != nil || x.stream == nil {
					return fmt.Errorf("/XRefStm %d: no cross-reference stream there", xs)
				}
				sec.xrefStm = x
			}
		}
		f.sections = append(f.sections, sec)
		prev, ok := sec.trailer.int("Prev")
		if !ok {
			return nil
		}
		off = prev
	}
}

// offsets returns off and, for a file with junk before "%PDF-", off
// counted from the header.
func (f *pdfFile) offsets(off int64) []int64 {
	if f.base > 0 {
		return []int64{off, off + f.base}
	}
	return []int64{off}
}

// section reads the cross-reference section at off.
func (f *pdfFile) section(off int64) (*xrefSection, error) {
	var err error
	for _, o := range f.offsets(off) {
		if o < 0 || o >= int64(len(f.data)) {
			err = fmt.Errorf("cross-reference offset %d is outside the file", off)
			continue
		}
		p := &pdfParser{b: f.data, pos: int(o)}
		if p.expect("xref") {
			return f.classic(p, o)
		}
		p.pos = int(o)
		ref, v, e := p.indirect()
		d, ok := v.(pdfDict)
		if e != nil || !ok || d.name("Type") != "XRef" {
			err = fmt.Errorf("no cross-reference at offset %d", off)
			continue
		}
		return f.xrefStreamSection(o, ref, d, p)
	}
	return nil, err
}

// fixedXrefEntry reports whether a 20-byte "nnnnnnnnnn ggggg n\r\n"
// entry starts at pos.
func fixedXrefEntry(b []byte, pos int) bool {
	if pos < 0 || pos+20 > len(b) {
		return false
	}
	e := b[pos : pos+20]
	for i, c := range e[:17] {
		switch i {
		case 10, 16:
			if c != ' ' {
				return false
			}
		default:
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return (e[17] == 'n' || e[17] == 'f') && pdfSpace(e[18]) && pdfSpace(e[19])
}

func (f *pdfFile) classic(p *pdfParser, off int64) (*xrefSection, error) {
	sec := &xrefSection{off: off}
	for {
		if p.expect("trailer") {
			v, err := p.object()
			d, ok := v.(pdfDict)
			if err != nil || !ok {
				return nil, fmt.Errorf("trailer at %d is not a dictionary", p.pos)
			}
			sec.trailer = d
			return sec, nil
		}
		start, ok1 := p.uint()
		count, ok2 := p.uint()
		if !ok1 || !ok2 || len(sec.subs) >= pdfMaxSubs {
			return nil, fmt.Errorf("cross-reference table at %d is corrupt", off)
		}
		p.skip()
		sub := xrefSub{start: start, count: count, pos: p.pos}
		if count > int64(len(p.b)-p.pos)/18 {
			return nil, fmt.Errorf("cross-reference table at %d is corrupt: %d entries do not fit", off, count)
		}
		if count > 0 && fixedXrefEntry(p.b, p.pos) && fixedXrefEntry(p.b, p.pos+int(count-1)*20) {
			sub.fixed = true
			p.pos += int(count) * 20
		} else {
			for i := int64(0); i < count; i++ {
				if _, _, err := readXrefEntry(p); err != nil {
					return nil, fmt.Errorf("cross-reference table at %d is corrupt: %v", off, err)
				}
			}
		}
		sec.subs = append(sec.subs, sub)
	}
}

// readXrefEntry reads "offset gen n|f" by tokens.
func readXrefEntry(p *pdfParser) (xrefEntry, bool, error) {
	a, ok1 := p.uint()
	b, ok2 := p.uint()
	if !ok1 || !ok2 {
		return xrefEntry{}, false, errors.New("bad entry")
	}
	switch {
	case p.expect("n"):
		return xrefEntry{typ: 1, a: a, b: b}, true, nil
	case p.expect("f"):
		return xrefEntry{typ: 0}, true, nil
	}
	return xrefEntry{}, false, errors.New("entry is neither n nor f")
}

func (f *pdfFile) xrefStreamSection(off int64, ref pdfRef, d pdfDict, p *pdfParser) (*xrefSection, error) {
	w, ok := d["W"].(pdfArray)
	if !ok || len(w) != 3 {
		return nil, fmt.Errorf("cross-reference stream %d has no /W", ref.num)
	}
	xs := &xrefStream{}
	row := 0
	for i, v := range w {
		n, ok := v.(int64)
		if !ok || n < 0 || n > 8 {
			return nil, fmt.Errorf("cross-reference stream %d has a bad /W", ref.num)
		}
		xs.w[i] = int(n)
		row += int(n)
	}
	size, _ := d.int("Size")
	if idx, ok := d["Index"].(pdfArray); ok {
		if len(idx)%2 != 0 {
			return nil, fmt.Errorf("cross-reference stream %d has a bad /Index", ref.num)
		}
		for _, v := range idx {
			n, ok := v.(int64)
			if !ok || n < 0 || n > 1<<40 {
				return nil, fmt.Errorf("cross-reference stream %d has a bad /Index", ref.num)
			}
			xs.index = append(xs.index, n)
		}
	} else {
		if size < 0 || size > 1<<40 {
			return nil, fmt.Errorf("cross-reference stream %d has a bad /Size", ref.num)
		}
		xs.index = []int64{0, size}
	}
	var rows int64
	for i := 1; i < len(xs.index); i += 2 {
		rows += xs.index[i]
	}
	raw, err := f.streamData(d, p)
	if err != nil {
		return nil, fmt.Errorf("cross-reference stream %d: %v", ref.num, err)
	}
	// A row is at most 24 bytes, plus a predictor byte; allow a little slack.
	limit := min(rows*int64(row+1)+1024, f.s.left)
	if xs.data, err = f.decode(d, raw, limit); err != nil {
		return nil, fmt.Errorf("cross-reference stream %d: %v", ref.num, err)
	}
	return &xrefSection{off: off, trailer: d, stream: xs}, nil
}

// lookup finds object num in the cross-reference, newest section first
// (in a hybrid section the table, then its /XRefStm).
func (f *pdfFile) lookup(num int64) (xrefEntry, bool) {
	for _, sec := range f.sections {
		if e, ok := sec.lookup(f.data, num); ok {
			return e, true
		}
		if sec.xrefStm != nil {
			if e, ok := sec.xrefStm.lookup(f.data, num); ok {
				return e, true
			}
		}
	}
	return xrefEntry{}, false
}

func (sec *xrefSection) lookup(data []byte, num int64) (xrefEntry, bool) {
	if xs := sec.stream; xs != nil {
		row := xs.w[0] + xs.w[1] + xs.w[2]
		var base int64
		for i := 0; i+1 < len(xs.index); i += 2 {
			start, count := xs.index[i], xs.index[i+1]
			if num >= start && num < start+count {
				at := (base + num - start) * int64(row)
				if at+int64(row) > int64(len(xs.data)) {
					return xrefEntry{}, false
				}
				r := xs.data[at : at+int64(row)]
				field := func(k, off int) int64 {
					var v int64
					for _, c := range r[off : off+xs.w[k]] {
						v = v<<8 | int64(c)
					}
					return v
				}
				typ := int64(1)
				if xs.w[0] > 0 {
					typ = field(0, 0)
				}
				e := xrefEntry{typ: int(typ), a: field(1, xs.w[0]), b: field(2, xs.w[0]+xs.w[1])}
				if typ > 2 {
					e = xrefEntry{typ: 0} // unknown types are references to null
				}
				return e, true
			}
			base += count
		}
		return xrefEntry{}, false
	}
	for _, sub := range sec.subs {
		if num < sub.start || num >= sub.start+sub.count {
			continue
		}
		k := num - sub.start
		p := &pdfParser{b: data, pos: sub.pos}
		if sub.fixed {
			p.pos += int(k) * 20
		} else {
			for i := int64(0); i < k; i++ {
				if _, _, err := readXrefEntry(p); err != nil {
					return xrefEntry{}, false
				}
			}
		}
		e, _, err := readXrefEntry(p)
		return e, err == nil
	}
	return xrefEntry{}, false
}

// streamData returns the raw data of the stream whose dictionary d the
// parser has just read. A /Length that does not land on "endstream" is
// ignored in favour of searching for the keyword, as readers do.
func (f *pdfFile) streamData(d pdfDict, p *pdfParser) ([]byte, error) {
	if !p.expect("stream") {
		return nil, errors.New("no stream keyword after the dictionary")
	}
	start := p.pos
	if start < len(p.b) && p.b[start] == '\r' {
		start++
	}
	if start < len(p.b) && p.b[start] == '\n' {
		start++
	}
	n, ok := d.int("Length")
	if ref, isRef := d["Length"].(pdfRef); isRef && !f.repaired {
		if v, err := f.resolveDirect(ref); err == nil {
			n, ok = v.(int64)
		}
	}
	if ok && n >= 0 && n <= int64(len(p.b)-start) {
		q := &pdfParser{b: p.b, pos: start + int(n)}
		if q.expect("endstream") {
			return p.b[start : start+int(n)], nil
		}
	}
	end := bytes.Index(p.b[start:], []byte("endstream"))
	if end < 0 {
		return nil, errors.New("no endstream")
	}
	raw := p.b[start : start+end]
	raw = bytes.TrimSuffix(raw, []byte("\n"))
	raw = bytes.TrimSuffix(raw, []byte("\r"))
	return raw, nil
}

// decode applies the stream's filters (FlateDecode with PNG predictors
// only: what cross-reference and object streams use), inflating at most
// limit bytes, charged to the budget.
func (f *pdfFile) decode(d pdfDict, raw []byte, limit int64) ([]byte, error) {
	var filter pdfName
	var parms pdfDict
	switch v := d["Filter"].(type) {
	case nil:
	case pdfName:
		filter = v
	case pdfArray:
		if len(v) > 1 {
			return nil, errors.New("more than one filter")
		}
		if len(v) == 1 {
			filter, _ = v[0].(pdfName)
		}
	}
	switch v := d["DecodeParms"].(type) {
	case pdfDict:
		parms = v
	case pdfArray:
		if len(v) == 1 {
			parms, _ = v[0].(pdfDict)
		}
	}
	out := raw
	switch filter {
	case "":
	case "FlateDecode", "Fl":
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("inflating: %v", err)
		}
		out, err = io.ReadAll(io.LimitReader(zr, limit+1))
		if int64(len(out)) > limit {
			return nil, fmt.Errorf("inflates to more than %d bytes", limit)
		}
		// A bad checksum or a missing end is common and harmless here.
		if err != nil && err != zlib.ErrChecksum && err != io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("inflating: %v", err)
		}
		if !f.s.charge(int64(len(out))) {
			return nil, errPDFBudget
		}
	default:
		return nil, fmt.Errorf("filter /%s is not supported", filter)
	}
	pred, _ := parms.int("Predictor")
	switch {
	case pred <= 1:
		return out, nil
	case pred >= 10 && pred <= 15:
		cols, ok := parms.int("Columns")
		if !ok {
			cols = 1
		}
		colors, ok := parms.int("Colors")
		if !ok {
			colors = 1
		}
		bpc, ok := parms.int("BitsPerComponent")
		if !ok {
			bpc = 8
		}
		if cols < 1 || cols > 1<<20 || colors < 1 || colors > 32 || bpc != 8 {
			return nil, errors.New("unsupported predictor parameters")
		}
		return pngUnpredict(out, int(cols*colors), int(colors))
	}
	return nil, fmt.Errorf("predictor %d is not supported", pred)
}

// pngUnpredict undoes PNG row filters (RFC 2083 6): each row of rowLen
// bytes is preceded by its filter type.
func pngUnpredict(data []byte, rowLen, bpp int) ([]byte, error) {
	stride := rowLen + 1
	n := len(data) / stride
	out := make([]byte, n*rowLen)
	prev := make([]byte, rowLen)
	for i := 0; i < n; i++ {
		ft, in := data[i*stride], data[i*stride+1:(i+1)*stride]
		cur := out[i*rowLen : (i+1)*rowLen]
		for j := range cur {
			var left, upLeft byte
			if j >= bpp {
				left, upLeft = cur[j-bpp], prev[j-bpp]
			}
			up := prev[j]
			switch ft {
			case 0:
				cur[j] = in[j]
			case 1:
				cur[j] = in[j] + left
			case 2:
				cur[j] = in[j] + up
			case 3:
				cur[j] = in[j] + byte((int(left)+int(up))/2)
			case 4:
				cur[j] = in[j] + paeth(left, up, upLeft)
			default:
				return nil, fmt.Errorf("PNG filter type %d", ft)
			}
		}
		prev = cur
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := pngAbs(p-int(a)), pngAbs(p-int(b)), pngAbs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func pngAbs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// resolve returns the object ref points at (following one level: the
// value may itself hold references).
func (f *pdfFile) resolve(ref pdfRef) (any, error) {
	if f.repaired {
		return f.scanObject(ref)
	}
	e, ok := f.lookup(ref.num)
	if !ok {
		// Readers repair a missing entry by scanning; so do we.
		return f.scanObject(ref)
	}
	switch e.typ {
	case 0:
		return nil, nil
	case 1:
		return f.objectAt(e.a, ref)
	}
	return f.fromObjectStream(e.a, e.b, ref)
}

// resolveDirect resolves ref through a type-1 entry only (for /Length
// values, which never live in object streams).
func (f *pdfFile) resolveDirect(ref pdfRef) (any, error) {
	e, ok := f.lookup(ref.num)
	if !ok || e.typ != 1 {
		return nil, fmt.Errorf("object %d is not at a file offset", ref.num)
	}
	return f.objectAt(e.a, ref)
}

// objectAt parses "num gen obj ..." at off and checks it is ref.
func (f *pdfFile) objectAt(off int64, ref pdfRef) (any, error) {
	for _, o := range f.offsets(off) {
		if o < 0 || o >= int64(len(f.data)) {
			continue
		}
		p := &pdfParser{b: f.data, pos: int(o)}
		got, v, err := p.indirect()
		if err == nil && got.num == ref.num {
			return v, nil
		}
	}
	return nil, fmt.Errorf("object %d %d R is not at offset %d", ref.num, ref.gen, off)
}

// scanObject finds the last "num gen obj" in the file.
func (f *pdfFile) scanObject(ref pdfRef) (any, error) {
	pat := []byte(fmt.Sprintf("%d %d obj", ref.num, ref.gen))
	for end := len(f.data); end > 0; {
		i := bytes.LastIndex(f.data[:end], pat)
		if i < 0 {
			break
		}
		end = i
		if i > 0 && pdfRegular(f.data[i-1]) {
			continue
		}
		p := &pdfParser{b: f.data, pos: i}
		if _, v, err := p.indirect(); err == nil {
			return v, nil
		}
	}
	return nil, fmt.Errorf("object %d %d R not found", ref.num, ref.gen)
}

// fromObjectStream reads object ref, number idx in object stream stm.
func (f *pdfFile) fromObjectStream(stm, idx int64, ref pdfRef) (any, error) {
	e, ok := f.lookup(stm)
	if !ok || e.typ != 1 {
		return nil, fmt.Errorf("object stream %d is not at a file offset", stm)
	}
	for _, o := range f.offsets(e.a) {
		if o < 0 || o >= int64(len(f.data)) {
			continue
		}
		p := &pdfParser{b: f.data, pos: int(o)}
		got, v, err := p.indirect()
		d, ok := v.(pdfDict)
		if err != nil || !ok || got.num != stm || d.name("Type") != "ObjStm" {
			continue
		}
		raw, err := f.streamData(d, p)
		if err != nil {
			return nil, fmt.Errorf("object stream %d: %v", stm, err)
		}
		data, err := f.decode(d, raw, f.s.left)
		if err != nil {
			return nil, fmt.Errorf("object stream %d: %v", stm, err)
		}
		n, _ := d.int("N")
		first, _ := d.int("First")
		if n < 0 || idx < 0 || idx >= n || first < 0 || first > int64(len(data)) {
			return nil, fmt.Errorf("object stream %d: bad /N or /First", stm)
		}
		hp := &pdfParser{b: data[:first]}
		for i := int64(0); i <= idx; i++ {
			num, ok1 := hp.uint()
			off, ok2 := hp.uint()
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("object stream %d: corrupt header", stm)
			}
			if i == idx {
				if num != ref.num || first+off >= int64(len(data)) {
					return nil, fmt.Errorf("object stream %d does not hold object %d", stm, ref.num)
				}
				op := &pdfParser{b: data, pos: int(first + off)}
				return op.object()
			}
		}
	}
	return nil, fmt.Errorf("object stream %d not found", stm)
}

// lastTrailer returns the dictionary of the last "trailer" or
// cross-reference stream in the file (for repair).
func (f *pdfFile) lastTrailer() pdfDict {
	var best pdfDict
	bestAt := -1
	for _, t := range f.allTrailers() {
		if t.at > bestAt {
			best, bestAt = t.dict, t.at
		}
	}
	return best
}

// foundTrailer is a trailer dictionary found by scanning: after a
// "trailer" keyword, or a cross-reference stream's (at its object's
// start).
type foundTrailer struct {
	dict   pdfDict
	at     int
	stream bool
}

// allTrailers scans the whole file for trailer dictionaries and
// cross-reference stream dictionaries.
func (f *pdfFile) allTrailers() []foundTrailer {
	var out []foundTrailer
	b := f.data
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("trailer"))
		if j < 0 {
			break
		}
		at := i + j
		i = at + len("trailer")
		if at > 0 && pdfRegular(b[at-1]) {
			continue
		}
		p := &pdfParser{b: b, pos: i}
		p.skip()
		if !bytes.HasPrefix(b[p.pos:], []byte("<<")) {
			continue
		}
		if d, err := p.dict(); err == nil {
			out = append(out, foundTrailer{dict: d, at: at})
		}
	}
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("/XRef"))
		if j < 0 {
			break
		}
		at := i + j
		i = at + len("/XRef")
		if i < len(b) && pdfRegular(b[i]) {
			continue // /XRefStm
		}
		// The object header: the nearest "obj" before, then "num gen".
		k := bytes.LastIndex(b[max(0, at-4096):at], []byte("obj"))
		if k < 0 {
			continue
		}
		start := objectStart(b, max(0, at-4096)+k)
		if start < 0 {
			continue
		}
		p := &pdfParser{b: b, pos: start}
		if _, v, err := p.indirect(); err == nil {
			if d, ok := v.(pdfDict); ok && d.name("Type") == "XRef" {
				out = append(out, foundTrailer{dict: d, at: start, stream: true})
			}
		}
	}
	return out
}

// objectStart walks back from the "obj" keyword at k over "num gen " and
// returns where num starts, or -1.
func objectStart(b []byte, k int) int {
	i := k
	for n := 0; n < 2; n++ {
		for i > 0 && pdfSpace(b[i-1]) {
			i--
		}
		j := i
		for i > 0 && b[i-1] >= '0' && b[i-1] <= '9' {
			i--
		}
		if i == j {
			return -1
		}
	}
	if i > 0 && pdfRegular(b[i-1]) {
		return -1
	}
	return i
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
