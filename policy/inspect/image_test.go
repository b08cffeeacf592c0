package inspect

import (
	"encoding/base64"
	"fmt"
	"os"
	"testing"
)

func attachmentFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/attachments/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// relatedMessage is an HTML mail showing one part by cid:.
func relatedMessage(contentType string, data []byte) string {
	return fmt.Sprintf("From: a@example.co.jp\r\nTo: b@partner.example.com\r\nSubject: logo\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/related; boundary=R\r\n\r\n"+
		"--R\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>ご案内</p><img src=\"cid:logo@x\">\r\n"+
		"--R\r\nContent-Type: %s\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--R--\r\n",
		contentType, base64.StdEncoding.EncodeToString(data))
}

// TestInlineImagesMustBeImages: a part the HTML shows by cid: is body only
// when its bytes are a plain image; relabelled files and polyglots are
// attachments.
func TestInlineImagesMustBeImages(t *testing.T) {
	pngData := attachmentFixture(t, "photo.png")
	cases := []struct {
		name        string
		contentType string
		data        []byte
		inline      bool
	}{
		{"PNG", "image/png", pngData, true},
		{"PNG labelled image/jpeg", "image/jpeg", pngData, true},
		{"CSV labelled image/png", "image/png", []byte("氏名,電話\r\n山田太郎,090-1234-5678\r\n"), false},
		{"ZIP labelled image/png", "image/png", attachmentFixture(t, "plain.zip"), false},
		{"PNG with a ZIP appended", "image/png", append(append([]byte(nil), pngData...), attachmentFixture(t, "plain.zip")...), false},
		{"truncated PNG", "image/png", pngData[:len(pngData)-20], false},
		{"SVG", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><text>山田太郎 090-1234-5678</text></svg>`), false},
		{"empty", "image/png", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := walkString(t, relatedMessage(c.contentType, c.data), Limits{})
			if c.inline {
				if len(m.InlineImages) != 1 || len(m.Attachments) != 0 {
					t.Errorf("inline %d, attachments %d; want the image inline", len(m.InlineImages), len(m.Attachments))
				}
				return
			}
			if len(m.InlineImages) != 0 || len(m.Attachments) != 1 {
				t.Errorf("inline %d, attachments %d; want one attachment", len(m.InlineImages), len(m.Attachments))
			}
		})
	}
}
