package inspect

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-message"
)

func pctBytes(s string) string {
	var sb strings.Builder
	for _, c := range []byte(s) {
		fmt.Fprintf(&sb, "%%%02X", c)
	}
	return sb.String()
}

// TestFileName covers the file-name encodings Japanese mailers send.
func TestFileName(t *testing.T) {
	sj := func(s string) string { return sjisString(t, s) }
	jis := func(s string) string { return jisString(t, s) }
	eucjp := func(s string) string {
		out, err := eucEncode(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name   string
		cd, ct string // Content-Disposition, Content-Type
		want   string
	}{
		{"plain ASCII", `attachment; filename="report.pdf"`, "", "report.pdf"},
		{"none", `inline`, "text/plain", ""},
		{"RFC 2047 ISO-2022-JP inside quotes (Outlook)", `attachment; filename="=?ISO-2022-JP?B?GyRCJUYlOSVIGyhCLnppcA==?="`, "", "テスト.zip"},
		{"RFC 2047 Shift_JIS", `attachment; filename="=?Shift_JIS?B?` + b64String(sj("見積書.xlsx")) + `?="`, "", "見積書.xlsx"},
		{"RFC 2047 split in two words", `attachment; filename="=?UTF-8?B?6KuL5rGC?= =?UTF-8?B?5pu4LnBkZg==?="`, "", "請求書.pdf"},
		{"RFC 2047 in cp932 (not known to go-message)", `attachment; filename="=?cp932?B?` + b64String(sj("①議事録.doc")) + `?="`, "", "①議事録.doc"},
		{"RFC 2231 UTF-8 (Thunderbird)", `attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf`, "", "請求書.pdf"},
		{"RFC 2231 ISO-2022-JP (Becky!)", `attachment; filename*=iso-2022-jp'ja'` + pctBytes(jis("予算表.xlsx")), "", "予算表.xlsx"},
		{"RFC 2231 Shift_JIS", `attachment; filename*=shift_jis'ja'` + pctBytes(sj("予定表.xls")), "", "予定表.xls"},
		{"RFC 2231 EUC-JP", `attachment; filename*=euc-jp''` + pctBytes(eucjp("資料.txt")), "", "資料.txt"},
		{"RFC 2231 continuations UTF-8", `attachment; filename*0*=UTF-8''%E8%AB%8B%E6%B1%82; filename*1*=%E6%9B%B8.pdf`, "", "請求書.pdf"},
		{"RFC 2231 continuations ISO-2022-JP, escape split", `attachment; filename*0*=iso-2022-jp'ja'` + pctBytes(jis("打合せ"))[:10] + `; filename*1*=` + pctBytes(jis("打合せ"))[10:] + `.txt`, "", "打合せ.txt"},
		{"RFC 2231 continuations, mixed plain section", `attachment; filename*0*=UTF-8''%E8%AB%8B; filename*1="_100%.pdf"`, "", "請_100%.pdf"},
		{"RFC 2231 continuations out of order", `attachment; filename*1*=%E6%9B%B8.pdf; filename*0*=UTF-8''%E8%AB%8B%E6%B1%82`, "", "請求書.pdf"},
		{"RFC 2231 wins over plain", `attachment; filename="fallback.pdf"; filename*=UTF-8''%E8%AB%8B.pdf`, "", "請.pdf"},
		{"raw UTF-8", `attachment; filename="請求書.pdf"`, "", "請求書.pdf"},
		{"raw Shift_JIS with 0x5C trail bytes", `attachment; filename="` + sj("予定表.xls") + `"`, "", "予定表.xls"},
		{"raw Shift_JIS, 0x5C before the closing quote", `attachment; filename="` + sj("ソ") + `"; size=3`, "", "ソ"},
		{"raw EUC-JP", `attachment; filename="` + eucjp("議事録.txt") + `"`, "", "議事録.txt"},
		{"raw ISO-2022-JP", `attachment; filename="` + jis("議事録.txt") + `"`, "", "議事録.txt"},
		{"unquoted with spaces", `attachment; filename=my report 2024.pdf`, "", "my report 2024.pdf"},
		{"unquoted raw Shift_JIS with spaces", `attachment; filename=` + sj("ソフト 一覧.csv"), "", "ソフト 一覧.csv"},
		{"Content-Type name only", "", `application/pdf; name="=?ISO-2022-JP?B?GyRCJUYlOSVIGyhCLnBkZg==?="`, "テスト.pdf"},
		{"Content-Type name RFC 2231 ISO-2022-JP", "attachment", `application/pdf; name*=iso-2022-jp''` + pctBytes(jis("仕様書.pdf")), "仕様書.pdf"},
		{"Content-Type name unquoted spaces", "", `application/pdf; name=a b.pdf`, "a b.pdf"},
		{"disposition broken, type fine", `attachment; filename=x y.pdf; filename=z.pdf`, `application/pdf; name="fine.pdf"`, "x y.pdf"},
		{"unterminated quote", `attachment; filename="half.pdf`, "", "half.pdf"},
		{"name on Content-Disposition", `attachment; name="odd.pdf"`, "", "odd.pdf"},
		{"filename on Content-Type", "", `application/pdf; filename="odd2.pdf"`, "odd2.pdf"},
		{"escaped quote", `attachment; filename="say \"hi\".txt"`, "", `say "hi".txt`},
		{"unknown charset in RFC 2231, bytes guessed", `attachment; filename*=x-mac-japanese''` + pctBytes(sj("資料.txt")), "", "資料.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h message.Header
			if tc.cd != "" {
				h.Set("Content-Disposition", tc.cd)
			}
			if tc.ct != "" {
				h.Set("Content-Type", tc.ct)
			}
			if got := fileName(h); got != tc.want {
				t.Errorf("fileName = %q, want %q", got, tc.want)
			}
		})
	}
}
