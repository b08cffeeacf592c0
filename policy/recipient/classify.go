package recipient

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Rule ids this package's verdicts feed (the same strings as the policy
// package's Rule* constants, which this package cannot import).
const (
	RuleUnverified    = "recipient-domain-unverified"
	RuleLookalike     = "recipient-domain-lookalike"
	RuleAnonymous     = "recipient-domain-anonymous"
	RuleUnresolvable  = "recipient-domain-unresolvable"
	RuleExposed       = "recipients-exposed"
	RuleOnlineService = "link-online-service"
)

// DefaultExposedThreshold is the number of external addresses in To/Cc one
// message may show; one more is recipients-exposed.
const DefaultExposedThreshold = 5

// Config configures a Classifier.
type Config struct {
	// Internal and Verified are domain patterns as in Set: "example.co.jp"
	// (that name only) and "*.partner.example.com" (its subdomains).
	Internal, Verified []string
	// AnonymousAdd and AnonymousRemove edit the shipped list of disposable
	// and anonymous mail domains (data/disposable.txt). Entries are domains
	// and cover their subdomains.
	AnonymousAdd, AnonymousRemove []string
	// MailInAdd and MailInRemove edit the shipped list of online services'
	// mail-in domains (data/mailin.txt).
	MailInAdd, MailInRemove []string
	// ExposedThreshold is the most external addresses one message may show in
	// To and Cc; 0 means DefaultExposedThreshold.
	ExposedThreshold int
	// DNS enables the resolvability check; nil turns it off.
	DNS *DNSConfig
}

// Class is what a recipient domain is.
type Class int

const (
	// Unverified: external, and neither verified nor anything below.
	Unverified Class = iota
	// Internal: one of the organisation's own domains.
	Internal
	// Verified: a verified partner domain.
	Verified
	// Lookalike: not internal or verified, but resembles a domain that is
	// (Verdict.Resembles, Verdict.Kind).
	Lookalike
	// Anonymous: a disposable or anonymous (alias-forwarding) mail service.
	Anonymous
	// OnlineService: the mail-in domain of an online service (Evernote,
	// Flickr, ...): mail to it is stored on that service.
	OnlineService
)

func (c Class) String() string {
	switch c {
	case Internal:
		return "internal"
	case Verified:
		return "verified"
	case Lookalike:
		return "lookalike"
	case Anonymous:
		return "anonymous"
	case OnlineService:
		return "online-service"
	}
	return "unverified"
}

// Verdict is the classification of one recipient address.
type Verdict struct {
	Address string
	// Domain is the address's domain in lower-case A-label form, "" when it
	// has none.
	Domain string
	Class  Class
	// Verified reports that the domain matches domains.verified. It can be
	// true with Class Anonymous or OnlineService: those lists win, and the
	// administrator removes an entry from them to allow it.
	Verified bool
	// Resembles, Kind and Distance are set for Lookalike: the internal or
	// verified name (a pattern without "*.") it resembles, how, and the edit
	// distance between the skeletons of the registrable labels (0 for
	// confusables, homoglyphs and other suffixes).
	Resembles string
	Kind      LookalikeKind
	Distance  int
	// OtherSuffix reports, for Lookalike, that the public suffix differs
	// as well.
	OtherSuffix bool
	// ListEntry and Service are set for Anonymous and OnlineService: the list
	// entry that matched and the service's name from the list.
	ListEntry, Service string
	// Resolution is the DNS check's result (NotChecked when it is off, for
	// internal domains, and for addresses without a usable domain) and
	// DNSDetail says why ("NXDOMAIN", "null MX", "SERVFAIL", "timeout", ...).
	Resolution Resolution
	DNSDetail  string
	// HiddenRoute: the address's local part routes the mail on (ParseRoute);
	// Domain is then the hop it is judged by, not the domain after the
	// last "@".
	HiddenRoute bool
}

// Rules returns the rule ids this verdict triggers, most specific first. A
// lookalike, anonymous or mail-in domain that is not verified triggers
// recipient-domain-unverified as well, so that turning the specific rule to
// "pass" does not let it through unremarked.
func (v Verdict) Rules() []string {
	var r []string
	switch v.Class {
	case Internal:
		return nil
	case Lookalike:
		r = append(r, RuleLookalike)
	case Anonymous:
		r = append(r, RuleAnonymous)
	case OnlineService:
		r = append(r, RuleOnlineService)
	}
	if !v.Verified {
		r = append(r, RuleUnverified)
	}
	if v.Resolution == Unresolvable {
		r = append(r, RuleUnresolvable)
	}
	return r
}

// Evidence is a short human-readable account of the verdict for replies and
// the audit log.
func (v Verdict) Evidence() string {
	var s string
	switch v.Class {
	case Internal:
		return v.Domain + " is internal"
	case Verified:
		s = v.Domain + " is verified"
	case Lookalike:
		s = fmt.Sprintf("%s resembles %s (%s", v.Domain, v.Resembles, v.Kind)
		if v.Kind == LookTypo {
			s += fmt.Sprintf(" %d", v.Distance)
		}
		if v.OtherSuffix {
			s += ", other suffix"
		}
		s += ")"
	case Anonymous, OnlineService:
		s = fmt.Sprintf("%s is listed as %s (%s)", v.Domain, v.Class, v.ListEntry)
		if v.Service != "" {
			s = fmt.Sprintf("%s is listed as %s: %s (%s)", v.Domain, v.Class, v.Service, v.ListEntry)
		}
	default:
		if v.Domain == "" {
			s = "no domain"
		} else {
			s = v.Domain + " is not verified"
		}
	}
	if v.HiddenRoute {
		s += "; reached through a route hidden in the local part"
	}
	switch v.Resolution {
	case Unresolvable:
		s += "; does not accept mail: " + v.DNSDetail
	case Unknown:
		s += "; DNS check inconclusive: " + v.DNSDetail
	}
	return s
}

// Classifier classifies recipient addresses. It is compiled once by
// NewClassifier and is safe for concurrent use.
type Classifier struct {
	internal, verified *Set
	anonymous, mailIn  *List
	look               *lookIndex
	threshold          int
	dns                *dnsChecker
}

// NewClassifier compiles cfg.
func NewClassifier(cfg Config) (*Classifier, error) {
	var errs []error
	c := &Classifier{
		internal:  NewSet(cfg.Internal),
		verified:  NewSet(cfg.Verified),
		threshold: cfg.ExposedThreshold,
	}
	if c.threshold <= 0 {
		c.threshold = DefaultExposedThreshold
	}
	var err error
	if c.anonymous, err = NewList(disposableData, cfg.AnonymousAdd, cfg.AnonymousRemove); err != nil {
		errs = append(errs, fmt.Errorf("anonymous list: %w", err))
	}
	if c.mailIn, err = NewList(mailInData, cfg.MailInAdd, cfg.MailInRemove); err != nil {
		errs = append(errs, fmt.Errorf("mail-in list: %w", err))
	}
	var protected []string
	for _, p := range append(append([]string(nil), cfg.Internal...), cfg.Verified...) {
		p = strings.TrimPrefix(strings.TrimSpace(p), "*.")
		if d := Normalize(p); d != "" {
			protected = append(protected, d)
		}
	}
	c.look = newLookIndex(protected)
	if cfg.DNS != nil {
		if c.dns, err = newDNSChecker(*cfg.DNS); err != nil {
			errs = append(errs, fmt.Errorf("dns: %w", err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// IsInternal reports whether the address's domain is internal. An address
// whose local part hides a route to another mailbox (ParseRoute) is never
// internal: where it ends up is not the organisation's to say.
func (c *Classifier) IsInternal(addr string) bool {
	d, hidden := c.routeDomain(addr)
	return !hidden && c.internal.Contains(d)
}

// ClassifyDomain classifies one normalised domain without the DNS check.
func (c *Classifier) ClassifyDomain(d string) Verdict {
	v := Verdict{Domain: d}
	if d == "" {
		return v
	}
	if c.internal.Contains(d) {
		v.Class = Internal
		return v
	}
	v.Verified = c.verified.Contains(d)
	if e, note, ok := c.anonymous.Match(d); ok {
		v.Class, v.ListEntry, v.Service = Anonymous, e, note
		return v
	}
	if e, note, ok := c.mailIn.Match(d); ok {
		v.Class, v.ListEntry, v.Service = OnlineService, e, note
		return v
	}
	if v.Verified {
		v.Class = Verified
		return v
	}
	if isAddressLiteral(d) {
		return v
	}
	if m, ok := c.look.match(d); ok {
		v.Class, v.Resembles, v.Kind, v.Distance, v.OtherSuffix = Lookalike, m.resembles, m.kind, m.dist, m.otherTLD
	}
	// A top-level domain that does not exist is a typo, known without DNS:
	// unresolvable, and a lookalike when one edit from a protected name.
	if tld := typoTLD(d); tld != "" {
		v.Resolution, v.DNSDetail = Unresolvable, tldDetail(tld)
		if v.Class != Lookalike {
			if m, ok := c.look.typoOf(d); ok {
				v.Class, v.Resembles, v.Kind, v.Distance, v.OtherSuffix = Lookalike, m.resembles, m.kind, m.dist, m.otherTLD
			}
		}
	}
	return v
}

func isAddressLiteral(d string) bool { return strings.HasPrefix(d, "[") }

// dnsParallel bounds the DNS look-ups one Classify call runs at once.
const dnsParallel = 8

// Classify classifies the envelope recipients (Bcc included), one Verdict per
// address in order. With the DNS check on, it looks up every distinct
// non-internal domain (through the cache), at most dnsParallel at a time,
// and honours ctx: a look-up cut short is Unknown, never Unresolvable.
func (c *Classifier) Classify(ctx context.Context, addrs []string) []Verdict {
	out := make([]Verdict, len(addrs))
	byDomain := make(map[string]Verdict, len(addrs))
	for i, a := range addrs {
		d, hidden := c.routeDomain(a)
		key := d
		if hidden {
			key = "route:" + d
		}
		v, ok := byDomain[key]
		if !ok {
			v = c.ClassifyDomain(d)
			if hidden && v.Class == Internal {
				// Every hop is internal, but the address still routes on:
				// judge it as an unverified external recipient.
				v.Class = Unverified
			}
			v.HiddenRoute = hidden
			byDomain[key] = v
		}
		v.Address = a
		out[i] = v
	}
	if c.dns == nil {
		return out
	}
	type res struct {
		r      Resolution
		detail string
	}
	var (
		mu      sync.Mutex
		results = map[string]res{}
		wg      sync.WaitGroup
		sem     = make(chan struct{}, dnsParallel)
	)
	for _, v := range byDomain {
		d := v.Domain
		if d == "" || v.Class == Internal || isAddressLiteral(d) || v.Resolution == Unresolvable {
			continue // (unresolvable already: its top-level domain does not exist)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(d string) {
			defer func() { <-sem; wg.Done() }()
			r, detail := c.dns.check(ctx, d)
			mu.Lock()
			results[d] = res{r, detail}
			mu.Unlock()
		}(d)
	}
	wg.Wait()
	for i := range out {
		if r, ok := results[out[i].Domain]; ok {
			out[i].Resolution, out[i].DNSDetail = r.r, r.detail
		}
	}
	return out
}

// Exposed counts the distinct external addresses among a message's To and Cc
// header addresses (bare "a@b" or "Name <a@b>"): addresses without a domain
// and internal ones are not counted; case is ignored. It returns the count,
// the sorted distinct domains of those addresses, and whether the count is
// over the threshold (recipients-exposed).
func (c *Classifier) Exposed(headerAddrs []string) (count int, domains []string, exposed bool) {
	seen := map[string]bool{}
	doms := map[string]bool{}
	for _, a := range headerAddrs {
		spec := addrSpec(a)
		i := strings.LastIndexByte(spec, '@')
		if i < 0 {
			continue
		}
		d, hidden := c.routeDomain(spec)
		if d == "" || !hidden && c.internal.Contains(d) {
			continue
		}
		key := strings.ToLower(spec[:i]) + "@" + d
		if seen[key] {
			continue
		}
		seen[key] = true
		doms[d] = true
	}
	for d := range doms {
		domains = append(domains, d)
	}
	sort.Strings(domains)
	return len(seen), domains, len(seen) > c.threshold
}

// addrSpec extracts the address from "Name <a@b>" or returns s trimmed.
func addrSpec(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j >= 0 {
			return strings.TrimSpace(s[i+1 : i+j])
		}
	}
	return strings.Trim(s, "<> ")
}
