package encryption

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
)

// An encrypted PDF encrypts every string and stream with the file key
// (ISO 32000-1 7.6.2) — except cross-reference streams, and the metadata
// stream when /EncryptMetadata is false. An /Encrypt dictionary pasted
// into a plain PDF (or written with a password check that fails) leaves
// its page content readable to anyone, and only the password check says
// "protected". plainStreamIn holds the claim against the streams
// themselves: a FlateDecode stream whose raw bytes inflate as they are,
// or an unfiltered one that is plain text, is not encrypted.

// Bounds of the stream check.
const (
	pdfMaxClaimStreams = 200
	pdfClaimInflate    = 256 // bytes a plaintext zlib stream must yield
)

// plainStreamIn returns a note naming a stream of the document that is
// plaintext although the document claims encryption, or "".
func (f *pdfFile) plainStreamIn(sec *pdfSecurity) string {
	b := f.data
	checked := 0
	// An object stream holding the encryption dictionary cannot itself be
	// encrypted with it.
	encStm := int64(-1)
	if ref, ok := f.trailer["Encrypt"].(pdfRef); ok {
		if e, ok := f.lookup(ref.num); ok && e.typ == 2 {
			encStm = e.a
		}
	}
	for pos := 0; checked < pdfMaxClaimStreams; {
		k := bytes.Index(b[pos:], []byte(" obj"))
		if k < 0 {
			return ""
		}
		k += pos
		pos = k + 4
		start := objectStart(b, k+1)
		if start < 0 {
			continue
		}
		p := &pdfParser{b: b, pos: start}
		ref, v, err := p.indirect()
		d, isDict := v.(pdfDict)
		if err != nil || !isDict {
			continue
		}
		switch d.name("Type") {
		case "XRef":
			continue // never encrypted
		case "ObjStm":
			if ref.num == encStm {
				continue
			}
		case "Metadata":
			if !sec.encryptMetadata {
				continue
			}
		}
		save := p.pos
		raw, err := f.streamData(d, p)
		if err != nil {
			p.pos = save
			continue
		}
		checked++
		if len(raw) > randomSample {
			raw = raw[:randomSample]
		}
		if plainStream(d, raw) {
			return fmt.Sprintf("the document claims encryption, but stream %d %d R is not encrypted (its content is readable)", ref.num, ref.gen)
		}
	}
	return ""
}

// plainStream reports whether raw (a stream's first bytes) is plaintext:
// a zlib stream that inflates cleanly when the filter is FlateDecode, or
// printable text when there is no filter.
func plainStream(d pdfDict, raw []byte) bool {
	switch filter := d["Filter"].(type) {
	case pdfName:
		if filter != "FlateDecode" {
			return false
		}
	case pdfArray:
		if len(filter) == 0 || filter[0] != pdfName("FlateDecode") {
			return false
		}
	case nil:
		if len(raw) < 64 {
			return false
		}
		printable := 0
		for _, c := range raw {
			if c >= 0x20 && c < 0x7F || c == '\n' || c == '\r' || c == '\t' {
				printable++
			}
		}
		return printable*100 >= len(raw)*95
	default:
		return false
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return false
	}
	n, err := io.Copy(io.Discard, io.LimitReader(zr, pdfClaimInflate))
	return n == pdfClaimInflate || err == nil && n > 0 && zr.Close() == nil
}
