package recipient

import (
	"hash/maphash"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// LookalikeKind says how a domain resembles an internal or verified one.
type LookalikeKind string

// Lookalike kinds, most specific first.
const (
	// LookOtherSuffix: the same registrable label under another public
	// suffix (example.jp for example.co.jp, partner.example.co for
	// partner.example.com).
	LookOtherSuffix LookalikeKind = "same name, other suffix"
	// LookConfusable: ASCII characters that look alike ("rn"/"m", "1"/"l",
	// "0"/"o", "vv"/"w", "cl"/"d").
	LookConfusable LookalikeKind = "confusable characters"
	// LookHomoglyph: an internationalised (xn--) name whose Unicode form has
	// the same confusables skeleton (Cyrillic "а" for Latin "a", ...).
	LookHomoglyph LookalikeKind = "IDN homoglyph"
	// LookSeparator: a hyphen or dot added or removed
	// (partner-example.com for partner.example.com).
	LookSeparator LookalikeKind = "hyphen or dot added or removed"
	// LookSwapped: two adjacent letters swapped.
	LookSwapped LookalikeKind = "swapped letters"
	// LookDoubled: a letter doubled or a double letter made single.
	LookDoubled LookalikeKind = "doubled letter"
	// LookTypo: another edit (letters added, removed or changed), with the
	// distance in Verdict.Distance.
	LookTypo LookalikeKind = "edit distance"
	// LookEmbedded: the protected domain appears whole inside another
	// registrable domain (example.co.jp.evil.test).
	LookEmbedded LookalikeKind = "contains the domain"
)

// maxDistance is the largest optimal-string-alignment distance at which a
// registrable label of n characters (of the internal or verified domain)
// still counts as a lookalike. Short labels get no edit budget at all: three
// letters are one edit away from thousands of unrelated names ("abc"/"abd");
// they still match through the confusables skeleton and other suffixes.
func maxDistance(n int) int {
	switch {
	case n <= 3:
		return 0
	case n <= 5:
		return 1
	default:
		return 2
	}
}

// maxIndexDistance is the largest value maxDistance returns: the depth of the
// deletion neighbourhoods.
const maxIndexDistance = 2

type protEntry struct {
	domain string // the internal/verified name (pattern without "*.")
	etld1  string // its registrable domain
	suffix string // its public suffix
	label  string // registrable label, A-label form
	ulabel string // registrable label, Unicode form
	skel   string // skeleton of ulabel
	max    int    // maxDistance(len(ulabel))
}

// lookIndex finds the internal and verified domains a name resembles without
// scanning them all: registrable labels are indexed by the deletion
// neighbourhoods of their skeletons (the SymSpell method: two strings within
// distance k share a string reachable by at most k deletions from each), and
// the separator and embedding checks are map look-ups.
type lookIndex struct {
	entries []protEntry
	regs    map[string]bool  // registrable domains of the protected names
	names   map[string]bool  // protected names and their registrable domains
	flat    map[string]int32 // name without dots and hyphens → entry
	// dels maps the hash of each string in the deletion neighbourhood of an
	// entry's skeleton to the entry (a value ≥ 0) or to multi[-1-value] when
	// several entries share it. Hash collisions only cost a distance
	// computation: every hit is verified.
	dels  map[uint64]int32
	multi [][]int32
	seed  maphash.Seed
	// filter has a bit set for every hash in dels, indexed by the hash's top
	// filterBits bits: at about 8 bits per key it is small enough to stay in
	// the CPU cache, and it spares most of the (cache-missing) map probes,
	// since most strings of a query's neighbourhood are in no entry's.
	filter     []uint64
	filterBits uint
	minLen     int // shortest and longest skeleton (runes)
	maxLen     int
}

// add records that entry id has the deletion string b.
func (ix *lookIndex) add(b []byte, id int32) {
	h := maphash.Bytes(ix.seed, b)
	v, ok := ix.dels[h]
	switch {
	case !ok:
		ix.dels[h] = id
	case v >= 0:
		if v != id {
			ix.dels[h] = int32(-1 - len(ix.multi))
			ix.multi = append(ix.multi, []int32{v, id})
		}
	default:
		m := ix.multi[-1-v]
		if m[len(m)-1] != id {
			ix.multi[-1-v] = append(m, id)
		}
	}
}

// buildFilter sizes and fills filter from dels.
func (ix *lookIndex) buildFilter() {
	ix.filterBits = 12
	for 1<<ix.filterBits < 8*len(ix.dels) {
		ix.filterBits++
	}
	ix.filter = make([]uint64, (1<<ix.filterBits)/64)
	for h := range ix.dels {
		i := h >> (64 - ix.filterBits)
		ix.filter[i/64] |= 1 << (i % 64)
	}
}

// lookup calls fn with each entry that has the deletion string b (or a
// string with the same hash).
func (ix *lookIndex) lookup(b []byte, fn func(id int32)) {
	h := maphash.Bytes(ix.seed, b)
	if i := h >> (64 - ix.filterBits); ix.filter[i/64]&(1<<(i%64)) == 0 {
		return
	}
	v, ok := ix.dels[h]
	switch {
	case !ok:
	case v >= 0:
		fn(v)
	default:
		for _, id := range ix.multi[-1-v] {
			fn(id)
		}
	}
}

func newLookIndex(domains []string) *lookIndex {
	ix := &lookIndex{
		regs:  map[string]bool{},
		names: map[string]bool{},
		flat:  map[string]int32{},
		dels:  make(map[uint64]int32, 50*len(domains)),
		seed:  maphash.MakeSeed(),
	}
	domains = append([]string(nil), domains...)
	sort.Strings(domains) // deterministic ids
	seen := map[string]bool{}
	for _, d := range domains {
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		reg, err := publicsuffix.EffectiveTLDPlusOne(d)
		if err != nil {
			continue // a public suffix or a bare name: nothing to imitate
		}
		suffix := reg[strings.IndexByte(reg, '.')+1:]
		label := reg[:strings.IndexByte(reg, '.')]
		ul := unicodeLabel(label)
		e := protEntry{domain: d, etld1: reg, suffix: suffix, label: label, ulabel: ul,
			skel: skeleton(ul), max: maxDistance(utf8.RuneCountInString(ul))}
		id := int32(len(ix.entries))
		ix.entries = append(ix.entries, e)
		ix.regs[reg] = true
		ix.names[reg] = true
		ix.names[d] = true
		for _, k := range []string{flatten(d), flatten(reg)} {
			if _, ok := ix.flat[k]; !ok {
				ix.flat[k] = id
			}
		}
		n := utf8.RuneCountInString(e.skel)
		if len(ix.entries) == 1 || n < ix.minLen {
			ix.minLen = n
		}
		if n > ix.maxLen {
			ix.maxLen = n
		}
		deletions(e.skel, e.max, func(b []byte) { ix.add(b, id) })
	}
	ix.buildFilter()
	return ix
}

// unicodeLabel is the Unicode form of an A-label (or the label itself).
func unicodeLabel(label string) string {
	if !strings.HasPrefix(label, "xn--") {
		return label
	}
	if u, err := idna.Punycode.ToUnicode(label); err == nil {
		return u
	}
	return label
}

// flatten drops dots and hyphens.
func flatten(d string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '-' {
			return -1
		}
		return r
	}, d)
}

// deletions calls fn with s and the strings made by deleting up to k (at
// most 2) runes from s. Deleting any one rune of a run of equal runes gives
// the same string, so only the first of a run is deleted (or the one after a
// deleted one); a string can still come more than once in rarer cases, which
// callers tolerate. The slice passed to fn is only valid during the call.
func deletions(s string, k int, fn func([]byte)) {
	buf := make([]byte, 0, 64)
	fn(append(buf, s...))
	if k <= 0 {
		return
	}
	if isASCII(s) {
		// The common case, with bytes for runes.
		first := func(p, prev int) bool { return p == 0 || s[p-1] != s[p] || p-1 == prev }
		for i := 0; i < len(s); i++ {
			if !first(i, -1) {
				continue
			}
			fn(append(append(buf[:0], s[:i]...), s[i+1:]...))
			if k < 2 {
				continue
			}
			for j := i + 1; j < len(s); j++ {
				if first(j, i) {
					fn(append(append(append(buf[:0], s[:i]...), s[i+1:j]...), s[j+1:]...))
				}
			}
		}
		return
	}
	rs := []rune(s)
	// first reports whether rs[p] may be deleted: it starts a run, or the
	// rune before it is deleted too (prev).
	first := func(p, prev int) bool { return p == 0 || rs[p-1] != rs[p] || p-1 == prev }
	for i := range rs {
		if !first(i, -1) {
			continue
		}
		b := buf[:0]
		for x, r := range rs {
			if x != i {
				b = utf8.AppendRune(b, r)
			}
		}
		fn(b)
		if k < 2 {
			continue
		}
		for j := i + 1; j < len(rs); j++ {
			if !first(j, i) {
				continue
			}
			b := buf[:0]
			for x, r := range rs {
				if x != i && x != j {
					b = utf8.AppendRune(b, r)
				}
			}
			fn(b)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// osa is the optimal string alignment distance (restricted
// Damerau-Levenshtein: insertions, deletions, substitutions and swaps of
// adjacent characters, each costing 1) between a and b, in runes.
// EditDistance is the optimal string alignment distance between a and b
// (osa): what a typo costs. Other packages use it for "did you mean".
func EditDistance(a, b string) int { return osa(a, b) }

func osa(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 {
		return len(rb)
	}
	if len(rb) == 0 {
		return len(ra)
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// lookMatch is what match found.
type lookMatch struct {
	resembles string
	kind      LookalikeKind
	dist      int
	otherTLD  bool // the public suffixes differ too
}

// match looks for an internal or verified name that d (normalised, and
// itself neither internal nor verified) resembles. A name under the same
// registrable domain as a protected one is never a lookalike: it has the same
// owner (for example the bare name of a "*.partner.example.com" pattern, or a
// subdomain of an exact entry).
func (ix *lookIndex) match(d string) (lookMatch, bool) {
	if ix == nil || len(ix.entries) == 0 || d == "" {
		return lookMatch{}, false
	}
	reg, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err == nil && ix.regs[reg] {
		return lookMatch{}, false
	}

	// Registrable label against the skeleton index.
	best, bestDist := -1, 0
	var label, suffix string
	if err == nil {
		label = reg[:strings.IndexByte(reg, '.')]
		suffix = reg[len(label)+1:]
		best, bestDist = ix.nearest(skeleton(unicodeLabel(label)), suffix, d[:len(d)-len(reg)])
	}
	if best >= 0 && bestDist == 0 {
		e := ix.entries[best]
		m := lookMatch{resembles: e.domain, otherTLD: suffix != e.suffix}
		switch {
		case label == e.label:
			m.kind = LookOtherSuffix
		case strings.HasPrefix(label, "xn--"):
			m.kind = LookHomoglyph
		default:
			m.kind = LookConfusable
		}
		return m, true
	}

	// Hyphen or dot added or removed.
	if id, ok := ix.flat[flatten(d)]; ok {
		return lookMatch{resembles: ix.entries[id].domain, kind: LookSeparator, dist: 1}, true
	}

	if best >= 0 {
		e := ix.entries[best]
		m := lookMatch{resembles: e.domain, dist: bestDist, kind: LookTypo, otherTLD: suffix != e.suffix}
		ul := unicodeLabel(label)
		if osa(ul, e.ulabel) == 1 {
			m.kind = editKind(ul, e.ulabel)
		}
		return m, true
	}

	// A protected name embedded in another domain, on label boundaries and
	// not as its suffix (which would be the same owner or a subdomain).
	for i := 0; i < len(d); {
		for j := i; j < len(d); j++ {
			if d[j] == '.' && ix.names[d[i:j]] {
				return lookMatch{resembles: d[i:j], kind: LookEmbedded}, true
			}
		}
		k := strings.IndexByte(d[i:], '.')
		if k < 0 {
			break
		}
		i += k + 1
	}
	return lookMatch{}, false
}

// nearest returns the entry whose skeleton is nearest to sk within that
// entry's budget, and the distance; -1 when there is none. suffix and sub
// (the candidate's public suffix and the part before its registrable domain,
// with its dot) break ties.
func (ix *lookIndex) nearest(sk, suffix, sub string) (best, bestDist int) {
	best, bestDist, _ = ix.nearestCount(sk, suffix, sub)
	return best, bestDist
}

// nearestCount is nearest, also returning the number of distances it
// computed (for the test that the index spares a linear scan).
func (ix *lookIndex) nearestCount(sk, suffix, sub string) (best, bestDist, computed int) {
	best = -1
	n := utf8.RuneCountInString(sk)
	if n < ix.minLen-maxIndexDistance || n > ix.maxLen+maxIndexDistance {
		return best, 0, 0
	}
	var seen []int32 // few: a linear search beats a map
	deletions(sk, maxIndexDistance, func(b []byte) {
		ix.lookup(b, func(id int32) {
			if slices.Contains(seen, id) {
				return
			}
			seen = append(seen, id)
			e := &ix.entries[id]
			dist := osa(sk, e.skel)
			computed++
			if dist > e.max {
				return
			}
			if best < 0 || dist < bestDist || (dist == bestDist && better(e, &ix.entries[best], suffix, sub)) {
				best, bestDist = int(id), dist
			}
		})
	})
	return best, bestDist, computed
}

// better breaks ties between equally distant entries: the same public suffix
// as the candidate first, then the same subdomain part (partner.example.co
// resembles partner.example.com more than example.co.jp), then the shorter
// and alphabetically first name.
func better(a, b *protEntry, suffix, sub string) bool {
	if (a.suffix == suffix) != (b.suffix == suffix) {
		return a.suffix == suffix
	}
	if as, bs := a.sub() == sub, b.sub() == sub; as != bs {
		return as
	}
	if len(a.domain) != len(b.domain) {
		return len(a.domain) < len(b.domain)
	}
	return a.domain < b.domain
}

// sub is the part of the name before its registrable domain, with its dot.
func (e *protEntry) sub() string { return e.domain[:len(e.domain)-len(e.etld1)] }

// editKind names a single edit between a and b (osa(a, b) == 1).
func editKind(a, b string) LookalikeKind {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == len(rb) {
		for i := 0; i+1 < len(ra); i++ {
			if ra[i] != rb[i] {
				if ra[i] == rb[i+1] && ra[i+1] == rb[i] && string(ra[i+2:]) == string(rb[i+2:]) {
					return LookSwapped
				}
				break
			}
		}
		return LookTypo
	}
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	// ra is rb with one rune inserted: doubled if that rune repeats a
	// neighbour.
	for i := range ra {
		if i == len(rb) || ra[i] != rb[i] {
			if (i > 0 && ra[i-1] == ra[i]) || (i+1 < len(ra) && ra[i+1] == ra[i]) {
				return LookDoubled
			}
			return LookTypo
		}
	}
	return LookTypo
}
