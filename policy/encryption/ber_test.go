package encryption

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestBER(t *testing.T) {
	deep := bytes.Repeat([]byte{0x30, 0x80}, 70)
	deep = append(deep, bytes.Repeat([]byte{0, 0}, 70)...)
	for _, c := range []struct {
		name   string
		in     []byte
		err    error
		octets string // the OCTET STRING under the root, when there is one
	}{
		{"definite", []byte{0x30, 0x05, 0x04, 0x03, 'a', 'b', 'c'}, nil, "abc"},
		{"indefinite with segments", []byte{0x30, 0x80, 0x24, 0x80, 0x04, 0x01, 'a', 0x04, 0x02, 'b', 'c', 0, 0, 0, 0}, nil, "abc"},
		{"long-form length", append([]byte{0x30, 0x81, 0x83, 0x04, 0x81, 0x80}, bytes.Repeat([]byte{'x'}, 128)...), nil, string(bytes.Repeat([]byte{'x'}, 128))},
		{"truncated", []byte{0x30, 0x05, 0x04, 0x03, 'a'}, ErrBER, ""},
		{"child over its parent", []byte{0x30, 0x03, 0x04, 0x05, 'a', 'b', 'c', 'd', 'e'}, ErrBER, ""},
		{"no end-of-contents", []byte{0x30, 0x80, 0x04, 0x01, 'a'}, ErrBER, ""},
		{"primitive indefinite", []byte{0x04, 0x80, 'a', 0, 0}, ErrBER, ""},
		{"length of 8 bytes", []byte{0x30, 0x88, 1, 0, 0, 0, 0, 0, 0, 0}, ErrBER, ""},
		{"huge length", []byte{0x30, 0x87, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, ErrBER, ""},
		{"too deep", deep, ErrBERLimits, ""},
		{"segment of the wrong tag", []byte{0x30, 0x80, 0x24, 0x80, 0x02, 0x01, 'a', 0, 0, 0, 0}, ErrBER, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := NewBER(bytes.NewReader(c.in), int64(len(c.in)))
			root, err := r.Elem(0, int64(len(c.in)), 0)
			if err == nil {
				var kids []BERElem
				if kids, err = r.Children(root, 0, 10); err == nil && len(kids) == 1 {
					var buf bytes.Buffer
					if err = r.Octets(kids[0], 1, 1<<20, &buf); err == nil && buf.String() != c.octets {
						t.Fatalf("octets %q, want %q", buf.String(), c.octets)
					}
				}
			}
			if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
		})
	}
	// Octets is bounded; Segments reads in place.
	in := []byte{0x24, 0x80, 0x04, 0x02, 'a', 'b', 0x04, 0x02, 'c', 'd', 0, 0}
	r := NewBER(bytes.NewReader(in), int64(len(in)))
	e, err := r.Elem(0, int64(len(in)), 0)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.Octets(e, 0, 3, &buf); !errors.Is(err, errLimit) {
		t.Fatalf("limit: %v", err)
	}
	var segs []io.Reader
	if err := r.Segments(e, 0, &segs); err != nil || len(segs) != 2 {
		t.Fatalf("segments %d %v", len(segs), err)
	}
	all, _ := io.ReadAll(io.MultiReader(segs...))
	if string(all) != "abcd" {
		t.Fatalf("segments read %q", all)
	}
}

// FuzzBER: any input is walked without a panic and within the limits.
func FuzzBER(f *testing.F) {
	f.Add([]byte{0x30, 0x80, 0x24, 0x80, 0x04, 0x01, 'a', 0, 0, 0, 0})
	f.Add([]byte{0x30, 0x05, 0x04, 0x03, 'a', 'b', 'c'})
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewBER(bytes.NewReader(in), int64(len(in)))
		var walk func(e BERElem, depth int)
		walk = func(e BERElem, depth int) {
			if e.Start < 0 || e.Stop < e.Start || e.End < e.Stop || e.End > int64(len(in)) {
				t.Fatalf("element out of bounds: %+v (input %d bytes)", e, len(in))
			}
			if !e.Constructed {
				if _, err := r.Bytes(e, 1<<20); err != nil && e.Stop-e.Start <= 1<<20 {
					t.Fatalf("bytes of a parsed element: %v", err)
				}
				return
			}
			kids, err := r.Children(e, depth, 1000)
			if err != nil {
				return
			}
			for _, k := range kids {
				walk(k, depth+1)
			}
			var buf bytes.Buffer
			r.Octets(e, depth, 1<<20, &buf)
		}
		if root, err := r.Elem(0, int64(len(in)), 0); err == nil {
			walk(root, 0)
		}
	})
}
