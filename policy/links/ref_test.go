package links

// Extract as it was before it was made faster (the reference), and the
// check that Extract and ExtractNFKC find the same links.

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// refExtract is Extract as it was.
func refExtract(text string) []Link {
	if !isASCII(text) {
		text = norm.NFKC.String(text)
	}
	x := extractor{seen: map[string]bool{}}
	x.attributes(text)
	sort.Slice(x.attrs, func(a, b int) bool { return x.attrs[a][0] < x.attrs[b][0] })
	x.refScan(text)
	return x.out
}

// refScan finds scheme URLs and bare names in text, left to right.
func (x *extractor) refScan(text string) {
	lower := asciiLower(text)
	i, next := 0, 0 // next: the first attribute range not yet passed
	for i < len(text) && len(x.out) < maxLinks {
		for next < len(x.attrs) && x.attrs[next][1] <= i {
			next++
		}
		if next < len(x.attrs) && x.attrs[next][0] <= i {
			i = x.attrs[next][1]
			continue
		}
		c := text[i]
		if !isNameByte(c) {
			i++
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
			scheme := lower[s:j]
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

// linkFragments make generated texts: URLs and bare names in Japanese
// text, full-width forms, attributes in every case and spacing, entities.
var linkFragments = []string{
	"https://gigafile.nu/abc", "HTTPS://Example.COM/Path?q=1", "ｈｔｔｐｓ：／／ｇｉｇａｆｉｌｅ．ｎｕ／ｘ", "http://例え.jp/a", "https://例え.jpです",
	"www.dropbox.com/s/x", "drive.google.com", "gigafile.nu/abc。", "ftp://files.example.org", "xhttps://a.example.com", "→https://firestorage.jp/",
	"tanaka@example.co.jp", "mailto:a@b.jp", "javascript:alert(1)", "//cdn.example.net/x.js", "cid:img1",
	"<a href=\"https://we.tl/t-abc\">", "<A HREF='http://box.com/s/1'>", "href = https://send-anywhere.com/", "SRC=\"//evernote.com/x\"",
	"href=\"https&#58;//wetransfer.com/x\"", "href=\"&#x68;ttps://onedrive.live.com/\"", "src", "href", "=", " = ", "\t=\n", "hrefs=", "xsrc=",
	"\"", "'", ">", "<", " ", "\n", "\r\n", "\t", "こちら", "をご覧ください", "資料は", "。", "、", "「", "」", "（", "）", ".", "-", "_", "/",
	"ORD-000123", "AB0001-X", "example", ".co.jp", ".com", "ａｂｃ", "１２３", "％", "%41", "[::1]", "http://[2001:db8::1]/", ":8080",
}

func TestExtractEquivalence(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for k := range n {
		var b strings.Builder
		for range 1 + rng.IntN(30) {
			b.WriteString(linkFragments[rng.IntN(len(linkFragments))])
		}
		text := b.String()
		want := refExtract(text)
		if got := Extract(text); !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: Extract(%q)\n got %+v\nwant %+v", k, text, got, want)
		}
		if got := ExtractNFKC(norm.NFKC.String(text)); !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: ExtractNFKC(%q)\n got %+v\nwant %+v", k, text, got, want)
		}
	}
	for _, text := range []string{"", "=", "href", "src=", " href =x", fmt.Sprint(linkFragments)} {
		if got, want := Extract(text), refExtract(text); !reflect.DeepEqual(got, want) {
			t.Fatalf("Extract(%q) = %+v, want %+v", text, got, want)
		}
	}
}
