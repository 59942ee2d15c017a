-- doorstep schema, migration 4: field operations (docs/field.md).
--
-- The visit's life as events, the notices and the outbox a delivery
-- adapter drains, promises judged from payments, installment plans with
-- their approvals and adherence, receipts taken at the door and their
-- reconciliation with the bank's payment feed, complaints with their hold
-- and deadline, follow-up tasks, and the communities' literacy events.

-- Every transition of a visit, in order: what, who, when, from where, why.
CREATE TABLE visit_events (
  event_id    INTEGER PRIMARY KEY,
  visit_id    INTEGER NOT NULL REFERENCES visits(visit_id),
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  event       TEXT NOT NULL,
  from_state  TEXT NOT NULL,
  to_state    TEXT NOT NULL,
  lat         REAL,
  lon         REAL,
  reason      TEXT,
  detail      TEXT
);
CREATE INDEX visit_events_visit ON visit_events(visit_id, event_id);

ALTER TABLE visits ADD COLUMN checkin_distance_m REAL;
ALTER TABLE visits ADD COLUMN identity_shown INTEGER;
ALTER TABLE visits ADD COLUMN outcome_at INTEGER;
ALTER TABLE visits ADD COLUMN evidence_sha256 TEXT;
ALTER TABLE visits ADD COLUMN evidence_name TEXT;

-- Messages for a delivery adapter: it takes the queued rows in order and
-- marks each sent, delivered or failed. The number is not here: the
-- adapter unseals it from the borrower's record.
CREATE TABLE outbox (
  outbox_id   INTEGER PRIMARY KEY,
  channel     TEXT NOT NULL CHECK (channel IN ('sms', 'letter')),
  borrower_id TEXT NOT NULL REFERENCES borrowers(borrower_id),
  account_id  TEXT REFERENCES accounts(account_id),
  purpose     TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  status      TEXT NOT NULL DEFAULT 'queued'
              CHECK (status IN ('queued', 'sent', 'delivered', 'failed')),
  status_at   INTEGER,
  attempts    INTEGER NOT NULL DEFAULT 0,
  error       TEXT
);
CREATE INDEX outbox_status ON outbox(status, outbox_id);

-- The advance notice of a visit: the letter (PDF) and the SMS.
CREATE TABLE notices (
  notice_id     INTEGER PRIMARY KEY,
  visit_id      INTEGER NOT NULL REFERENCES visits(visit_id),
  account_id    TEXT NOT NULL REFERENCES accounts(account_id),
  created_at    INTEGER NOT NULL,
  created_by    TEXT NOT NULL,
  letter_path   TEXT,
  letter_sha256 TEXT,
  sms_outbox_id INTEGER REFERENCES outbox(outbox_id),
  letter_outbox_id INTEGER REFERENCES outbox(outbox_id)
);
CREATE INDEX notices_visit ON notices(visit_id);

-- Promises: what the payments made of them.
ALTER TABLE promises ADD COLUMN paid_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE promises ADD COLUMN decided_at INTEGER;

-- Installment plans: terms, approval and adherence.
ALTER TABLE plans ADD COLUMN balance_fen INTEGER;
ALTER TABLE plans ADD COLUMN installments INTEGER;
ALTER TABLE plans ADD COLUMN first_due TEXT;
ALTER TABLE plans ADD COLUMN waiver_kind TEXT;
ALTER TABLE plans ADD COLUMN visit_id INTEGER REFERENCES visits(visit_id);
ALTER TABLE plans ADD COLUMN affordability TEXT;
ALTER TABLE plans ADD COLUMN approved_at INTEGER;
ALTER TABLE plans ADD COLUMN status_at INTEGER;
ALTER TABLE plan_installments ADD COLUMN paid_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE plan_installments ADD COLUMN status TEXT NOT NULL DEFAULT 'due';

-- Money taken at the door, numbered without gaps per year.
CREATE TABLE receipts (
  receipt_no    TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(account_id),
  visit_id      INTEGER REFERENCES visits(visit_id),
  amount_fen    INTEGER NOT NULL CHECK (amount_fen > 0),
  method        TEXT NOT NULL CHECK (method IN ('cash', 'card')),
  taken_by      TEXT NOT NULL,
  taken_at      INTEGER NOT NULL,
  pdf_path      TEXT,
  pdf_sha256    TEXT,
  payment_id    TEXT,
  reconciled_at INTEGER
);
CREATE INDEX receipts_account ON receipts(account_id);

-- Complaints: the account, what happened, the hold they put on contact,
-- and the deadline for a resolution.
ALTER TABLE complaints ADD COLUMN account_id TEXT REFERENCES accounts(account_id);
ALTER TABLE complaints ADD COLUMN detail TEXT;
ALTER TABLE complaints ADD COLUMN due_at INTEGER;
ALTER TABLE complaints ADD COLUMN hold_id INTEGER REFERENCES holds(hold_id);
ALTER TABLE complaints ADD COLUMN resolved_by TEXT;

-- Follow-up: what is to be done next, by when, and why.
CREATE TABLE tasks (
  task_id    INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(account_id),
  kind       TEXT NOT NULL,
  due_date   TEXT NOT NULL,
  reason     TEXT NOT NULL,
  source     TEXT,
  status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
  created_at INTEGER NOT NULL,
  done_at    INTEGER,
  done_by    TEXT
);
CREATE INDEX tasks_open ON tasks(status, due_date);

-- Financial-literacy events held with a community.
CREATE TABLE literacy_events (
  event_id     INTEGER PRIMARY KEY,
  community_id TEXT NOT NULL REFERENCES communities(community_id),
  held_on      TEXT NOT NULL,
  topic        TEXT NOT NULL,
  attendance   INTEGER NOT NULL CHECK (attendance >= 0),
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
