#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# leakcheck-guest.sh [--queue DIR] [TEST...]: in the guest, run
# selftests/flowos (the TESTs of it, or all; with --queue, those that
# no other guest sharing DIR took: selftests/run.sh), then have
# kmemleak scan what they left, if the
# kernel has it (the debug kernel of scripts/debug-kernel does; a stock
# Debian kernel does not, and then this says so).  kmemleak reports an
# object only once it has been unreferenced for a few seconds, so the
# scan waits and runs twice; a report goes to the kernel log, where
# scripts/vm's dmesg check fails the run, and is printed here.  Used by
# "make check-debug" and "make stress".
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KMEMLEAK=/sys/kernel/debug/kmemleak

queue=()
if [ "${1:-}" = --queue ] && [ $# -ge 2 ]; then
	queue=(--queue "$2")
	shift 2
fi
[ -w "$KMEMLEAK" ] && echo clear >"$KMEMLEAK"	# what booting left is not ours
"$REPO/selftests/run.sh" "${queue[@]}" "$REPO/selftests/flowos" "$@"
rc=$?
if [ ! -w "$KMEMLEAK" ]; then
	echo "# kmemleak: not in this kernel, leaks unchecked"
	exit "$rc"
fi
sleep 6
echo scan >"$KMEMLEAK"
sleep 6
echo scan >"$KMEMLEAK"
leaks=$(grep -c '^unreferenced object' "$KMEMLEAK")
echo "# kmemleak: $leaks objects leaked after the selftests"
if [ "$leaks" -ne 0 ]; then
	sed 's/^/# /' "$KMEMLEAK" | head -n 60
	rc=1
fi
exit "$rc"
