package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Rejection is the explanation of a rejected message, kept for the page a
// reject reply links to.
type Rejection struct {
	Ref     string    `json:"ref"`
	Sender  string    `json:"sender"`
	At      time.Time `json:"at"`
	Summary Summary   `json:"summary"`
}

// SaveRejection keeps a rejection's explanation.
func (s *Store) SaveRejection(ctx context.Context, r Rejection) error {
	b, err := json.Marshal(r.Summary)
	if err != nil {
		return err
	}
	if r.At.IsZero() {
		r.At = s.now()
	}
	if _, err := s.exec(ctx, s.db, `INSERT INTO rejections (ref, sender, at, summary) VALUES (?, ?, ?, ?)`, r.Ref, r.Sender, ms(r.At), string(b)); err != nil {
		return fmt.Errorf("store: rejection %s: %w", r.Ref, err)
	}
	return nil
}

// GetRejection returns a kept rejection.
func (s *Store) GetRejection(ctx context.Context, ref string) (*Rejection, error) {
	r := Rejection{Ref: ref}
	var at int64
	var summary string
	err := s.db.QueryRowContext(ctx, s.dialect.q(`SELECT sender, at, summary FROM rejections WHERE ref = ?`), ref).Scan(&r.Sender, &at, &summary)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: rejection %s: %w", ref, err)
	}
	r.At = fromMS(at)
	if err := json.Unmarshal([]byte(summary), &r.Summary); err != nil {
		return nil, err
	}
	return &r, nil
}

// PruneRejections deletes rejections older than before (they are only
// explained for as long as their links are valid).
func (s *Store) PruneRejections(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.exec(ctx, s.db, `DELETE FROM rejections WHERE at < ?`, ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
