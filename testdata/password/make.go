//go:build ignore

// make.go writes the password-in-the-same-mail test messages from the
// attachment fixtures (testdata/attachments, password "secret123"):
//
//	go run testdata/password/make.go
//
// Each message is listed in expected.tsv with what sendguard must find:
// "trial" (the password in the mail opens the attachment), "pattern" (the
// mail states a password that does not open it) or "none".
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log"
	"mime"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

type msg struct {
	file, expect, note string
	subject            string
	plain, html        string
	sjis, jis          bool // body charset
	attach, name       string
	forward            bool   // wrap the body and attachment in a forwarded message/rfc822
	comment            string // set as the ZIP archive comment (as zip -z does)
}

var cases = []msg{
	{file: "01-ascii-label.eml", expect: "trial", note: "ASCII label and value", subject: "見積書", plain: "お世話になっております。\nPassword: secret123\n", attach: "zipcrypto.zip", name: "見積書.zip"},
	{file: "02-digits-only.eml", expect: "pattern", note: "a stated digits-only password that does not open the file", subject: "資料", plain: "暗証番号：20240401\n", attach: "aes256.zip", name: "資料.zip"},
	{file: "03-symbols.eml", expect: "pattern", note: "a stated password with symbols that does not open the file", subject: "資料", plain: "PW: p@ss#W0rd!$\n", attach: "zipcrypto.zip", name: "資料.zip"},
	{file: "04-zenkaku.eml", expect: "trial", note: "全角 label and value", subject: "資料", plain: "ＰＡＳＳ：ｓｅｃｒｅｔ１２３\n", attach: "zipcrypto.zip", name: "資料.zip"},
	{file: "05-next-line-quoted.eml", expect: "trial", note: "value on the next line, quoted", subject: "Re: 資料", plain: "> 解凍パスワード：\n> secret123\n", attach: "zipcrypto.zip", name: "資料.zip"},
	{file: "06-html-only.eml", expect: "trial", note: "password in the HTML part only", subject: "資料", html: "<p>パスワードは <b>secret123</b> です</p>", attach: "aes256.zip", name: "資料.zip"},
	{file: "07-subject.eml", expect: "trial", note: "password in the subject", subject: "資料送付 PW:secret123", plain: "資料を送ります。\n", attach: "zipcrypto.zip", name: "資料.zip"},
	{file: "08-file-name.eml", expect: "trial", note: "password in the attachment's file name", subject: "資料", plain: "ご確認ください。\n", attach: "zipcrypto.zip", name: "資料_PW-secret123.zip"},
	{file: "09-forwarded.eml", expect: "trial", note: "password and attachment in a forwarded message", subject: "Fw: 資料", plain: "転送します。\nパスワード：secret123\n", attach: "zipcrypto.zip", name: "資料.zip", forward: true},
	{file: "10-iso2022jp.eml", expect: "trial", note: "ISO-2022-JP body (Outlook)", subject: "見積書", plain: "パスワードは secret123 です。\n", jis: true, attach: "zipcrypto.zip", name: "見積書.zip"},
	{file: "11-shiftjis.eml", expect: "trial", note: "Shift_JIS body (Becky!)", subject: "見積書", plain: "解凍パスワード：secret123\n", sjis: true, attach: "aes256.zip", name: "見積書.zip"},
	{file: "12-pdf.eml", expect: "trial", note: "PDF with a user password", subject: "契約書", plain: "PDFのパスワード：secret123\n", attach: "pdf-aes256.pdf", name: "契約書.pdf"},
	{file: "13-7z.eml", expect: "trial", note: "7z with encrypted headers", subject: "資料", plain: "パスワード：secret123\n", attach: "7z-aes-mhe.7z", name: "資料.7z"},
	{file: "14-docx.eml", expect: "trial", note: "encrypted DOCX (Agile)", subject: "資料", plain: "パスワード：secret123\n", attach: "office-agile.docx", name: "資料.docx"},
	{file: "15-zip-comment.eml", expect: "trial", note: "password in the ZIP archive's comment", subject: "資料", plain: "資料を送ります。\n", attach: "zipcrypto.zip", name: "資料.zip", comment: "解凍パスワード：secret123"},
	{file: "20-sent-separately.eml", expect: "none", note: "パスワードは別途お送りします", subject: "資料", plain: "パスワードは別途お送りします。\n", attach: "zipcrypto.zip", name: "資料.zip"},
	{file: "21-separate-english.eml", expect: "none", note: "password will follow in a separate mail", subject: "Documents", plain: "The password will follow in a separate mail.\n", attach: "zipcrypto.zip", name: "docs.zip"},
	{file: "22-reset-link.eml", expect: "none", note: "password-reset boilerplate in a signature", subject: "資料", plain: "資料を送ります。\n--\nパスワードを忘れた場合は https://portal.example.co.jp/reset から再設定してください。\n", attach: "zipcrypto.zip", name: "資料.zip"},
	{file: "23-mention-no-value.eml", expect: "none", note: "mentions a password without a value", subject: "資料", plain: "パスワードを設定しました。\n", attach: "zipcrypto.zip", name: "資料.zip"},
	{file: "24-no-protected-attachment.eml", expect: "none", note: "a password but no protected attachment (judged by other rules)", subject: "ログイン情報", plain: "パスワード：secret123\n"},
}

func main() {
	dir := "testdata/password"
	var tsv strings.Builder
	tsv.WriteString("file\texpect\tnote\n")
	for _, c := range cases {
		var data []byte
		if c.attach != "" {
			var err error
			data, err = os.ReadFile(filepath.Join(dir, "..", "attachments", c.attach))
			if err != nil {
				log.Fatal(err)
			}
			if c.comment != "" {
				data = withComment(data, c.comment)
			}
		}
		m := build(c, data)
		if err := os.WriteFile(filepath.Join(dir, c.file), m, 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&tsv, "%s\t%s\t%s\n", c.file, c.expect, c.note)
	}
	if err := os.WriteFile(filepath.Join(dir, "expected.tsv"), []byte(tsv.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}

func build(c msg, data []byte) []byte {
	var inner bytes.Buffer
	inner.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n")
	if c.plain != "" {
		cs, body := "utf-8", []byte(c.plain)
		switch {
		case c.jis:
			cs, body = "iso-2022-jp", enc(japanese.ISO2022JP, c.plain)
		case c.sjis:
			cs, body = "shift_jis", enc(japanese.ShiftJIS, c.plain)
		}
		cte := "8bit"
		if c.jis {
			cte = "7bit"
		}
		fmt.Fprintf(&inner, "--inner\r\nContent-Type: text/plain; charset=%s\r\nContent-Transfer-Encoding: %s\r\n\r\n%s\r\n", cs, cte, bytes.ReplaceAll(body, []byte("\n"), []byte("\r\n")))
	}
	if c.html != "" {
		fmt.Fprintf(&inner, "--inner\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n", b64(c.html))
	}
	if data != nil {
		fmt.Fprintf(&inner, "--inner\r\nContent-Type: application/octet-stream; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n",
			mime.BEncoding.Encode("UTF-8", c.name), mime.BEncoding.Encode("UTF-8", c.name), b64(string(data)))
	}
	inner.WriteString("--inner--\r\n")

	var out bytes.Buffer
	subject := mime.BEncoding.Encode("UTF-8", c.subject)
	fmt.Fprintf(&out, "From: 山田 <alice@example.co.jp>\r\nTo: <bob@partner.example.com>\r\nSubject: %s\r\nDate: Thu, 26 Nov 2026 10:00:00 +0900\r\nMessage-ID: <%s@password.test>\r\n", subject, strings.TrimSuffix(c.file, ".eml"))
	if !c.forward {
		out.Write(inner.Bytes())
		return out.Bytes()
	}
	out.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n転送します。\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\n")
	fmt.Fprintf(&out, "From: <carol@partner.example.com>\r\nTo: <alice@example.co.jp>\r\nSubject: %s\r\n", mime.BEncoding.Encode("UTF-8", "資料"))
	out.Write(inner.Bytes())
	out.WriteString("\r\n--outer--\r\n")
	return out.Bytes()
}

func enc(e encoding.Encoding, s string) []byte {
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		log.Fatal(err)
	}
	return b
}

func b64(s string) string {
	e := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(e) > 76 {
		b.WriteString(e[:76] + "\r\n")
		e = e[76:]
	}
	b.WriteString(e)
	return b.String()
}

// withComment sets the archive comment of a ZIP without a comment: the end
// of central directory record's last field (comment length) and the comment
// after it (APPNOTE 4.3.16), as `zip -z` writes it.
func withComment(zip []byte, comment string) []byte {
	eocd := bytes.LastIndex(zip, []byte("PK\x05\x06"))
	if eocd < 0 || eocd+22 != len(zip) {
		log.Fatal("withComment: the ZIP already has a comment or no end record")
	}
	out := append([]byte(nil), zip...)
	out[eocd+20] = byte(len(comment))
	out[eocd+21] = byte(len(comment) >> 8)
	return append(out, comment...)
}
