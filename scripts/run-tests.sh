#!/bin/sh
# Runs every test: the gcc build's whole suite (but the benchmarks' smoke
# runs, label bench: timing on a shared machine is not a check), then the
# unit and CLI tests again under ASan+UBSan (clang). Ends with one summary
# line over both runs.
set -u
build=$1 san=$2 jobs=${3:-2}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
ctest --test-dir "$build" -LE bench --output-on-failure -j"$jobs" 2>&1 | tee "$log" || status=1
# the browser tests' screenshots (tests/ui), for a person to look at
for png in "$build"/ui-artifacts/*.png; do
	[ -f "$png" ] && echo "ui screenshot: $png"
done
src=$(cd "$(dirname "$0")/.." && pwd)
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$src/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir "$san" -L 'unit|cli' --output-on-failure -j"$jobs" 2>&1 | tee -a "$log" || status=1
# ctest prints "N% tests passed, F tests failed out of T" per run.
passed=0 failed=0
while read -r line; do
	total=$(echo "$line" | sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p')
	fail=$(echo "$line" | sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p')
	[ -n "$total" ] || continue
	passed=$((passed + total - fail))
	failed=$((failed + fail))
done <<EOT
$(grep 'tests failed out of' "$log")
EOT
runs=$(grep -c 'tests failed out of' "$log")
[ "$runs" -eq 2 ] || status=1
# a pipeline's status is tee's: the counts decide
[ "$failed" -eq 0 ] || status=1
[ "$passed" -gt 0 ] || status=1
echo "$passed passed, $failed failed"
exit $status
