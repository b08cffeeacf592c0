package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sendguard/sendguard/hold"
)

// Store is the [store] section: where held messages, their audit trail,
// the outbox of notices and the explanations of rejections are kept.
type Store struct {
	// DSN is "sqlite:PATH" (the default "sqlite:./sendguard.db"; a
	// relative path is relative to the configuration file) or
	// "postgres://…" for several replicas sharing one database.
	DSN string `toml:"dsn"`
	// Lease is how long a replica owns a message it is relaying or a
	// notice it is sending before another may take it over (default 2m;
	// renewed while the relay runs).
	Lease Duration `toml:"lease"`
}

// Web is the [web] section: the page senders and approvers use.
type Web struct {
	// Listen is host:port ("" = no page; default 127.0.0.1:8025). It
	// serves HTTPS with the server's certificate when [server] has one.
	Listen string `toml:"listen"`
	// PublicURL is what links in notices and reject replies point to
	// (e.g. "https://sendguard.example.co.jp:8025"); "" = no links.
	PublicURL string `toml:"public_url"`
	// KeyFile holds the key that signs the links' tokens; the server
	// creates it (mode 0600) when it is missing. Default: web.key beside
	// the configuration file.
	KeyFile string `toml:"key_file"`
	// TokenTTL is how long a rejection's explanation link stays valid
	// (default hold.expire). Links to held messages are valid until the
	// message's own deadline.
	TokenTTL Duration `toml:"token_ttl"`
}

// holdingDefaults fills the [store], [hold] and [web] defaults.
func (f *File) holdingDefaults() {
	if _, ok := f.Lines["store.dsn"]; !ok && f.Store.DSN == "" {
		f.Store.DSN = "sqlite:./sendguard.db"
	}
	if f.Store.Lease.Duration == 0 {
		f.Store.Lease.Duration = 2 * time.Minute
	}
	if _, ok := f.Lines["web.listen"]; !ok && f.Web.Listen == "" {
		f.Web.Listen = "127.0.0.1:8025"
	}
	if f.Web.KeyFile == "" {
		f.Web.KeyFile = "web.key"
	}
}

// StoreDSN is the store's DSN with a relative SQLite path made relative to
// the configuration file.
func (f *File) StoreDSN() string {
	if p, ok := strings.CutPrefix(f.Store.DSN, "sqlite:"); ok && p != "" && !filepath.IsAbs(p) {
		return "sqlite:" + f.resolve(p)
	}
	return f.Store.DSN
}

// WebKeyFile is the path of the page's token key.
func (f *File) WebKeyFile() string { return f.resolve(f.Web.KeyFile) }

var indexInKey = regexp.MustCompile(`\[\d+\]`)

// checkHolding validates the [store], [hold] and [web] sections.
func (f *File) checkHolding(add func(key, format string, args ...any)) {
	dsn := f.Store.DSN
	switch {
	case dsn == "":
		// Written empty: the store is not optional.
		add("store.dsn", "empty, but held messages (actions hold and approve, hold.delay), the outbox of incident notices and the explanations of rejections are kept in the store: remove the key for the default \"sqlite:./sendguard.db\" or name a database")
	case strings.HasPrefix(dsn, "sqlite:"):
		if strings.TrimPrefix(dsn, "sqlite:") == "" {
			add("store.dsn", "no file after sqlite: (e.g. \"sqlite:./sendguard.db\")")
		}
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			// url.Error quotes the whole DSN, password and all: name only
			// what is wrong.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			add("store.dsn", "not a URL: %v", err)
		}
	default:
		add("store.dsn", "must start with sqlite: or postgres://, not %q", redactDSN(dsn))
	}
	if f.Store.Lease.Duration < 10*time.Second {
		add("store.lease", "%s is too short to relay a message (at least 10s)", f.Store.Lease.Duration)
	}
	if _, err := hold.Compile(f.Hold); err != nil {
		var es hold.Errors
		if errors.As(err, &es) {
			for _, e := range es {
				add(indexInKey.ReplaceAllString(e.Key, ""), "%s", strings.TrimPrefix(e.Error(), indexInKey.ReplaceAllString(e.Key, "")+": "))
			}
		} else {
			add("hold", "%v", err)
		}
	}
	if rules, err := hold.Compile(f.Hold); err == nil && !rules.HasApprovers() {
		for _, key := range f.approveKeys() {
			add(key, "approve needs someone to approve: set [[hold.approvers]] or hold.default_approvers")
		}
	}
	if u := f.Web.PublicURL; u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			add("web.public_url", "must be an absolute http:// or https:// URL, not %q", u)
		}
	}
}

// approveKeys lists the policy keys whose action is approve.
func (f *File) approveKeys() []string {
	var keys []string
	for id, rc := range f.Rules {
		if strings.EqualFold(rc.Action, "approve") {
			keys = append(keys, "rules."+id+".action")
		}
	}
	pd := f.PersonalData
	for _, k := range []struct{ key, action string }{
		{"personal_data.my_number.action", pd.MyNumber.Action}, {"personal_data.card.action", pd.Card.Action},
		{"personal_data.people.action", pd.People.Action},
	} {
		if strings.EqualFold(k.action, "approve") {
			keys = append(keys, k.key)
		}
	}
	for i, pc := range pd.Patterns {
		if strings.EqualFold(pc.Action, "approve") {
			keys = append(keys, fmt.Sprintf("personal_data.patterns[%d].action", i))
		}
	}
	slices.Sort(keys)
	return keys
}

func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	for _, k := range dsnPasswordParams {
		if q.Has(k) {
			q.Set(k, "xxxxx")
			u.RawQuery = q.Encode()
		}
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// dsnPasswordParams are the query parameters pgx reads a password from.
var dsnPasswordParams = []string{"password", "sslpassword"}
