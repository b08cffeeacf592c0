package policy_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/policy"
)

// mailWith builds a message with the given subject, text/plain body (UTF-8
// or ISO-2022-JP via raw bytes), optional HTML body and one attachment.
func mailWith(subject, plain, html string, att part) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: alice@example.co.jp\r\nTo: bob@partner.example.com\r\nSubject: =?UTF-8?B?%s?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n",
		base64.StdEncoding.EncodeToString([]byte(subject)))
	if plain != "" {
		fmt.Fprintf(&b, "--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n", base64.StdEncoding.EncodeToString([]byte(plain)))
	}
	if html != "" {
		fmt.Fprintf(&b, "--XX\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n", base64.StdEncoding.EncodeToString([]byte(html)))
	}
	if att.data != nil {
		fmt.Fprintf(&b, "--XX\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n",
			att.contentType, att.name, att.name, base64.StdEncoding.EncodeToString(att.data))
	}
	b.WriteString("--XX--\r\n")
	return b.Bytes()
}

// The fixtures in testdata/attachments use the password "secret123"
// (testdata/attachments/make.sh).
func TestPasswordInBody(t *testing.T) {
	ext := policy.Envelope{From: "alice@example.co.jp", To: []string{"bob@partner.example.com"}}
	p := compile(t, policy.Config{})
	zc := part{"見積書.zip", "application/zip", fixture(t, "zipcrypto.zip")}
	aes := part{"資料.zip", "application/zip", fixture(t, "aes256.zip")}
	pdf := part{"契約書.pdf", "application/pdf", fixture(t, "pdf-aes256.pdf")}
	cases := []struct {
		name     string
		msg      []byte
		want     policy.Action
		proof    string // "trial", "pattern" or "" for no finding
		evidence string
	}{
		{"label and value, ZipCrypto", mailWith("見積書", "お世話になっております。\nパスワード：secret123\n", "", zc), policy.Reject, "trial", "se****"},
		{"value alone, ZipCrypto (cheap: every token is tried)", mailWith("見積書", "ご確認ください。\nsecret123\n", "", zc), policy.Reject, "trial", "se****"},
		{"full-width", mailWith("見積書", "ＰＡＳＳ：ｓｅｃｒｅｔ１２３\n", "", zc), policy.Reject, "trial", "se****"},
		{"split across lines with quoting", mailWith("Re: 見積書", "> 解凍パスワード：\n> secret123\n", "", zc), policy.Reject, "trial", "se****"},
		{"in the subject", mailWith("資料送付 PW:secret123", "資料を送ります。\n", "", zc), policy.Reject, "trial", "the subject"},
		{"HTML only", mailWith("資料", "", "<p>パスワードは <b>secret123</b> です</p>", zc), policy.Reject, "trial", "se****"},
		{"AES-256 ZIP, labelled", mailWith("資料", "PW: secret123\n", "", aes), policy.Reject, "trial", "se****"},
		{"PDF AES-256, labelled", mailWith("契約書", "パスワードは secret123 です。\n", "", pdf), policy.Reject, "trial", "se****"},
		{"in the file name", mailWith("見積書", "ご確認ください。\n", "", part{"見積書_PW-secret123.zip", "application/zip", fixture(t, "zipcrypto.zip")}), policy.Reject, "trial", "se****"},
		{"a stated password that does not open the file", mailWith("資料", "パスワード：Other-Pass-42\n", "", zc), policy.Reject, "pattern", "パスワード"},
		{"sent separately", mailWith("資料", "パスワードは別途お送りします。\n", "", zc), policy.Pass, "", ""},
		{"reset link boilerplate", mailWith("資料", "パスワードを忘れた場合は https://example.co.jp/reset へ\n", "", zc), policy.Pass, "", ""},
		{"no protected attachment", mailWith("資料", "パスワード：secret123\n", "", part{}), policy.Pass, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := evaluate(t, p, ext, c.msg)
			if v.Action != c.want {
				t.Fatalf("action %v, want %v; findings %+v", v.Action, c.want, v.Findings)
			}
			var got *policy.Finding
			for i := range v.Findings {
				if v.Findings[i].Rule == "password-in-body" {
					got = &v.Findings[i]
				}
			}
			if c.proof == "" {
				if got != nil {
					t.Errorf("unexpected finding %+v", *got)
				}
				return
			}
			if got == nil {
				t.Fatalf("no password-in-body finding; findings %+v", v.Findings)
			}
			if !strings.Contains(got.Detail, "proof="+c.proof) {
				t.Errorf("detail %q, want proof=%s", got.Detail, c.proof)
			}
			if !strings.Contains(got.Evidence+got.Reason, c.evidence) {
				t.Errorf("evidence %q / reason %q lack %q", got.Evidence, got.Reason, c.evidence)
			}
			texts := []string{got.Evidence, got.Reason, got.ReasonJA, got.Detail}
			for _, a := range v.Attachments {
				texts = append(texts, a.Name)
			}
			for _, f := range v.Findings {
				texts = append(texts, f.Evidence, f.Reason, f.ReasonJA, f.Remedy, f.RemedyJA)
			}
			for _, s := range texts {
				if strings.Contains(s, "secret123") || strings.Contains(s, "ｓｅｃｒｅｔ") {
					t.Errorf("the password appears in clear: %q", s)
				}
			}
		})
	}
}
