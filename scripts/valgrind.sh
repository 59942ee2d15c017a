#!/bin/sh
# valgrind's memcheck over a chosen subset: a handful of unit tests and the
# first commands a bank runs (init, the example files imported, summary,
# report kpi in every format), each with --leak-check=full. A definite or
# indirect leak, an invalid read or write, or a use of uninitialised memory
# fails it; only system libraries' own one-time allocations are suppressed
# (tests/valgrind.supp). Not in `make check` (about 12 minutes on 2 cores):
# `make valgrind` runs it on the gcc build.
#
#   sh scripts/valgrind.sh BUILD_DIR
# Environment: VALGRIND_UNITS (the unit tests, space-separated).
set -u
build=${1:?usage: scripts/valgrind.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd) || exit 2
command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)" >&2; exit 2; }
units=${VALGRIND_UNITS:-test_core test_store test_auth test_report test_drivers test_letter}
bin=$build/doorstep
[ -x "$bin" ] || { echo "valgrind: $bin not built" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DS_TEST_DATA="$src/tests/data" TMPDIR="$tmp"
status=0 ran=0 failed=0
vg() { # name command...
	name=$1
	shift
	start=$(date +%s)
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --num-callers=100 --error-exitcode=99 \
		--suppressions="$src/tests/valgrind.supp" --log-file="$tmp/$ran.vg" "$@" \
		>"$tmp/$ran.out" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	if [ $rc -eq 0 ] && [ ! -s "$tmp/$ran.vg" ]; then
		printf 'ok    %-40s %4d s\n' "$name" "$secs"
	else
		printf 'FAIL  %-40s %4d s (exit %d)\n' "$name" "$secs" "$rc"
		cat "$tmp/$ran.vg"
		[ $rc -eq 99 ] || tail -n 20 "$tmp/$ran.out"
		failed=$((failed + 1))
		status=1
	fi
	ran=$((ran + 1))
}
for u in $units; do
	vg "unit/$u" "$build/tests/$u"
done
db=$tmp/vg.db
vg "doorstep init" "$bin" --db "$db" init
for k in branches communities borrowers staff certifications accounts schedules payments contacts; do
	vg "doorstep import $k" "$bin" --db "$db" import "$k" "$src/examples/$k.csv"
done
vg "doorstep summary" "$bin" --db "$db" summary --as-of 2024-06-30
for f in table json csv svg; do
	vg "doorstep report kpi --format $f" "$bin" --db "$db" report kpi --from 2024-06-01 \
		--to 2024-07-31 --format "$f"
done
for f in xlsx pdf; do
	vg "doorstep report kpi --format $f" "$bin" --db "$db" report kpi --from 2024-06-01 \
		--to 2024-07-31 --format "$f" --out "$tmp/kpi.$f"
done
echo "valgrind: $ran runs, $failed failed"
exit $status
