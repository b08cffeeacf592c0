package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// State is where a held message is in its life.
type State string

// The states. A message waits in Confirm, Approval or Delayed; a decision
// moves it to Queued (to be relayed) or ends it (Cancelled, Rejected,
// Expired); a queued message ends Relayed, or Failed when the upstream
// refused it for good or could not be reached for too long.
const (
	StateConfirm   State = "confirm"  // waits for the sender to send it or cancel it
	StateApproval  State = "approval" // waits for an approver
	StateDelayed   State = "delayed"  // goes out by itself at ReleaseAt unless cancelled
	StateQueued    State = "queued"   // released, waits for (another try at) the relay
	StateRelayed   State = "relayed"
	StateCancelled State = "cancelled" // by the sender (or an administrator)
	StateRejected  State = "rejected"  // by an approver
	StateExpired   State = "expired"   // nobody decided before ExpireAt
	StateFailed    State = "failed"    // the upstream refused it, or retries ran out
)

// Waiting reports whether a message in this state still waits for a
// decision (and may be sent now or cancelled).
func (st State) Waiting() bool {
	return st == StateConfirm || st == StateApproval || st == StateDelayed
}

// Done reports whether the message's life is over.
func (st State) Done() bool {
	switch st {
	case StateRelayed, StateCancelled, StateRejected, StateExpired, StateFailed:
		return true
	}
	return false
}

// Held is one held message as the store keeps it (without its body).
type Held struct {
	Ref   string `json:"ref"`
	State State  `json:"state"`
	// Sender and Recipients are the SMTP envelope.
	Sender     string   `json:"sender"`
	Recipients []string `json:"recipients"`
	// Rules are the rules that held it; FlagRules those that flag it (the
	// relayed message says "flag; rules=…" when there are any).
	Rules     []string `json:"rules"`
	FlagRules []string `json:"flag_rules,omitempty"`
	// Approvers may release it (State approval).
	Approvers []string `json:"approvers,omitempty"`
	// Summary is what the page and the notices show.
	Summary Summary `json:"summary"`
	// Trace is the header block sendguard prepends when it relays the
	// message (its Received field).
	Trace string `json:"-"`
	Size  int64  `json:"size"`

	HeldAt time.Time `json:"held_at"`
	// ReleaseAt is when a delayed message goes out by itself (zero for
	// the others).
	ReleaseAt time.Time `json:"release_at"`
	// ExpireAt is when a message nobody decided on is cancelled.
	ExpireAt time.Time `json:"expire_at"`

	// DecidedBy is who released, cancelled or rejected it (an address,
	// "delay", "expiry" or "cli:USER"), DecidedFrom their IP.
	DecidedBy   string    `json:"decided_by,omitempty"`
	DecidedFrom string    `json:"decided_from,omitempty"`
	DecidedAt   time.Time `json:"decided_at"`
	Comment     string    `json:"comment,omitempty"`

	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	// GiveUpAt ends the retries of a queued message (set at release).
	GiveUpAt      time.Time `json:"-"`
	LastError     string    `json:"last_error,omitempty"`
	RelayedAt     time.Time `json:"relayed_at"`
	UpstreamReply string    `json:"upstream_reply,omitempty"`
}

// Summary is what a sender or approver is shown of a held (or rejected)
// message: never body text, never a password.
type Summary struct {
	// Subject, unless a finding was in it (then SubjectWithheld).
	Subject         string       `json:"subject,omitempty"`
	SubjectWithheld bool         `json:"subject_withheld,omitempty"`
	From            string       `json:"from,omitempty"` // the From field's address
	Recipients      []Recipient  `json:"recipients"`
	Attachments     []Attachment `json:"attachments"`
	Findings        []Finding    `json:"findings"`
	Action          string       `json:"action"` // hold, approve, delay, reject
}

// Recipient is a recipient with its domain's class.
type Recipient struct {
	Address string `json:"address"`
	// Class: internal, verified, unverified, lookalike, anonymous,
	// unresolvable.
	Class string `json:"class"`
	// Resembles names the domain a lookalike imitates.
	Resembles string `json:"resembles,omitempty"`
}

// Attachment is an attachment with the policy's verdict on it.
type Attachment struct {
	Name      string `json:"name"`
	Format    string `json:"format"`
	Size      int64  `json:"size"`
	Protected bool   `json:"protected"`
	Method    string `json:"method,omitempty"`
	Note      string `json:"note,omitempty"` // exempt / unscannable reason
}

// Finding is a finding's explanation in both languages.
type Finding struct {
	Rule      string `json:"rule"`
	Action    string `json:"action"`
	Evidence  string `json:"evidence,omitempty"`
	Reason    string `json:"reason"`
	Article   string `json:"article,omitempty"`
	Remedy    string `json:"remedy,omitempty"`
	ReasonJA  string `json:"reason_ja"`
	ArticleJA string `json:"article_ja,omitempty"`
	RemedyJA  string `json:"remedy_ja,omitempty"`
}

// Actor is who takes an action, for the audit trail.
type Actor struct {
	// Name is an address, or "delay", "expiry", "relay", "cli:USER".
	Name string
	IP   string
}

// bodyChunk is the size of one stored piece of a message body.
const bodyChunk = 256 << 10

// Hold stores a held message, its body (read from body to its end) and the
// notices that announce it, in one transaction: when Hold returns nil the
// message is durable and sendguard owns it. h.Ref must be set; h.State
// must be Confirm, Approval or Delayed.
func (s *Store) Hold(ctx context.Context, h *Held, body io.Reader, notices []Notice) error {
	if !h.State.Waiting() {
		return fmt.Errorf("store: hold %s: state %q is not a waiting state", h.Ref, h.State)
	}
	if h.HeldAt.IsZero() {
		h.HeldAt = s.now()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: hold %s: %w", h.Ref, err)
	}
	defer tx.Rollback()
	size, err := s.writeBody(ctx, tx, h.Ref, body)
	if err != nil {
		return fmt.Errorf("store: hold %s: body: %w", h.Ref, err)
	}
	h.Size = size
	summary, err := json.Marshal(h.Summary)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, tx, `INSERT INTO held (ref, state, kind, sender, recipients, rules, flag_rules, approvers, summary, trace, size, held_at, release_at, expire_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		h.Ref, string(h.State), string(h.State), h.Sender, jsonList(h.Recipients), jsonList(h.Rules), jsonList(h.FlagRules),
		jsonList(h.Approvers), string(summary), h.Trace, size, ms(h.HeldAt), ms(h.ReleaseAt), ms(h.ExpireAt))
	if err != nil {
		return fmt.Errorf("store: hold %s: %w", h.Ref, err)
	}
	if err := s.audit(ctx, tx, h.Ref, "held", Actor{Name: "policy"}, string(h.State)+" rules="+strings.Join(h.Rules, ",")); err != nil {
		return err
	}
	if err := s.enqueueAll(ctx, tx, notices); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: hold %s: commit: %w", h.Ref, err)
	}
	return nil
}

func (s *Store) writeBody(ctx context.Context, tx *sql.Tx, ref string, body io.Reader) (int64, error) {
	buf := make([]byte, bodyChunk)
	var size int64
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(body, buf)
		if n > 0 {
			if _, err := s.exec(ctx, tx, `INSERT INTO held_body (ref, seq, data) VALUES (?, ?, ?)`, ref, seq, buf[:n]); err != nil {
				return size, err
			}
			size += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return size, nil
		}
		if err != nil {
			return size, err
		}
	}
}

// Body reads a held message's bytes, a chunk at a time. It fails with
// ErrNotFound once the message is done (bodies are deleted then).
func (s *Store) Body(ctx context.Context, ref string) (io.ReadCloser, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, s.dialect.q(`SELECT COUNT(*) FROM held_body WHERE ref = ?`), ref).Scan(&n); err != nil {
		return nil, fmt.Errorf("store: body %s: %w", ref, err)
	}
	var size int64
	err := s.db.QueryRowContext(ctx, s.dialect.q(`SELECT size FROM held WHERE ref = ?`), ref).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) || (n == 0 && size > 0) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: body %s: %w", ref, err)
	}
	return &bodyReader{s: s, ctx: ctx, ref: ref, chunks: n}, nil
}

type bodyReader struct {
	s      *Store
	ctx    context.Context
	ref    string
	chunks int
	seq    int
	cur    []byte
}

func (b *bodyReader) Read(p []byte) (int, error) {
	for len(b.cur) == 0 {
		if b.seq >= b.chunks {
			return 0, io.EOF
		}
		var data []byte
		if err := b.s.db.QueryRowContext(b.ctx, b.s.dialect.q(`SELECT data FROM held_body WHERE ref = ? AND seq = ?`), b.ref, b.seq).Scan(&data); err != nil {
			return 0, fmt.Errorf("store: body %s chunk %d: %w", b.ref, b.seq, err)
		}
		b.cur = data
		b.seq++
	}
	n := copy(p, b.cur)
	b.cur = b.cur[n:]
	return n, nil
}

func (b *bodyReader) Close() error { b.cur = nil; b.seq = b.chunks; return nil }

const heldColumns = `ref, state, sender, recipients, rules, flag_rules, approvers, summary, trace, size, held_at, release_at, expire_at,
	decided_by, decided_from, decided_at, comment, attempts, next_attempt_at, give_up_at, last_error, relayed_at, upstream_reply`

func scanHeld(row interface{ Scan(...any) error }) (*Held, error) {
	var h Held
	var state, rcpts, rules, flagRules, approvers, summary string
	var heldAt, releaseAt, expireAt, decidedAt, nextAt, giveUpAt, relayedAt int64
	err := row.Scan(&h.Ref, &state, &h.Sender, &rcpts, &rules, &flagRules, &approvers, &summary, &h.Trace, &h.Size,
		&heldAt, &releaseAt, &expireAt, &h.DecidedBy, &h.DecidedFrom, &decidedAt, &h.Comment, &h.Attempts, &nextAt, &giveUpAt,
		&h.LastError, &relayedAt, &h.UpstreamReply)
	if err != nil {
		return nil, err
	}
	h.State = State(state)
	for _, f := range []struct {
		src string
		dst any
	}{{rcpts, &h.Recipients}, {rules, &h.Rules}, {flagRules, &h.FlagRules}, {approvers, &h.Approvers}, {summary, &h.Summary}} {
		if err := json.Unmarshal([]byte(f.src), f.dst); err != nil {
			return nil, fmt.Errorf("store: message %s: %w", h.Ref, err)
		}
	}
	h.HeldAt, h.ReleaseAt, h.ExpireAt, h.DecidedAt = fromMS(heldAt), fromMS(releaseAt), fromMS(expireAt), fromMS(decidedAt)
	h.NextAttemptAt, h.GiveUpAt, h.RelayedAt = fromMS(nextAt), fromMS(giveUpAt), fromMS(relayedAt)
	return &h, nil
}

// Get returns one held message.
func (s *Store) Get(ctx context.Context, ref string) (*Held, error) {
	h, err := scanHeld(s.db.QueryRowContext(ctx, s.dialect.q(`SELECT `+heldColumns+` FROM held WHERE ref = ?`), ref))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %s: %w", ref, err)
	}
	return h, nil
}

// Filter selects messages for List.
type Filter struct {
	// States selects these states; none = those still waiting or queued.
	States []State
	// All lists every state (States is ignored).
	All bool
	// Limit caps the list (default 1000).
	Limit int
}

// List returns held messages, oldest first.
func (s *Store) List(ctx context.Context, f Filter) ([]Held, error) {
	states := f.States
	if len(states) == 0 {
		states = []State{StateConfirm, StateApproval, StateDelayed, StateQueued}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	query := `SELECT ` + heldColumns + ` FROM held`
	var args []any
	if !f.All {
		query += ` WHERE state IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ") + `)`
		for _, st := range states {
			args = append(args, string(st))
		}
	}
	query += ` ORDER BY held_at, ref LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.dialect.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list: %w", err)
	}
	defer rows.Close()
	var out []Held
	for rows.Next() {
		h, err := scanHeld(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *h)
	}
	return out, rows.Err()
}

// Decision is a person's decision on a waiting message.
type Decision int

// The decisions.
const (
	// Release sends the message: the sender's "send now", an approver's
	// "approve", an administrator's release.
	Release Decision = iota
	// Cancel withdraws it (the sender, or an administrator).
	Cancel
	// Refuse is an approver's rejection.
	Refuse
)

func (d Decision) String() string {
	return [...]string{"released", "cancelled", "rejected"}[d]
}

// Decide applies a decision to a waiting message, with the notices it
// causes (written in the same transaction), and returns the message as it
// is afterwards. from lists the states the decision is valid in (the page
// lets a sender act on confirm and delayed messages, an approver on
// approval ones); a message in any other state gives ErrState. retryFor
// bounds the relay retries of a released message.
func (s *Store) Decide(ctx context.Context, ref string, d Decision, from []State, who Actor, comment string, retryFor time.Duration, notices func(*Held) []Notice) (*Held, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: %s %s: %w", d, ref, err)
	}
	defer tx.Rollback()
	now := s.now()
	next := map[Decision]State{Release: StateQueued, Cancel: StateCancelled, Refuse: StateRejected}[d]
	in := strings.TrimSuffix(strings.Repeat("?, ", len(from)), ", ")
	args := []any{string(next), who.Name, who.IP, ms(now), comment, ms(now), ms(now.Add(retryFor)), ref}
	for _, st := range from {
		args = append(args, string(st))
	}
	res, err := s.exec(ctx, tx, `UPDATE held SET state = ?, decided_by = ?, decided_from = ?, decided_at = ?, comment = ?,
		next_attempt_at = ?, give_up_at = ? WHERE ref = ? AND state IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s %s: %w", d, ref, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if _, err := s.getTx(ctx, tx, ref); errors.Is(err, ErrNotFound) {
			return nil, ErrNotFound
		}
		return nil, ErrState
	}
	if next != StateQueued {
		if _, err := s.exec(ctx, tx, `DELETE FROM held_body WHERE ref = ?`, ref); err != nil {
			return nil, err
		}
	}
	if err := s.audit(ctx, tx, ref, d.String(), who, comment); err != nil {
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
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: %s %s: commit: %w", d, ref, err)
	}
	return h, nil
}

func (s *Store) getTx(ctx context.Context, tx *sql.Tx, ref string) (*Held, error) {
	h, err := scanHeld(tx.QueryRowContext(ctx, s.dialect.q(`SELECT `+heldColumns+` FROM held WHERE ref = ?`), ref))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return h, err
}

func jsonList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}
