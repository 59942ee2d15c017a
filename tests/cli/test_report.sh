#!/bin/sh
# doorstep report: the KPIs and roll rates of a period as a table, JSON,
# CSV, XLSX and a PDF in Chinese (the figures themselves:
# tests/unit/test_report.c); CSV and XLSX cells never start as a formula,
# the PDF's text is extractable; bad periods and groupings are usage
# errors.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ds_ok init
sqlite3 "$DB" "INSERT INTO branches(branch_id, name, timezone) VALUES ('BR1','西湖','Asia/Shanghai');
	INSERT INTO communities(community_id, name, centroid_lat, centroid_lon) VALUES
	 ('=HYPERLINK(1)','甲',30,120), ('C2','乙',30,120);
	INSERT INTO borrowers(borrower_id, name, community_id) VALUES ('B1','一','=HYPERLINK(1)'),
	 ('B2','二','C2');
	INSERT INTO accounts(account_id, borrower_id, branch_id, product, open_date, principal_fen,
	 balance_fen) VALUES ('A1','B1','BR1','consumer_loan','2026-01-01',200000,200000),
	 ('A2','B2','BR1','consumer_loan','2026-01-01',200000,200000);
	INSERT INTO installments(account_id, seq, due_date, amount_fen)
	 SELECT account_id, 1, '2026-09-01', 100000 FROM accounts;
	INSERT INTO payments(payment_id, account_id, value_date, amount_fen, channel) VALUES
	 ('P1','A1','2026-10-20',100000,'transfer');"

ds_ok report kpi --from 2026-10-01 --to 2026-10-31 --by community
assert_contains stdout "total"
assert_contains stdout "1000.00"
ds_ok --json report kpi --from 2026-10-01 --to 2026-10-31
assert_contains stdout '"recovered_fen": 100000'
assert_contains stdout '"cured": 1'
ds_ok report kpi --from 2026-10-01 --to 2026-10-31 --by community --format csv
assert_contains stdout "community,accounts,overdue_start_yuan"
assert_contains stdout "\"'=HYPERLINK(1)\",1,1000.00,1000.00"
assert_not_contains stdout '"=HYPERLINK'
ds_ok report roll --from 2026-10-01 --to 2026-10-31 --format csv
assert_contains stdout "M1,1,0,1,0,0,0,0,0"
# the manager's workbook: three sheets, the formula-looking group as text
ds_ok report kpi --from 2026-10-01 --to 2026-10-31 --by community --format xlsx --out pack.xlsx
unzip -l pack.xlsx >listing.txt
assert_contains_file() { grep -q "$2" "$1" || fail "$1 lacks \"$2\""; }
assert_contains_file listing.txt xl/worksheets/sheet1.xml
assert_contains_file listing.txt xl/worksheets/sheet3.xml
unzip -p pack.xlsx xl/workbook.xml >workbook.xml
assert_contains_file workbook.xml 'name="KPI"'
assert_contains_file workbook.xml 'name="Roll rates"'
assert_contains_file workbook.xml 'name="Visits"'
unzip -p pack.xlsx xl/sharedStrings.xml >strings.xml
assert_contains_file strings.xml '=HYPERLINK(1)'
assert_contains_file strings.xml '回收率 recovery rate'
unzip -p pack.xlsx xl/worksheets/sheet1.xml >sheet1.xml
grep -q '<f>' sheet1.xml && fail "a formula in the KPI sheet"
ds report kpi --from 2026-10-01 --format xlsx
assert_status 2 "xlsx without --out"
# the report as a PDF in Chinese: its text extractable and right
ds_ok report kpi --from 2026-10-01 --to 2026-10-31 --by community --format pdf --out report.pdf
assert_contains_file report.pdf '%PDF-'
pdftotext -layout report.pdf report.txt || fail "pdftotext could not read the report"
assert_contains_file report.txt '催收成效报告'
assert_contains_file report.txt '统计期间：2026-10-01 至 2026-10-31'
assert_contains_file report.txt '一、关键指标（按社区）'
assert_contains_file report.txt '二、上门是否有效？'
assert_contains_file report.txt '尚无到期的实验数据'
assert_contains_file report.txt '三、迁徙率'
assert_contains_file report.txt '四、金融知识宣传与新增逾期'
assert_contains_file report.txt '=HYPERLINK(1)'
# the total row: 2 accounts, 2,000 yuan overdue, 1,000 recovered, 50.0%
grep -q '合计 *2 *2,000 *1,000 *50.0%' report.txt || fail "the PDF's total row: $(grep 合计 report.txt)"
assert_contains_file report.txt '回收金额 Recovered'
ds_ok report kpi --from 2026-10-01 --to 2026-10-31 --by community --format pdf --out report2.pdf
cmp -s report.pdf report2.pdf || fail "the same data give the same PDF"
ds report kpi --from 2026-10-01 --format pdf
assert_status 2 "pdf without --out"
# what drives results: no visit with an outcome here, said so
ds_ok report drivers --from 2026-10-01 --to 2026-10-31
assert_contains stdout "not estimated: 0 visits with an outcome"
assert_contains stdout "observational"
ds_ok --json report drivers --from 2026-10-01 --to 2026-10-31 --horizon 10
assert_contains stdout '"horizon_days": 10'
assert_contains stdout '"estimated": false'
ds report drivers --from 2026-10-01 --format csv
assert_status 2 "drivers as CSV"
# charts as SVG, text escaped
ds_ok report kpi --from 2026-10-01 --to 2026-10-31 --by community --format svg --out rate.svg
assert_contains_file rate.svg '<svg xmlns="http://www.w3.org/2000/svg"'
assert_contains_file rate.svg '回收率 Recovery rate'
assert_contains_file rate.svg '>100.00 %<'
ds_ok report kpi --from 2026-10-01 --to 2026-10-31 --format svg
assert_contains stdout '</svg>'
# is door-to-door useful? no experiment here: nothing to read, and said so
ds_ok --json report visits --as-of 2026-10-31 --by community
assert_contains stdout "[]"
ds report visits --by team
assert_status 2 "visits are read by all, bucket, quadrant or community"
ds report visits --horizon 0
assert_status 2 "a horizon of no days"
ds_ok --json report literacy --as-of 2026-10-31 --window 30
assert_contains stdout '"events": 0'
ds report literacy --window 3
assert_status 2 "a window under a week"
ds report kpi --from 2026-10-31 --to 2026-10-01
assert_status 2 "a period that ends before it starts"
ds report kpi --from 2026-10-01 --by branch
assert_status 2 "an unknown grouping"
ds report kpi
assert_status 2 "no --from"
ds_finish
