package personal

import (
	"regexp"
	"strings"
	"testing"
)

// scanOne scans one plain text with the default thresholds and returns
// "kind=count" for each finding, joined by spaces.
func scanOne(cfg Config, text string) string {
	var out []string
	for _, f := range New(cfg).Scan([]Text{{Kind: "plain", Content: text}}) {
		k := f.Kind
		if f.Name != "" {
			k += ":" + f.Name
		}
		out = append(out, k+"="+itoa(f.Count))
	}
	return strings.Join(out, " ")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

// people returns n rows "name<sep>phone" for a table of people.
func peopleRows(n int, format string) string {
	names := []string{"山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 美咲", "田中 健太", "伊藤 さくら", "渡辺 翔", "中村 陽子"}
	phones := []string{"090-1234-5678", "080-2345-6789", "070-3456-7890", "03-1234-5678", "06-2345-6789", "090-9876-5432", "080-8765-4321", "045-123-4567"}
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(strings.NewReplacer("NAME", names[i%len(names)], "PHONE", phones[i%len(phones)], "NN", "No."+itoa(i+1)).Replace(format))
		b.WriteString("\n")
	}
	return b.String()
}

func TestMyNumber(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"keyword, one block", "マイナンバー：123456789018 です", "my-number=1"},
		{"keyword, grouped", "個人番号 1234 5678 9018", "my-number=1"},
		{"keyword, hyphens", "My Number: 1234-5678-9018", "my-number=1"},
		{"list needs no keyword", "123456789018\n987654321093\n234567890121\n", "my-number=3"},
		{"wrong check digit", "マイナンバー：123456789012", ""},
		{"valid but no keyword, single", "受付番号 123456789018 で承りました", ""},
		{"法人番号 13 digits", "法人番号 1234567890123", ""},
		{"inside a longer run", "個人番号 A123456789018", ""},
		{"part of a decimal", "個人番号 0.123456789018", ""},
		{"tracking numbers, mostly invalid", "追跡 123456789012\n123456789013\n123456789014\n123456789015\n123456789018\n987654321093\n234567890121\n123456789016\n", ""},
		{"zero-width joiner between groups", "マイナンバー 1234\u200d5678\u200d9018", "my-number=1"},
		{"date is not a group", "マイナンバー 2024.01.15", ""},
		{"same number twice counts once", "マイナンバー 123456789018 / マイナンバー 1234 5678 9018", "my-number=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scanOne(Config{}, tt.text); got != tt.want {
				t.Errorf("scan(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestCardNumbers(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"visa grouped", "4111 1111 1111 1111", "card=1"},
		{"mastercard hyphens", "5555-5555-5555-4444", "card=1"},
		{"amex 4-6-5", "3782 822463 10005", "card=1"},
		{"jcb with keyword", "カード番号：3530111333300000", "card=1"},
		{"discover keyword english", "card number 6011111111111117 exp 12/29", "card=1"},
		{"no keyword, one block", "ID 4111111111111111", ""},
		{"fails Luhn", "4111 1111 1111 1112", ""},
		{"unknown issuer", "カード番号 9111 1111 1111 1113", ""},
		{"order number label", "注文番号 4111-1111-1111-1111", ""},
		{"order number label but card keyword", "クレジットカード 注文番号 4111-1111-1111-1111", "card=1"},
		{"amount", "合計 4,111,111,111,111,111円", ""},
		{"two cards", "4111 1111 1111 1111\n5555 5555 5555 4444", "card=2"},
		{"dots", "4111.1111.1111.1111", "card=1"},
		{"zero-width spaces between groups", "4111\u200b1111\u200b1111\u200b1111", "card=1"},
		{"zero-width spaces inside a keyword-less block", "ID 4111\u200b111111111111", ""},
		{"a decimal is not a group", "4111.11", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scanOne(Config{}, tt.text); got != tt.want {
				t.Errorf("scan(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestPeopleLists(t *testing.T) {
	signature := "--\n山田 太郎\n株式会社サンプル 営業部\n〒100-0001 東京都千代田区千代田1-1\nTEL 03-1234-5678 / 携帯 090-1234-5678\nyamada@example.co.jp\n"
	invoice := "請求明細\n山田商事 御中 ¥120,000\n佐藤工業 御中 ¥98,000\n鈴木建設 御中 ¥45,500\n高橋商店 御中 ¥12,000\n田中産業 御中 ¥7,000\n"
	orders := "注文番号 0012-3456-7890 2024/01/15 ¥3,000\n注文番号 0012-3456-7891 2024/01/16 ¥4,000\n注文番号 0012-3456-7892 2024/01/17 ¥5,000\n注文番号 0012-3456-7893 2024/01/18 ¥6,000\n注文番号 0012-3456-7894 2024/01/19 ¥7,000\n"
	dates := peopleRows(6, "NAME 2024/03/01 出席")
	tests := []struct {
		name, text, want string
	}{
		{"five rows name + phone", peopleRows(5, "NAME PHONE"), "people-list=5"},
		{"four rows is not a list", peopleRows(4, "NAME PHONE"), ""},
		{"CSV with header", "氏名,電話番号,住所\n" + peopleRows(6, "NAME,PHONE,東京都港区1-2-3"), "people-list=6"},
		{"TSV", peopleRows(5, "NAME\tPHONE"), "people-list=5"},
		{"quoted in a reply", peopleRows(5, "> NAME PHONE"), "people-list=5"},
		{"birth dates under a header", "氏名 生年月日\n" + peopleRows(5, "NAME 1985/04/12"), "people-list=5"},
		{"personal mail", peopleRows(5, "NAME taro@gmail.com"), "people-list=5"},
		{"postal addresses", peopleRows(5, "NAME 〒150-0001 東京都渋谷区神宮前1-1"), "people-list=5"},
		{"labelled blocks", strings.Repeat("氏名：山田 太郎\n電話：090-1234-5678\n\n", 1) + "氏名：佐藤 花子\n電話：080-2345-6789\n\n氏名：鈴木 一郎\n電話：070-3456-7890\n\n氏名：高橋 美咲\n電話：03-1234-5678\n\n氏名：田中 健太\n電話：06-2345-6789\n", "people-list=5"},
		{"duplicate rows count once", peopleRows(3, "NAME PHONE") + peopleRows(3, "NAME PHONE"), ""},
		{"signature block", signature + signature, ""},
		{"single contact", "山田 太郎 090-1234-5678\n", ""},
		{"invoice with amounts", invoice, ""},
		{"order numbers and dates", orders, ""},
		{"names with dates, no birth column", dates, ""},
		{"hiragana given names after a space", "山田 かおり 090-1234-5678\n田中 ともこ 080-2345-6789\n佐藤 のぞみ 070-3456-7890\n鈴木 はるか 03-1234-5678\n高橋 まゆみ 06-2345-6789\n", "people-list=5"},
		{"branch offices", "池田営業所 06-1234-5678\n上野支店 03-2345-6789\n森店 045-123-4567\n山田町役場 0193-82-1111\n石田工場 052-123-4567\n", ""},
		{"family names in sentences", "佐藤です 03-1234-5678\n山田の携帯 090-1234-5678\n鈴木から 080-2345-6789\n田中まで 070-3456-7890\n伊藤より 06-2345-6789\n", ""},
		{"ten rows padded apart by prose", strings.Join(strings.Split(peopleRows(10, "NAME PHONE NN"), "\n"), "\n本文です。\n本文です。\n本文です。\n本文です。\n"), "people-list=10"},
		{"a quoted form record repeated", strings.Repeat("> 氏名：山田 太郎\n> 電話：090-1234-5678\n\n", 6), ""},
		{"rows split apart by prose", strings.Join(strings.Split(peopleRows(5, "NAME PHONE"), "\n"), "\n本文です。\n本文です。\n本文です。\n本文です。\n"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scanOne(Config{}, tt.text); got != tt.want {
				t.Errorf("scan(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestPatternsAndThresholds(t *testing.T) {
	member := Pattern{Name: "会員番号", Regexp: regexp.MustCompile(`M[0-9]{8}`), Keywords: []string{"会員番号"}, MinCount: 2}
	tests := []struct {
		name string
		cfg  Config
		text string
		want string
	}{
		{"pattern with keyword, two matches", Config{Patterns: []Pattern{member}}, "会員番号 M12345678, M23456789", "pattern:会員番号=2"},
		{"pattern below minimum", Config{Patterns: []Pattern{member}}, "会員番号 M12345678", ""},
		{"pattern without keyword", Config{Patterns: []Pattern{member}}, "M12345678 M23456789", ""},
		{"people threshold 3", Config{PeopleMinRows: 3}, peopleRows(3, "NAME PHONE"), "people-list=3"},
		{"my number threshold 2", Config{MyNumberMin: 2}, "マイナンバー 123456789018", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scanOne(tt.cfg, tt.text); got != tt.want {
				t.Errorf("scan(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestFindingsNeverHoldTheData checks that what a finding carries is masked.
func TestFindingsNeverHoldTheData(t *testing.T) {
	text := "マイナンバー 123456789018\n4111 1111 1111 1111\n" + peopleRows(5, "NAME PHONE")
	fs := New(Config{}).Scan([]Text{{Kind: "plain", Content: text}})
	if len(fs) != 3 {
		t.Fatalf("findings = %+v, want 3", fs)
	}
	for _, f := range fs {
		for _, m := range f.Masked {
			for _, secret := range []string{"123456789018", "4111111111111111", "09012345678", "山田", "5678"} {
				if strings.Contains(strings.ReplaceAll(m, "-", ""), secret) {
					t.Errorf("%s: masked %q holds %q", f.Kind, m, secret)
				}
			}
		}
	}
	if got := fs[0].Masked[0]; got != "1234****18" {
		t.Errorf("masked my number = %q", got)
	}
	if got := fs[2].Masked[0]; got != "0901****78" {
		t.Errorf("masked phone = %q", got)
	}
}
