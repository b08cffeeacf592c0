//go:build ignore

package main

// Part of make.go (go run testdata/messages/make*.go): the TNEF
// (winmail.dat) and minimal S/MIME BER structures some messages carry.

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
)

// ---- TNEF (MS-OXTNEF) ----

type tnefFile struct {
	title    string // attAttachTitle, Shift_JIS (OEM code page 932)
	longName string // PR_ATTACH_LONG_FILENAME as PT_UNICODE, "" for none
	mimeTag  string
	data     []byte
}

func tnef(files []tnefFile) []byte {
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	attr := func(level byte, id uint32, data []byte) {
		b.WriteByte(level)
		le(id)
		le(uint32(len(data)))
		b.Write(data)
		var sum uint16
		for _, c := range data {
			sum += uint16(c)
		}
		le(sum)
	}
	u32 := func(vs ...uint32) []byte {
		var x bytes.Buffer
		for _, v := range vs {
			binary.Write(&x, binary.LittleEndian, v)
		}
		return x.Bytes()
	}
	le(uint32(0x223E9F78))
	le(uint16(0x0001))
	attr(0x01, 0x00089006, u32(0x00010000))                       // attTnefVersion
	attr(0x01, 0x00069007, u32(932, 0))                           // attOemCodepage
	attr(0x01, 0x00078008, []byte("IPM.Microsoft Mail.Note\x00")) // attMessageClass
	for _, f := range files {
		rend := make([]byte, 14)
		binary.LittleEndian.PutUint16(rend[0:], 1) // file
		binary.LittleEndian.PutUint32(rend[2:], 0xFFFFFFFF)
		attr(0x02, 0x00069002, rend) // attAttachRendData
		attr(0x02, 0x00018010, append([]byte(sjis(f.title)), 0))
		attr(0x02, 0x0006800F, f.data)
		// attAttachment: MAPI properties.
		var p bytes.Buffer
		pl := func(v any) { binary.Write(&p, binary.LittleEndian, v) }
		pad := func(n int) { p.Write(make([]byte, (4-n%4)%4)) }
		count := uint32(1)
		if f.longName != "" {
			count++
		}
		if f.mimeTag != "" {
			count++
		}
		pl(count)
		pl(uint16(0x0003)) // PT_LONG PR_ATTACH_METHOD = ATTACH_BY_VALUE
		pl(uint16(0x3705))
		pl(uint32(1))
		if f.longName != "" {
			u := utf16.Encode([]rune(f.longName + "\x00"))
			pl(uint16(0x001F)) // PT_UNICODE PR_ATTACH_LONG_FILENAME
			pl(uint16(0x3707))
			pl(uint32(1))
			pl(uint32(len(u) * 2))
			pl(u)
			pad(len(u) * 2)
		}
		if f.mimeTag != "" {
			s := []byte(f.mimeTag + "\x00")
			pl(uint16(0x001E)) // PT_STRING8 PR_ATTACH_MIME_TAG
			pl(uint16(0x370E))
			pl(uint32(1))
			pl(uint32(len(s)))
			p.Write(s)
			pad(len(s))
		}
		attr(0x02, 0x00069005, p.Bytes())
	}
	return b.Bytes()
}

// ---- S/MIME (minimal BER, no real cryptography: the walk only reads the
// structure) ----

func der(tag byte, content ...[]byte) []byte {
	c := bytes.Join(content, nil)
	n := len(c)
	var l []byte
	switch {
	case n < 0x80:
		l = []byte{byte(n)}
	case n < 0x100:
		l = []byte{0x81, byte(n)}
	case n < 0x10000:
		l = []byte{0x82, byte(n >> 8), byte(n)}
	default:
		l = []byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return append(append([]byte{tag}, l...), c...)
}

// indef is a constructed element with indefinite length, as Outlook writes.
func indef(tag byte, content ...[]byte) []byte {
	out := []byte{tag, 0x80}
	out = append(out, bytes.Join(content, nil)...)
	return append(out, 0, 0)
}

var (
	oidData      = der(0x06, []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01})
	oidSigned    = der(0x06, []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02})
	oidEnveloped = der(0x06, []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03})
	oidSHA256    = der(0x30, der(0x06, []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}))
)

// signedData wraps content in a BER SignedData with the content split into
// OCTET STRING segments of 64 bytes (no certificates, one empty signer set).
func signedData(content []byte) []byte {
	var segs [][]byte
	for len(content) > 0 {
		n := min(64, len(content))
		segs = append(segs, der(0x04, content[:n]))
		content = content[n:]
	}
	encap := indef(0x30, oidData, indef(0xA0, indef(0x24, segs...)))
	sd := indef(0x30, der(0x02, []byte{1}), der(0x31, oidSHA256), encap, der(0x31))
	return indef(0x30, oidSigned, indef(0xA0, sd))
}

// envelopedData is a ContentInfo with the envelopedData type and a dummy body.
func envelopedData() []byte {
	return der(0x30, oidEnveloped, der(0xA0, der(0x30, der(0x02, []byte{0}), der(0x31), der(0x30, oidData, der(0x80, bytes.Repeat([]byte{0xA5}, 48))))))
}
