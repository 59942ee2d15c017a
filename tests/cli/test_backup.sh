#!/bin/sh
# doorstep backup / restore (docs/storage.md): a round trip gives back every
# table as it was (a checksum of each), into the same database after changes
# and into a new one; the audit log records both and stays intact; a file is
# never written over; what is not a doorstep backup is refused and changes
# nothing.
. "$(dirname "$0")/lib.sh"

# sums OUTFILE [DB] : per table, its name and the SHA3 of its rows (the
# sqlite3 shell's .sha3sum), but for the audit log and store_meta, which
# record the backup and the restore themselves.
sums() {
	: >"$1"
	for t in $(q "SELECT name FROM sqlite_master WHERE type='table' AND name NOT IN
	              ('audit_log','store_meta') AND name NOT LIKE 'sqlite_%' ORDER BY name" \
		"${2:-$DB}"); do
		echo "$t $(q ".sha3sum $t" "${2:-$DB}")" >>"$1"
	done
}

fixture_db
ds_ok hold add B001 dispute --from 2026-06-01 --reason "disputes the amount"
sums before.sums
entries=$(count audit_log)

# --- backup
ds_ok backup snap.db
assert_line stdout "doorstep.db: backed up to snap.db"
[ -f snap.db ] || fail "backup wrote no snap.db"
[ -e snap.db.doorstep-tmp ] && fail "backup left its temporary file"
assert_query "backup|database|snap.db" \
	"SELECT action, entity, entity_id FROM audit_log ORDER BY seq DESC LIMIT 1"
sums snap.sums snap.db
assert_file_eq before.sums snap.sums "every table's checksum in the backup"
assert_query "$entries" "SELECT count(*) FROM audit_log" snap.db

ds backup snap.db
assert_status 3 "a backup over an existing file"
assert_contains stderr "snap.db: exists already; a backup is never written over a file"

# --- changes, then the restore gives back what the backup held
{
	echo 'payment_id,account_id,value_date,amount,channel'
	echo 'P901,A001,2024-03-10,250.00,app'
} >payments_more.csv
ds_ok import payments payments_more.csv
q "DELETE FROM contacts"
sums changed.sums
cmp -s before.sums changed.sums && fail "the changes changed no table"
ds_ok restore snap.db
assert_line stdout "doorstep.db: restored from snap.db"
sums after.sums
assert_file_eq before.sums after.sums "every table's checksum after the restore"
assert_query "restore|database|snap.db" \
	"SELECT action, entity, entity_id FROM audit_log ORDER BY seq DESC LIMIT 1"
assert_query "$((entries + 1))" "SELECT count(*) FROM audit_log"
ds_ok audit verify
assert_contains stdout "audit log intact"
ds_ok summary --as-of 2024-03-01
cp "$OUT" restored.summary

# --- into a new database
ds_ok --db fresh.db restore snap.db
sums fresh.sums fresh.db
assert_file_eq before.sums fresh.sums "every table's checksum in a new database"
ds_ok --db fresh.db audit verify
ds_ok --db fresh.db summary --as-of 2024-03-01
assert_file_eq restored.summary "$OUT" "the summary of the restored copies"

# --- refusals leave the database as it was
sqlite3 other.db "CREATE TABLE t (x); INSERT INTO t VALUES (1)"
ds restore other.db
assert_status 3 "restore from another program's database"
assert_contains stderr "not a doorstep database"
ds restore nosuch.db
assert_status 3 "restore from a missing file"
assert_contains stderr "nosuch.db: cannot read"
[ -e nosuch.db ] && fail "a restore from a missing file created it"
q "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2" snap.db
ds restore snap.db
assert_status 3 "restore from a backup whose audit log was edited"
assert_contains stderr "the backup's audit log is broken at entry 2"
sums refused.sums
assert_file_eq before.sums refused.sums "every table after the refused restores"
ds --help
assert_contains stdout "backup"
assert_contains stdout "restore"
