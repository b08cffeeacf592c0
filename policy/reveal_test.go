package policy_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/policy"
)

// revealMail builds a message with the given extra header lines, an HTML
// body and attachments (name, type, bytes).
func revealMail(header, html string, parts ...part) []byte {
	var b strings.Builder
	b.WriteString("From: alice@example.co.jp\r\n")
	if !strings.Contains(header, "To:") {
		b.WriteString("To: bob@partner.example.com\r\n")
	}
	b.WriteString(header)
	b.WriteString("Subject: =?UTF-8?B?6LOH5paZ?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n")
	b.WriteString("--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n")
	for _, p := range parts {
		fmt.Fprintf(&b, "--XX\r\nContent-Type: %s\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n",
			p.contentType, p.name, base64.StdEncoding.EncodeToString(p.data))
	}
	b.WriteString("--XX--\r\n")
	return []byte(b.String())
}

func findingOf(v *policy.Verdict, rule string) *policy.Finding {
	for i := range v.Findings {
		if v.Findings[i].Rule == rule {
			return &v.Findings[i]
		}
	}
	return nil
}

// TestPasswordWhereverTheRecipientCanSeeIt: the password of a protected
// attachment (secret123, real ZipCrypto and AES-256 files) written where
// a recipient can see or reveal it is found by trial.
func TestPasswordWhereverTheRecipientCanSeeIt(t *testing.T) {
	p := compile(t, policy.Config{})
	env := policy.Envelope{From: "alice@example.co.jp", To: []string{"bob@partner.example.com"}}
	body := "<p>資料をお送りします。</p>"
	cases := []struct {
		name, header, html string
		extra              []part
		where              string
	}{
		{"HTML comment", "", body + "<!-- secret123 -->", nil, "html-hidden"},
		{"alt text", "", body + `<img src="https://example.co.jp/logo.png" alt="secret123">`, nil, "html-hidden"},
		{"title attribute", "", `<p title="secret123">資料をお送りします。</p>`, nil, "html-hidden"},
		{"CSS ::after content", "", "<style>p.k::after{content:\"secret123\"}</style>" + `<p class="k">資料です</p>`, nil, "html-hidden"},
		{"<title>", "", "<html><head><title>secret123</title></head><body>" + body + "</body></html>", nil, "html-hidden"},
		{"display name", "To: \"secret123\" <bob@partner.example.com>\r\n", body, nil, "header"},
		{"comment in From", "Reply-To: alice@example.co.jp (secret123)\r\n", body, nil, "header"},
		{"link query", "", body + `<a href="https://files.example.co.jp/get?id=1&amp;pw=secret123">こちら</a>`, nil, "html-link"},
		{"password.txt", "", body, []part{{"password.txt", "application/octet-stream", []byte("secret123\r\n")}}, "attachment"},
		{"invitation", "", body, []part{{"invite.ics", "text/calendar", []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDESCRIPTION:資料のパスワードは secr\r\n et123 です\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")}}, "attachment"},
		{"spaced out, no label", "", "<p>資料です。s e c r e t 1 2 3</p>", nil, "html"},
		{"spaced out with hyphens after a label", "", "<p>パスワード：s-e-c-r-e-t-1-2-3</p>", nil, "html"},
		{"one character per line", "", "<p>資料です。</p><p>s<br>e<br>c<br>r<br>e<br>t<br>1<br>2<br>3</p>", nil, "html"},
	}
	for _, zipName := range []string{"zipcrypto.zip", "aes256.zip"} {
		for _, c := range cases {
			t.Run(zipName+"/"+c.name, func(t *testing.T) {
				parts := append([]part{{"meibo.zip", "application/zip", fixture(t, zipName)}}, c.extra...)
				v := evaluate(t, p, env, revealMail(c.header, c.html, parts...))
				f := findingOf(v, "password-in-body")
				if v.Action != policy.Reject || f == nil || f.Variant != "proof" {
					t.Fatalf("verdict %v, findings %v; want password-in-body proved", v.Action, v.Rules())
				}
				if f.Data["Where"] != c.where {
					t.Errorf("where %q, want %q", f.Data["Where"], c.where)
				}
				if f.Data["Masked"] != "se****" || strings.Contains(f.Reason+f.ReasonJA+f.Detail, "secret123") {
					t.Errorf("the password is not masked: %q / %q", f.Data["Masked"], f.Reason)
				}
				if !p.IsIncidentFinding(*f) {
					t.Errorf("a proved password in the same mail is not an incident")
				}
			})
		}
	}
}

// TestIncompletePasswordCheckIsNeverSilent: more candidates than the
// limits allow against an AES ZIP is a flag (default) or unscannable.
func TestIncompletePasswordCheckIsNeverSilent(t *testing.T) {
	var words []string
	for i := 0; i < 400; i++ {
		words = append(words, fmt.Sprintf("Tok%04dx", i))
	}
	msg := revealMail("", "<p>"+strings.Join(words, " ")+"</p>", part{"meibo.zip", "application/zip", fixture(t, "aes256.zip")})
	env := policy.Envelope{From: "alice@example.co.jp", To: []string{"bob@partner.example.com"}}

	v := evaluate(t, compile(t, policy.Config{}), env, msg)
	f := findingOf(v, "password-in-body")
	if f == nil || f.Variant != "incomplete" || f.Action != policy.Flag || v.Action != policy.Flag {
		t.Fatalf("verdict %v %v; want a flagging incomplete password-in-body", v.Action, v.Rules())
	}
	// 400 tokens in the body, and the subject's and file name's.
	if total, _ := strconv.Atoi(f.Data["Total"]); f.Data["Tried"] != "100" || total < 400 || !strings.Contains(f.ReasonJA, "件のうち100件を確認") {
		t.Errorf("tried %s of %s; reason %q", f.Data["Tried"], f.Data["Total"], f.ReasonJA)
	}

	strict := compile(t, policy.Config{Password: policy.PasswordConfig{Incomplete: "unscannable"}})
	v = evaluate(t, strict, env, msg)
	u := findingOf(v, "attachment-unscannable")
	if v.Action != policy.Reject || u == nil || !strings.Contains(u.Detail, "the password check tried 100 of") {
		t.Fatalf("with incomplete = unscannable: %v %v", v.Action, v.Rules())
	}

	// A labelled candidate is tried before the others: the password after
	// a label at the very end of the same long mail is still proved.
	msg = revealMail("", "<p>"+strings.Join(words, " ")+"</p><p>パスワード：secret123</p>", part{"meibo.zip", "application/zip", fixture(t, "aes256.zip")})
	v = evaluate(t, compile(t, policy.Config{}), env, msg)
	if f := findingOf(v, "password-in-body"); f == nil || f.Variant != "proof" {
		t.Errorf("labelled password after 400 tokens: %v", v.Rules())
	}

	// The same number of tokens against ZipCrypto (cheap) is tried in full.
	msg = revealMail("", "<p>"+strings.Join(words, " ")+"</p>", part{"meibo.zip", "application/zip", fixture(t, "zipcrypto.zip")})
	if v := evaluate(t, compile(t, policy.Config{}), env, msg); v.Action != policy.Pass {
		t.Errorf("ZipCrypto with 400 wrong candidates: %v %v, want pass", v.Action, v.Rules())
	}
	if err := compileErr(policy.Config{Password: policy.PasswordConfig{Incomplete: "pass"}}); err == nil || !strings.Contains(err.Error(), "password.incomplete") {
		t.Errorf("incomplete = \"pass\" accepted: %v", err)
	}
}

func compileErr(cfg policy.Config) error {
	cfg.Domains.Internal = []string{"example.co.jp"}
	_, _, err := policy.Compile(cfg)
	return err
}

// TestEveryAddressFieldAndHiddenLink: several To:/Cc: fields are one list
// for recipients-exposed, and a file-sharing link behind 「こちら」 is a link.
func TestEveryAddressFieldAndHiddenLink(t *testing.T) {
	p := compile(t, policy.Config{Domains: policy.DomainsConfig{Internal: []string{"example.co.jp"}, Verified: []string{"partner.example.com"}}})
	env := policy.Envelope{From: "alice@example.co.jp", To: []string{"bob@partner.example.com"}}
	header := "To: a@one.example, b@two.example\r\nTo: c@three.example\r\nCc: d@four.example\r\nCc: e@five.example, f@six.example\r\n"
	v := evaluate(t, p, env, revealMail(header, "<p>ご案内</p>"))
	if !slices.Contains(v.Rules(), "recipients-exposed") {
		t.Errorf("six addresses over four fields: %v, want recipients-exposed", v.Rules())
	}
	v = evaluate(t, p, env, revealMail("", `<p>資料は<a href="https://gigafile.nu/abc-123">こちら</a>からダウンロードしてください。</p>`))
	if f := findingOf(v, "link-file-sharing"); f == nil || f.Evidence != "gigafile.nu" {
		t.Errorf("link behind こちら: %v", v.Rules())
	}
}
