package recipient

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var testConfig = Config{
	Internal: []string{"example.co.jp", "*.example.co.jp"},
	Verified: []string{
		"*.partner.example.com", // the bare name partner.example.com is not verified
		"tokyo-shoji.co.jp",     // exact: its subdomains are not verified
		"kaisha.ne.jp",
		"npo-sakura.or.jp",
		"city.yokohama.lg.jp",
		"u-tokyo.ac.jp",
		"abc.co.jp", // a short label
		"willow.co.jp",
		"daiichi.co.jp",
		"例え.jp", // an IDN written in Unicode
	},
	AnonymousAdd:    []string{"burner.example.org"},
	AnonymousRemove: []string{"duck.com"},
}

func newTestClassifier(t testing.TB) *Classifier {
	t.Helper()
	c, err := NewClassifier(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClassify(t *testing.T) {
	c := newTestClassifier(t)
	type want struct {
		class     Class
		resembles string
		kind      LookalikeKind
	}
	cases := []struct {
		addr string
		want want
	}{
		// Internal and verified, in every spelling.
		{"a@example.co.jp", want{class: Internal}},
		{"a@Mail.Example.CO.JP", want{class: Internal}},
		{"a@x.partner.example.com", want{class: Verified}},
		{"a@tokyo-shoji.co.jp", want{class: Verified}},
		{"a@kaisha.ne.jp", want{class: Verified}},
		{"a@ｋａｉｓｈａ.ne.jp", want{class: Verified}}, // fullwidth, mapped by IDNA
		{"a@npo-sakura.or.jp", want{class: Verified}},
		{"a@city.yokohama.lg.jp", want{class: Verified}},
		{"a@u-tokyo.ac.jp", want{class: Verified}},
		{"ユーザー@例え.jp", want{class: Verified}},       // SMTPUTF8 address, Unicode IDN
		{"a@xn--r8jz45g.jp", want{class: Verified}}, // the same in A-label form

		// Same label, other suffix.
		{"a@example.jp", want{Lookalike, "example.co.jp", LookOtherSuffix}},
		{"a@partner.example.co", want{Lookalike, "partner.example.com", LookOtherSuffix}},
		{"a@tokyo-shoji.jp", want{Lookalike, "tokyo-shoji.co.jp", LookOtherSuffix}},
		{"a@kaisha.co.jp", want{Lookalike, "kaisha.ne.jp", LookOtherSuffix}},
		{"a@npo-sakura.ne.jp", want{Lookalike, "npo-sakura.or.jp", LookOtherSuffix}},
		{"a@abc.com", want{Lookalike, "abc.co.jp", LookOtherSuffix}},
		// Confusable ASCII.
		{"a@examp1e.co.jp", want{Lookalike, "example.co.jp", LookConfusable}},
		{"a@exarnple.co.jp", want{Lookalike, "example.co.jp", LookConfusable}},
		{"a@t0kyo-shoji.co.jp", want{Lookalike, "tokyo-shoji.co.jp", LookConfusable}},
		{"a@u-toky0.ac.jp", want{Lookalike, "u-tokyo.ac.jp", LookConfusable}},
		{"a@vvillow.co.jp", want{Lookalike, "willow.co.jp", LookConfusable}},
		{"a@claiichi.co.jp", want{Lookalike, "daiichi.co.jp", LookConfusable}},
		{"a@a8c.co.jp", want{class: Unverified}},
		// IDN homoglyphs: Cyrillic о, Greek ι, Latin with a diacritic.
		{"a@tоkyо-shоji.co.jp", want{Lookalike, "tokyo-shoji.co.jp", LookHomoglyph}},
		{"a@xn--kasha-o2e.ne.jp", want{Lookalike, "kaisha.ne.jp", LookHomoglyph}},
		{"a@kaιsha.ne.jp", want{Lookalike, "kaisha.ne.jp", LookHomoglyph}},
		{"a@wíllow.co.jp", want{Lookalike, "willow.co.jp", LookHomoglyph}},
		// Hyphen or dot added or removed.
		{"a@partner-example.com", want{Lookalike, "partner.example.com", LookSeparator}},
		{"a@partnerexample.com", want{Lookalike, "partner.example.com", LookSeparator}},
		{"a@tokyoshoji.co.jp", want{Lookalike, "tokyo-shoji.co.jp", LookSeparator}},
		{"a@example-co.jp", want{Lookalike, "example.co.jp", LookSeparator}},
		// Typos.
		{"a@kiasha.ne.jp", want{Lookalike, "kaisha.ne.jp", LookSwapped}},
		{"a@exmaple.co.jp", want{Lookalike, "example.co.jp", LookSwapped}},
		{"a@kaissha.ne.jp", want{Lookalike, "kaisha.ne.jp", LookDoubled}},
		{"a@city.yokohamma.lg.jp", want{Lookalike, "city.yokohama.lg.jp", LookDoubled}},
		{"a@tokyo-shouji.co.jp", want{Lookalike, "tokyo-shoji.co.jp", LookTypo}},
		{"a@npo-sakora.or.jp", want{Lookalike, "npo-sakura.or.jp", LookTypo}},
		{"a@exampel.com", want{Lookalike, "partner.example.com", LookSwapped}},
		{"a@exanpre.co.jp", want{Lookalike, "example.co.jp", LookTypo}}, // distance 2
		// Embedded.
		{"a@example.co.jp.evil.test", want{Lookalike, "example.co.jp", LookEmbedded}},

		// Near misses: not lookalikes.
		{"a@partner.example.com", want{class: Unverified}},        // base of a "*." pattern: same owner
		{"a@other.example.com", want{class: Unverified}},          // same registrable domain
		{"a@mail.tokyo-shoji.co.jp", want{class: Unverified}},     // subdomain of an exact entry
		{"a@pref.yokohama.lg.jp", want{class: Unverified}},        // same registrable domain under lg.jp
		{"a@abd.co.jp", want{class: Unverified}},                  // short label: no edit budget
		{"a@xyz.com", want{class: Unverified}},                    // different short domain
		{"a@ab.ne.jp", want{class: Unverified}},                   // different short domain
		{"a@completely-different.co.jp", want{class: Unverified}}, //
		{"a@kaishaya.ne.jp", want{Lookalike, "kaisha.ne.jp", LookTypo}},
		{"a@kaisoku.ne.jp", want{class: Unverified}}, // distance 3
		{"a@sakura.or.jp", want{class: Unverified}},  // npo-sakura minus 4 characters
		{"a@xn--r8jz45g.com", want{Lookalike, "xn--r8jz45g.jp", LookOtherSuffix}},
		{"postmaster", want{class: Unverified}},
		{"a@[192.0.2.1]", want{class: Unverified}},

		// Lists.
		{"a@mailinator.com", want{class: Anonymous}},
		{"a@x.mailinator.com", want{class: Anonymous}},
		{"a@burner.example.org", want{class: Anonymous}}, // added
		{"a@duck.com", want{class: Unverified}},          // removed
		{"a@mozmail.com", want{class: Anonymous}},
		{"a@m.evernote.com", want{class: OnlineService}},
		{"a@photos.flickr.com", want{class: OnlineService}},
		{"a@evernote.com", want{class: Unverified}},
	}
	addrs := make([]string, len(cases))
	for i, tc := range cases {
		addrs[i] = tc.addr
	}
	got := c.Classify(context.Background(), addrs)
	if len(got) != len(cases) {
		t.Fatalf("%d verdicts for %d addresses", len(got), len(cases))
	}
	for i, tc := range cases {
		v := got[i]
		if v.Address != tc.addr {
			t.Errorf("verdict %d is for %q, want %q", i, v.Address, tc.addr)
		}
		g := want{v.Class, v.Resembles, v.Kind}
		if g != tc.want {
			t.Errorf("%s: got %v %q %q (%s), want %v %q %q", tc.addr, g.class, g.resembles, g.kind, v.Evidence(),
				tc.want.class, tc.want.resembles, tc.want.kind)
		}
		if v.Resolution != NotChecked {
			t.Errorf("%s: resolution %v with DNS off", tc.addr, v.Resolution)
		}
	}
}

func TestVerdictRulesAndEvidence(t *testing.T) {
	c := newTestClassifier(t)
	cases := []struct {
		addr     string
		rules    []string
		evidence string
	}{
		{"a@example.co.jp", nil, "example.co.jp is internal"},
		{"a@x.partner.example.com", nil, "x.partner.example.com is verified"},
		{"a@unknown.example", []string{RuleUnverified}, "unknown.example is not verified"},
		{"a@kiasha.ne.jp", []string{RuleLookalike, RuleUnverified}, "kiasha.ne.jp resembles kaisha.ne.jp (swapped letters)"},
		{"a@exanpre.co.jp", []string{RuleLookalike, RuleUnverified}, "exanpre.co.jp resembles example.co.jp (edit distance 2)"},
		{"a@exampel.com", []string{RuleLookalike, RuleUnverified}, "exampel.com resembles partner.example.com (swapped letters)"},
		{"a@kaisya.co.jp", []string{RuleLookalike, RuleUnverified}, "kaisya.co.jp resembles kaisha.ne.jp (edit distance 1, other suffix)"},
		{"a@mailinator.com", []string{RuleAnonymous, RuleUnverified}, "mailinator.com is listed as anonymous: Mailinator (mailinator.com)"},
		{"a@m.evernote.com", []string{RuleOnlineService, RuleUnverified}, "m.evernote.com is listed as online-service: Evernote (email to notebook) (m.evernote.com)"},
	}
	for _, tc := range cases {
		v := c.Classify(context.Background(), []string{tc.addr})[0]
		if got := v.Rules(); !reflect.DeepEqual(got, tc.rules) {
			t.Errorf("%s: rules %v, want %v", tc.addr, got, tc.rules)
		}
		if got := v.Evidence(); got != tc.evidence {
			t.Errorf("%s: evidence %q, want %q", tc.addr, got, tc.evidence)
		}
	}

	// An anonymous domain the administrator verified stays anonymous, but
	// is not unverified.
	cfg := testConfig
	cfg.Verified = []string{"yopmail.com"}
	c2, err := NewClassifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v := c2.ClassifyDomain("yopmail.com")
	if v.Class != Anonymous || !v.Verified || !reflect.DeepEqual(v.Rules(), []string{RuleAnonymous}) {
		t.Errorf("verified yopmail.com: %+v rules %v", v, v.Rules())
	}
	v.Resolution, v.DNSDetail = Unresolvable, "NXDOMAIN"
	if !slices.Contains(v.Rules(), RuleUnresolvable) || !strings.HasSuffix(v.Evidence(), "does not accept mail: NXDOMAIN") {
		t.Errorf("unresolvable: %v %q", v.Rules(), v.Evidence())
	}
}

func TestRuleIDs(t *testing.T) {
	// The contract with the policy package (policy/rules.go).
	ids := map[string]string{
		RuleUnverified:    "recipient-domain-unverified",
		RuleLookalike:     "recipient-domain-lookalike",
		RuleAnonymous:     "recipient-domain-anonymous",
		RuleUnresolvable:  "recipient-domain-unresolvable",
		RuleExposed:       "recipients-exposed",
		RuleOnlineService: "link-online-service",
	}
	for got, want := range ids {
		if got != want {
			t.Errorf("rule id %q, want %q", got, want)
		}
	}
}

func TestAnonymousList(t *testing.T) {
	l, err := NewList(DisposableData(), nil, nil)
	if err != nil {
		t.Fatalf("shipped list: %v", err)
	}
	if l.Len() < 100 {
		t.Errorf("shipped list has %d entries", l.Len())
	}
	for _, d := range []string{
		"mailinator.com", "guerrillamail.com", "10minutemail.com", "temp-mail.org", "yopmail.com",
		"sharklasers.com", "trashmail.com", "getnada.com", "maildrop.cc", "dispostable.com",
		"throwawaymail.com", "mohmal.com", "tempmail.plus", "mail.tm", "emailondeck.com",
		"fakeinbox.com", "mintemail.com", "spamgourmet.com", "anonaddy.me", "simplelogin.co",
		"x.simplelogin.co", "user.anonaddy.com", "duck.com", "privaterelay.appleid.com",
	} {
		if _, _, ok := l.Match(d); !ok {
			t.Errorf("%s not listed", d)
		}
	}
	for _, d := range []string{"gmail.com", "yahoo.co.jp", "outlook.com", "proton.me", "appleid.com", "tm", "mailinator.com.evil.test", "notmailinator.com"} {
		if e, _, ok := l.Match(d); ok {
			t.Errorf("%s listed (as %s)", d, e)
		}
	}

	l, err = NewList("example.org Example\n# comment\n\nb.example.net  # trailing comment\n",
		[]string{"Added.Example", "例え.jp"}, []string{"sub.example.org", "b.example.net"})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"example.org":       "example.org",
		"x.example.org":     "example.org",
		"sub.example.org":   "",
		"x.sub.example.org": "",
		"b.example.net":     "",
		"added.example":     "added.example",
		"a.added.example":   "added.example",
		"xn--r8jz45g.jp":    "xn--r8jz45g.jp",
		"example.net":       "",
	}
	for d, want := range cases {
		if e, _, _ := l.Match(d); e != want {
			t.Errorf("Match(%q) = %q, want %q", d, e, want)
		}
	}
	if _, note, _ := l.Match("example.org"); note != "Example" {
		t.Errorf("note %q", note)
	}

	for _, bad := range [][]string{{"*.example.org"}, {"user@example.org"}, {"example"}, {"https://example.org/"}} {
		if _, err := NewList("", bad, nil); err == nil {
			t.Errorf("add %q: no error", bad)
		}
		if _, err := NewClassifier(Config{AnonymousRemove: bad}); err == nil {
			t.Errorf("remove %q: no error from NewClassifier", bad)
		}
	}
	if _, err := NewList("ok.example\nnot a domain\n", nil, nil); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad data line: %v", err)
	}
}

func TestMailInList(t *testing.T) {
	l, err := NewList(MailInData(), nil, nil)
	if err != nil {
		t.Fatalf("shipped list: %v", err)
	}
	for _, d := range []string{"m.evernote.com", "photos.flickr.com", "onenote.com", "kindle.com", "free.kindle.com"} {
		if _, _, ok := l.Match(d); !ok {
			t.Errorf("%s not listed", d)
		}
	}
	for _, d := range []string{"evernote.com", "flickr.com", "dropbox.com"} {
		if _, _, ok := l.Match(d); ok {
			t.Errorf("%s listed", d)
		}
	}
	c, err := NewClassifier(Config{MailInAdd: []string{"mail.example-notes.com"}, MailInRemove: []string{"kindle.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if v := c.ClassifyDomain("mail.example-notes.com"); v.Class != OnlineService {
		t.Errorf("added mail-in: %v", v.Class)
	}
	if v := c.ClassifyDomain("free.kindle.com"); v.Class != Unverified {
		t.Errorf("removed mail-in: %v", v.Class)
	}
}

func TestExposed(t *testing.T) {
	c := newTestClassifier(t)
	addrs := []string{
		"a@client1.example", "A@Client1.Example", // the same address twice
		"Bob <b@client1.example>", "c@client2.example", "d@client3.example",
		"e@x.partner.example.com", // verified, but external
		"me@example.co.jp", "you@sales.example.co.jp", "undisclosed-recipients:;", "",
	}
	n, doms, exposed := c.Exposed(addrs)
	if n != 5 || exposed {
		t.Errorf("count %d exposed %v, want 5 false", n, exposed)
	}
	want := []string{"client1.example", "client2.example", "client3.example", "x.partner.example.com"}
	if !reflect.DeepEqual(doms, want) {
		t.Errorf("domains %v, want %v", doms, want)
	}
	n, _, exposed = c.Exposed(append(addrs, "f@ｃｌｉｅｎｔ４.example"))
	if n != 6 || !exposed {
		t.Errorf("count %d exposed %v, want 6 true", n, exposed)
	}
	c2, err := NewClassifier(Config{Internal: []string{"example.co.jp"}, ExposedThreshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, exposed := c2.Exposed([]string{"a@x.example", "b@x.example"}); n != 2 || !exposed {
		t.Errorf("threshold 1: %d %v", n, exposed)
	}
	if n, d, exposed := c2.Exposed(nil); n != 0 || d != nil || exposed {
		t.Errorf("empty: %d %v %v", n, d, exposed)
	}
}
