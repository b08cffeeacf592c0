package spool

import (
	"bytes"
	"errors"
	"io"
	"os"
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
