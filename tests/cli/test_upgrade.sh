#!/bin/sh
# A database made by an older doorstep: refused until `doorstep init`
# upgrades it, which applies only the missing migrations, keeps the data,
# and records each in the audit log.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

export DOORSTEP_DB="$DB"
fixture_db
latest=$(q "SELECT max(version) FROM schema_migrations")
[ "$latest" -ge 2 ] || fail "expected at least 2 migrations, found $latest"
before=$(count contacts)
ledger=$(q "SELECT count(*) FROM account_ledger")
[ "$ledger" -gt 0 ] || fail "expected a packed ledger, found $ledger rows"
# Take the database back to schema 1: without contacts.purpose (2),
# without the account ledger (3), without the field operations' tables
# and columns (4; the tables it altered are empty here, and made again as
# schema 1 had them), without users and sessions (5), without plan approvals and kept
# answers (6).
q "ALTER TABLE contacts DROP COLUMN purpose;
   DROP TABLE account_ledger; DROP TABLE ledger_touched;
   DROP TRIGGER installments_ledger_insert; DROP TRIGGER installments_ledger_update;
   DROP TRIGGER installments_ledger_delete; DROP TRIGGER payments_ledger_insert;
   DROP TRIGGER payments_ledger_update; DROP TRIGGER payments_ledger_delete;
   DROP INDEX payments_account;
   CREATE INDEX payments_account ON payments(account_id, value_date);
   DROP TABLE visit_events; DROP TABLE notices; DROP TABLE outbox; DROP TABLE receipts;
   DROP TABLE tasks; DROP TABLE literacy_events;
   DROP TABLE login_failures; DROP TABLE api_tokens; DROP TABLE sessions; DROP TABLE users;
   DROP TABLE plan_approvals; DROP TABLE idempotency_keys;
   ALTER TABLE visits DROP COLUMN checkin_distance_m; ALTER TABLE visits DROP COLUMN identity_shown;
   ALTER TABLE visits DROP COLUMN outcome_at; ALTER TABLE visits DROP COLUMN evidence_sha256;
   ALTER TABLE visits DROP COLUMN evidence_name;
   ALTER TABLE promises DROP COLUMN paid_fen; ALTER TABLE promises DROP COLUMN decided_at;
   DROP TABLE plan_installments; DROP TABLE plans; DROP TABLE complaints;
   CREATE TABLE plans (plan_id INTEGER PRIMARY KEY,
     account_id TEXT NOT NULL REFERENCES accounts(account_id),
     status TEXT NOT NULL DEFAULT 'proposed', total_fen INTEGER NOT NULL,
     waiver_fen INTEGER NOT NULL DEFAULT 0, created_by TEXT NOT NULL, approved_by TEXT,
     created_at INTEGER NOT NULL);
   CREATE TABLE plan_installments (plan_id INTEGER NOT NULL REFERENCES plans(plan_id),
     seq INTEGER NOT NULL, due_date TEXT NOT NULL, amount_fen INTEGER NOT NULL,
     PRIMARY KEY (plan_id, seq));
   CREATE TABLE complaints (complaint_id INTEGER PRIMARY KEY,
     borrower_id TEXT NOT NULL REFERENCES borrowers(borrower_id),
     visit_id INTEGER REFERENCES visits(visit_id), staff_id TEXT REFERENCES staff(staff_id),
     kind TEXT NOT NULL, opened_at INTEGER NOT NULL, resolved_at INTEGER, resolution TEXT);
   DELETE FROM schema_migrations WHERE version >= 2"
ds summary --as-of 2024-03-01
assert_status 3 "an older schema is refused"
assert_contains stderr "older than this doorstep"
assert_contains stderr "run 'doorstep init' to upgrade it"
ds_ok init
assert_contains stdout "schema version $latest ($((latest - 1)) migration"
assert_eq "$latest" "$(q "SELECT max(version) FROM schema_migrations")" "schema upgraded"
assert_eq "$before" "$(count contacts)" "contacts kept"
assert_query "1" "SELECT count(*) FROM pragma_table_info('contacts') WHERE name = 'purpose'"
# once when the database was made, once more by the upgrade
assert_query "2" "SELECT count(*) FROM audit_log WHERE action = 'migrate' AND entity_id = '0002_contact_purpose'"
# the upgrade packed every account with a schedule or payments
assert_query "$ledger" "SELECT count(*) FROM account_ledger"
assert_query "0" "SELECT count(*) FROM ledger_touched"
ds_ok summary --as-of 2024-03-01
