package bench_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/sendguard/sendguard/policy"
)

// BenchmarkEvaluate is policy.Evaluate alone (MIME walk and every rule) on
// the load tool's messages, one core: the CPU the checks cost a message.
func BenchmarkEvaluate(b *testing.B) {
	pol, _, err := policy.Compile(policy.Config{Domains: policy.DomainsConfig{
		Internal: []string{"example.co.jp"}, Verified: []string{"partner.example.com"}}})
	if err != nil {
		b.Fatal(err)
	}
	env := policy.Envelope{From: "alice@example.co.jp", To: []string{"bob@partner.example.com"}}
	for i, m := range messages(b) {
		raw := m.Bytes(1)
		b.Run(msgNames[i], func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for n := 0; n < b.N; n++ {
				if _, err := pol.Evaluate(context.Background(), env, bytes.NewReader(raw), int64(len(raw))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
