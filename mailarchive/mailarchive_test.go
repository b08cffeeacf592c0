package mailarchive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type got struct {
	id, messageID, body string
	format              Format
	size, raw           int64
	err                 error
}

// readAll walks the paths and returns each message's identifier, Message-ID
// and content.
func readAll(t *testing.T, opts Options, paths ...string) []got {
	t.Helper()
	a, err := Open(paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []got
	err = a.Walk(context.Background(), func(m *Message) error {
		defer m.Close()
		g := got{id: m.ID, messageID: m.MessageID, format: m.Format, size: m.Size, raw: m.RawBytes, err: m.Err}
		if m.Data != nil {
			b, err := io.ReadAll(m.Data.Reader())
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(b)) != m.Size {
				t.Errorf("%s: Size %d, read %d bytes", m.ID, m.Size, len(b))
			}
			g.body = string(b)
		}
		out = append(out, g)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func msg(id, body string) string {
	return "From: a@example.co.jp\nTo: b@partner.example.com\nMessage-ID: <" + id + ">\nSubject: t\n\n" + body
}

func TestMboxSplitAndUnescape(t *testing.T) {
	m1 := msg("one@x", "first\n\nFrom the minutes of the meeting:\nFrom Tokyo 10:30 2026\n>From quoted\n")
	m2 := msg("two@x", "second\n")
	m3 := msg("three@x", "third, no blank line at the end")
	mbox := "From alice@example.co.jp Mon Nov  2 10:00:00 2026\n" +
		// m1 as an mboxrd writer escapes it; the unescaped body line
		// "From the minutes" after a blank line has no date: not a separator.
		strings.Replace(strings.Replace(m1, "\n>From quoted", "\n>>From quoted", 1), "\nFrom Tokyo", "\n>From Tokyo", 1) +
		"\n" +
		"From bob@example.co.jp Tue Nov  3 11:00:00 +0900 2026\n" + m2 + "\n" +
		"From - Wed Nov 04 12:00:00 2026\n" + m3
	dir := t.TempDir()
	p := filepath.Join(dir, "sent.mbox")
	write(t, p, mbox)

	out := readAll(t, Options{}, p)
	if len(out) != 3 {
		t.Fatalf("%d messages, want 3: %+v", len(out), out)
	}
	wantBodies := []string{m1, m2, m3}
	wantIDs := []string{"<one@x>", "<two@x>", "<three@x>"}
	off2 := int64(strings.Index(mbox, "From bob@"))
	off3 := int64(strings.Index(mbox, "From - Wed"))
	wantOffsets := []string{p + "#0", fmt.Sprintf("%s#%d", p, off2), fmt.Sprintf("%s#%d", p, off3)}
	var raw int64
	for i, g := range out {
		if g.body != wantBodies[i] {
			t.Errorf("message %d body:\n%q\nwant\n%q", i, g.body, wantBodies[i])
		}
		if g.messageID != wantIDs[i] || g.id != wantOffsets[i] || g.format != FormatMbox || g.err != nil {
			t.Errorf("message %d: %+v", i, g)
		}
		raw += g.raw
	}
	if raw != int64(len(mbox)) {
		t.Errorf("raw bytes %d, file %d", raw, len(mbox))
	}
}

func TestMboxCRLFAndStrictSeparatorWithoutBlankLine(t *testing.T) {
	m1 := strings.ReplaceAll(msg("one@x", "body\n"), "\n", "\r\n")
	m2 := strings.ReplaceAll(msg("two@x", "body\n"), "\n", "\r\n")
	// A separator in asctime form is trusted without a blank line before.
	mbox := "From a@x Mon Nov  2 10:00:00 2026\r\n" + m1 + "\r\n" + "From b@x Mon Nov  2 10:00:01 2026\r\n" + m2 +
		"From c@x Mon Nov  2 10:00:02 2026\r\n" + m1
	p := filepath.Join(t.TempDir(), "crlf")
	write(t, p, mbox)
	out := readAll(t, Options{}, p)
	if len(out) != 3 || out[0].body != m1 || out[1].body != m2 || out[2].body != m1 {
		t.Fatalf("got %+v", out)
	}
}

func TestMaildir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	write(t, filepath.Join(dir, "cur", "1700000002.M1.host:2,S"), msg("c2@x", "b\n"))
	write(t, filepath.Join(dir, "new", "1700000001.M1.host"), msg("n1@x", "b\n"))
	write(t, filepath.Join(dir, "cur", "1700000003.M1.host:2,"), msg("c3@x", "b\n"))
	write(t, filepath.Join(dir, "tmp", "1700000004.M1.host"), msg("tmp@x", "being delivered\n"))
	write(t, filepath.Join(dir, "cur", ".hidden"), "not mail")
	write(t, filepath.Join(dir, ".Sent", "cur", "1700000000.M1.host:2,S"), msg("sent@x", "b\n"))
	os.MkdirAll(filepath.Join(dir, ".Sent", "new"), 0o755)

	out := readAll(t, Options{}, dir)
	var ids []string
	for _, g := range out {
		ids = append(ids, g.messageID)
		if g.format != FormatMaildir || g.err != nil || !strings.HasPrefix(g.id, dir) {
			t.Errorf("%+v", g)
		}
	}
	if want := []string{"<n1@x>", "<c2@x>", "<c3@x>", "<sent@x>"}; !slices.Equal(ids, want) {
		t.Errorf("Message-IDs %q, want %q", ids, want)
	}

	// cur/ alone; a folder holding the Maildir and an .eml.
	if out := readAll(t, Options{}, filepath.Join(dir, "cur")); len(out) != 2 || out[0].messageID != "<c2@x>" || out[0].format != FormatMaildir {
		t.Errorf("cur/: %+v", out)
	}
	write(t, filepath.Join(filepath.Dir(dir), "a.eml"), msg("a@x", "b\n"))
	ids = nil
	for _, g := range readAll(t, Options{}, filepath.Dir(dir)) {
		ids = append(ids, g.messageID)
	}
	if want := []string{"<n1@x>", "<c2@x>", "<c3@x>", "<sent@x>", "<a@x>"}; !slices.Equal(ids, want) {
		t.Errorf("folder with a Maildir: %q, want %q", ids, want)
	}
}

func TestEMLFolderAndSingleFile(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "b.eml"), msg("b@x", "b\n"))
	write(t, filepath.Join(dir, "a", "z.EML"), msg("z@x", "z\n"))
	write(t, filepath.Join(dir, "notes.txt"), "not a message")
	write(t, filepath.Join(dir, "tmp", "partial.eml"), "From: a@example.co.jp\n")
	// An .eml that carries an mbox "From " line is read as a one-message mbox.
	write(t, filepath.Join(dir, "c.eml"), "From x@y Mon Nov  2 10:00:00 2026\n"+msg("c@x", "c\n"))

	out := readAll(t, Options{}, dir)
	var ids []string
	for _, g := range out {
		ids = append(ids, g.id+" "+g.messageID)
	}
	want := []string{
		filepath.Join(dir, "a", "z.EML") + " <z@x>",
		filepath.Join(dir, "b.eml") + " <b@x>",
		filepath.Join(dir, "c.eml") + "#0 <c@x>",
	}
	if !slices.Equal(ids, want) {
		t.Errorf("got %q\nwant %q", ids, want)
	}
	if out[2].body != msg("c@x", "c\n") {
		t.Errorf("mbox-in-eml body %q", out[2].body)
	}

	single := readAll(t, Options{}, filepath.Join(dir, "b.eml"))
	if len(single) != 1 || single[0].format != FormatEML || single[0].body != msg("b@x", "b\n") {
		t.Errorf("single file: %+v", single)
	}

	if _, err := Open([]string{filepath.Join(dir, "missing")}, Options{}); err == nil {
		t.Error("missing path: no error")
	}
}

func TestSizeLimitAndSpill(t *testing.T) {
	dir := t.TempDir()
	big := msg("big@x", strings.Repeat("x", 5000)+"\n")
	small := msg("small@x", "s\n")
	write(t, filepath.Join(dir, "eml", "1-big.eml"), big)
	write(t, filepath.Join(dir, "eml", "2-small.eml"), small)
	mbox := "From a@x Mon Nov  2 10:00:00 2026\n" + small + "\n" +
		"From a@x Mon Nov  2 10:00:01 2026\n" + big + "\n" +
		"From a@x Mon Nov  2 10:00:02 2026\n" + small
	write(t, filepath.Join(dir, "archive.mbox"), mbox)

	// 200 bytes in memory, then a temporary file in spool; 1000 at most.
	spoolDir := filepath.Join(dir, "spool")
	os.Mkdir(spoolDir, 0o755)
	opts := Options{SpoolDir: spoolDir, MemoryBytes: 200, MaxBytes: 1000}
	out := readAll(t, opts, filepath.Join(dir, "eml"), filepath.Join(dir, "archive.mbox"))
	if len(out) != 5 {
		t.Fatalf("%d messages: %+v", len(out), out)
	}
	for i, g := range out {
		tooBig := i == 0 || i == 3
		if tooBig != errors.Is(g.err, ErrTooLarge) {
			t.Errorf("message %d (%s): err %v", i, g.id, g.err)
		}
		if tooBig && (g.size != int64(len(big)) || g.body != "") {
			t.Errorf("message %d: size %d, want %d; body %d bytes", i, g.size, len(big), len(g.body))
		}
		if !tooBig && g.body != small {
			t.Errorf("message %d body %q", i, g.body)
		}
	}
	if left, _ := os.ReadDir(spoolDir); len(left) != 0 {
		t.Errorf("spool files left: %v", left)
	}
}

func TestWalkStopsOnCallbackError(t *testing.T) {
	dir := t.TempDir()
	for i := range 3 {
		write(t, filepath.Join(dir, fmt.Sprintf("%d.eml", i)), msg(fmt.Sprint(i), "b\n"))
	}
	a, err := Open([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Files() != 3 || a.TotalBytes() == 0 {
		t.Errorf("files %d, bytes %d", a.Files(), a.TotalBytes())
	}
	stop := errors.New("stop")
	n := 0
	err = a.Walk(context.Background(), func(m *Message) error {
		m.Close()
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("err %v after %d messages", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Walk(ctx, func(m *Message) error { m.Close(); return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
