// Package senders matches envelope senders against the patterns an
// administrator writes in the configuration ("user@x", "*@x", "@x", or "x"
// for a whole domain; "?" and "*" as in path.Match; case is ignored).
package senders

import (
	"fmt"
	"path"
	"strings"
)

// Pattern makes an entry a path.Match pattern on lower-case addresses.
func Pattern(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "@"):
		return "*" + s
	case !strings.Contains(s, "@"):
		return "*@" + s
	}
	return s
}

// Check reports an entry that is not a usable pattern.
func Check(s string) error {
	p := Pattern(s)
	if strings.Trim(s, " ") == "" {
		return fmt.Errorf("empty sender pattern")
	}
	if _, err := path.Match(p, "x@example.co.jp"); err != nil {
		return fmt.Errorf("sender pattern %q: %w", s, err)
	}
	return nil
}

// Match reports whether sender matches the entry.
func Match(entry, sender string) bool {
	ok, _ := path.Match(Pattern(entry), strings.ToLower(strings.TrimSpace(sender)))
	return ok
}
