package inspect

import (
	"bytes"
	"errors"
	"io"
)

// A minimal BER reader for S/MIME (CMS, RFC 5652) over an io.ReaderAt: enough
// to tell the content type of a ContentInfo and to take the signed content
// out of SignedData, which Outlook writes with indefinite lengths and
// segmented OCTET STRINGs that encoding/asn1 (DER only) cannot read.

var errBER = errors.New("malformed BER")

var (
	oidSignedData    = []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02}
	oidEnvelopedData = []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03}
	oidAuthEnveloped = []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x17}
	oidCompressed    = []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x09}
)

const berMaxDepth = 32

type berTLV struct {
	class       byte
	constructed bool
	tag         int
	start       int64 // offset of the contents
	length      int64 // -1: indefinite
	end         int64 // offset after the element (after the end-of-contents for indefinite)
}

type berReader struct {
	ra    io.ReaderAt
	size  int64
	steps int
}

func (r *berReader) byteAt(off int64) (byte, error) {
	if off < 0 || off >= r.size {
		return 0, errBER
	}
	var b [1]byte
	if _, err := r.ra.ReadAt(b[:], off); err != nil {
		return 0, errBER
	}
	return b[0], nil
}

// read parses the element at off, within limit.
func (r *berReader) read(off, limit int64, depth int) (berTLV, error) {
	var t berTLV
	r.steps++
	if r.steps > 1_000_000 || depth > berMaxDepth {
		return t, errBER
	}
	b, err := r.byteAt(off)
	if err != nil || off >= limit {
		return t, errBER
	}
	off++
	t.class = b >> 6
	t.constructed = b&0x20 != 0
	t.tag = int(b & 0x1f)
	if t.tag == 0x1f {
		t.tag = 0
		for i := 0; ; i++ {
			c, err := r.byteAt(off)
			if err != nil || i > 3 {
				return t, errBER
			}
			off++
			t.tag = t.tag<<7 | int(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	l, err := r.byteAt(off)
	if err != nil {
		return t, errBER
	}
	off++
	switch {
	case l < 0x80:
		t.length = int64(l)
	case l == 0x80:
		if !t.constructed {
			return t, errBER
		}
		t.length = -1
	default:
		n := int(l & 0x7f)
		if n > 7 {
			return t, errBER
		}
		for i := 0; i < n; i++ {
			c, err := r.byteAt(off)
			if err != nil {
				return t, errBER
			}
			off++
			t.length = t.length<<8 | int64(c)
		}
	}
	t.start = off
	if t.length >= 0 {
		t.end = off + t.length
		if t.end > limit {
			return t, errBER
		}
		return t, nil
	}
	// Indefinite: walk the children up to the end-of-contents (00 00).
	p := off
	for {
		c0, err0 := r.byteAt(p)
		c1, err1 := r.byteAt(p + 1)
		if err0 != nil || err1 != nil {
			return t, errBER
		}
		if c0 == 0 && c1 == 0 {
			t.end = p + 2
			return t, nil
		}
		child, err := r.read(p, limit, depth+1)
		if err != nil {
			return t, err
		}
		p = child.end
	}
}

// contentEnd is where the children of t end.
func (t berTLV) contentEnd() int64 {
	if t.length < 0 {
		return t.end - 2
	}
	return t.end
}

// children lists the direct children of a constructed element.
func (r *berReader) children(t berTLV, depth, max int) ([]berTLV, error) {
	if !t.constructed {
		return nil, errBER
	}
	var out []berTLV
	for p := t.start; p < t.contentEnd() && len(out) < max; {
		c, err := r.read(p, t.contentEnd(), depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		p = c.end
	}
	return out, nil
}

func (r *berReader) bytesOf(t berTLV, max int64) ([]byte, error) {
	if t.constructed || t.length < 0 || t.length > max {
		return nil, errBER
	}
	b := make([]byte, t.length)
	if _, err := r.ra.ReadAt(b, t.start); err != nil && !(err == io.EOF && t.length == 0) {
		return nil, errBER
	}
	return b, nil
}

// cmsInfo reads a ContentInfo: its content type OID (raw bytes) and the
// [0] EXPLICIT content element.
func cmsInfo(ra io.ReaderAt, size int64) (r *berReader, oid []byte, content berTLV, err error) {
	r = &berReader{ra: ra, size: size}
	root, err := r.read(0, size, 0)
	if err != nil || root.tag != 0x10 || !root.constructed {
		return nil, nil, content, errBER
	}
	kids, err := r.children(root, 0, 2)
	if err != nil || len(kids) < 1 || kids[0].tag != 6 {
		return nil, nil, content, errBER
	}
	if oid, err = r.bytesOf(kids[0], 64); err != nil {
		return nil, nil, content, err
	}
	if len(kids) > 1 {
		content = kids[1]
	}
	return r, oid, content, nil
}

// cmsKind tells "enveloped", "authenveloped", "signed", "compressed" or ""
// from a ContentInfo's content type.
func cmsKind(ra io.ReaderAt, size int64) string {
	_, oid, _, err := cmsInfo(ra, size)
	if err != nil {
		return ""
	}
	switch {
	case bytes.Equal(oid, oidEnvelopedData):
		return "enveloped-data"
	case bytes.Equal(oid, oidAuthEnveloped):
		return "authenveloped-data"
	case bytes.Equal(oid, oidSignedData):
		return "signed-data"
	case bytes.Equal(oid, oidCompressed):
		return "compressed-data"
	}
	return ""
}

// cmsSignedContent returns the encapsulated content of a SignedData
// ContentInfo (the signed MIME entity of an opaque-signed S/MIME message).
func cmsSignedContent(ra io.ReaderAt, size int64) (io.Reader, error) {
	r, oid, content, err := cmsInfo(ra, size)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(oid, oidSignedData) || content.class != 2 || content.tag != 0 {
		return nil, errBER
	}
	sd, err := r.children(content, 1, 1)
	if err != nil || len(sd) != 1 || sd[0].tag != 0x10 {
		return nil, errBER
	}
	// SignedData: version, digestAlgorithms, encapContentInfo, ...
	fields, err := r.children(sd[0], 2, 3)
	if err != nil || len(fields) < 3 || fields[2].tag != 0x10 {
		return nil, errBER
	}
	encap, err := r.children(fields[2], 3, 2)
	if err != nil || len(encap) < 2 || encap[1].class != 2 || encap[1].tag != 0 {
		return nil, errBER // detached signature: no content here
	}
	octets, err := r.children(encap[1], 4, 1)
	if err != nil || len(octets) != 1 || octets[0].tag != 4 {
		return nil, errBER
	}
	var segs []io.Reader
	if err := r.segments(octets[0], 5, &segs); err != nil {
		return nil, err
	}
	return io.MultiReader(segs...), nil
}

// segments collects the primitive pieces of a (possibly constructed) OCTET
// STRING.
func (r *berReader) segments(t berTLV, depth int, out *[]io.Reader) error {
	if !t.constructed {
		*out = append(*out, io.NewSectionReader(r.ra, t.start, t.length))
		return nil
	}
	kids, err := r.children(t, depth, 1_000_000)
	if err != nil {
		return err
	}
	for _, k := range kids {
		if k.tag != 4 {
			return errBER
		}
		if err := r.segments(k, depth+1, out); err != nil {
			return err
		}
	}
	return nil
}
