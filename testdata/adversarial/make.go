//go:build ignore

// make.go writes the adversarial corpus: messages that try to get
// personal data out unprotected or the password out with the file, each
// made with real tools (Info-ZIP zip, 7-Zip, qpdf, openssl, gpg) and
// assembled here. expected.tsv (written by hand, not by this program) says
// what each must get. Run from the repository root:
//
//	apt-get install -y zip 7zip qpdf openssl gnupg
//	go run testdata/adversarial/make.go
//
// Encryption salts and signatures are random, so a re-run changes bytes,
// not verdicts. cmd/sendguard's TestAdversarialCorpus runs `sendguard
// check` over every file and compares with expected.tsv.
package main

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/text/encoding/japanese"
)

var dir = flag.String("dir", "testdata/adversarial", "output directory")

// pw is the password of every protected attachment here.
const pw = "Kx7mQ2pZ"

var work string

func main() {
	flag.Parse()
	var err error
	if work, err = os.MkdirTemp("", "adversarial"); err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	tools()
	for name, msg := range messages() {
		msg = strings.ReplaceAll(strings.ReplaceAll(msg, "\r\n", "\n"), "\n", "\r\n")
		if err := os.WriteFile(filepath.Join(*dir, name), []byte(msg), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// sh runs a tool in the work directory.
func sh(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "GNUPGHOME="+filepath.Join(work, "gnupg"), "TZ=UTC", "LC_ALL=C.UTF-8")
	if out, err := cmd.CombinedOutput(); err != nil {
		// qpdf exits 3 when it repaired its input with warnings (the
		// hand-written PDF has no xref on purpose).
		if ee, ok := err.(*exec.ExitError); ok && name == "qpdf" && ee.ExitCode() == 3 {
			return
		}
		log.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func read(name string) []byte {
	b, err := os.ReadFile(filepath.Join(work, name))
	if err != nil {
		log.Fatal(err)
	}
	return b
}

func write(name string, b []byte) {
	if err := os.WriteFile(filepath.Join(work, name), b, 0o600); err != nil {
		log.Fatal(err)
	}
}

var meibo = "氏名,電話番号,住所\n山田太郎,090-1234-5678,東京都千代田区1-1\n佐藤花子,080-2345-6789,大阪府大阪市北区2-2\n鈴木一郎,070-3456-7890,愛知県名古屋市中区3-3\n"

// tools makes the files the messages carry.
func tools() {
	sevenz := "7zz"
	if _, err := exec.LookPath(sevenz); err != nil {
		sevenz = "7z"
	}
	write("meibo.csv", []byte(meibo))
	sh("touch", "-d", "2026-01-01 00:00:00", "meibo.csv")
	sh("zip", "-q", "-j", "plain.zip", "meibo.csv")
	sh("zip", "-q", "-j", "-0", "stored.zip", "meibo.csv")
	sh("zip", "-q", "-j", "-P", pw, "zipcrypto.zip", "meibo.csv")
	sh(sevenz, "a", "-bd", "-bso0", "-tzip", "-mem=AES256", "-p"+pw, "aes.zip", "meibo.csv")
	sh("sh", "-c", "head -c 104857600 /dev/zero > disk.img")
	sh(sevenz, "a", "-bd", "-bso0", "-tzip", "-mm=BZip2", "-mem=AES256", "-p"+pw, "zeros-aes.zip", "disk.img")
	// A ZIP of 200 encrypted files and one plain one (padding).
	os.Mkdir(filepath.Join(work, "pad"), 0o700)
	var names []string
	for i := 0; i < 200; i++ {
		n := fmt.Sprintf("pad/f%03d.txt", i)
		write(n, []byte(fmt.Sprintf("padding %d\n", i)))
		names = append(names, n)
	}
	sh("zip", append([]string{"-q", "-P", pw, "padded.zip"}, names...)...)
	sh("zip", "-q", "-j", "padded.zip", "meibo.csv")
	// A ZIP inside a ZIP: the inner one plain.
	sh("zip", "-q", "-j", "-P", pw, "outer.zip", filepath.Join(work, "plain.zip"))
	// PDF: a page of the list, then encrypted by qpdf (AES-256).
	write("page.pdf", minimalPDF("Yamada Taro 090-1234-5678"))
	sh("qpdf", "page.pdf", "page-fixed.pdf")
	sh("qpdf", "--object-streams=disable", "--encrypt", "user-"+pw, "owner-"+pw, "256", "--", "page-fixed.pdf", "page-enc.pdf")
	// S/MIME: a signed mail (multipart/signed, detached signature).
	write("body.txt", []byte("Content-Type: text/plain; charset=utf-8\r\n\r\nお世話になっております。署名付きのご連絡です。\r\n"))
	sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "3650", "-subj", "/CN=Alice/emailAddress=alice@example.co.jp")
	sh("openssl", "smime", "-sign", "-in", "body.txt", "-signer", "cert.pem", "-inkey", "key.pem", "-out", "signed.eml")
	// OpenPGP: a public key.
	os.Mkdir(filepath.Join(work, "gnupg"), 0o700)
	sh("gpg", "-q", "--batch", "--passphrase", "", "--quick-gen-key", "Alice <alice@example.co.jp>", "future-default", "default", "never")
	sh("gpg", "-q", "--batch", "--yes", "--armor", "--export", "-o", "alice.asc", "alice@example.co.jp")
}

// minimalPDF is a one-page PDF with text (qpdf rewrites its xref).
func minimalPDF(text string) []byte {
	content := fmt.Sprintf("BT /F1 12 Tf 72 720 Td (%s) Tj ET", text)
	return []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
		"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n" +
		fmt.Sprintf("4 0 obj<</Length %d>>stream\n%s\nendstream endobj\n", len(content), content) +
		"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
}

// ---- encoders ----

func b64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	out.WriteString(s + "\n")
	return out.String()
}

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

func wordJIS(s string) string {
	return "=?ISO-2022-JP?B?" + base64.StdEncoding.EncodeToString([]byte(jis(s))) + "?="
}

func wordSJIS(s string) string {
	return "=?Shift_JIS?B?" + base64.StdEncoding.EncodeToString([]byte(sjis(s))) + "?="
}

// ---- message builders ----

const date = "Date: Sat, 05 Dec 2026 10:00:00 +0900\n"

type att struct {
	name, ctype string
	data        []byte
	extra       string // more header lines
}

// mixed is a multipart/mixed mail: header lines (From, To and Subject
// added unless given), a text part (HTML when it starts with "<"), files.
func mixed(header, body string, files ...att) string {
	var b strings.Builder
	if !strings.Contains(header, "From:") {
		b.WriteString("From: alice@example.co.jp\n")
	}
	if !strings.Contains(header, "To:") {
		b.WriteString("To: bob@partner.example.com\n")
	}
	if !strings.Contains(header, "Subject:") {
		b.WriteString("Subject: " + wordJIS("資料送付の件") + "\n")
	}
	b.WriteString(header + date + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"=_adv\"\n\n--=_adv\n")
	if strings.HasPrefix(body, "<") {
		b.WriteString("Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body + "\n")
	} else {
		b.WriteString("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body + "\n")
	}
	for _, f := range files {
		fmt.Fprintf(&b, "--=_adv\nContent-Type: %s; name=\"%s\"\nContent-Disposition: attachment; filename=\"%s\"\n%sContent-Transfer-Encoding: base64\n\n%s", f.ctype, f.name, f.name, f.extra, b64(f.data))
	}
	b.WriteString("--=_adv--\n")
	return b.String()
}

// related is an HTML mail with parts shown by cid:.
func related(html string, files ...att) string {
	var b strings.Builder
	b.WriteString("From: alice@example.co.jp\nTo: bob@partner.example.com\nSubject: " + wordJIS("ご案内") + "\n" + date +
		"MIME-Version: 1.0\nContent-Type: multipart/related; boundary=\"=_rel\"; type=\"text/html\"\n\n--=_rel\nContent-Type: text/html; charset=utf-8\n\n" + html + "\n")
	for _, f := range files {
		fmt.Fprintf(&b, "--=_rel\nContent-Type: %s\n%sContent-Disposition: inline\nContent-Transfer-Encoding: base64\n\n%s", f.ctype, f.extra, b64(f.data))
	}
	b.WriteString("--=_rel--\n")
	return b.String()
}

// ---- hostile edits ----

// flipEncryptionBit sets bit 0 of the general purpose flags in every local
// and central header of a ZIP: the headers agree, archive/zip and most
// scanners now call the entries encrypted, and the data is plaintext.
func flipEncryptionBit(z []byte) []byte {
	z = bytes.Clone(z)
	for _, sig := range []struct {
		magic string
		off   int
	}{{"PK\x03\x04", 6}, {"PK\x01\x02", 8}} {
		for i := 0; ; {
			j := bytes.Index(z[i:], []byte(sig.magic))
			if j < 0 {
				break
			}
			f := binary.LittleEndian.Uint16(z[i+j+sig.off:])
			binary.LittleEndian.PutUint16(z[i+j+sig.off:], f|1)
			i += j + 4
		}
	}
	return z
}

// fakeZipCryptoHeader writes a stored ZIP whose entry is flagged ZipCrypto
// with 12 junk bytes before the plaintext (sizes and CRC as ZipCrypto's).
func fakeZipCryptoHeader(name string, data []byte) []byte {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	payload := append(bytes.Repeat([]byte{0xA5}, 12), data...)
	crc := crc32.ChecksumIEEE(data)
	hdr := func(central bool) {
		if central {
			w(uint32(0x02014b50))
			w(uint16(20))
		} else {
			w(uint32(0x04034b50))
		}
		w(uint16(20))
		w(uint16(1)) // encrypted
		w(uint16(0)) // stored
		w(uint32(0x5A210000))
		w(crc)
		w(uint32(len(payload)))
		w(uint32(len(data)))
		w(uint16(len(name)))
		w(uint16(0))
		if central {
			w(uint16(0))
			w(uint16(0))
			w(uint16(0))
			w(uint32(0))
			w(uint32(0))
		}
		b.WriteString(name)
	}
	hdr(false)
	b.Write(payload)
	cdOff := b.Len()
	hdr(true)
	cdLen := b.Len() - cdOff
	w(uint32(0x06054b50))
	w(uint16(0))
	w(uint16(0))
	w(uint16(1))
	w(uint16(1))
	w(uint32(cdLen))
	w(uint32(cdOff))
	w(uint16(0))
	return b.Bytes()
}

// plaintextStreamPDF replaces the (encrypted) content stream of a qpdf
// AES-256 PDF with a zlib stream of readable page text of the same length:
// the /Encrypt dictionary and the password check stay real.
func plaintextStreamPDF(pdf []byte) []byte {
	pdf = bytes.Clone(pdf)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(bytes.Repeat([]byte("BT (Yamada Taro 090-1234-5678) Tj ET\n"), 20))
	zw.Close()
	for i := 0; ; {
		k := bytes.Index(pdf[i:], []byte("stream\n"))
		if k < 0 {
			log.Fatal("plaintextStreamPDF: no stream long enough")
		}
		start := i + k + len("stream\n")
		end := bytes.Index(pdf[start:], []byte("endstream"))
		dict := pdf[max(0, i+k-200) : i+k]
		if end > z.Len() && !bytes.Contains(dict, []byte("/XRef")) && !bytes.Contains(dict, []byte("/Metadata")) {
			copy(pdf[start:], z.Bytes())
			// pad the rest of the stream with zeros after the zlib end
			for j := start + z.Len(); j < start+end-1; j++ {
				pdf[j] = 0
			}
			return pdf
		}
		i = start
	}
}

// ---- the corpus ----

func messages() map[string]string {
	m := map[string]string{}
	plainZip, stored := read("plain.zip"), read("stored.zip")
	zc, aes := read("zipcrypto.zip"), read("aes.zip")
	csv := []byte(meibo)
	xlsx, err := os.ReadFile(filepath.Join(*dir, "..", "attachments", "office-plain.xlsx"))
	if err != nil {
		log.Fatal(err)
	}
	png, err := os.ReadFile(filepath.Join(*dir, "..", "attachments", "photo.png"))
	if err != nil {
		log.Fatal(err)
	}
	ics := "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\nMETHOD:REQUEST\nBEGIN:VEVENT\n" +
		"ORGANIZER;CN=Alice:mailto:alice@example.co.jp\nATTENDEE;CN=Bob;RSVP=TRUE:mailto:bob@partner.example.com\n" +
		"DTSTART:20261210T010000Z\nDTEND:20261210T020000Z\nSUMMARY:定例会議\nUID:adv-0001@example.co.jp\n%sEND:VEVENT\nEND:VCALENDAR\n"
	body := "お世話になっております。\n資料をお送りします。ご確認ください。\n"

	// Exempt types by label.
	m["exempt-csv-as-calendar.eml"] = mixed("", body, att{"invite.ics", "text/calendar; method=REQUEST; charset=utf-8", csv, ""})
	m["exempt-zip-as-pgp-keys.eml"] = mixed("", body, att{"alice.asc", "application/pgp-keys", plainZip, ""})
	m["exempt-xlsx-as-signature.eml"] = mixed("", body, att{"smime.p7s", "application/pkcs7-signature", xlsx, ""})
	m["exempt-csv-as-vcard.eml"] = mixed("", body, att{"contact.vcf", "text/vcard", csv, ""})
	var book strings.Builder
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&book, "BEGIN:VCARD\nVERSION:3.0\nFN:顧客 %02d\nTEL;TYPE=CELL:090-0000-%04d\nEND:VCARD\n", i, i)
	}
	m["exempt-addressbook-vcard.eml"] = mixed("", body, att{"customers.vcf", "text/vcard", []byte(book.String()), ""})
	m["exempt-calendar-with-attach.eml"] = mixed("", body, att{"invite.ics", "text/calendar", []byte(fmt.Sprintf(ics,
		"ATTACH;FMTTYPE=application/zip;ENCODING=BASE64;VALUE=BINARY:"+base64.StdEncoding.EncodeToString(plainZip)+"\n")), ""})
	m["exempt-calendar-then-zip.eml"] = mixed("", body, att{"invite.ics", "text/calendar", append([]byte(fmt.Sprintf(ics, "")), plainZip...), ""})
	m["genuine-invitation.eml"] = mixed("", body, att{"invite.ics", "text/calendar; method=REQUEST", []byte(fmt.Sprintf(ics, "DESCRIPTION:よろしくお願いいたします。\n")), ""})
	m["genuine-public-key.eml"] = mixed("", body, att{"alice.asc", "application/pgp-keys", read("alice.asc"), ""})
	m["genuine-smime-signed.eml"] = "From: alice@example.co.jp\nTo: bob@partner.example.com\nSubject: signed\n" + date + string(read("signed.eml"))

	// Inline images and files embedded in HTML.
	m["cid-csv-as-image.eml"] = related(`<p>ご案内</p><img src="cid:logo@adv">`, att{"", "image/png", csv, "Content-ID: <logo@adv>\n"})
	m["cid-png-with-zip-appended.eml"] = related(`<p>ご案内</p><img src="cid:logo@adv">`, att{"", "image/png", append(bytes.Clone(png), plainZip...), "Content-ID: <logo@adv>\n"})
	m["genuine-cid-logo.eml"] = related(`<p>ご案内</p><img src="cid:logo@adv">`, att{"", "image/png", png, "Content-ID: <logo@adv>\n"})
	m["data-uri-zip-download.eml"] = mixed("", `<p>資料は<a href="data:application/zip;base64,`+base64.StdEncoding.EncodeToString(plainZip)+`" download="meibo.zip">こちら</a></p>`)
	m["data-uri-csv-in-css.eml"] = mixed("", `<div style="background-image:url('data:text/csv;base64,`+base64.StdEncoding.EncodeToString(csv)+`')">ご案内</div>`)
	m["data-uri-zip-as-img.eml"] = mixed("", `<p>ご案内</p><img src="data:image/png;base64,`+base64.StdEncoding.EncodeToString(plainZip)+`">`)

	// Encryption claims.
	m["zip-flag-flipped-stored.eml"] = mixed("", body, att{"meibo.zip", "application/zip", flipEncryptionBit(stored), ""})
	m["zip-flag-flipped-deflated.eml"] = mixed("", body, att{"meibo.zip", "application/zip", flipEncryptionBit(plainZip), ""})
	m["zip-fake-zipcrypto-header.eml"] = mixed("", body, att{"meibo.zip", "application/zip", fakeZipCryptoHeader("meibo.csv", csv), ""})
	m["zip-padded-one-plain.eml"] = mixed("", body, att{"archive.zip", "application/zip", read("padded.zip"), ""})
	m["zip-encrypted-holding-plain-zip.eml"] = mixed("", body, att{"outer.zip", "application/zip", read("outer.zip"), ""})
	m["genuine-aes-zip-of-zeros.eml"] = mixed("", body, att{"disk.zip", "application/zip", read("zeros-aes.zip"), ""})
	m["pdf-encrypt-with-plain-stream.eml"] = mixed("", body, att{"meibo.pdf", "application/pdf", plaintextStreamPDF(read("page-enc.pdf")), ""})
	m["genuine-pdf-aes256.eml"] = mixed("", body, att{"meibo.pdf", "application/pdf", read("page-enc.pdf"), ""})

	// The password with the file, where a recipient can see or reveal it.
	html := func(s string) string {
		return "<p>お世話になっております。資料をお送りします。</p>" + s
	}
	m["pw-html-comment.eml"] = mixed("", html("<!-- "+pw+" -->"), att{"meibo.zip", "application/zip", aes, ""})
	m["pw-alt-text.eml"] = mixed("", html(`<img src="https://www.example.co.jp/logo.png" alt="`+pw+`">`), att{"meibo.zip", "application/zip", aes, ""})
	m["pw-title-element.eml"] = mixed("", "<html><head><title>"+pw+"</title></head><body><p>資料です</p></body></html>", att{"meibo.zip", "application/zip", zc, ""})
	m["pw-display-name.eml"] = mixed("To: \""+pw+"\" <bob@partner.example.com>\n", body, att{"meibo.zip", "application/zip", aes, ""})
	m["pw-sjis-display-name.eml"] = mixed("To: "+wordSJIS("パスワード "+pw)+" <bob@partner.example.com>\n", body, att{"meibo.zip", "application/zip", zc, ""})
	m["pw-txt-beside-zip.eml"] = mixed("", body, att{"meibo.zip", "application/zip", aes, ""}, att{"password.txt", "application/octet-stream", []byte(pw + "\n"), ""})
	m["pw-spaced-out.eml"] = mixed("", "お世話になっております。\n資料をお送りします。"+strings.Join(strings.Split(pw, ""), " ")+"\n", att{"meibo.zip", "application/zip", aes, ""})
	m["pw-spaced-zenkaku-label.eml"] = mixed("", "パスワード：Ｋ　ｘ　７　ｍ　Ｑ　２　ｐ　Ｚ\n", att{"meibo.zip", "application/zip", zc, ""})
	m["pw-one-char-per-line.eml"] = mixed("", "お世話になっております。\n"+strings.Join(strings.Split(pw, ""), "\n")+"\n", att{"meibo.zip", "application/zip", aes, ""})
	m["pw-url-query.eml"] = mixed("", html(`<a href="https://files.example.co.jp/dl?id=20261205&amp;key=`+pw+`">ダウンロード</a>`), att{"meibo.zip", "application/zip", aes, ""})
	m["pw-calendar-description.eml"] = mixed("", body, att{"meibo.zip", "application/zip", aes, ""},
		att{"invite.ics", "text/calendar", []byte(fmt.Sprintf(ics, "DESCRIPTION:資料のパスワードは "+pw[:4]+"\n "+pw[4:]+" です\n")), ""})
	m["pw-iso2022jp-zenkaku.eml"] = "From: alice@example.co.jp\nTo: bob@partner.example.com\nSubject: " + wordJIS("資料") + "\n" + date +
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"=_adv\"\n\n--=_adv\nContent-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n" +
		jis("お世話になっております。\nパスワード：Ｋｘ７ｍＱ２ｐＺ\n") + "\n--=_adv\nContent-Type: application/zip; name=\"meibo.zip\"\nContent-Disposition: attachment; filename=\"meibo.zip\"\nContent-Transfer-Encoding: base64\n\n" + b64(zc) + "--=_adv--\n"
	var decoys []string
	for i := 0; i < 2000; i++ {
		decoys = append(decoys, fmt.Sprintf("Ref%05dq", i))
	}
	m["pw-after-2000-decoys-unlabelled.eml"] = mixed("", "参照番号一覧：\n"+strings.Join(decoys, " ")+"\n"+pw+"\n", att{"meibo.zip", "application/zip", aes, ""})
	m["pw-after-2000-decoys-labelled.eml"] = mixed("", "参照番号一覧：\n"+strings.Join(decoys, " ")+"\nパスワード："+pw+"\n", att{"meibo.zip", "application/zip", aes, ""})

	// Headers and links.
	m["exposed-over-several-fields.eml"] = mixed("To: a@one.example, b@two.example\nTo: c@three.example\nCc: d@four.example\nCc: e@five.example, f@six.example\n", body)
	m["link-behind-kochira.eml"] = mixed("", `<p>資料は<a href="https://gigafile.nu/1205-abcdef">こちら</a>からダウンロードしてください。</p>`)
	m["link-firestorage-button.eml"] = mixed("", `<p>ご確認ください。</p><form action="https://firestorage.jp/download/abc"><button>開く</button></form>`)

	// Nesting.
	fwd := mixed("", body, att{"meibo.zip", "application/zip", plainZip, ""})
	m["nested-forwarded-plain-zip.eml"] = "From: alice@example.co.jp\nTo: bob@partner.example.com\nSubject: Fw: " + wordJIS("資料") + "\n" + date +
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"=_fw\"\n\n--=_fw\nContent-Type: text/plain; charset=utf-8\n\n転送します。\n--=_fw\nContent-Type: message/rfc822\n\n" + fwd + "--=_fw--\n"

	// Envelope recipients that hide an external mailbox (expected.tsv
	// gives the envelope; the file is an ordinary mail with a plain ZIP).
	m["route-hidden-recipient.eml"] = mixed("To: bob@example.co.jp\n", body, att{"meibo.zip", "application/zip", plainZip, ""})
	return m
}
