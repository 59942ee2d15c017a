#!/bin/sh
# Encodings: a GBK file (tests/data/borrowers_gbk.csv, made with
# `iconv -f UTF-8 -t GBK`) auto-detected and with --encoding gbk, stored as
# UTF-8; a UTF-8 file with a BOM and CRLF line ends; detection when the first
# read block ends inside a UTF-8 character.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# The names as UTF-8 (this script is UTF-8).
N1=张伟 N2=欧阳娜娜 N3=买买提·艾力

ds_ok init
data branches.csv communities.csv borrowers_gbk.csv borrowers_bom_crlf.csv
ds_ok import branches branches.csv
ds_ok import communities communities.csv

# The fixture really is GBK: not UTF-8, and the GBK bytes of 张伟 (D5C5 CEB0).
CHECKS=$((CHECKS + 1))
if iconv -f UTF-8 -t UTF-8 borrowers_gbk.csv >/dev/null 2>&1; then
	fail "borrowers_gbk.csv should not be valid UTF-8"
fi
assert_eq "d5c5ceb0" "$(sed -n 2p borrowers_gbk.csv | cut -d, -f2 | tr -d '\n' | od -An -tx1 | tr -d ' \n')" \
	"GBK bytes of the first name"

# --- auto-detected
ds_ok import borrowers borrowers_gbk.csv
assert_line stderr "borrowers_gbk.csv: imported 3 rows: 3 inserted, 0 updated, 0 unchanged, 0 rejected (gb18030)"
assert_query "G001|$N1
G002|$N2
G003|$N3" "SELECT borrower_id, name FROM borrowers ORDER BY borrower_id"
# Stored as UTF-8, byte for byte.
assert_query "E5BCA0E4BC9F" "SELECT hex(name) FROM borrowers WHERE borrower_id='G001'"
assert_query "E4B9B0E4B9B0E68F90C2B7E889BEE58A9B" "SELECT hex(name) FROM borrowers WHERE borrower_id='G003'"
assert_query "深圳市福田区, 华强北|学生|elderly|0023" "SELECT address, occupation, flags,
	national_id_last4 FROM borrowers WHERE borrower_id='G002'"
assert_query "杭州市西湖区文三路100号|工程师|136****1111" "SELECT address, occupation,
	phone_masked FROM borrowers WHERE borrower_id='G001'"
assert_query "gb18030" "SELECT encoding FROM import_batches WHERE kind='borrowers'"
dump_data auto.sql

# --- the same file, --encoding gbk: the same rows, unchanged
ds_ok import --encoding gbk borrowers borrowers_gbk.csv
assert_line stderr "borrowers_gbk.csv: imported 3 rows: 0 inserted, 0 updated, 3 unchanged, 0 rejected (gbk)"
dump_data gbk.sql
assert_file_eq auto.sql gbk.sql "data tables after --encoding gbk"

# --- --encoding gbk into a fresh database gives the same names
ds_ok --db fresh.db init
ds_ok --db fresh.db import branches branches.csv
ds_ok --db fresh.db import communities communities.csv
ds_ok --db fresh.db import --encoding gbk borrowers borrowers_gbk.csv
assert_line stderr "borrowers_gbk.csv: imported 3 rows: 3 inserted, 0 updated, 0 unchanged, 0 rejected (gbk)"
assert_query "G001|$N1
G002|$N2
G003|$N3" "SELECT borrower_id, name FROM borrowers ORDER BY borrower_id" fresh.db
# The setting does the same as the option; so does gb18030.
DOORSTEP_IMPORT_ENCODING=gb18030 ds --db fresh.db import borrowers borrowers_gbk.csv
assert_status 0
assert_line stderr "borrowers_gbk.csv: imported 3 rows: 0 inserted, 0 updated, 3 unchanged, 0 rejected (gb18030)"

# --- GBK read as UTF-8: every row with Chinese text is refused
ds import --encoding utf-8 borrowers borrowers_gbk.csv
assert_status 1
for l in 2 3 4; do
	assert_line stderr "borrowers_gbk.csv:$l: invalid UTF-8 byte sequence (is the file GBK? try --encoding gbk)"
done
assert_line stderr "doorstep: borrowers_gbk.csv: file rejected: 3 bad row(s); nothing was imported"
ds import --encoding latin1 borrowers borrowers_gbk.csv
assert_status 2
assert_line stderr "doorstep: borrowers_gbk.csv: unknown encoding 'latin1' (use auto, utf-8, gbk or gb18030)"

# --- GBK with a bad row and --rejects: the rejects file is UTF-8 and, fixed,
# imports as UTF-8.
iconv -f UTF-8 -t GBK >gbk_bad.csv <<'EOF'
borrower_id,name,community_id,occupation
G010,李娜,C01,网球运动员
G011,王菲,C99,歌手
EOF
ds_ok import borrowers gbk_bad.csv --rejects gbk_rej.csv
assert_line stderr 'gbk_bad.csv:3:community_id: unknown community_id "C99" (not in communities)'
assert_line stderr 'gbk_bad.csv: imported 2 rows: 1 inserted, 0 updated, 0 unchanged, 1 rejected (gb18030); bad rows in gbk_rej.csv'
assert_line gbk_rej.csv 'G011,王菲,C99,歌手,"community_id: unknown community_id ""C99"" (not in communities)"'
sed 's/C99/C02/' gbk_rej.csv >gbk_fixed.csv
ds_ok import borrowers gbk_fixed.csv
assert_line stderr "gbk_fixed.csv: imported 1 rows: 1 inserted, 0 updated, 0 unchanged, 0 rejected (utf-8)"
assert_query "李娜|网球运动员
王菲|歌手" "SELECT name, occupation FROM borrowers WHERE borrower_id IN ('G010','G011')
	ORDER BY borrower_id"

# --- UTF-8 with a BOM and CRLF line ends
CHECKS=$((CHECKS + 1))
[ "$(head -c 3 borrowers_bom_crlf.csv | od -An -tx1 | tr -d ' \n')" = efbbbf ] ||
	fail "borrowers_bom_crlf.csv should start with a BOM"
assert_eq 3 "$(tr -cd '\r' <borrowers_bom_crlf.csv | wc -c | tr -d ' ')" "CRs in borrowers_bom_crlf.csv"
ds_ok import borrowers borrowers_bom_crlf.csv
assert_line stderr "borrowers_bom_crlf.csv: imported 2 rows: 2 inserted, 0 updated, 0 unchanged, 0 rejected (utf-8)"
assert_not_contains stderr "warning"
# The BOM is not part of the first column's name, the CR not of the last
# column's value.
assert_query "U001|钱学森|C01|scientist|elderly|0419" "SELECT borrower_id, name, community_id,
	occupation, flags, national_id_last4 FROM borrowers WHERE borrower_id='U001'"
assert_query "Mary Smith|nurse, retired|safety_risk" "SELECT name, occupation, flags
	FROM borrowers WHERE borrower_id='U002'"
assert_query 0 "SELECT count(*) FROM borrowers WHERE instr(flags, char(13)) OR
	instr(occupation, char(13)) OR instr(borrower_id, char(65279)) OR instr(name, char(13))"
ds_ok import borrowers borrowers_bom_crlf.csv
assert_line stderr "borrowers_bom_crlf.csv: imported 2 rows: 0 inserted, 0 updated, 2 unchanged, 0 rejected (utf-8)"
# A BOM does not hide invalid UTF-8 later in the file.
{
	printf '\357\273\277borrower_id,name,community_id\r\n'
	printf 'U010,ok,C01\r\nU011,bad\351x,C01\r\n'
} >bom_bad.csv
ds import borrowers bom_bad.csv
assert_status 1
assert_line stderr "bom_bad.csv:3: invalid UTF-8 byte sequence (is the file GBK? try --encoding gbk)"

# --- detection reads the first 256 KiB block: a UTF-8 file whose block
# ends inside a character (1 or 2 of its 3 bytes in the block) is UTF-8.
for at in 262143 262142; do
	f=cut$at.csv
	LC_ALL=C awk -v target="$at" 'BEGIN {
		hdr = "borrower_id,name,community_id"
		print hdr; pos = length(hdr) + 1
		start = target - 8                     # the row "T000001,钱..." starts here
		n = 0
		while (start - pos >= 19 + 14) {       # rows of 19 bytes
			printf "F%06d,filler,C01\n", ++n; pos += 19
		}
		pad = start - pos - 13                 # one row to land exactly
		s = ""; while (length(s) < pad) s = s "x"
		printf "P000000,%s,C01\n", s
		print "T000001,钱学森,C01"
		print "T000002,欧阳娜娜,C02"
	}' >"$f"
	# The fixture does what it says: 钱 (E9 92 B1) starts at byte $at.
	assert_eq "e992b1" "$(dd if="$f" bs=1 skip="$at" count=3 2>/dev/null | od -An -tx1 | tr -d ' \n')" \
		"bytes at offset $at of $f"
	ds --db "cut$at.db" init
	ds --db "cut$at.db" import branches branches.csv
	ds --db "cut$at.db" import communities communities.csv
	ds --db "cut$at.db" import borrowers "$f"
	assert_status 0 "import of $f"
	assert_contains stderr "rejected (utf-8)"
	assert_query "钱学森|欧阳娜娜" "SELECT (SELECT name FROM borrowers WHERE borrower_id='T000001'),
		(SELECT name FROM borrowers WHERE borrower_id='T000002')" "cut$at.db"
done
