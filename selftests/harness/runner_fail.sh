#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The runner that make check uses reports a failing test as failed and
# exits non-zero, counts skips as skips, and exits zero only when nothing
# failed.  Runs on the host.
. "$FLOWOS_REPO/selftests/lib.sh"

FIXTURES=$FLOWOS_REPO/selftests/harness/fixtures
out=$(mktemp)
trap 'rm -f "$out"' EXIT

ktap_print_header
ktap_set_plan 5

"$FLOWOS_REPO/selftests/run.sh" "$FIXTURES" >"$out" 2>&1
rc=$?
ktest "a collection with a failing test exits non-zero" test "$rc" -ne 0
ktest "the failing test is reported as not ok" \
	grep -q '^not ok [0-9]* selftests: fixtures: fail.sh' "$out"
ktest "the skipping test is reported as a skip" \
	grep -q '^ok [0-9]* selftests: fixtures: skip.sh # SKIP' "$out"
ktest "the summary counts 1 passed, 1 failed, 1 skipped" \
	test "$("$FLOWOS_REPO/scripts/tap-summary" "$out" | tail -n 1)" = "1 passed, 1 failed, 1 skipped"
passing_subset() {
	"$FLOWOS_REPO/selftests/run.sh" "$FIXTURES" pass.sh skip.sh >/dev/null 2>&1
}
ktest "the same collection without the failing test exits zero" passing_subset

ktap_finished
