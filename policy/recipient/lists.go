package recipient

import (
	"bufio"
	_ "embed"
	"fmt"
	"strings"
)

// Shipped lists (see the header of each file for its source and licence).
var (
	//go:embed data/disposable.txt
	disposableData string
	//go:embed data/mailin.txt
	mailInData string
)

// DisposableData is the shipped list of disposable and anonymous mail
// domains, in the List file format.
func DisposableData() string { return disposableData }

// MailInData is the shipped list of online services' mail-in domains, in the
// List file format.
func MailInData() string { return mailInData }

// List is a list of service domains. An entry covers the domain and all its
// subdomains ("mailinator.com" covers "x.mailinator.com"). Removals are
// exceptions that cover their subdomains too; at each level the most specific
// entry wins, so removing "sub.example.org" while "example.org" is listed
// leaves "example.org" listed, and removing a listed name unlists it.
//
// File format, one entry a line:
//
//	# comment
//	domain.example   Optional note (the service's name)
//
// A List is immutable once built and safe for concurrent use.
type List struct {
	entries map[string]string // domain → note
	removed map[string]bool
}

// NewList builds a List from data (the file format above) with the admin's
// additions and removals. Added and removed names are domains (Unicode or
// A-label, any case), not "*." patterns: every entry covers its subdomains.
// A name both added and removed is removed.
func NewList(data string, add, remove []string) (*List, error) {
	l := &List{entries: map[string]string{}, removed: map[string]bool{}}
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var errs []string
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		d, err := listName(fields[0])
		if err != nil {
			errs = append(errs, fmt.Sprintf("line %d: %v", n, err))
			continue
		}
		l.entries[d] = strings.Join(fields[1:], " ")
	}
	for _, a := range add {
		d, err := listName(a)
		if err != nil {
			errs = append(errs, fmt.Sprintf("add: %v", err))
			continue
		}
		if _, ok := l.entries[d]; !ok {
			l.entries[d] = "added by the administrator"
		}
	}
	for _, r := range remove {
		d, err := listName(r)
		if err != nil {
			errs = append(errs, fmt.Sprintf("remove: %v", err))
			continue
		}
		delete(l.entries, d)
		l.removed[d] = true
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return l, nil
}

// listName checks and normalises one list entry.
func listName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "*.") {
		return "", fmt.Errorf("%q: list entries cover their subdomains; write the domain without \"*.\"", s)
	}
	d := Normalize(s)
	if d == "" || strings.ContainsAny(d, "@/ \t:*") || !strings.Contains(d, ".") ||
		strings.HasPrefix(d, ".") || strings.Contains(d, "..") {
		return "", fmt.Errorf("%q is not a domain name", s)
	}
	return d, nil
}

// Match reports whether domain d (normalised, as from Domain or Normalize) is
// listed, with the matching entry and its note. The cost is one or two map
// look-ups per label of d.
func (l *List) Match(d string) (entry, note string, ok bool) {
	if l == nil || d == "" {
		return "", "", false
	}
	for s := d; ; {
		if l.removed[s] {
			return "", "", false
		}
		if n, ok := l.entries[s]; ok {
			return s, n, true
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return "", "", false
		}
		s = s[i+1:]
	}
}

// Len is the number of entries.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.entries)
}
