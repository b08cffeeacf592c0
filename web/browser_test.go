package web_test

// The page in a real browser: headless Chromium driven over the DevTools
// protocol (chromedp) opens the links a notice carries, reads what a person
// would read and presses the buttons by their Japanese labels. Screenshots
// of the Japanese pages are written to $SENDGUARD_ARTIFACTS (default: a new
// directory under os.TempDir(), logged) and kept as test artefacts.
//
// Without a Chromium (/usr/bin/chromium, or chromium or chromium-browser in
// PATH) the tests are skipped, unless SENDGUARD_REQUIRE_TOOLS=1: then they
// fail. Each test has 60 seconds, browser start included; when they are up
// the browser is killed and the test fails instead of hanging.

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sendguard/sendguard/internal/postfixtest"
	"github.com/sendguard/sendguard/store"
	"github.com/sendguard/sendguard/web"
)

const browserTimeout = 60 * time.Second

// chromium returns the browser's path, or skips (or, with
// SENDGUARD_REQUIRE_TOOLS=1, fails) the test when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/usr/bin/chromium"); err == nil && !fi.IsDir() {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	why := "chromium not installed: no /usr/bin/chromium and no chromium in PATH (apt-get install chromium fonts-noto-cjk)"
	if os.Getenv(postfixtest.RequireToolsEnv) == "1" {
		t.Fatalf("%s (%s=1)", why, postfixtest.RequireToolsEnv)
	}
	t.Skip(why)
	return ""
}

// artefactsDir is the directory the screenshots go to.
var artefactsDir = sync.OnceValues(func() (string, error) {
	if d := os.Getenv("SENDGUARD_ARTIFACTS"); d != "" {
		return d, os.MkdirAll(d, 0o755)
	}
	return os.MkdirTemp("", "sendguard-web-artifacts-")
})

// tab starts a headless Chromium that asks for Japanese pages and returns
// a tab in it. Everything the test does in the tab must end within
// browserTimeout; the browser is stopped when the test ends.
func tab(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // as root Chromium refuses to start with its sandbox
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(900, 1000),
		chromedp.Flag("lang", "ja"),
		chromedp.Flag("accept-lang", "ja"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(string, ...any) {}))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancel()
	})
	start := time.Now()
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	t.Logf("chromium started in %v", time.Since(start).Round(time.Millisecond))
	return tabCtx
}

// open navigates to u and returns the status of the page.
func open(t *testing.T, ctx context.Context, u string) int64 {
	t.Helper()
	return load(t, ctx, "open "+u, chromedp.Navigate(u))
}

// press clicks the button labelled label, as a person would, and returns
// the status of the page it leads to (after the redirect).
func press(t *testing.T, ctx context.Context, label string) int64 {
	t.Helper()
	return load(t, ctx, "press "+label, chromedp.Click(chromedp.Search(fmt.Sprintf("//button[normalize-space()=%q]", label))))
}

// load runs an action that loads a page and returns the page's status.
func load(t *testing.T, ctx context.Context, what string, a chromedp.Action[chromedp.Void]) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return resp.Status
}

func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatalf("text of #%s: %v", id, err)
	}
	return s
}

// bodyText is the text of the whole page.
func bodyText(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir, err := artefactsDir()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", p, len(png))
}

func wantAll(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

func (s *site) held(ref string) *store.Held {
	s.t.Helper()
	h, err := s.st.Get(context.Background(), ref)
	if err != nil {
		s.t.Fatal(err)
	}
	return h
}

// TestBrowserSender: the sender opens the link of the notice, checks the
// recipients and attachments, and presses 今すぐ送信 on one message and
// 送信を取り消す on another.
func TestBrowserSender(t *testing.T) {
	ctx := tab(t)
	s := newSite(t)
	s.hold("bs1", store.StateConfirm, "見積書<script>alert(1)</script>")
	s.hold("bs2", store.StateDelayed, "週次報告")

	if code := open(t, ctx, s.link("bs1", web.RoleSender)); code != http.StatusOK {
		t.Fatalf("sender page: %d", code)
	}
	wantAll(t, "recipients", text(t, ctx, "recipients"),
		"a@kokyaku-shoji.jp — 未確認のドメイン", "b@examp1e.co.jp — 要注意：似たドメイン (example.co.jp に似ています)")
	wantAll(t, "attachments", text(t, ctx, "attachments"), "見積書<b>.zip (2 KB) — 暗号化済み AES-256")
	wantAll(t, "page", bodyText(t, ctx), "送信者の確認待ち", "ファイル共有サービスへのリンク", "今すぐ送信", "送信を取り消す")
	// The subject's <script> is text, not an element.
	if got := text(t, ctx, "subject"); got != "見積書<script>alert(1)</script>" {
		t.Errorf("subject %q", got)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scripts.length`)); err != nil || n != 0 {
		t.Errorf("scripts on the page: %d, %v", n, err)
	}
	screenshot(t, ctx, "web-sender-ja.png")
	// On a phone's width the page fits: nothing to scroll sideways.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))); err != nil {
		t.Fatal(err)
	}
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Errorf("at 390 px wide the page is %d px wide (%v)", w, err)
	}
	screenshot(t, ctx, "web-sender-ja-mobile.png")
	if err := chromedp.Do(ctx, chromedp.EmulateReset()); err != nil {
		t.Fatal(err)
	}

	if code := press(t, ctx, "今すぐ送信"); code != http.StatusOK {
		t.Fatalf("after 今すぐ送信: %d", code)
	}
	wantAll(t, "banner", text(t, ctx, "done"), "送信しました")
	wantAll(t, "state", text(t, ctx, "state"), "送信処理中")
	screenshot(t, ctx, "web-result-ja.png")
	if h := s.held("bs1"); h.State != store.StateQueued || h.DecidedBy != "tanaka@example.co.jp" {
		t.Fatalf("store: %s by %q", h.State, h.DecidedBy)
	}
	trail, err := s.st.Trail(context.Background(), "bs1")
	if err != nil || len(trail) < 2 || trail[len(trail)-1].Actor != "tanaka@example.co.jp" || trail[len(trail)-1].IP != "127.0.0.1" {
		t.Fatalf("trail %+v %v", trail, err)
	}

	open(t, ctx, s.link("bs2", web.RoleSender))
	wantAll(t, "page", bodyText(t, ctx), "送信予約中", "送信予定")
	if code := press(t, ctx, "送信を取り消す"); code != http.StatusOK {
		t.Fatalf("after 送信を取り消す: %d", code)
	}
	wantAll(t, "banner", text(t, ctx, "done"), "送信を取り消しました")
	if h := s.held("bs2"); h.State != store.StateCancelled {
		t.Fatalf("store: %s", h.State)
	}
	// Done: no button is left.
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("button").length`)); err != nil || n != 0 {
		t.Fatalf("buttons after the decision: %d, %v", n, err)
	}
}

// TestBrowserApprover: the approver opens their link, presses 承認して送信
// on one message, and 差し戻す with a comment on another.
func TestBrowserApprover(t *testing.T) {
	ctx := tab(t)
	s := newSite(t)
	s.hold("ba1", store.StateApproval, "契約書の送付")
	s.hold("ba2", store.StateApproval, "顧客リスト")
	boss := web.ApproverRole("boss@example.co.jp")

	if code := open(t, ctx, s.link("ba1", boss)); code != http.StatusOK {
		t.Fatalf("approver page: %d", code)
	}
	wantAll(t, "page", bodyText(t, ctx), "承認者の承認待ち", "boss@example.co.jp", "tanaka@example.co.jp",
		"a@kokyaku-shoji.jp — 未確認のドメイン", "見積書<b>.zip", "承認して送信", "差し戻す")
	screenshot(t, ctx, "web-approver-ja.png")
	if code := press(t, ctx, "承認して送信"); code != http.StatusOK {
		t.Fatalf("after 承認して送信: %d", code)
	}
	wantAll(t, "banner", text(t, ctx, "done"), "承認しました")
	if h := s.held("ba1"); h.State != store.StateQueued || h.DecidedBy != "boss@example.co.jp" {
		t.Fatalf("store: %s by %q", h.State, h.DecidedBy)
	}

	open(t, ctx, s.link("ba2", boss))
	const comment = "宛先に個人のアドレスが含まれています。確認してください。"
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("comment-input"), comment)); err != nil {
		t.Fatal(err)
	}
	if code := press(t, ctx, "差し戻す"); code != http.StatusOK {
		t.Fatalf("after 差し戻す: %d", code)
	}
	wantAll(t, "banner", text(t, ctx, "done"), "差し戻しました")
	wantAll(t, "comment", text(t, ctx, "comment"), comment)
	screenshot(t, ctx, "web-rejected-ja.png")
	h := s.held("ba2")
	if h.State != store.StateRejected || h.DecidedBy != "boss@example.co.jp" || h.Comment != comment {
		t.Fatalf("store: %s by %q, comment %q", h.State, h.DecidedBy, h.Comment)
	}
	if n, _ := s.st.PendingNotices(context.Background()); len(n) != 2 {
		t.Fatalf("notices %+v", n)
	}
}

// TestBrowserRefusals: an expired link and a tampered one show the
// refusal, and nothing of the message.
func TestBrowserRefusals(t *testing.T) {
	ctx := tab(t)
	s := newSite(t)
	s.hold("br1", store.StateConfirm, "極秘の見積")
	good := s.link("br1", web.RoleSender)
	for name, tc := range map[string]struct {
		u    string
		want string
	}{
		"expired":  {s.signer.HeldURL(s.srv.URL, "br1", web.RoleSender, s.now.Add(-time.Minute)), "このリンクは有効期限が切れています。"},
		"tampered": {strings.Replace(good, "?t=", "?t=A", 1), "このリンクは使えません。"},
	} {
		if code := open(t, ctx, tc.u); code != http.StatusForbidden {
			t.Errorf("%s: %d", name, code)
		}
		page := bodyText(t, ctx)
		wantAll(t, name, page, tc.want)
		for _, leak := range []string{"極秘の見積", "tanaka@", "kokyaku", "今すぐ送信"} {
			if strings.Contains(page, leak) {
				t.Errorf("%s: the refusal shows %q", name, leak)
			}
		}
	}
	if h := s.held("br1"); h.State != store.StateConfirm {
		t.Fatalf("store: %s", h.State)
	}
}

// TestBrowserCrossSite: the sender has the page open (so the browser holds
// its CSRF cookie); a page on another site, which even knows the link's
// token, submits a form to the page by itself. The browser sends it; the
// page refuses it and the message stays where it was.
func TestBrowserCrossSite(t *testing.T) {
	ctx := tab(t)
	s := newSite(t)
	s.hold("bx1", store.StateConfirm, "x")
	link := s.link("bx1", web.RoleSender)
	lu, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	token := lu.Query().Get("t")
	open(t, ctx, link)

	for _, origin := range []struct{ name, host, policy, page, why string }{
		// localhost and 127.0.0.1 are different sites: SameSite=Strict
		// keeps the cookie back, and the Origin is foreign.
		{"another site", "localhost", "", "refused", "cross-site request"},
		// Another port of the same host is the same site, so the cookie
		// goes along: the foreign Origin stops it.
		{"another port", "127.0.0.1", "", "refused", "cross-site request"},
		// The same, from a page that sends no Origin ("null"): the field
		// bound to the cookie stops it. The browser shows the page as
		// out of date, with nothing done (what it shows a person whose
		// cookie a later page replaced).
		{"another port, no referrer", "127.0.0.1", "no-referrer", "stale", "out-of-date page"},
	} {
		logged := len(s.log.String())
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if origin.policy != "" {
				w.Header().Set("Referrer-Policy", origin.policy)
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!DOCTYPE html><html><body onload="document.forms[0].submit()">
<form method="post" action="%s/h/bx1">
<input type="hidden" name="t" value="%s">
<input type="hidden" name="csrf" value="guessed">
<input type="hidden" name="action" value="send">
</form></body></html>`, s.srv.URL, html.EscapeString(token))
		}))
		u := strings.Replace(evil.URL, "127.0.0.1", origin.host, 1)
		// The first navigation loads the forging page; the form's own
		// navigation follows by itself. Wait for the answer.
		if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.ID(origin.page))); err != nil {
			evil.Close()
			t.Fatalf("%s: %v", origin.name, err)
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		evil.Close()
		if err != nil || !strings.HasPrefix(loc, s.srv.URL+"/h/bx1") {
			t.Fatalf("%s: ended at %s (%v)", origin.name, loc, err)
		}
		if h := s.held("bx1"); h.State != store.StateConfirm {
			t.Fatalf("%s: the forged POST changed the message: %s", origin.name, h.State)
		}
		if l := s.log.String()[logged:]; !strings.Contains(l, origin.why) {
			t.Errorf("%s: refused, but not for %q:\n%s", origin.name, origin.why, l)
		}
	}
	// The real page, in the same browser, still works.
	open(t, ctx, link)
	if code := press(t, ctx, "今すぐ送信"); code != http.StatusOK {
		t.Fatalf("after 今すぐ送信: %d", code)
	}
	if h := s.held("bx1"); h.State != store.StateQueued {
		t.Fatalf("store: %s", h.State)
	}
}

// TestBrowserTwoLinksFromWebmail: an approver opens two approval links
// from a webmail page (another site, so the SameSite=Strict cookie stays
// back and the second page sets a new one), then presses 承認して送信 on
// the first page. The button must not end in a dead "link cannot be used"
// page: the page comes back current, nothing changed, and a second press
// approves.
func TestBrowserTwoLinksFromWebmail(t *testing.T) {
	ctx := tab(t)
	s := newSite(t)
	s.hold("bw1", store.StateApproval, "一件目")
	s.hold("bw2", store.StateApproval, "二件目")
	boss := web.ApproverRole("boss@example.co.jp")
	webmail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><a id="l1" href="%s">1</a> <a id="l2" href="%s">2</a>`,
			html.EscapeString(s.link("bw1", boss)), html.EscapeString(s.link("bw2", boss)))
	}))
	defer webmail.Close()
	mail := strings.Replace(webmail.URL, "127.0.0.1", "localhost", 1)

	// Tab 1: the first link, followed from the webmail page.
	open(t, ctx, mail)
	load(t, ctx, "follow the first link", chromedp.Click(chromedp.ID("l1")))
	// Tab 2: the second link, the same way.
	ctx2, cancel := chromedp.NewContext(ctx)
	defer cancel()
	open(t, ctx2, mail)
	load(t, ctx2, "follow the second link", chromedp.Click(chromedp.ID("l2")))
	wantAll(t, "second page", text(t, ctx2, "subject"), "二件目")

	// Back in tab 1.
	press(t, ctx, "承認して送信")
	if h := s.held("bw1"); h.State != store.StateApproval {
		t.Fatalf("a stale page's button changed the message: %s", h.State)
	}
	wantAll(t, "stale page", bodyText(t, ctx), "もう一度", "一件目", "承認して送信")
	if code := press(t, ctx, "承認して送信"); code != http.StatusOK {
		t.Fatalf("second press: %d", code)
	}
	wantAll(t, "banner", text(t, ctx, "done"), "承認しました")
	if h := s.held("bw1"); h.State != store.StateQueued {
		t.Fatalf("store: %s", h.State)
	}
	// Tab 2's page is still current.
	if code := press(t, ctx2, "差し戻す"); code != http.StatusOK {
		t.Fatalf("tab 2: %d", code)
	}
	if h := s.held("bw2"); h.State != store.StateRejected {
		t.Fatalf("store: %s", h.State)
	}
}
