#!/bin/sh
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for SECONDS
# seconds on a scratch copy of its seed corpus (fuzz/corpus/<target>/ is never
# modified). Prints per target the executions and coverage from libFuzzer's
# final stats; fails when a build fails or any target finds a crash, a leak
# or a sanitizer report (the reproducer and the log are then kept).
#
#   sh scripts/fuzz-smoke.sh BUILD_DIR SECONDS
set -u
usage="usage: sh scripts/fuzz-smoke.sh BUILD_DIR SECONDS"
[ $# -eq 2 ] || { echo "$usage" >&2; exit 2; }
build=$1 secs=$2
case $secs in '' | *[!0-9]*) echo "$usage" >&2; exit 2 ;; esac
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
targets="fuzz_import fuzz_fields fuzz_config fuzz_rules fuzz_model fuzz_ledger fuzz_vrp fuzz_http"

cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DDS_FUZZ=ON >/dev/null || exit 1
cmake --build "$build" -j"$jobs" --target $targets >/dev/null || {
	cmake --build "$build" -j1 --target $targets >&2
	exit 1
}

scratch=$(mktemp -d)
keep=0
trap '[ $keep -eq 1 ] || rm -rf "$scratch"' EXIT
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
status=0
for t in $targets; do
	work=$scratch/$t
	mkdir -p "$work/corpus"
	cp -R "$src/fuzz/corpus/$t/." "$work/corpus/"
	dict=
	[ -f "$src/fuzz/${t#fuzz_}.dict" ] && dict=-dict=$src/fuzz/${t#fuzz_}.dict
	"$build/fuzz/$t" -max_total_time="$secs" -print_final_stats=1 $dict \
		-artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
	new=$(sed -n 's/^stat::new_units_added: *//p' "$work/log")
	last=$(grep -E '^#[0-9]+' "$work/log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	printf '%-12s %s executions (%s/s), cov %s, features %s, corpus %s (+%s new)\n' "$t" \
		"${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${new:-?}"
	if [ $rc -ne 0 ]; then
		status=1
		keep=1
		echo "$t: FAILED (exit $rc); log: $work/log" >&2
		for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
			[ -e "$a" ] && echo "$t: reproducer: $a" >&2
		done
		grep -E 'ERROR|SUMMARY|property failed|runtime error' "$work/log" | head -n 5 >&2
	fi
done
[ $status -eq 0 ] && echo "fuzz smoke: ok"
exit $status
