# SPDX-License-Identifier: GPL-2.0
#
# Sourced by every flowos selftest: the kernel's KTAP helpers plus the
# few things flowos tests share.  Tests run under selftests/run.sh, which
# exports FLOWOS_REPO and KSFT_DIR.

# shellcheck source=/dev/null
. "$KSFT_DIR/kselftest/ktap_helpers.sh"

# Module objects for the running kernel (built by make check / make).
FLOWOS_BUILD=${FLOWOS_BUILD:-$FLOWOS_REPO/build/$(uname -r)}
FLOWOS_KO=$FLOWOS_BUILD/kmod/flowos.ko

# Taint bits that loading flowos may add: O (out-of-tree), E (unsigned).
TAINT_OOT=$((1 << 12))
TAINT_UNSIGNED=$((1 << 13))

# ktest DESCRIPTION COMMAND [ARG...]: one KTAP result for one command.
# Use this, not ktap_test_result, which expands its command unquoted and
# so splits any argument holding a space.  ktap_helpers.sh also echoes
# descriptions unquoted: never put a glob character ("*") in one.
ktest() {
	local desc=$1

	shift
	if "$@"; then
		ktap_test_pass "$desc"
	else
		ktap_test_fail "$desc"
	fi
}

require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		ktap_skip_all "needs root"
		exit "$KSFT_SKIP"
	fi
}

# Taint bits set now that were not in $1, other than O and E.
unexpected_taint() {
	local now
	now=$(cat /proc/sys/kernel/tainted)
	echo $(((now & ~$1) & ~(TAINT_OOT | TAINT_UNSIGNED)))
}

# The kernel log from a marker this test wrote on, for its own checks.
dmesg_mark() {
	FLOWOS_DMESG_MARK="flowos-selftest: $1 $$ $RANDOM"
	echo "$FLOWOS_DMESG_MARK" >/dev/kmsg
}

dmesg_since_mark() {
	dmesg | sed -n "/$FLOWOS_DMESG_MARK/,\$p" | tail -n +2
}

# slab_kb: the kernel's unreclaimable slab memory now, in kB.
slab_kb() {
	awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo
}

# The selftests' own netlink client (selftests/lib/flowos_nl.c).
FLOWOS_NL=$FLOWOS_REPO/build/selftests/flowos_nl

# flowos_load: load flowos.ko and the modules it needs.
flowos_load() {
	local dep

	for dep in $(modinfo -F depends "$FLOWOS_KO" | tr ',' ' '); do
		modprobe "$dep" || return 1
	done
	insmod "$FLOWOS_KO"
}

# expect_eq DESCRIPTION GOT WANT: one KTAP result, saying both on failure.
# An empty WANT is a broken test (two failed reads agree), not a pass.
expect_eq() {
	if [ -n "$3" ] && [ "$2" = "$3" ]; then
		ktap_test_pass "$1"
	else
		ktap_print_msg "got '$2', want '$3'"
		ktap_test_fail "$1"
	fi
}

# flow_stat NETNS FLOW KEY: one value of "flowos_nl get FLOW" in NETNS.
flow_stat() {
	ip netns exec "$1" "$FLOWOS_NL" get "$2" | tr ' ' '\n' | sed -n "s/^$3=//p"
}

# slowwait SECONDS COMMAND...: retry COMMAND every 0.1s until it succeeds
# or SECONDS pass (as the kernel's net/lib.sh does).  Never a bare sleep.
# Giving up says so on stderr, which the TAP keeps as a comment: a wait
# that cannot end costs its whole timeout, whatever checks it or not.
slowwait() {
	local deadline=$((SECONDS + $1)) secs=$1

	shift
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "# slowwait: gave up after ${secs}s: ${*:1:4}" >&2
			return 1
		fi
		sleep 0.1
	done
}

# udp_send NS DST PORT COUNT SIZE [TEXT]: send COUNT datagrams of SIZE
# bytes (TEXT over and over, "x" unless told), print how many went.
udp_send() {
	ip netns exec "$1" python3 - "$2" "$3" "$4" "$5" "${6:-x}" <<'PY'
import socket, sys
dst, port, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = (sys.argv[5].encode() * size)[:size]
s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_DGRAM)
print(sum(s.sendto(data, (dst, port)) == size for _ in range(count)))
PY
}

# veth_pair NS_A NS_B: two new namespaces joined by veth, va in A with
# 10.0.0.1/24 and fd00::1/64, vb in B with 10.0.0.2 and fd00::2, and
# static neighbours, so that no ARP or NDP traffic needs accounting for.
veth_pair() {
	local a=$1 b=$2 mac_a mac_b

	ip netns add "$a" && ip netns add "$b" &&
	ip link add va netns "$a" type veth peer name vb netns "$b" &&
	ip -n "$a" addr add 10.0.0.1/24 dev va &&
	ip -n "$b" addr add 10.0.0.2/24 dev vb &&
	ip -n "$a" addr add fd00::1/64 dev va nodad &&
	ip -n "$b" addr add fd00::2/64 dev vb nodad &&
	ip -n "$a" link set va up && ip -n "$b" link set vb up &&
	ip -n "$a" link set lo up && ip -n "$b" link set lo up || return 1
	mac_a=$(ip -n "$a" -br link show va | awk '{print $3}')
	mac_b=$(ip -n "$b" -br link show vb | awk '{print $3}')
	ip -n "$a" neigh add 10.0.0.2 lladdr "$mac_b" dev va nud permanent &&
	ip -n "$a" neigh add fd00::2 lladdr "$mac_b" dev va nud permanent &&
	ip -n "$b" neigh add 10.0.0.1 lladdr "$mac_a" dev vb nud permanent &&
	ip -n "$b" neigh add fd00::1 lladdr "$mac_a" dev vb nud permanent
}

# held_now NS FLOW: the packets an inline flow holds now ("?" if unread).
held_now() {
	local held reinjected lost pm_drops

	read -r held reinjected lost pm_drops <<<"$(ip netns exec "$1" "$FLOWOS_NL" get "$2" |
		tr ' ' '\n' | sed -n 's/^\(held\|reinjected\|lost\|pm_drops\)=//p' | xargs)"
	if [ -n "$held" ]; then
		echo $((held - reinjected - lost - pm_drops))
	else
		echo "?"
	fi
}

# flow_settled NS FLOW: every packet the flow held went on or was dropped.
flow_settled() {
	[ "$(held_now "$1" "$2")" = 0 ]
}

# router_test: the setting of a test on router_topology "$A" "$R" "$B":
# picks the three namespaces' names, makes TMP, a scratch directory, and
# sets an EXIT trap that stops MON (a monitor's pid, when set), removes
# the namespaces, unloads flowos and its PMs, and removes TMP.
router_test() {
	A=flowos-a-$$-$RANDOM
	R=flowos-r-$$-$RANDOM
	B=flowos-b-$$-$RANDOM
	TMP=$(mktemp -d)
	MON=
	trap router_test_cleanup EXIT
}

router_test_cleanup() {
	[ -n "$MON" ] && kill "$MON" 2>/dev/null
	netns_del "$A" "$R" "$B"
	flowos_unload
	rm -rf "$TMP"
}

# router_topology A R B: namespaces A and B on either side of a router R,
# both families:
#   A a0 10.0.1.1 fd01::1 -- r0 10.0.1.2 fd01::2  R  r1 10.0.2.2 fd02::2 -- b0 10.0.2.1 fd02::1 B
router_topology() {
	local ns

	for ns in "$1" "$2" "$3"; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
	router_link "$1" a0 10.0.1.1 fd01::1 "$2" r0 10.0.1.2 fd01::2 &&
	router_link "$2" r1 10.0.2.2 fd02::2 "$3" b0 10.0.2.1 fd02::1 &&
	ip -n "$1" route add default via 10.0.1.2 &&
	ip -n "$1" -6 route add default via fd01::2 &&
	ip -n "$3" route add default via 10.0.2.2 &&
	ip -n "$3" -6 route add default via fd02::2 &&
	ip netns exec "$2" sysctl -qw net.ipv4.ip_forward=1 &&
	ip netns exec "$2" sysctl -qw net.ipv6.conf.all.forwarding=1
}

router_link() { # NS1 DEV1 ADDR1 ADDR1_6 NS2 DEV2 ADDR2 ADDR2_6
	ip link add "$2" netns "$1" type veth peer name "$6" netns "$5" &&
	ip -n "$1" addr add "$3/24" dev "$2" &&
	ip -n "$1" addr add "$4/64" dev "$2" nodad &&
	ip -n "$5" addr add "$7/24" dev "$6" &&
	ip -n "$5" addr add "$8/64" dev "$6" nodad &&
	ip -n "$1" link set "$2" up && ip -n "$5" link set "$6" up
}

# tcp_sink NS ADDR PORT: accept one TCP connection, read it to the end,
# print how many bytes came.
tcp_sink() {
	ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); c, _ = s.accept()
n = 0
while True:
    d = c.recv(65536)
    if not d: break
    n += len(d)
print(n)' "$2" "$3"
}

# listening NS PORT [PROTO]: a socket of NS waits on PORT (PROTO t, the
# default, or u).  Polled with slowwait: a function, not a bash -c.
listening() {
	[ -n "$(ip netns exec "$1" ss -Hl"${3:-t}"n "sport = :$2")" ]
}

# time_waiting NS PORT: a TCP connection of NS to PORT is in TIME-WAIT,
# so its FIN was acknowledged.
time_waiting() {
	[ -n "$(ip netns exec "$1" ss -Htn state time-wait "dport = :$2")" ]
}

# tcp_capture A B BYTES PCAP COUNT_CMD: send BYTES over TCP from
# namespace A (veth_pair's) to 10.0.0.2:80 in B while tcpdump keeps what
# reaches B's vb for port 80 in PCAP.  Returns once A's socket is in
# TIME-WAIT (its last ACK is out) and COUNT_CMD, a shell command, prints
# as many packets as the capture holds: an over-count never would.
# Prints the bytes B received.  A sends without TSO or GSO, so that the
# capture holds the packets as a link carries them, one frame each
# (gso.sh is where aggregates are counted).
tcp_capture() {
	local a=$1 b=$2 bytes=$3 pcap=$4 count=$5 dump server

	ip netns exec "$a" ethtool -K va tso off gso off >/dev/null || return 1
	ip netns exec "$b" tcpdump -U -n -i vb -w "$pcap" 'tcp dst port 80' \
		2>"$pcap.err" &
	dump=$!
	slowwait 20 grep -q 'listening on' "$pcap.err"
	tcp_sink "$b" 10.0.0.2 80 >"$pcap.received" &
	server=$!
	slowwait 20 listening "$b" 80
	ip netns exec "$a" python3 -c '
import socket, sys
s = socket.create_connection(("10.0.0.2", 80)); s.sendall(b"y" * int(sys.argv[1])); s.close()' "$bytes"
	wait "$server"
	slowwait 20 time_waiting "$a" 80
	slowwait 20 bash -c "[ \"\$($count)\" = \$(tcpdump -r $pcap 2>/dev/null | wc -l) ]"
	kill "$dump"
	wait "$dump" 2>/dev/null
	cat "$pcap.received"
}

# pcap_holds PCAP N: the capture file PCAP holds N packets or more (a
# capture still running may not have written the last ones yet).
pcap_holds() {
	[ "$(tcpdump -r "$1" 2>/dev/null | wc -l)" -ge "$2" ]
}

# pcap_ip_totals PCAP: "PACKETS BYTES", IP-layer, as tshark counts them.
pcap_ip_totals() {
	tshark -r "$1" -T fields -e ip.len 2>/dev/null |
		awk '{ n++; s += $1 } END { print n + 0, s + 0 }'
}

# expect_refused DESCRIPTION MESSAGE COMMAND...: one KTAP result, a pass
# if COMMAND fails and its output says MESSAGE.
expect_refused() {
	local desc=$1 msg=$2 err rc

	shift 2
	err=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && grep -qF -- "$msg" <<<"$err"; then
		ktap_test_pass "$desc"
	else
		ktap_print_msg "said ($rc): $err"
		ktap_test_fail "$desc"
	fi
}

EVALD_PY=$FLOWOS_REPO/selftests/lib/evald.py

# evald_start: start selftests/lib/evald.py, one Python that evaluates
# this test's pm_eval, truth_eval and json_eval expressions (a Python
# start costs about 0.6 s of a guest's CPU, and a test may have dozens
# of them); without it, each starts a Python of its own.  A test calls
# it in its own shell, not a subshell, so that the shell holds the
# FIFOs: command substitutions and pipelines inherit them.  evald is
# disowned, so that a test's "wait" does not wait for it, it holds
# none of the test's output, and it ends when the test's shell does,
# removing its directory.
evald_start() {
	# This shell's pid, read here: in the command run with "&", already
	# a child, BASHPID would be the child's own.
	local dir shell=$BASHPID

	dir=$(mktemp -d) && mkfifo "$dir/req" "$dir/ans" || return 1
	python3 "$EVALD_PY" "$dir" "$shell" </dev/null >/dev/null 2>&1 &
	EVALD_PID=$!
	disown "$EVALD_PID"
	# Read-write: an open that does not wait for the other end, and a
	# FIFO that stays open whatever evald does.
	exec {EVALD_REQ}<>"$dir/req" {EVALD_ANS}<>"$dir/ans"
	EVALD_JSON=$dir/stats.json
}

evald_running() {
	[ -n "${EVALD_PID:-}" ] && kill -0 "$EVALD_PID" 2>/dev/null
}

# evald KIND FILE NAME EXPR: print the value of EXPR over the JSON in
# FILE (see evald.py); false, with the traceback on standard error, if
# the expression failed.  Called from one process at a time, never
# from two background jobs.  Without evald running (not started, or
# gone), a Python of its own.
evald() {
	local answer="" part rc

	if ! evald_running; then
		python3 "$EVALD_PY" --once "$@"
		return
	fi
	printf '%s\0' "$@" >&"$EVALD_REQ" || return 1
	until IFS= read -r -d '' -t 10 -u "$EVALD_ANS" part; do
		rc=$?
		answer+=$part
		# A timeout (a status over 128) while evald runs: wait on.
		if [ "$rc" -le 128 ] || ! kill -0 "$EVALD_PID" 2>/dev/null; then
			echo "evald: no answer to $4" >&2
			return 1
		fi
	done
	answer+=$part
	if [ "${answer:0:1}" = 0 ]; then
		printf '%s' "${answer:1}"
		return 0
	fi
	printf '%s' "${answer:1}" >&2
	return 1
}

# evald_stdin KIND NAME EXPR: evald over the JSON on standard input.
evald_stdin() {
	if evald_running; then
		cat >"$EVALD_JSON" && evald "$1" "$EVALD_JSON" "$2" "$3"
	else
		evald "$1" /dev/stdin "$2" "$3"
	fi
}

# pm_eval NETNS FLOW NAME EXPR: print a Python expression over the PM
# instance NAME of FLOW in NETNS as "flowctl -j stats" shows it: p is
# the instance, r its results.
pm_eval() {
	ip netns exec "$1" "$FLOWOS_REPO/tools/flowctl/flowctl" -j stats "$2" |
		evald_stdin pm "$3" "$4"
}

# truth_eval EXPR FILE: a Python expression over the JSON in FILE (t),
# the truth a test computed from a capture with tshark.
truth_eval() {
	evald truth "$2" "" "$1"
}

# json_eval EXPR: a Python expression over the JSON document on standard
# input (d).
json_eval() {
	evald_stdin json "" "$1"
}

# replay_pcap NS_A NS_B FLOW PCAP [TCPREPLAY_OPTION...]: send PCAP from
# va in NS_A (veth_pair's), from one CPU so that it stays in order
# (--topspeed unless told), and wait until every PM instance on FLOW in
# NS_B has processed as many units as PCAP has packets (or
# $REPLAY_EXPECT, where B's stack drops some before any hook).
replay_pcap() {
	local a=$1 b=$2 flow=$3 pcap=$4 sent

	shift 4
	sent=${REPLAY_EXPECT:-$(tcpdump -nr "$pcap" 2>/dev/null | wc -l)}
	[ "$sent" -gt 0 ] || return 1
	ip netns exec "$a" taskset -c 0 tcpreplay -q "${@:---topspeed}" -i va \
		"$pcap" >/dev/null 2>&1 || return 1
	slowwait 30 all_processed "$b" "$flow" "$sent"
}

# all_processed NS FLOW N: every PM instance on FLOW has processed N
# units or more (flowos_nl, a C program: this runs every 0.1 s, where
# a python start would take most of a guest's CPU).
all_processed() {
	local out

	out=$(ip netns exec "$1" "$FLOWOS_NL" stats "$2") || return 1
	awk -v n="$3" '
		/^flow=/ { lines++; for (i = 1; i <= NF; i++) if ($i ~ /^processed=/) {
			counted++; split($i, kv, "="); if (kv[2] + 0 < n) short = 1 } }
		END { exit short || !lines || counted != lines }' <<<"$out"
}

# pm_stat NS FLOW NAME KEY: a counter or scalar result of instance NAME
# of FLOW, as flowos_nl reads it (a C program: quick to start, where
# a python start costs a second in a guest).
pm_stat() {
	ip netns exec "$1" "$FLOWOS_NL" stats "$2" "$3" | head -n 1 |
		tr ' ' '\n' | sed -n "s/^$4=//p"
}

# pid_running PID: PID runs (a zombie, dead but not yet reaped, does
# not).  Builtins only: this is polled.
pid_running() {
	local stat

	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# none_running PID...: none of them runs.
none_running() {
	local pid

	for pid in "$@"; do
		pid_running "$pid" && return 1
	done
	return 0
}

# stop_pids PID...: SIGTERM, then SIGKILL for what still runs 5 s later.
# A daemon left behind holds the runner's output open, and the guest
# then never ends (pmacct's nfacctd has outlived a second SIGTERM).
stop_pids() {
	[ $# -gt 0 ] || return 0
	kill "$@" 2>/dev/null
	slowwait 5 none_running "$@" || kill -KILL "$@" 2>/dev/null
}

# netns_del NS...: stop what runs in each namespace, then delete it.
netns_del() {
	local ns

	for ns in "$@"; do
		# shellcheck disable=SC2046
		stop_pids $(ip netns pids "$ns" 2>/dev/null)
		ip netns del "$ns" 2>/dev/null
	done
}

# flowctl_in NS ARGS...: flowctl in namespace NS.
flowctl_in() {
	local ns=$1

	shift
	ip netns exec "$ns" "$FLOWOS_REPO/tools/flowctl/flowctl" "$@"
}

# flowos_unload: remove every PM module loaded, then flowos; true when
# all are gone.  A namespace deleted just before is torn down later, by
# the kernel's cleanup_net worker, and its PM instances pin their modules
# until then: so each rmmod is retried for a while, and a test that
# stopped half way (killed by its timeout) does not leave the next one
# unable to load flowos.
flowos_unload() {
	local m

	for m in $(awk '$1 ~ /^flowos_pm_/ { print $1 }' /proc/modules); do
		slowwait 60 rmmod "$m" 2>/dev/null || return 1
	done
	[ -d /sys/module/flowos ] || return 0
	slowwait 60 rmmod flowos 2>/dev/null && [ ! -d /sys/module/flowos ]
}
