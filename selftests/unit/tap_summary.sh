#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/tap-summary turns TAP into make check's summary line and exit
# status: nested output does not count, missing results and bail-outs are
# failures, no result at all is not a pass, and each failure is named
# above the summary line.
. "$FLOWOS_REPO/selftests/lib.sh"

SUMMARY=$FLOWOS_REPO/scripts/tap-summary

# expect NAME "SUMMARY LINE" STATUS TAP-LINES...
expect() {
	local name=$1 want=$2 want_rc=$3 got rc

	shift 3
	got=$(printf '%s\n' "$@" | "$SUMMARY")
	rc=$?
	got=${got##*$'\n'}
	if [ "$got" = "$want" ] && [ "$rc" -eq "$want_rc" ]; then
		ktap_test_pass "$name"
	else
		ktap_print_msg "got '$got' status $rc, want '$want' status $want_rc"
		ktap_test_fail "$name"
	fi
}

ktap_print_header
ktap_set_plan 13

expect "all passing" "2 passed, 0 failed" 0 \
	'TAP version 13' '1..2' 'ok 1 a' 'ok 2 b'
expect "a failure fails" "1 passed, 1 failed" 1 \
	'TAP version 13' '1..2' 'ok 1 a' 'not ok 2 b # exit=1'
expect "skips are counted apart" "1 passed, 0 failed, 1 skipped" 0 \
	'TAP version 13' '1..2' 'ok 1 a' 'ok 2 b # SKIP needs root'
expect "nested results do not count" "1 passed, 0 failed" 0 \
	'TAP version 13' '1..1' '# not ok 1 inner' '  not ok 2 inner' 'ok 1 outer'
expect "results missing from the plan are failures" "1 passed, 2 failed" 1 \
	'TAP version 13' '1..3' 'ok 1 a'
expect "a bail-out is a failure" "1 passed, 1 failed" 1 \
	'TAP version 13' '1..1' 'ok 1 a' 'Bail out! no kselftest framework'
expect "no results at all is a failure" "0 passed, 0 failed" 1 ''
expect "a document that skips all is one skip" "1 passed, 0 failed, 1 skipped" 0 \
	'TAP version 13' '1..0 # SKIP dkms is not installed' \
	'TAP version 13' '1..1' 'ok 1 a'
expect "a plan of 1..0 without SKIP is no result" "0 passed, 0 failed" 1 \
	'TAP version 13' '1..0'
expect "concatenated documents add up" "2 passed, 1 failed" 1 \
	'TAP version 13' '1..2' 'ok 1 a' 'ok 2 b' \
	'TAP version 13' '1..1' 'not ok 1 c'

# The lines above the summary: what a CI page showing only a log's tail
# needs to say which test failed.
named=$(printf '%s\n' 'TAP version 13' '1..3' 'ok 1 a' 'not ok 2 flows.sh # exit=1' |
	"$SUMMARY" | head -n -1)
if [ "$named" = "# FAILED -: not ok 2 flows.sh # exit=1
# FAILED -: 1 of 3 planned results missing" ]; then
	ktap_test_pass "each failure is named above the summary"
else
	ktap_print_msg "got: $named"
	ktap_test_fail "each failure is named above the summary"
fi
# A failed test's own failed subtests follow it, each after the
# diagnostic line above it; those of a passing test do not show.
named=$(printf '%s\n' 'TAP version 13' '1..2' '# # got 1, want 1' '# ok 1 fine' \
	'# # got 3, want 4' '# not ok 2 counts' '# not ok 3 bare' \
	'not ok 1 stats.sh # exit=1' '# # got 5, want 6' '# not ok 1 other' \
	'ok 2 retried.sh' | "$SUMMARY" | head -n -1)
if [ "$named" = "# FAILED -: not ok 1 stats.sh # exit=1
#   got 3, want 4
#   not ok 2 counts
#   not ok 3 bare" ]; then
	ktap_test_pass "a failure's failed subtests follow it, with their diagnostics"
else
	ktap_print_msg "got: $named"
	ktap_test_fail "a failure's failed subtests follow it, with their diagnostics"
fi
named=$(printf '%s\n' 'TAP version 13' '1..2' 'ok 1 a' 'ok 2 b' | "$SUMMARY" | head -n -1)
if [ -z "$named" ]; then
	ktap_test_pass "a passing run names nothing"
else
	ktap_print_msg "got: $named"
	ktap_test_fail "a passing run names nothing"
fi

ktap_finished
