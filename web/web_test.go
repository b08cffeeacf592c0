package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/internal/logcapture"
	"github.com/sendguard/sendguard/store"
	"github.com/sendguard/sendguard/web"
)

type site struct {
	t      *testing.T
	st     *store.Store
	signer web.Signer
	srv    *httptest.Server
	now    time.Time
	events []string
	log    logcapture.Buffer // the handler's log
	audit  logcapture.Buffer // its audit lines (JSON)
}

func newSite(t *testing.T) *site {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "s.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := web.LoadOrCreateKey(filepath.Join(t.TempDir(), "web.key"))
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, st: st, signer: web.Signer{Key: key}, now: time.Now()}
	s.srv = httptest.NewServer(web.New(web.Config{
		Store: st, Signer: s.signer, RetryFor: time.Hour, Log: slog.New(slog.NewTextHandler(&s.log, nil)),
		Audit: slog.New(slog.NewJSONHandler(&s.audit, nil)),
		OnDecision: func(h *store.Held, d store.Decision, who store.Actor) []store.Notice {
			return []store.Notice{{Kind: "sender-" + d.String(), Ref: h.Ref, Recipients: []string{h.Sender}, Message: []byte("x")}}
		},
		Count: func(action, result string) { s.events = append(s.events, action+":"+result) },
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) hold(ref string, st store.State, subject string) {
	s.t.Helper()
	h := &store.Held{Ref: ref, State: st, Sender: "tanaka@example.co.jp", Recipients: []string{"a@kokyaku-shoji.jp"},
		Rules: []string{"link-file-sharing"}, Approvers: []string{"boss@example.co.jp"},
		Summary: store.Summary{Subject: subject,
			Recipients:  []store.Recipient{{Address: "a@kokyaku-shoji.jp", Class: "unverified"}, {Address: "b@examp1e.co.jp", Class: "lookalike", Resembles: "example.co.jp"}},
			Attachments: []store.Attachment{{Name: "見積書<b>.zip", Format: "zip", Size: 2048, Protected: true, Method: "AES-256"}},
			Findings:    []store.Finding{{Rule: "link-file-sharing", Action: "approve", Reason: "a file-sharing link", ReasonJA: "ファイル共有サービスへのリンク", RemedyJA: "1. リンクを削除\n2. 送り直す"}}},
		ReleaseAt: s.now.Add(5 * time.Minute), ExpireAt: s.now.Add(72 * time.Hour)}
	if err := s.st.Hold(context.Background(), h, strings.NewReader("Subject: x\r\n\r\nsecret body text\r\n"), nil); err != nil {
		s.t.Fatal(err)
	}
}

func (s *site) link(ref, role string) string {
	return s.signer.HeldURL(s.srv.URL, ref, role, s.now.Add(time.Hour))
}

// browser is a client with cookies that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string, lang string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var hiddenField = regexp.MustCompile(`name="(t|csrf)" value="([^"]*)"`)

// post submits the page's form with action, as the browser would.
func post(t *testing.T, c *http.Client, base, page, action, comment string, edit func(url.Values, *http.Request)) *http.Response {
	t.Helper()
	form := url.Values{"action": {action}, "comment": {comment}}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	req, _ := http.NewRequest("POST", base, nil)
	if edit != nil {
		edit(form, req)
	}
	req.Body = io.NopCloser(strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&lt;", "<", "&gt;", ">").Replace(s)
}

func TestSenderSendsNow(t *testing.T) {
	s := newSite(t)
	s.hold("m1", store.StateConfirm, "見積書<script>alert(1)</script>")
	c := browser(t)
	code, page := get(t, c, s.link("m1", web.RoleSender), "ja,en;q=0.5")
	if code != 200 {
		t.Fatalf("GET %d", code)
	}
	for _, want := range []string{"送信者の確認待ち", "a@kokyaku-shoji.jp", "未確認のドメイン", "要注意：似たドメイン", "example.co.jp に似ています",
		"見積書&lt;b&gt;.zip", "暗号化済み AES-256", "ファイル共有サービスへのリンク", "今すぐ送信", "送信を取り消す", "見積書&lt;script&gt;",
		"取り消して送り直す場合の直し方"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "secret body text") || strings.Contains(page, "承認して送信") {
		t.Error("page shows what it must not")
	}
	resp := post(t, c, s.srv.URL+"/h/m1", page, "send", "", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %d", resp.StatusCode)
	}
	code, page = get(t, c, s.srv.URL+resp.Header.Get("Location"), "")
	if code != 200 || !strings.Contains(page, "送信しました") || !strings.Contains(page, `data-state="queued"`) {
		t.Fatalf("after send: %d\n%s", code, page)
	}
	h, _ := s.st.Get(context.Background(), "m1")
	trail, _ := s.st.Trail(context.Background(), "m1")
	if h.State != store.StateQueued || h.DecidedBy != "tanaka@example.co.jp" || trail[1].IP != "127.0.0.1" {
		t.Fatalf("%+v %+v", h, trail)
	}
	// Pressing again: already decided.
	resp = post(t, c, s.srv.URL+"/h/m1", page, "cancel", "", nil)
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusConflict {
		t.Fatalf("second action: %d", resp.StatusCode)
	}
}

func TestApproverRejectsWithComment(t *testing.T) {
	s := newSite(t)
	s.hold("m2", store.StateApproval, "資料")
	c := browser(t)
	// The sender's link offers no approval.
	_, page := get(t, c, s.link("m2", web.RoleSender), "en")
	if strings.Contains(page, "Approve and send") || !strings.Contains(page, "Cancel") {
		t.Fatalf("sender page on an approval:\n%s", page)
	}
	if post(t, c, s.srv.URL+"/h/m2", page, "approve", "", nil).StatusCode != http.StatusForbidden {
		t.Fatal("a sender approved their own message")
	}
	// An address that is not an approver of this message.
	if code, _ := get(t, c, s.link("m2", web.ApproverRole("other@example.co.jp")), ""); code != http.StatusForbidden {
		t.Fatalf("a stranger's approver link: %d", code)
	}
	_, page = get(t, c, s.link("m2", web.ApproverRole("boss@example.co.jp")), "en")
	if !strings.Contains(page, "Approve and send") || !strings.Contains(page, "Reject") || !strings.Contains(page, "boss@example.co.jp") {
		t.Fatalf("approver page:\n%s", page)
	}
	resp := post(t, c, s.srv.URL+"/h/m2", page, "reject", "宛先を確認してください <b>", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	h, _ := s.st.Get(context.Background(), "m2")
	if h.State != store.StateRejected || h.DecidedBy != "boss@example.co.jp" || h.Comment != "宛先を確認してください <b>" {
		t.Fatalf("%+v", h)
	}
	if n, _ := s.st.PendingNotices(context.Background()); len(n) != 1 || n[0].Kind != "sender-rejected" {
		t.Fatalf("notices %+v", n)
	}
	_, page = get(t, c, s.srv.URL+resp.Header.Get("Location"), "")
	if !strings.Contains(page, "宛先を確認してください &lt;b&gt;") {
		t.Fatal("the comment is not shown escaped")
	}
}

func TestTokensAndForgeriesAreRefused(t *testing.T) {
	s := newSite(t)
	s.hold("m3", store.StateConfirm, "x")
	s.hold("m4", store.StateConfirm, "y")
	c := browser(t)
	good := s.link("m3", web.RoleSender)
	expired := s.signer.HeldURL(s.srv.URL, "m3", web.RoleSender, s.now.Add(-time.Minute))
	other := strings.Replace(s.link("m4", web.RoleSender), "/h/m4", "/h/m3", 1)
	tampered := good[:len(good)-3] + "AAA"
	for name, u := range map[string]string{"expired": expired, "other message": other, "tampered": tampered, "no token": s.srv.URL + "/h/m3"} {
		code, page := get(t, c, u, "")
		if code != http.StatusForbidden || strings.Contains(page, "x</td>") {
			t.Errorf("%s: %d", name, code)
		}
	}
	_, page := get(t, c, good, "")
	// No cookie (another browser), wrong field, foreign origin.
	if r := post(t, browser(t), s.srv.URL+"/h/m3", page, "send", "", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("without the cookie: %d", r.StatusCode)
	}
	if r := post(t, c, s.srv.URL+"/h/m3", page, "send", "", func(f url.Values, _ *http.Request) { f.Set("csrf", "AAAA") }); r.StatusCode != http.StatusForbidden {
		t.Errorf("wrong csrf: %d", r.StatusCode)
	}
	if r := post(t, c, s.srv.URL+"/h/m3", page, "send", "", func(_ url.Values, req *http.Request) { req.Header.Set("Origin", "https://evil.example") }); r.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: %d", r.StatusCode)
	}
	h, _ := s.st.Get(context.Background(), "m3")
	if h.State != store.StateConfirm {
		t.Fatalf("a refused request changed the message: %s", h.State)
	}
}

func TestRejectionPage(t *testing.T) {
	s := newSite(t)
	err := s.st.SaveRejection(context.Background(), store.Rejection{Ref: "r1", Sender: "tanaka@example.co.jp", Summary: store.Summary{
		Findings:    []store.Finding{{Rule: "attachment-unencrypted", Reason: "The attachment is not encrypted", ReasonJA: "添付ファイルが暗号化されていません"}},
		Attachments: []store.Attachment{{Name: "顧客一覧.xlsx", Size: 10}}}})
	if err != nil {
		t.Fatal(err)
	}
	u := s.signer.RejectURL(s.srv.URL, "r1", s.now.Add(time.Hour))
	code, page := get(t, browser(t), u, "ja")
	if code != 200 || !strings.Contains(page, "添付ファイルが暗号化されていません") || !strings.Contains(page, "顧客一覧.xlsx") {
		t.Fatalf("%d\n%s", code, page)
	}
	_, page = get(t, browser(t), u+"&lang=en", "ja")
	if !strings.Contains(page, "The attachment is not encrypted") {
		t.Fatal("?lang=en")
	}
	// A held-message token does not open a rejection.
	if code, _ := get(t, browser(t), strings.Replace(s.link("r1", web.RoleSender), "/h/", "/r/", 1), ""); code != http.StatusForbidden {
		t.Fatalf("sender token on /r/: %d", code)
	}
}

func TestKeyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k")
	k1, err := web.LoadOrCreateKey(p)
	if err != nil || len(k1) != web.KeySize {
		t.Fatal(err)
	}
	k2, _ := web.LoadOrCreateKey(p)
	if string(k1) != string(k2) {
		t.Fatal("the key changed")
	}
}

// Behind a reverse proxy that rewrites Host, the page's own form arrives
// with the public address as Origin: accepted; another site still not.
func TestOriginOfThePublicURLBehindAProxy(t *testing.T) {
	s := newSite(t)
	s.srv.Close()
	s.srv = httptest.NewServer(web.New(web.Config{Store: s.st, Signer: s.signer, RetryFor: time.Hour, PublicURL: "https://sendguard.example.co.jp"}))
	t.Cleanup(s.srv.Close)
	s.hold("p1", store.StateConfirm, "x")
	s.hold("p2", store.StateConfirm, "y")
	c := browser(t)
	_, page := get(t, c, s.link("p1", web.RoleSender), "")
	if r := post(t, c, s.srv.URL+"/h/p1", page, "send", "", func(_ url.Values, req *http.Request) { req.Header.Set("Origin", "https://sendguard.example.co.jp") }); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("public origin: %d", r.StatusCode)
	}
	_, page = get(t, c, s.link("p2", web.RoleSender), "")
	for _, o := range []string{"http://sendguard.example.co.jp", "https://evil.example"} {
		if r := post(t, c, s.srv.URL+"/h/p2", page, "send", "", func(_ url.Values, req *http.Request) { req.Header.Set("Origin", o) }); r.StatusCode != http.StatusForbidden {
			t.Errorf("origin %s: %d", o, r.StatusCode)
		}
	}
}
