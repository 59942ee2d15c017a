#!/bin/sh
# Contact rules from the command line: `rules list` prints each shipped pack
# (text and --json); `rules check` decides JSON lines (CN cases at and around
# each rule, a US case on the day daylight saving starts), reports bad lines
# by number and exits 1, skips blank lines; a bank's override file changes a
# rule and adds one; a broken override or an unknown jurisdiction exits 3.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# Only what this test sets: the jurisdiction and override file of the caller
# do not count.
unset DOORSTEP_RULES DOORSTEP_RULES_FILE

# jv SQL : evaluates SQL (with the sqlite3 shell's JSON functions) in a
# scratch database, for reading doorstep's JSON output.
jv() {
	sqlite3 -batch -bail :memory: "$1" 2>&1
}

# verdicts : the JSON lines of the last `rules check` as one line each,
# "LINE ID allow", "LINE ID refuse RULE,RULE..." or "LINE ID error: MESSAGE",
# in verdicts.txt; asserts that the output is JSON lines throughout.
verdicts() {
	sed '1s/^/[/; $!s/$/,/; $s/$/]/' "$OUT" >verdicts.json
	[ -s "$OUT" ] || echo '[]' >verdicts.json
	CHECKS=$((CHECKS + 1))
	if [ "$(jv "SELECT json_valid(readfile('verdicts.json'))")" != 1 ]; then
		fail "rules check should print one JSON object per line"
		show_last
	fi
	jv "SELECT json_extract(v.value, '\$.line') || ' ' ||
		coalesce(json_extract(v.value, '\$.id'), '-') || ' ' ||
		CASE WHEN json_type(v.value, '\$.error') IS NOT NULL
			THEN 'error: ' || json_extract(v.value, '\$.error')
		WHEN json_extract(v.value, '\$.allow') THEN 'allow'
		ELSE 'refuse ' || (SELECT group_concat(json_extract(r.value, '\$.rule'), ',')
			FROM json_each(v.value, '\$.rules') r) END
		FROM json_each(readfile('verdicts.json')) v ORDER BY v.key" >verdicts.txt
}

# check_lines FILE [ARGS...] : `rules [ARGS] check` with FILE on stdin.
check_lines() {
	f=$1
	shift
	DS_CMD="doorstep rules $* check <$f"
	"$DOORSTEP" rules "$@" check <"$f" >"$OUT" 2>"$ERR"
	DS_STATUS=$?
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$ERR"; then
		fail "no sanitizer report from: $DS_CMD"
	fi
	verdicts
}

# --- rules list: each pack, in text and as JSON
for jc in CN:12 US:7 IN:6 UK:7; do
	j=${jc%:*} n=${jc#*:}
	ds_ok rules --jurisdiction "$j" list
	assert_line stdout "Rule pack $j ($n rules)"
	assert_lines_matching stdout "^$j-[A-Z0-9-]+  \\([a-z_]+, in force from [0-9]{4}-[0-9]{2}-[0-9]{2}\\)\$" "$n"
	assert_lines_matching stdout '^  source: ' "$n"
	ds_ok --json rules --jurisdiction "$j" list
	cp "$OUT" "list-$j.json"
	assert_eq "1|$j|$n" "$(jv "SELECT json_valid(readfile('list-$j.json')) || '|' ||
		json_extract(readfile('list-$j.json'), '\$.jurisdiction') || '|' ||
		json_array_length(readfile('list-$j.json'), '\$.rules')")" "rules list --json for $j"
	# every rule has an id of its pack, a kind, a citation, both reasons and params
	assert_eq 0 "$(jv "SELECT count(*) FROM json_each(readfile('list-$j.json'), '\$.rules')
		WHERE json_extract(value, '\$.id') NOT LIKE '$j-%'
		OR json_extract(value, '\$.kind') = '' OR length(json_extract(value, '\$.citation')) < 5
		OR length(json_extract(value, '\$.reason_zh')) < 2
		OR length(json_extract(value, '\$.reason_en')) < 5
		OR json_type(value, '\$.params') != 'object'
		OR json_extract(value, '\$.effective_from') NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'")" \
		"rules of $j with a field missing"
done
# The default pack is CN; [rules] jurisdiction and $DOORSTEP_RULES choose another.
ds_ok rules list
assert_line stdout "Rule pack CN (12 rules)"
assert_contains stdout 'params: {"channels":["call","sms","visit","app_push","email"],"consent_hold":"quiet_hours_consent","from":"08:00","to":"22:00"}'
DOORSTEP_RULES=US ds rules list
assert_status 0
assert_line stdout "Rule pack US (7 rules)"
printf '[rules]\njurisdiction = UK\n' >doorstep.ini
ds_ok rules list
assert_line stdout "Rule pack UK (7 rules)"
rm doorstep.ini

# --- an unknown jurisdiction, or a lowercase one, is a runtime failure
ds rules --jurisdiction XX list
assert_status 3 "rules --jurisdiction XX"
assert_line stderr "doorstep: no rule pack for jurisdiction 'XX'"
DOORSTEP_RULES=cn ds rules check </dev/null
assert_status 3 "DOORSTEP_RULES=cn"
assert_line stderr "doorstep: no rule pack for jurisdiction 'cn'"
# usage errors
ds rules
assert_status 2 "rules without a subcommand"
ds rules teleport
assert_status 2 "rules teleport (not a subcommand)"
assert_contains stderr "unknown subcommand 'teleport'"
ds rules audit
assert_status 3 "rules audit without a database"
assert_contains stderr "run 'doorstep init' first"
ds rules list extra
assert_status 2 "rules list with an argument"

# --- rules check, China: the boundaries of each rule
S='"zone":"Asia/Shanghai"'
V="\"channel\":\"visit\",$S,\"community_id\":\"C1\",\"start\":\"2026-06-10T10:00\",\"duration_s\":1800"
COLLECTOR='{"staff_id":"S1","collector":true,"certified":true,"experienced":true}'
WORKER='{"staff_id":"S2","community_id":"C1"}'
cat >cn.jsonl <<EOF
{"id":"call","channel":"call",$S,"start":"2026-06-10T10:00","number":"n1","duration_s":300}
{"id":"late","channel":"call",$S,"start":"2026-06-10T22:01"}
{"id":"at-8","channel":"call",$S,"start":"2026-06-10T08:00"}
{"id":"at-7:59","channel":"sms",$S,"start":"2026-06-10T07:59"}
{"id":"ends-22","channel":"call",$S,"start":"2026-06-10T21:55","duration_s":300}
{"id":"ends-22:01","channel":"call",$S,"start":"2026-06-10T21:56","duration_s":300}
{"id":"late-letter","channel":"letter",$S,"start":"2026-06-10T23:30"}
{"id":"late-consent","channel":"call",$S,"start":"2026-06-10T22:30","holds":[{"kind":"quiet_hours_consent","start":"2026-06-01"}]}
{"id":"before-guideline","channel":"call",$S,"start":"2026-01-29T23:00"}
{"id":"offset","channel":"call",$S,"start":"2026-06-10T14:01:00Z"}

{"id":"visit-ok",$V,"team":[$COLLECTOR,$WORKER]}
{"id":"visit-alone",$V,"team":[$COLLECTOR]}
{"id":"worker-away",$V,"team":[$COLLECTOR,{"staff_id":"S2","community_id":"C9"}]}
{"id":"uncertified",$V,"team":[{"collector":true},$WORKER]}
{"id":"dispute","channel":"sms",$S,"start":"2026-06-10T10:00","holds":[{"kind":"dispute","start":"2026-06-01T00:00","end":null}]}
{"id":"dispute-over","channel":"sms",$S,"start":"2026-06-10T10:00","holds":[{"kind":"dispute","start":"2026-06-01","end":"2026-06-09"}]}
{"id":"legal-letter","channel":"letter",$S,"start":"2026-06-10T10:00","holds":[{"kind":"legal"}]}
{"id":"legal-call","channel":"call",$S,"start":"2026-06-10T10:00","holds":[{"kind":"legal"}]}
{"id":"tp-debt","channel":"call","party":"third_party","content":"debt_details","borrower_unreachable":true,$S,"start":"2026-06-10T10:00"}
{"id":"tp-where","channel":"call","party":"third_party","content":"location_inquiry","borrower_unreachable":true,$S,"start":"2026-06-10T10:00"}
{"id":"tp-reachable","channel":"call","party":"family","content":"location_inquiry",$S,"start":"2026-06-10T10:00"}
{"id":"guarantor-debt","channel":"call","party":"guarantor","content":"debt_details",$S,"start":"2026-06-10T10:00"}
{"id":"public-notice","channel":"letter","content":"public_notice",$S,"start":"2026-06-10T10:00"}
{"id":"door-act","stage":"act",$V,"team":[$COLLECTOR,$WORKER],"identity_shown":true,"notice_sent_at":"2026-06-07T10:00"}
{"id":"door-no-id","stage":"act",$V,"team":[$COLLECTOR,$WORKER],"notice_sent_at":"2026-06-07T10:00"}
{"id":"door-short-notice","stage":"act",$V,"team":[$COLLECTOR,$WORKER],"identity_shown":true,"notice_sent_at":"2026-06-07T10:01"}
{"id":"door-enter","stage":"act",$V,"team":[$COLLECTOR,$WORKER],"identity_shown":true,"entering_home":true,"notice_sent_at":"2026-06-07T10:00"}
{"id":"community-39",$V,"team":[$COLLECTOR,$WORKER],"community_visits_week":39}
{"id":"community-40",$V,"team":[$COLLECTOR,$WORKER],"community_visits_week":40}
EOF
# six unanswered calls to n1 this morning: a seventh waits; n2 is another number
{
	printf '{"id":"unanswered-6","channel":"call",%s,"start":"2026-06-10T12:00","number":"n1","history":[' "$S"
	for i in 1 2 3 4 5 6; do
		[ $i -gt 1 ] && printf ','
		printf '{"at":"2026-06-10T09:0%s","channel":"call","outcome":"unanswered","number":"n1"}' $i
	done
	printf ']}\n'
	printf '{"id":"other-number","channel":"call",%s,"start":"2026-06-10T12:00","number":"n2","history":[{"at":"2026-06-10T09:01","channel":"call","outcome":"unanswered","number":"n1"}]}\n' "$S"
} >>cn.jsonl
check_lines cn.jsonl
assert_status 0 "rules check of good lines"
assert_line verdicts.txt "1 call allow"
assert_line verdicts.txt "2 late refuse CN-HOURS"
assert_line verdicts.txt "3 at-8 allow"
assert_line verdicts.txt "4 at-7:59 refuse CN-HOURS"
assert_line verdicts.txt "5 ends-22 allow"
assert_line verdicts.txt "6 ends-22:01 refuse CN-HOURS"
assert_line verdicts.txt "7 late-letter allow"
assert_line verdicts.txt "8 late-consent allow"
assert_line verdicts.txt "9 before-guideline allow"
assert_line verdicts.txt "10 offset refuse CN-HOURS"
# line 11 is blank: skipped, but counted
assert_line verdicts.txt "12 visit-ok allow"
assert_line verdicts.txt "13 visit-alone refuse CN-VISIT-TEAM"
assert_line verdicts.txt "14 worker-away refuse CN-VISIT-TEAM"
assert_line verdicts.txt "15 uncertified refuse CN-VISIT-TEAM"
assert_line verdicts.txt "16 dispute refuse CN-HOLDS"
assert_line verdicts.txt "17 dispute-over allow"
assert_line verdicts.txt "18 legal-letter allow"
assert_line verdicts.txt "19 legal-call refuse CN-HOLDS"
assert_line verdicts.txt "20 tp-debt refuse CN-THIRD-PARTY"
assert_line verdicts.txt "21 tp-where allow"
assert_line verdicts.txt "22 tp-reachable refuse CN-THIRD-PARTY"
assert_line verdicts.txt "23 guarantor-debt allow"
assert_line verdicts.txt "24 public-notice refuse CN-NO-PUBLIC-NOTICE"
assert_line verdicts.txt "25 door-act allow"
assert_line verdicts.txt "26 door-no-id refuse CN-VISIT-ENTRY"
assert_line verdicts.txt "27 door-short-notice refuse CN-VISIT-NOTICE"
assert_line verdicts.txt "28 door-enter refuse CN-VISIT-ENTRY"
assert_line verdicts.txt "29 community-39 allow"
assert_line verdicts.txt "30 community-40 refuse CN-COMMUNITY-CAP"
assert_line verdicts.txt "31 unanswered-6 refuse CN-UNANSWERED-CAP"
assert_line verdicts.txt "32 other-number allow"
assert_lines_matching verdicts.txt '.' 31
assert_line stderr "rules check: 14 allowed, 17 refused, 0 bad lines"
# A refusal carries the rule's reasons in both languages, in this key order.
assert_contains stdout '{"line":2,"id":"late","allow":false,"rules":[{"rule":"CN-HOURS","reason_zh":"22:00至次日08:00（借款人当地时间）不得催收，借款人同意的除外","reason_en":"no collection contact 22:00-08:00 borrower local time unless the borrower consented"}]}'
assert_line stdout '{"line":1,"id":"call","allow":true,"rules":[]}'
# Several rules refusing one contact are all named.
printf '{"channel":"visit","party":"family","content":"public_notice",%s,"start":"2026-06-10T23:00","team":[%s]}\n' \
	"$S" "$COLLECTOR" >many.jsonl
check_lines many.jsonl
assert_status 0
assert_line verdicts.txt "1 - refuse CN-HOURS,CN-VISIT-TEAM,CN-THIRD-PARTY,CN-NO-PUBLIC-NOTICE"
# --quiet drops the summary.
DS_CMD="doorstep --quiet rules check <many.jsonl"
"$DOORSTEP" --quiet rules check <many.jsonl >"$OUT" 2>"$ERR"
DS_STATUS=$?
assert_status 0
assert_eq "" "$(cat "$ERR")" "stderr of --quiet rules check"

# --- rules check, US: the day daylight saving time starts in New York
NY='"zone":"America/New_York"'
cat >us.jsonl <<EOF
{"id":"sat-07:30-EST","channel":"call",$NY,"start":"2026-03-07T12:30:00Z"}
{"id":"sun-08:30-EDT","channel":"call",$NY,"start":"2026-03-08T12:30:00Z"}
{"id":"sun-07:59","channel":"call",$NY,"start":"2026-03-08T07:59"}
{"id":"sun-08:00","channel":"call",$NY,"start":"2026-03-08T08:00"}
{"id":"sun-21:00","channel":"sms",$NY,"start":"2026-03-08T21:00"}
{"id":"sun-21:01","channel":"sms",$NY,"start":"2026-03-08T21:01"}
{"id":"nov-07:30-EST","channel":"call",$NY,"start":"2026-11-01T12:30:00Z"}
{"id":"nov-08:00-EST","channel":"call",$NY,"start":"2026-11-01T13:00:00Z"}
EOF
check_lines us.jsonl --jurisdiction US
assert_status 0 "rules --jurisdiction US check"
assert_line verdicts.txt "1 sat-07:30-EST refuse US-HOURS"
assert_line verdicts.txt "2 sun-08:30-EDT allow"
assert_line verdicts.txt "3 sun-07:59 refuse US-HOURS"
assert_line verdicts.txt "4 sun-08:00 allow"
assert_line verdicts.txt "5 sun-21:00 allow"
assert_line verdicts.txt "6 sun-21:01 refuse US-HOURS"
assert_line verdicts.txt "7 nov-07:30-EST refuse US-HOURS"
assert_line verdicts.txt "8 nov-08:00-EST allow"
# The same instants under the CN pack: 22:00 at night is not refused there.
check_lines us.jsonl
assert_line verdicts.txt "6 sun-21:01 allow"

# --- bad lines: an error line each, stdin:N: on stderr, exit 1
cat >bad.jsonl <<EOF
{"id":"good","channel":"call",$S,"start":"2026-06-10T10:00"}
not json

{"id":"fax","channel":"fax",$S,"start":"2026-06-10T10:00"}
{"id":"mars","channel":"call","zone":"Mars/Base","start":"2026-06-10T10:00"}
{"id":"june-31","channel":"call",$S,"start":"2026-06-31T10:00"}
   
[1, 2]
{"id":"no-start","channel":"call",$S}
{"id":"long","channel":"call",$S,"start":"2026-06-10T10:00","duration_s":86401}
{"id":"bad-party","channel":"call","party":"neighbour",$S,"start":"2026-06-10T10:00"}
{"id":"bad-hold","channel":"call",$S,"start":"2026-06-10T10:00","holds":[{"start":"2026-06-01"}]}
{"id":"bad-history","channel":"call",$S,"start":"2026-06-10T10:00","history":[{"at":"yesterday","channel":"call"}]}
{"id":"bad-stage","stage":"done","channel":"call",$S,"start":"2026-06-10T10:00"}
{"id":"late","channel":"call",$S,"start":"2026-06-10T23:00"}
EOF
check_lines bad.jsonl
assert_status 1 "rules check with bad lines"
assert_line verdicts.txt "1 good allow"
assert_line verdicts.txt "2 - error: not a JSON object"
assert_line verdicts.txt "4 fax error: channel: missing or invalid"
assert_line verdicts.txt "5 mars error: zone: missing or invalid"
assert_line verdicts.txt "6 june-31 error: start: missing or invalid"
assert_line verdicts.txt "8 - error: not a JSON object"
assert_line verdicts.txt "9 no-start error: start: missing or invalid"
assert_line verdicts.txt "10 long error: duration_s: missing or invalid"
assert_line verdicts.txt "11 bad-party error: party: missing or invalid"
assert_line verdicts.txt "12 bad-hold error: holds: missing or invalid"
assert_line verdicts.txt "13 bad-history error: history: missing or invalid"
assert_line verdicts.txt "14 bad-stage error: stage: missing or invalid"
assert_line verdicts.txt "15 late refuse CN-HOURS"
assert_lines_matching verdicts.txt '.' 13
assert_contains stderr "stdin:2: not a JSON object: "
assert_line stderr "stdin:4:channel: missing or invalid"
assert_line stderr "stdin:5:zone: missing or invalid"
assert_line stderr "stdin:6:start: missing or invalid"
assert_line stderr "stdin:8: not a JSON object"
assert_line stderr "stdin:12:holds: missing or invalid"
assert_lines_matching stderr '^stdin:' 11
assert_line stderr "rules check: 1 allowed, 1 refused, 11 bad lines"
# A line over 64 KiB is refused as such; the next line is read.
{
	printf '{"id":"huge","channel":"call",%s,"start":"2026-06-10T10:00","pad":"%s"}\n' "$S" \
		"$(repeat xxxxxxxxxxxxxxxx 4100)"
	printf '{"id":"after","channel":"call",%s,"start":"2026-06-10T10:00"}\n' "$S"
} >huge.jsonl
check_lines huge.jsonl
assert_status 1 "rules check with a line too long"
assert_line verdicts.txt "1 - error: line too long"
assert_line verdicts.txt "2 after allow"
assert_line stderr "stdin:1: line longer than 65536 bytes"
# Nothing but blank lines: nothing out, exit 0.
printf '\n  \n\t\r\n' >blank.jsonl
check_lines blank.jsonl
assert_status 0 "rules check of blank lines"
assert_eq "" "$(cat "$OUT")" "stdout for blank lines"
assert_line stderr "rules check: 0 allowed, 0 refused, 0 bad lines"

# --- the bank's override file: a changed parameter and a new rule
cat >bank.json <<'EOF'
{
  "rules": [
    { "id": "CN-COMMUNITY-CAP", "params": { "max_visits_per_week": 10 } },
    {
      "id": "BANK-NO-EMAIL", "kind": "forbidden_content", "citation": "bank policy 2026-07",
      "effective_from": "2026-07-01", "params": { "contents": ["visit_notice"] },
      "reason_zh": "本行不以电子方式发送上门通知", "reason_en": "the bank sends no visit notices"
    }
  ]
}
EOF
cat >bank.jsonl <<EOF
{"id":"week-9",$V,"team":[$COLLECTOR,$WORKER],"community_visits_week":9}
{"id":"week-10",$V,"team":[$COLLECTOR,$WORKER],"community_visits_week":10}
{"id":"notice-june","channel":"email","content":"visit_notice",$S,"start":"2026-06-30T10:00"}
{"id":"notice-july","channel":"email","content":"visit_notice",$S,"start":"2026-07-01T10:00"}
EOF
check_lines bank.jsonl
assert_line verdicts.txt "2 week-10 allow"
assert_line verdicts.txt "4 notice-july allow"
export DOORSTEP_RULES_FILE=bank.json
ds_ok rules list
assert_line stdout "Rule pack CN (13 rules)"
assert_line stdout "BANK-NO-EMAIL  (forbidden_content, in force from 2026-07-01)"
assert_line stdout '  params: {"max_visits_per_week":10}'
check_lines bank.jsonl
assert_status 0 "rules check with the override file"
assert_line verdicts.txt "1 week-9 allow"
assert_line verdicts.txt "2 week-10 refuse CN-COMMUNITY-CAP"
assert_line verdicts.txt "3 notice-june allow"
assert_line verdicts.txt "4 notice-july refuse BANK-NO-EMAIL"
assert_contains stdout '"rule":"BANK-NO-EMAIL","reason_zh":"本行不以电子方式发送上门通知","reason_en":"the bank sends no visit notices"'
# ... also from [rules] override_file
unset DOORSTEP_RULES_FILE
printf '[rules]\noverride_file = bank.json\n' >doorstep.ini
ds_ok rules list
assert_line stdout "Rule pack CN (13 rules)"
# Over the US pack, CN-COMMUNITY-CAP is a new rule, and a new rule needs a kind.
ds rules --jurisdiction US list
assert_status 3 "the CN override file over the US pack"
assert_line stderr "doorstep: bank.json:CN-COMMUNITY-CAP: a rule needs a kind"
rm doorstep.ini

# --- broken override files: exit 3, the file and the rule named
broken() { # NAME JSON EXPECTED_STDERR_LINE
	printf '%s\n' "$2" >"$1"
	DOORSTEP_RULES_FILE=$1 ds rules check <bank.jsonl
	assert_status 3 "override file $1"
	assert_line stderr "$3"
	assert_eq "" "$(cat "$OUT")" "stdout with override file $1"
}
broken kind.json '{"rules": [{"id": "X1", "kind": "teleport"}]}' \
	"doorstep: kind.json:X1: unknown rule kind 'teleport'"
broken hours.json '{"rules": [{"id": "CN-HOURS", "params": {"from": "23:00", "to": "22:00"}}]}' \
	"doorstep: hours.json:CN-HOURS: params.from and params.to must be HH:MM, from before to"
broken cap.json '{"rules": [{"id": "CN-COMMUNITY-CAP", "params": {"max": 10}}]}' \
	"doorstep: cap.json:CN-COMMUNITY-CAP: params.max_visits_per_week must be >= 0"
broken reasons.json '{"rules": [{"id": "BANK-1", "kind": "holds", "effective_from": "2026-01-01"}]}' \
	"doorstep: reasons.json:BANK-1: citation, reason_zh and reason_en are required"
broken channel.json '{"rules": [{"id": "CN-HOURS", "params": {"from": "08:00", "to": "22:00", "channels": ["fax"]}}]}' \
	"doorstep: channel.json:CN-HOURS: params.channels must list known channels (not empty)"
broken date.json '{"rules": [{"id": "CN-HOURS", "effective_from": "2026-02-30"}]}' \
	"doorstep: date.json:CN-HOURS: effective_from is not a date (YYYY-MM-DD)"
broken shape.json '{"rule": []}' \
	'doorstep: shape.json: a rule pack is an object with a "rules" array'
broken syntax.json '{"rules": [' \
	"doorstep: syntax.json:2: not valid JSON: ']' expected near end of file"
DOORSTEP_RULES_FILE=missing.json ds rules list
assert_status 3 "a missing override file"
assert_line stderr "doorstep: missing.json: cannot read: No such file or directory"
