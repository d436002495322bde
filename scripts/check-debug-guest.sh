#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of scripts/check-debug: the selftests on the debug
# kernel, then a kmemleak scan of what they left.  kmemleak reports an
# object only once it has been unreferenced for a few seconds, so the
# scan waits and runs twice; a report goes to the kernel log, where
# scripts/vm's dmesg check fails the run, and is printed here.
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KMEMLEAK=/sys/kernel/debug/kmemleak

[ -w "$KMEMLEAK" ] || { echo "Bail out! this kernel has no kmemleak"; exit 1; }
echo clear >"$KMEMLEAK"		# what booting left is not ours
"$REPO/selftests/run.sh" "$REPO/selftests/flowos"
rc=$?
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
