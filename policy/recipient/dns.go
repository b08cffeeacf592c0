package recipient

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Resolution is the result of the DNS check of a recipient domain.
type Resolution int

const (
	// NotChecked: the check is off, or was not run for this domain.
	NotChecked Resolution = iota
	// Resolvable: the domain has an MX (other than a null MX), or no MX but
	// an A or AAAA record (the implicit MX of RFC 5321 §5.1), after
	// following CNAMEs.
	Resolvable
	// Unresolvable: NXDOMAIN, a null MX (RFC 7505), or no MX, A or AAAA
	// record at all (NODATA for all three): the domain does not accept mail.
	Unresolvable
	// Unknown: the resolver timed out, failed (SERVFAIL, REFUSED, ...) or
	// could not be reached. Our own network trouble is never a reason to
	// reject, so this is not Unresolvable.
	Unknown
)

func (r Resolution) String() string {
	switch r {
	case Resolvable:
		return "resolvable"
	case Unresolvable:
		return "unresolvable"
	case Unknown:
		return "unknown"
	}
	return "not-checked"
}

// DNSConfig configures the resolvability check.
type DNSConfig struct {
	// Resolver is the recursive resolver's address, host:port (a bare host
	// gets port 53). Required.
	Resolver string
	// Timeout bounds one query attempt (default 2 s); Attempts is the number
	// of attempts over UDP before giving up as Unknown (default 2).
	Timeout  time.Duration
	Attempts int
	// CacheSize bounds the number of cached domains (default 10000; least
	// recently used entries go first).
	CacheSize int
	// MaxTTL caps how long a positive answer is cached (default 1 h); the
	// records' own TTL applies when shorter.
	MaxTTL time.Duration
	// NegativeTTL caps how long an unresolvable answer is cached (default
	// 5 min); the SOA minimum (RFC 2308) applies when shorter.
	NegativeTTL time.Duration
	// UnknownTTL is how long an Unknown result is cached, so that a dead
	// resolver does not cost every message a timeout (default 0: not
	// cached).
	UnknownTTL time.Duration
}

// ednsSize is the EDNS0 UDP payload size advertised (the DNS Flag Day 2020
// value, which avoids IP fragmentation).
const ednsSize = 1232

// defaultNegativeTTL is used for a negative answer without an SOA record.
const defaultNegativeTTL = 60 * time.Second

// maxCNAMEHops bounds the CNAME chain followed by hand.
const maxCNAMEHops = 8

type dnsChecker struct {
	cfg  DNSConfig
	udp  *dns.Client
	tcp  *dns.Client
	now  func() time.Time
	mu   sync.Mutex
	lru  *list.List // of *cacheEntry, most recently used first
	byN  map[string]*list.Element
	call map[string]*dnsCall
}

type cacheEntry struct {
	domain  string
	res     Resolution
	detail  string
	expires time.Time
}

type dnsCall struct {
	done   chan struct{}
	res    Resolution
	detail string
}

func newDNSChecker(cfg DNSConfig) (*dnsChecker, error) {
	if cfg.Resolver == "" {
		return nil, errors.New("no resolver address")
	}
	if _, _, err := net.SplitHostPort(cfg.Resolver); err != nil {
		cfg.Resolver = net.JoinHostPort(strings.Trim(cfg.Resolver, "[]"), "53")
		if _, _, err := net.SplitHostPort(cfg.Resolver); err != nil {
			return nil, fmt.Errorf("resolver %q: %v", cfg.Resolver, err)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 2
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 10000
	}
	if cfg.MaxTTL <= 0 {
		cfg.MaxTTL = time.Hour
	}
	if cfg.NegativeTTL <= 0 {
		cfg.NegativeTTL = 5 * time.Minute
	}
	return &dnsChecker{
		cfg:  cfg,
		udp:  &dns.Client{Net: "udp", Timeout: cfg.Timeout, UDPSize: ednsSize},
		tcp:  &dns.Client{Net: "tcp", Timeout: cfg.Timeout},
		now:  time.Now,
		lru:  list.New(),
		byN:  map[string]*list.Element{},
		call: map[string]*dnsCall{},
	}, nil
}

// check returns the domain's Resolution, from the cache when it can. One
// look-up per domain runs at a time; concurrent callers share it.
func (c *dnsChecker) check(ctx context.Context, domain string) (Resolution, string) {
	if _, ok := dns.IsDomainName(domain); !ok {
		return NotChecked, "not a DNS name"
	}
	c.mu.Lock()
	if el, ok := c.byN[domain]; ok {
		e := el.Value.(*cacheEntry)
		if c.now().Before(e.expires) {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			return e.res, e.detail
		}
		c.lru.Remove(el)
		delete(c.byN, domain)
	}
	if cl, ok := c.call[domain]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
			return cl.res, cl.detail
		case <-ctx.Done():
			return Unknown, "cancelled: " + ctx.Err().Error()
		}
	}
	cl := &dnsCall{done: make(chan struct{})}
	c.call[domain] = cl
	c.mu.Unlock()

	res, detail, ttl := c.lookup(ctx, domain)

	c.mu.Lock()
	delete(c.call, domain)
	if ttl > 0 {
		c.store(&cacheEntry{domain: domain, res: res, detail: detail, expires: c.now().Add(ttl)})
	}
	c.mu.Unlock()
	cl.res, cl.detail = res, detail
	close(cl.done)
	return res, detail
}

// store adds e to the cache, evicting the least recently used entries over
// the size bound. c.mu is held.
func (c *dnsChecker) store(e *cacheEntry) {
	if el, ok := c.byN[e.domain]; ok {
		c.lru.Remove(el)
	}
	c.byN[e.domain] = c.lru.PushFront(e)
	for c.lru.Len() > c.cfg.CacheSize {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.byN, old.Value.(*cacheEntry).domain)
	}
}

// Len is the number of cached domains (for tests).
func (c *dnsChecker) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// answer is the outcome of one type's look-up.
type answer struct {
	state   answerState
	rrs     []dns.RR      // records of the asked type at the end of the CNAME chain
	ttl     time.Duration // positive: least TTL along the chain; negative: from the SOA
	problem string        // unknown: why
}

type answerState int

const (
	ansPositive answerState = iota
	ansNoData
	ansNXDomain
	ansUnknown
)

// lookup runs the MX, A and AAAA queries and says what they mean, with how
// long to cache that (0: do not cache).
func (c *dnsChecker) lookup(ctx context.Context, domain string) (Resolution, string, time.Duration) {
	capPos := func(t time.Duration) time.Duration { return min(t, c.cfg.MaxTTL) }
	capNeg := func(t time.Duration) time.Duration { return min(t, c.cfg.NegativeTTL) }
	unknown := func(why string) (Resolution, string, time.Duration) {
		if ctxDone(ctx) {
			return Unknown, why, 0 // the caller gave up: say nothing of the domain
		}
		return Unknown, why, c.cfg.UnknownTTL
	}

	mx := c.query(ctx, domain, dns.TypeMX)
	switch mx.state {
	case ansPositive:
		for _, rr := range mx.rrs {
			if m, ok := rr.(*dns.MX); ok && m.Mx != "." {
				return Resolvable, "MX", capPos(mx.ttl)
			}
		}
		return Unresolvable, "null MX", capNeg(mx.ttl)
	case ansNXDomain:
		return Unresolvable, "NXDOMAIN", capNeg(mx.ttl)
	case ansUnknown:
		// The resolver failed: asking it for A and AAAA as well would only
		// triple the wait, and the answer could still not be Unresolvable.
		return unknown(mx.problem)
	}
	// No MX: an A or AAAA record is an implicit MX.
	a := c.query(ctx, domain, dns.TypeA)
	if a.state == ansPositive {
		return Resolvable, "A (no MX)", capPos(a.ttl)
	}
	aaaa := c.query(ctx, domain, dns.TypeAAAA)
	if aaaa.state == ansPositive {
		return Resolvable, "AAAA (no MX)", capPos(aaaa.ttl)
	}
	for _, x := range []answer{a, aaaa} {
		if x.state == ansUnknown {
			return unknown(x.problem)
		}
	}
	if a.state == ansNXDomain || aaaa.state == ansNXDomain {
		return Unresolvable, "NXDOMAIN", capNeg(min(a.ttl, aaaa.ttl))
	}
	return Unresolvable, "no MX, A or AAAA records", capNeg(min(mx.ttl, a.ttl, aaaa.ttl))
}

// query asks for one type, following a CNAME chain the resolver did not
// follow itself.
func (c *dnsChecker) query(ctx context.Context, domain string, qtype uint16) answer {
	name := dns.Fqdn(domain)
	var ttl uint32 = 1<<31 - 1
	for hop := 0; hop <= maxCNAMEHops; hop++ {
		r, err := c.exchange(ctx, name, qtype)
		if err != nil {
			return answer{state: ansUnknown, problem: err.Error()}
		}
		switch r.Rcode {
		case dns.RcodeSuccess:
		case dns.RcodeNameError:
			return answer{state: ansNXDomain, ttl: negativeTTL(r)}
		default:
			return answer{state: ansUnknown, problem: dns.RcodeToString[r.Rcode]}
		}
		// Walk the CNAME chain within the answer section.
		target := name
		for i := 0; i <= maxCNAMEHops; i++ {
			next := ""
			for _, rr := range r.Answer {
				if cn, ok := rr.(*dns.CNAME); ok && strings.EqualFold(cn.Hdr.Name, target) {
					next, ttl = cn.Target, min(ttl, cn.Hdr.Ttl)
					break
				}
			}
			if next == "" {
				break
			}
			target = next
		}
		var rrs []dns.RR
		for _, rr := range r.Answer {
			if rr.Header().Rrtype == qtype && strings.EqualFold(rr.Header().Name, target) {
				rrs = append(rrs, rr)
				ttl = min(ttl, rr.Header().Ttl)
			}
		}
		if len(rrs) > 0 {
			return answer{state: ansPositive, rrs: rrs, ttl: time.Duration(ttl) * time.Second}
		}
		if target != name && !hasSOA(r) {
			// A CNAME the resolver did not chase: ask for its target.
			name = target
			continue
		}
		return answer{state: ansNoData, ttl: negativeTTL(r)}
	}
	return answer{state: ansUnknown, problem: "CNAME chain too long"}
}

// ctxDone reports whether ctx is cancelled or past its deadline (a socket
// deadline taken from ctx can fire a moment before ctx.Err says so).
func ctxDone(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

func hasSOA(r *dns.Msg) bool {
	for _, rr := range r.Ns {
		if _, ok := rr.(*dns.SOA); ok {
			return true
		}
	}
	return false
}

// negativeTTL is how long a negative answer may be cached (RFC 2308 §5: the
// lesser of the SOA record's TTL and its MINIMUM field).
func negativeTTL(r *dns.Msg) time.Duration {
	for _, rr := range r.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return time.Duration(min(soa.Hdr.Ttl, soa.Minttl)) * time.Second
		}
	}
	return defaultNegativeTTL
}

// exchange sends one query over UDP (retrying on timeouts and network
// errors), and over TCP when the answer is truncated.
func (c *dnsChecker) exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = true
	m.SetEdns0(ednsSize, false)
	var lastErr error
	for attempt := 0; attempt < c.cfg.Attempts; attempt++ {
		if ctxDone(ctx) {
			return nil, errors.New("cancelled")
		}
		r, _, err := c.udp.ExchangeContext(ctx, m, c.cfg.Resolver)
		if err == nil && r.Truncated {
			r, _, err = c.tcp.ExchangeContext(ctx, m, c.cfg.Resolver)
		}
		if err == nil {
			return r, nil
		}
		lastErr = err
	}
	var ne net.Error
	if errors.As(lastErr, &ne) && ne.Timeout() {
		return nil, errors.New("timeout")
	}
	return nil, lastErr
}
