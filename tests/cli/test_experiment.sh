#!/bin/sh
# doorstep experiment: sample sizes, the difference of two arms with its
# interval, stable arms; and clear usage errors.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# --- size: Fleiss's formula, 20% against 25%, alpha 0.05, power 0.8
ds_ok experiment size --p0 0.2 --p1 0.25
assert_contains stdout "1094 accounts in arm 0 and 1094 in arm 1, 2188 in all"
# a 5% holdout: the other arm 19 times larger
ds_ok --json experiment size --p0 0.2 --p1 0.25 --ratio 19
assert_eq 591 "$(sed -n 's/.*"n0": \([0-9]*\).*/\1/p' "$OUT")" "holdout arm"
assert_eq 11214 "$(sed -n 's/.*"n1": \([0-9]*\).*/\1/p' "$OUT")" "treated arm"
ds experiment size --p0 0.2 --p1 0.2
assert_status 2 "equal rates"
assert_contains stderr "p0 and p1 must differ"
ds experiment size --p0 2 --p1 0.3
assert_status 2 "a rate above 1"
assert_contains stderr "--p0 must be a number from 0 to 1, not '2'"
ds experiment size --p1 0.3
assert_status 2 "p0 missing"

# --- compare: Newcombe's example (a), 56/70 against 48/80
ds_ok experiment compare 56/70 48/80
assert_contains stdout "difference +0.2000, 95% interval +0.0524 to +0.3339"
ds_ok experiment compare --confidence 0.9 56/70 48/80
assert_contains stdout "90% interval"
ds experiment compare 56/70 48-80
assert_status 2 "not a count"
assert_contains stderr "'48-80' is not SUCCESSES/TRIALS"
ds experiment compare 81/80 48/80
assert_status 2 "more successes than trials"

# --- arm: the same pair always lands in the same arm
ds_ok experiment arm EXP-visits ACC0001 0.05 0.95
first=$(cat "$OUT")
for _ in 1 2 3; do
	ds_ok experiment arm EXP-visits ACC0001 0.05 0.95
	assert_eq "$first" "$(cat "$OUT")" "stable arm"
done
# about 5% of 2,000 accounts in the holdout
held=0
i=0
while [ $i -lt 400 ]; do
	"$DOORSTEP" experiment arm EXP-visits "ACC$i" 0.25 0.75 | grep -q '^0$' && held=$((held + 1))
	i=$((i + 1))
done
[ "$held" -ge 70 ] && [ "$held" -le 130 ] || fail "arm 0 took $held of 400 at a 25% share"

ds experiment
assert_status 2 "no subcommand"
ds experiment frobnicate
assert_status 2 "unknown subcommand"
ds_ok experiment --help
assert_contains stdout "usage:"
ds_finish
