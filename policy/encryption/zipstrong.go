package encryption

import (
	"fmt"
	"io"
)

// encryptedDirectory recognises an archive whose central directory is
// encrypted (PKWARE strong encryption, APPNOTE 7.3, flag bit 13): archive/zip
// cannot read it, local headers are masked, and the zip64 end record (which
// stays readable) says version 6.2 is needed. The local headers are walked
// instead: every one must be encrypted and masked. Such an archive counts
// as Protected, with a note, because nothing in it can be read without the
// key.
func (s *scanner) encryptedDirectory(r io.ReaderAt, size int64, end *zipEnd) (Result, bool) {
	if end == nil || end.end64Off < 0 || end.end64Need&0xff < 62 {
		return Result{}, false
	}
	res := Result{Format: FormatZIP, Method: encInfo{kind: encStrong}.String()}
	var off int64
	for len(res.Entries) <= s.lim.MaxEntries {
		if b, err := readAt(r, size, off, 4); err != nil || string(b) != "PK\x03\x04" {
			break
		}
		h, err := readLocal(r, size, off)
		const want = flagEncrypted | flagMaskedHdrs
		if err != nil || h.flags&want != want || h.flags&flagDataDesc != 0 {
			return Result{}, false
		}
		next := h.dataOff + int64(h.csize)
		if next <= off || next > end.cdStart {
			return Result{}, false
		}
		res.Entries = append(res.Entries, Entry{
			Name: h.name, Encrypted: true, Method: res.Method,
			Compression: compressionName(h.method), CompressedSize: h.csize,
		})
		off = next
	}
	if len(res.Entries) == 0 || len(res.Entries) > s.lim.MaxEntries {
		return Result{}, false
	}
	res.Protected = true
	res.Notes = []string{fmt.Sprintf("central directory is encrypted (PKWARE strong encryption): "+
		"entry names are masked; %d local headers walked instead", len(res.Entries))}
	return res, true
}
