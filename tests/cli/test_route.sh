#!/bin/sh
# Routing instances, the solver and the independent checker: the published
# prize-collecting solutions reproduce their Cost lines; hand-made
# solutions of a small Solomon instance are judged feasible or not for the
# right reason; malformed instances and solutions are refused with the
# file, the line and the field; solved routes pass the checker, reach the
# optimum where it is known, leave out what is not worth its detour, and
# are the same for the same seed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

SRC=${DS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PC=$SRC/../shared/data/pcvrptw

# every published PCVRPTW solution: feasible, and the cost recomputed
n=0
for vrp in "$PC"/*.vrp; do
	ds_ok --json route check "$vrp" "${vrp%.vrp}.sol"
	name=$(basename "$vrp" .vrp)
	bks=$(grep "^$name," "$PC/pcvrptw-bks.csv" | tr -d '\r' | cut -d, -f2)
	assert_contains stdout "\"cost\": $bks"
	assert_contains stdout '"feasible": true'
	assert_contains stdout '"cost_agrees": true'
	n=$((n + 1))
done
assert_eq 12 "$n" "published instances checked"

# A small Solomon instance: depot at (0,0) open 0-100, capacity 10.
#  1 at (3,4): demand 4, window 0-10, service 1   (5 from the depot)
#  2 at (6,8): demand 4, window 10-20, service 1  (5 from 1, 10 from the depot)
#  3 at (0,5): demand 5, window 0-50, service 1   (5 from the depot)
cat >tiny.txt <<'TXT'
TINY

VEHICLE
NUMBER     CAPACITY
  3          10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0        100          0
    1      3          4          4          0         10          1
    2      6          8          4         10         20          1
    3      0          5          5          0         50          1
TXT
printf 'Route #1: 1 2\nRoute #2: 3\nCost: 30.00\n' >good.sol
ds_ok route check tiny.txt good.sol
# 5 + 5 + 10 and 5 + 5
assert_contains stdout "TINY: feasible; 2 routes, 3 clients visited, cost 30.00 (stated 30.00: agrees)"
printf 'Route #1: 1 2\nRoute #2: 3\nCost: 31\n' >dear.sol
ds route check tiny.txt dear.sol
assert_status 1 "a stated cost that differs"
assert_contains stdout "DIFFERS"
# 2 first: reached at 10, served, then 1 at 11 + 5 = 16, after its window
printf 'Route #1: 2 1\nRoute #2: 3\n' >late.sol
ds route check tiny.txt late.sol
assert_status 1 "a window missed"
assert_contains stdout "client 1 reached at 16000, after its last window closed"
# all three on one vehicle: 13 over the capacity of 10
printf 'Route #1: 1 2 3\n' >heavy.sol
ds route check tiny.txt heavy.sol
assert_status 1 "over capacity"
assert_contains stdout "load 13 over the capacity 10"
printf 'Route #1: 1 2\n' >short.sol
ds route check tiny.txt short.sol
assert_status 1 "a client left out"
assert_contains stdout "client 3 not visited"
printf 'Route #1: 1 2\nRoute #2: 3 1\n' >twice.sol
ds route check tiny.txt twice.sol
assert_status 1 "a client twice"
assert_contains stdout "client 1 visited twice"
printf 'Route #1: 1 2\nRoute #2: 3\nRoute #3:\nRoute #4: \n' >many.sol
ds route check tiny.txt many.sol
assert_status 1 "more routes than vehicles"
assert_contains stderr "many.sol:4:Route: more routes than the instance's 3 vehicles"
printf 'Route #1: 1 2\nRoute #2: 3 9\n' >nine.sol
ds route check tiny.txt nine.sol
assert_status 1 "an unknown client"
assert_contains stderr "nine.sol:2:Route: 9 is not a client of TINY"
printf 'Route #1: 1 x\n' >word.sol
ds route check tiny.txt word.sol
assert_status 1 "not a number"
assert_contains stderr "word.sol:1:Route: a client number"

# malformed instances: file, line, field
sed 's/    2      6          8          4         10         20          1/    2      6          8          4         30         20          1/' tiny.txt >due.txt
ds route check due.txt good.sol
assert_status 1 "due before ready"
assert_contains stderr "due.txt:12:DUE DATE: due 20 before ready 30"
sed 's/    3      0          5          5          0         50          1/    3      0          5          5          0         50/' tiny.txt >short.txt
ds route check short.txt good.sol
assert_status 1 "a short customer line"
assert_contains stderr "short.txt:13:CUSTOMER: a customer line has 7 numbers"
sed 's/    3      0/    7      0/' tiny.txt >skip.txt
ds route check skip.txt good.sol
assert_status 1 "customers out of order"
assert_contains stderr "skip.txt:13:CUST NO.: customer 7 where 3 was expected"
printf 'NAME : X\nTYPE : CVRP\nDIMENSION : 3\nEDGE_WEIGHT_TYPE : GEO\n' >geo.vrp
ds route check geo.vrp good.sol
assert_status 1 "an unknown edge weight type"
assert_contains stderr "geo.vrp:4:EDGE_WEIGHT_TYPE: EUC_2D or EXPLICIT"
printf 'NAME : X\nDIMENSION : 3\nNODE_COORD_SECTION\n1 0 0\n2 1 1\n3 2 two\nEOF\n' >coord.vrp
ds route check coord.vrp good.sol
assert_status 1 "a word among the coordinates"
assert_contains stderr "coord.vrp:6:NODE_COORD_SECTION: numbers only"
printf 'NAME : X\nDIMENSION : 3\nNODE_COORD_SECTION\n1 0 0\n2 1 1\nEOF\n' >missing.vrp
ds route check missing.vrp good.sol
assert_status 1 "a node without coordinates"
assert_contains stderr "node 3 has no coordinates"
printf 'NAME : X\nDIMENSION : 9999999\n' >huge.vrp
ds route check huge.vrp good.sol
assert_status 1 "too many nodes"
assert_contains stderr "huge.vrp:2:DIMENSION: a node count from 2 to 5000"
printf '\001\002\003' >binary.vrp
ds route check binary.vrp good.sol
assert_status 1 "not text"
assert_contains stderr "binary.vrp:1: a control character"
# the solver: the tiny instance's optimum (30), same seed same routes
ds_ok route solve tiny.txt --iterations 300 --threads 1 --seed 3 --out s1.sol
assert_contains stderr "TINY: feasible, cost 30.00, 2 routes, 3 of 3 clients"
ds_ok route check tiny.txt s1.sol
ds_ok route solve tiny.txt --iterations 300 --threads 2 --seed 3 --out s2.sol
ds_ok route solve tiny.txt --iterations 300 --threads 2 --seed 3 --out s3.sol
assert_file_eq s2.sol s3.sol "the same seed, threads and iterations"
# a Solomon instance: every solution the checker's, near the best known
S=$SRC/../shared/data/vrptw/solomon
for seed in 1 2; do
	ds_ok route solve "$S/C101.txt" --iterations 1500 --seed "$seed" --out c101-$seed.sol
	ds_ok --json route check "$S/C101.txt" c101-$seed.sol
	assert_contains stdout '"feasible": true'
	assert_contains stdout '"cost_agrees": true'
	cost=$(sed -n 's/^Cost: //p' c101-$seed.sol)
	assert_eq 1 "$(awk -v c="$cost" 'BEGIN { print (c >= 828.93 && c < 828.94 * 1.05) }')" \
		"C101 within 5% of 828.94 (seed $seed): $cost"
done
ds_ok route solve "$S/C101.txt" --iterations 400 --seed 7 --out a.sol
ds_ok route solve "$S/C101.txt" --iterations 400 --seed 7 --out b.sol
assert_file_eq a.sol b.sol "C101, the same seed twice"
# prizes: A (10 from the depot, prize 100) pays for its detour, B (100
# away, prize 5) does not; DIMACS tenths: 2 x 100 driven + 50 left out
cat >pc.vrp <<'TXT'
NAME : PC2
TYPE : PCVRPTW
DIMENSION : 3
VEHICLES : 2
CAPACITY : 10
EDGE_WEIGHT_TYPE : EUC_2D
NODE_COORD_SECTION
1 0 0
2 10 0
3 100 0
DEMAND_SECTION
1 0
2 1
3 1
TIME_WINDOW_SECTION
1 0 1000
2 0 1000
3 0 1000
PRIZE_SECTION
1 0
2 100
3 5
DEPOT_SECTION
1
-1
EOF
TXT
ds_ok route solve pc.vrp --iterations 200 --out pc.sol
assert_contains stderr "PC2: feasible, cost 250, 1 routes, 1 of 2 clients"
assert_eq "Route #1: 1" "$(head -n 1 pc.sol)" "the route to A only"
ds_ok route check pc.vrp pc.sol
# a published instance: feasible, and the checker agrees with the stated cost
ds_ok route solve "$PC/R1_10_1.vrp" --iterations 150 --out r1.sol
ds_ok --json route check "$PC/R1_10_1.vrp" r1.sol
assert_contains stdout '"feasible": true'
assert_contains stdout '"cost_agrees": true'
ds route solve tiny.txt --threads 0
assert_status 2 "no threads"
ds route solve tiny.txt --time-limit -1
assert_status 2 "a negative time"
ds route solve
assert_status 2 "no instance"

ds route check no-such-file.vrp good.sol
assert_status 3 "a missing file"
ds route check tiny.txt
assert_status 2 "a missing argument"
ds_finish
