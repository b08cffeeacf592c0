package inspect

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// BenchmarkWalkLargeAttachment walks a message with a 5 MiB base64
// attachment (spilled to a temp file) and a Japanese text body.
func BenchmarkWalkLargeAttachment(b *testing.B) {
	payload := bytes.Repeat([]byte("sendguard benchmark \x00\x01\xfe\xff"), 5<<20/24)
	enc := base64.StdEncoding.EncodeToString(payload)
	var sb strings.Builder
	sb.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	sb.WriteString(strings.Repeat("いつもお世話になっております。\r\n", 1000))
	sb.WriteString("--b\r\nContent-Type: application/zip; name=big.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for i := 0; i < len(enc); i += 76 {
		sb.WriteString(enc[i:min(i+76, len(enc))] + "\r\n")
	}
	sb.WriteString("--b--\r\n")
	msg := sb.String()
	dir := b.TempDir()
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	for b.Loop() {
		m, err := Walk(strings.NewReader(msg), Limits{SpoolDir: dir})
		if err != nil || len(m.Attachments) != 1 || len(m.Problems) != 0 {
			b.Fatalf("%v %d %v", err, len(m.Attachments), m.Problems)
		}
		m.Close()
	}
}
