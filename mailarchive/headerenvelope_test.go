package mailarchive_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/mailarchive"
)

func TestHeaderEnvelope(t *testing.T) {
	for _, c := range []struct {
		name, msg string
		from      string
		to        []string
	}{
		{"plain", "From: Taro <taro@example.co.jp>\r\nTo: bob@partner.example.com\r\nSubject: s\r\n\r\nTo: body@evil.example\r\n",
			"taro@example.co.jp", []string{"bob@partner.example.com"}},
		{"every To, Cc and Bcc field counts",
			"From: taro@example.co.jp\r\nTo: a@x.example\r\nCc: c@x.example\r\nTo: b@y.example,\r\n\td@y.example\r\nBcc: e@z.example\r\n\r\n",
			"taro@example.co.jp", []string{"a@x.example", "b@y.example", "d@y.example", "c@x.example", "e@z.example"}},
		{"display names in ISO-2022-JP",
			"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <taro@example.co.jp>\r\nTo: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <bob@partner.example.com>\r\n\r\n",
			"taro@example.co.jp", []string{"bob@partner.example.com"}},
		{"after an mbox From line and a line that is not a field",
			"From taro@example.co.jp Sat Dec  5 10:30:00 2026\nnot a field\nFrom: taro@example.co.jp\nTo: bob@partner.example.com\n\n",
			"taro@example.co.jp", []string{"bob@partner.example.com"}},
		{"an unparsable list gives no address", "From: <<<\r\nTo: bob@partner.example.com\r\n\r\n", "", []string{"bob@partner.example.com"}},
		{"no header", "\r\nFrom: body@evil.example\r\n", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			from, to := mailarchive.HeaderEnvelope(strings.NewReader(c.msg))
			if from != c.from || !reflect.DeepEqual(to, c.to) {
				t.Errorf("got %q %q, want %q %q", from, to, c.from, c.to)
			}
		})
	}
}
