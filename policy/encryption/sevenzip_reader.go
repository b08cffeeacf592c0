package encryption

// The 7z header encoding (DOC/7zFormat.txt): szReader reads bytes, 7z
// NUMBERs, bit vectors and digests; its first error sticks.

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// szReader reads the 7z header encoding: bytes, 7z NUMBERs, bit vectors.
// The first error sticks and later reads return zero values.
type szReader struct {
	b   []byte
	err error
}

var errSzTruncated = errors.New("the header is truncated")

func (r *szReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *szReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errSzTruncated
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *szReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errSzTruncated
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

// number reads a 7z NUMBER: the leading one bits of the first byte count
// the extra little-endian bytes; the rest of the first byte is the high
// part.
func (r *szReader) number() uint64 {
	first := r.byte()
	if r.err != nil {
		return 0
	}
	var v uint64
	mask := byte(0x80)
	for i := 0; i < 8; i++ {
		if first&mask == 0 {
			return v | uint64(first&(mask-1))<<(8*i)
		}
		v |= uint64(r.byte()) << (8 * i)
		mask >>= 1
	}
	return v
}

// count reads a NUMBER that counts items, each taking at least one byte of
// what is left (so hostile counts are refused before anything is
// allocated), and at most max.
func (r *szReader) count(what string, max int) int {
	v := r.number()
	if r.err == nil && (v > uint64(len(r.b)) || v > uint64(max)) {
		r.fail("it declares %d %s", v, what)
	}
	if r.err != nil {
		return 0
	}
	return int(v)
}

func (r *szReader) uint32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// boolVector reads n bits, most significant first.
func (r *szReader) boolVector(n int) []bool {
	if r.err == nil && uint64(n) > 8*uint64(len(r.b)) {
		r.err = errSzTruncated
	}
	if r.err != nil {
		return nil
	}
	v := make([]bool, n)
	var b, mask byte
	for i := range v {
		if mask == 0 {
			b, mask = r.byte(), 0x80
		}
		v[i] = b&mask != 0
		mask >>= 1
	}
	return v
}

// boolVector2 reads an "all defined" byte, then a bit vector if not.
func (r *szReader) boolVector2(n int) []bool {
	if r.byte() == 0 {
		return r.boolVector(n)
	}
	if r.err != nil {
		return nil
	}
	v := make([]bool, n)
	for i := range v {
		v[i] = true
	}
	return v
}

// digests reads n optional CRC-32s.
func (r *szReader) digests(n int) (defined []bool, crcs []uint32) {
	defined = r.boolVector2(n)
	if r.err != nil {
		return nil, nil
	}
	crcs = make([]uint32, n)
	for i, d := range defined {
		if d {
			crcs[i] = r.uint32()
		}
	}
	return defined, crcs
}

func (r *szReader) skipData() { r.bytes(r.number()) }

// waitID skips properties up to id, as 7-Zip does.
func (r *szReader) waitID(id uint64) {
	for r.err == nil {
		t := r.number()
		switch {
		case r.err != nil:
		case t == id:
			return
		case t == szEnd:
			r.fail("property %#x is missing", id)
		default:
			r.skipData()
		}
	}
}
