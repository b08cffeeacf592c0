package smtpfilter

import (
	"net/netip"
	"testing"
	"time"
)

// TestAuthLockoutCountsIPv6By64: failures from several addresses of one
// IPv6 /64 lock the whole /64 out (a host picks any address in its /64);
// the next /64 and an IPv4 client are not affected; an IPv4-mapped address
// is the IPv4 client.
func TestAuthLockoutCountsIPv6By64(t *testing.T) {
	g := newAuthGuard(3, time.Minute)
	for _, a := range []string{"2001:db8::1", "2001:db8::2", "2001:db8::ffff:3"} {
		g.fail(netip.MustParseAddr(a))
	}
	cases := []struct {
		addr   string
		locked bool
	}{
		{"2001:db8::99", true},
		{"2001:db8:0:0:abcd::1", true},
		{"2001:db8:0:1::1", false},
		{"192.0.2.1", false},
	}
	for _, c := range cases {
		if _, got := g.locked(netip.MustParseAddr(c.addr)); got != c.locked {
			t.Errorf("%s locked = %v, want %v", c.addr, got, c.locked)
		}
	}
	for _, a := range []string{"192.0.2.7", "::ffff:192.0.2.7", "192.0.2.7"} {
		g.fail(netip.MustParseAddr(a))
	}
	if _, got := g.locked(netip.MustParseAddr("192.0.2.7")); !got {
		t.Error("3 failures from 192.0.2.7, one written IPv4-mapped: not locked out")
	}
}

// TestAuthGuardKeepsLockoutsWhenFull: a flood of failures from fresh
// addresses, past the table's bound, does not push a locked-out client out
// of the table (it used to drop the oldest entry, which is the lockout).
func TestAuthGuardKeepsLockoutsWhenFull(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	g := newAuthGuard(3, time.Minute)
	g.now = func() time.Time { return now }
	g.limit = 8
	guesser := netip.MustParseAddr("198.51.100.1")
	for i := 0; i < 3; i++ {
		g.fail(guesser)
	}
	for i := 0; i < 100; i++ {
		now = now.Add(100 * time.Millisecond)
		g.fail(netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}))
		if len(g.clients) > g.limit {
			t.Fatalf("table holds %d entries, bound %d", len(g.clients), g.limit)
		}
	}
	if _, locked := g.locked(guesser); !locked {
		t.Error("the locked-out client was dropped from the table by failures from 100 other addresses")
	}
}

// TestConnectionsPerIPCountIPv6By64: max_connections_per_ip counts an
// IPv6 client by its /64.
func TestConnectionsPerIPCountIPv6By64(t *testing.T) {
	l := &limitListener{byIP: map[netip.Addr]int{}, open: map[string]*countedConn{}}
	cfg := &Config{MaxConnectionsPerIP: 2}
	for i, a := range []string{"2001:db8::1", "2001:db8::2", "2001:db8::3"} {
		reason := l.admitLocked(cfg, netip.MustParseAddr(a), false)
		if (i < 2) != (reason == "") {
			t.Errorf("connection %d from %s: refused %q", i+1, a, reason)
		}
	}
	if reason := l.admitLocked(cfg, netip.MustParseAddr("2001:db8:0:1::1"), false); reason != "" {
		t.Errorf("another /64 refused: %q", reason)
	}
}
