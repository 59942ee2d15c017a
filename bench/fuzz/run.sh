#!/bin/sh
# Fuzzing campaign: every libFuzzer target (the list of scripts/fuzz-smoke.sh)
# for SECONDS each, one after the other, each on a scratch copy of its seed
# corpus (fuzz/corpus/<target>/ is never modified) with its dictionary.
# Prints a table of executions and coverage per target and writes it to
# bench/out/fuzz.csv; fails when a target finds a crash, a leak, a timeout
# or a sanitizer report (the reproducer and the log are then kept and
# named).
#
#   sh bench/fuzz/run.sh SECONDS [BUILD_DIR]
# Environment: TARGETS (a space-separated subset), KEEP_CORPUS (a directory:
# each target's grown corpus is copied to KEEP_CORPUS/<target>/).
# BUILD_DIR (default build-fuzz) is configured with clang and DS_FUZZ=ON.
set -u
usage="usage: sh bench/fuzz/run.sh SECONDS [BUILD_DIR]"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "$usage" >&2; exit 2; }
secs=$1
case $secs in '' | *[!0-9]*) echo "$usage" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$root/build-fuzz}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
all=$(sed -n 's/^targets="\(.*\)"$/\1/p' "$root/scripts/fuzz-smoke.sh")
targets=${TARGETS:-$all}
[ -n "$targets" ] || { echo "bench/fuzz: no targets (scripts/fuzz-smoke.sh)" >&2; exit 2; }
jobs=$(nproc 2>/dev/null || echo 2)
out=$root/bench/out
mkdir -p "$out"

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DDS_FUZZ=ON >/dev/null || exit 1
# shellcheck disable=SC2086 # the list splits on purpose
cmake --build "$build" -j"$jobs" --target $targets >/dev/null || {
	cmake --build "$build" -j1 --target $targets >&2
	exit 1
}

scratch=$(mktemp -d)
keep=0
trap '[ $keep -eq 1 ] || rm -rf "$scratch"' EXIT
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
csv=$out/fuzz.csv
echo "target,seconds,executions,exec_per_s,cov,features,corpus,new_units,result" >"$csv"
printf '%-12s %8s %14s %10s %7s %9s %8s %8s  %s\n' target seconds executions exec/s cov \
	features corpus new result
status=0 total=0
for t in $targets; do
	work=$scratch/$t
	mkdir -p "$work/corpus"
	cp -R "$root/fuzz/corpus/$t/." "$work/corpus/" 2>/dev/null
	dict=
	[ -f "$root/fuzz/${t#fuzz_}.dict" ] && dict=-dict=$root/fuzz/${t#fuzz_}.dict
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
	result=ok
	if [ $rc -ne 0 ]; then
		result=FAILED
		status=1
		keep=1
	fi
	printf '%-12s %8s %14s %10s %7s %9s %8s %8s  %s\n' "$t" "$secs" "${execs:-?}" \
		"${speed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${new:-?}" "$result"
	echo "$t,$secs,${execs:-},${speed:-},${cov:-},${ft:-},${corp:-},${new:-},$result" >>"$csv"
	total=$((total + ${execs:-0}))
	if [ $rc -ne 0 ]; then
		echo "$t: exit $rc; log: $work/log" >&2
		for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
			[ -e "$a" ] && echo "$t: reproducer: $a" >&2
		done
		grep -E 'ERROR|SUMMARY|property failed|runtime error' "$work/log" | head -n 5 >&2
	fi
	if [ -n "${KEEP_CORPUS:-}" ]; then
		mkdir -p "$KEEP_CORPUS/$t"
		cp -R "$work/corpus/." "$KEEP_CORPUS/$t/"
	fi
done
echo "total: $total executions; table in bench/out/fuzz.csv"
[ $status -eq 0 ] && echo "fuzz campaign: ok"
exit $status
