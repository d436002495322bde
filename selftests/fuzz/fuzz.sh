#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The native fuzzers (selftests/fuzz/Makefile builds them): the packet
# parser, seeded with every frame of the shipped captures, and TCP
# reassembly.  "make check" runs each for FLOWOS_FUZZ_RUNS inputs from
# seed FLOWOS_FUZZ_SEED (fixed: the same inputs every time); "make
# stress" sets FLOWOS_FUZZ_TIME to run each that many seconds from a
# random seed, and seeds reassembly with its worst cases too
# (reasm_seeds.py: thousands of segments an input, which would make
# the fixed run minutes long).  A crash, a sanitizer report or a broken invariant fails
# the test, and the input that did it is kept under build/fuzz/.
. "$FLOWOS_REPO/selftests/lib.sh"

OUT=$FLOWOS_REPO/build/fuzz
SEED=${FLOWOS_FUZZ_SEED:-1}
RUNS=${FLOWOS_FUZZ_RUNS:-200000}
TIME=${FLOWOS_FUZZ_TIME:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fuzz NAME [SEEDER [ARGS...]]: run NAME's fuzzer on a fresh corpus, of
# the seeds that SEEDER (a script here) writes from ARGS.
fuzz() {
	local name=$1 seeder=${2:-} log=$work/$1.log n limit rc

	shift $(($# > 1 ? 2 : 1))
	mkdir -p "$work/$name"
	[ -z "$seeder" ] || python3 "$FLOWOS_REPO/selftests/fuzz/$seeder" \
		"$work/$name" "$@" >/dev/null || return 1
	limit=(-runs="$RUNS")
	[ -z "$TIME" ] || limit=(-max_total_time="$TIME")
	"$OUT/${name}_fuzz" -seed="$SEED" "${limit[@]}" \
		-artifact_prefix="$OUT/$name-" "$work/$name" >"$log" 2>&1
	rc=$?
	n=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
	if [ "$rc" -ne 0 ] || [ -z "$n" ]; then
		grep -E "_fuzz:|ERROR|runtime error|Test unit written" "$log" |
			head -n 20 | while read -r line; do ktap_print_msg "$line"; done
		return 1
	fi
	ktap_print_msg "$name: $n inputs from seed $SEED, corpus of $(find "$work/$name" -type f | wc -l)"
}

ktap_print_header
ktap_set_plan 2
[ -x "$OUT/parse_fuzz" ] && [ -x "$OUT/reasm_fuzz" ] ||
	ktap_exit_fail_msg "no fuzzers in $OUT (make -C selftests/fuzz)"
ktest "parser: no crash, no sanitizer report, offsets inside the packet" \
	fuzz parse mkcorpus.py "$FLOWOS_REPO"/selftests/captures/*.pcap
ktest "reassembly: every byte the stream's, gaps flagged, queue bounded and freed" \
	fuzz reasm ${TIME:+reasm_seeds.py}
ktap_finished
