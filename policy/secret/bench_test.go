package secret

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/internal/jabody"
)

// japaneseBody generates about size bytes of Japanese business mail: a
// greeting, paragraphs of polite prose with order numbers, dates, amounts,
// URLs and addresses, quoted replies, a few password labels (statements and
// compliant phrasing) and a signature.
func japaneseBody(size int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 0x5e17d))
	sentences := []string{
		"いつも大変お世話になっております。",
		"先日はお忙しいところお時間をいただき、誠にありがとうございました。",
		"ご依頼いただいておりました見積書を添付にてお送りいたします。",
		"内容をご確認のうえ、ご不明な点がございましたらお気軽にお問い合わせください。",
		"納期につきましては、ご発注後およそ2週間を予定しております。",
		"なお、本見積の有効期限は発行日より30日間となっております。",
		"引き続きどうぞよろしくお願い申し上げます。",
		"次回のお打ち合わせは%d月%d日（%s）%d時からを予定しております。",
		"注文番号 ORD-%06d の件につきまして、出荷手配が完了いたしました。",
		"請求金額は合計 %d,%03d 円（税込）でございます。",
		"詳細は弊社サイト https://www.example.co.jp/news/%d をご参照ください。",
		"担当：営業部 佐藤（sato%d@example.co.jp）までご連絡ください。",
		"社内で検討いたしましたところ、下記の条件にて進めさせていただきたく存じます。",
		"ご多忙のところ恐縮ですが、今週中にご返信いただけますと幸いです。",
		"添付ファイルは社外秘のため、取り扱いにはご注意ください。",
		"資料の改訂版（第%d版）を共有フォルダに格納いたしました。",
		"会議室はＡ棟３階の第２会議室をご用意しております。",
		"ＰＯ番号：ＰＯ－%05d、品番：ＸＫ－%03d を確認いたしました。",
	}
	labels := []string{
		"添付ファイルのパスワードは別途お送りいたします。",
		"パスワードは別メールにてご連絡いたします。",
		"※パスワードを忘れた場合は https://portal.example.co.jp/reset からお手続きください。",
		"解凍パスワード：Tk%04dQz",
		"パスワードは「%04dabc」です。",
		"【パスワード】\nHx%05d",
	}
	days := []string{"月", "火", "水", "木", "金"}
	var b strings.Builder
	b.WriteString("株式会社サンプル\n営業部 田中様\n\n")
	for b.Len() < size {
		switch n := rng.IntN(100); {
		case n < 2:
			b.WriteString(fmt.Sprintf(labels[rng.IntN(len(labels))], rng.IntN(100000)))
			b.WriteString("\n")
		case n < 6:
			b.WriteString("\n> ")
			b.WriteString(sentences[rng.IntN(7)])
			b.WriteString("\n> ")
			b.WriteString(sentences[rng.IntN(7)])
			b.WriteString("\n\n")
		case n < 8:
			b.WriteString("\n──────────────────\n株式会社サンプル 営業部\n佐藤 太郎\nTEL: 03-1234-5678 / FAX: 03-1234-5679\n──────────────────\n")
		default:
			s := sentences[rng.IntN(len(sentences))]
			if strings.Contains(s, "%") {
				switch strings.Count(s, "%") {
				case 1:
					s = fmt.Sprintf(s, rng.IntN(1000000))
				case 2:
					s = fmt.Sprintf(s, rng.IntN(1000), rng.IntN(1000))
				case 4:
					s = fmt.Sprintf(s, 1+rng.IntN(12), 1+rng.IntN(28), days[rng.IntN(5)], 9+rng.IntN(8))
				}
			}
			b.WriteString(s)
			if rng.IntN(4) == 0 {
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

func TestJapaneseBody(t *testing.T) {
	body := japaneseBody(200<<10, 1)
	r := mustNew(t, Config{}).Find([]Text{{Kind: "plain", Path: "1", Content: body}})
	if len(r.Statements) == 0 || !r.Compliant || len(r.Candidates) == 0 || len(r.Candidates) > DefaultMaxCandidates {
		t.Fatalf("%d statements, compliant %v, %d candidates", len(r.Statements), r.Compliant, len(r.Candidates))
	}
	for _, c := range r.Candidates {
		if c.Labelled && strings.Contains(c.Value, "example") {
			t.Errorf("labelled candidate %q", c.Value)
		}
	}
}

func BenchmarkFind200KB(b *testing.B) {
	body := japaneseBody(200<<10, 1)
	f := mustNew(b, Config{})
	texts := []Text{{Kind: "subject", Content: "見積書送付の件"}, {Kind: "plain", Path: "1", Content: body}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var r Result
	for b.Loop() {
		r = f.Find(texts)
	}
	b.ReportMetric(float64(len(r.Candidates)), "candidates")
	b.ReportMetric(float64(len(r.Statements)), "statements")
}

// BenchmarkFindOrders200KB scans the body of the policy's
// BenchmarkPasswordTrials: fewer labels, more repeated tokens.
func BenchmarkFindOrders200KB(b *testing.B) {
	body := jabody.Orders(200 << 10)
	f := mustNew(b, Config{})
	texts := []Text{{Kind: "subject", Content: "見積書"}, {Kind: "plain", Path: "1", Content: body}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		f.Find(texts)
	}
}
