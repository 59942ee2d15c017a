#!/bin/sh
# --rejects OUT: the good rows are imported, each bad row goes verbatim to
# OUT with a reject_reason column; OUT, once fixed, imports cleanly.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fixture_db
before=$(count payments)

# Lines 2, 7 and 9 are good; the others each break a different rule. Lines
# 5-6 are one record (a quoted newline) with two bad fields.
printf '%s\n' 'payment_id,account_id,value_date,paid_at,amount,channel,reference' \
	'P201,A001,2024-02-21,,10.00,app,good one' \
	'P202,A999,2024-02-21,,10.00,app,unknown account' \
	'P203,A001,2024-02-21,,1,2O0,app,"wrong count"' \
	'P204,A002,2024-02-30,,abc,app,"two problems,' \
	'spanning lines"' \
	'P205,A002,2024-02-22,,5.00,app,good two' \
	'P206,A002,2024-02-22,,5.00,app,bad"quote' \
	'P207,A003,2024-02-23,2024-02-23T08:00:00+08:00,7.50,card,"good, three"' >mixed.csv

ds import payments mixed.csv --rejects out.csv
assert_status 0 "exit status with --rejects"
assert_line stderr 'mixed.csv:3:account_id: unknown account_id "A999" (not in accounts)'
assert_line stderr 'mixed.csv:4: expected 7 fields as in the header, found 8'
assert_line stderr 'mixed.csv:5:value_date: not a date (YYYY-MM-DD, a real calendar day, 1900-2199): "2024-02-30"'
assert_line stderr 'mixed.csv:5:amount: not an amount (plain yuan like 1234.56): "abc"'
assert_line stderr 'mixed.csv:8: malformed quoting (RFC 4180)'
assert_line stderr 'mixed.csv: imported 7 rows: 3 inserted, 0 updated, 0 unchanged, 4 rejected (utf-8); bad rows in out.csv'
assert_query $((before + 3)) "SELECT count(*) FROM payments"
assert_query "P201|P205|P207" "SELECT group_concat(payment_id, '|') FROM
	(SELECT payment_id FROM payments WHERE payment_id LIKE 'P2%' ORDER BY payment_id) AS p"
assert_query "good, three|750" "SELECT reference, amount_fen FROM payments WHERE payment_id='P207'"
assert_query "committed|7|3|4" "SELECT status, rows_read, rows_inserted, rows_rejected
	FROM import_batches WHERE batch_id = (SELECT max(batch_id) FROM import_batches)"
[ -e out.csv.partial ] && fail "out.csv.partial should be gone"

# The rejects file: the header plus reject_reason, then each bad row as it
# was in the input (a record of two lines stays two lines) and its reasons.
cat >want.csv <<'EOF'
payment_id,account_id,value_date,paid_at,amount,channel,reference,reject_reason
P202,A999,2024-02-21,,10.00,app,unknown account,"account_id: unknown account_id ""A999"" (not in accounts)"
P203,A001,2024-02-21,,1,2O0,app,"wrong count","expected 7 fields as in the header, found 8"
P204,A002,2024-02-30,,abc,app,"two problems,
spanning lines","value_date: not a date (YYYY-MM-DD, a real calendar day, 1900-2199): ""2024-02-30""; amount: not an amount (plain yuan like 1234.56): ""abc"""
P206,A002,2024-02-22,,5.00,app,bad"quote,"malformed quoting (RFC 4180)"
EOF
assert_file_eq want.csv out.csv "rejects file"

# Fix the bad rows in place and import the rejects file itself: its
# reject_reason column is ignored without a warning.
sed -e 's/A999/A001/' -e 's/,1,2O0,/,1200,/' -e 's/2024-02-30/2024-02-29/' \
	-e 's/,abc,/,12.34,/' -e 's/bad"quote/bad quote/' out.csv >fixed.csv
ds import payments fixed.csv
assert_status 0 "importing the fixed rejects file"
assert_line stderr "fixed.csv: imported 4 rows: 4 inserted, 0 updated, 0 unchanged, 0 rejected (utf-8)"
assert_not_contains stderr "warning"
assert_query $((before + 7)) "SELECT count(*) FROM payments"
assert_query "120000|2024-02-21" "SELECT amount_fen, value_date FROM payments WHERE payment_id='P203'"
assert_query "1234|2024-02-29|two problems,
spanning lines" "SELECT amount_fen, value_date, reference FROM payments WHERE payment_id='P204'"
assert_query "A001" "SELECT account_id FROM payments WHERE payment_id='P202'"
# Both files again: nothing new.
ds_ok import payments mixed.csv --rejects out2.csv
assert_line stderr 'mixed.csv: imported 7 rows: 0 inserted, 0 updated, 3 unchanged, 4 rejected (utf-8); bad rows in out2.csv'
ds_ok import payments fixed.csv
assert_line stderr "fixed.csv: imported 4 rows: 0 inserted, 0 updated, 4 unchanged, 0 rejected (utf-8)"

# The rejects file of a CRLF file with a BOM: line ends of the bad rows are
# cut, the BOM is not copied.
printf '\357\273\277payment_id,account_id,value_date,amount,channel\r\nP301,A001,2024-02-01,1.00,app\r\nP302,A001,2024-02-01,1.00,fax\r\n' >crlf.csv
ds_ok import payments crlf.csv --rejects crlf-out.csv
assert_line stderr 'crlf.csv: imported 2 rows: 1 inserted, 0 updated, 0 unchanged, 1 rejected (utf-8); bad rows in crlf-out.csv'
printf '%s\n' 'payment_id,account_id,value_date,amount,channel,reject_reason' \
	'P302,A001,2024-02-01,1.00,fax,"channel: not one of: transfer auto_debit card cash_at_door branch app other: ""fax"""' >want.csv
assert_file_eq want.csv crlf-out.csv "rejects file of a CRLF file with a BOM"

# A refusal of the whole file (a header problem) writes no rejects file and
# nothing to the database, even with --rejects.
printf 'payment_id,account_id,value_date,channel\nP401,A001,2024-02-01,app\n' >noamount.csv
n=$(count payments)
ds import payments noamount.csv --rejects nope.csv
assert_status 1
assert_line stderr "noamount.csv:1:amount: required column missing from the header"
[ -e nope.csv ] && fail "no rejects file after a refused header"
[ -e nope.csv.partial ] && fail "no partial rejects file after a refused header"
assert_query "$n" "SELECT count(*) FROM payments"

# A clean file with --rejects: imported; the rejects file holds the header.
printf 'payment_id,account_id,value_date,amount,channel\nP501,A001,2024-02-01,1.00,app\n' >clean.csv
ds_ok import payments clean.csv --rejects clean-out.csv
assert_line stderr "clean.csv: imported 1 rows: 1 inserted, 0 updated, 0 unchanged, 0 rejected (utf-8)"
assert_eq "payment_id,account_id,value_date,amount,channel,reject_reason" "$(cat clean-out.csv)" \
	"rejects file of a clean file"

# Several files: --rejects names a directory, one rejects file per input.
ds import payments mixed.csv crlf.csv --rejects out.csv
assert_status 2 "several files with --rejects naming a file"
assert_line stderr "doorstep: with several files, --rejects must name a directory"
mkdir rej
cp mixed.csv mixed2.csv
sed 's/^P3/Q3/' crlf.csv >crlf2.csv
ds_ok import payments mixed2.csv crlf2.csv --rejects rej
assert_line stderr 'mixed2.csv: imported 7 rows: 0 inserted, 0 updated, 3 unchanged, 4 rejected (utf-8); bad rows in rej/mixed2.csv.rejects.csv'
assert_line stderr 'crlf2.csv: imported 2 rows: 1 inserted, 0 updated, 0 unchanged, 1 rejected (utf-8); bad rows in rej/crlf2.csv.rejects.csv'
assert_file_eq out.csv rej/mixed2.csv.rejects.csv "rejects file in the directory"
assert_eq 2 "$(wc -l <rej/crlf2.csv.rejects.csv | tr -d ' ')" "lines of rej/crlf2.csv.rejects.csv"

# A rejects file that cannot be written: exit 3, nothing imported.
n=$(count payments)
ds import payments mixed.csv --rejects no/such/dir/out.csv
assert_status 3
assert_contains stderr "doorstep: no/such/dir/out.csv: cannot write rejects file: No such file or directory"
assert_query "$n" "SELECT count(*) FROM payments"
