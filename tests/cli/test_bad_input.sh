#!/bin/sh
# Every bad-input rule of the intake: each file in tests/data/bad has good
# rows and bad ones; the import must exit 1, print exactly one
# FILE:LINE[:COLUMN]: reason line per problem, and write nothing at all.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fixture_db
dump_data before.sql

# refused KIND FILE NBAD ROWS [EXPECTED_LINE...]
#   Imports tests/data/bad/FILE (options in $OPTS) and asserts: exit 1; each
#   expected line on stderr, and no other problem line for FILE; the closing
#   lines; the data tables unchanged; the attempt recorded as rejected.
OPTS=
ENC=
refused() {
	kind=$1 file=$2 nbad=$3 rows=$4
	shift 4
	[ -f "$file" ] || data "bad/$file"
	batches=$(count import_batches)
	table=$kind
	[ "$kind" = schedules ] && table=installments
	rows_before=$(count "$table")
	# shellcheck disable=SC2086
	ds import $OPTS "$kind" "$file"
	assert_status 1 "exit status for $file"
	for line in "$@"; do
		assert_line stderr "$line"
	done
	assert_lines_matching stderr "^$file:[0-9]+:" $#
	if [ "$nbad" -eq 0 ]; then # the header, not a row: nothing to count
		assert_line stderr "doorstep: $file: file rejected: see the problems above; nothing was imported"
	else
		assert_line stderr "doorstep: $file: file rejected: $nbad bad row(s); nothing was imported"
	fi
	assert_line stderr "$file: refused $rows rows: 0 inserted, 0 updated, 0 unchanged, $nbad rejected (${ENC:-utf-8})"
	assert_eq "" "$(cat "$OUT")" "stdout of a refused import"
	assert_query "$rows_before" "SELECT count(*) FROM $table"
	dump_data after.sql
	assert_file_eq before.sql after.sql "data tables after refusing $file"
	assert_query "$((batches + 1))|rejected|$rows|$nbad" "SELECT (SELECT count(*) FROM import_batches),
		status, rows_read, rows_rejected FROM import_batches
		WHERE batch_id = (SELECT max(batch_id) FROM import_batches)"
}

# --- amounts
refused accounts accounts_bad_amount.csv 1 2 \
	'accounts_bad_amount.csv:3:overdue_amount: not an amount (plain yuan like 1234.56): "1,2O0"'
refused accounts accounts_bad_negative.csv 1 2 \
	'accounts_bad_negative.csv:3:balance: must not be negative: "-5.00"'
refused payments payments_bad_zero.csv 1 2 \
	'payments_bad_zero.csv:3:amount: must be greater than zero: "0.00"'
# 100000000.00 yuan is the cap and is accepted (line 2); a fen more is not.
refused accounts accounts_bad_absurd.csv 1 2 \
	'accounts_bad_absurd.csv:3:principal: implausibly large (over 100000000.00): "100000000.01"'
# More forms of not-an-amount, one per line: three decimals, a currency
# sign, a thousands separator, a blank inside, an exponent, a lone dot.
{
	echo 'payment_id,account_id,value_date,amount,channel'
	echo 'P101,A001,2024-02-01,1.005,app'
	echo 'P102,A001,2024-02-01,¥12,app'
	echo 'P103,A001,2024-02-01,"1,200.00",app'
	echo 'P104,A001,2024-02-01,12 00,app'
	echo 'P105,A001,2024-02-01,1e3,app'
	echo 'P106,A001,2024-02-01,.,app'
	echo 'P107,A001,2024-02-01,12.,app'
} >payments_bad_amounts.csv
refused payments payments_bad_amounts.csv 7 7 \
	'payments_bad_amounts.csv:2:amount: not an amount (plain yuan like 1234.56): "1.005"' \
	'payments_bad_amounts.csv:3:amount: not an amount (plain yuan like 1234.56): "¥12"' \
	'payments_bad_amounts.csv:4:amount: not an amount (plain yuan like 1234.56): "1,200.00"' \
	'payments_bad_amounts.csv:5:amount: not an amount (plain yuan like 1234.56): "12 00"' \
	'payments_bad_amounts.csv:6:amount: not an amount (plain yuan like 1234.56): "1e3"' \
	'payments_bad_amounts.csv:7:amount: not an amount (plain yuan like 1234.56): "."' \
	'payments_bad_amounts.csv:8:amount: not an amount (plain yuan like 1234.56): "12."'

# --- dates: 2023 is not a leap year (2024-02-29 on line 2 is fine), and
# dates that must be in the past may not be in the future.
refused accounts accounts_bad_date.csv 2 3 \
	'accounts_bad_date.csv:3:open_date: not a date (YYYY-MM-DD, a real calendar day, 1900-2199): "2023-02-29"' \
	'accounts_bad_date.csv:4:open_date: date is in the future: "2199-12-31"'

# --- references
refused payments payments_bad_ref.csv 1 2 \
	'payments_bad_ref.csv:3:account_id: unknown account_id "A999" (not in accounts)'
# A reference to a row of the same file's kind that is not there yet.
{
	echo 'borrower_id,name,community_id'
	echo 'B101,新人,C09'
} >borrowers_bad_ref.csv
refused borrowers borrowers_bad_ref.csv 1 1 \
	'borrowers_bad_ref.csv:2:community_id: unknown community_id "C09" (not in communities)'

# --- duplicate keys within a file: of a new row (line 4 repeats line 2) and
# of a stored row that this file leaves unchanged (line 5 repeats line 3).
refused payments payments_bad_dup.csv 2 4 \
	'payments_bad_dup.csv:4:payment_id: duplicate key: the same payment_id came earlier in this file' \
	'payments_bad_dup.csv:5:payment_id: duplicate key: the same payment_id came earlier in this file'
# A two-column key (account_id, seq).
refused schedules schedules_bad_dup.csv 1 2 \
	'schedules_bad_dup.csv:3:account_id: duplicate key: the same key came earlier in this file'

# --- over-long fields: characters, not bytes, count (line 2 has a name of
# 50 CJK characters, 150 bytes: fine); the value shown is cut at 40.
z40=$(repeat 张 40)
refused borrowers borrowers_bad_long.csv 2 3 \
	"borrowers_bad_long.csv:3:name: longer than 50 characters: \"$z40...\"" \
	'borrowers_bad_long.csv:4:borrower_id: longer than 64 characters: "B012345678901234567890123456789012345678..."'
# Control characters are spelled out, and the 40 shown still fit.
{
	echo 'borrower_id,name,community_id'
	printf 'B101,%s,C01\n' "$(repeat "$(printf '\001')" 45)"
} >borrowers_bad_ctrl.csv
refused borrowers borrowers_bad_ctrl.csv 1 1 \
	"borrowers_bad_ctrl.csv:2:name: control character in text: \"$(repeat '\x01' 40)...\""
# A physical line over the 1 MiB cap is skipped, reported, and the next line
# read as usual.
awk 'BEGIN {
	print "payment_id,account_id,value_date,amount,channel,reference"
	print "P101,A001,2024-02-01,1.00,app,ok"
	s = "x"; while (length(s) < 1100000) s = s s
	print "P102,A001,2024-02-01,1.00,app," s
	print "P103,A001,2024-02-01,1.00,app,"
}' >payments_bad_longline.csv
refused payments payments_bad_longline.csv 1 3 \
	'payments_bad_longline.csv:3: line longer than 1048576 bytes'

# --- column counts
refused payments payments_bad_columns.csv 2 3 \
	'payments_bad_columns.csv:3: expected 7 fields as in the header, found 6' \
	'payments_bad_columns.csv:4: expected 7 fields as in the header, found 8'

# --- encodings: invalid UTF-8 bytes (FF FE) when UTF-8 is asked for...
OPTS="--encoding utf-8"
refused borrowers borrowers_bad_utf8.csv 1 2 \
	'borrowers_bad_utf8.csv:3: invalid UTF-8 byte sequence (is the file GBK? try --encoding gbk)'
OPTS=
# ...and the same file auto-detected: not UTF-8, so GB18030, where FF is
# not valid either (byte 10 of the line).
ENC=gb18030
refused borrowers borrowers_bad_utf8.csv 1 2 \
	'borrowers_bad_utf8.csv:3: invalid GB18030 bytes at byte 10: FF ...'
ENC=

# --- header problems refuse the whole file before any row
refused payments payments_bad_header.csv 0 0 \
	'payments_bad_header.csv:1:amount: required column missing from the header'
assert_line stderr "warning: payments_bad_header.csv:1:colour: unknown column, ignored (known: see 'doorstep import payments --help')"
refused payments payments_bad_header_twice.csv 0 0 \
	'payments_bad_header_twice.csv:1:amount: column appears twice in the header'
: >empty.csv
refused payments empty.csv 0 0 'empty.csv:1: empty file: no header line'

# --- quoting: quoted separators, doubled quotes and quoted newlines are
# valid RFC 4180 and must import as written.
data contacts_quoted.csv
ds_ok import contacts contacts_quoted.csv
assert_line stderr "contacts_quoted.csv: imported 4 rows: 4 inserted, 0 updated, 0 unchanged, 0 rejected (utf-8)"
assert_query 'a, b and "c"' "SELECT note FROM contacts WHERE contact_id='K101'"
assert_query "line one
line two, with comma
line three" "SELECT note FROM contacts WHERE contact_id='K102'"
assert_query "1|0" "SELECT CASE WHEN note IS NULL THEN 1 ELSE 0 END, length(coalesce(note,'')) FROM contacts WHERE contact_id='K103'"
assert_query "商户,街道|A001" "SELECT note, account_id FROM contacts WHERE contact_id='K104'"
dump_data before.sql
# After a record of several lines, problems name the physical line where
# their record starts (4 and 8 here).
refused contacts contacts_bad_after_quoted.csv 2 4 \
	'contacts_bad_after_quoted.csv:4:outcome: not one of: delivered failed no_answer busy invalid_number connected promise refused dispute wrong_party met_borrower met_family not_home moved: "sleeping"' \
	'contacts_bad_after_quoted.csv:8:outcome: not one of: delivered failed no_answer busy invalid_number connected promise refused dispute wrong_party met_borrower met_family not_home moved: "shouted"'
# Malformed quoting: a quote inside an unquoted field, text after a closing
# quote; the line after each is read normally (line 5 is fine).
refused payments payments_bad_quotes.csv 2 4 \
	'payments_bad_quotes.csv:3: malformed quoting (RFC 4180)' \
	'payments_bad_quotes.csv:4: malformed quoting (RFC 4180)'
refused payments payments_bad_unclosed.csv 1 2 \
	'payments_bad_unclosed.csv:3: unclosed quote at end of file'

# --- personal data: bad national IDs and phones are reported without the
# value, which must not appear anywhere in the output.
assert_eq 3 "$(natid_check 11010119900307123)" "check digit of the fixture's good ID"
assert_eq 6 "$(natid_check 11010119900230123)" "check digit of the ID with a bad birth date"
refused borrowers borrowers_bad_natid.csv 4 5 \
	'borrowers_bad_natid.csv:3:national_id: check digit does not match' \
	'borrowers_bad_natid.csv:4:national_id: birth date inside the number is not a date' \
	'borrowers_bad_natid.csv:5:national_id: not 18 characters' \
	'borrowers_bad_natid.csv:6:phone: not an 11-digit mobile or a landline with area code'
for secret in 110101199003071234 110101199002301236 11010119900307123 \
	13800000001 13800000002 12345; do
	assert_not_contains stderr "$secret"
	assert_not_contains stdout "$secret"
done

# --- enumerations are exact (case too)
refused accounts accounts_bad_enum.csv 2 3 \
	'accounts_bad_enum.csv:3:product: not one of: credit_card consumer_loan small_business_loan mortgage auto_loan: "payday"' \
	'accounts_bad_enum.csv:4:status: not one of: active closed written_off legal settled: "Active"'

# --- several problems in one row are each reported; required fields
{
	echo 'payment_id,account_id,value_date,amount,channel'
	echo 'P101,,2024-13-01,-1,pigeon'
	echo ',A001,2024-02-01,1.00,app'
} >payments_bad_many.csv
refused payments payments_bad_many.csv 2 2 \
	'payments_bad_many.csv:2:account_id: required field is empty' \
	'payments_bad_many.csv:2:value_date: not a date (YYYY-MM-DD, a real calendar day, 1900-2199): "2024-13-01"' \
	'payments_bad_many.csv:2:amount: must be greater than zero: "-1"' \
	'payments_bad_many.csv:2:channel: not one of: transfer auto_debit card cash_at_door branch app other: "pigeon"' \
	'payments_bad_many.csv:3:payment_id: required field is empty'

# --- how many problems are listed is a setting; the count is still told
{
	echo 'payment_id,account_id,value_date,amount,channel'
	for i in 1 2 3 4 5; do echo "P10$i,A999,2024-02-01,1.00,app"; done
} >payments_bad_count.csv
DOORSTEP_IMPORT_MAX_SHOWN=2 ds import payments payments_bad_count.csv
assert_status 1
assert_lines_matching stderr '^payments_bad_count.csv:[0-9]+:account_id: unknown' 2
assert_line stderr "payments_bad_count.csv: ... and 3 more problems (5 in all)"
assert_line stderr "doorstep: payments_bad_count.csv: file rejected: 5 bad row(s); nothing was imported"

# --- files that cannot be read: exit 3, nothing written
ds import payments no-such-file.csv
assert_status 3
assert_line stderr "doorstep: no-such-file.csv: cannot open: No such file or directory"
mkdir adir
ds import payments adir
assert_status 3
assert_line stderr "doorstep: adir: is a directory"
dump_data after.sql
assert_file_eq before.sql after.sql "data tables after unreadable files"
