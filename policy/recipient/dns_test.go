package recipient

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// testZone is a DNS handler acting as a recursive resolver over a small
// in-memory zone. Names are lower-case FQDNs.
type testZone struct {
	mu       sync.Mutex
	rrs      map[string][]dns.RR // owner name → records
	servfail map[string]bool
	drop     map[string]bool
	noChase  map[string]bool // answer the CNAME only, as a non-recursive server would
	truncate bool            // over UDP, answer with TC set and no records
	delay    time.Duration
	queries  atomic.Int64
	log      []string
}

const testSOA = "test. 3600 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300"

func newTestZone(t *testing.T, records ...string) *testZone {
	t.Helper()
	z := &testZone{rrs: map[string][]dns.RR{}, servfail: map[string]bool{}, drop: map[string]bool{}, noChase: map[string]bool{}}
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		name := strings.ToLower(rr.Header().Name)
		z.rrs[name] = append(z.rrs[name], rr)
	}
	return z
}

func (z *testZone) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	z.queries.Add(1)
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	z.mu.Lock()
	z.log = append(z.log, name+" "+dns.TypeToString[q.Qtype])
	delay, drop, servfail, noChase, truncate := z.delay, z.drop[name], z.servfail[name], z.noChase[name], z.truncate
	z.mu.Unlock()
	time.Sleep(delay)
	if drop {
		return // the client times out
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	if servfail {
		m.Rcode = dns.RcodeServerFailure
		w.WriteMsg(m)
		return
	}
	if truncate && w.LocalAddr().Network() == "udp" {
		m.Truncated = true
		w.WriteMsg(m)
		return
	}
	soa, _ := dns.NewRR(testSOA)
	for hops := 0; hops < 10; hops++ {
		rrs, exists := z.rrs[name]
		var cname *dns.CNAME
		found := false
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
				found = true
			}
			if c, ok := rr.(*dns.CNAME); ok {
				cname = c
			}
		}
		switch {
		case found:
		case cname != nil:
			m.Answer = append(m.Answer, cname)
			if noChase {
				break
			}
			name = strings.ToLower(cname.Target)
			continue
		case !exists:
			m.Rcode = dns.RcodeNameError
			m.Ns = []dns.RR{soa}
		default:
			m.Ns = []dns.RR{soa} // NODATA
		}
		break
	}
	w.WriteMsg(m)
}

// queryLog returns the queries seen so far ("name TYPE").
func (z *testZone) queryLog() []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]string(nil), z.log...)
}

// startDNS runs a DNS server for h on a free UDP port of 127.0.0.1 (and, with
// tcp, on the same TCP port) and returns its address.
func startDNS(t *testing.T, h dns.Handler, tcp bool) string {
	t.Helper()
	var (
		pc  net.PacketConn
		ln  net.Listener
		err error
	)
	for try := 0; try < 20; try++ {
		if !tcp {
			pc, err = net.ListenPacket("udp", "127.0.0.1:0")
			break
		}
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			break
		}
		if pc, err = net.ListenPacket("udp", ln.Addr().String()); err == nil {
			break
		}
		ln.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	serve := func(s *dns.Server) {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go s.ActivateAndServe()
		<-started
		t.Cleanup(func() { s.Shutdown() })
	}
	serve(&dns.Server{PacketConn: pc, Handler: h})
	if ln != nil {
		serve(&dns.Server{Listener: ln, Handler: h})
	}
	return pc.LocalAddr().String()
}

var zoneRecords = []string{
	"mx.test. 3600 IN MX 10 mail.mx.test.",
	"mail.mx.test. 3600 IN A 192.0.2.1",
	"a-only.test. 600 IN A 192.0.2.2",
	"aaaa-only.test. 600 IN AAAA 2001:db8::2",
	"alias.test. 300 IN CNAME target.test.",
	"target.test. 300 IN A 192.0.2.3",
	"alias-nochase.test. 300 IN CNAME target-mx.test.",
	"target-mx.test. 300 IN MX 10 mail.mx.test.",
	"dangling.test. 300 IN CNAME gone.test.",
	"nodata.test. 300 IN TXT \"no mail here\"",
	"nullmx.test. 300 IN MX 0 .",
	"nullmx.test. 300 IN A 192.0.2.4",
	"short.test. 30 IN MX 10 mail.mx.test.",
	"servfail.test. 300 IN A 192.0.2.5",
	"drop.test. 300 IN A 192.0.2.6",
	"loop1.test. 300 IN CNAME loop2.test.",
	"loop2.test. 300 IN CNAME loop1.test.",
}

func newTestChecker(t *testing.T, z *testZone, cfg DNSConfig) *dnsChecker {
	t.Helper()
	if cfg.Resolver == "" {
		cfg.Resolver = startDNS(t, z, false)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second // generous: the machine may be busy
	}
	c, err := newDNSChecker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDNSCheck(t *testing.T) {
	z := newTestZone(t, zoneRecords...)
	z.servfail["servfail.test."] = true
	z.drop["drop.test."] = true
	z.noChase["alias-nochase.test."] = true
	z.noChase["loop1.test."], z.noChase["loop2.test."] = true, true
	c := newTestChecker(t, z, DNSConfig{Timeout: 2 * time.Second, Attempts: 2})
	// The server drops the queries for drop.test: a short timeout for it
	// alone, so that the others do not time out on a busy machine.
	cDrop := newTestChecker(t, z, DNSConfig{Resolver: c.cfg.Resolver, Timeout: 100 * time.Millisecond, Attempts: 2})
	checker := func(domain string) *dnsChecker {
		if domain == "drop.test" {
			return cDrop
		}
		return c
	}
	cases := []struct {
		domain string
		res    Resolution
		detail string
	}{
		{"mx.test", Resolvable, "MX"},
		{"a-only.test", Resolvable, "A (no MX)"},
		{"aaaa-only.test", Resolvable, "AAAA (no MX)"},
		{"alias.test", Resolvable, "A (no MX)"},     // CNAME → A, chased by the resolver
		{"alias-nochase.test", Resolvable, "MX"},    // CNAME → MX, chased by us
		{"dangling.test", Unresolvable, "NXDOMAIN"}, // CNAME to nothing
		{"nx.test", Unresolvable, "NXDOMAIN"},       // no such name
		{"nodata.test", Unresolvable, "no MX, A or AAAA records"},
		{"nullmx.test", Unresolvable, "null MX"}, // even with an A record
		{"servfail.test", Unknown, "SERVFAIL"},   // resolver failure: not our call
		{"drop.test", Unknown, "timeout"},        // no answer: not our call
		{"loop1.test", Unknown, "CNAME chain too long"},
	}
	for _, tc := range cases {
		res, detail := checker(tc.domain).check(context.Background(), tc.domain)
		if res != tc.res || detail != tc.detail {
			t.Errorf("%s: %v %q, want %v %q", tc.domain, res, detail, tc.res, tc.detail)
		}
	}
	// Every query of the second round comes from the cache, except for the
	// Unknown results, which are not cached.
	before := z.queries.Load()
	for _, tc := range cases {
		res, _ := checker(tc.domain).check(context.Background(), tc.domain)
		if res != tc.res {
			t.Errorf("%s (cached): %v, want %v", tc.domain, res, tc.res)
		}
	}
	// servfail.test: MX once; drop.test: MX, 2 attempts; loop1.test: MX,
	// maxCNAMEHops+1 names.
	if got, want := z.queries.Load()-before, int64(1+2+maxCNAMEHops+1); got != want {
		t.Errorf("second round: %d queries, want %d (only the Unknown domains again)", got, want)
	}
}

func TestDNSQueries(t *testing.T) {
	// What is asked, in which order: MX first; A and AAAA only without an MX;
	// nothing more after NXDOMAIN or a null MX.
	z := newTestZone(t, zoneRecords...)
	z.noChase["alias-nochase.test."] = true
	c := newTestChecker(t, z, DNSConfig{})
	for _, d := range []string{"mx.test", "nx.test", "nullmx.test", "aaaa-only.test", "alias-nochase.test"} {
		c.check(context.Background(), d)
	}
	want := []string{
		"mx.test. MX",
		"nx.test. MX",
		"nullmx.test. MX",
		"aaaa-only.test. MX", "aaaa-only.test. A", "aaaa-only.test. AAAA",
		"alias-nochase.test. MX", "target-mx.test. MX",
	}
	if got := z.queryLog(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("queries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDNSCacheTTL(t *testing.T) {
	z := newTestZone(t, zoneRecords...)
	c := newTestChecker(t, z, DNSConfig{MaxTTL: 10 * time.Minute, NegativeTTL: time.Minute})
	var now atomic.Int64
	now.Store(time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	c.now = func() time.Time { return time.Unix(0, now.Load()) }
	advance := func(d time.Duration) { now.Add(int64(d)) }

	n := func(domain string) int64 {
		before := z.queries.Load()
		c.check(context.Background(), domain)
		return z.queries.Load() - before
	}
	// mx.test: TTL 3600 capped at 10 min. short.test: TTL 30 s.
	// nx.test: SOA minimum 300 s capped at 1 min.
	for _, d := range []string{"mx.test", "short.test", "nx.test"} {
		if q := n(d); q != 1 {
			t.Errorf("%s: %d queries, want 1", d, q)
		}
	}
	advance(29 * time.Second)
	for _, d := range []string{"mx.test", "short.test", "nx.test"} {
		if q := n(d); q != 0 {
			t.Errorf("%s after 29 s: %d queries, want 0 (cached)", d, q)
		}
	}
	advance(2 * time.Second) // 31 s
	if q := n("short.test"); q != 1 {
		t.Errorf("short.test after its TTL: %d queries, want 1", q)
	}
	if q := n("nx.test"); q != 0 {
		t.Errorf("nx.test after 31 s: %d queries, want 0", q)
	}
	advance(30 * time.Second) // 61 s
	if q := n("nx.test"); q != 1 {
		t.Errorf("nx.test after the negative cap: %d queries, want 1", q)
	}
	if q := n("mx.test"); q != 0 {
		t.Errorf("mx.test after 61 s: %d queries, want 0", q)
	}
	advance(10 * time.Minute)
	if q := n("mx.test"); q != 1 {
		t.Errorf("mx.test after MaxTTL: %d queries, want 1", q)
	}
}

func TestDNSCacheBounded(t *testing.T) {
	z := newTestZone(t, zoneRecords...)
	c := newTestChecker(t, z, DNSConfig{CacheSize: 2})
	for _, d := range []string{"mx.test", "a-only.test", "mx.test", "short.test"} {
		c.check(context.Background(), d)
	}
	if c.len() != 2 {
		t.Errorf("cache holds %d domains, want 2", c.len())
	}
	// a-only.test was the least recently used: evicted, asked again.
	before := z.queries.Load()
	c.check(context.Background(), "mx.test")
	c.check(context.Background(), "short.test")
	if got := z.queries.Load() - before; got != 0 {
		t.Errorf("recent domains: %d queries, want 0", got)
	}
	c.check(context.Background(), "a-only.test")
	if got := z.queries.Load() - before; got != 2 { // MX (NODATA), A
		t.Errorf("evicted domain: %d queries, want 2", got)
	}
}

func TestDNSUnknownTTL(t *testing.T) {
	z := newTestZone(t, zoneRecords...)
	z.servfail["servfail.test."] = true
	c := newTestChecker(t, z, DNSConfig{UnknownTTL: time.Minute})
	c.check(context.Background(), "servfail.test")
	before := z.queries.Load()
	if res, _ := c.check(context.Background(), "servfail.test"); res != Unknown {
		t.Errorf("got %v", res)
	}
	if z.queries.Load() != before {
		t.Errorf("Unknown not cached with UnknownTTL set")
	}
}

func TestDNSTruncatedFallsBackToTCP(t *testing.T) {
	z := newTestZone(t, zoneRecords...)
	z.truncate = true
	addr := startDNS(t, z, true)
	c := newTestChecker(t, z, DNSConfig{Resolver: addr})
	if res, detail := c.check(context.Background(), "mx.test"); res != Resolvable {
		t.Errorf("mx.test over TCP: %v %q", res, detail)
	}
	if got := z.queries.Load(); got != 2 {
		t.Errorf("%d queries, want 2 (UDP truncated, then TCP)", got)
	}
}

func TestDNSConcurrentSharesOneLookup(t *testing.T) {
	z := newTestZone(t, zoneRecords...)
	z.delay = 50 * time.Millisecond
	c := newTestChecker(t, z, DNSConfig{})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res, _ := c.check(context.Background(), "mx.test"); res != Resolvable {
				t.Errorf("got %v", res)
			}
		}()
	}
	wg.Wait()
	if got := z.queries.Load(); got != 1 {
		t.Errorf("%d queries for 20 concurrent checks, want 1", got)
	}
}

func TestDNSContextCancelled(t *testing.T) {
	z := newTestZone(t, zoneRecords...)
	z.drop["drop.test."] = true
	c := newTestChecker(t, z, DNSConfig{Timeout: 5 * time.Second, UnknownTTL: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, _ := c.check(ctx, "drop.test")
	if res != Unknown {
		t.Errorf("got %v, want Unknown", res)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v despite the context", d)
	}
	if c.len() != 0 {
		t.Errorf("a cancelled look-up was cached")
	}
}

func TestClassifyWithDNS(t *testing.T) {
	z := newTestZone(t, zoneRecords...)
	z.servfail["servfail.test."] = true
	cfg := testConfig
	cfg.Internal = []string{"internal.test"}
	cfg.DNS = &DNSConfig{Resolver: startDNS(t, z, false), Timeout: 2 * time.Second}
	c, err := NewClassifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Classify(context.Background(), []string{
		"a@mx.test", "b@mx.test", "c@nx.test", "d@servfail.test", "e@internal.test", "postmaster",
	})
	want := []Resolution{Resolvable, Resolvable, Unresolvable, Unknown, NotChecked, NotChecked}
	for i, v := range got {
		if v.Resolution != want[i] {
			t.Errorf("%s: %v (%s), want %v", v.Address, v.Resolution, v.DNSDetail, want[i])
		}
	}
	if got[2].Rules()[len(got[2].Rules())-1] != RuleUnresolvable {
		t.Errorf("nx.test rules: %v", got[2].Rules())
	}
	for _, v := range got {
		if v.Resolution == Unknown && len(v.Rules()) > 0 && v.Rules()[len(v.Rules())-1] == RuleUnresolvable {
			t.Errorf("%s: Unknown triggers %s", v.Address, RuleUnresolvable)
		}
	}
	for _, q := range z.queryLog() {
		if strings.HasPrefix(q, "internal.test.") {
			t.Errorf("internal domain looked up: %s", q)
		}
	}

	if _, err := NewClassifier(Config{DNS: &DNSConfig{}}); err == nil {
		t.Errorf("no resolver: no error")
	}
	if _, err := newDNSChecker(DNSConfig{Resolver: "127.0.0.1"}); err != nil {
		t.Errorf("bare host: %v", err)
	}
}
