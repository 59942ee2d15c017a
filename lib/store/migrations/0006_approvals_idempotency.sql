-- doorstep schema, migration 6: the approval of a day's plan, and the
-- answers kept for retried requests (docs/server.md, "Idempotency").

-- A manager's decision on a day's plan (docs/strategy.md, "Approval"). The
-- digest is the SHA-256 of the day's decisions as they stood when decided:
-- a plan written again afterwards no longer matches it (stale).
CREATE TABLE plan_approvals (
  plan_date   TEXT PRIMARY KEY,
  status      TEXT NOT NULL CHECK (status IN ('approved', 'rejected')),
  decisions   INTEGER NOT NULL,
  digest      TEXT NOT NULL,
  made_by     TEXT,
  decided_by  TEXT NOT NULL,
  decided_at  INTEGER NOT NULL,
  note        TEXT
);

-- A write sent with an Idempotency-Key header: the first answer is kept
-- and given again to a retry of the same key by the same user, so a
-- phone's outbox may resend without doing anything twice. 'pending'
-- while the first is being served.
CREATE TABLE idempotency_keys (
  user_id     TEXT NOT NULL,
  key         TEXT NOT NULL,
  method      TEXT NOT NULL,
  path        TEXT NOT NULL,
  status      INTEGER NOT NULL DEFAULT 0,
  body        TEXT,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (user_id, key)
);
