package encryption

// 7z folders (7zFormat.txt, Folder): coders, their bindings and packed
// streams; the coder path from a packed stream to the folder's output, and
// whether a folder is encrypted.

import (
	"strings"
)

// szCoder is one coder of a folder. Streams are numbered as in
// 7zFormat.txt: "in" streams are on the packed side, "out" streams on the
// unpacked side.
type szCoder struct {
	id            uint64
	numIn, numOut int
	props         []byte
}

type szFolder struct {
	coders    []szCoder
	bindIn    []int // bind pair i: in stream bindIn[i] reads out stream bindOut[i]
	bindOut   []int
	packed    []int    // in streams fed by packed streams, in pack stream order
	unpack    []uint64 // size of each out stream
	crc       uint32   // CRC of the main out stream, if hasCRC
	hasCRC    bool
	packIndex int // first of its pack streams
	numSub    int // unpack streams (files) in the folder
}

func (f *szFolder) numOutTotal() (n int) {
	for _, c := range f.coders {
		n += c.numOut
	}
	return n
}

// streamCoder returns the coder owning in stream (or out stream) i.
func (f *szFolder) streamCoder(i int, in bool) int {
	for ci, c := range f.coders {
		n := c.numOut
		if in {
			n = c.numIn
		}
		if i < n {
			return ci
		}
		i -= n
	}
	return -1
}

func (f *szFolder) firstStream(coder int, in bool) (n int) {
	for _, c := range f.coders[:coder] {
		if in {
			n += c.numIn
		} else {
			n += c.numOut
		}
	}
	return n
}

// mainOut is the out stream that no bind pair consumes: the folder's
// output.
func (f *szFolder) mainOut() int {
	for i := 0; i < f.numOutTotal(); i++ {
		if !containsInt(f.bindOut, i) {
			return i
		}
	}
	return -1
}

func (f *szFolder) unpackSize() uint64 {
	if m := f.mainOut(); m >= 0 && m < len(f.unpack) {
		return f.unpack[m]
	}
	return 0
}

func (f *szFolder) has(id uint64) bool {
	for _, c := range f.coders {
		if c.id == id {
			return true
		}
	}
	return false
}

// encrypted: every packed stream is read by a 7zAES coder.
func (f *szFolder) encrypted() bool {
	if len(f.packed) == 0 {
		return false
	}
	for _, in := range f.packed {
		if f.coders[f.streamCoder(in, true)].id != szAES {
			return false
		}
	}
	return true
}

// methods names the coders (7zAES excluded) from the output side, as
// 7-Zip lists them: "BCJ LZMA2".
func (f *szFolder) methods() string {
	order, ok := f.chain()
	if ok {
		for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
			order[i], order[j] = order[j], order[i]
		}
	} else {
		order = order[:0]
		if m := f.streamCoder(f.mainOut(), false); m >= 0 {
			order = append(order, m)
		}
		for i := range f.coders {
			if !containsInt(order, i) {
				order = append(order, i)
			}
		}
	}
	var names []string
	for _, i := range order {
		if f.coders[i].id != szAES {
			names = append(names, szCoderName(f.coders[i].id))
		}
	}
	return strings.Join(names, " ")
}

// path follows packed stream k up through coders with one in and one out
// stream each, from the packed side; full reports that it reaches the
// folder's output (it stops below a multi-stream coder such as BCJ2).
func (f *szFolder) path(k int) (order []int, full bool) {
	if k < 0 || k >= len(f.packed) {
		return nil, false
	}
	main := f.mainOut()
	for c := f.streamCoder(f.packed[k], true); len(order) < len(f.coders); {
		if c < 0 || f.coders[c].numIn != 1 || f.coders[c].numOut != 1 {
			return order, false
		}
		order = append(order, c)
		o := f.firstStream(c, false)
		if o == main {
			return order, true
		}
		j := indexInt(f.bindOut, o)
		if j < 0 {
			return order, false
		}
		c = f.streamCoder(f.bindIn[j], true)
	}
	return order, false
}

// chain returns the coders from the packed stream to the output when the
// folder is a simple pipeline (one packed stream, one in and one out
// stream per coder); ok is false otherwise (BCJ2).
func (f *szFolder) chain() (order []int, ok bool) {
	if len(f.packed) != 1 {
		return nil, false
	}
	return f.path(0)
}

func containsInt(list []int, v int) bool { return indexInt(list, v) >= 0 }

func indexInt(list []int, v int) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// readFolder reads a folder's coders, bind pairs and packed stream
// indexes, and checks that they form a tree rooted at the single main out
// stream, as 7-Zip requires.
func (r *szReader) readFolder() szFolder {
	var f szFolder
	n := r.count("coders in a folder", szMaxCoders)
	if r.err == nil && n == 0 {
		r.fail("a folder has no coder")
	}
	numIn, numOut := 0, 0
	for i := 0; i < n && r.err == nil; i++ {
		flags := r.byte()
		if flags&0xC0 != 0 {
			r.fail("a coder uses reserved flags %#x", flags)
			break
		}
		idLen := int(flags & 0x0F)
		if idLen > 8 {
			r.fail("a coder id is %d bytes long", idLen)
			break
		}
		c := szCoder{numIn: 1, numOut: 1}
		for _, b := range r.bytes(uint64(idLen)) {
			c.id = c.id<<8 | uint64(b)
		}
		if flags&0x10 != 0 {
			c.numIn = r.count("coder in streams", szMaxCoders)
			c.numOut = r.count("coder out streams", szMaxCoders)
		}
		if flags&0x20 != 0 {
			c.props = r.bytes(r.number())
		}
		if r.err == nil && (c.numIn == 0 || c.numOut == 0) {
			r.fail("a coder has no streams")
		}
		numIn += c.numIn
		numOut += c.numOut
		if numIn > szMaxCoders || numOut > szMaxCoders {
			r.fail("a folder has more than %d streams", szMaxCoders)
		}
		f.coders = append(f.coders, c)
	}
	if r.err != nil {
		return f
	}
	for i := 0; i < numOut-1 && r.err == nil; i++ {
		in, out := r.number(), r.number()
		if in >= uint64(numIn) || out >= uint64(numOut) || containsInt(f.bindIn, int(in)) || containsInt(f.bindOut, int(out)) {
			r.fail("a folder has an invalid bind pair")
			break
		}
		f.bindIn = append(f.bindIn, int(in))
		f.bindOut = append(f.bindOut, int(out))
	}
	numPacked := numIn - (numOut - 1)
	switch {
	case r.err != nil:
		return f
	case numPacked < 1:
		r.fail("a folder has no packed stream")
	case numPacked == 1:
		for i := 0; i < numIn; i++ {
			if !containsInt(f.bindIn, i) {
				f.packed = append(f.packed, i)
				break
			}
		}
	default:
		for i := 0; i < numPacked && r.err == nil; i++ {
			v := r.number()
			if v >= uint64(numIn) || containsInt(f.bindIn, int(v)) || containsInt(f.packed, int(v)) {
				r.fail("a folder has an invalid packed stream index")
				break
			}
			f.packed = append(f.packed, int(v))
		}
	}
	if r.err == nil && !f.isTree() {
		r.fail("a folder's coders do not form a tree")
	}
	return f
}

// isTree checks that every coder and every in stream is reached exactly
// once walking back from the main out stream.
func (f *szFolder) isTree() bool {
	main := f.mainOut()
	if main < 0 || len(f.packed) == 0 {
		return false
	}
	seen := make([]bool, len(f.coders))
	var visit func(out, depth int) bool
	visit = func(out, depth int) bool {
		c := f.streamCoder(out, false)
		if c < 0 || seen[c] || depth > len(f.coders) {
			return false
		}
		seen[c] = true
		first := f.firstStream(c, true)
		for in := first; in < first+f.coders[c].numIn; in++ {
			if j := indexInt(f.bindIn, in); j >= 0 {
				if !visit(f.bindOut[j], depth+1) {
					return false
				}
			} else if !containsInt(f.packed, in) {
				return false
			}
		}
		return true
	}
	if !visit(main, 0) {
		return false
	}
	for _, s := range seen {
		if !s {
			return false
		}
	}
	return true
}
