package milter_test

import (
	"strings"
	"testing"

	gomilter "github.com/d--j/go-milter"

	"github.com/sendguard/sendguard/milter"
)

// BenchmarkMessage is one message through a milter session over loopback,
// as an MTA sends it (the client's cost included): go test -bench Message
// -cpuprofile to see the milter's share.
func BenchmarkMessage(b *testing.B) {
	// The shipped spool_memory_bytes: a 5 KB mail stays in memory.
	h := start(b, func(c *milter.Config) { c.SpoolMemoryBytes = 1 << 20 })
	msg := plainMail + strings.Repeat("お世話になっております。本日の会議の資料をお送りします。\r\n", 60)
	s := h.session()
	defer s.Close()
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		res := h.sendOn(s, "taro@example.co.jp", []string{"bob@partner.example.com"}, msg)
		if res.act.Type != gomilter.ActionAccept {
			b.Fatalf("got %v", res.act)
		}
	}
}
