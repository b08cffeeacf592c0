package personal

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzScan checks that the scanners never panic on any text, that counts
// are positive, and that no masked fragment gives away a whole number or a
// long run of the input.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"マイナンバー 123456789018", "4111 1111 1111 1111", peopleRows(6, "NAME PHONE"),
		"氏名,電話\n" + peopleRows(5, "NAME,PHONE"), "〒1", "+81", "0", "1234-", "@", "生年月日 1985/", "氏名：",
		"昭和", "東京都", strings.Repeat("9", 40), "\xff\xfe", "ヤマダ タロウ 090-1234-5678",
	} {
		f.Add(s)
	}
	member := Pattern{Name: "会員番号", Regexp: regexp.MustCompile(`M[0-9]{8}`), Keywords: []string{"会員番号"}, MinCount: 1}
	s := New(Config{PeopleMinRows: 2, Patterns: []Pattern{member}})
	long := regexp.MustCompile(`[0-9]{7,}`)
	f.Fuzz(func(t *testing.T, text string) {
		for _, fd := range s.Scan([]Text{{Kind: "plain", Content: text}}) {
			if fd.Count <= 0 {
				t.Fatalf("finding with count %d: %+v", fd.Count, fd)
			}
			if len(fd.Masked) > maxMasked {
				t.Fatalf("%d masked fragments", len(fd.Masked))
			}
			for _, m := range fd.Masked {
				if long.MatchString(m) {
					t.Fatalf("masked fragment %q shows seven digits", m)
				}
				if !utf8.ValidString(m) && utf8.ValidString(text) {
					t.Fatalf("masked fragment %q is not UTF-8", m)
				}
			}
		}
	})
}
