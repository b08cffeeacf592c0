-- Held messages: one row each, from the moment sendguard answered 250 until
-- it was relayed, cancelled, rejected, expired or failed (the row stays for
-- the audit trail; the body goes once the message is done).
CREATE TABLE held (
  ref             TEXT PRIMARY KEY,
  state           TEXT NOT NULL,
  kind            TEXT NOT NULL,
  sender          TEXT NOT NULL,
  recipients      TEXT NOT NULL,
  rules           TEXT NOT NULL,
  flag_rules      TEXT NOT NULL,
  approvers       TEXT NOT NULL,
  summary         TEXT NOT NULL,
  trace           TEXT NOT NULL,
  size            BIGINT NOT NULL,
  held_at         BIGINT NOT NULL,
  release_at      BIGINT NOT NULL,
  expire_at       BIGINT NOT NULL,
  decided_by      TEXT NOT NULL DEFAULT '',
  decided_from    TEXT NOT NULL DEFAULT '',
  decided_at      BIGINT NOT NULL DEFAULT 0,
  comment         TEXT NOT NULL DEFAULT '',
  attempts        BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL DEFAULT 0,
  give_up_at      BIGINT NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT '',
  lease_owner     TEXT NOT NULL DEFAULT '',
  lease_until     BIGINT NOT NULL DEFAULT 0,
  relayed_at      BIGINT NOT NULL DEFAULT 0,
  upstream_reply  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX held_due ON held (state, next_attempt_at);
CREATE INDEX held_expiry ON held (state, expire_at);

-- The message bytes in chunks, so that neither writing nor reading a large
-- message needs it whole in memory.
CREATE TABLE held_body (
  ref  TEXT NOT NULL,
  seq  BIGINT NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (ref, seq)
);

-- Every action on a held message, with who took it and from where.
CREATE TABLE audit (
  id     BIGSERIAL PRIMARY KEY,
  ref    TEXT NOT NULL,
  at     BIGINT NOT NULL,
  event  TEXT NOT NULL,
  actor  TEXT NOT NULL,
  ip     TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX audit_ref ON audit (ref, id);

-- Notices waiting to go out (to senders, approvers, the security contact):
-- written in the same transaction as what they tell, sent by one replica.
CREATE TABLE outbox (
  id              BIGSERIAL PRIMARY KEY,
  kind            TEXT NOT NULL,
  ref             TEXT NOT NULL,
  sender          TEXT NOT NULL,
  recipients      TEXT NOT NULL,
  message         BYTEA NOT NULL,
  created_at      BIGINT NOT NULL,
  deadline_at     BIGINT NOT NULL,
  attempts        BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL DEFAULT 0,
  lease_owner     TEXT NOT NULL DEFAULT '',
  lease_until     BIGINT NOT NULL DEFAULT 0,
  status          TEXT NOT NULL DEFAULT 'pending',
  sent_at         BIGINT NOT NULL DEFAULT 0,
  missed          BIGINT NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Rejected messages' explanations, for the page a reject reply links to.
CREATE TABLE rejections (
  ref     TEXT PRIMARY KEY,
  sender  TEXT NOT NULL,
  at      BIGINT NOT NULL,
  summary TEXT NOT NULL
);
CREATE INDEX rejections_at ON rejections (at);
