#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A scripts/vm guest's "tshark -r FILE" runs on the host
# (scripts/vm-bin/tshark, scripts/vm-tshark-host) and must be
# indistinguishable from the guest's own /usr/bin/tshark: the same
# output, error output and exit status; what it cannot hand over (no
# file, a live capture) runs in the guest.  Runs on the host, on the
# default kernel; the guest's half is this script with --guest.
. "$FLOWOS_REPO/selftests/lib.sh"

CAP=$FLOWOS_REPO/selftests/captures/http.pcap
SPOOL=/run/flowos-vm/tshark

# served: how many requests the host's server has answered.
served() {
	if [ -f "$SPOOL/.log" ]; then
		wc -l <"$SPOOL/.log"
	else
		echo 0
	fi
}

# same NAME ARGS...: the wrapper and the guest's tshark give the same
# output, error output and status; $rc is the status and $hosted how
# many of them the host served (1 or 0).
same() {
	local name=$1 before out err lout lerr lrc
	shift
	before=$(served)
	out=$(tshark "$@" 2>"$TMP/err")
	rc=$?
	err=$(<"$TMP/err")
	hosted=$(($(served) - before))
	lout=$(/usr/bin/tshark "$@" 2>"$TMP/err")
	lrc=$?
	lerr=$(<"$TMP/err")
	ktap_print_msg "$name: status $rc (guest's own $lrc), served on the host: $hosted"
	ktest "$name: the same output as the guest's own tshark" \
		test "$out" = "$lout"
	ktest "$name: the same error output and status" \
		test "$err|$rc" = "$lerr|$lrc"
}

guest() {
	TMP=$(mktemp -d)
	ktap_print_header
	ktap_set_plan 11
	ktest "tshark is the wrapper of scripts/vm-bin" \
		test "$(command -v tshark)" = "$FLOWOS_REPO/scripts/vm-bin/tshark"

	same "fields" -r "$CAP" -T fields -e frame.number -e ip.len -e tcp.flags.str
	ktest "fields: the host ran it" test "$hosted" -eq 1
	ktest "fields: the output is the capture's 43 packets" \
		test "$(tshark -r "$CAP" 2>/dev/null | wc -l)" -eq 43

	same "a bad filter" -r "$CAP" -Y 'tcp.port =='
	ktest "a bad filter: fails on the host, as tshark does" test "$((rc != 0)),$hosted" = 1,1

	# Left to the guest's own tshark, which the wrapper execs: that the
	# host served nothing is the test (two runs of one binary would
	# only agree with each other).
	before=$(served)
	err=$(tshark -r "$TMP/missing.pcap" -T fields -e frame.number 2>&1 >/dev/null)
	rc=$?
	ktest "no such file: left to the guest's tshark" test "$(($(served) - before))" -eq 0
	case $err in *missing.pcap*) err=named ;; esac
	expect_eq "no such file: tshark's failure, naming the file" \
		"$((rc != 0)),$err" "1,named"

	ktest "no request is left behind" \
		test -z "$(find "$SPOOL" -mindepth 1 -maxdepth 1 -name 'req.*')"
	rm -rf "$TMP"
	ktap_finished
}

if [ "${1:-}" = --guest ]; then
	guest
	exit
fi
KVER=${FLOWOS_KERNEL:-$("$FLOWOS_REPO/scripts/kernels" | tail -n 1)}
exec "$FLOWOS_REPO/scripts/vm" --kernel "$KVER" -- \
	env FLOWOS_REPO="$FLOWOS_REPO" KSFT_DIR="$KSFT_DIR" bash "$FLOWOS_REPO/selftests/harness/vm_tshark.sh" --guest
