package inspect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// A small TNEF (winmail.dat) reader after [MS-OXTNEF]. It reads only what
// is needed to list the embedded files, with bounded reads from an
// io.ReaderAt (the attachment may be a spooled temp file of tens of MB),
// and hands each file back as an io.SectionReader of the original bytes:
// no attachment's data is ever copied into memory. The Go TNEF decoder
// (github.com/teamwork/tnef) takes the whole winmail.dat as a []byte and
// returns every attachment's Data as a []byte, which would put the whole
// file in memory twice, with no bound on entries or nesting; a limited
// parser of the few attributes that matter is smaller than wrapping it.

const (
	tnefSignature = 0x223E9F78

	lvlMessage    = 0x01
	lvlAttachment = 0x02

	attAttachRendData = 0x00069002 // starts an attachment
	attAttachTitle    = 0x00018010 // file name (8-bit, OEM code page)
	attAttachData     = 0x0006800F // file content
	attAttachment     = 0x00069005 // MAPI properties of the attachment
	attOemCodepage    = 0x00069007

	prAttachDataObj      = 0x3701
	prAttachFilename     = 0x3704
	prAttachMethod       = 0x3705
	prAttachLongFilename = 0x3707
	prAttachMimeTag      = 0x370E
	prDisplayName        = 0x3001

	ptString8 = 0x001E
	ptUnicode = 0x001F
	ptBinary  = 0x0102
	ptObject  = 0x000D

	tnefMaxAttrs      = 100000
	tnefMaxPropsBytes = 4 << 20 // attAttachment read into memory up to this
	tnefMaxDepth      = 4       // embedded messages inside embedded messages
)

var errTNEF = errors.New("not a valid TNEF stream")

// tnefFile is one file found in a TNEF stream.
type tnefFile struct {
	Name     string
	MimeType string
	Data     *io.SectionReader // nil when the file has no data (Problem)
}

type tnefAttach struct {
	title, longName, fileName, displayName, mimeTag string
	data                                            *io.SectionReader
	method                                          uint32
	embedded                                        *io.SectionReader // PT_OBJECT embedded message (a TNEF stream)
}

// parseTNEF lists the files in the TNEF stream ra (size bytes). maxFiles
// bounds the count.
func parseTNEF(ra io.ReaderAt, size int64, maxFiles int) ([]tnefFile, error) {
	return parseTNEFDepth(ra, size, maxFiles, 0)
}

func parseTNEFDepth(ra io.ReaderAt, size int64, maxFiles, depth int) ([]tnefFile, error) {
	if depth > tnefMaxDepth {
		return nil, fmt.Errorf("%w: embedded messages nested too deep", errTNEF)
	}
	var hdr [6]byte
	if _, err := ra.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("%w: too short", errTNEF)
	}
	if binary.LittleEndian.Uint32(hdr[:4]) != tnefSignature {
		return nil, fmt.Errorf("%w: bad signature", errTNEF)
	}
	var (
		off      int64 = 6
		codepage uint32
		atts     []*tnefAttach
		cur      *tnefAttach
	)
	for n := 0; off < size; n++ {
		if n >= tnefMaxAttrs {
			return nil, fmt.Errorf("%w: too many attributes", errTNEF)
		}
		var ah [9]byte
		if _, err := ra.ReadAt(ah[:], off); err != nil {
			if size-off < 9 && allZero(ra, off, size) {
				break // padding some writers leave at the end
			}
			return nil, fmt.Errorf("%w: truncated attribute", errTNEF)
		}
		level := ah[0]
		id := binary.LittleEndian.Uint32(ah[1:5])
		length := int64(binary.LittleEndian.Uint32(ah[5:9]))
		dataOff := off + 9
		if level != lvlMessage && level != lvlAttachment {
			return nil, fmt.Errorf("%w: bad attribute level", errTNEF)
		}
		if length < 0 || dataOff+length+2 > size {
			return nil, fmt.Errorf("%w: attribute larger than the stream", errTNEF)
		}
		off = dataOff + length + 2 // data and a 16-bit checksum (not verified)

		switch {
		case level == lvlMessage && id == attOemCodepage && length >= 4:
			b, err := readAt(ra, dataOff, 4)
			if err != nil {
				return nil, err
			}
			codepage = binary.LittleEndian.Uint32(b)
		case id == attAttachRendData:
			if len(atts) >= maxFiles {
				return nil, fmt.Errorf("%w: more than %d files", errTNEF, maxFiles)
			}
			cur = &tnefAttach{}
			atts = append(atts, cur)
		case level == lvlAttachment && cur != nil && id == attAttachTitle:
			b, err := readAt(ra, dataOff, min(length, 4096))
			if err != nil {
				return nil, err
			}
			cur.title = decodeCodepage(trimNUL(b), codepage)
		case level == lvlAttachment && cur != nil && id == attAttachData:
			cur.data = io.NewSectionReader(ra, dataOff, length)
		case level == lvlAttachment && cur != nil && id == attAttachment:
			if length > tnefMaxPropsBytes {
				// Too large to read its names; the data is in attAttachData.
				continue
			}
			b, err := readAt(ra, dataOff, length)
			if err != nil {
				return nil, err
			}
			if err := cur.props(b, codepage, ra, dataOff); err != nil {
				return nil, err
			}
		}
	}
	var files []tnefFile
	for _, a := range atts {
		if a.data == nil && a.embedded != nil {
			// An attached Outlook item: list the files inside it.
			inner, err := parseTNEFDepth(a.embedded, a.embedded.Size(), maxFiles-len(files), depth+1)
			if err != nil {
				return nil, err
			}
			files = append(files, inner...)
			continue
		}
		f := tnefFile{MimeType: strings.ToLower(a.mimeTag), Data: a.data}
		for _, n := range []string{a.longName, a.title, a.fileName, a.displayName} {
			if strings.TrimSpace(n) != "" {
				f.Name = cleanName(n)
				break
			}
		}
		files = append(files, f)
		if len(files) > maxFiles {
			return nil, fmt.Errorf("%w: more than %d files", errTNEF, maxFiles)
		}
	}
	return files, nil
}

func allZero(ra io.ReaderAt, off, size int64) bool {
	b, err := readAt(ra, off, size-off)
	if err != nil {
		return false
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func readAt(ra io.ReaderAt, off, n int64) ([]byte, error) {
	b := make([]byte, n)
	if _, err := ra.ReadAt(b, off); err != nil && !(err == io.EOF && n == 0) {
		return nil, fmt.Errorf("%w: truncated", errTNEF)
	}
	return b, nil
}

// props reads the MAPI property list of attAttachment (MS-OXTNEF 2.1.3.5):
// a count, then per property its type, id, an optional named-property
// spec, and its value(s), each padded to 4 bytes. baseOff is the offset of b
// in ra (for PT_OBJECT data, kept as a section).
func (a *tnefAttach) props(b []byte, codepage uint32, ra io.ReaderAt, baseOff int64) error {
	p := &tnefBuf{b: b}
	count, ok := p.u32()
	if !ok {
		return fmt.Errorf("%w: truncated properties", errTNEF)
	}
	if int64(count) > int64(len(b))/4 {
		return fmt.Errorf("%w: bad property count", errTNEF)
	}
	for i := uint32(0); i < count; i++ {
		typ, ok1 := p.u16()
		id, ok2 := p.u16()
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: truncated properties", errTNEF)
		}
		if id >= 0x8000 { // named property: GUID, kind, id or name
			if !p.skip(16) {
				return fmt.Errorf("%w: truncated named property", errTNEF)
			}
			kind, ok := p.u32()
			if !ok {
				return fmt.Errorf("%w: truncated named property", errTNEF)
			}
			if kind == 0 {
				if !p.skip(4) {
					return fmt.Errorf("%w: truncated named property", errTNEF)
				}
			} else {
				l, ok := p.u32()
				if !ok || !p.skip(pad4(int64(l))) {
					return fmt.Errorf("%w: truncated named property", errTNEF)
				}
			}
		}
		multi := typ&0x1000 != 0
		ptype := typ &^ 0x1000
		variable := ptype == ptString8 || ptype == ptUnicode || ptype == ptBinary || ptype == ptObject
		nvals := uint32(1)
		if multi || variable {
			c, ok := p.u32()
			if !ok || int64(c) > int64(len(p.b)-p.off)/4+1 {
				return fmt.Errorf("%w: bad value count", errTNEF)
			}
			nvals = c
		}
		for v := uint32(0); v < nvals; v++ {
			if variable {
				l, ok := p.u32()
				if !ok || int64(l) > int64(len(p.b)-p.off) {
					return fmt.Errorf("%w: truncated property value", errTNEF)
				}
				valOff := p.off
				val := p.b[p.off : p.off+int(l)]
				if !p.skip(pad4(int64(l))) {
					// The last value may lack its padding.
					p.off = len(p.b)
				}
				if v != 0 || multi {
					continue
				}
				switch {
				case ptype == ptString8:
					a.setProp(id, decodeCodepage(trimNUL(val), codepage))
				case ptype == ptUnicode:
					a.setProp(id, decodeUTF16LE(val))
				case id == prAttachDataObj && ptype == ptBinary:
					a.data = io.NewSectionReader(ra, baseOff+int64(valOff), int64(l))
				case id == prAttachDataObj && ptype == ptObject && len(val) > 16:
					// IID (16 bytes), then the embedded message as TNEF.
					a.embedded = io.NewSectionReader(ra, baseOff+int64(valOff)+16, int64(l)-16)
				}
				continue
			}
			size := fixedSize(ptype)
			if size < 0 {
				return fmt.Errorf("%w: unknown property type %#x", errTNEF, ptype)
			}
			if id == prAttachMethod && ptype == 0x0003 && !multi {
				m, ok := p.u32()
				if !ok {
					return fmt.Errorf("%w: truncated property value", errTNEF)
				}
				a.method = m
				continue
			}
			if !p.skip(pad4(size)) {
				return fmt.Errorf("%w: truncated property value", errTNEF)
			}
		}
	}
	return nil
}

func (a *tnefAttach) setProp(id uint16, s string) {
	switch id {
	case prAttachLongFilename:
		a.longName = s
	case prAttachFilename:
		a.fileName = s
	case prDisplayName:
		a.displayName = s
	case prAttachMimeTag:
		a.mimeTag = s
	}
}

func fixedSize(t uint16) int64 {
	switch t {
	case 0x0001: // PtypNull
		return 0
	case 0x0002, 0x000B: // Integer16, Boolean (padded to 4)
		return 2
	case 0x0003, 0x0004, 0x000A: // Integer32, Floating32, ErrorCode
		return 4
	case 0x0005, 0x0006, 0x0007, 0x0014, 0x0040: // Floating64, Currency, FloatingTime, Integer64, Time
		return 8
	case 0x0048: // GUID
		return 16
	}
	return -1
}

func pad4(n int64) int64 { return (n + 3) &^ 3 }

type tnefBuf struct {
	b   []byte
	off int
}

func (p *tnefBuf) u16() (uint16, bool) {
	if p.off+2 > len(p.b) {
		return 0, false
	}
	v := binary.LittleEndian.Uint16(p.b[p.off:])
	p.off += 2
	return v, true
}

func (p *tnefBuf) u32() (uint32, bool) {
	if p.off+4 > len(p.b) {
		return 0, false
	}
	v := binary.LittleEndian.Uint32(p.b[p.off:])
	p.off += 4
	return v, true
}

func (p *tnefBuf) skip(n int64) bool {
	if n < 0 || int64(p.off)+n > int64(len(p.b)) {
		return false
	}
	p.off += int(n)
	return true
}

func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

func decodeUTF16LE(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// decodeCodepage decodes 8-bit text in a Windows code page.
func decodeCodepage(b []byte, cp uint32) string {
	var enc encoding.Encoding
	switch cp {
	case 932:
		enc = japanese.ShiftJIS
	case 20932, 51932:
		enc = japanese.EUCJP
	case 50220, 50221, 50222:
		enc = japanese.ISO2022JP
	case 65001:
		return strings.ToValidUTF8(string(b), "\uFFFD")
	case 1252:
		enc = charmap.Windows1252
	case 936:
		enc = simplifiedchinese.GBK
	case 949:
		enc = korean.EUCKR
	case 950:
		enc = traditionalchinese.Big5
	default:
		return decodeGuess(b)
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return decodeGuess(b)
	}
	return string(out)
}
