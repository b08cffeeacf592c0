// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the server SENDGUARD_TEST_POSTGRES names (.ci/run starts one
// on loopback). Without it the test is skipped, or fails when
// SENDGUARD_REQUIRE_TOOLS=1 (as in CI).
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// Env names the base DSN, e.g. postgres://sendguard@127.0.0.1:55432/postgres.
const Env = "SENDGUARD_TEST_POSTGRES"

// DSN returns a DSN whose search_path is a new, empty schema, dropped when
// the test ends.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		if os.Getenv("SENDGUARD_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is not set: PostgreSQL is required (SENDGUARD_REQUIRE_TOOLS=1)", Env)
		}
		t.Skipf("%s not set: no PostgreSQL to test against", Env)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
