package links

import (
	"html"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/unicode/norm"

	"github.com/sendguard/sendguard/policy/recipient"
)

// Link is a URL or bare domain found in text.
type Link struct {
	// Raw is the text as found (an attribute's value after entity
	// decoding), at most maxRaw bytes.
	Raw string
	// Scheme is "http", "https" or "ftp" in lower case, "" for a bare name.
	Scheme string
	// Host is the normalised host: lower case, IDNA A-label, without
	// userinfo, port, trailing dot or a leading "www.".
	Host string
	// Path is the path, query and fragment as found ("" when none).
	Path string
	// Href reports that the link came from an href or src attribute.
	Href bool
}

// Limits on what one call of Extract keeps.
const (
	maxLinks = 10000
	maxRaw   = 2048
)

// Extract finds the links in text: plain text, HTML reduced to text, or raw
// HTML (href and src attribute values are read too, entities decoded).
//
//   - URLs with an http, https or ftp scheme, ending at white space, at
//     characters not allowed in URLs, and at non-ASCII punctuation, so that
//     "こちら→https://gigafile.nu/abc。" yields https://gigafile.nu/abc.
//     A host may be an IDN written in Unicode; when Japanese text runs on
//     after an ASCII top-level label ("https://例え.jpです") the host ends
//     where the script changes. Paths are ASCII (percent-encoded).
//   - Bare names ("gigafile.nu/abc", "www.example.com") made of ASCII letters,
//     digits, hyphens and dots, whose last label is a top-level domain in the
//     ICANN section of the Public Suffix List. The domain of an e-mail address
//     is not a link. Bare Unicode names are not recognised: without spaces
//     between words, where such a name starts in Japanese text is a guess.
//
// The text is put in NFKC form first, so full-width "ｈｔｔｐｓ：／／" and
// "．" count as their ASCII forms; the ideographic full stop "。" is not
// taken for a dot (it ends a URL). A host is percent-decoded, lower-cased,
// converted to its A-label form and stripped of a leading "www.". Links are
// returned in order of appearance, each (scheme, host, path) once.
func Extract(text string) []Link {
	if !isASCII(text) {
		text = norm.NFKC.String(text)
	}
	return ExtractNFKC(text)
}

// ExtractNFKC is Extract for text already in NFKC form (norm.NFKC.String
// of the text, as the policy has it from its password scan): the same
// links, without normalising the text again.
func ExtractNFKC(text string) []Link {
	x := extractor{seen: map[string]bool{}}
	if mayHaveAttributes(text) {
		x.attributes(text)
		sort.Slice(x.attrs, func(a, b int) bool { return x.attrs[a][0] < x.attrs[b][0] })
	}
	x.scan(text)
	return x.out
}

type extractor struct {
	out  []Link
	seen map[string]bool
	// attrs are the byte ranges of the attribute values read by attributes,
	// which scan skips (they were read entity-decoded already).
	attrs [][2]int
}

func (x *extractor) add(l Link) {
	if len(x.out) >= maxLinks || l.Host == "" {
		return
	}
	key := l.Scheme + "\x00" + l.Host + "\x00" + l.Path
	if x.seen[key] {
		return
	}
	x.seen[key] = true
	if len(l.Raw) > maxRaw {
		l.Raw = truncate(l.Raw, maxRaw)
	}
	x.out = append(x.out, l)
}

// mayHaveAttributes reports whether text has an "href" or "src" (any
// case) followed by optional spaces and "=": without one, attributes finds
// nothing, and the text (most mail text: HTML reaches the rules reduced to
// its visible text) need not be lower-cased and searched for the names.
func mayHaveAttributes(text string) bool {
	for i := 0; ; i++ {
		k := strings.IndexByte(text[i:], '=')
		if k < 0 {
			return false
		}
		i += k
		m := i
		for m > 0 && isSpace(text[m-1]) {
			m--
		}
		if m >= 4 && strings.EqualFold(text[m-4:m], "href") || m >= 3 && strings.EqualFold(text[m-3:m], "src") {
			return true
		}
	}
}

// attributes reads href and src attribute values of raw HTML.
func (x *extractor) attributes(text string) {
	lower := asciiLower(text)
	for _, name := range []string{"href", "src"} {
		for i := 0; ; {
			j := strings.Index(lower[i:], name)
			if j < 0 {
				break
			}
			start := i + j
			i = start + len(name)
			if start > 0 && !isAttrBoundary(lower[start-1]) {
				continue
			}
			k := skipSpace(lower, i)
			if k >= len(lower) || lower[k] != '=' {
				continue
			}
			k = skipSpace(lower, k+1)
			if k >= len(lower) {
				break
			}
			var val string
			if q := text[k]; q == '"' || q == '\'' {
				end := strings.IndexByte(text[k+1:], q)
				if end < 0 {
					continue
				}
				val = text[k+1 : k+1+end]
				i = k + 1 + end + 1
				x.attrs = append(x.attrs, [2]int{k + 1, k + 1 + end})
			} else {
				end := k
				for end < len(text) && !isSpace(text[end]) && text[end] != '>' {
					end++
				}
				val = text[k:end]
				i = end
				x.attrs = append(x.attrs, [2]int{k, end})
			}
			x.attribute(val)
		}
	}
}

func isAttrBoundary(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '"' || c == '\'' || c == '/'
}

// attribute parses one attribute value as a browser would: entities
// decoded, tabs and newlines removed, leading and trailing spaces dropped.
func (x *extractor) attribute(val string) {
	val = html.UnescapeString(val)
	val = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, val)
	val = strings.TrimSpace(val)
	if !isASCII(val) {
		val = norm.NFKC.String(val)
	}
	low := asciiLower(val)
	var scheme, rest string
	switch {
	case strings.HasPrefix(low, "//"):
		rest = val[2:]
	default:
		c := strings.Index(low, ":")
		if c < 0 {
			return // relative
		}
		scheme = low[:c]
		if !webScheme(scheme) {
			return // mailto:, javascript:, cid:, data: ...
		}
		rest = strings.TrimLeft(val[c+1:], "/\\")
	}
	host, path, _ := splitURL(rest, true)
	if h := normHost(host); h != "" {
		x.add(Link{Raw: val, Scheme: scheme, Host: h, Path: path, Href: true})
	}
}

func webScheme(s string) bool { return s == "http" || s == "https" || s == "ftp" }

// scan finds scheme URLs and bare names in text, left to right.
func (x *extractor) scan(text string) {
	i, next := 0, 0 // next: the first attribute range not yet passed
	for i < len(text) && len(x.out) < maxLinks {
		for next < len(x.attrs) && x.attrs[next][1] <= i {
			next++
		}
		if next < len(x.attrs) && x.attrs[next][0] <= i {
			i = x.attrs[next][1]
			continue
		}
		if !isNameByte(text[i]) {
			// Skip to the next name byte or attribute value.
			i++
			for i < len(text) && !isNameByte(text[i]) && (next >= len(x.attrs) || x.attrs[next][0] > i) {
				i++
			}
			continue
		}
		// A run of name bytes: the start of a scheme or of a bare name.
		j := i
		for j < len(text) && isNameByte(text[j]) {
			j++
		}
		if strings.HasPrefix(text[j:], "://") {
			// The scheme is the run's tail of letters (so "→https://" and
			// "xhttps://" both find https, as mail clients do).
			s := j
			for s > i && isAlpha(text[s-1]) {
				s--
			}
			scheme := asciiLower(text[s:j])
			for _, w := range []string{"https", "http", "ftp"} {
				if strings.HasSuffix(scheme, w) {
					s, scheme = j-len(w), w
					break
				}
			}
			if !webScheme(scheme) {
				i = j + 3
				continue
			}
			host, path, n := splitURL(text[j+3:], false)
			end := j + 3 + n
			if h := normHost(host); h != "" {
				x.add(Link{Raw: text[s:end], Scheme: scheme, Host: h, Path: path})
			}
			i = max(end, j+3)
			continue
		}
		x.bare(text, i, j)
		i = j
	}
}

// bare checks the run text[i:j] of name bytes for a bare domain name, with
// an optional path after it.
func (x *extractor) bare(text string, i, j int) {
	if i > 0 && (text[i-1] == '@' || text[i-1] == '/' || text[i-1] == '\\' || text[i-1] == ':' || text[i-1] == '%') {
		return // an e-mail address's domain, a path, a port ...
	}
	if j < len(text) && (text[j] == '@' || isUnicodeLetterAt(text, j)) {
		return // a mailbox's local part, or Latin running into other text
	}
	name := strings.TrimRight(text[i:j], ".-")
	name = strings.TrimLeft(name, ".-")
	if !plausibleName(name) {
		return
	}
	end := i + len(name)
	var path string
	if end == j && j < len(text) && text[j] == '/' {
		n := pathLen(text[j:])
		path = text[j : j+n]
		end = j + n
	}
	if h := normHost(name); h != "" {
		x.add(Link{Raw: text[i:end], Host: h, Path: path})
	}
}

// plausibleName reports whether s looks like a domain name: two or more
// labels of letters, digits and hyphens, the last one an ICANN top-level
// domain.
func plausibleName(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
	}
	tld := asciiLower(labels[len(labels)-1])
	if !strings.HasPrefix(tld, "xn--") {
		for k := 0; k < len(tld); k++ {
			if !isAlpha(tld[k]) {
				return false
			}
		}
	}
	suffix, icann := publicsuffix.PublicSuffix(asciiLower(s))
	if !icann || len(suffix) == len(s) {
		return false
	}
	return true
}

// splitURL splits what follows "scheme://" into the host (userinfo and
// port removed) and the path, query and fragment, and returns how many bytes
// of s the URL takes. In attribute values (attr) the whole value is the URL.
func splitURL(s string, attr bool) (host, path string, n int) {
	// The authority ends at a path, query or fragment, and in running text
	// at white space and at characters that do not belong to a host.
	a := 0
	for a < len(s) {
		c := s[a]
		if c == '/' || c == '\\' || c == '?' || c == '#' {
			break
		}
		if c < utf8.RuneSelf {
			if attr {
				if isSpace(c) {
					break
				}
			} else if !isAuthorityByte(c) {
				break
			}
			a++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[a:])
		if !attr && !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) {
			break // 。、「」→ and the like end a URL
		}
		a += size
	}
	authority := s[:a]
	if !attr {
		authority = strings.TrimRight(authority, ".:")
		a = len(authority)
	}
	hostport := authority
	if k := strings.LastIndexByte(hostport, '@'); k >= 0 {
		hostport = hostport[k+1:]
	}
	host = stripPort(hostport)
	if !attr {
		if cut := textAfterHost(host); cut < len(host) {
			// Japanese text runs on after the host: the URL ends there.
			end := len(authority) - len(hostport) + cut
			return host[:cut], "", end
		}
	}
	if attr {
		return host, s[a:], len(s)
	}
	p := pathLen(s[a:])
	return host, s[a : a+p], a + p
}

// stripPort removes ":port" (and IPv6 brackets stay).
func stripPort(hp string) string {
	if strings.HasPrefix(hp, "[") {
		if k := strings.IndexByte(hp, ']'); k >= 0 {
			return hp[:k+1]
		}
		return hp
	}
	if k := strings.LastIndexByte(hp, ':'); k >= 0 {
		return hp[:k]
	}
	return hp
}

// textAfterHost returns where, in a host found in running text, the host
// ends and text begins: inside the last label, at a change from ASCII to
// non-ASCII ("gigafile.nuから"), or after the longest prefix of an all
// non-ASCII last label that is a top-level domain ("例え.日本です"). It
// returns len(host) when there is nothing to cut.
func textAfterHost(host string) int {
	dot := strings.LastIndexByte(host, '.')
	last := host[dot+1:]
	if isASCII(last) {
		return len(host)
	}
	// ASCII letters and then non-ASCII: cut at the change.
	k := 0
	for k < len(last) && last[k] < utf8.RuneSelf {
		k++
	}
	if k > 0 {
		return dot + 1 + k
	}
	if dot < 0 {
		return len(host)
	}
	// Wholly non-ASCII: the longest prefix that is an ICANN TLD.
	if tldICANN(last) {
		return len(host)
	}
	for end := len(last); end > 0; {
		_, size := utf8.DecodeLastRuneInString(last[:end])
		end -= size
		if end > 0 && tldICANN(last[:end]) {
			return dot + 1 + end
		}
	}
	return len(host)
}

// tldICANN: the label is a top-level domain of the ICANN section of the
// Public Suffix List.
func tldICANN(label string) bool { return recipient.KnownTLD(label) }

// pathLen is the length of the path, query and fragment at the start of s
// (which starts with '/', '?' or '#', or is empty): ASCII URL characters,
// with trailing punctuation and unbalanced closing brackets left out.
func pathLen(s string) int {
	n := 0
	for n < len(s) && isPathByte(s[n]) {
		n++
	}
	for n > 0 {
		c := s[n-1]
		switch {
		case strings.IndexByte(".,;:!?'\"*", c) >= 0:
			n--
			continue
		case c == ')' && strings.Count(s[:n], "(") < strings.Count(s[:n], ")"):
			n--
			continue
		case c == ']' && strings.Count(s[:n], "[") < strings.Count(s[:n], "]"):
			n--
			continue
		}
		break
	}
	return n
}

// normHost normalises a host: percent-decoded, lower case, A-label, no
// trailing dot, no leading "www."; "" when nothing usable is left.
func normHost(h string) string {
	if strings.Contains(h, "%") {
		if u, err := url.PathUnescape(h); err == nil {
			h = u
		}
	}
	if strings.HasPrefix(h, "[") {
		// An IPv6 literal.
		a, err := netip.ParseAddr(strings.TrimSuffix(h[1:], "]"))
		if err != nil || !strings.HasSuffix(h, "]") || !a.Is6() {
			return ""
		}
		return "[" + a.WithZone("").String() + "]"
	}
	h = strings.TrimRight(h, ".")
	if h == "" || strings.ContainsAny(h, " \t\r\n/\\@<>\"'`{}|^") || strings.Contains(h, "..") {
		return ""
	}
	d := recipient.Normalize(h)
	if !validHost(d) {
		return ""
	}
	if rest, ok := strings.CutPrefix(d, "www."); ok && strings.Contains(rest, ".") {
		d = rest
	}
	return d
}

// validHost reports whether d is made of non-empty labels of ASCII letters,
// digits, hyphens and underscores.
func validHost(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(isAlpha(c) || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiLower lower-cases ASCII letters only, so that byte offsets stay.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for k := i; k < len(b); k++ {
				if b[k] >= 'A' && b[k] <= 'Z' {
					b[k] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isNameByte(c byte) bool { return nameBytes[c] }

// nameBytes are the bytes of domain names in running text: ASCII letters,
// digits, '-' and '.'.
var nameBytes = func() (t [256]bool) {
	for c := range 256 {
		t[c] = isAlpha(byte(c)) || c >= '0' && c <= '9' || c == '-' || c == '.'
	}
	return t
}()

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// isAuthorityByte: ASCII bytes of a host, userinfo or port in running text.
func isAuthorityByte(c byte) bool {
	return isNameByte(c) || c == '_' || c == '~' || c == '%' || c == ':' || c == '@' ||
		c == '[' || c == ']' || c == '!' || c == '$' || c == '&' || c == '+' || c == '='
}

// isPathByte: ASCII bytes of a path, query or fragment in running text.
func isPathByte(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return strings.IndexByte("<>\"`{}|^", c) < 0 // "\\" is a "/" to browsers
}

func isUnicodeLetterAt(s string, i int) bool {
	if s[i] < utf8.RuneSelf {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	// Latin letters running on make the name part of a longer word; CJK
	// text after a name is ordinary in Japanese and does not.
	return unicode.Is(unicode.Latin, r)
}

func truncate(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
