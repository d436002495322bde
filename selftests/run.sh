#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [--queue DIR [--shared DIR2]] COLLECTION_DIR [TEST...]: run a
# collection of selftests with the kernel's own kselftest runner
# (run_many), print TAP, and exit 1 if any test failed.
#
# With --queue, several runners (guests sharing the host's file system)
# share the tests: each takes the next test nobody has taken yet, by
# creating DIR/TEST (mkdir either creates it or fails, for exactly one of
# them), so that they finish together however long each test takes.  The
# plan comes last, once the runner knows how many tests it ran; whoever
# started the runners checks that every test reported (a runner that died
# leaves a test taken and never reported).  In a guest of scripts/vm, a
# queued test that leaves a process running also fails (see run_queue).
# A TEST written +TEST is taken in DIR2 instead: runners with queues of
# their own (one per kernel) share it, and whichever comes to it first
# runs it.
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

queue= shared=
if [ "${1:-}" = --queue ] && [ $# -ge 2 ]; then
	mkdir -p "$2" && queue=$(cd "$2" && pwd) || exit 1
	shift 2
	if [ "${1:-}" = --shared ] && [ $# -ge 2 ]; then
		mkdir -p "$2" && shared=$(cd "$2" && pwd) || exit 1
		shift 2
	fi
fi
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 [--queue DIR [--shared DIR2]] COLLECTION_DIR [TEST...]" >&2
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
# user_pids: every process now, but kernel threads and zombies (no
# command line), into the array PIDS.  Builtins only: no process of its
# own to count.
user_pids() {
	local p cmd

	PIDS=()
	for p in /proc/[0-9]*; do
		IFS= read -r -d '' cmd 2>/dev/null <"$p/cmdline"
		[ -z "$cmd" ] || PIDS+=("${p#/proc/}")
	done
}

# leftovers: the processes of PIDS started since BEFORE (user_pids's
# earlier array), each as "PID COMMAND".
leftovers() {
	local p

	for p in "${PIDS[@]}"; do
		case " ${BEFORE[*]} " in *" $p "*) continue ;; esac
		echo "$p $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")"
	done
}

# lingering: true, with LEFT set to leftovers's lines, when processes
# started since BEFORE still run 2 s later (what a test started may take
# a moment to end after it).
lingering() {
	local tries

	for tries in $(seq 20); do
		[ "$tries" -gt 1 ] && sleep 0.1
		user_pids
		LEFT=$(leftovers)
		[ -n "$LEFT" ] || return 1
	done
}

# cpu_ticks: the guest's CPU time so far, in clock ticks of all its
# CPUs (/proc/stat's first line), busy into BUSY and idle into IDLE.
# Builtins only: no process of its own.
cpu_ticks() {
	local cpu user nice sys idle iowait irq softirq steal rest

	read -r cpu user nice sys idle iowait irq softirq steal rest </proc/stat
	BUSY=$((user + nice + sys + irq + softirq + steal))
	IDLE=$((idle + iowait))
}

# run_queue TEST...: run_many's job for a shared queue, plan last.  In a
# guest of scripts/vm, a test that leaves a process running fails too,
# and the process is killed: it would hold this runner's output open,
# and the guest would wait for it until the host's timeout.
run_queue() {
	local t n=0 in_guest= busy0 idle0

	[ -d /run/flowos-vm ] && in_guest=1
	echo "TAP version 13"
	for t in "$@"; do
		if [[ ${t#./} == +* ]]; then
			t=./${t#./+}
			[ -n "$shared" ] && mkdir "$shared/${t#./}" 2>/dev/null ||
				continue
		else
			mkdir "$queue/${t#./}" 2>/dev/null || continue
		fi
		n=$((n + 1))
		if [ -n "$in_guest" ]; then
			user_pids
			BEFORE=("${PIDS[@]}")
			cpu_ticks
			busy0=$BUSY idle0=$IDLE
		fi
		run_one "$name" "$t" "$n"
		[ -n "$in_guest" ] || continue
		# What the test asks of the host: a guest busy most of the
		# time needs a CPU; an idle one leaves it to the others.
		cpu_ticks
		echo "# cpu: ${t#./} busy $(((BUSY - busy0) / 100)) s, idle $(((IDLE - idle0) / 100)) s"

		lingering || continue
		# shellcheck disable=SC2046
		kill -KILL $(cut -d' ' -f1 <<<"$LEFT") 2>/dev/null
		sed 's/^/# left running: /' <<<"$LEFT"
		n=$((n + 1))
		echo "not ok $n selftests: ${name}: ${t#./} left no process running"
	done
	echo "1..$n"
}

if [ -n "$queue" ]; then
	run_queue "${tests[@]}"
else
	run_many "${tests[@]}"
fi | tee "$BASE_DIR/out.tap"
"$FLOWOS_REPO/scripts/tap-summary" "$BASE_DIR/out.tap" >/dev/null
