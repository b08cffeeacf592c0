package smtpfilter

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"golang.org/x/crypto/bcrypt"
)

// maxAuthFailures is how many failed AUTH attempts a connection gets.
const maxAuthFailures = 3

// dummyHash is compared against when the user name is unknown, so that a
// wrong name costs as long as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("sendguard-no-such-user"), bcrypt.DefaultCost)

// checkPassword verifies name and password against the configured users.
func checkPassword(users map[string][]byte, name, password string) bool {
	hash, ok := users[name]
	if !ok {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

// loginServer is the server side of the obsolete but widely used AUTH LOGIN
// (draft-murchison-sasl-login): "Username:" and "Password:" challenges.
// go-sasl ships no LOGIN server; Outlook-era MTAs still use it.
type loginServer struct {
	verify   func(name, password string) error
	step     int
	username string
}

var (
	loginUser = []byte("Username:")
	loginPass = []byte("Password:")
)

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step = 1
		if len(response) == 0 {
			return loginUser, false, nil
		}
		fallthrough // the user name came as the initial response
	case 1:
		l.username = string(bytes.TrimSpace(response))
		l.step = 2
		return loginPass, false, nil
	case 2:
		l.step = 3
		return nil, true, l.verify(l.username, string(response))
	}
	return nil, true, errors.New("unexpected AUTH LOGIN response")
}

var _ sasl.Server = (*loginServer)(nil)

// authGuard counts failed AUTH attempts per client (IPv4 address, IPv6
// /64: clientKey) across connections and locks a client out once it fails
// too often within the window: a password-guessing client cannot just
// reconnect, or move to the next address of its /64, for more tries.
// The table is bounded: past limit entries, expired entries are dropped
// first, then the oldest client that is not locked out, and only when
// every entry is a lockout the one that ends soonest (so a flood of
// failures from other addresses cannot push a lockout out of the table).
type authGuard struct {
	mu      sync.Mutex
	max     int
	window  time.Duration
	limit   int // entries in clients at most
	clients map[netip.Addr]*authRecord
	now     func() time.Time
}

type authRecord struct {
	first    time.Time // start of the counting window
	failures int
	until    time.Time // locked out until then (zero: not locked)
}

const maxGuardEntries = 100000

// Defaults for the per-IP AUTH lockout.
const (
	DefaultAuthFailuresPerIP = 10
	DefaultAuthLockout       = 15 * time.Minute
)

func newAuthGuard(max int, window time.Duration) *authGuard {
	g := &authGuard{clients: map[netip.Addr]*authRecord{}, now: time.Now, limit: maxGuardEntries}
	g.setLimits(max, window)
	return g
}

func (g *authGuard) setLimits(max int, window time.Duration) {
	if window <= 0 {
		window = DefaultAuthLockout
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.max, g.window = max, window
}

// locked reports whether ip is locked out now, and until when.
func (g *authGuard) locked(ip netip.Addr) (time.Time, bool) {
	ip = clientKey(ip)
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.clients[ip]
	if r == nil || g.max <= 0 {
		return time.Time{}, false
	}
	if now := g.now(); now.Before(r.until) {
		return r.until, true
	}
	return time.Time{}, false
}

// fail counts a failure from ip; true when this failure starts a lockout.
func (g *authGuard) fail(ip netip.Addr) bool {
	ip = clientKey(ip)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.max <= 0 {
		return false
	}
	now := g.now()
	r := g.clients[ip]
	if r == nil || now.Sub(r.first) > g.window {
		if r == nil {
			g.makeRoomLocked(now)
		}
		r = &authRecord{first: now}
		g.clients[ip] = r
	}
	r.failures++
	if r.failures >= g.max && !now.Before(r.until) {
		r.until = now.Add(g.window)
		return true
	}
	return false
}

// succeed forgets the failures of ip.
func (g *authGuard) succeed(ip netip.Addr) {
	ip = clientKey(ip)
	g.mu.Lock()
	defer g.mu.Unlock()
	if r := g.clients[ip]; r != nil && !g.now().Before(r.until) {
		delete(g.clients, ip)
	}
}

func (g *authGuard) makeRoomLocked(now time.Time) {
	if len(g.clients) < g.limit {
		return
	}
	var oldest, soonest netip.Addr
	var oldestAt, soonestAt time.Time
	for ip, r := range g.clients {
		lockedOut := now.Before(r.until)
		switch {
		case now.Sub(r.first) > g.window && !lockedOut:
			delete(g.clients, ip)
		case !lockedOut:
			if oldestAt.IsZero() || r.first.Before(oldestAt) {
				oldest, oldestAt = ip, r.first
			}
		default:
			if soonestAt.IsZero() || r.until.Before(soonestAt) {
				soonest, soonestAt = ip, r.until
			}
		}
	}
	if len(g.clients) < g.limit {
		return
	}
	if !oldestAt.IsZero() {
		delete(g.clients, oldest)
	} else {
		delete(g.clients, soonest)
	}
}

// printableName is a claimed user name as it may appear in a log line:
// control characters replaced by '?', cut after 64 bytes.
func printableName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if b.Len() >= 64 {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r == 0x7f {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
