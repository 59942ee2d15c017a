-- doorstep schema, migration 3: the account ledger.
--
-- Every daily job that needs delinquency reads, per account, the whole due
-- schedule and every payment. account_ledger holds them packed, one row an
-- account (see include/doorstep/store.h for the format), so the jobs read a
-- million rows instead of tens of millions. The store keeps it: these
-- triggers list the accounts a transaction writes rows of, and the
-- transaction packs them again before it commits.
CREATE TABLE account_ledger (
  account_id  TEXT PRIMARY KEY REFERENCES accounts(account_id),
  schedule    BLOB NOT NULL,
  payments    BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE ledger_touched (
  account_id  TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TRIGGER installments_ledger_insert AFTER INSERT ON installments BEGIN
  INSERT OR IGNORE INTO ledger_touched VALUES (new.account_id);
END;
CREATE TRIGGER installments_ledger_update AFTER UPDATE ON installments BEGIN
  INSERT OR IGNORE INTO ledger_touched VALUES (old.account_id), (new.account_id);
END;
CREATE TRIGGER installments_ledger_delete AFTER DELETE ON installments BEGIN
  INSERT OR IGNORE INTO ledger_touched VALUES (old.account_id);
END;
CREATE TRIGGER payments_ledger_insert AFTER INSERT ON payments BEGIN
  INSERT OR IGNORE INTO ledger_touched VALUES (new.account_id);
END;
CREATE TRIGGER payments_ledger_update AFTER UPDATE ON payments BEGIN
  INSERT OR IGNORE INTO ledger_touched VALUES (old.account_id), (new.account_id);
END;
CREATE TRIGGER payments_ledger_delete AFTER DELETE ON payments BEGIN
  INSERT OR IGNORE INTO ledger_touched VALUES (old.account_id);
END;

-- Packing an account reads its payments through this index alone.
DROP INDEX payments_account;
CREATE INDEX payments_account ON payments(account_id, value_date, amount_fen);

-- What the database already holds is packed when this migration commits.
INSERT OR IGNORE INTO ledger_touched SELECT account_id FROM installments;
INSERT OR IGNORE INTO ledger_touched SELECT account_id FROM payments;
