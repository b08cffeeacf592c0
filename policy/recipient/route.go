package recipient

import "strings"

// Route is what an address's local part says about where the mail goes
// after the domain named at its end.
type Route struct {
	// Hidden: the local part routes the mail on to another mailbox — the
	// percent hack ("b%evil.example@example.co.jp"), a UUCP bang path
	// ("evil.example!b@example.co.jp"), an "@" inside a quoted local part
	// ("\"b@evil.example\"@example.co.jp") or unquoted
	// ("b@evil.example@example.co.jp"), or an RFC 821 source route
	// ("@relay.example:b@example.co.jp"). Postfix, Sendmail and Exim honour
	// some of these for their own domains by default, so such an address
	// looks internal while the mail leaves the organisation.
	Hidden bool
	// Quoted: the local part is a quoted string (RFC 5321 section 4.1.2).
	Quoted bool
	// Hops are the domains named in the local part or the source route,
	// normalised, in the order they appear.
	Hops []string
}

// ParseRoute reads the routing an address hides in its local part or
// source route. The address may be bare or in angle brackets.
func ParseRoute(addr string) Route {
	var r Route
	a := strings.TrimSpace(addr)
	a = strings.TrimSuffix(strings.TrimPrefix(a, "<"), ">")
	if strings.HasPrefix(a, "@") { // source route: "@a,@b:user@domain"
		if i := strings.IndexByte(a, ':'); i > 0 {
			r.Hidden = true
			for _, hop := range strings.Split(a[:i], ",") {
				r.addHop(strings.TrimPrefix(strings.TrimSpace(hop), "@"))
			}
			a = a[i+1:]
		}
	}
	i := strings.LastIndexByte(a, '@')
	if i < 0 {
		return r
	}
	local := a[:i]
	if strings.HasPrefix(local, "\"") {
		r.Quoted = true
		local = unquoteLocal(local)
	}
	if !strings.ContainsAny(local, "@%!") {
		return r
	}
	r.Hidden = true
	// Every piece of the local part that looks like a host name is a hop:
	// "user%b.example%c.example", "a.example!b.example!user",
	// "user@b.example".
	for _, piece := range strings.FieldsFunc(local, func(c rune) bool { return c == '@' || c == '%' || c == '!' }) {
		if strings.Contains(piece, ".") {
			r.addHop(piece)
		}
	}
	return r
}

func (r *Route) addHop(h string) {
	if d := Normalize(strings.Trim(h, "[] ")); d != "" {
		r.Hops = append(r.Hops, d)
	}
}

// unquoteLocal returns the content of a quoted local part ("a\"b" → a"b);
// an unterminated one is taken as it is.
func unquoteLocal(s string) string {
	s = strings.TrimPrefix(s, "\"")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '"':
			// the closing quote; anything after it stays (malformed
			// "a"b@c is read as the MTA would: ab)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// routeDomain is the domain a recipient address is judged by: for an
// address that hides a route, the first hop outside the internal domains
// (or the first hop when all are internal); else its own domain.
func (c *Classifier) routeDomain(addr string) (string, bool) {
	r := ParseRoute(addr)
	if !r.Hidden {
		return Domain(addr), false
	}
	for _, h := range r.Hops {
		if !c.internal.Contains(h) {
			return h, true
		}
	}
	if len(r.Hops) > 0 {
		return r.Hops[0], true
	}
	return Domain(addr), true
}
