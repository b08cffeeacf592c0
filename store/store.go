// Package store keeps what sendguard owns after it answered 250 for a message
// it did not relay at once: held messages with their bodies, state and audit
// trail, the outbox of notices, and the explanations of rejected messages.
// One node uses an embedded SQLite file; several replicas share one
// PostgreSQL database, where leases make sure exactly one replica relays a
// message or sends a notice.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver (pure Go)
)

// Store is an open store. Its methods are safe for concurrent use, by
// several goroutines and by several processes or replicas.
type Store struct {
	db      *sql.DB
	dialect dialect
	// Owner names this process in leases (host, pid and a random suffix).
	owner string
	now   func() time.Time
}

// Options tune Open.
type Options struct {
	// Owner names this process in leases; default host:pid.
	Owner string
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Sentinel errors.
var (
	// ErrNotFound: no held message (or rejection) has this reference.
	ErrNotFound = errors.New("no such message")
	// ErrState: the message is not in a state that allows the action
	// (already released, cancelled, expired…).
	ErrState = errors.New("message is no longer waiting for this action")
	// ErrLeaseLost: another replica owns the message now (this one's lease
	// ran out).
	ErrLeaseLost = errors.New("lease lost to another replica")
)

// Open opens the store a DSN names and applies the schema migrations that
// are missing: "sqlite:PATH" (a file, created if needed, in WAL mode with
// full fsync on commit) or "postgres://…" / "postgresql://…".
func Open(ctx context.Context, dsn string, o Options) (*Store, error) {
	s := &Store{owner: o.Owner, now: o.Now}
	if s.owner == "" {
		host, _ := os.Hostname()
		s.owner = host + ":" + strconv.Itoa(os.Getpid())
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		s.dialect = sqliteDialect
		s.db, err = openSQLite(strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s.dialect = postgresDialect
		s.db, err = sql.Open("pgx", dsn)
		if err == nil {
			s.db.SetMaxOpenConns(16)
			s.db.SetConnMaxIdleTime(5 * time.Minute)
		}
	default:
		return nil, fmt.Errorf("store: dsn %q: use sqlite:PATH or postgres://…", Redact(dsn))
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", Redact(dsn), err)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", Redact(dsn), err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Redact hides the passwords of a DSN for logs and errors: the user
// part's and the password and sslpassword parameters pgx also reads. A
// postgres DSN that is not a valid URL is not shown at all.
func Redact(dsn string) string {
	if strings.HasPrefix(dsn, "sqlite:") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		scheme, _, _ := strings.Cut(dsn, ":")
		return scheme + "://(not a valid URL; hidden)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if q := u.Query(); q.Has("password") || q.Has("sslpassword") {
		for _, k := range []string{"password", "sslpassword"} {
			if q.Has(k) {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

func openSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("no file name after the sqlite: prefix")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
	}
	// The file holds held messages' bodies: create it readable by its
	// owner only (SQLite gives its -wal and -shm files the same mode).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	created := err == nil
	if errors.Is(err, fs.ErrExist) {
		f, err = os.OpenFile(path, os.O_RDWR, 0)
	}
	if err != nil {
		return nil, err
	}
	if created {
		// Created by root (an operator's `sudo sendguard store check`
		// before the service ever ran): give it to its directory's owner,
		// the service's user, as SQLite gives its -wal and -shm files
		// the database file's owner.
		err = giveToDirOwner(f, filepath.Dir(path))
	}
	f.Close()
	if err != nil {
		return nil, err
	}
	// WAL lets readers (the page, the CLI) run beside the writer;
	// synchronous(FULL) makes a commit durable before it returns, which is
	// what the 250 for a held message promises; busy_timeout lets the CLI
	// and the server take turns; _txlock=immediate takes the write lock at
	// BEGIN, so two writers never deadlock upgrading a read lock;
	// secure_delete overwrites what is deleted, so the body of a cancelled,
	// rejected, expired or relayed message (held for what is in it) does
	// not stay readable in the file's free pages.
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(on)", "secure_delete(on)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// One writer at a time is SQLite's nature; a few connections let
	// reads run beside it.
	db.SetMaxOpenConns(4)
	return db, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Owner is the name this process has in leases.
func (s *Store) Owner() string { return s.owner }

// Kind names the database: "sqlite" or "postgres".
func (s *Store) Kind() string { return s.dialect.name }

// dialect is what differs between SQLite and PostgreSQL.
type dialect struct {
	name string
	// skipLocked ends a SELECT … FOR UPDATE that claims rows: PostgreSQL
	// skips the rows another replica is claiming; SQLite has one writer.
	skipLocked string
	migrations string
}

var (
	sqliteDialect   = dialect{name: "sqlite", migrations: "migrations/sqlite"}
	postgresDialect = dialect{name: "postgres", skipLocked: " FOR UPDATE SKIP LOCKED", migrations: "migrations/postgres"}
)

// q rewrites ? placeholders as $1, $2… for PostgreSQL.
func (d dialect) q(query string) string {
	if d.name != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Store) exec(ctx context.Context, tx execer, query string, args ...any) (sql.Result, error) {
	return tx.ExecContext(ctx, s.dialect.q(query), args...)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func (d dialect) migrationList() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, d.migrations)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: no version number", e.Name())
		}
		b, err := migrationFiles.ReadFile(d.migrations + "/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate applies the migrations not yet applied, each in its own
// transaction; on PostgreSQL an advisory lock keeps replicas that start at
// once from applying the same one twice.
func (s *Store) migrate(ctx context.Context) error {
	list, err := s.dialect.migrationList()
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for _, m := range list {
		if err := s.apply(ctx, m); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, m migration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.dialect.name == "postgres" {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(72617375)`); err != nil {
			return err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.dialect.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, stmt := range splitStatements(m.sql) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%w in %q", err, firstLine(stmt))
		}
	}
	if _, err := s.exec(ctx, tx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, s.now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// splitStatements cuts a migration file at the semicolons that end lines
// (the files hold no procedural code); comment lines are dropped.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line + "\n")
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Health is what Check found.
type Health struct {
	Kind string `json:"kind"`
	// Version is the newest schema version applied, Expected the newest
	// this binary knows.
	Version  int `json:"version"`
	Expected int `json:"expected"`
	// States counts held messages by state.
	States map[string]int `json:"states"`
	// Outbox counts notices not yet sent, and those past their deadline.
	OutboxPending int `json:"outbox_pending"`
	OutboxMissed  int `json:"outbox_missed"`
	// Problems lists what is wrong; none means healthy.
	Problems []string `json:"problems"`
}

// Check verifies the schema (every migration applied, no newer one from a
// newer binary), the database's own integrity check where it has one, and
// that no message waiting in the store lost its body.
func (s *Store) Check(ctx context.Context) (*Health, error) {
	h := &Health{Kind: s.dialect.name, States: map[string]int{}}
	list, err := s.dialect.migrationList()
	if err != nil {
		return nil, err
	}
	h.Expected = list[len(list)-1].version
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("store: read schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		applied[v] = true
		h.Version = max(h.Version, v)
	}
	rows.Close()
	for _, m := range list {
		if !applied[m.version] {
			h.Problems = append(h.Problems, fmt.Sprintf("migration %s not applied", m.name))
		}
	}
	if h.Version > h.Expected {
		h.Problems = append(h.Problems, fmt.Sprintf("schema version %d is newer than this binary's %d: upgrade sendguard", h.Version, h.Expected))
	}
	if s.dialect.name == "sqlite" {
		var res string
		if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
			return nil, err
		}
		if res != "ok" {
			h.Problems = append(h.Problems, "sqlite integrity_check: "+res)
		}
	}
	rows, err = s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM held GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: count held messages: %w", err)
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return nil, err
		}
		h.States[st] = n
	}
	rows.Close()
	var lost int
	if err := s.db.QueryRowContext(ctx, s.dialect.q(`SELECT COUNT(*) FROM held h WHERE h.state IN (?, ?, ?, ?) AND h.size > 0
		AND NOT EXISTS (SELECT 1 FROM held_body b WHERE b.ref = h.ref)`), StateConfirm, StateApproval, StateDelayed, StateQueued).Scan(&lost); err != nil {
		return nil, err
	}
	if lost > 0 {
		h.Problems = append(h.Problems, fmt.Sprintf("%d waiting message(s) without a body", lost))
	}
	now := s.now().UnixMilli()
	if err := s.db.QueryRowContext(ctx, s.dialect.q(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN deadline_at > 0 AND deadline_at < ? THEN 1 ELSE 0 END), 0) FROM outbox WHERE status = 'pending'`), now).Scan(&h.OutboxPending, &h.OutboxMissed); err != nil {
		return nil, err
	}
	return h, nil
}
