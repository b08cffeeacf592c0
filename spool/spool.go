// Package spool holds a stream of bytes in memory up to a threshold and in a
// temporary file beyond it, so that a large message or attachment keeps the
// process's memory flat while still being readable many times (io.ReaderAt).
package spool

import (
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

// chunkSize is the size of the pieces of memory a Buffer holds its content
// in. They come from a pool and go back to it on Close (and when the content
// moves to disk), so that a server handling one message after the other
// reuses the same memory instead of allocating (and collecting) a message's
// worth per message. Only the last piece below the threshold, when less than
// chunkSize remains under it, is allocated for the Buffer alone.
const chunkSize = 64 << 10

var chunkPool = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// Buffer is written once, then read any number of times. It is not safe for
// concurrent writes; reads through ReaderAt may run concurrently once writing
// is done. Close removes the temporary file, if any; it is safe to call more
// than once and from any path (defer it right after New).
//
// In memory, the content is a list of chunks (of chunkSize, pooled), so that
// a growing buffer is never copied.
type Buffer struct {
	dir       string
	threshold int64
	limit     int64

	mu     sync.Mutex
	chunks [][]byte // in memory: filled in order; a chunk never changes size
	memCap int64    // total length of chunks
	wi     int      // chunks[wi][woff] is where the next byte goes
	woff   int
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
		if err := b.writeMem(f); err != nil {
			f.Close()
			os.Remove(f.Name())
			return 0, fmt.Errorf("spool: write temp file: %w", err)
		}
		b.file = f
		b.releaseChunks()
	}
	var n int
	var err error
	if b.file != nil {
		n, err = b.file.Write(p)
		if err != nil {
			err = fmt.Errorf("spool: write temp file: %w", err)
		}
	} else {
		n = b.appendMem(p)
	}
	b.size += int64(n)
	if err == nil && tooLarge {
		err = ErrTooLarge
	}
	return n, err
}

// appendMem copies p into the chunks, adding chunks as needed. The caller
// has checked that size+len(p) stays within the threshold.
func (b *Buffer) appendMem(p []byte) int {
	n := 0
	for n < len(p) {
		if b.wi == len(b.chunks) {
			b.addChunk()
		}
		chunk := b.chunks[b.wi]
		m := copy(chunk[b.woff:], p[n:])
		n += m
		b.woff += m
		if b.woff == len(chunk) {
			b.wi++
			b.woff = 0
		}
	}
	return n
}

// addChunk adds a chunk to the list: a pooled one, or a smaller one of its
// own when less than chunkSize remains below the threshold.
func (b *Buffer) addChunk() {
	if room := b.threshold - b.memCap; room < chunkSize {
		b.chunks = append(b.chunks, make([]byte, max(room, 1)))
		b.memCap += max(room, 1)
		return
	}
	b.chunks = append(b.chunks, chunkPool.Get().(*[chunkSize]byte)[:])
	b.memCap += chunkSize
}

// releaseChunks gives the pooled chunks back and forgets the content held in
// memory.
func (b *Buffer) releaseChunks() {
	for _, c := range b.chunks {
		if cap(c) == chunkSize && len(c) == chunkSize {
			chunkPool.Put((*[chunkSize]byte)(c))
		}
	}
	b.chunks, b.memCap, b.wi, b.woff = nil, 0, 0, 0
}

// writeMem writes the content held in memory to w.
func (b *Buffer) writeMem(w io.Writer) error {
	left := b.size
	for _, c := range b.chunks {
		if left == 0 {
			break
		}
		k := min(int64(len(c)), left)
		if _, err := w.Write(c[:k]); err != nil {
			return err
		}
		left -= k
	}
	return nil
}

// Grow makes room in memory for n more bytes (a message of a known size, say
// from MAIL … SIZE=), taking the chunks at once. It is only a hint: it does
// nothing when the buffer is on disk or closed, or when n more bytes would
// not stay in memory anyway (beyond the threshold); the room is capped at the
// limit. What is written afterwards is kept the same way with or without it.
func (b *Buffer) Grow(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n <= 0 || b.closed || b.file != nil || b.size+n > b.threshold {
		return
	}
	if b.limit > 0 && b.size+n > b.limit {
		n = b.limit - b.size
	}
	for b.memCap-b.size < n {
		b.addChunk()
	}
}

// copyBufs holds the 32 KB buffers of ReadFrom and Copy.
var copyBufs = sync.Pool{New: func() any { return new([32 * 1024]byte) }}

// Copy copies src to dst through a pooled buffer, always by src.Read and
// dst.Write: the WriteTo of an io.MultiReader of spool sections, say, would
// allocate a buffer of its own for every message.
func Copy(dst io.Writer, src io.Reader) (int64, error) {
	p := copyBufs.Get().(*[32 * 1024]byte)
	defer copyBufs.Put(p)
	return io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, p[:])
}

// ReadFrom copies r into the buffer.
func (b *Buffer) ReadFrom(r io.Reader) (int64, error) {
	p := copyBufs.Get().(*[32 * 1024]byte)
	defer copyBufs.Put(p)
	buf := p[:]
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
	// Chunks never change once made and later writes go past size, so
	// this view stays valid without the lock.
	f, chunks, size, closed := b.file, b.chunks, b.size, b.closed
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
	want := p
	if int64(len(want)) > size-off {
		want = want[:size-off]
	}
	n := 0
	var pos int64 // offset of the chunk c
	for _, c := range chunks {
		if n == len(want) {
			break
		}
		end := pos + int64(len(c))
		if at := off + int64(n); at < end {
			n += copy(want[n:], c[at-pos:])
		}
		pos = end
	}
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
// to disk. Content held in more than one chunk is copied into one slice. The
// slice may share the Buffer's memory: it is valid until Close.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.file != nil || b.size == 0 {
		return nil
	}
	if first := b.chunks[0]; int64(len(first)) >= b.size {
		return first[:b.size:b.size]
	}
	out := make([]byte, 0, b.size)
	for _, c := range b.chunks {
		out = append(out, c[:min(int64(len(c)), b.size-int64(len(out)))]...)
	}
	return out
}

// Close releases the memory and removes the temporary file. It must not run
// while a ReadAt is in progress: the chunks go back to the pool.
func (b *Buffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	b.releaseChunks()
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
