#!/bin/sh
# Idempotence: importing the same files again reports every row unchanged
# and leaves the data tables byte-for-byte as they were; a changed row is
# reported as updated, and that file again is then unchanged too.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fixture_db
dump_data before.sql
batches=$(count import_batches)

rows_of() { # kind -> data rows in its fixture file (records, not lines)
	case $1 in
	branches | communities) echo 2 ;;
	borrowers) echo 5 ;;
	staff | certifications | contacts) echo 3 ;;
	accounts) echo 7 ;;
	schedules) echo 5 ;;
	payments) echo 6 ;;
	esac
}

# Every kind again, in order: nothing inserted, nothing updated.
for k in $KINDS; do
	n=$(rows_of "$k")
	ds_ok import "$k" "$k.csv"
	assert_line stderr "$k.csv: imported $n rows: 0 inserted, 0 updated, $n unchanged, 0 rejected (utf-8)"
done
dump_data after.sql
assert_file_eq before.sql after.sql "data tables after re-importing every file"
# Each import is still recorded, as a committed batch that changed nothing.
assert_query $((batches + 9)) "SELECT count(*) FROM import_batches"
assert_query "9|0|0" "SELECT count(*), sum(rows_inserted), sum(rows_updated) FROM import_batches
	WHERE batch_id > $batches AND status = 'committed'"
# The two imports of a file record the same SHA-256.
assert_query 1 "SELECT count(DISTINCT file_sha256) FROM import_batches WHERE kind='borrowers'"
# No row was touched: every row still names the batch that first wrote it.
assert_query 0 "SELECT count(*) FROM payments WHERE batch_id > $batches"

# Several files of a kind in one command, with --json: the same file twice.
ds_ok --json import payments payments.csv payments.csv
assert_lines_matching stdout '"unchanged": 6' 2
assert_lines_matching stdout '"inserted": 0' 2
assert_lines_matching stdout '"updated": 0' 2
assert_lines_matching stdout '"committed": true' 2
dump_data after.sql
assert_file_eq before.sql after.sql "data tables after the --json re-import"

# The same data in another layout is the same data: columns in another
# order, CRLF line ends, a BOM, quotes where none are needed, and the phone
# written another way (it is matched by its normalised hash).
{
	printf '\357\273\277'
	printf '%s\r\n' 'name,borrower_id,phone,national_id,community_id,address,lat,lon,alt_phone,birth_date,occupation,monthly_income,flags' \
		'"王芳","B001","138 0013 8000",110101199003071233,C01,"西湖区幸福路12号, 3单元",30.2751,120.1561,,1990-03-07,teacher,8500,'
} >borrowers_relaid.csv
ds_ok import borrowers borrowers_relaid.csv
assert_line stderr "borrowers_relaid.csv: imported 1 rows: 0 inserted, 0 updated, 1 unchanged, 0 rejected (utf-8)"
dump_data after.sql
assert_file_eq before.sql after.sql "data tables after the re-laid-out borrower file"

# One changed field: one row updated, the rest unchanged.
sed 's/^A004,B004,BR02,small_business_loan,50000.00,42000.00,/A004,B004,BR02,small_business_loan,50000.00,41000.00,/' \
	accounts.csv >accounts_changed.csv
ds_ok import accounts accounts_changed.csv
assert_line stderr "accounts_changed.csv: imported 7 rows: 0 inserted, 1 updated, 6 unchanged, 0 rejected (utf-8)"
assert_query 4100000 "SELECT balance_fen FROM accounts WHERE account_id='A004'"
last=$(q "SELECT max(batch_id) FROM import_batches")
assert_query "A004" "SELECT group_concat(account_id) FROM accounts WHERE batch_id = $last"
dump_data changed.sql
CHECKS=$((CHECKS + 1))
cmp -s before.sql changed.sql && fail "an updated row should change the data tables"
ds_ok import accounts accounts_changed.csv
assert_line stderr "accounts_changed.csv: imported 7 rows: 0 inserted, 0 updated, 7 unchanged, 0 rejected (utf-8)"
dump_data again.sql
assert_file_eq changed.sql again.sql "data tables after re-importing the changed file"

# And back: the original file restores the original data.
ds_ok import accounts accounts.csv
assert_line stderr "accounts.csv: imported 7 rows: 0 inserted, 1 updated, 6 unchanged, 0 rejected (utf-8)"
# batch_id of A004 differs now; the values are the originals.
assert_query 4200000 "SELECT balance_fen FROM accounts WHERE account_id='A004'"

# A file with a new row and a known one: 1 inserted, 1 unchanged.
{
	head -n 1 payments.csv
	sed -n 2p payments.csv
	echo 'P900,A002,2024-02-29,,500.00,card,'
} >payments_more.csv
ds_ok import payments payments_more.csv
assert_line stderr "payments_more.csv: imported 2 rows: 1 inserted, 0 updated, 1 unchanged, 0 rejected (utf-8)"
assert_query 7 "SELECT count(*) FROM payments"
ds_ok import payments payments_more.csv
assert_line stderr "payments_more.csv: imported 2 rows: 0 inserted, 0 updated, 2 unchanged, 0 rejected (utf-8)"
assert_query 7 "SELECT count(*) FROM payments"
