package encryption

// PDF objects and streams (ISO 32000-1 7.3.8, 7.4, 7.5.7): a stream's raw
// data and its decoding (FlateDecode with PNG predictors), and resolving an
// indirect reference directly, by scanning, or from an object stream.

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

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
