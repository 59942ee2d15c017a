-- doorstep schema, migration 1: the portfolio and the tables of the daily cycle.
--
-- Conventions
--   * Money is INTEGER fen (0.01 yuan), columns end in _fen.
--   * Instants are INTEGER UTC epoch seconds, columns end in _at.
--   * Civil dates (due dates, birth dates, value dates) are TEXT 'YYYY-MM-DD';
--     columns end in _date. Each branch has an IANA time zone for rules.
--   * The bank's own identifiers are the keys of everything imported, so a
--     re-import finds its rows again. batch_id names the import that last
--     wrote a row (import_batches); it is provenance, not a foreign key, so
--     a load does not pay a lookup per row for it.
--   * Allowed values are checked with OR chains, not IN lists: SQLite
--     builds a temporary index for an IN list on every row written.
--   * High-volume tables keyed by the bank's ids (payments, installments,
--     contacts) are WITHOUT ROWID: one B-tree instead of a table plus a
--     key index, which roughly halves the cost of a nightly load.
--   * National IDs and phone numbers never appear in the clear: *_hash is a
--     keyed BLAKE2b hash (matching), *_sealed an XChaCha20-Poly1305 sealed
--     copy (unmasked view, audited), *_masked / *_last4 the masked form.

-- Named settings of this database (e.g. the check value of the bound key).
CREATE TABLE store_meta (
  name   TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);

CREATE TABLE import_batches (
  batch_id        INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL,
  file_name       TEXT NOT NULL,
  file_sha256     TEXT NOT NULL,
  encoding        TEXT NOT NULL,
  actor           TEXT NOT NULL,
  started_at      INTEGER NOT NULL,
  finished_at     INTEGER,
  rows_read       INTEGER NOT NULL DEFAULT 0,
  rows_inserted   INTEGER NOT NULL DEFAULT 0,
  rows_updated    INTEGER NOT NULL DEFAULT 0,
  rows_unchanged  INTEGER NOT NULL DEFAULT 0,
  rows_rejected   INTEGER NOT NULL DEFAULT 0,
  status          TEXT NOT NULL CHECK ((status='running' OR status='committed' OR status='rejected' OR status='failed'))
);

CREATE TABLE branches (
  branch_id   TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  city        TEXT,
  timezone    TEXT NOT NULL,
  address     TEXT,
  lat         REAL,
  lon         REAL,
  batch_id    INTEGER
);

CREATE TABLE communities (
  community_id    TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  city            TEXT,
  district        TEXT,
  branch_id       TEXT REFERENCES branches(branch_id),
  centroid_lat    REAL NOT NULL,
  centroid_lon    REAL NOT NULL,
  boundary        TEXT,  -- 'lon lat;lon lat;...' closed ring, WGS-84
  partner_status  TEXT NOT NULL DEFAULT 'none'
                  CHECK ((partner_status='active' OR partner_status='pilot' OR partner_status='inactive' OR partner_status='none')),
  batch_id        INTEGER
);

CREATE TABLE borrowers (
  borrower_id         TEXT PRIMARY KEY,
  name                TEXT NOT NULL,
  national_id_hash    TEXT,
  national_id_sealed  BLOB,
  national_id_last4   TEXT,
  phone_hash          TEXT,
  phone_sealed        BLOB,
  phone_masked        TEXT,
  alt_phone_hash      TEXT,
  alt_phone_sealed    BLOB,
  alt_phone_masked    TEXT,
  address             TEXT,
  lat                 REAL,
  lon                 REAL,
  community_id        TEXT REFERENCES communities(community_id),
  birth_date          TEXT,
  occupation          TEXT,
  monthly_income_fen  INTEGER CHECK (monthly_income_fen IS NULL OR monthly_income_fen >= 0),
  flags               TEXT,  -- comma-separated, e.g. 'elderly,safety_risk'
  batch_id            INTEGER
);
CREATE INDEX borrowers_community ON borrowers(community_id);
CREATE INDEX borrowers_national_id ON borrowers(national_id_hash);
CREATE INDEX borrowers_phone ON borrowers(phone_hash);

CREATE TABLE accounts (
  account_id          TEXT PRIMARY KEY,
  borrower_id         TEXT NOT NULL REFERENCES borrowers(borrower_id),
  branch_id           TEXT NOT NULL REFERENCES branches(branch_id),
  product             TEXT NOT NULL CHECK ((product='credit_card' OR product='consumer_loan' OR product='small_business_loan' OR product='mortgage' OR product='auto_loan')),
  principal_fen       INTEGER NOT NULL CHECK (principal_fen >= 0),
  balance_fen         INTEGER NOT NULL CHECK (balance_fen >= 0),
  overdue_fen         INTEGER NOT NULL DEFAULT 0 CHECK (overdue_fen >= 0),  -- as reported by the bank
  overdue_since_date  TEXT,  -- as reported: first unpaid due date
  reported_date       TEXT,  -- the date the bank's figures above refer to
  rate_bp             INTEGER CHECK (rate_bp IS NULL OR rate_bp >= 0),     -- annual rate, basis points
  open_date           TEXT NOT NULL,
  maturity_date       TEXT,
  status              TEXT NOT NULL DEFAULT 'active'
                        CHECK ((status='active' OR status='closed' OR status='written_off' OR status='legal' OR status='settled')),
  batch_id            INTEGER
);
CREATE INDEX accounts_borrower ON accounts(borrower_id);

-- The contractual due schedule: what is owed on which date.
CREATE TABLE installments (
  account_id   TEXT NOT NULL REFERENCES accounts(account_id),
  seq          INTEGER NOT NULL CHECK (seq >= 1),
  due_date     TEXT NOT NULL,
  amount_fen   INTEGER NOT NULL CHECK (amount_fen >= 0),
  batch_id     INTEGER,
  PRIMARY KEY (account_id, seq)
) WITHOUT ROWID;

CREATE TABLE payments (
  payment_id   TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(account_id),
  value_date   TEXT NOT NULL,   -- booking date: what delinquency counts
  paid_at      INTEGER,         -- instant of the transaction, when known
  amount_fen   INTEGER NOT NULL CHECK (amount_fen > 0),
  channel      TEXT NOT NULL CHECK ((channel='transfer' OR channel='auto_debit' OR channel='card' OR channel='cash_at_door' OR channel='branch' OR channel='app' OR channel='other')),
  reference    TEXT,
  batch_id     INTEGER
) WITHOUT ROWID;
CREATE INDEX payments_account ON payments(account_id, value_date);

CREATE TABLE staff (
  staff_id       TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  role           TEXT NOT NULL CHECK ((role='collector' OR role='community_worker' OR role='manager' OR role='analyst' OR role='auditor' OR role='admin')),
  branch_id      TEXT REFERENCES branches(branch_id),
  community_id   TEXT REFERENCES communities(community_id),
  phone_hash     TEXT,
  phone_sealed   BLOB,
  phone_masked   TEXT,
  skills         TEXT,  -- comma-separated, e.g. 'dialect_wu,counselling'
  home_lat       REAL,
  home_lon       REAL,
  shift_start    TEXT,  -- 'HH:MM' local
  shift_end      TEXT,
  hired_date     TEXT,
  active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0,1)),
  batch_id       INTEGER
);

CREATE TABLE certifications (
  staff_id       TEXT NOT NULL REFERENCES staff(staff_id),
  cert           TEXT NOT NULL,
  issued_date    TEXT NOT NULL,
  expires_date   TEXT,
  batch_id       INTEGER,
  PRIMARY KEY (staff_id, cert)
) WITHOUT ROWID;

CREATE TABLE contacts (
  contact_id    TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(account_id),
  channel       TEXT NOT NULL CHECK ((channel='sms' OR channel='call' OR channel='letter' OR channel='visit' OR channel='app_push' OR channel='email')),
  direction     TEXT NOT NULL DEFAULT 'outbound' CHECK ((direction='outbound' OR direction='inbound')),
  started_at    INTEGER NOT NULL,
  duration_s    INTEGER CHECK (duration_s IS NULL OR duration_s >= 0),
  staff_id      TEXT REFERENCES staff(staff_id),
  party         TEXT NOT NULL DEFAULT 'borrower'
                  CHECK ((party='borrower' OR party='guarantor' OR party='family' OR party='third_party')),
  outcome       TEXT NOT NULL CHECK ((outcome='delivered' OR outcome='failed' OR outcome='no_answer' OR outcome='busy' OR outcome='invalid_number' OR outcome='connected' OR outcome='promise' OR outcome='refused' OR outcome='dispute' OR outcome='wrong_party' OR outcome='met_borrower' OR outcome='met_family' OR outcome='not_home' OR outcome='moved')),
  note          TEXT,
  batch_id      INTEGER
) WITHOUT ROWID;
CREATE INDEX contacts_account ON contacts(account_id, started_at);

-- ------------------------------------------------------------------------
-- Tables the later stages of the daily cycle fill.

CREATE TABLE teams (
  team_id       TEXT PRIMARY KEY,
  branch_id     TEXT NOT NULL REFERENCES branches(branch_id),
  community_id  TEXT REFERENCES communities(community_id),
  work_date     TEXT,
  active        INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE team_members (
  team_id   TEXT NOT NULL REFERENCES teams(team_id),
  staff_id  TEXT NOT NULL REFERENCES staff(staff_id),
  PRIMARY KEY (team_id, staff_id)
);

CREATE TABLE holds (
  hold_id      INTEGER PRIMARY KEY,
  borrower_id  TEXT NOT NULL REFERENCES borrowers(borrower_id),
  account_id   TEXT REFERENCES accounts(account_id),
  kind         TEXT NOT NULL,
  starts_at    INTEGER NOT NULL,
  ends_at      INTEGER,
  set_by       TEXT NOT NULL,
  reason       TEXT
);
CREATE INDEX holds_borrower ON holds(borrower_id);

CREATE TABLE models (
  model_id          INTEGER PRIMARY KEY,
  kind              TEXT NOT NULL,
  version           INTEGER NOT NULL,
  trained_at        INTEGER NOT NULL,
  data_fingerprint  TEXT NOT NULL,
  params            TEXT NOT NULL,
  metrics           TEXT,
  body              BLOB NOT NULL,
  champion          INTEGER NOT NULL DEFAULT 0,
  UNIQUE (kind, version)
);

CREATE TABLE scores (
  account_id    TEXT NOT NULL REFERENCES accounts(account_id),
  score_date    TEXT NOT NULL,
  ability       REAL,
  willingness   REAL,
  ability_model_id      INTEGER REFERENCES models(model_id),
  willingness_model_id  INTEGER REFERENCES models(model_id),
  quadrant      TEXT,
  reasons       TEXT,  -- JSON
  PRIMARY KEY (account_id, score_date)
);

CREATE TABLE experiments (
  experiment_id  TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  segment        TEXT,
  holdout_ppm    INTEGER NOT NULL DEFAULT 50000,
  start_date     TEXT NOT NULL,
  end_date       TEXT,
  status         TEXT NOT NULL DEFAULT 'running'
);

CREATE TABLE decisions (
  decision_id    INTEGER PRIMARY KEY,
  plan_date      TEXT NOT NULL,
  account_id     TEXT NOT NULL REFERENCES accounts(account_id),
  treatment      TEXT NOT NULL,
  expected_fen   INTEGER NOT NULL DEFAULT 0,
  cost_fen       INTEGER NOT NULL DEFAULT 0,
  experiment_id  TEXT REFERENCES experiments(experiment_id),
  arm            TEXT,
  reasons        TEXT,  -- JSON: reason codes and rule verdicts consulted
  created_at     INTEGER NOT NULL,
  UNIQUE (plan_date, account_id)
);

CREATE TABLE visits (
  visit_id        INTEGER PRIMARY KEY,
  account_id      TEXT NOT NULL REFERENCES accounts(account_id),
  decision_id     INTEGER REFERENCES decisions(decision_id),
  team_id         TEXT REFERENCES teams(team_id),
  visit_date      TEXT,
  state           TEXT NOT NULL DEFAULT 'planned',
  window_start_at INTEGER,
  window_end_at   INTEGER,
  route_seq       INTEGER,
  planned_at      INTEGER,
  notice_sent_at  INTEGER,
  checked_in_at   INTEGER,
  checkin_lat     REAL,
  checkin_lon     REAL,
  consent_to_enter INTEGER,
  outcome         TEXT,
  situation       TEXT,
  attitude        TEXT,
  closed_at       INTEGER,
  cancel_reason   TEXT
);
CREATE INDEX visits_account ON visits(account_id);

CREATE TABLE promises (
  promise_id    INTEGER PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(account_id),
  visit_id      INTEGER REFERENCES visits(visit_id),
  amount_fen    INTEGER NOT NULL CHECK (amount_fen > 0),
  due_date      TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'open',
  created_at    INTEGER NOT NULL,
  created_by    TEXT NOT NULL
);

CREATE TABLE plans (
  plan_id       INTEGER PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(account_id),
  status        TEXT NOT NULL DEFAULT 'proposed',
  total_fen     INTEGER NOT NULL,
  waiver_fen    INTEGER NOT NULL DEFAULT 0,
  created_by    TEXT NOT NULL,
  approved_by   TEXT,
  created_at    INTEGER NOT NULL
);
CREATE TABLE plan_installments (
  plan_id     INTEGER NOT NULL REFERENCES plans(plan_id),
  seq         INTEGER NOT NULL,
  due_date    TEXT NOT NULL,
  amount_fen  INTEGER NOT NULL,
  PRIMARY KEY (plan_id, seq)
);

CREATE TABLE complaints (
  complaint_id  INTEGER PRIMARY KEY,
  borrower_id   TEXT NOT NULL REFERENCES borrowers(borrower_id),
  visit_id      INTEGER REFERENCES visits(visit_id),
  staff_id      TEXT REFERENCES staff(staff_id),
  kind          TEXT NOT NULL,
  opened_at     INTEGER NOT NULL,
  resolved_at   INTEGER,
  resolution    TEXT
);

CREATE TABLE incidents (
  incident_id   INTEGER PRIMARY KEY,
  visit_id      INTEGER REFERENCES visits(visit_id),
  kind          TEXT NOT NULL,
  severity      INTEGER NOT NULL,
  occurred_at   INTEGER NOT NULL,
  note          TEXT
);

-- Append-only, hash-chained: hash = SHA-256(prev_hash | fields).
CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  entity      TEXT NOT NULL,
  entity_id   TEXT,
  detail      TEXT,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
