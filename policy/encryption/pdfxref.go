package encryption

// PDF cross-reference sections (ISO 32000-1 7.5.4, 7.5.8): classic xref
// tables, cross-reference streams, the /Prev chain, and looking an object
// up in them.

import (
	"errors"
	"fmt"
)

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
