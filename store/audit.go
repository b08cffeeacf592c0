package store

import (
	"context"
	"fmt"
	"time"
)

// Event is one line of a held message's audit trail.
type Event struct {
	At     time.Time `json:"at"`
	Event  string    `json:"event"` // held, released, cancelled, rejected, expired, deferred, relayed, failed
	Actor  string    `json:"actor"`
	IP     string    `json:"ip,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

func (s *Store) audit(ctx context.Context, tx execer, ref, event string, who Actor, detail string) error {
	if _, err := s.exec(ctx, tx, `INSERT INTO audit (ref, at, event, actor, ip, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		ref, ms(s.now()), event, who.Name, who.IP, detail); err != nil {
		return fmt.Errorf("store: audit %s %s: %w", event, ref, err)
	}
	return nil
}

// Trail returns a message's audit trail, oldest first.
func (s *Store) Trail(ctx context.Context, ref string) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, s.dialect.q(`SELECT at, event, actor, ip, detail FROM audit WHERE ref = ? ORDER BY id`), ref)
	if err != nil {
		return nil, fmt.Errorf("store: trail %s: %w", ref, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&at, &e.Event, &e.Actor, &e.IP, &e.Detail); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
