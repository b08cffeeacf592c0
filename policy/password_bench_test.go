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
				// ZipCrypto: every candidate is tried, the mail passes.
				// AES-256: the priority candidates and 100 others are
				// tried (a third of a millisecond each); the other ASCII tokens of the
				// 200 KB order list are not, and the flag says so.
				want := policy.Pass
				if name == "aes256.zip" {
					want = policy.Flag
				}
				if v.Action != want || want == policy.Flag && (len(v.Findings) != 1 || v.Findings[0].Variant != "incomplete") {
					b.Fatalf("verdict %v: %+v", v.Action, v.Findings)
				}
			}
		})
	}
}
