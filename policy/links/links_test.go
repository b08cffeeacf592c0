package links

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/sendguard/sendguard/policy/recipient"
)

// hp is a link's host and path, for compact expectations.
type hp struct{ host, path string }

func hosts(ls []Link) []hp {
	var out []hp
	for _, l := range ls {
		out = append(out, hp{l.Host, l.Path})
	}
	return out
}

func TestExtract(t *testing.T) {
	cases := []struct {
		name string
		text string
		want []hp
	}{
		{"japanese without spaces", "こちら→https://gigafile.nu/abc。よろしく", []hp{{"gigafile.nu", "/abc"}}},
		{"japanese after host", "https://gigafile.nuからどうぞ", []hp{{"gigafile.nu", ""}}},
		{"japanese brackets", "「https://we.tl/t-AbC123」を参照", []hp{{"we.tl", "/t-AbC123"}}},
		{"fullwidth", "ｈｔｔｐｓ：／／ｆｉｒｅｓｔｏｒａｇｅ．ｊｐ／ｄｏｗｎｌｏａｄ", []hp{{"firestorage.jp", "/download"}}},
		{"fullwidth parens", "（https://example.com/a）", []hp{{"example.com", "/a"}}},
		{"trailing period", "See https://example.com/a/b.", []hp{{"example.com", "/a/b"}}},
		{"trailing host dot", "Go to https://example.com.", []hp{{"example.com", ""}}},
		{"parentheses balanced", "(see https://en.wikipedia.org/wiki/Foo_(bar))", []hp{{"en.wikipedia.org", "/wiki/Foo_(bar)"}}},
		{"query and fragment", "https://drive.google.com/file/d/1x/view?usp=sharing#x, ok", []hp{{"drive.google.com", "/file/d/1x/view?usp=sharing#x"}}},
		{"userinfo", "https://user:pw@Files.Example.COM:8443/x", []hp{{"files.example.com", "/x"}}},
		{"userinfo trick", "https://gigafile.nu@evil.example/x", []hp{{"evil.example", "/x"}}},
		{"backslash", `https://evil.example\@gigafile.nu/x`, []hp{{"evil.example", `\@gigafile.nu/x`}}},
		{"www stripped", "http://www.WeTransfer.com/", []hp{{"wetransfer.com", "/"}}},
		{"idn host", "https://例え.jp/パス", []hp{{"xn--r8jz45g.jp", "/"}}},
		{"idn then text", "https://例え.jpです", []hp{{"xn--r8jz45g.jp", ""}}},
		{"idn tld then text", "https://例え.コムです", []hp{{"xn--r8jz45g.xn--tckwe", ""}}},
		{"percent host", "https://%67igafile.nu/", []hp{{"gigafile.nu", "/"}}},
		{"ftp", "ftp://files.example.org/pub", []hp{{"files.example.org", "/pub"}}},
		{"other schemes", "mailto:a@example.com file:///etc/passwd javascript:alert(1)", nil},
		{"bare", "ファイルはgigafile.nu/abcにあります", []hp{{"gigafile.nu", "/abc"}}},
		{"bare www", "www.Dropbox.com を使って", []hp{{"dropbox.com", ""}}},
		{"bare end of sentence", "Use wetransfer.com.", []hp{{"wetransfer.com", ""}}},
		{"email is not a link", "連絡先: taro@m.evernote.com まで", nil},
		{"file names", "report.pdf setup.exe readme.txt v1.2.3 e.g. 192.168.0.1", nil},
		{"suffix only", "co.jp", nil},
		{"duplicates once", "https://a.example.com/x https://a.example.com/x https://A.example.com/x", []hp{{"a.example.com", "/x"}}},
		{"two links", "https://docs.google.com/d/1 and https://1drv.ms/u/s!Ab", []hp{{"docs.google.com", "/d/1"}, {"1drv.ms", "/u/s!Ab"}}},
		{"href", `<a href="https://gigafile.nu/x?a=1&amp;b=2">ここ</a>`, []hp{{"gigafile.nu", "/x?a=1&b=2"}}},
		{"href unquoted and single", `<a HREF=https://we.tl/t-1>x</a><img src='//flic.kr/p/abc'>`, []hp{{"we.tl", "/t-1"}, {"flic.kr", "/p/abc"}}},
		{"href entity-encoded host", `<a href="https://&#103;igafile.nu/">x</a>`, []hp{{"gigafile.nu", "/"}}},
		{"href with tabs", "<a href=\"ht\ttps://giga\nfile.nu/\">x</a>", []hp{{"gigafile.nu", "/"}}},
		{"href relative", `<a href="/local/page">x</a><a href="mailto:a@b.example">m</a>`, nil},
		{"data-href ignored", `<a data-href="https://x.example/">x</a>`, []hp{{"x.example", "/"}}}, // still a URL in text
		{"ipv6", "http://[2001:db8::1]:8080/x", []hp{{"[2001:db8::1]", "/x"}}},
	}
	for _, tc := range cases {
		got := hosts(Extract(tc.text))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Extract(%q) = %v, want %v", tc.name, tc.text, got, tc.want)
		}
	}
}

func TestExtractFields(t *testing.T) {
	ls := Extract(`こちら→https://gigafile.nu/abc。 <a href="HTTPS://WE.TL/x">y</a> www.box.com`)
	want := []Link{
		{Raw: "HTTPS://WE.TL/x", Scheme: "https", Host: "we.tl", Path: "/x", Href: true},
		{Raw: "https://gigafile.nu/abc", Scheme: "https", Host: "gigafile.nu", Path: "/abc"},
		{Raw: "www.box.com", Host: "box.com"},
	}
	if !reflect.DeepEqual(ls, want) {
		t.Errorf("got %+v\nwant %+v", ls, want)
	}
}

func TestClassify(t *testing.T) {
	c, err := NewClassifier(Config{
		Allow:               []string{"contoso.sharepoint.com", "*.contoso-files.example", "www.box.com"},
		FileSharingAdd:      []string{"xfer.example.net"},
		OnlineServiceRemove: []string{"pinboard.in"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		host    string
		class   Class
		entry   string
		service string
	}{
		{"gigafile.nu", FileSharing, "gigafile.nu", "ギガファイル便 (GigaFile)"},
		{"95.gigafile.nu", FileSharing, "gigafile.nu", "ギガファイル便 (GigaFile)"},
		{"xgf.GIGAFILE.nu", FileSharing, "gigafile.nu", "ギガファイル便 (GigaFile)"},
		{"firestorage.jp", FileSharing, "firestorage.jp", "firestorage"},
		{"wetransfer.com", FileSharing, "wetransfer.com", "WeTransfer"},
		{"we.tl", FileSharing, "we.tl", "WeTransfer (short links)"},
		{"send-anywhere.com", FileSharing, "send-anywhere.com", "Send Anywhere"},
		{"datadeliver.net", FileSharing, "datadeliver.net", "データ便"},
		{"fromsmash.com", FileSharing, "fromsmash.com", "Smash"},
		{"xfer.example.net", FileSharing, "xfer.example.net", "added by the administrator"},
		{"docs.google.com", OnlineService, "docs.google.com", ""},
		{"drive.google.com", OnlineService, "drive.google.com", ""},
		{"www.evernote.com", OnlineService, "evernote.com", "Evernote"},
		{"onedrive.live.com", OnlineService, "onedrive.live.com", "OneDrive"},
		{"1drv.ms", OnlineService, "1drv.ms", "OneDrive (short links)"},
		{"flickr.com", OnlineService, "flickr.com", "Flickr"},
		{"b.hatena.ne.jp", OnlineService, "b.hatena.ne.jp", "はてなブックマーク"},
		{"dropbox.com", OnlineService, "dropbox.com", ""},
		{"app.box.com", OnlineService, "box.com", "Box"},
		{"fabrikam.sharepoint.com", OnlineService, "sharepoint.com", ""},
		// Allowed, removed, or not listed.
		{"contoso.sharepoint.com", None, "", ""},
		{"a.contoso-files.example", None, "", ""},
		{"box.com", None, "", ""}, // "www.box.com" allowed box.com
		{"pinboard.in", None, "", ""},
		{"google.com", None, "", ""},
		{"hatena.ne.jp", None, "", ""},
		{"notgigafile.nu", None, "", ""},
		{"gigafile.nu.evil.example", None, "", ""},
		{"example.com", None, "", ""},
	}
	for _, tc := range cases {
		class, entry, service := c.ClassifyHost(tc.host)
		if class != tc.class || entry != tc.entry || (tc.service != "" && service != tc.service) {
			t.Errorf("ClassifyHost(%q) = %v %q %q, want %v %q %q", tc.host, class, entry, service, tc.class, tc.entry, tc.service)
		}
	}
}

func TestCheck(t *testing.T) {
	c, err := NewClassifier(Config{Allow: []string{"contoso.sharepoint.com"}})
	if err != nil {
		t.Fatal(err)
	}
	plain := "資料はこちら→https://gigafile.nu/1234-abc。\nまた docs.google.com/document/d/XYZ も参照。\n" +
		"社内: https://contoso.sharepoint.com/sites/x 再掲 https://95.gigafile.nu/5678"
	htmlPart := `<p>写真は<a href="https://www.flickr.com/photos/x">こちら</a></p>`
	got := c.Check(plain, htmlPart)
	var summary []string
	for _, f := range got {
		summary = append(summary, f.Class.Rule()+" "+f.Host+" "+f.Entry)
	}
	want := []string{
		"link-file-sharing gigafile.nu gigafile.nu",
		"link-online-service docs.google.com docs.google.com",
		"link-file-sharing 95.gigafile.nu gigafile.nu",
		"link-online-service flickr.com flickr.com",
	}
	if !reflect.DeepEqual(summary, want) {
		t.Errorf("Check:\n%s\nwant:\n%s", strings.Join(summary, "\n"), strings.Join(want, "\n"))
	}
	if e := got[0].Evidence(); e != "gigafile.nu: ギガファイル便 (GigaFile) (https://gigafile.nu/1234-abc)" {
		t.Errorf("evidence %q", e)
	}
	if got := c.Check("nothing here", ""); got != nil {
		t.Errorf("no links: %v", got)
	}
}

func TestLists(t *testing.T) {
	for name, data := range map[string]string{"filesharing": FileSharingData(), "onlineservice": OnlineServiceData()} {
		l, err := recipient.NewList(data, nil, nil)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if l.Len() < 20 {
			t.Errorf("%s: %d entries", name, l.Len())
		}
	}
	// No host is on both lists.
	fs, _ := recipient.NewList(FileSharingData(), nil, nil)
	for _, line := range strings.Split(OnlineServiceData(), "\n") {
		f := strings.Fields(strings.SplitN(line, "#", 2)[0])
		if len(f) > 0 {
			if e, _, ok := fs.Match(f[0]); ok {
				t.Errorf("%s is on both lists (%s)", f[0], e)
			}
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Allow: []string{"https://contoso.sharepoint.com/"}},
		{Allow: []string{"*."}},
		{FileSharingAdd: []string{"*.example.com"}},
		{OnlineServiceRemove: []string{"not a domain"}},
	} {
		if _, err := NewClassifier(cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// FuzzLinks checks that Extract never panics and that what it returns is
// well formed: hosts normalised, text links found in the text.
func FuzzLinks(f *testing.F) {
	for _, s := range []string{
		"こちら→https://gigafile.nu/abc。",
		"ｈｔｔｐｓ：／／ｆｉｒｅｓｔｏｒａｇｅ．ｊｐ／ｘ",
		`<a href="https://&#103;igafile.nu/">x</a><img src=//flic.kr/p/1>`,
		"https://例え.コムです www.example.com user@m.evernote.com",
		"http://[::1 https://@/ https://:80 https://.%zz. (https://a.example/(b)))",
		"gigafile.nu/" + strings.Repeat("a", 3000),
		"https://" + strings.Repeat("a.", 200) + "com",
		"href=\"", "href='//", "https://x.example\\y", "xn--.com xn--r8jz45g.jp",
	} {
		f.Add(s)
	}
	c, err := NewClassifier(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ls := Extract(s)
		text := s
		if !isASCII(s) {
			text = norm.NFKC.String(s) // as Extract does
		}
		seen := map[string]bool{}
		for _, l := range ls {
			if l.Host == "" || l.Host != strings.ToLower(l.Host) || strings.HasPrefix(l.Host, "www.") && strings.Count(l.Host, ".") > 1 {
				t.Fatalf("host %q not normalised (%+v)", l.Host, l)
			}
			for i := 0; i < len(l.Host); i++ {
				if l.Host[i] >= utf8.RuneSelf || l.Host[i] <= ' ' {
					t.Fatalf("host %q has byte %#x", l.Host, l.Host[i])
				}
			}
			if !l.Href && !strings.Contains(text, l.Raw) {
				t.Fatalf("raw %q not in the text", l.Raw)
			}
			if len(l.Raw) > maxRaw {
				t.Fatalf("raw of %d bytes", len(l.Raw))
			}
			key := l.Scheme + " " + l.Host + " " + l.Path
			if seen[key] {
				t.Fatalf("duplicate %q", key)
			}
			seen[key] = true
			c.ClassifyHost(l.Host)
		}
		if len(ls) > maxLinks {
			t.Fatalf("%d links", len(ls))
		}
		c.Check(s)
	})
}
