#!/bin/sh
# `audit verify|list`: the audit log's hash chain checked end to end (exit
# 0 intact, 1 broken, the first problem named), after each way of
# tampering with the database behind doorstep's back; the newest entries
# listed, by entity.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

export DOORSTEP_DB="$DB"
fixture_db
printf 'Correct-Horse-Battery-9\n' >pw.txt
ds_ok user add admin1 --role admin <pw.txt
ds_ok user add zhao --role collector --staff S01 <pw.txt
ds_ok hold add B001 dispute --reason "disputes the fee"
entries=$(count audit_log)
last=$(q "SELECT max(seq) FROM audit_log")
assert_eq "$entries" "$last" "entries numbered from 1"

# --- intact
ds_ok audit verify
assert_line stdout "audit log intact: $entries entries checked"
head=$(q "SELECT seq || ' ' || hash FROM audit_log WHERE seq = $last")
assert_line stdout "head: $head"
ds_ok --json audit verify
assert_contains stdout '"intact": true'
assert_contains stdout "\"entries\": $entries"
assert_contains stdout '"first_bad_seq": null'
assert_contains stdout "\"head\": \"$(echo "$head" | tr ' ' ':')\""

# --- list: newest first, filtered
ds_ok audit list --limit 3
assert_lines_matching stdout '.' 4
assert_lines_matching stdout '^seq +recorded_at +actor +action +entity +entity_id +detail' 1
assert_eq "$last" "$(sed -n '2s/ .*//p' "$OUT")" "the newest entry first"
assert_contains stdout "hold_add"
ds_ok audit list --entity users
assert_lines_matching stdout ' user_add +users ' 2
assert_lines_matching stdout 'import' 0
ds_ok --json audit list --entity users --id zhao
assert_contains stdout '"entity_id": "zhao"'
assert_contains stdout '"actor": "cli-test"'
assert_not_contains stdout 'admin1'
ds_ok audit list --entity nothing
assert_lines_matching stdout '.' 1
ds audit list --limit 0
assert_status 2 "--limit 0"
ds audit list extra
assert_status 2 "an argument to list"
ds audit verify extra
assert_status 2 "an argument to verify"
ds audit
assert_status 2 "no subcommand"
ds audit frob
assert_status 2 "an unknown subcommand"
ds_ok audit --help
assert_contains stdout "usage: doorstep audit verify"

# --- tampering, each on a copy of the intact database
q ".backup pristine.db"
restore() {
	rm -f "$DB" "$DB-wal" "$DB-shm"
	cp pristine.db "$DB"
}

# an entry edited
q "UPDATE audit_log SET detail = '{\"reason\":\"none\"}' WHERE seq = 3"
ds audit verify
assert_status 1 "an edited entry"
assert_line stdout "audit log BROKEN: 3 entries checked, the first break at entry 3"
assert_line stdout "entry 3: its hash does not match its contents (edited)"
ds --json audit verify
assert_status 1 "an edited entry, --json"
assert_contains stdout '"intact": false'
assert_contains stdout '"first_bad_seq": 3'
assert_contains stdout '"problem": "entry 3: its hash does not match its contents (edited)"'

# a hash replaced
restore
q "UPDATE audit_log SET hash = prev_hash WHERE seq = 7"
ds audit verify
assert_status 1 "an edited hash"
assert_line stdout "entry 7: its hash does not match its contents (edited)"

# an entry deleted in the middle
restore
q "DELETE FROM audit_log WHERE seq = 5"
ds audit verify
assert_status 1 "a deleted entry"
assert_line stdout "entry 5 missing (deleted): the log goes from 4 to 6"

# an entry inserted (copied from another, numbered after the last)
restore
q "INSERT INTO audit_log(seq, at, actor, action, entity, entity_id, detail, prev_hash, hash)
   SELECT $((last + 1)), at, actor, action, entity, entity_id, detail, prev_hash, hash
   FROM audit_log WHERE seq = 4"
ds audit verify
assert_status 1 "an inserted entry"
assert_line stdout "entry $((last + 1)) does not link to entry $last (an entry inserted, replaced or reordered)"

# the last entries deleted, and still seen after the next write
restore
q "DELETE FROM audit_log WHERE seq >= $((last - 1))"
ds audit verify
assert_status 1 "the last entries deleted"
assert_line stdout "the log ends at $((last - 2)) but its head was $last (entries deleted at the end)"
ds_ok hold add B002 dispute
ds audit verify
assert_status 1 "the last entries deleted, then a new entry"
assert_line stdout "entries $((last - 1)) to $last missing (deleted): the log goes from $((last - 2)) to $((last + 1))"

# a database from before the head was kept: intact, and it says so
restore
q "DELETE FROM store_meta WHERE name = 'audit_head'"
ds_ok audit verify
assert_line stdout "audit log intact: $entries entries checked"
assert_contains stdout "note: the chain's head is not recorded yet"
assert_not_contains stdout "head:"
ds_ok --json audit verify
assert_contains stdout '"note": "the chain'
assert_contains stdout '"head": null'
ds_ok hold add B002 dispute
ds_ok audit verify
assert_line stdout "audit log intact: $((entries + 1)) entries checked"
assert_not_contains stdout "note:"
