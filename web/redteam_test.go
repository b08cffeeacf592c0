package web_test

import (
	"context"
	"net/http"
	"net/url"
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
