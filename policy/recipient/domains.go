package recipient

import (
	"strings"

	"golang.org/x/net/idna"
)

// Domain returns the domain of an address in lower-case A-label (punycode)
// form, or "" when the address has no domain.
func Domain(addr string) string {
	addr = strings.Trim(addr, "<> ")
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return Normalize(addr[i+1:])
}

// Normalize lower-cases a domain and converts it to its A-label form; a name
// that IDNA refuses is only lower-cased.
func Normalize(d string) string {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	if isASCII(d) && !strings.Contains(d, "xn--") {
		// IDNA maps ASCII to itself once lower-cased (what it refuses is
		// only lower-cased too): skip it, it is most of the cost here.
		return d
	}
	if a, err := idna.Lookup.ToASCII(d); err == nil {
		return a
	}
	return d
}

// Set is a set of domains: exact names and "*.name" patterns that match the
// subdomains of name (not name itself).
type Set struct {
	exact    map[string]bool
	suffixes map[string]bool
}

// NewSet builds a Set from patterns as written in the policy file.
func NewSet(patterns []string) *Set {
	s := &Set{exact: map[string]bool{}, suffixes: map[string]bool{}}
	for _, p := range patterns {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(p), "*."); ok {
			s.suffixes[Normalize(rest)] = true
			continue
		}
		s.exact[Normalize(p)] = true
	}
	return s
}

// Contains reports whether domain d (already normalised) is in the set. The
// cost is one map look-up per label of d.
func (s *Set) Contains(d string) bool {
	if s == nil || d == "" {
		return false
	}
	if s.exact[d] {
		return true
	}
	for i := strings.IndexByte(d, '.'); i >= 0; {
		rest := d[i+1:]
		if s.suffixes[rest] {
			return true
		}
		j := strings.IndexByte(rest, '.')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return false
}

// Len is the number of patterns.
func (s *Set) Len() int { return len(s.exact) + len(s.suffixes) }
