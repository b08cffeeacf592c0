package inspect

import (
	"errors"
	"io"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlResult is what an HTML body shows: its visible text and the Content-IDs
// it references with "cid:" URLs (lower case, without "cid:" and brackets).
type htmlResult struct {
	text      string
	truncated bool
	cids      map[string]bool
	err       error // the tokenizer gave up (a token larger than the limit)
	// hidden is text a recipient can reveal but the page does not show:
	// comments, <title>, alt, title, aria-label, placeholder and value
	// attributes (one per line).
	hidden string
	// links are the URLs of link and resource attributes (href, src,
	// action, srcset, background, poster, data, CSS url()), one per line,
	// entities decoded; data: URLs are in data instead.
	links string
	data  []dataURL
}

// dataURL is a file embedded in HTML as a data: URL.
type dataURL struct {
	url      string // "data:…"
	download string // the download attribute's file name, if any
	image    bool   // shown as a picture (<img src>, CSS background)
}

// Bounds of what reduceHTML keeps besides the visible text.
const (
	maxHiddenText = 256 << 10
	maxLinkText   = 256 << 10
	maxDataURLs   = 100
)

// linkAttrs hold URLs.
var linkAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "background": true,
	"poster": true, "data": true, "cite": true, "longdesc": true, "xlink:href": true,
}

// hiddenAttrs hold text a recipient can reveal (hovering, a failed image,
// a form field).
var hiddenAttrs = map[string]bool{"alt": true, "title": true, "aria-label": true, "placeholder": true, "value": true}

var cssContentRE = regexp.MustCompile(`(?i)content\s*:\s*(?:"([^"]*)"|'([^']*)')`)

var cssURLRE = regexp.MustCompile(`(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)`)

var metaCharsetRE = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)`)

// htmlCharset finds a <meta charset> or http-equiv charset in the first bytes.
func htmlCharset(sample []byte) string {
	if len(sample) > 4096 {
		sample = sample[:4096]
	}
	if m := metaCharsetRE.FindSubmatch(sample); m != nil {
		return string(m[1])
	}
	return ""
}

// blockAtoms end a line of visible text.
var blockAtoms = map[atom.Atom]bool{
	atom.Br: true, atom.P: true, atom.Div: true, atom.Tr: true, atom.Li: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Table: true, atom.Blockquote: true, atom.Pre: true, atom.Hr: true, atom.Ul: true,
	atom.Ol: true, atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Section: true,
	atom.Article: true, atom.Header: true, atom.Footer: true, atom.Address: true,
}

// hiddenAtoms hold text that a mailer does not show. They are all raw-text or
// RCDATA elements, so an unclosed one cannot hide the rest of the body.
var hiddenAtoms = map[atom.Atom]bool{atom.Script: true, atom.Style: true, atom.Title: true}

// reduceHTML reads HTML (already UTF-8) from r and returns its visible text
// (script/style/head dropped, entities decoded, whitespace folded), capped at
// maxText bytes, and the cid: references. maxToken bounds a single token.
func reduceHTML(r io.Reader, maxText int64, maxToken int) htmlResult {
	res := htmlResult{cids: map[string]bool{}}
	z := html.NewTokenizer(r)
	z.SetMaxBuf(maxToken)
	var b strings.Builder
	var hiddenText, links strings.Builder
	addLine := func(sb *strings.Builder, max int, v string) {
		v = strings.TrimSpace(v)
		if v == "" || sb.Len()+len(v)+1 > max {
			return
		}
		sb.WriteString(v)
		sb.WriteByte('\n')
	}
	addURL := func(v string, download string, image bool) {
		v = strings.TrimSpace(v)
		if len(v) >= 5 && strings.EqualFold(v[:5], "data:") {
			if len(res.data) < maxDataURLs {
				res.data = append(res.data, dataURL{url: v, download: download, image: image})
			}
			return
		}
		if len(v) >= 4 && strings.EqualFold(v[:4], "cid:") || strings.HasPrefix(v, "#") {
			return // a part of this message, or a place in the page
		}
		addLine(&links, maxLinkText, v)
	}
	addCSS := func(css string, image bool) {
		for _, m := range cssURLRE.FindAllStringSubmatch(css, 1000) {
			addURL(m[1]+m[2]+m[3], "", image)
		}
		// Text a stylesheet puts on the page (::before/::after content)
		// is shown to the recipient although no text node holds it.
		for _, m := range cssContentRE.FindAllStringSubmatch(css, 1000) {
			addLine(&hiddenText, maxHiddenText, m[1]+m[2])
		}
	}
	hidden := 0
	inTitle, inStyle := false, false
	pendingSpace := false // a blank is due before the next visible text
	write := func(s string) {
		if res.truncated {
			return
		}
		if int64(b.Len()+len(s)) > maxText {
			res.truncated = true
			s = truncateUTF8(s, int(maxText)-b.Len())
		}
		b.WriteString(s)
	}
	newline := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			write("\n")
		}
		pendingSpace = false
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				res.err = err
				if errors.Is(err, html.ErrBufferExceeded) {
					res.err = errHTMLToken
				}
			}
			res.text = strings.TrimSpace(b.String())
			res.hidden = hiddenText.String()
			res.links = links.String()
			return res
		case html.CommentToken:
			addLine(&hiddenText, maxHiddenText, string(z.Text()))
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if tt != html.EndTagToken {
				var urls []string
				download := ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					key := string(k)
					switch key {
					case "src", "href", "background", "data", "poster", "srcset", "style":
						addCIDs(res.cids, v)
					}
					switch {
					case linkAttrs[key]:
						urls = append(urls, string(v))
					case key == "srcset":
						for _, c := range strings.Split(string(v), ",") {
							if f := strings.Fields(c); len(f) > 0 {
								urls = append(urls, f[0])
							}
						}
					case key == "style":
						addCSS(string(v), true)
					case key == "download":
						download = string(v)
					case hiddenAttrs[key]:
						addLine(&hiddenText, maxHiddenText, string(v))
					}
				}
				image := a == atom.Img || a == atom.Image || a == atom.Picture || a == atom.Source
				for _, u := range urls {
					addURL(u, download, image && download == "")
				}
			}
			switch a {
			case atom.Title:
				inTitle = tt == html.StartTagToken
			case atom.Style:
				inStyle = tt == html.StartTagToken
			}
			switch {
			case hiddenAtoms[a]:
				if tt == html.StartTagToken {
					hidden++
				} else if tt == html.EndTagToken && hidden > 0 {
					hidden--
				}
			case blockAtoms[a]:
				newline()
			case a == atom.Td || a == atom.Th:
				pendingSpace = b.Len() > 0
			}
		case html.TextToken:
			if hidden > 0 {
				switch {
				case inTitle:
					addLine(&hiddenText, maxHiddenText, string(z.Text()))
				case inStyle:
					addCSS(string(z.Text()), true)
				}
				continue
			}
			for _, r := range string(z.Text()) { // entities are decoded by the tokenizer
				if isHTMLSpace(r) {
					pendingSpace = b.Len() > 0 && !strings.HasSuffix(b.String(), "\n")
					continue
				}
				if pendingSpace {
					write(" ")
					pendingSpace = false
				}
				write(string(r))
			}
		}
	}
}

var errHTMLToken = errors.New("HTML token larger than the limit")

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0'
}

var cidRE = regexp.MustCompile(`(?i)cid:([^\s"'()<>,]+)`)

// addCIDs records every "cid:" URL in v.
func addCIDs(m map[string]bool, v []byte) {
	for _, sm := range cidRE.FindAllSubmatch(v, -1) {
		id := string(sm[1])
		if u, err := url.PathUnescape(id); err == nil {
			id = u
		}
		m[normCID(id)] = true
	}
}

// normCID normalises a Content-ID for comparison: no brackets, lower case.
func normCID(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "<")
	s = strings.TrimSuffix(s, ">")
	return strings.ToLower(strings.TrimSpace(s))
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
