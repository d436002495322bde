#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/tap-summary turns TAP into make check's summary line and exit
# status: nested output does not count, missing results and bail-outs are
# failures, and no result at all is not a pass.
. "$FLOWOS_REPO/selftests/lib.sh"

SUMMARY=$FLOWOS_REPO/scripts/tap-summary

# expect NAME "SUMMARY LINE" STATUS TAP-LINES...
expect() {
	local name=$1 want=$2 want_rc=$3 got rc

	shift 3
	got=$(printf '%s\n' "$@" | "$SUMMARY")
	rc=$?
	if [ "$got" = "$want" ] && [ "$rc" -eq "$want_rc" ]; then
		ktap_test_pass "$name"
	else
		ktap_print_msg "got '$got' status $rc, want '$want' status $want_rc"
		ktap_test_fail "$name"
	fi
}

ktap_print_header
ktap_set_plan 10

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

ktap_finished
