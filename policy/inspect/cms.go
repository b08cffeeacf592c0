package inspect

import (
	"bytes"
	"io"

	"github.com/sendguard/sendguard/policy/encryption"
)

// Opaque-signed S/MIME messages (CMS, RFC 5652) are read with the BER
// reader of policy/encryption, in place over the spooled part: enough to
// tell the content type of a ContentInfo and to take the signed content out
// of SignedData.

var errBER = encryption.ErrBER

var (
	oidSignedData    = []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02}
	oidEnvelopedData = []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03}
	oidAuthEnveloped = []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x17}
	oidCompressed    = []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x09}
)

// cmsInfo reads a ContentInfo: its content type OID (raw bytes) and the
// [0] EXPLICIT content element.
func cmsInfo(ra io.ReaderAt, size int64) (r *encryption.BER, oid []byte, content encryption.BERElem, err error) {
	r = encryption.NewBER(ra, size)
	root, err := r.Elem(0, size, 0)
	if err != nil || root.Tag != 0x10 || !root.Constructed {
		return nil, nil, content, errBER
	}
	kids, err := r.Children(root, 0, 2)
	if err != nil || len(kids) < 1 || kids[0].Tag != 6 {
		return nil, nil, content, errBER
	}
	if oid, err = r.Bytes(kids[0], 64); err != nil {
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
	if !bytes.Equal(oid, oidSignedData) || content.Class != 2 || content.Tag != 0 {
		return nil, errBER
	}
	sd, err := r.Children(content, 1, 1)
	if err != nil || len(sd) != 1 || sd[0].Tag != 0x10 {
		return nil, errBER
	}
	// SignedData: version, digestAlgorithms, encapContentInfo, ...
	fields, err := r.Children(sd[0], 2, 3)
	if err != nil || len(fields) < 3 || fields[2].Tag != 0x10 {
		return nil, errBER
	}
	encap, err := r.Children(fields[2], 3, 2)
	if err != nil || len(encap) < 2 || encap[1].Class != 2 || encap[1].Tag != 0 {
		return nil, errBER // detached signature: no content here
	}
	octets, err := r.Children(encap[1], 4, 1)
	if err != nil || len(octets) != 1 || octets[0].Tag != 4 {
		return nil, errBER
	}
	var segs []io.Reader
	if err := r.Segments(octets[0], 5, &segs); err != nil {
		return nil, err
	}
	return io.MultiReader(segs...), nil
}
