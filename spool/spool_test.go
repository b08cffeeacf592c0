package spool

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestSpillsToDiskAndReadsBack(t *testing.T) {
	dir := t.TempDir()
	b := New(dir, 16, 0)
	data := strings.Repeat("0123456789", 10)
	if _, err := b.ReadFrom(strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if !b.OnDisk() || b.Bytes() != nil {
		t.Fatal("100 bytes over a 16-byte threshold stayed in memory")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d temp files, want 1", len(entries))
	}
	for i := 0; i < 2; i++ { // readable more than once
		got, err := io.ReadAll(b.Reader())
		if err != nil || string(got) != data {
			t.Fatalf("read %d: %q, %v", i, got, err)
		}
	}
	p := make([]byte, 5)
	if n, err := b.ReadAt(p, 95); n != 5 || string(p) != "56789" || (err != nil && err != io.EOF) {
		t.Errorf("ReadAt end: %d %q %v", n, p, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("temp file left after Close")
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestStaysInMemoryUnderThreshold(t *testing.T) {
	dir := t.TempDir()
	b := New(dir, 1024, 0)
	defer b.Close()
	b.Write([]byte("short"))
	if b.OnDisk() || !bytes.Equal(b.Bytes(), []byte("short")) {
		t.Error("small content spilled")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Error("temp file for small content")
	}
}

func TestLimit(t *testing.T) {
	b := New(t.TempDir(), 4, 10)
	defer b.Close()
	n, err := b.ReadFrom(strings.NewReader(strings.Repeat("x", 25)))
	if !errors.Is(err, ErrTooLarge) || n != 10 || b.Size() != 10 {
		t.Errorf("ReadFrom over the limit: n=%d err=%v size=%d", n, err, b.Size())
	}
}

func TestGrow(t *testing.T) {
	data := strings.Repeat("0123456789", 1000) // 10,000 bytes
	for _, tc := range []struct {
		name            string
		threshold, grow int64
		limit           int64
		onDisk          bool
	}{
		{"exact size", 16384, 10000, 0, false},
		{"hint too small", 16384, 100, 0, false},
		{"hint too large for memory", 16384, 20000, 0, false},
		{"content beyond threshold", 4096, 4000, 0, true},
		{"hint beyond limit", 16384, 12000, 11000, false},
		{"no hint", 16384, 0, 0, false},
		{"negative hint", 16384, -5, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := New(t.TempDir(), tc.threshold, tc.limit)
			defer b.Close()
			b.Grow(tc.grow)
			if n, err := b.ReadFrom(strings.NewReader(data)); err != nil || n != int64(len(data)) {
				t.Fatalf("ReadFrom: %d, %v", n, err)
			}
			if b.OnDisk() != tc.onDisk {
				t.Errorf("OnDisk %v, want %v", b.OnDisk(), tc.onDisk)
			}
			got, err := io.ReadAll(b.Reader())
			if err != nil || string(got) != data {
				t.Errorf("read back %d bytes, %v", len(got), err)
			}
		})
	}
	// The memory comes from the pool: once it is warm, buffering 200,000
	// bytes allocates a few hundred bytes (the Buffer and its chunk list),
	// with or without a hint, not the content's size.
	chunk := make([]byte, 32*1024)
	fill := func(hint int64) {
		b := New("", 1<<20, 0)
		b.Grow(hint)
		for written := 0; written < 200000; written += len(chunk) {
			b.Write(chunk[:min(len(chunk), 200000-written)])
		}
		if b.Size() != 200000 {
			t.Fatalf("size %d", b.Size())
		}
		b.Close()
	}
	for _, hint := range []int64{200000, 0} {
		fill(hint) // warm the pool
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const runs = 20
		for i := 0; i < runs; i++ {
			fill(hint)
		}
		runtime.ReadMemStats(&after)
		// A GC may empty the pool now and then: allow one refill. The race
		// detector's pool drops chunks: then less than the content's size.
		limit := uint64(4*chunkSize/runs + 2048)
		if raceEnabled {
			limit = 200000 / 2
		}
		if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > limit {
			t.Errorf("hint %d: %d bytes allocated per 200,000-byte buffer", hint, per)
		}
	}
	b := New("", 1<<20, 0)
	// Grow on a closed or spilled buffer is harmless.
	b.Close()
	b.Grow(10)
	d := New(t.TempDir(), 4, 0)
	d.Write([]byte("spilled"))
	d.Grow(1)
	if err := d.Close(); err != nil {
		t.Error(err)
	}
}

// TestMatchesModel writes random pieces (with Grow hints in between) and
// checks every read against a plain byte slice: content, ReadAt at any
// offset and length, Bytes, spilling exactly when the threshold is passed,
// and the limit.
func TestMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		threshold := []int64{0, 1, 16, 600, 4096, 100000}[i%6]
		limit := []int64{0, 0, 50, 3000, 70000}[i%5]
		b := New(t.TempDir(), threshold, limit)
		var model []byte
		spilled := false
		for range rng.IntN(40) {
			if rng.IntN(4) == 0 {
				b.Grow(int64(rng.IntN(5000)) - 100)
			}
			p := make([]byte, []int{0, 1, 7, 100, 511, 512, 513, 4096, 32 * 1024}[rng.IntN(9)])
			for j := range p {
				p[j] = byte(rng.Uint32())
			}
			want := p
			wantErr := error(nil)
			if limit > 0 && int64(len(model)+len(p)) > limit {
				want, wantErr = p[:limit-int64(len(model))], ErrTooLarge
			}
			if int64(len(model)+len(want)) > threshold {
				spilled = true
			}
			n, err := b.Write(p)
			if n != len(want) || err != wantErr {
				t.Fatalf("case %d: Write(%d bytes) = %d, %v; want %d, %v", i, len(p), n, err, len(want), wantErr)
			}
			model = append(model, want...)
			if b.OnDisk() != spilled || b.Size() != int64(len(model)) {
				t.Fatalf("case %d: OnDisk %v size %d, want %v %d", i, b.OnDisk(), b.Size(), spilled, len(model))
			}
			for range 5 {
				off := int64(rng.IntN(len(model) + 2))
				p := make([]byte, rng.IntN(len(model)+10))
				n, err := b.ReadAt(p, off)
				var wantN int
				if off < int64(len(model)) {
					wantN = min(len(p), len(model)-int(off))
				}
				if n != wantN || !bytes.Equal(p[:n], model[min(off, int64(len(model))):][:n]) {
					t.Fatalf("case %d: ReadAt(%d bytes at %d) = %d, %v; want %d of %d", i, len(p), off, n, err, wantN, len(model))
				}
				// io.EOF for a short read; on disk (as os.File) also for
				// a full one that reaches the end.
				okErr := err == nil
				if n < len(p) || off >= int64(len(model)) {
					okErr = err == io.EOF
				} else if spilled && off+int64(n) == int64(len(model)) {
					okErr = err == nil || err == io.EOF
				}
				if !okErr {
					t.Fatalf("case %d: ReadAt(%d bytes at %d) = %d, %v (size %d, on disk %v)", i, len(p), off, n, err, len(model), spilled)
				}
			}
		}
		if got := b.Bytes(); spilled && got != nil || !spilled && !bytes.Equal(got, model) {
			t.Fatalf("case %d: Bytes %d bytes (spilled %v), want %d", i, len(got), spilled, len(model))
		}
		got, err := io.ReadAll(b.Reader())
		if err != nil || !bytes.Equal(got, model) {
			t.Fatalf("case %d: read back %d bytes, %v; want %d", i, len(got), err, len(model))
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Copy copies everything, through a pooled buffer: nothing of the content's
// size is allocated once the pool is warm.
func TestCopy(t *testing.T) {
	data := strings.Repeat("0123456789abcdef", 20000) // 320,000 bytes
	src := func() io.Reader {
		return io.MultiReader(strings.NewReader(data[:1000]), io.NewSectionReader(strings.NewReader(data), 1000, int64(len(data)-1000)))
	}
	var out strings.Builder
	if n, err := Copy(&out, src()); err != nil || n != int64(len(data)) || out.String() != data {
		t.Fatalf("Copy: %d, %v; equal %v", n, err, out.String() == data)
	}
	if raceEnabled {
		return // the race detector's pool drops buffers
	}
	Copy(io.Discard, src()) // warm the pool
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 20
	for i := 0; i < runs; i++ {
		Copy(io.Discard, src())
	}
	runtime.ReadMemStats(&after)
	// A GC may empty the pool once: allow one 32 KB refill.
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 32<<10/runs+1024 {
		t.Errorf("%d bytes allocated per Copy", per)
	}
}
