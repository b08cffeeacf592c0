// Package web serves the page senders and approvers use: a held message
// with its recipients, attachments and findings, and the buttons to send it
// now, cancel it, approve it or reject it; and the bilingual explanation of
// a rejected message. Links carry signed, expiring tokens for one message
// and one role; actions are POSTs protected against cross-site requests.
// The page shows no body text and never a password.
package web

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sendguard/sendguard/store"
)

// Config configures the handler.
type Config struct {
	Store  *store.Store
	Signer Signer
	// RetryFor bounds the relay retries of a message released here.
	RetryFor time.Duration
	// Now is the clock (default time.Now).
	Now        func() time.Time
	Log, Audit *slog.Logger
	// OnDecision returns the notices a decision causes (written in the
	// same transaction as the decision); may be nil.
	OnDecision func(h *store.Held, d store.Decision, who store.Actor) []store.Notice
	// Count counts an action and its result (metrics); may be nil.
	Count func(action, result string)
	// PublicURL is the address senders reach the page at (web.public_url);
	// behind a reverse proxy that rewrites Host, a POST whose Origin is
	// this host is the page's own.
	PublicURL string
}

// Limits on what a client may send.
const (
	maxBody        = 16 << 10
	maxCommentRune = 1000
	csrfCookie     = "sg_csrf"
)

type handler struct{ cfg Config }

// New returns the page's handler. It bounds what a client sends (a form
// body of 16 KB, a comment of 1000 characters) but not how long a client
// takes: serve it with NewServer, or an http.Server with the same bounds —
// ReadHeaderTimeout 10s, ReadTimeout 30s, WriteTimeout 30s, IdleTimeout
// 120s, MaxHeaderBytes 16 KB — so that slow clients cannot hold
// connections open.
func New(cfg Config) http.Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Audit == nil {
		cfg.Audit = slog.New(slog.DiscardHandler)
	}
	if cfg.Count == nil {
		cfg.Count = func(string, string) {}
	}
	h := &handler{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /h/{ref}", h.showHeld)
	mux.HandleFunc("POST /h/{ref}", h.decide)
	mux.HandleFunc("GET /r/{ref}", h.showRejection)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	return secure(mux)
}

// NewServer returns an http.Server for the page with bounded timeouts and
// header sizes; tlsConfig, when set, makes it serve HTTPS.
func NewServer(cfg Config, tlsConfig *tls.Config) *http.Server {
	return &http.Server{
		Handler:           New(cfg),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	}
}

// secure sets the headers every response carries: no framing, no
// external resources, no referrer (the token is in the URL), no caching.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// access is what a valid token gives.
type access struct {
	ref, role, token string
	approver         string // for an approver's role
	lang             string
}

// check verifies the request's token for the path's message. On failure
// it has written the refusal page.
func (h *handler) check(w http.ResponseWriter, r *http.Request, token, action string) (*access, bool) {
	ref := r.PathValue("ref")
	a := &access{ref: ref, token: token, lang: pageLanguage(r)}
	role, err := h.cfg.Signer.Verify(token, ref, h.cfg.Now())
	if err != nil {
		h.cfg.Log.Info("page: token refused", "ref", cleanRef(ref), "reason", err.Error(), "ip", clientIP(r))
		h.cfg.Count(action, "refused")
		h.audit(r, action, "refused", cleanRef(ref), "", err.Error())
		h.render(w, http.StatusForbidden, a.lang, pageData{Refused: true, Expired: errors.Is(err, ErrExpired)})
		return nil, false
	}
	a.role = role
	if addr, ok := strings.CutPrefix(role, roleApprover); ok {
		a.approver = addr
	}
	return a, true
}

func (h *handler) showHeld(w http.ResponseWriter, r *http.Request) {
	a, ok := h.check(w, r, r.URL.Query().Get("t"), "view")
	if !ok {
		return
	}
	h.heldForm(w, r, a, "view", false)
}

// heldForm shows the held message with a form bound to the client's CSRF
// cookie (set when it has none). stale says the client pressed a button
// on a page of this message whose cookie has been replaced since.
func (h *handler) heldForm(w http.ResponseWriter, r *http.Request, a *access, action string, stale bool) {
	if a.role != RoleSender && a.approver == "" {
		h.forbidden(w, r, a, action, "token is not for a held message")
		return
	}
	m, err := h.cfg.Store.Get(r.Context(), a.ref)
	if err != nil {
		h.storeError(w, r, a, action, err)
		return
	}
	if a.approver != "" && !isApprover(m, a.approver) {
		h.forbidden(w, r, a, action, "not an approver of this message")
		return
	}
	cookie := h.csrfCookie(w, r)
	if !stale {
		h.cfg.Count(action, "ok")
		h.render(w, http.StatusOK, a.lang, h.heldPage(m, a, cookie, r.URL.Query().Get("done")))
		return
	}
	h.cfg.Log.Info("page: button on an out-of-date page, shown again", "ref", a.ref, "action", action, "ip", clientIP(r))
	h.cfg.Count(action, "stale")
	h.audit(r, action, "stale", a.ref, a.role, "CSRF field of a replaced cookie")
	pd := h.heldPage(m, a, cookie, "")
	pd.Stale = true
	h.render(w, http.StatusForbidden, a.lang, pd)
}

func (h *handler) showRejection(w http.ResponseWriter, r *http.Request) {
	a, ok := h.check(w, r, r.URL.Query().Get("t"), "explain")
	if !ok {
		return
	}
	if a.role != RoleReject {
		h.forbidden(w, r, a, "explain", "token is not for a rejection")
		return
	}
	rej, err := h.cfg.Store.GetRejection(r.Context(), a.ref)
	if err != nil {
		h.storeError(w, r, a, "explain", err)
		return
	}
	h.cfg.Count("explain", "ok")
	h.render(w, http.StatusOK, a.lang, pageData{Rejection: rej, Ref: a.ref, Lang: a.lang, SelfURL: selfURL(a)})
}

// decisions maps an action to the decision and the states it is valid in,
// per role.
var decisions = map[string]struct {
	approver bool
	d        store.Decision
	from     []store.State
}{
	"send":    {false, store.Release, []store.State{store.StateConfirm, store.StateDelayed}},
	"cancel":  {false, store.Cancel, []store.State{store.StateConfirm, store.StateDelayed, store.StateApproval}},
	"approve": {true, store.Release, []store.State{store.StateApproval}},
	"reject":  {true, store.Refuse, []store.State{store.StateApproval}},
}

func (h *handler) decide(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status = http.StatusRequestEntityTooLarge
		}
		h.cfg.Log.Info("page: form refused", "error", err.Error(), "ip", clientIP(r))
		h.cfg.Count("post", "refused")
		h.audit(r, "post", "refused", cleanRef(r.PathValue("ref")), "", err.Error())
		h.render(w, status, pageLanguage(r), pageData{Refused: true})
		return
	}
	action := r.PostForm.Get("action")
	dec, known := decisions[action]
	if !known {
		action = "post"
	}
	a, ok := h.check(w, r, r.PostForm.Get("t"), action)
	if !ok {
		return
	}
	if !sameOrigin(r, h.cfg.PublicURL) {
		h.forbidden(w, r, a, action, "cross-site request (Origin/Referer of another site)")
		return
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		h.forbidden(w, r, a, action, "no CSRF cookie")
		return
	}
	if !equalString(r.PostForm.Get("csrf"), h.cfg.Signer.csrf(c.Value, a.ref)) {
		// A page opened from a webmail (another site) comes without the
		// SameSite=Strict cookie and sets a new one, which makes the field
		// of every page opened before it wrong. Such a press (or a
		// same-site forgery, which cannot read the answer) changes
		// nothing and gets the page again, bound to the cookie it has now.
		h.heldForm(w, r, a, action, true)
		return
	}
	// Only a sender's token acts as the sender, only a token naming an
	// approver acts as one: a rejection link for the same reference (or
	// any other role) acts as neither.
	if !known || dec.approver && a.approver == "" || !dec.approver && a.role != RoleSender {
		h.forbidden(w, r, a, action, "action not allowed for this link")
		return
	}
	comment := strings.TrimSpace(r.PostForm.Get("comment"))
	if !utf8.ValidString(comment) {
		comment = ""
	}
	if utf8.RuneCountInString(comment) > maxCommentRune {
		comment = string([]rune(comment)[:maxCommentRune])
	}
	m, err := h.cfg.Store.Get(r.Context(), a.ref)
	if err != nil {
		h.storeError(w, r, a, action, err)
		return
	}
	who := store.Actor{Name: m.Sender, IP: clientIP(r)}
	if a.approver != "" {
		if !isApprover(m, a.approver) {
			h.forbidden(w, r, a, action, "not an approver of this message")
			return
		}
		who.Name = a.approver
	}
	var notices func(*store.Held) []store.Notice
	if h.cfg.OnDecision != nil {
		notices = func(m *store.Held) []store.Notice { return h.cfg.OnDecision(m, dec.d, who) }
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 15*time.Second)
	defer cancel()
	_, err = h.cfg.Store.Decide(ctx, a.ref, dec.d, dec.from, who, comment, h.cfg.RetryFor, notices)
	switch {
	case errors.Is(err, store.ErrState):
		now, gerr := h.cfg.Store.Get(r.Context(), a.ref)
		if gerr != nil {
			h.storeError(w, r, a, action, gerr)
			return
		}
		h.cfg.Count(action, "conflict")
		h.audit(r, action, "conflict", a.ref, who.Name, string(now.State))
		pd := h.heldPage(now, a, "", "")
		pd.Conflict = true
		h.render(w, http.StatusConflict, a.lang, pd)
		return
	case err != nil:
		h.storeError(w, r, a, action, err)
		return
	}
	h.cfg.Count(action, "ok")
	h.audit(r, action, "ok", a.ref, who.Name, "")
	http.Redirect(w, r, selfURL(a)+"&done="+action, http.StatusSeeOther)
}

func (h *handler) forbidden(w http.ResponseWriter, r *http.Request, a *access, action, why string) {
	h.cfg.Log.Warn("page: request refused", "ref", a.ref, "action", action, "reason", why, "ip", clientIP(r))
	h.cfg.Count(action, "refused")
	h.audit(r, action, "refused", a.ref, a.role, why)
	h.render(w, http.StatusForbidden, a.lang, pageData{Refused: true})
}

func (h *handler) storeError(w http.ResponseWriter, r *http.Request, a *access, action string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		h.cfg.Count(action, "not-found")
		h.audit(r, action, "not-found", a.ref, a.role, "")
		h.render(w, http.StatusNotFound, a.lang, pageData{NotFound: true, Ref: a.ref})
		return
	}
	h.cfg.Log.Error("page: store error", "ref", a.ref, "action", action, "error", err.Error())
	h.cfg.Count(action, "error")
	h.audit(r, action, "error", a.ref, a.role, err.Error())
	h.render(w, http.StatusInternalServerError, a.lang, pageData{Failed: true, Ref: a.ref})
}

func (h *handler) audit(r *http.Request, action, result, ref, actor, detail string) {
	h.cfg.Audit.Info("held-page", "event", "held-page", "action", action, "result", result, "ref", ref,
		"actor", strings.TrimPrefix(actor, roleApprover), "ip", clientIP(r), "detail", detail)
}

// csrfCookie returns the client's CSRF cookie, setting a new one if it
// has none.
func (h *handler) csrfCookie(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return c.Value
	}
	var b [32]byte
	rand.Read(b[:])
	v := b64.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return v
}

// sameOrigin refuses a request whose Origin (or, without one, Referer)
// names another host than the one it was sent to. "Origin: null" says
// nothing: it is what a browser sends with this page's own form, because
// the page's Referrer-Policy is no-referrer (Fetch, "serializing a request
// origin"), and also what a forging page with that policy sends. Then the
// SameSite=Strict cookie and the field bound to it decide.
func sameOrigin(r *http.Request, publicURL string) bool {
	src := r.Header.Get("Origin")
	if src == "" || src == "null" {
		src = r.Header.Get("Referer")
		if src == "" {
			return true
		}
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	pub, err := url.Parse(publicURL)
	return publicURL != "" && err == nil && pub.Host != "" && strings.EqualFold(u.Host, pub.Host) && strings.EqualFold(u.Scheme, pub.Scheme)
}

func equalString(a, b string) bool {
	return len(a) == len(b) && a != "" && hmacEqual([]byte(a), []byte(b))
}

// isApprover says whether addr may approve or reject m: one of its
// approvers, and not its sender (approval is someone else's; the hold
// rules leave the sender out of the list, and the page does not rely on
// it).
func isApprover(m *store.Held, addr string) bool {
	if strings.EqualFold(addr, m.Sender) {
		return false
	}
	for _, a := range m.Approvers {
		if strings.EqualFold(a, addr) {
			return true
		}
	}
	return false
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func selfURL(a *access) string {
	kind := "/h/"
	if a.role == RoleReject {
		kind = "/r/"
	}
	return kind + url.PathEscape(a.ref) + "?t=" + url.QueryEscape(a.token) + "&lang=" + a.lang
}

// cleanRef bounds a reference from a URL for the log.
func cleanRef(ref string) string {
	if len(ref) > 32 {
		ref = ref[:32]
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' {
			return r
		}
		return '_'
	}, ref)
}
