-- doorstep schema, migration 5: users, sessions and API tokens (docs/server.md).
--
-- Passwords are kept as argon2id hashes (libsodium's crypto_pwhash_str
-- strings); session and API tokens only as their SHA-256, so a copy of the
-- database opens no session.

CREATE TABLE users (
  user_id       TEXT PRIMARY KEY,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'collector',
                'community_worker', 'analyst', 'auditor')),
  staff_id      TEXT REFERENCES staff(staff_id),
  password_hash TEXT NOT NULL,
  disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at    INTEGER NOT NULL,
  password_at   INTEGER NOT NULL
);

CREATE TABLE sessions (
  session_id   INTEGER PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users(user_id),
  token_sha256 TEXT NOT NULL UNIQUE,
  csrf         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  revoked_at   INTEGER,
  addr         TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  token_id     INTEGER PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users(user_id),
  name         TEXT NOT NULL,
  token_sha256 TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);

-- Failed logins, for throttling: by user and by address within a window.
CREATE TABLE login_failures (
  at      INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  addr    TEXT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures(user_id, at);
CREATE INDEX login_failures_addr ON login_failures(addr, at);
