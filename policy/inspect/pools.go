package inspect

import (
	"bufio"
	"io"
	"sync"
)

// The buffers the walk needs for every message and part come from pools: a
// server inspects one message after the other, and allocating (then
// collecting) them anew cost about a tenth of the CPU per message.

// readerSize is the size of the walk's line readers.
const readerSize = 16 << 10

var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readerSize) }}

// newLineReader returns a pooled bufio.Reader on r; give it back with
// releaseLineReader once nothing reads from it any more.
func newLineReader(r io.Reader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func releaseLineReader(br *bufio.Reader) {
	br.Reset(nil)
	readers.Put(br)
}

// chunkSize is the size of the buffers attachments are copied through and
// base64 is decoded from.
const chunkSize = 32 << 10

var chunks = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// textBufs hold a plain-text body while it is read (bodyText); buffers that
// grew past maxPooledText are left to the collector.
var textBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

const maxPooledText = 1 << 20
