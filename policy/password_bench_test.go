package policy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/policy"
)

// japaneseBody is ~200 KB of business Japanese with order numbers, codes and
// a few labelled values: about 1,500 password candidates.
func japaneseBody(size int) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "いつもお世話になっております。株式会社サンプル営業部の山田です。\n"+
			"ご注文番号 ORD-%06d の件、納期は%d月%d日となります。品番 AB%04d-X を%d個手配済みです。\n"+
			"ご不明な点がございましたら、担当 tanaka%d@example.co.jp までご連絡ください。\n", i, 1+i%12, 1+i%28, i%9999, 1+i%50, i%100)
		if i%40 == 0 {
			fmt.Fprintf(&b, "参照コード：Ref%05dZ\n", i)
		}
	}
	return b.String()
}

// BenchmarkPasswordTrials evaluates a message with a 200 KB Japanese body
// and a protected ZIP whose password is NOT in the mail: the worst case,
// every candidate is tried (ZipCrypto) or every labelled one (AES).
func BenchmarkPasswordTrials(b *testing.B) {
	body := japaneseBody(200 << 10)
	env := policy.Envelope{From: "alice@example.co.jp", To: []string{"bob@partner.example.com"}}
	for _, name := range []string{"zipcrypto.zip", "aes256.zip"} {
		b.Run(name, func(b *testing.B) {
			t := &testing.T{}
			msg := mailWith("見積書", body, "", part{"見積書.zip", "application/zip", fixture(t, name)})
			p := compile(t, policy.Config{})
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v := evaluate(t, p, env, msg)
				if v.Action != policy.Pass {
					b.Fatalf("verdict %v: %+v", v.Action, v.Findings)
				}
			}
		})
	}
}
