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
}

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
	hidden := 0
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
			return res
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if tt != html.EndTagToken {
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch string(k) {
					case "src", "href", "background", "data", "poster", "srcset", "style":
						addCIDs(res.cids, v)
					}
				}
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
