package inspect

import (
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
)

// Japanese mailers' charset labels in a Subject, a display name, an RFC
// 2231 file name and a body are decoded by the walk with its explicit
// charset reader — and walking leaves go-message's globals as they were.
func TestWalkJapaneseLabelsWithoutGlobals(t *testing.T) {
	before := reflect.ValueOf(message.CharsetReader).Pointer()
	raw := "From: =?ISO-2022-JP-MS?B?GyRCJDMkcxsoQg==?= <a@example.co.jp>\r\n" +
		"To: b@example.co.jp\r\n" +
		"Subject: =?cp932?B?grGC8Q==?=\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=x-sjis\r\n\r\n\x82\xb1\x82\xf1\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=cp932''%82%B1%82%F1.txt\r\n\r\nx\r\n" +
		"--b--\r\n"
	m, err := Walk(strings.NewReader(raw), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Subject != "こん" {
		t.Errorf("subject %q", m.Subject)
	}
	var texts []string
	for _, tx := range m.Texts {
		texts = append(texts, tx.Kind+":"+strings.TrimSpace(tx.Content))
	}
	joined := strings.Join(texts, "|")
	if !strings.Contains(joined, "plain:こん") || !strings.Contains(joined, KindHeader+":こん") {
		t.Errorf("texts %q", joined)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Name != "こん.txt" {
		t.Errorf("attachments %+v", m.Attachments)
	}
	if reflect.ValueOf(message.CharsetReader).Pointer() != before || before != reflect.ValueOf(charset.Reader).Pointer() {
		t.Error("message.CharsetReader is not go-message's own")
	}
	if _, err := charset.Reader("cp932", strings.NewReader("x")); err == nil {
		t.Error("cp932 was registered in go-message's charset registry")
	}
}
