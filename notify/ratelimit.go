package notify

import (
	"strings"
	"sync"
	"time"
)

// Defaults of a RateLimiter.
const (
	DefaultRateLimit  = 10
	DefaultRateWindow = time.Hour
)

// maxTrackedSenders bounds a RateLimiter's memory; past it a sender not yet
// tracked is refused (the gateway then answers in the SMTP session).
const maxTrackedSenders = 100_000

// RateLimiter limits how many mails one sender gets from sendguard: a token
// bucket per sender holding Limit tokens, refilled at Limit per Window, so
// at most Limit mails in a burst and Limit per Window after that. It is safe
// for concurrent use.
type RateLimiter struct {
	limit  float64
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	calls   int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewRateLimiter returns a limiter allowing limit mails per window per
// sender (limit <= 0: DefaultRateLimit; window <= 0: DefaultRateWindow). now
// is the clock (nil: time.Now).
func NewRateLimiter(limit int, window time.Duration, now func() time.Time) *RateLimiter {
	if limit <= 0 {
		limit = DefaultRateLimit
	}
	if window <= 0 {
		window = DefaultRateWindow
	}
	if now == nil {
		now = time.Now
	}
	return &RateLimiter{limit: float64(limit), window: window, now: now, buckets: map[string]*bucket{}}
}

// Allow takes one token of the sender's (compared case-insensitively) and
// reports whether there was one.
func (l *RateLimiter) Allow(sender string) bool {
	key := strings.ToLower(strings.TrimSpace(sender))
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%1024 == 0 || len(l.buckets) >= maxTrackedSenders {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxTrackedSenders {
			return false
		}
		b = &bucket{tokens: l.limit, last: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *RateLimiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens += l.limit * float64(elapsed) / float64(l.window)
		if b.tokens > l.limit {
			b.tokens = l.limit
		}
	}
	b.last = now
}

// sweep forgets senders whose bucket is full again: they are as new.
func (l *RateLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.last) >= l.window {
			delete(l.buckets, k)
		}
	}
}
