package mailheader

import (
	"bufio"
	"bytes"
	"io"
)

// Without returns a reader over the message in r (size bytes) with every
// header field named name (any case, and its continuation lines) left out;
// everything else is byte for byte as it was. It looks for the fields in
// the first scan bytes only: a header section longer than that is passed on
// as it is beyond them, and so is a field cut off by the end of the scan.
//
// It copies nothing: the reader is made of sections of r, read when the
// returned reader is read, and finding the fields reads each header line
// once through a 4 KB buffer, keeping no more than a line's first 256
// bytes. This runs for every relayed message.
func Without(r io.ReaderAt, size, scan int64, name string) io.Reader {
	scan = min(size, scan)
	lines := headerLines{br: bufio.NewReaderSize(io.NewSectionReader(r, 0, scan), 4096)}
	prefix := []byte(name)
	var parts []io.Reader
	var keepFrom, pos, fieldStart int64
	cutting := false // the field that began at fieldStart is left out
	for first := true; ; first = false {
		head, n, complete := lines.next()
		if n == 0 {
			break
		}
		if !first && (head[0] == ' ' || head[0] == '\t') {
			pos += n // the field goes on
			continue
		}
		if !complete {
			break // a field cut off by the end of the scan is kept
		}
		if cutting {
			parts = append(parts, io.NewSectionReader(r, keepFrom, fieldStart-keepFrom))
			keepFrom = pos
		}
		if len(bytes.TrimRight(head, "\r\n")) == 0 {
			cutting = false
			break // end of the header section
		}
		fieldStart, cutting = pos, isField(head, prefix)
		pos += n
	}
	if cutting {
		parts = append(parts, io.NewSectionReader(r, keepFrom, fieldStart-keepFrom))
		keepFrom = pos
	}
	parts = append(parts, io.NewSectionReader(r, keepFrom, size-keepFrom))
	return io.MultiReader(parts...)
}

// headerLines reads lines of any length, keeping only their beginning.
type headerLines struct {
	br   *bufio.Reader
	head [256]byte
}

// next returns the beginning of the next line (up to 256 bytes, the LF
// included when it is that short), the line's whole length, and whether it
// ends in LF. n is 0 at the end.
func (l *headerLines) next() (head []byte, n int64, complete bool) {
	for {
		piece, err := l.br.ReadSlice('\n')
		if n == 0 {
			head = l.head[:copy(l.head[:], piece)]
		}
		n += int64(len(piece))
		switch err {
		case nil:
			return head, n, true
		case bufio.ErrBufferFull:
			continue
		default:
			return head, n, false
		}
	}
}
