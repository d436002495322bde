#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [--queue DIR] COLLECTION_DIR [TEST...]: run a collection of
# selftests with the kernel's own kselftest runner (run_many), print TAP,
# and exit 1 if any test failed.
#
# With --queue, several runners (guests sharing the host's file system)
# share the tests: each takes the next test nobody has taken yet, by
# creating DIR/TEST (mkdir either creates it or fails, for exactly one of
# them), so that they finish together however long each test takes.  The
# plan comes last, once the runner knows how many tests it ran; whoever
# started the runners checks that every test reported (a runner that died
# leaves a test taken and never reported).
#
# A collection is a directory; its tests are its executable files (run in
# name order), helpers are not executable.  A "settings" file there may
# set timeout=SECONDS per test, as in the kernel's selftests.  The
# kselftest framework is unpacked by "make ksrc" from Debian's
# linux-source; KSFT_DIR points elsewhere if needed.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export FLOWOS_REPO=${here%/selftests}
export KSFT_DIR=${KSFT_DIR:-$FLOWOS_REPO/build/ksrc/tools/testing/selftests}

queue=
if [ "${1:-}" = --queue ] && [ $# -ge 2 ]; then
	mkdir -p "$2" && queue=$(cd "$2" && pwd) || exit 1
	shift 2
fi
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 [--queue DIR] COLLECTION_DIR [TEST...]" >&2
	exit 2
fi
if [ ! -r "$KSFT_DIR/kselftest/runner.sh" ]; then
	echo "Bail out! no kselftest framework in $KSFT_DIR (run make ksrc)"
	exit 1
fi

collection=$(cd "$1" && pwd)
shift
name=$(basename "$collection")

# The kselftest install layout: BASE_DIR/kselftest/ beside BASE_DIR/NAME/.
BASE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/flowos-ksft.XXXXXX") || exit 1
trap 'rm -rf "$BASE_DIR"' EXIT
export BASE_DIR
ln -s "$KSFT_DIR/kselftest" "$BASE_DIR/kselftest"
ln -s "$collection" "$BASE_DIR/$name"
cd "$BASE_DIR/$name" || exit 1

tests=()
if [ $# -gt 0 ]; then
	for t in "$@"; do
		tests+=("./$(basename "$t")")
	done
else
	for t in *; do
		[ -f "$t" ] && [ -x "$t" ] && tests+=("./$t")
	done
fi

# The kernel's runner is not written for "set -u".
set +u
# shellcheck source=/dev/null
. "$BASE_DIR/kselftest/runner.sh"
# run_queue TEST...: run_many's job for a shared queue, plan last.
run_queue() {
	local t n=0

	echo "TAP version 13"
	for t in "$@"; do
		mkdir "$queue/${t#./}" 2>/dev/null || continue
		n=$((n + 1))
		run_one "$name" "$t" "$n"
	done
	echo "1..$n"
}

if [ -n "$queue" ]; then
	run_queue "${tests[@]}"
else
	run_many "${tests[@]}"
fi | tee "$BASE_DIR/out.tap"
"$FLOWOS_REPO/scripts/tap-summary" "$BASE_DIR/out.tap" >/dev/null
