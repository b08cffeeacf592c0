//go:build ignore

// make.go writes the whole-message fixtures of testdata/messages: messages as
// Japanese mailers write them, and broken ones. Run from the repository root:
//
//	go run testdata/messages/make*.go
//
// This file holds main and the encoders; make_formats.go the TNEF and
// S/MIME structures, make_fixtures.go the messages.
//
// Everything is generated here (no file is copied from elsewhere); the output
// is deterministic, so re-running it changes nothing.
package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"log"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/text/encoding/japanese"
)

var dir = flag.String("dir", "testdata/messages", "output directory")

func main() {
	flag.Parse()
	for name, body := range fixtures() {
		msg := strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")
		if err := os.WriteFile(filepath.Join(*dir, name), []byte(msg), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// attachment reads a file made by testdata/attachments/make.sh, so that the
// messages carry real PDF and Office files, not stubs.
func attachment(name string) []byte {
	b, err := os.ReadFile(filepath.Join(*dir, "..", "attachments", name))
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// ---- encoders ----

func jis(s string) string {
	out, err := japanese.ISO2022JP.NewEncoder().String(s)
	if err != nil {
		log.Fatal(err)
	}
	return out
}

func sjis(s string) string {
	out, err := japanese.ShiftJIS.NewEncoder().String(s)
	if err != nil {
		log.Fatal(err)
	}
	return out
}

// wordJIS is an RFC 2047 encoded word in ISO-2022-JP, as Outlook writes.
func wordJIS(s string) string {
	return "=?ISO-2022-JP?B?" + base64.StdEncoding.EncodeToString([]byte(jis(s))) + "?="
}

func wordUTF8(s string) string {
	return "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
}

// pct percent-encodes all bytes outside RFC 2231 attribute-char.
func pct(b string) string {
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0) {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}

func b64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	for len(s) > 76 {
		sb.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	sb.WriteString(s + "\n")
	return sb.String()
}

func qp(s string) string {
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	w.Write([]byte(s))
	w.Close()
	return buf.String()
}

// uuencode encodes data as one "begin 644 name" block.
func uuencode(name string, data []byte) string {
	enc := func(c byte) byte {
		if c == 0 {
			return '`'
		}
		return c + ' '
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "begin 644 %s\n", name)
	for len(data) > 0 {
		n := min(45, len(data))
		line := data[:n]
		data = data[n:]
		sb.WriteByte(enc(byte(n)))
		for i := 0; i < n; i += 3 {
			var b [3]byte
			copy(b[:], line[i:min(i+3, n)])
			sb.WriteByte(enc(b[0] >> 2))
			sb.WriteByte(enc((b[0]<<4 | b[1]>>4) & 63))
			sb.WriteByte(enc((b[1]<<2 | b[2]>>6) & 63))
			sb.WriteByte(enc(b[2] & 63))
		}
		sb.WriteByte('\n')
	}
	sb.WriteString("`\nend\n")
	return sb.String()
}

// tinyZip is a small deterministic ZIP holding one text file.
func tinyZip(name, content string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		log.Fatal(err)
	}
	w.Write([]byte(content))
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// A 1x1 PNG.
var png1x1, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

// A tiny JPEG-looking file (only the magic matters to the walk).
var jpegTiny = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}, bytes.Repeat([]byte{0x11}, 40)...)
