package notify

import (
	"fmt"
	"testing"
	"time"
)

// TestRateLimiterForgets: senders whose bucket is full again are dropped, so
// many senders do not grow the limiter without bound.
func TestRateLimiterForgets(t *testing.T) {
	now := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	l := NewRateLimiter(3, time.Minute, func() time.Time { return now })
	for i := 0; i < 5000; i++ {
		l.Allow(fmt.Sprintf("user%d@example.co.jp", i))
	}
	if len(l.buckets) != 5000 {
		t.Fatalf("%d senders tracked, want 5000", len(l.buckets))
	}
	now = now.Add(time.Minute)
	for i := 0; i < 1024; i++ {
		l.Allow("late@example.co.jp")
	}
	if len(l.buckets) != 1 {
		t.Errorf("%d senders tracked after a window, want 1", len(l.buckets))
	}
}
