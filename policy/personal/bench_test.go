package personal

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/sendguard/sendguard/internal/jabody"
)

// japaneseBody is about 200 KB of ordinary Japanese business mail in NFKC:
// prose, quoted replies, signatures with phone numbers and addresses,
// amounts, dates and order numbers, and no personal data list.
func japaneseBody() string {
	para := `お世話になっております。株式会社サンプルの山田です。
先日ご依頼いただいた見積書の件、2024年4月15日までにご回答いたします。
注文番号 0012-3456-7890 の商品は、本日発送いたしました（追跡番号 1234-5678-9012）。
ご請求金額は ¥128,000（税込）です。お振込期限は 2024/05/31 となります。
> 前回のお打ち合わせでは、東京都千代田区の本社にて詳細をご説明いたしました。
> ご不明な点がございましたら、お気軽にお問い合わせください。
--
山田 太郎
株式会社サンプル 営業部
〒100-0001 東京都千代田区千代田1-1
TEL 03-1234-5678 / 携帯 090-1234-5678
yamada@example.co.jp

`
	var b strings.Builder
	for b.Len() < 200<<10 {
		b.WriteString(para)
	}
	return norm.NFKC.String(b.String())
}

// BenchmarkScan200KB scans a 200 KB Japanese body (target: under 5 ms on
// one core; see bench/README.md).
func BenchmarkScan200KB(b *testing.B) {
	body := japaneseBody()
	s := New(Config{})
	texts := []Text{{Kind: "plain", Content: body}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if fs := s.Scan(texts); len(fs) != 0 {
			b.Fatalf("clean body judged: %+v", fs)
		}
	}
}

// BenchmarkScanOrders200KB scans the 200 KB Japanese order list the
// password benchmark uses (internal/jabody): many numbers, no people.
func BenchmarkScanOrders200KB(b *testing.B) {
	body := norm.NFKC.String(jabody.Orders(200 << 10))
	s := New(Config{})
	texts := []Text{{Kind: "plain", Content: body}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if fs := s.Scan(texts); len(fs) != 0 {
			b.Fatalf("order list judged: %+v", fs)
		}
	}
}
