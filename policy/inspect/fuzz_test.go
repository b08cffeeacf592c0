package inspect

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzWalk: no input makes Walk panic (a recovered panic shows as the
// "internal error" Problem, which fails here too), return an error (the
// source never fails), or leave a temporary file after Close.
func FuzzWalk(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(messagesDir, "*.eml"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	if tn, err := os.ReadFile("testdata/tnef/two-files.tnef"); err == nil {
		f.Add(append([]byte("Content-Type: application/ms-tnef\r\n\r\n"), tn...))
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--b--"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{SpoolDir: dir, MemThreshold: 64, MaxDepth: 8, MaxParts: 50, MaxPartBytes: 1 << 16, MaxTextBytes: 1 << 14, MaxHeaderBytes: 4096}
		start := time.Now()
		m, err := Walk(bytes.NewReader(data), lim)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Walk took %v", d)
		}
		if err != nil {
			t.Fatalf("Walk error: %v", err)
		}
		for _, p := range m.Problems {
			if p.Reason == "internal error while walking the message" {
				t.Fatalf("Walk panicked")
			}
		}
		for _, a := range append(m.Attachments, m.InlineImages...) {
			b, err := io.ReadAll(a.Content.Reader())
			if err != nil || int64(len(b)) != a.Size {
				t.Fatalf("attachment %s: %d bytes, Size %d, %v", a.Path, len(b), a.Size, err)
			}
		}
		if err := m.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("%d temp files left after Close", len(entries))
		}
	})
}
