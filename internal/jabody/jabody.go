// Package jabody makes Japanese business mail text for benchmarks and
// equivalence tests: prose with order numbers, dates, part codes and
// addresses, the tokens a password search has to look at.
package jabody

import (
	"fmt"
	"strings"
)

// Orders returns about size bytes (a little more) of order confirmations,
// one paragraph per order, with a labelled reference code every 40th: about
// 1,500 password candidates in 200 KB.
func Orders(size int) string {
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
