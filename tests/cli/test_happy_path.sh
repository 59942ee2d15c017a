#!/bin/sh
# Happy path: init, every kind imported in dependency order from tests/data,
# row counts and stored values checked, then `summary` and `dpd` as of dates
# whose buckets were worked out by hand (see the fixture notes below).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# --- init
ds_ok init
assert_line stdout "doorstep.db: schema version $SCHEMA ($MIGRATIONS applied); key file doorstep.db.key"
assert_query "$SCHEMA" "SELECT max(version) FROM schema_migrations"
[ -f doorstep.db.key ] || fail "init should create doorstep.db.key"
assert_eq doorstep.db.key "$(find doorstep.db.key -perm 600)" "key file mode 0600"
ds_ok init
assert_line stdout "doorstep.db: schema version $SCHEMA (0 migrations applied); key file doorstep.db.key"

# --- every kind, in order
for k in $KINDS; do
	data "$k.csv"
done
expect_import() { # kind rows
	ds_ok import "$1" "$1.csv"
	assert_line stderr "$1.csv: imported $2 rows: $2 inserted, 0 updated, 0 unchanged, 0 rejected (utf-8)"
	assert_eq "" "$(cat "$OUT")" "import prints nothing on stdout"
}
expect_import branches 2
expect_import communities 2
expect_import borrowers 5
expect_import staff 3
expect_import certifications 3
expect_import accounts 7
expect_import schedules 5
expect_import payments 6
expect_import contacts 3

assert_query 2 "SELECT count(*) FROM branches"
assert_query 2 "SELECT count(*) FROM communities"
assert_query 5 "SELECT count(*) FROM borrowers"
assert_query 3 "SELECT count(*) FROM staff"
assert_query 3 "SELECT count(*) FROM certifications"
assert_query 7 "SELECT count(*) FROM accounts"
assert_query 5 "SELECT count(*) FROM installments"
assert_query 6 "SELECT count(*) FROM payments"
assert_query 3 "SELECT count(*) FROM contacts"
# The account ledger packs every account with a schedule or payments, the
# first loads (bulk, triggers set aside) included, and the triggers are back.
assert_query "$(q "SELECT count(*) FROM (SELECT account_id FROM installments
	UNION SELECT account_id FROM payments)")" "SELECT count(*) FROM account_ledger"
assert_query 0 "SELECT count(*) FROM ledger_touched"
assert_query 6 "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
assert_query "$(q "SELECT count(DISTINCT account_id) FROM payments")|$(q \
	"SELECT count(DISTINCT account_id) FROM installments")" \
	"SELECT sum(length(payments) > 1), sum(length(schedule) > 1) FROM account_ledger"
assert_query "9|9" "SELECT count(*), sum(status='committed') FROM import_batches"
assert_query "6|6|0|0|0|0" "SELECT rows_read, rows_inserted, rows_updated, rows_unchanged,
	rows_rejected, length(file_sha256) - 64 FROM import_batches WHERE kind='payments'"
# The audit log has an entry per import, and is hash-chained.
assert_query 9 "SELECT count(*) FROM audit_log WHERE action = 'import'"
assert_query 0 "SELECT count(*) FROM audit_log a JOIN audit_log b ON b.seq = a.seq + 1
	WHERE b.prev_hash <> a.hash"

# --- stored values: money in fen, percent in basis points, defaults, text
assert_query "300000|200000|0|1250|active" "SELECT principal_fen, balance_fen, overdue_fen,
	rate_bp, status FROM accounts WHERE account_id='A001'"
assert_query "1825" "SELECT rate_bp FROM accounts WHERE account_id='A002'"
assert_query "legal|20000|2023-06-01|2024-02-01" "SELECT status, overdue_fen,
	overdue_since_date, reported_date FROM accounts WHERE account_id='A007'"
assert_query "1200050" "SELECT monthly_income_fen FROM borrowers WHERE borrower_id='B003'"
assert_query "西湖区幸福路12号, 3单元" "SELECT address FROM borrowers WHERE borrower_id='B001'"
assert_query "elderly,safety_risk" "SELECT flags FROM borrowers WHERE borrower_id='B004'"
assert_query "幸福里社区|active" "SELECT name, partner_status FROM communities WHERE community_id='C01'"
assert_query "pilot" "SELECT partner_status FROM communities WHERE community_id='C02'"
# Booleans: 1, 是 and no.
assert_query "S01|1
S02|1
S03|0" "SELECT staff_id, active FROM staff ORDER BY staff_id"
assert_query "RCPT 17, 幸福里" "SELECT reference FROM payments WHERE payment_id='P003'"
# Datetimes: with an offset as given, without one in Asia/Shanghai.
assert_query "1705285800|1708390800|1706745900" "SELECT
	(SELECT paid_at FROM payments WHERE payment_id='P001'),
	(SELECT paid_at FROM payments WHERE payment_id='P002'),
	(SELECT paid_at FROM payments WHERE payment_id='P004')"
assert_query "outbound|borrower" "SELECT direction, party FROM contacts WHERE contact_id='K002'"
assert_query "Promised 600, by \"end of month\"
second line of the note" "SELECT note FROM contacts WHERE contact_id='K001'"

# The fixture's resident IDs carry correct ISO 7064 MOD 11-2 check characters.
for id in 110101199003071233 310115198506120042 440306197202290519 320502196011150023 \
	51010720000101003X; do
	assert_eq "$(printf %s "$id" | cut -c18)" "$(natid_check "$(printf %s "$id" | cut -c1-17)")" \
		"check character of $id"
done

# Personal data: never in the clear; the last four of the ID, a masked phone.
assert_query "1233|138****8000" "SELECT national_id_last4, phone_masked FROM borrowers
	WHERE borrower_id='B001'"
assert_query "003X|139****5678|057****6666" "SELECT
	(SELECT national_id_last4 FROM borrowers WHERE borrower_id='B005'),
	(SELECT phone_masked FROM borrowers WHERE borrower_id='B002'),
	(SELECT alt_phone_masked FROM borrowers WHERE borrower_id='B002')"
dump_data dump.sql
for secret in 110101199003071233 51010720000101003X 13800138000 13912345678; do
	assert_not_contains dump.sql "$secret"
	CHECKS=$((CHECKS + 1))
	if grep -aqF "$secret" doorstep.db doorstep.db-wal 2>/dev/null; then
		fail "personal value $secret is stored in the clear"
	fi
done
assert_query 0 "SELECT count(*) FROM borrowers WHERE national_id_hash = phone_hash"
assert_query 4 "SELECT count(DISTINCT national_id_hash) FROM borrowers
	WHERE borrower_id IN ('B001','B002','B003','B004')"

# --- delinquency, by hand
#
# As of 2024-03-01 (2024 is a leap year):
#   A001 (C01) installments 1000 due 01-15, 1000 due 02-15, 1000 due 03-15;
#        paid 1000 on 01-15, 400 on 02-20 (partial), 600 on 03-10 (later).
#        Due before 03-01: 2000, paid 1400 -> 600.00 overdue since 02-15,
#        dpd = 14 (rest of Feb) + 1 = 15 -> M1.
#   A002 (C01) 500 due 2024-02-29, unpaid -> dpd 1 -> M1.
#   A003 (C02) 800 due 02-01, paid 800 -> current, M0.
#   A004 (C02) no schedule: bank reported 3000 overdue since 2023-10-01 as of
#        2024-02-01; 500 paid 01-20 (before the report, ignored), 1000 paid
#        02-10 -> 2000.00; dpd = 31+30+31+31+29 = 152 -> M6 (151-180).
#   A005 closed: not counted.
#   A006 (no community) credit card, nothing overdue -> M0.
#   A007 (no community, status legal) reported 200 since 2023-06-01 ->
#        dpd = 30+31+31+30+31+30+31+31+29 = 274 -> M7+.
ds_ok summary --as-of 2024-03-01
assert_line stdout "Overdue summary as of 2024-03-01 (open accounts by bucket; overdue in yuan)"
squeeze "$OUT" >sum.txt
cat >want.txt <<'EOF'
Overdue summary as of 2024-03-01 (open accounts by bucket; overdue in yuan)

community M0 M1 M2 M3 M4 M5 M6 M7+ overdue
(no community) 1 0 0 0 0 0 0 1 200.00
C01 幸福里社区 0 2 0 0 0 0 0 0 1100.00
C02 阳光社区 1 0 0 0 0 0 1 0 2000.00
----------------------------------------------------------------------------------------------
total 2 2 0 0 0 0 1 1 3300.00
EOF
assert_file_eq want.txt sum.txt "summary as of 2024-03-01"
# Columns line up in terminal cells (CJK characters are two cells wide).
assert_line stdout "C01 幸福里社区              0      2      0      0      0      0      0      0         1100.00"

ds_ok dpd --as-of 2024-03-01
squeeze "$OUT" >dpd.txt
cat >want.txt <<'EOF'
account dpd bkt overdue oldest unpaid due
A001 15 M1 600.00 2024-02-15
A002 1 M1 500.00 2024-02-29
A004 152 M6 2000.00 2023-10-01
A007 274 M7+ 200.00 2023-06-01
EOF
assert_file_eq want.txt dpd.txt "dpd as of 2024-03-01"

# As of 2024-03-31: A001 has 3000 due (03-15 now due) and 2000 paid (the 600
# of 03-10 counts) -> 1000.00 since 03-15, dpd 16 (M1). A002: 31 days after
# 02-29 -> M2. A004: 152 + 30 = 182 -> M7+. A007: 274 + 30 = 304.
ds_ok summary --as-of 2024-03-31
squeeze "$OUT" >sum.txt
cat >want.txt <<'EOF'
Overdue summary as of 2024-03-31 (open accounts by bucket; overdue in yuan)

community M0 M1 M2 M3 M4 M5 M6 M7+ overdue
(no community) 1 0 0 0 0 0 0 1 200.00
C01 幸福里社区 0 1 1 0 0 0 0 0 1500.00
C02 阳光社区 1 0 0 0 0 0 0 1 2000.00
----------------------------------------------------------------------------------------------
total 2 1 1 0 0 0 0 2 3700.00
EOF
assert_file_eq want.txt sum.txt "summary as of 2024-03-31"

ds_ok dpd --as-of 2024-03-31
squeeze "$OUT" >dpd.txt
cat >want.txt <<'EOF'
account dpd bkt overdue oldest unpaid due
A001 16 M1 1000.00 2024-03-15
A002 31 M2 500.00 2024-02-29
A004 182 M7+ 2000.00 2023-10-01
A007 304 M7+ 200.00 2023-06-01
EOF
assert_file_eq want.txt dpd.txt "dpd as of 2024-03-31"

# On the due day itself nothing is past due yet; one day later it is.
ds_ok dpd --as-of 2024-02-29 A002 A003
squeeze "$OUT" >dpd.txt
printf '%s\n' "account dpd bkt overdue oldest unpaid due" "A002 0 M0 0.00" "A003 0 M0 0.00" >want.txt
assert_file_eq want.txt dpd.txt "dpd A002 A003 as of 2024-02-29"
# The M1/M2 edge: 30 days past due is M1, 31 is M2.
ds_ok dpd --as-of 2024-03-30 A002
assert_eq "A002 30 M1 500.00 2024-02-29" "$(squeeze "$OUT" | sed -n 2p)" "dpd A002 on 2024-03-30"
# A payment on the as-of day counts: A001 as of 2024-02-20 owes 600 since 02-15.
ds_ok dpd --as-of 2024-02-20 A001
assert_eq "A001 5 M1 600.00 2024-02-15" "$(squeeze "$OUT" | sed -n 2p)" "dpd A001 on 2024-02-20"

# Closed accounts are not open accounts; unknown ones neither.
ds dpd --as-of 2024-03-01 A005 NOPE
assert_status 1
assert_line stderr "doorstep: 2 of 2 accounts not found among open accounts"

# --- JSON forms carry the same figures
ds_ok --json dpd --as-of 2024-03-01 A004
assert_contains stdout '"account_id": "A004"'
assert_contains stdout '"dpd": 152'
assert_contains stdout '"bucket": "M6"'
assert_contains stdout '"overdue_fen": 200000'
assert_contains stdout '"oldest_unpaid": "2023-10-01"'
ds_ok --json summary --as-of 2024-03-01
assert_contains stdout '"as_of": "2024-03-01"'
assert_contains stdout '"community": "幸福里社区"'
