package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/store"
	"github.com/sendguard/sendguard/web"
)

// The tests here each try one attack or misuse on the page and check that
// the store did not change.

func (s *site) state(ref string) store.State {
	s.t.Helper()
	h, err := s.st.Get(context.Background(), ref)
	if err != nil {
		s.t.Fatal(err)
	}
	return h.State
}

// TestOtherRolesCannotAct: a token whose role is not "sender" and names no
// approver (a rejection link for the same reference, an approver role
// without an address) must not act as the sender, even with a valid CSRF
// pair from the sender's page.
func TestOtherRolesCannotAct(t *testing.T) {
	s := newSite(t)
	s.hold("m5", store.StateConfirm, "x")
	c := browser(t)
	_, page := get(t, c, s.link("m5", web.RoleSender), "")
	for _, role := range []string{web.RoleReject, "approver:", "sender2", ""} {
		tok := strings.TrimPrefix(s.signer.HeldURL("", "m5", role, s.now.Add(time.Hour)), "/h/m5?t=")
		tok, _ = url.QueryUnescape(tok)
		for _, action := range []string{"send", "cancel"} {
			r := post(t, c, s.srv.URL+"/h/m5", page, action, "", func(f url.Values, _ *http.Request) { f.Set("t", tok) })
			if r.StatusCode != http.StatusForbidden {
				t.Errorf("role %q, %s: %d", role, action, r.StatusCode)
			}
		}
		if code, _ := get(t, c, s.link("m5", role), ""); code != http.StatusForbidden {
			t.Errorf("role %q opens the held page: %d", role, code)
		}
	}
	if st := s.state("m5"); st != store.StateConfirm {
		t.Fatalf("state %s", st)
	}
}

// TestLanguageKeptAcrossPost: a page switched to English (?lang=en) in a
// browser that asks for Japanese stays English after a button.
func TestLanguageKeptAcrossPost(t *testing.T) {
	s := newSite(t)
	s.hold("m6", store.StateConfirm, "x")
	c := browser(t)
	_, page := get(t, c, s.link("m6", web.RoleSender)+"&lang=en", "ja")
	if !strings.Contains(page, "Send now") {
		t.Fatal("?lang=en ignored")
	}
	action := regexpFormAction.FindStringSubmatch(page)
	if action == nil {
		t.Fatal("no form")
	}
	resp := post(t, c, s.srv.URL+htmlUnescape(action[1]), page, "cancel", "", func(_ url.Values, req *http.Request) {
		req.Header.Set("Accept-Language", "ja")
	})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %d", resp.StatusCode)
	}
	_, page = get(t, c, s.srv.URL+resp.Header.Get("Location"), "ja")
	if !strings.Contains(page, "Cancelled. The message will not be sent.") {
		t.Fatalf("after the button the page is no longer English:\n%s", page)
	}
}

// TestRefusalPageBilingual: whoever holds a bad link sees why in both
// languages, and nothing of the message.
func TestRefusalPageBilingual(t *testing.T) {
	s := newSite(t)
	s.hold("m7", store.StateConfirm, "見積書")
	expired := s.signer.HeldURL(s.srv.URL, "m7", web.RoleSender, s.now.Add(-time.Minute))
	good := s.link("m7", web.RoleSender)
	for name, tc := range map[string]struct{ u, ja, en string }{
		"expired":  {expired, "有効期限が切れています", "This link has expired"},
		"tampered": {good[:len(good)-2] + "xx", "このリンクは使えません", "This link cannot be used"},
	} {
		for _, lang := range []string{"ja", "en"} {
			code, page := get(t, browser(t), tc.u, lang)
			if code != http.StatusForbidden || !strings.Contains(page, tc.ja) || !strings.Contains(page, tc.en) {
				t.Errorf("%s (%s): %d\n%s", name, lang, code, page)
			}
			for _, leak := range []string{"見積書", "tanaka@", "kokyaku", "m7"} {
				if strings.Contains(page, leak) {
					t.Errorf("%s: the refusal shows %q", name, leak)
				}
			}
		}
	}
}

// TestTwoTabsConflict: the sender presses "send now" in one tab and then
// "cancel" in an older tab of the same page: the second gets the friendly
// "already decided" page (409) with the final state, who decided, and no
// buttons.
func TestTwoTabsConflict(t *testing.T) {
	s := newSite(t)
	s.hold("m8", store.StateDelayed, "x")
	c := browser(t)
	_, tab1 := get(t, c, s.link("m8", web.RoleSender), "ja")
	_, tab2 := get(t, c, s.link("m8", web.RoleSender), "ja")
	if r := post(t, c, s.srv.URL+"/h/m8", tab1, "send", "", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d", r.StatusCode)
	}
	code, page := postPage(t, c, s.srv.URL+"/h/m8", tab2, "cancel")
	if code != http.StatusConflict || !strings.Contains(page, "すでに処理されています") || !strings.Contains(page, `data-state="queued"`) ||
		!strings.Contains(page, "tanaka@example.co.jp") || strings.Contains(page, "<form") {
		t.Fatalf("%d\n%s", code, page)
	}
	if st := s.state("m8"); st != store.StateQueued {
		t.Fatalf("state %s", st)
	}
}

// TestBodyCapped: a POST body over 16 KB is refused before it is read
// further, with 413.
func TestBodyCapped(t *testing.T) {
	s := newSite(t)
	s.hold("m9", store.StateApproval, "x")
	c := browser(t)
	_, page := get(t, c, s.link("m9", web.ApproverRole("boss@example.co.jp")), "")
	r := post(t, c, s.srv.URL+"/h/m9", page, "reject", strings.Repeat("あ", 6000), nil)
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("18 KB body: %d", r.StatusCode)
	}
	// Under the cap but over 1000 characters: stored cut to 1000.
	if r := post(t, c, s.srv.URL+"/h/m9", page, "reject", strings.Repeat("あ", 1200), nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("1200 characters: %d", r.StatusCode)
	}
	h, _ := s.st.Get(context.Background(), "m9")
	if n := len([]rune(h.Comment)); h.State != store.StateRejected || n != 1000 {
		t.Fatalf("%s, comment of %d characters", h.State, n)
	}
}

// TestSecurityHeaders: every response, the refusals and errors included,
// forbids framing, external resources, referrers and caching.
func TestSecurityHeaders(t *testing.T) {
	s := newSite(t)
	s.hold("m10", store.StateConfirm, "x")
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
	}
	c := browser(t)
	for _, u := range []string{s.link("m10", web.RoleSender), s.srv.URL + "/h/m10?t=bad", s.srv.URL + "/healthz", s.srv.URL + "/nothing"} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for k, v := range want {
			if got := resp.Header.Get(k); !strings.HasPrefix(got, v) {
				t.Errorf("%s: %s = %q, want %q", u, k, got, v)
			}
		}
	}
	resp, _ := browser(t).Get(s.link("m10", web.RoleSender))
	resp.Body.Close()
	var ok bool
	for _, ck := range resp.Cookies() {
		ok = ck.HttpOnly && ck.SameSite == http.SameSiteStrictMode && ck.Path == "/" && len(ck.Value) >= 32
	}
	if !ok {
		t.Fatalf("CSRF cookie %v", resp.Cookies())
	}
}

// TestCrossSiteHeaders: a POST that a page on another site made (Origin
// of another host, Origin "null" from a sandboxed frame or a data: URL,
// or only a Referer of another host) is refused even with the cookie and
// the field.
func TestCrossSiteHeaders(t *testing.T) {
	s := newSite(t)
	s.hold("m11", store.StateConfirm, "x")
	c := browser(t)
	_, page := get(t, c, s.link("m11", web.RoleSender), "")
	for name, hdr := range map[string][]string{
		"foreign origin":               {"Origin", "http://evil.example"},
		"other port":                   {"Origin", "http://127.0.0.1:1"},
		"null origin, foreign referer": {"Origin", "null", "Referer", "http://evil.example/page"},
		"foreign referer":              {"Referer", "http://evil.example/page"},
		"unparsable origin":            {"Origin", "http://[::1"},
		"origin without a host":        {"Origin", "file://"},
		"origin with userinfo":         {"Origin", "http://" + strings.TrimPrefix(s.srv.URL, "http://") + "@evil.example"},
	} {
		r := post(t, c, s.srv.URL+"/h/m11", page, "send", "", func(_ url.Values, req *http.Request) {
			for i := 0; i < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
		})
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d", name, r.StatusCode)
		}
	}
	// "Origin: null" without the cookie (a forging page with
	// Referrer-Policy: no-referrer, on another site) is refused.
	if r := post(t, browser(t), s.srv.URL+"/h/m11", page, "send", "", func(_ url.Values, req *http.Request) { req.Header.Set("Origin", "null") }); r.StatusCode != http.StatusForbidden {
		t.Errorf("null origin without the cookie: %d", r.StatusCode)
	}
	if st := s.state("m11"); st != store.StateConfirm {
		t.Fatalf("state %s", st)
	}
	// The page's own form passes: a browser sends "Origin: null" with it
	// (the page's Referrer-Policy is no-referrer), an older one its origin.
	r := post(t, c, s.srv.URL+"/h/m11", page, "send", "", func(_ url.Values, req *http.Request) { req.Header.Set("Origin", "null") })
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the page's own form: %d", r.StatusCode)
	}
	s.hold("m12", store.StateConfirm, "x")
	_, page = get(t, c, s.link("m12", web.RoleSender), "")
	r = post(t, c, s.srv.URL+"/h/m12", page, "send", "", func(_ url.Values, req *http.Request) { req.Header.Set("Origin", s.srv.URL) })
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("same origin: %d", r.StatusCode)
	}
}

var regexpFormAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)

// postPage is post returning the status and the page.
func postPage(t *testing.T, c *http.Client, u, page, action string) (int, string) {
	t.Helper()
	form := url.Values{"action": {action}}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestStalePage: a button on a page whose cookie a later page replaced
// (the later one opened from another site, without the SameSite cookie)
// changes nothing and answers 403 with the page again, bound to the new
// cookie; pressing there works.
func TestStalePage(t *testing.T) {
	s := newSite(t)
	s.hold("m13", store.StateApproval, "x")
	c := browser(t)
	link := s.link("m13", web.ApproverRole("boss@example.co.jp"))
	_, old := get(t, c, link, "")
	// The later page, as a browser opens it from a webmail.
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(s.srv.URL)
	c.Jar.SetCookies(u, resp.Cookies())
	code, page := postPage(t, c, s.srv.URL+"/h/m13", old, "approve")
	if code != http.StatusForbidden || !strings.Contains(page, `id="stale"`) || !strings.Contains(page, `id="btn-approve"`) {
		t.Fatalf("%d\n%s", code, page)
	}
	if st := s.state("m13"); st != store.StateApproval {
		t.Fatalf("state %s", st)
	}
	if code, _ := postPage(t, c, s.srv.URL+"/h/m13", page, "approve"); code != http.StatusSeeOther {
		t.Fatalf("second press: %d", code)
	}
	if st := s.state("m13"); st != store.StateQueued {
		t.Fatalf("state %s", st)
	}
}

// TestAuditLines: each decision and each refusal is one JSON audit line
// naming the action, the result, the message, who (the sender's address
// or the approver's) and from where.
func TestAuditLines(t *testing.T) {
	s := newSite(t)
	s.hold("m14", store.StateConfirm, "x")
	s.hold("m15", store.StateApproval, "x")
	c := browser(t)
	_, page := get(t, c, s.link("m14", web.RoleSender), "")
	post(t, c, s.srv.URL+"/h/m14", page, "send", "", nil)
	_, page = get(t, c, s.link("m15", web.ApproverRole("Boss@example.co.jp")), "")
	post(t, browser(t), s.srv.URL+"/h/m15", page, "approve", "", nil) // no cookie
	post(t, c, s.srv.URL+"/h/m15", page, "reject", "no", nil)
	post(t, c, s.srv.URL+"/h/m15", page, "reject", strings.Repeat("x", 20000), nil)

	var lines []map[string]string
	for _, l := range strings.Split(strings.TrimSpace(s.audit.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		row := map[string]string{}
		for _, k := range []string{"event", "action", "result", "ref", "actor", "ip"} {
			row[k], _ = m[k].(string)
		}
		lines = append(lines, row)
	}
	want := []map[string]string{
		{"event": "held-page", "action": "send", "result": "ok", "ref": "m14", "actor": "tanaka@example.co.jp", "ip": "127.0.0.1"},
		{"event": "held-page", "action": "approve", "result": "refused", "ref": "m15", "actor": "boss@example.co.jp", "ip": "127.0.0.1"},
		{"event": "held-page", "action": "reject", "result": "ok", "ref": "m15", "actor": "boss@example.co.jp", "ip": "127.0.0.1"},
		{"event": "held-page", "action": "post", "result": "refused", "ref": "m15", "actor": "", "ip": "127.0.0.1"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d audit lines, want %d:\n%s", len(lines), len(want), s.audit.String())
	}
	for i := range want {
		for k, v := range want[i] {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %q, want %q", i, k, lines[i][k], v)
			}
		}
	}
}

// TestEscapesEverything: every text that comes with the message (subject,
// addresses, file names, notes) or from a person (the comment) is shown as
// text: markup escaped, control and bidirectional formatting characters
// (a right-to-left override hides a file's real extension) replaced, on
// the held page and on the explanation of a rejection.
func TestEscapesEverything(t *testing.T) {
	s := newSite(t)
	const x = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`
	sum := store.Summary{Subject: "件名" + x,
		Recipients:  []store.Recipient{{Address: "a" + x + "@kokyaku.jp", Class: "lookalike", Resembles: "r" + x}, {Address: "b@c.jp", Class: "unresolvable"}},
		Attachments: []store.Attachment{{Name: "invoice\u202Efdp.exe", Size: 1, Note: "n" + x}, {Name: "f" + x, Protected: true, Method: "m" + x}},
		Findings:    []store.Finding{{Rule: "r", Reason: "reason", ReasonJA: "理由"}}}
	h := &store.Held{Ref: "m16", State: store.StateApproval, Sender: "s" + x + "@example.co.jp", Recipients: []string{"b@c.jp"},
		Approvers: []string{"boss@example.co.jp"}, Summary: sum, ReleaseAt: s.now, ExpireAt: s.now.Add(time.Hour)}
	if err := s.st.Hold(context.Background(), h, strings.NewReader("Subject: x\r\n\r\nbody\r\n"), nil); err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	_, page := get(t, c, s.link("m16", web.ApproverRole("boss@example.co.jp")), "")
	if r := post(t, c, s.srv.URL+"/h/m16", page, "reject", "一行目"+x+"\r\n二行目\u202E\x07", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", r.StatusCode)
	}
	_, held := get(t, c, s.link("m16", web.ApproverRole("boss@example.co.jp")), "")
	if err := s.st.SaveRejection(context.Background(), store.Rejection{Ref: "r16", Sender: h.Sender, Summary: sum}); err != nil {
		t.Fatal(err)
	}
	_, rejected := get(t, c, s.signer.RejectURL(s.srv.URL, "r16", s.now.Add(time.Hour)), "")
	for name, page := range map[string]string{"held": held, "rejection": rejected} {
		for _, bad := range []string{"<script", "<img", "\u202E", "\x07", "cl.unresolvable"} {
			if strings.Contains(page, bad) {
				t.Errorf("%s page holds %q", name, bad)
			}
		}
		for _, want := range []string{"件名&lt;script&gt;", "invoice\uFFFDfdp.exe", "f&lt;script&gt;", "未確認のドメイン"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s page lacks %q", name, want)
			}
		}
	}
	if !strings.Contains(held, "一行目&lt;script&gt;") || !strings.Contains(held, "<br>二行目\uFFFD\uFFFD") {
		t.Errorf("comment:\n%s", held)
	}
}

// TestNoSelfApproval: a sender who is also on the message's approver list
// can neither open it as an approver nor approve it.
func TestNoSelfApproval(t *testing.T) {
	s := newSite(t)
	h := &store.Held{Ref: "m17", State: store.StateApproval, Sender: "Boss@example.co.jp", Recipients: []string{"a@b.jp"},
		Approvers: []string{"boss@example.co.jp", "cfo@example.co.jp"}, ExpireAt: s.now.Add(time.Hour)}
	if err := s.st.Hold(context.Background(), h, strings.NewReader("Subject: x\r\n\r\nbody\r\n"), nil); err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	if code, _ := get(t, c, s.link("m17", web.ApproverRole("boss@example.co.jp")), ""); code != http.StatusForbidden {
		t.Fatalf("the sender's approver link: %d", code)
	}
	// With a form from the sender's own page (cookie and field valid).
	_, page := get(t, c, s.link("m17", web.RoleSender), "")
	tok, _ := url.Parse(s.link("m17", web.ApproverRole("boss@example.co.jp")))
	if r := post(t, c, s.srv.URL+"/h/m17", page, "approve", "", func(f url.Values, _ *http.Request) { f.Set("t", tok.Query().Get("t")) }); r.StatusCode != http.StatusForbidden {
		t.Fatalf("self-approval: %d", r.StatusCode)
	}
	if st := s.state("m17"); st != store.StateApproval {
		t.Fatalf("state %s", st)
	}
	if code, _ := get(t, c, s.link("m17", web.ApproverRole("cfo@example.co.jp")), ""); code != http.StatusOK {
		t.Fatalf("the other approver: %d", code)
	}
}

// TestNewServerBounds: the server NewServer returns bounds slow clients
// and large headers.
func TestNewServerBounds(t *testing.T) {
	srv := web.NewServer(web.Config{}, nil)
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout != 30*time.Second || srv.WriteTimeout != 30*time.Second ||
		srv.IdleTimeout != 120*time.Second || srv.MaxHeaderBytes != 16<<10 || srv.Handler == nil {
		t.Fatalf("%+v", srv)
	}
}
