//go:build ignore

// make.go writes the personal-data test messages and expected.tsv:
//
//	go run testdata/personal/make.go
//
// Everyone in them is synthetic: names come from a fixed list, phone
// numbers are made up, Individual Numbers get a check digit computed with
// the official weights, and card numbers are the issuers' published test
// numbers. Messages use UTF-8, ISO-2022-JP and Shift_JIS bodies, HTML
// tables, a CSV attachment, a quoted reply and a subject; the clean ones
// hold what must not trigger (signatures, invoices, order and tracking
// numbers, dates, amounts, wrong check digits, 法人番号).
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
	"golang.org/x/text/transform"
	"golang.org/x/text/width"
)

var families = []string{"山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤"}
var givens = []string{"太郎", "花子", "一郎", "美咲", "健太", "さくら", "翔", "陽子", "大輔", "由美"}

type person struct {
	name, phone, mail, address, birth, myNumber string
}

// checkDigit computes the Individual Number check digit of 11 digits.
func checkDigit(d string) byte {
	sum := 0
	for n := 1; n <= 11; n++ {
		p := int(d[11-n] - '0')
		q := n + 1
		if n >= 7 {
			q = n - 5
		}
		sum += p * q
	}
	r := sum % 11
	if r <= 1 {
		return '0'
	}
	return byte('0' + 11 - r)
}

func people(n int) []person {
	var out []person
	for i := 0; i < n; i++ {
		base := fmt.Sprintf("%04d%04d%03d", 3100+i*37, 5200+i*91, 100+i*7)
		out = append(out, person{
			name:     families[i%len(families)] + " " + givens[i%len(givens)],
			phone:    fmt.Sprintf("090-%04d-%04d", 1200+i*111, 3400+i*17),
			mail:     fmt.Sprintf("user%02d@gmail.com", i),
			address:  fmt.Sprintf("〒150-00%02d 東京都渋谷区神宮前%d-%d", i, i+1, i+2),
			birth:    fmt.Sprintf("19%02d/%02d/%02d", 60+i, 1+i%12, 1+i%28),
			myNumber: base + string(checkDigit(base+"0")),
		})
	}
	return out
}

// Test card numbers published by the issuers.
var cards = []string{"4111 1111 1111 1111", "5555 5555 5555 4444", "3782 822463 10005", "3530 1113 3330 0000"}

// msg is one message to write.
type msg struct {
	file, to, want, note string
	subject              string
	charset              string // "utf-8", "iso-2022-jp", "shift_jis"
	body                 string
	html                 string // an HTML alternative when set
	csv                  string // a text/csv attachment when set
}

const signature = `--
山田 太郎 (Taro Yamada)
株式会社サンプル 営業部
〒100-0001 東京都千代田区千代田1-1
TEL 03-1234-5678 / 携帯 090-1234-5678
yamada@example.co.jp
`

func main() {
	dir := filepath.Join("testdata", "personal")
	ps := people(6)
	var rows, csv, tsv, quoted, table strings.Builder
	csv.WriteString("氏名,電話番号,メールアドレス,住所\r\n")
	tsv.WriteString("氏名\t生年月日\t電話\n")
	table.WriteString("<table><tr><th>氏名</th><th>電話番号</th><th>住所</th></tr>\n")
	for _, p := range ps {
		fmt.Fprintf(&rows, "%s　%s\n", p.name, p.phone)
		fmt.Fprintf(&csv, "%s,%s,%s,%s\r\n", p.name, p.phone, p.mail, p.address)
		fmt.Fprintf(&tsv, "%s\t%s\t%s\n", p.name, p.birth, p.phone)
		fmt.Fprintf(&quoted, "> %s %s\n", p.name, p.mail)
		fmt.Fprintf(&table, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>\n", p.name, p.phone, p.address)
	}
	table.WriteString("</table>")
	var numbers strings.Builder
	for _, p := range ps[:5] {
		// Full-width digits, as pasted from a Japanese form.
		fmt.Fprintf(&numbers, "%s\n", width.Widen.String(p.myNumber[:4]+" "+p.myNumber[4:8]+" "+p.myNumber[8:]))
	}
	wrong := ps[0].myNumber[:11] + string('0'+(ps[0].myNumber[11]-'0'+1)%10)
	msgs := []msg{
		{file: "mynumber-keyword-utf8.eml", want: "my-number", charset: "utf-8", subject: "書類の件",
			body: "お世話になっております。\nご依頼の件、マイナンバー（個人番号）は " + ps[0].myNumber + " です。\nよろしくお願いします。\n" + signature},
		{file: "mynumber-list-iso2022jp.eml", want: "my-number", charset: "iso-2022-jp", subject: "一覧",
			body: "以下の通りです。\n" + numbers.String() + "\n" + signature},
		{file: "card-sjis.eml", want: "card", charset: "shift_jis", subject: "お支払い",
			body: "カード番号：" + width.Widen.String(strings.ReplaceAll(cards[0], " ", "-")) + "\n有効期限：12/29\n" + signature},
		{file: "card-subject.eml", want: "card", charset: "utf-8", subject: "カード " + cards[1],
			body: "件名の通りです。\n"},
		{file: "people-pasted-utf8.eml", want: "people-list", charset: "utf-8", subject: "参加者名簿",
			body: "参加者の一覧です。\n\n" + rows.String() + "\n" + signature},
		{file: "people-tsv-sjis.eml", want: "people-list", charset: "shift_jis", subject: "名簿",
			body: "名簿を貼り付けます。\n" + tsv.String() + "\n" + signature},
		{file: "people-html-table.eml", want: "people-list", charset: "utf-8", subject: "顧客リスト",
			body: "顧客リストはHTML版をご覧ください。\n", html: "<html><body><p>顧客リストです。</p>" + table.String() + "</body></html>"},
		{file: "people-csv-attachment.eml", want: "people-list", charset: "iso-2022-jp", subject: "リスト送付",
			body: "リストを添付します。\n" + signature, csv: csv.String(), note: "also attachment-unencrypted"},
		{file: "people-quoted-reply.eml", want: "people-list", charset: "utf-8", subject: "Re: 連絡先",
			body: "了解しました。\n\n" + quoted.String()},
		{file: "clean-signature-utf8.eml", want: "", charset: "utf-8", subject: "打ち合わせの件",
			body: "明日の打ち合わせは2024年4月15日 14:00からです。\nお問い合わせ番号 1234-5678-9012 / 追跡番号 4111-1111-1111-1111\n" + signature + "\n" + signature},
		{file: "clean-invoice-iso2022jp.eml", want: "", charset: "iso-2022-jp", subject: "請求書送付のご案内",
			body: "請求明細\n山田商事 御中 ￥120,000\n佐藤工業 御中 ￥98,000\n鈴木建設 御中 ￥45,500\n高橋商店 御中 ￥12,000\n田中産業 御中 ￥7,000\n" +
				"注文番号 0012-3456-7890 2024/01/15\n注文番号 0012-3456-7891 2024/01/16\n法人番号 1234567890123\n合計 ￥282,500（税込）\n" + signature},
		{file: "clean-wrong-check-sjis.eml", want: "", charset: "shift_jis", subject: "番号の確認",
			body: "マイナンバー " + wrong + " は誤りでした（チェックデジット不一致）。\n" + signature},
		{file: "clean-single-contact-utf8.eml", want: "", charset: "utf-8", subject: "担当者",
			body: "担当は " + ps[1].name + "（" + ps[1].phone + "）です。\n" + signature},
		{file: "clean-staff-internal.eml", to: "all@example.co.jp", want: "", charset: "utf-8", subject: "社内連絡網",
			body: "社内連絡網です。\n" + rows.String(), note: "internal recipients: the rule's scope is external"},
	}
	var expected strings.Builder
	expected.WriteString("# file\tto\tpersonal-data kinds\tnote (generated by make.go)\n")
	for _, m := range msgs {
		to := m.to
		if to == "" {
			to = "client@partner.example.com"
		}
		data, err := m.render(to)
		if err != nil {
			log.Fatalf("%s: %v", m.file, err)
		}
		if err := os.WriteFile(filepath.Join(dir, m.file), data, 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&expected, "%s\t%s\t%s\t%s\n", m.file, to, m.want, m.note)
	}
	if err := os.WriteFile(filepath.Join(dir, "expected.tsv"), []byte(expected.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}

func encoder(charset string) *encoding.Encoder {
	switch charset {
	case "iso-2022-jp":
		return japanese.ISO2022JP.NewEncoder()
	case "shift_jis":
		return japanese.ShiftJIS.NewEncoder()
	}
	return encoding.Nop.NewEncoder()
}

// encodeBody encodes text in the charset with CRLF line ends; ISO-2022-JP
// goes as 7bit, the others as base64.
func encodeBody(charset, text string) (string, string, error) {
	text = strings.ReplaceAll(text, "\n", "\r\n")
	b, _, err := transform.Bytes(encoder(charset), []byte(text))
	if err != nil {
		return "", "", err
	}
	if charset == "iso-2022-jp" {
		return "7bit", string(b), nil
	}
	return "base64", wrap(base64.StdEncoding.EncodeToString(b)), nil
}

func wrap(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return b.String() + s + "\r\n"
}

func (m msg) render(to string) ([]byte, error) {
	var b bytes.Buffer
	subj := mime.BEncoding.Encode("utf-8", m.subject)
	fmt.Fprintf(&b, "From: sender@example.co.jp\r\nTo: %s\r\nSubject: %s\r\nDate: Mon, 1 Dec 2026 10:00:00 +0900\r\nMessage-ID: <%s@example.co.jp>\r\nMIME-Version: 1.0\r\n", to, subj, strings.TrimSuffix(m.file, ".eml"))
	cte, body, err := encodeBody(m.charset, m.body)
	if err != nil {
		return nil, err
	}
	textPart := fmt.Sprintf("Content-Type: text/plain; charset=%s\r\nContent-Transfer-Encoding: %s\r\n\r\n%s", m.charset, cte, body)
	switch {
	case m.html != "":
		_, hbody, _ := encodeBody("utf-8", m.html)
		b.WriteString("Content-Type: multipart/alternative; boundary=ALT\r\n\r\n--ALT\r\n" + textPart +
			"\r\n--ALT\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + hbody + "\r\n--ALT--\r\n")
	case m.csv != "":
		b.WriteString("Content-Type: multipart/mixed; boundary=MIX\r\n\r\n--MIX\r\n" + textPart +
			"\r\n--MIX\r\nContent-Type: text/csv; charset=utf-8; name=\"list.csv\"\r\nContent-Disposition: attachment; filename=\"list.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			wrap(base64.StdEncoding.EncodeToString([]byte(m.csv))) + "\r\n--MIX--\r\n")
	default:
		b.WriteString(textPart)
	}
	return b.Bytes(), nil
}
