package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/store"
)

// A PostgreSQL password can be in the DSN's user part or in its query
// (password=, sslpassword=, both read by pgx): neither reaches a log line,
// `store check`'s output or an error.
func TestRedactHidesEveryPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://sendguard:hunter2@db.example:5432/sendguard",
		"postgres://sendguard@db.example:5432/sendguard?password=hunter2&sslmode=require",
		"postgresql://sendguard@db.example/sendguard?sslmode=verify-full&sslpassword=hunter2",
		// Not a valid URL (a bad escape in the password): nothing of it
		// is shown but the scheme.
		"postgres://sendguard:hunter2%zz@db.example/sendguard",
	} {
		got := store.Redact(dsn)
		if strings.Contains(got, "hunter2") {
			t.Errorf("Redact(%q) = %q", dsn, got)
		}
		if !strings.Contains(got, "db.example") && !strings.Contains(dsn, "%zz") {
			t.Errorf("Redact(%q) = %q: the host is gone", dsn, got)
		}
	}
	// An unreachable server: the error names the DSN without the password.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := store.Open(ctx, "postgres://sendguard@127.0.0.1:1/x?password=hunter2&connect_timeout=2", store.Options{})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Open error: %v", err)
	}
}
