package encryption

import (
	"bytes"
	"errors"
	"io"
)

// BER reads BER (X.690) over an io.ReaderAt: the CMS / PKCS #7 structures of
// S/MIME, which Outlook and openssl -stream write with indefinite lengths
// and segmented OCTET STRINGs that encoding/asn1 (DER only) cannot read.
// It is the one BER reader of sendguard: this package reads .p7m
// attachments with it, policy/inspect opaque-signed messages (whose signed
// content it reads in place, without copying it into memory). Every
// element is checked against the bounds of its parent; depth and the
// number of elements read are bounded.
type BER struct {
	ra    io.ReaderAt
	size  int64
	steps int
}

// BERElem is one element: its identifier, where its contents start and
// stop (before an end-of-contents marker) and where it ends.
type BERElem struct {
	Class       byte
	Constructed bool
	Tag         int
	Start, Stop int64
	End         int64
}

// Limits of a BER walk.
const (
	berMaxDepth = 64
	berMaxSteps = 1 << 20
)

// ErrBER is malformed BER; ErrBERLimits a walk over its limits.
var (
	ErrBER       = errors.New("malformed BER")
	ErrBERLimits = errors.New("too deeply nested or too many elements")
)

// NewBER reads the size bytes of ra.
func NewBER(ra io.ReaderAt, size int64) *BER { return &BER{ra: ra, size: size} }

func (r *BER) byteAt(off int64) (byte, error) {
	if off < 0 || off >= r.size {
		return 0, ErrBER
	}
	var b [1]byte
	if _, err := r.ra.ReadAt(b[:], off); err != nil {
		return 0, ErrBER
	}
	return b[0], nil
}

// Elem parses the element at off, which must end by limit.
func (r *BER) Elem(off, limit int64, depth int) (BERElem, error) {
	var e BERElem
	r.steps++
	if r.steps > berMaxSteps || depth > berMaxDepth {
		return e, ErrBERLimits
	}
	if off >= limit {
		return e, ErrBER
	}
	c, err := r.byteAt(off)
	if err != nil {
		return e, err
	}
	off++
	e.Class, e.Constructed, e.Tag = c>>6, c&0x20 != 0, int(c&0x1F)
	if e.Tag == 0x1F {
		e.Tag = 0
		for i := 0; ; i++ {
			c, err := r.byteAt(off)
			if err != nil || i > 3 || off >= limit {
				return e, ErrBER
			}
			off++
			e.Tag = e.Tag<<7 | int(c&0x7F)
			if c&0x80 == 0 {
				break
			}
		}
	}
	if off >= limit {
		return e, ErrBER
	}
	l, err := r.byteAt(off)
	if err != nil {
		return e, err
	}
	off++
	e.Start = off
	switch {
	case l < 0x80:
		e.Stop = off + int64(l)
	case l == 0x80:
		if !e.Constructed {
			return e, ErrBER
		}
		// Indefinite: walk the children up to the end-of-contents (00 00).
		for pos := off; ; {
			c0, err0 := r.byteAt(pos)
			c1, err1 := r.byteAt(pos + 1)
			if err0 != nil || err1 != nil || pos+2 > limit {
				return e, ErrBER
			}
			if c0 == 0 && c1 == 0 {
				e.Stop, e.End = pos, pos+2
				return e, nil
			}
			child, err := r.Elem(pos, limit, depth+1)
			if err != nil {
				return e, err
			}
			pos = child.End
		}
	default:
		n := int(l & 0x7F)
		if n > 7 || off+int64(n) > limit {
			return e, ErrBER
		}
		var v int64
		for i := 0; i < n; i++ {
			c, err := r.byteAt(off)
			if err != nil {
				return e, err
			}
			off++
			v = v<<8 | int64(c)
		}
		e.Start, e.Stop = off, off+v
		if v < 0 || e.Stop < off {
			return e, ErrBER
		}
	}
	if e.Stop > limit {
		return e, ErrBER
	}
	e.End = e.Stop
	return e, nil
}

// Children lists the direct children of a constructed element (at most
// max).
func (r *BER) Children(e BERElem, depth, max int) ([]BERElem, error) {
	if !e.Constructed {
		return nil, ErrBER
	}
	var out []BERElem
	for pos := e.Start; pos < e.Stop && len(out) < max; {
		c, err := r.Elem(pos, e.Stop, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		pos = c.End
	}
	return out, nil
}

// Bytes returns the contents of a primitive element of at most max bytes.
func (r *BER) Bytes(e BERElem, max int64) ([]byte, error) {
	n := e.Stop - e.Start
	if e.Constructed || n < 0 || n > max {
		return nil, ErrBER
	}
	b := make([]byte, n)
	if _, err := r.ra.ReadAt(b, e.Start); err != nil && !(err == io.EOF && n == 0) {
		return nil, ErrBER
	}
	return b, nil
}

// Segments collects, in order, readers of the primitive pieces of a
// (possibly constructed) OCTET STRING, in place.
func (r *BER) Segments(e BERElem, depth int, out *[]io.Reader) error {
	if !e.Constructed {
		*out = append(*out, io.NewSectionReader(r.ra, e.Start, e.Stop-e.Start))
		return nil
	}
	kids, err := r.Children(e, depth, berMaxSteps)
	if err != nil {
		return err
	}
	for _, k := range kids {
		if k.Class != 0 || k.Tag != 4 {
			return ErrBER
		}
		if err := r.Segments(k, depth+1, out); err != nil {
			return err
		}
	}
	return nil
}

// Octets appends the contents of a (possibly constructed) OCTET STRING to
// out, up to max bytes in all.
func (r *BER) Octets(e BERElem, depth int, max int64, out *bytes.Buffer) error {
	var segs []io.Reader
	if err := r.Segments(e, depth, &segs); err != nil {
		return err
	}
	for _, s := range segs {
		n := s.(*io.SectionReader).Size()
		if int64(out.Len())+n > max {
			return errLimit
		}
		if _, err := out.ReadFrom(s); err != nil {
			return ErrBER
		}
	}
	return nil
}

var errLimit = errors.New("over the byte limit")

// Is reports the element's class, form and tag.
func (e BERElem) Is(class byte, constructed bool, tag int) bool {
	return e.Class == class && e.Constructed == constructed && e.Tag == tag
}
