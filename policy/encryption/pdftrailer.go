package encryption

// Finding PDF trailers by scanning the whole file: every "trailer"
// dictionary and cross-reference stream dictionary, for repair and for the
// check that every revision is encrypted.

import (
	"bytes"
)

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
