// Package mailheader reads the header section of an Internet message
// (rfc/5322 section 2.2): the section itself, bounded and with CRLF line
// ends; its fields, unfolded; and the message without one field, as a
// stream over the original bytes. It is the one place in sendguard that
// knows where a header section ends and how a field is folded; smtpfilter,
// notify, mailarchive and the commands ask it rather than scan lines
// themselves.
//
// Everything here is lenient, as a relay must be: a line that is not a
// field is kept in a section and skipped by Parse, a bare LF ends a line
// like CRLF, and nothing panics on arbitrary bytes.
package mailheader

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Section returns the header section at the start of raw — up to the first
// empty line, so a whole message may be passed and its body is never
// included — with CRLF line ends, cut at a field boundary to at most max
// bytes: a field that would not fit is left out with every field after it.
// A bare CR inside a line becomes a space.
func Section(raw []byte, max int) []byte {
	b := sectionBuilder{max: max}
	rest := raw
	for len(rest) > 0 {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, nil
		}
		if !b.add(line) {
			break
		}
	}
	return b.done()
}

// ReadSection reads the header section of the message in r as Section does,
// reading only as far as the section goes and never more than max+1 bytes
// (a field whose raw bytes end beyond max cannot fit once its line ends are
// CRLF, and the byte after max tells whether the field before it goes on).
// The error is a read error other than the end of r.
func ReadSection(r io.ReaderAt, max int) ([]byte, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, int64(max)+1), 4096)
	b := sectionBuilder{max: max}
	var long []byte // a line longer than the bufio buffer
	for {
		piece, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, piece...)
			continue
		}
		line := piece
		if long != nil {
			line = append(long, piece...)
			long = long[:0]
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if len(line) > 0 || err == nil {
			if !b.add(line) {
				return b.done(), nil
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return b.done(), nil
		default:
			return b.done(), fmt.Errorf("read the header section: %w", err)
		}
	}
}

// sectionBuilder collects the lines of a header section into whole fields
// and keeps the fields that fit within max bytes.
type sectionBuilder struct {
	max   int
	out   bytes.Buffer
	field bytes.Buffer // the field being read, CRLF line ends
	full  bool         // a field did not fit: the section ends before it
}

// add takes one line without its LF and reports whether the section goes
// on: false at the empty line that ends it or once a field did not fit.
func (b *sectionBuilder) add(line []byte) bool {
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 {
		return false // the end of the header section
	}
	if line[0] != ' ' && line[0] != '\t' {
		b.flush()
		if b.full {
			return false
		}
	}
	for len(line) > 0 {
		i := bytes.IndexByte(line, '\r')
		if i < 0 {
			b.field.Write(line)
			break
		}
		b.field.Write(line[:i])
		b.field.WriteByte(' ')
		line = line[i+1:]
	}
	b.field.WriteString("\r\n")
	if b.out.Len()+b.field.Len() > b.max {
		// The field no longer fits, however it goes on.
		b.full = true
		b.field.Reset()
		return false
	}
	return true
}

// flush keeps the field read so far if it fits.
func (b *sectionBuilder) flush() {
	if !b.full && b.field.Len() > 0 {
		if b.out.Len()+b.field.Len() > b.max {
			b.full = true
		} else {
			b.out.Write(b.field.Bytes())
		}
	}
	b.field.Reset()
}

// done returns the section.
func (b *sectionBuilder) done() []byte {
	b.flush()
	return b.out.Bytes()
}
