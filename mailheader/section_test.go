package mailheader

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// sectionReference is notify's former headerSection, which read the whole
// slice: Section and ReadSection must match it byte for byte.
func sectionReference(raw []byte, max int) []byte {
	var out, field bytes.Buffer
	full := false
	flush := func() {
		if full || field.Len() == 0 {
			field.Reset()
			return
		}
		if out.Len()+field.Len() > max {
			full = true
		} else {
			out.Write(field.Bytes())
		}
		field.Reset()
	}
	rest := raw
	for len(rest) > 0 && !full {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
		}
		field.Write(bytes.ReplaceAll(line, []byte("\r"), []byte(" ")))
		field.WriteString("\r\n")
	}
	flush()
	return out.Bytes()
}

func TestSection(t *testing.T) {
	for _, c := range []struct {
		name, raw string
		max       int
		want      string
	}{
		{"stops at the empty line", "Subject: a\r\nFrom: b\r\n\r\nbody: not a field\r\n", 1000, "Subject: a\r\nFrom: b\r\n"},
		{"bare LF becomes CRLF", "Subject: a\nX: b\n\nbody\n", 1000, "Subject: a\r\nX: b\r\n"},
		{"bare CR in a line becomes a space", "Subject: a\rBcc: x\r\n\r\n", 1000, "Subject: a Bcc: x\r\n"},
		{"continuation lines stay with their field", "Subject: a\r\n b\r\n\tc\r\nX: y\r\n\r\n", 1000, "Subject: a\r\n b\r\n\tc\r\nX: y\r\n"},
		{"cut at a field boundary", "A: 1\r\nB: 2\r\n 2\r\nC: 3\r\n\r\n", 12, "A: 1\r\n"},
		{"a field that does not fit ends the section", "A: 1\r\nB: 22222222\r\nC: 3\r\n\r\n", 14, "A: 1\r\n"},
		{"exactly max", "A: 1\r\nB: 2\r\n", 12, "A: 1\r\nB: 2\r\n"},
		{"no end of line at the end", "A: 1\r\nB: 2", 1000, "A: 1\r\nB: 2\r\n"},
		{"empty", "", 1000, ""},
		{"starts with the empty line", "\r\nA: 1\r\n", 1000, ""},
		{"a line that is not a field is kept", "A: 1\r\nnot a field\r\n\r\n", 1000, "A: 1\r\nnot a field\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Section([]byte(c.raw), c.max); string(got) != c.want {
				t.Errorf("Section %q, want %q", got, c.want)
			}
			got, err := ReadSection(strings.NewReader(c.raw), c.max)
			if err != nil || string(got) != c.want {
				t.Errorf("ReadSection %q (%v), want %q", got, err, c.want)
			}
		})
	}
}

// TestSectionMatchesReference: on generated headers with every kind of
// line end, long lines and cuts, Section and ReadSection give what the
// former implementation gave.
func TestSectionMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"Subject: s", "From: f", "x-a:b", " continued", "\tcontinued", "", " ", "no colon", "\r",
		strings.Repeat("w", 300), strings.Repeat("v", 5000), "日本語: 値", "\xff\xfe"}
	ends := []string{"\r\n", "\n", "\r", "", "\r\r\n"}
	for i := 0; i < 5000; i++ {
		var b strings.Builder
		for j := rng.IntN(14); j >= 0; j-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			b.WriteString(ends[rng.IntN(len(ends))])
		}
		raw := b.String()
		max := rng.IntN(len(raw) + 40)
		want := sectionReference([]byte(raw), max)
		if got := Section([]byte(raw), max); !bytes.Equal(got, want) {
			t.Fatalf("Section(%.120q, %d):\ngot  %.200q\nwant %.200q", raw, max, got, want)
		}
		if got, err := ReadSection(strings.NewReader(raw), max); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("ReadSection(%.120q, %d) (%v):\ngot  %.200q\nwant %.200q", raw, max, err, got, want)
		}
	}
}

// countingReader counts the bytes read through ReadAt.
type countingReader struct {
	r    *strings.Reader
	read int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.read += int64(n)
	return n, err
}

// TestReadSectionBounded: ReadSection reads no more than max+1 bytes of a
// header that goes on and on, and little more than the section of a
// message with a large body.
func TestReadSectionBounded(t *testing.T) {
	endless := &countingReader{r: strings.NewReader(strings.Repeat("X-Pad: "+strings.Repeat("p", 100)+"\r\n", 100000))}
	got, err := ReadSection(endless, 64<<10)
	if err != nil || len(got) == 0 || len(got) > 64<<10 || !bytes.HasSuffix(got, []byte("\r\n")) {
		t.Fatalf("%d bytes (%v)", len(got), err)
	}
	if endless.read > 64<<10+1 {
		t.Errorf("read %d bytes for a %d-byte bound", endless.read, 64<<10)
	}
	msg := &countingReader{r: strings.NewReader("Subject: a\r\n\r\n" + strings.Repeat("body\r\n", 1<<20))}
	if got, _ := ReadSection(msg, 64<<10); string(got) != "Subject: a\r\n" {
		t.Errorf("section %q", got)
	}
	if msg.read > 8192 {
		t.Errorf("read %d bytes of the body", msg.read)
	}
}

// failingReader fails after its data.
type failingReader struct{ data string }

var errDisk = errors.New("disk gone")

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(f.data)) {
		return 0, errDisk
	}
	n := copy(p, f.data[off:])
	if n < len(p) {
		return n, errDisk
	}
	return n, nil
}

// TestReadSectionError: a read error is returned, wrapped, with the fields
// read before it.
func TestReadSectionError(t *testing.T) {
	got, err := ReadSection(failingReader{"Subject: a\r\nFrom: b\r\n"}, 1000)
	if !errors.Is(err, errDisk) {
		t.Fatalf("error %v, want %v", err, errDisk)
	}
	if string(got) != "Subject: a\r\nFrom: b\r\n" {
		t.Errorf("section %q", got)
	}
}

// FuzzSection: for any bytes, Section and ReadSection agree, stay within
// max, hold only CRLF line ends and whole fields, and a section is its
// own section.
func FuzzSection(f *testing.F) {
	f.Add([]byte("Subject: a\r\n b\r\n\r\nbody"), 100)
	f.Add([]byte("A: 1\rB\n\n"), 5)
	f.Add([]byte("\xff: \x00\r\r\n\tx"), 7)
	f.Fuzz(func(t *testing.T, raw []byte, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		got := Section(raw, max)
		read, err := ReadSection(bytes.NewReader(raw), max)
		if err != nil || !bytes.Equal(read, got) {
			t.Fatalf("ReadSection %q (%v), Section %q", read, err, got)
		}
		if len(got) > max {
			t.Fatalf("%d bytes for max %d", len(got), max)
		}
		if bytes.Contains(bytes.ReplaceAll(got, []byte("\r\n"), nil), []byte("\r")) ||
			bytes.Contains(bytes.ReplaceAll(got, []byte("\r\n"), nil), []byte("\n")) {
			t.Fatalf("bare CR or LF in %q", got)
		}
		if len(got) > 0 && (!bytes.HasSuffix(got, []byte("\r\n")) || bytes.Contains(got, []byte("\r\n\r\n"))) {
			t.Fatalf("not a header section: %q", got)
		}
		if again := Section(got, max); !bytes.Equal(again, got) {
			t.Fatalf("Section of a section: %q, was %q", again, got)
		}
	})
}
