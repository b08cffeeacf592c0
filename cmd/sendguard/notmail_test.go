package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckNotMail: a file that is not a mail message gets exit 64 and a
// reason naming what it is, never a verdict on "a message with no
// headers". The files are the repository's fixtures made by real tools
// (testdata/attachments), judged by their bytes: the names given here
// all end in .eml.
func TestCheckNotMail(t *testing.T) {
	cfg := writeConfig(t, "")
	random := make([]byte, 4096)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	random[0] = 0x01
	cases := []struct {
		name    string
		fixture string // in ../../testdata/attachments
		data    []byte
		want    string
	}{
		{"zip", "aes256.zip", nil, "it is a ZIP archive"},
		{"docx", "document.docx", nil, "it is a ZIP archive (or an Office document)"},
		{"pdf", "pdf-aes256-r5.pdf", nil, "it is a PDF document"},
		{"7z", "encrypted.7z", nil, "it is a 7z archive"},
		{"png", "photo.png", nil, "it is a PNG image"},
		{"jpeg", "", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"), "it is a JPEG image"},
		{"empty", "", []byte{}, "the file is empty"},
		{"random", "", random, "it is binary data"},
		{"csv", "", []byte("name,phone\nYamada,090-0000-0000\n"), "it does not start with header fields"},
		{"body only", "", []byte("\r\nHello, the password is below.\r\n"), "it does not start with header fields"},
		{"indented first line", "", []byte(" From: a@example.co.jp\r\n\r\nx\r\n"), "it does not start with header fields"},
		{"NUL in header", "", []byte("From: a@example.co.jp\r\nX: \x00\x01\r\n\r\nbody\r\n"), "it is binary data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.data
			if c.fixture != "" {
				var err error
				if data, err = os.ReadFile(filepath.Join("../../testdata/attachments", c.fixture)); err != nil {
					t.Fatal(err)
				}
			}
			p := filepath.Join(t.TempDir(), "message.eml")
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCmd(t, "", "check", "--config", cfg, p)
			if code != exitUsage || out != "" || !strings.Contains(errs, "message.eml: "+c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 64 and %q", code, out, errs, c.want)
			}
			// The same on standard input.
			code, _, errs = runCmd(t, string(data), "check", "--config", cfg, "-")
			if code != exitUsage || !strings.Contains(errs, "standard input: "+c.want) {
				t.Errorf("stdin: exit %d, stderr %q", code, errs)
			}
		})
	}
}

// TestCheckStillJudgesMail: messages that start unusually but are mail
// are judged, not refused: an mbox "From " line, a folded header, a
// header-only message, LF line ends.
func TestCheckStillJudgesMail(t *testing.T) {
	cfg := writeConfig(t, "")
	for name, msg := range map[string]string{
		"mbox From line": "From a@example.co.jp Sat Dec  5 10:00:00 2026\nFrom: a@example.co.jp\nTo: b@partner.example.com\nSubject: hi\n\nhello\n",
		"received first": "Received: from x\r\n\tby y; Sat, 5 Dec 2026 10:00:00 +0900\r\nFrom: a@example.co.jp\r\nTo: b@partner.example.com\r\n\r\nhello\r\n",
		"header only":    "From: a@example.co.jp\r\nTo: b@partner.example.com\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "m.eml")
			if err := os.WriteFile(p, []byte(msg), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCmd(t, "", "check", "--config", cfg, p)
			if code != exitPass || !strings.HasPrefix(out, "verdict: pass") {
				t.Errorf("exit %d\n%s%s", code, out, errs)
			}
		})
	}
}

// TestReplayCountsNotMail: in a folder of .eml files, a ZIP and an empty
// file saved with .eml names are counted as "not a mail" and listed, not
// judged.
func TestReplayCountsNotMail(t *testing.T) {
	cfg := writeConfig(t, "")
	dir := t.TempDir()
	zipData, err := os.ReadFile("../../testdata/attachments/aes256.zip")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"a.eml":     []byte("From: a@example.co.jp\r\nTo: b@partner.example.com\r\nSubject: hi\r\n\r\nhello\r\n"),
		"zip.eml":   zipData,
		"empty.eml": {},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := runCmd(t, "", "replay", "--config", cfg, "--json", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	s := decodeReplay(t, out)
	if s.Messages != 3 || s.Evaluated != 1 || s.NotMail != 2 || s.Verdicts["pass"] != 1 {
		t.Errorf("messages %d, evaluated %d, not a mail %d, verdicts %v", s.Messages, s.Evaluated, s.NotMail, s.Verdicts)
	}
	var reasons []string
	for _, sk := range s.Skipped {
		reasons = append(reasons, filepath.Base(sk.File)+" "+sk.Reason+" "+sk.Detail)
	}
	joined := strings.Join(reasons, "\n")
	if !strings.Contains(joined, "zip.eml not-a-mail it is a ZIP archive") {
		t.Errorf("skipped:\n%s", joined)
	}
	_, text, _ := runCmd(t, "", "replay", "--config", cfg, dir)
	if !bytes.Contains([]byte(text), []byte(", 2 not a mail,")) {
		t.Errorf("text summary:\n%s", text)
	}
}
