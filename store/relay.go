package store

import (
	"context"
	"fmt"
	"time"
)

// Claim leases up to limit messages that are due for relay to this
// process for lease: released messages whose next attempt is due, and
// delayed ones whose delay is over (they become queued, released by
// "delay"). A message leased to another replica is skipped until its lease
// runs out, so exactly one replica relays it; a replica that dies
// mid-relay leaves it to another after the lease.
func (s *Store) Claim(ctx context.Context, lease time.Duration, limit int) ([]Held, error) {
	now := s.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: claim: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, s.dialect.q(`SELECT ref, state FROM held
		WHERE ((state = ? AND next_attempt_at <= ?) OR (state = ? AND release_at <= ?)) AND lease_until <= ?
		ORDER BY next_attempt_at, held_at LIMIT ?`+s.dialect.skipLocked),
		string(StateQueued), ms(now), string(StateDelayed), ms(now), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim: %w", err)
	}
	type due struct {
		ref   string
		state State
	}
	var list []due
	for rows.Next() {
		var d due
		var st string
		if err := rows.Scan(&d.ref, &st); err != nil {
			rows.Close()
			return nil, err
		}
		d.state = State(st)
		list = append(list, d)
	}
	rows.Close()
	var out []Held
	for _, d := range list {
		// The condition is checked again in the UPDATE: on SQLite the
		// write lock taken at BEGIN already excludes other claimers; on
		// PostgreSQL the rows are locked FOR UPDATE.
		res, err := s.exec(ctx, tx, `UPDATE held SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, state = ?,
			decided_by = CASE WHEN state = ? THEN 'delay' ELSE decided_by END,
			decided_at = CASE WHEN state = ? THEN ? ELSE decided_at END,
			give_up_at = CASE WHEN state = ? THEN ? ELSE give_up_at END
			WHERE ref = ? AND lease_until <= ? AND state = ?`,
			s.owner, ms(now.Add(lease)), string(StateQueued), string(StateDelayed), string(StateDelayed), ms(now),
			string(StateDelayed), ms(now.Add(maxDelayedRetry)), d.ref, ms(now), string(d.state))
		if err != nil {
			return nil, fmt.Errorf("store: claim %s: %w", d.ref, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue
		}
		if d.state == StateDelayed {
			if err := s.audit(ctx, tx, d.ref, "released", Actor{Name: "delay"}, "the delay is over"); err != nil {
				return nil, err
			}
		}
		h, err := s.getTx(ctx, tx, d.ref)
		if err != nil {
			return nil, err
		}
		out = append(out, *h)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: claim: commit: %w", err)
	}
	return out, nil
}

// maxDelayedRetry bounds the relay retries of a message whose delay ran
// out (a released one gets its bound from the caller of Decide).
const maxDelayedRetry = 24 * time.Hour

// Renew extends this process's lease on a message it is relaying.
func (s *Store) Renew(ctx context.Context, ref string, lease time.Duration) error {
	res, err := s.exec(ctx, s.db, `UPDATE held SET lease_until = ? WHERE ref = ? AND lease_owner = ? AND state = ?`,
		ms(s.now().Add(lease)), ref, s.owner, string(StateQueued))
	if err != nil {
		return fmt.Errorf("store: renew %s: %w", ref, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLeaseLost
	}
	return nil
}

// Relayed records that the upstream accepted a message this process had
// leased: it is done, its body is deleted.
func (s *Store) Relayed(ctx context.Context, ref, reply string) error {
	return s.finish(ctx, ref, StateRelayed, reply, "relayed", reply, nil)
}

// Failed ends a leased message the upstream refused for good (or whose
// retries ran out), with the notices that tell the sender.
func (s *Store) Failed(ctx context.Context, ref, reason string, notices []Notice) error {
	return s.finish(ctx, ref, StateFailed, reason, "failed", reason, notices)
}

func (s *Store) finish(ctx context.Context, ref string, st State, reply, event, detail string, notices []Notice) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s %s: %w", event, ref, err)
	}
	defer tx.Rollback()
	now := s.now()
	col, relayedAt := "upstream_reply", ms(now)
	if st == StateFailed {
		col, relayedAt = "last_error", 0
	}
	res, err := s.exec(ctx, tx, `UPDATE held SET state = ?, `+col+` = ?, relayed_at = ?, lease_owner = '', lease_until = 0
		WHERE ref = ? AND lease_owner = ? AND state = ?`, string(st), reply, relayedAt, ref, s.owner, string(StateQueued))
	if err != nil {
		return fmt.Errorf("store: %s %s: %w", event, ref, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLeaseLost
	}
	if _, err := s.exec(ctx, tx, `DELETE FROM held_body WHERE ref = ?`, ref); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, ref, event, Actor{Name: "relay:" + s.owner}, detail); err != nil {
		return err
	}
	if err := s.enqueueAll(ctx, tx, notices); err != nil {
		return err
	}
	return tx.Commit()
}

// Retry gives a leased message back for another try at next, after a
// temporary failure.
func (s *Store) Retry(ctx context.Context, ref, reason string, next time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := s.exec(ctx, tx, `UPDATE held SET next_attempt_at = ?, last_error = ?, lease_owner = '', lease_until = 0
		WHERE ref = ? AND lease_owner = ? AND state = ?`, ms(next), reason, ref, s.owner, string(StateQueued))
	if err != nil {
		return fmt.Errorf("store: retry %s: %w", ref, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLeaseLost
	}
	if err := s.audit(ctx, tx, ref, "deferred", Actor{Name: "relay:" + s.owner}, reason); err != nil {
		return err
	}
	return tx.Commit()
}

// Expire ends the messages whose decision nobody gave before their
// expiry, with the notices each one causes (in the same transaction), and
// returns them.
func (s *Store) Expire(ctx context.Context, limit int, notices func(*Held) []Notice) ([]Held, error) {
	now := s.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: expire: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, s.dialect.q(`SELECT ref FROM held WHERE state IN (?, ?) AND expire_at > 0 AND expire_at <= ?
		ORDER BY expire_at LIMIT ?`+s.dialect.skipLocked), string(StateConfirm), string(StateApproval), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: expire: %w", err)
	}
	var refs []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return nil, err
		}
		refs = append(refs, r)
	}
	rows.Close()
	var out []Held
	for _, ref := range refs {
		res, err := s.exec(ctx, tx, `UPDATE held SET state = ?, decided_by = 'expiry', decided_at = ? WHERE ref = ? AND state IN (?, ?)`,
			string(StateExpired), ms(now), ref, string(StateConfirm), string(StateApproval))
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM held_body WHERE ref = ?`, ref); err != nil {
			return nil, err
		}
		if err := s.audit(ctx, tx, ref, "expired", Actor{Name: "expiry"}, ""); err != nil {
			return nil, err
		}
		h, err := s.getTx(ctx, tx, ref)
		if err != nil {
			return nil, err
		}
		if notices != nil {
			if err := s.enqueueAll(ctx, tx, notices(h)); err != nil {
				return nil, err
			}
		}
		out = append(out, *h)
	}
	return out, tx.Commit()
}
