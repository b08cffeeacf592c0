package main

import (
	"slices"
	"testing"
	"time"

	"github.com/sendguard/sendguard/config"
)

// The store and the page are set up once at start: a reload that changes
// them says a restart is needed (a relative SQLite path or key file counts
// as changed when the configuration file moves).
func TestRestartOnlyStoreAndWeb(t *testing.T) {
	base := func() *config.File {
		f := &config.File{Path: "/etc/sendguard/sendguard.toml"}
		f.Store.DSN = "sqlite:./sendguard.db"
		f.Store.Lease.Duration = 2 * time.Minute
		f.Web.Listen = "127.0.0.1:8025"
		f.Web.KeyFile = "web.key"
		return f
	}
	tests := []struct {
		name string
		edit func(*config.File)
		want []string
	}{
		{"nothing", func(*config.File) {}, nil},
		{"hold only (reloaded)", func(f *config.File) { f.Hold.Delay.Duration = 5 * time.Minute }, nil},
		{"store.dsn", func(f *config.File) { f.Store.DSN = "postgres://db.example/sendguard" }, []string{"store"}},
		{"store.lease", func(f *config.File) { f.Store.Lease.Duration = time.Minute }, []string{"store"}},
		{"the file moved under a relative dsn and key", func(f *config.File) { f.Path = "/srv/sendguard.toml" }, []string{"store", "web"}},
		{"web.listen off", func(f *config.File) { f.Web.Listen = "" }, []string{"web"}},
		{"web.public_url", func(f *config.File) { f.Web.PublicURL = "https://sg.example.co.jp:8025" }, []string{"web"}},
		{"web.token_ttl", func(f *config.File) { f.Web.TokenTTL.Duration = time.Hour }, []string{"web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := base()
			tt.edit(n)
			if got := restartOnlyChanges(base(), n); !slices.Equal(got, tt.want) {
				t.Errorf("restartOnlyChanges = %q, want %q", got, tt.want)
			}
		})
	}
}
