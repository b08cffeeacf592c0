package policy_test

import (
	"testing"

	"github.com/sendguard/sendguard/internal/jabody"
	"github.com/sendguard/sendguard/policy"
)

// BenchmarkPasswordTrials evaluates a message with a 200 KB Japanese body
// and a protected ZIP whose password is NOT in the mail: the worst case,
// every candidate is tried (ZipCrypto) or every labelled one (AES).
func BenchmarkPasswordTrials(b *testing.B) {
	body := jabody.Orders(200 << 10)
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
