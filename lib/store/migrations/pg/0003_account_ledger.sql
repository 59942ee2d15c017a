-- doorstep schema, migration 3 on PostgreSQL: the account ledger.
--
-- The same tables, index and first listing as ../0003_account_ledger.sql
-- (which says what they are for); what differs is the dialect: a trigger is
-- a function here, and INSERT OR IGNORE is ON CONFLICT DO NOTHING.
CREATE TABLE account_ledger (
  account_id  TEXT PRIMARY KEY REFERENCES accounts(account_id),
  schedule    BYTEA NOT NULL,
  payments    BYTEA NOT NULL
);

CREATE TABLE ledger_touched (
  account_id  TEXT PRIMARY KEY
);

-- Lists the account of a row written (both accounts when a row moves).
CREATE FUNCTION ledger_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO ledger_touched VALUES (OLD.account_id) ON CONFLICT DO NOTHING;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO ledger_touched VALUES (NEW.account_id) ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER installments_ledger AFTER INSERT OR UPDATE OR DELETE ON installments
  FOR EACH ROW EXECUTE FUNCTION ledger_touch();
CREATE TRIGGER payments_ledger AFTER INSERT OR UPDATE OR DELETE ON payments
  FOR EACH ROW EXECUTE FUNCTION ledger_touch();

-- Packing an account reads its payments through this index alone.
DROP INDEX payments_account;
CREATE INDEX payments_account ON payments(account_id, value_date, amount_fen);

-- What the database already holds is packed when this migration commits.
INSERT INTO ledger_touched SELECT account_id FROM installments ON CONFLICT DO NOTHING;
INSERT INTO ledger_touched SELECT account_id FROM payments ON CONFLICT DO NOTHING;
