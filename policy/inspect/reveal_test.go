package inspect

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

// textsOf returns the texts of kind, joined.
func textsOf(m *Message, kind string) string {
	var out []string
	for _, t := range m.Texts {
		if t.Kind == kind {
			out = append(out, t.Content)
		}
	}
	return strings.Join(out, "\n")
}

func htmlMessage(extraHeader, html string) string {
	return "From: alice@example.co.jp\r\nTo: bob@partner.example.com\r\n" + extraHeader +
		"Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n"
}

// TestRevealableTexts: text a recipient can see or reveal is text the rules
// read, each under its own kind.
func TestRevealableTexts(t *testing.T) {
	jisName := "=?ISO-2022-JP?B?" + base64.StdEncoding.EncodeToString([]byte(jisString(t, "パスワード Xk7#mQ2p"))) + "?="
	cases := []struct {
		name, msg, kind, want string
	}{
		{"HTML comment", htmlMessage("", "<p>資料です</p><!-- pw: Xk7#mQ2p -->"), KindHTMLHidden, "pw: Xk7#mQ2p"},
		{"alt attribute", htmlMessage("", `<img src="x.png" alt="パスワードはXk7#mQ2p">`), KindHTMLHidden, "パスワードはXk7#mQ2p"},
		{"title attribute", htmlMessage("", `<span title="Xk7#mQ2p">資料</span>`), KindHTMLHidden, "Xk7#mQ2p"},
		{"CSS content", htmlMessage("", `<style>p.k::after{content:"pw Xk7#mQ2p"}</style><p class="k">資料</p>`), KindHTMLHidden, "pw Xk7#mQ2p"},
		{"CSS content in a style attribute", htmlMessage("", `<span style="--x:1;content:'Xk7#mQ2p'">資料</span>`), KindHTMLHidden, "Xk7#mQ2p"},
		{"<title>", htmlMessage("", `<html><head><title>pw Xk7#mQ2p</title></head><body>資料</body></html>`), KindHTMLHidden, "pw Xk7#mQ2p"},
		{"link behind こちら", htmlMessage("", `<a href="https://gigafile.nu/abc&amp;x=1">こちら</a>`), KindHTMLLink, "https://gigafile.nu/abc&x=1"},
		{"CSS url()", htmlMessage("", `<div style="background:url('https://example.net/bg.png')">x</div>`), KindHTMLLink, "https://example.net/bg.png"},
		{"srcset", htmlMessage("", `<img srcset="https://a.example/1.png 1x, https://b.example/2.png 2x">`), KindHTMLLink, "https://b.example/2.png"},
		{"display name", "From: \"pw Xk7#mQ2p\" <alice@example.co.jp>\r\nTo: b@partner.example.com\r\nSubject: s\r\n\r\nbody\r\n", KindHeader, "pw Xk7#mQ2p"},
		{"ISO-2022-JP display name", "From: alice@example.co.jp\r\nTo: " + jisName + " <b@partner.example.com>\r\nSubject: s\r\n\r\nbody\r\n", KindHeader, "パスワード Xk7#mQ2p"},
		{"comment in an address field", "From: alice@example.co.jp (pw Xk7#mQ2p)\r\nTo: b@partner.example.com\r\nSubject: s\r\n\r\nbody\r\n", KindHeader, "pw Xk7#mQ2p"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := walkString(t, c.msg, Limits{})
			if got := textsOf(m, c.kind); !strings.Contains(got, c.want) {
				t.Errorf("%s texts %q lack %q", c.kind, got, c.want)
			}
			if strings.Contains(textsOf(m, "html"), "Xk7#mQ2p") {
				t.Errorf("hidden text leaked into the visible text")
			}
		})
	}
}

func TestAttachmentTexts(t *testing.T) {
	part := func(ctype, name, body string) string {
		return "--B\r\nContent-Type: " + ctype + "\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			base64.StdEncoding.EncodeToString([]byte(body)) + "\r\n"
	}
	msg := "From: a@example.co.jp\r\nTo: b@partner.example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
		"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n資料です\r\n" +
		part("application/octet-stream", "pw.dat", "パスワード: Xk7#mQ2p\r\n") +
		part("application/octet-stream", "memo-sjis.txt", sjisString(t, "パスワードは Ab3dE9fG です")) +
		part("text/calendar", "invite.ics", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDESCRIPTION:会議のパスワードは Qw\r\n 9zP4mX です\\nよろしく\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n") +
		part("application/zip", "a.zip", "PK\x03\x04\x14\x00\x00\x00\x00\x00binary\x00\x00") +
		part("application/pgp-signature", "sig.asc", "-----BEGIN PGP SIGNATURE-----\r\n\r\niQEzBAABCAAdFiEE\r\n-----END PGP SIGNATURE-----\r\n") +
		"--B--\r\n"
	m := walkString(t, msg, Limits{})
	got := textsOf(m, KindAttachment)
	for _, want := range []string{"パスワード: Xk7#mQ2p", "パスワードは Ab3dE9fG です", "会議のパスワードは Qw9zP4mX です\nよろしく"} {
		if !strings.Contains(got, want) {
			t.Errorf("attachment texts %q lack %q", got, want)
		}
	}
	if strings.Contains(got, "binary") || strings.Contains(got, "iQEz") {
		t.Errorf("binary or armored data taken as text: %q", got)
	}
	if len(m.Attachments) != 5 {
		t.Errorf("%d attachments, want 5 (a text attachment stays an attachment)", len(m.Attachments))
	}
}

func TestSeveralAddressFields(t *testing.T) {
	msg := "From: a@example.co.jp\r\nTo: x1@one.example, x2@two.example\r\nTo: x3@three.example\r\nCc: y1@four.example\r\nCc: \"Y 2\" <y2@five.example>\r\nSubject: s\r\n\r\nbody\r\n"
	m := walkString(t, msg, Limits{})
	if want := []string{"x1@one.example", "x2@two.example", "x3@three.example"}; !slices.Equal(m.To, want) {
		t.Errorf("To = %q, want %q", m.To, want)
	}
	if want := []string{"y1@four.example", "y2@five.example"}; !slices.Equal(m.Cc, want) {
		t.Errorf("Cc = %q, want %q", m.Cc, want)
	}
}

// TestDataURLsAreFiles: files embedded in HTML as data: URLs are
// attachments; a real picture shown as an image is an inline image.
func TestDataURLsAreFiles(t *testing.T) {
	zip := attachmentFixture(t, "plain.zip")
	png := attachmentFixture(t, "photo.png")
	b64 := base64.StdEncoding.EncodeToString
	csv := "氏名,電話\n山田太郎,090-1234-5678\n"
	html := `<p>資料</p>` +
		`<a href="data:application/zip;base64,` + b64(zip) + `" download="meibo.zip">ダウンロード</a>` +
		`<img src="data:image/png;base64,` + b64(zip) + `">` +
		`<img src="data:image/png;base64,` + b64(png) + `">` +
		`<div style="background:url(data:text/csv;base64,` + b64([]byte(csv)) + `)">x</div>` +
		`<a href="data:text/plain,%E3%83%91%E3%82%B9">p</a>`
	m := walkString(t, htmlMessage("", html), Limits{})
	var names, types []string
	for _, a := range m.Attachments {
		if a.Origin != OriginHTMLData {
			t.Errorf("attachment %q origin %q", a.Name, a.Origin)
		}
		names = append(names, a.Name)
		types = append(types, a.ContentType)
	}
	if want := []string{"meibo.zip", "", "", ""}; !slices.Equal(names, want) {
		t.Errorf("attachment names %q, want %q", names, want)
	}
	if want := []string{"application/zip", "image/png", "text/csv", "text/plain"}; !slices.Equal(types, want) {
		t.Errorf("attachment types %q, want %q", types, want)
	}
	if len(m.InlineImages) != 1 {
		t.Errorf("inline images %d, want the real PNG only", len(m.InlineImages))
	}
	if !strings.Contains(textsOf(m, KindAttachment), "山田太郎") {
		t.Errorf("the embedded CSV's text is not read")
	}
	// Broken and oversized data: URLs are problems, not silent passes.
	m = walkString(t, htmlMessage("", `<a href="data:application/zip;base64,!!!notbase64">x</a>`), Limits{})
	if len(m.Problems) == 0 {
		t.Errorf("an undecodable data: URL made no problem")
	}
	m = walkString(t, htmlMessage("", `<a href="data:application/zip;base64,`+b64(zip)+`">x</a>`), Limits{MaxPartBytes: 10})
	if len(m.Problems) == 0 {
		t.Errorf("an oversized data: URL made no problem")
	}
}
