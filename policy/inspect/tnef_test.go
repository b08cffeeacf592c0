package inspect

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// TestTNEFOutlookFile reads a winmail.dat written by Outlook (from MimeKit's
// tests, see testdata/tnef/README.md).
func TestTNEFOutlookFile(t *testing.T) {
	data, err := os.ReadFile("testdata/tnef/two-files.tnef")
	if err != nil {
		t.Fatal(err)
	}
	files, err := parseTNEF(bytes.NewReader(data), int64(len(data)), 100)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		if f.Data == nil {
			t.Fatalf("%s: no data", f.Name)
		}
		b, err := io.ReadAll(f.Data)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 100 || bytes.IndexByte(b, 0) >= 0 {
			t.Errorf("%s: %d bytes, not the text file it is", f.Name, len(b))
		}
	}
	if strings.Join(names, ",") != "AUTHORS,README" {
		t.Errorf("files %q, want AUTHORS, README", names)
	}
}

// TestTNEFBroken: every truncation and some corruptions of a valid stream
// give an error or fewer files, never a panic or a read past the end.
func TestTNEFBroken(t *testing.T) {
	data, err := os.ReadFile("testdata/tnef/two-files.tnef")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(data); n++ {
		files, err := parseTNEF(bytes.NewReader(data[:n]), int64(n), 100)
		if err == nil && len(files) > 2 {
			t.Fatalf("prefix %d: %d files", n, len(files))
		}
	}
	for i := 6; i < len(data); i += 7 {
		c := bytes.Clone(data)
		c[i] ^= 0xFF
		files, err := parseTNEF(bytes.NewReader(c), int64(len(c)), 100)
		if err == nil {
			for _, f := range files {
				if f.Data != nil {
					io.Copy(io.Discard, f.Data)
				}
			}
		}
	}
	if _, err := parseTNEF(bytes.NewReader(data), int64(len(data)), 1); err == nil {
		t.Error("maxFiles 1: no error for two files")
	}
}

// FuzzTNEF: no input makes the TNEF reader panic, loop, or hand back a file
// whose data lies outside the input.
func FuzzTNEF(f *testing.F) {
	if data, err := os.ReadFile("testdata/tnef/two-files.tnef"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("\x78\x9f\x3e\x22\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := parseTNEF(bytes.NewReader(data), int64(len(data)), 50)
		if err != nil {
			return
		}
		if len(files) > 50 {
			t.Fatalf("%d files, limit 50", len(files))
		}
		for _, fl := range files {
			if fl.Data == nil {
				continue
			}
			if fl.Data.Size() > int64(len(data)) {
				t.Fatalf("file %q of %d bytes in an input of %d", fl.Name, fl.Data.Size(), len(data))
			}
			if _, err := io.Copy(io.Discard, fl.Data); err != nil {
				t.Fatalf("file %q unreadable: %v", fl.Name, err)
			}
		}
	})
}
