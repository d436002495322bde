#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh COLLECTION_DIR [TEST...]: run a collection of selftests with the
# kernel's own kselftest runner (run_many), print TAP, and exit 1 if any
# test failed.
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

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 COLLECTION_DIR [TEST...]" >&2
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
run_many "${tests[@]}" | tee "$BASE_DIR/out.tap"
"$FLOWOS_REPO/scripts/tap-summary" "$BASE_DIR/out.tap" >/dev/null
