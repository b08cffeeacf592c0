package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Notice is a mail waiting in the outbox: a notice to a sender or an
// approver, or an incident notice for the security contact.
type Notice struct {
	ID int64
	// Kind names it for logs and metrics: sender-held, approver-held,
	// sender-released, sender-expired, sender-failed, incident…
	Kind string
	// Ref is the message it is about ("" for a batch of incidents).
	Ref        string
	Sender     string // envelope sender ("" = null reverse-path)
	Recipients []string
	Message    []byte
	CreatedAt  time.Time
	// Deadline is when it must have gone out (incident notices: 60
	// minutes); zero for none. A notice still in the outbox after it is
	// "missed": logged at ERROR and counted, and still sent.
	Deadline time.Time
	Attempts int
	// LastError is why the last try failed.
	LastError string
}

func (s *Store) enqueue(ctx context.Context, tx execer, n Notice) error {
	created := n.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	_, err := s.exec(ctx, tx, `INSERT INTO outbox (kind, ref, sender, recipients, message, created_at, deadline_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, n.Kind, n.Ref, n.Sender, jsonList(n.Recipients), n.Message, ms(created), ms(n.Deadline), ms(created))
	if err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	return nil
}

func (s *Store) enqueueAll(ctx context.Context, tx execer, notices []Notice) error {
	for _, n := range notices {
		if err := s.enqueue(ctx, tx, n); err != nil {
			return err
		}
	}
	return nil
}

// Enqueue puts a notice in the outbox on its own.
func (s *Store) Enqueue(ctx context.Context, n Notice) error {
	return s.enqueue(ctx, s.db, n)
}

// ClaimNotices leases up to limit due notices to this process.
func (s *Store) ClaimNotices(ctx context.Context, lease time.Duration, limit int) ([]Notice, error) {
	now := s.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, s.dialect.q(`SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until <= ?
		ORDER BY next_attempt_at, id LIMIT ?`+s.dialect.skipLocked), ms(now), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []Notice
	for _, id := range ids {
		res, err := s.exec(ctx, tx, `UPDATE outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
			WHERE id = ? AND status = 'pending' AND lease_until <= ?`, s.owner, ms(now.Add(lease)), id, ms(now))
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue
		}
		var n Notice
		var rcpts string
		var created, deadline int64
		err = tx.QueryRowContext(ctx, s.dialect.q(`SELECT id, kind, ref, sender, recipients, message, created_at, deadline_at, attempts FROM outbox WHERE id = ?`), id).
			Scan(&n.ID, &n.Kind, &n.Ref, &n.Sender, &rcpts, &n.Message, &created, &deadline, &n.Attempts)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(rcpts), &n.Recipients); err != nil {
			return nil, err
		}
		n.CreatedAt, n.Deadline = fromMS(created), fromMS(deadline)
		out = append(out, n)
	}
	return out, tx.Commit()
}

// NoticeSent records that the upstream accepted a notice.
func (s *Store) NoticeSent(ctx context.Context, id int64) error {
	return s.endNotice(ctx, id, "sent", "")
}

// NoticeRefused ends a notice the upstream refused for good.
func (s *Store) NoticeRefused(ctx context.Context, id int64, reason string) error {
	return s.endNotice(ctx, id, "refused", reason)
}

func (s *Store) endNotice(ctx context.Context, id int64, status, reason string) error {
	res, err := s.exec(ctx, s.db, `UPDATE outbox SET status = ?, sent_at = ?, last_error = ?, lease_owner = '', lease_until = 0, message = ?
		WHERE id = ? AND lease_owner = ? AND status = 'pending'`, status, ms(s.now()), reason, []byte{}, id, s.owner)
	if err != nil {
		return fmt.Errorf("store: outbox %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLeaseLost
	}
	return nil
}

// NoticeRetry gives a notice back for another try at next.
func (s *Store) NoticeRetry(ctx context.Context, id int64, reason string, next time.Time) error {
	res, err := s.exec(ctx, s.db, `UPDATE outbox SET next_attempt_at = ?, last_error = ?, lease_owner = '', lease_until = 0
		WHERE id = ? AND lease_owner = ? AND status = 'pending'`, ms(next), reason, id, s.owner)
	if err != nil {
		return fmt.Errorf("store: outbox %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLeaseLost
	}
	return nil
}

// MarkMissed flags the pending notices past their deadline that were not
// flagged yet, and returns them (each is reported once).
func (s *Store) MarkMissed(ctx context.Context) ([]Notice, error) {
	now := ms(s.now())
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, s.dialect.q(`SELECT id, kind, ref, created_at, deadline_at, attempts, last_error FROM outbox
		WHERE status = 'pending' AND missed = 0 AND deadline_at > 0 AND deadline_at < ?`+s.dialect.skipLocked), now)
	if err != nil {
		return nil, err
	}
	var out []Notice
	for rows.Next() {
		var n Notice
		var created, deadline int64
		if err := rows.Scan(&n.ID, &n.Kind, &n.Ref, &created, &deadline, &n.Attempts, &n.LastError); err != nil {
			rows.Close()
			return nil, err
		}
		n.CreatedAt, n.Deadline = fromMS(created), fromMS(deadline)
		out = append(out, n)
	}
	rows.Close()
	for _, n := range out {
		if _, err := s.exec(ctx, tx, `UPDATE outbox SET missed = 1 WHERE id = ?`, n.ID); err != nil {
			return nil, err
		}
	}
	return out, tx.Commit()
}

// PendingNotices lists the notices not yet sent (for `sendguard store
// check` and tests).
func (s *Store) PendingNotices(ctx context.Context) ([]Notice, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, ref, sender, recipients, created_at, deadline_at, attempts FROM outbox WHERE status = 'pending' ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notice
	for rows.Next() {
		var n Notice
		var rcpts string
		var created, deadline int64
		if err := rows.Scan(&n.ID, &n.Kind, &n.Ref, &n.Sender, &rcpts, &created, &deadline, &n.Attempts); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(rcpts), &n.Recipients)
		n.CreatedAt, n.Deadline = fromMS(created), fromMS(deadline)
		out = append(out, n)
	}
	return out, rows.Err()
}
