// Package spool holds a stream of bytes in memory up to a threshold and in a
// temporary file beyond it, so that a large message or attachment keeps the
// process's memory flat while still being readable many times (io.ReaderAt).
package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// DefaultThreshold is the size up to which a Buffer stays in memory.
const DefaultThreshold = 1 << 20

// ErrTooLarge is returned by Write when the Buffer's limit is reached.
var ErrTooLarge = errors.New("spool: size limit reached")

// Buffer is written once, then read any number of times. It is not safe for
// concurrent writes; reads through ReaderAt may run concurrently once writing
// is done. Close removes the temporary file, if any; it is safe to call more
// than once and from any path (defer it right after New).
type Buffer struct {
	dir       string
	threshold int64
	limit     int64

	mu     sync.Mutex
	mem    bytes.Buffer
	file   *os.File
	size   int64
	closed bool
}

// New returns a Buffer that keeps up to threshold bytes in memory and spills to
// a temporary file in dir ("" = os.TempDir()) beyond that. limit > 0 caps the
// total size: a Write past it fails with ErrTooLarge.
func New(dir string, threshold, limit int64) *Buffer {
	if threshold < 0 {
		threshold = DefaultThreshold
	}
	return &Buffer{dir: dir, threshold: threshold, limit: limit}
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errors.New("spool: write to closed buffer")
	}
	var tooLarge bool
	if b.limit > 0 && b.size+int64(len(p)) > b.limit {
		p = p[:b.limit-b.size]
		tooLarge = true
	}
	if b.file == nil && b.size+int64(len(p)) > b.threshold {
		f, err := os.CreateTemp(b.dir, "sendguard-spool-*")
		if err != nil {
			return 0, fmt.Errorf("spool: create temp file: %w", err)
		}
		if _, err := f.Write(b.mem.Bytes()); err != nil {
			f.Close()
			os.Remove(f.Name())
			return 0, fmt.Errorf("spool: write temp file: %w", err)
		}
		b.file = f
		b.mem = bytes.Buffer{}
	}
	var n int
	var err error
	if b.file != nil {
		n, err = b.file.Write(p)
		if err != nil {
			err = fmt.Errorf("spool: write temp file: %w", err)
		}
	} else {
		n, _ = b.mem.Write(p)
	}
	b.size += int64(n)
	if err == nil && tooLarge {
		err = ErrTooLarge
	}
	return n, err
}

// ReadFrom copies r into the buffer.
func (b *Buffer) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, 32*1024)
	var total int64
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			w, werr := b.Write(buf[:n])
			total += int64(w)
			if werr != nil {
				return total, werr
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// Size is the number of bytes written.
func (b *Buffer) Size() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.size
}

// OnDisk reports whether the buffer spilled to a temporary file.
func (b *Buffer) OnDisk() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.file != nil
}

// ReadAt implements io.ReaderAt over what was written.
func (b *Buffer) ReadAt(p []byte, off int64) (int, error) {
	b.mu.Lock()
	f, mem, size, closed := b.file, b.mem.Bytes(), b.size, b.closed
	b.mu.Unlock()
	if closed {
		return 0, errors.New("spool: read from closed buffer")
	}
	if off >= size {
		return 0, io.EOF
	}
	if f != nil {
		n, err := f.ReadAt(p, off)
		if err == nil && off+int64(n) >= size {
			err = io.EOF
		}
		return n, err
	}
	n := copy(p, mem[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Reader returns a new reader from the start of the buffer. Each call gives an
// independent reader.
func (b *Buffer) Reader() *io.SectionReader {
	return io.NewSectionReader(b, 0, b.Size())
}

// Bytes returns the content when it is held in memory, or nil when it spilled
// to disk.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.file != nil {
		return nil
	}
	return b.mem.Bytes()
}

// Close releases the memory and removes the temporary file.
func (b *Buffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	b.mem = bytes.Buffer{}
	if b.file == nil {
		return nil
	}
	name := b.file.Name()
	cerr := b.file.Close()
	rerr := os.Remove(name)
	b.file = nil
	if rerr != nil {
		return fmt.Errorf("spool: remove temp file: %w", rerr)
	}
	return cerr
}
