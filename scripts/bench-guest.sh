#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of "make bench": receive-path cost per packet, measured
# with pktgen (xmit_mode netif_receive) on a dummy device, 64-byte UDP
# frames (60 + FCS) from many 5-tuples, under qemu's instruction-counting
# clock, where a guest nanosecond is one instruction: pps in guest time
# is an exact, repeatable proxy for instructions per packet.
#
#   bench-guest.sh BUILD_DIR PACKETS ROUNDS [PROFILE]
#   bench-guest.sh BUILD_DIR PACKETS ROUNDS smp
#
# Prints one CSV line per run: round,config,packets,pps,drops (units the
# PMs did not get).  Configurations run interleaved within each round.
# The single vCPU that icount needs runs pktgen's thread and the PM
# threads in turn, so the flow's rings (qlen 65536) hold a whole run, in
# case a PM gets the CPU late: PACKETS stays below that, and a run with
# drops says so.
#
# PROFILE, a list of configurations, runs each once more under perf:
# a cpu-clock sample every PERIOD guest ns, which icount makes every
# PERIOD instructions.  It prints profile,CONFIG,SAMPLES,COMM,SYMBOL
# lines: SAMPLES x PERIOD / PACKETS is what SYMBOL costs per packet in
# task COMM (kpktgend_0 runs the receive path, hook included).
#
# "smp" runs the scaling configurations instead, on a guest with two
# vCPUs and the ordinary clock (icount needs one vCPU): one or both
# CPUs receiving, PACKETS each, with the count PM run by 1 or 2
# workers.  A run lasts until the PMs have been through every unit, so
# pps there is what the receive path and the PM sustain together.
set -u

BUILD=${1:?usage: bench-guest.sh BUILD_DIR PACKETS ROUNDS}
PACKETS=${2:-60000}
ROUNDS=${3:-3}
PROFILE=${4:-}
PERIOD=10000
# pktgen's frame without the FCS: 14 bytes of Ethernet, 46 of IP.
FRAME=60
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FLOWCTL=$REPO/tools/flowctl/flowctl
DEV=bench0

# shellcheck source=scripts/pktgen-lib.sh
. "$REPO/scripts/pktgen-lib.sh"

# pktgen's name for DEV on the thread of CPU $1: "DEV", then "DEV@N".
cpu_dev() { if [ "$1" -eq 0 ]; then echo "$DEV"; else echo "$DEV@$1"; fi; }

# setup_pktgen [CPUS]: pktgen's threads on CPUs 0..CPUS-1 (1) each send
# from DEV ("DEV@N" on CPU N but the first).
setup_pktgen() {
	local cpus=${1:-1} mac cpu dev

	modprobe pktgen && modprobe nf_defrag_ipv4 && modprobe nf_defrag_ipv6 || return 1
	[ -e /sys/class/net/$DEV ] ||
		{ ip link add $DEV type dummy && ip link set $DEV up; } || return 1
	mac=$(cat /sys/class/net/$DEV/address)
	for cpu in $(seq 0 $(($(nproc) - 1))); do
		pg "kpktgend_$cpu" "rem_device_all" || return 1
		[ "$cpu" -lt "$cpus" ] || continue
		dev=$(cpu_dev "$cpu")
		# 256 sources x 16 source ports: 4096 distinct 5-tuples.
		pg "kpktgend_$cpu" "add_device $dev" &&
			pktgen_udp "$dev" "$mac" "$FRAME" 256 16 || return 1
	done
}

# profile_start CONFIG: start pktgen under perf and report at once, while
# the modules of CONFIG are still loaded (perf resolves their symbols
# through /proc/kallsyms).
profile_start() {
	perf record -q -a -e cpu-clock -c "$PERIOD" -o "/tmp/perf-$1.data" -- \
		sh -c "echo start >/proc/net/pktgen/pgctrl" 2>/dev/null
	profile_report "$1"
}

# profile_report CONFIG: perf's samples of CONFIG, by task and symbol.
profile_report() {
	local data=/tmp/perf-$1.data

	perf report -i "$data" --stdio --sort comm,sym -n -t , \
		--percent-limit 0 2>/dev/null |
		sed -n "s/ *, */,/g
			s/^ *[0-9.]*%,\([0-9]*\),\([^,]*\),\[.\] \(.*[^ ]\) *\$/profile,$1,\1,\2,\3/p" \
		>"/tmp/perf-$1.csv"
	rm -f "$data"
}

# settle: 2 s of guest time before a measured run.  What the last
# configuration's teardown left to RCU callbacks and deferred frees
# (a map's, a flow's) would otherwise run inside this run: issue 21
# measured 7-12% outliers in the no-hook and tc rows without the pause,
# within 1.7% with it (2026-12-03 here: within 0.7%).  Under icount an idle guest's
# clock jumps to its next timer, so this costs little real time.
settle() { sleep 2; }

# run COUNT: send COUNT packets, print the pps pktgen measured.
run() {
	pg $DEV "count $1"
	settle
	if [ -n "${PROFILING:-}" ]; then
		profile_start "$PROFILING"
	else
		pg pgctrl start
	fi
	sed -n 's/^ *\([0-9]*\)pps.*/\1/p' /proc/net/pktgen/$DEV
}

PMS="count stats match ipfix tcpstats"

load_flowos() {
	local pm

	insmod "$BUILD/kmod/flowos.ko" || return 1
	for pm in $PMS; do
		insmod "$BUILD/pms/$pm/flowos_pm_$pm.ko" || return 1
	done
}

# Deleting the flows detaches the PMs; then the modules go.
unload_flowos() {
	local pm

	"$FLOWCTL" delete hit
	for pm in $PMS; do
		rmmod "flowos_pm_$pm"
	done
	rmmod flowos
}

# flows_with_match N: one flow, the match PM with N patterns that never
# occur, so that the automaton's cost is measured, not counting hits.
flows_with_match() {
	local args=(match) i

	for i in $(seq 1 "$1"); do
		args+=(pattern "$(printf 'absent-%04d' "$i")")
	done
	flows_with 1 "${args[@]}"
}

# Each config: set up, run, report, tear down.
cfg_nohook() { run "$PACKETS"; }

# A nap of 100 ms of guest time, without a fork whose instructions
# would count.  The runs that poll for their end are timed by busy time
# (drained_run), so an end seen late costs nothing, but each poll costs:
# the profile of flowos_count_drained put bash's polls every 5 ms at
# about 470 instructions a packet, a quarter of the row.  Every 100 ms,
# a run of 60000 packets polls four or five times.
exec {NAP_FD}<> <(:)
nap() { read -r -t 0.1 -u "$NAP_FD"; }

# busy_ns: set BUSY to how long the CPU has run tasks, idle left out,
# in ns (under icount, instructions): cpu0's rq_cpu_time in
# /proc/schedstat, which grows each time a task is switched out.  A
# task reading it misses only its own time since it was switched in:
# bash, just back from a nap or a fork, a few microseconds.
busy_ns() {
	local cpu

	# cpuN yld_count 0 sched_count sched_goidle ttwu_count ttwu_local
	# rq_cpu_time run_delay pcount
	while read -r cpu _ _ _ _ _ _ BUSY _; do
		[ "$cpu" = cpu0 ] && return 0
	done </proc/schedstat
	echo "bench: no cpu0 in /proc/schedstat" >&2
	return 1
}

# wait_for END: until END, a poll as drained_run's, comes true; 1 if it
# never does (a packet lost would leave it waiting for good): 20000
# polls, 2000 s of guest time, which an idle guest skips through.
wait_for() {
	local tries=0

	until "$1"; do
		tries=$((tries + 1))
		[ "$tries" -lt 20000 ] || { echo "bench: $1 never came true" >&2; return 1; }
	done
}

# drained_run END: PACKETS sent, timed until END, a shell function of
# builtins only, returns 0: every packet has been sent and has been
# through.  END may block, or poll (once, with a nap, returning 1 if
# not yet).  Sets
# DRAINED_PPS (0 if END never came).  Not run in a subshell, whose fork
# would count, and so that END may wait for the main shell's jobs.  For
# the configurations whose packets go on on another task than pktgen's
# (the PM thread, the NFQUEUE program), which pktgen's own pps leaves
# out though the single vCPU runs it too.
drained_run() {
	local t0 t1 perf perf_ctl perf_ack pktgen ended=0

	DRAINED_PPS=0
	pg $DEV "count $PACKETS"
	settle
	# Profiled, perf samples until every packet is through, not only
	# while pktgen sends.  It starts disabled and is enabled through its
	# control FIFO once ready (its start takes longer than a run here);
	# the FIFOs are opened read-write so that no open waits for perf.
	if [ -n "${PROFILING:-}" ]; then
		rm -f /tmp/perf.ctl /tmp/perf.ack
		mkfifo /tmp/perf.ctl /tmp/perf.ack
		exec {perf_ctl}<>/tmp/perf.ctl {perf_ack}<>/tmp/perf.ack
		perf record -q -a -e cpu-clock -c "$PERIOD" -D -1 \
			--control fifo:/tmp/perf.ctl,/tmp/perf.ack \
			-o "/tmp/perf-$PROFILING.data" 2>/dev/null &
		perf=$!
		echo enable >&"$perf_ctl" && read -r -t 300 -u "$perf_ack" ||
			echo "bench: perf did not start" >&2
	fi
	# The run's time is the CPU's busy time, not the clock's: under
	# icount an idle guest's clock jumps to its next timer, and both
	# ends of pktgen's start wait on timers (its thread sees the command
	# when it next polls, every 100 ms; the command returns on a sleep's
	# edge, 125 ms and then 100 ms at a time), as does a passive PM's
	# last partial batch (the 20 ms tick).  The start command runs in
	# the background (a fork, the same in every drained row), and the
	# run ends when END says, which must see every packet through.
	busy_ns || return 1
	t0=$BUSY
	pg pgctrl start &
	pktgen=$!
	wait_for "$1" && ended=1
	busy_ns || return 1
	t1=$BUSY
	wait "$pktgen"
	if [ -n "${PROFILING:-}" ]; then
		echo disable >&"$perf_ctl" && read -r -t 60 -u "$perf_ack"
		kill -INT "$perf" && wait "$perf"
		exec {perf_ctl}>&- {perf_ack}>&-
		rm -f /tmp/perf.ctl /tmp/perf.ack
		profile_report "$PROFILING"
	fi
	[ "$ended" = 1 ] || return 1
	DRAINED_PPS=$((PACKETS * 1000000000 / (t1 - t0)))
}

# poll_at_least FILE N: whether the counter in FILE has reached N; if
# not, a nap first.
poll_at_least() {
	local n

	read -r n <"$1" && [ "$n" -ge "$2" ] && return 0
	nap
	return 1
}

# The inline flow "hit" with the count PM: each packet held, counted and
# re-injected.  Lost means bypassed, dropped on overflow or lost: then
# "reinjected" never comes to PACKETS, and the run fails.
INLINE=/sys/kernel/flowos/flows/hit

# What the flow "hit" dropped for want of ring or memory.
flow_drops() {
	local r m

	read -r r <"$INLINE/ring_drops" && read -r m <"$INLINE/mem_drops" &&
		echo $((r + m))
}
inline_settled() { poll_at_least "$INLINE/reinjected" "$PACKETS"; }

# The passive flow "hit" with the count PM, timed until the PM has been
# through every unit: the same work as cfg_inline_count but the hold.
# COUNT_UNITS: the units it has been through then, all runs together.
COUNT=$INLINE/pms/count
count_settled() { poll_at_least "$COUNT/processed" "$COUNT_UNITS"; }

cfg_count_drained() {
	local n

	load_flowos || return 1
	"$FLOWCTL" create hit proto udp dport 9 qlen 65536 &&
		"$FLOWCTL" attach hit count || return 1
	COUNT_UNITS=$PACKETS drained_run count_settled
	read -r n <"$INLINE/packets_in"
	# A flow that matched nothing would have had nothing to wait for.
	[ "$n" -ge "$PACKETS" ] || DRAINED_PPS=0
	echo "$DRAINED_PPS $(flow_drops)"
	unload_flowos
}

# The count PM's table at scale: N live 5-tuples, N/16 sources x 16
# source ports, in a table of N (max_subflows N), every packet of the
# run a hit on one of them.  The table is filled first: for each port,
# the sources in order, in chunks the ring holds.  The run then draws
# as the other rows do (pktgen_udp, random sources and ports), so that
# N = 4096 is flowos_count_drained with its table full, and the rows
# differ from it only in the table's size.  The run fails unless the
# table holds N sub-flows, evicted none and counted every packet.  On
# stderr, "memory,CONFIG,B": the attach charged B bytes per sub-flow
# (measured beside an instance attached first, which made the ring).
SCALE_PORTS=16
SCALE_CHUNK=32768

scale_fill() {
	local sources=$(($1 / SCALE_PORTS)) port first chunk

	COUNT_UNITS=0
	for ((port = 1000; port < 1000 + SCALE_PORTS; port++)); do
		for ((first = 0; first < sources; first += chunk)); do
			chunk=$((sources - first < SCALE_CHUNK ? sources - first : SCALE_CHUNK))
			pktgen_udp_seq $DEV "$first" "$chunk" "$port" &&
				pg $DEV "count $chunk" && pg pgctrl start || return 1
			COUNT_UNITS=$((COUNT_UNITS + chunk))
			wait_for count_settled || return 1
		done
	done
}

# Whatever happens in a scale run, the next configuration finds flowos
# unloaded and pktgen drawing its usual 4096 5-tuples.
cfg_count_scale() {
	local rc

	count_scale "$@"
	rc=$?
	[ ! -d /sys/module/flowos ] || unload_flowos 2>/dev/null
	pktgen_udp $DEV "$MAC" "$FRAME" 256 16
	return $rc
}

count_scale() {
	local n=$1 mem0 mem1 subflows evictions packets drops

	load_flowos || return 1
	"$FLOWCTL" create hit proto udp dport 9 qlen 65536 &&
		"$FLOWCTL" attach hit count name probe max_subflows 16 || return 1
	read -r mem0 </sys/kernel/flowos/memory_used
	"$FLOWCTL" attach hit count max_subflows "$n" || return 1
	read -r mem1 </sys/kernel/flowos/memory_used
	"$FLOWCTL" detach hit probe || return 1
	echo "memory,$2,$(((mem1 - mem0) / n))" >&2
	scale_fill "$n" && pktgen_udp $DEV "$MAC" "$FRAME" $((n / SCALE_PORTS)) \
		$SCALE_PORTS || return 1
	COUNT_UNITS=$((n + PACKETS)) drained_run count_settled
	read -r subflows <"$COUNT/subflows" && read -r evictions <"$COUNT/evictions" &&
		read -r packets <"$COUNT/packets"
	drops=$(flow_drops)
	[ "$subflows $evictions $packets $drops" = "$n 0 $((n + PACKETS)) 0" ] || {
		echo "bench: $2: subflows $subflows of $n, evictions $evictions," \
			"packets $packets of $((n + PACKETS)), drops $drops" >&2
		DRAINED_PPS=0
	}
	echo "$DRAINED_PPS $drops"
}

# The ipfix PM on the passive flow "hit", exporting to a collector that
# never reads (ipfix_sink: a bound UDP socket; what it does not take is
# dropped at its queue), timed until the PM has been through every unit.
# max_flows $1: 65536 holds every 5-tuple of the run (the cost of keeping
# records), 256 holds few of pktgen's 4096 (nearly every packet evicts a
# record, exported then: the cost of a record).  Prints "pps drops", and
# on stderr "records,CONFIG,N": the records exported during the run.
IPFIX=/sys/kernel/flowos/flows/hit/pms/ipfix
ipfix_settled() { poll_at_least "$IPFIX/processed" "$PACKETS"; }

ipfix_sink() {
	python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 4739))
time.sleep(1e9)' &
}

cfg_ipfix_drained() {
	local records

	load_flowos || return 1
	"$FLOWCTL" create hit proto udp dport 9 qlen 65536 &&
		"$FLOWCTL" attach hit ipfix collector 127.0.0.1:4739 max_flows "$1" ||
		return 1
	drained_run ipfix_settled
	read -r records <"$IPFIX/records"
	echo "records,$2,$records" >&2
	echo "$DRAINED_PPS $(flow_drops)"
	unload_flowos
}

cfg_inline_count() {
	local b o l

	load_flowos || return 1
	"$FLOWCTL" create hit proto udp dport 9 qlen 65536 mode inline &&
		"$FLOWCTL" attach hit count || return 1
	drained_run inline_settled
	read -r b <"$INLINE/bypassed" && read -r o <"$INLINE/overflow_drops" &&
		read -r l <"$INLINE/lost"
	echo "$DRAINED_PPS $((b + o + l))"
	unload_flowos
}

# NFQUEUE, the tool people use for this job: an nftables rule queues the
# packets to nfq-accept (tools/nfq-accept, libnetfilter_queue), which
# has each copied to it and accepts it, and exits once it has given
# PACKETS verdicts, each of which re-injected its packet before the
# call returned: the end is its exit, waited for without a poll.  A
# packet the kernel could not queue or deliver never comes to it, so it
# never exits by itself: "timeout" ends it, and it says how many it saw.
# (/proc/net/netfilter/nfnetlink_queue counts those lost, but goes with
# the queue.)
NFQ_ACCEPT=$REPO/tools/nfq-accept/nfq-accept
NFQ_OUT=/tmp/nfq-accept.out

# nfqueue_said WORD: whether nfq-accept has said a line beginning with
# WORD; the line in NFQ_SAID.
nfqueue_said() {
	local line

	while read -r line; do
		[[ $line == "$1"* ]] && { NFQ_SAID=$line; return 0; }
	done <"$NFQ_OUT"
	return 1
}

# nfqueue_done: nfq-accept has ended, its exit status in NFQ_STATUS.
nfqueue_done() {
	wait "$NFQ_PID"
	NFQ_STATUS=$?
}

cfg_nfqueue() {
	local tries=0 seen=0

	nft -f - <<'NFT' || return 1
table ip bench {
	chain pre {
		type filter hook prerouting priority 0;
		udp dport 9 queue num 0
	}
}
NFT
	# Empty before it starts: a line of the last run's is no answer.
	: >"$NFQ_OUT"
	timeout 300 "$NFQ_ACCEPT" 0 "$PACKETS" >>"$NFQ_OUT" &
	NFQ_PID=$!
	until nfqueue_said ready; do
		sleep 0.1
		tries=$((tries + 1))
		[ "$tries" -lt 100 ] || { kill "$NFQ_PID"; nft delete table ip bench; return 1; }
	done
	drained_run nfqueue_done
	nfqueue_said seen && seen=${NFQ_SAID#seen }
	[ "$NFQ_STATUS" = 0 ] && [ "$seen" = "$PACKETS" ] || DRAINED_PPS=0
	nft delete table ip bench
	echo "$DRAINED_PPS $((PACKETS - seen))"
}

# nft_per_tuple HOOK PRIORITY: the nftables reference, a dynamic set
# keeping a counter per 5-tuple, updated at HOOK.
nft_per_tuple() {
	nft -f - <<NFT
table ip bench {
	set flows {
		type ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service
		flags dynamic
		size 65536
	}
	chain c {
		type filter hook $1 priority $2;
		update @flows { ip saddr . ip daddr . meta l4proto . udp sport . udp dport counter }
	}
}
NFT
}

cfg_nftables() {
	nft_per_tuple prerouting -150 || return 1
	run "$PACKETS"
	nft delete table ip bench
}

# The tc eBPF references: tools/bench-bpf/count5.bpf.o's program $1
# (tc_empty, tc_hash, tc_lru) attached alone at DEV's clsact ingress,
# the object loaded afresh for each run (empty maps, as a flowos flow
# starts with an empty table), by bpftool, pinned in bpffs.
BPF_OBJ=$REPO/tools/bench-bpf/count5.bpf.o
BPFFS=/sys/fs/bpf/flowos-bench

bpf_attach() {
	rm -rf "$BPFFS" && mkdir -p "$BPFFS" &&
		bpftool prog loadall "$BPF_OBJ" "$BPFFS/progs" pinmaps "$BPFFS/maps" &&
		tc qdisc add dev $DEV clsact &&
		tc filter add dev $DEV ingress bpf direct-action pinned "$BPFFS/progs/$1"
}

bpf_detach() {
	tc qdisc del dev $DEV clsact
	rm -rf "$BPFFS"
}

# bpf_counted MAP: "PACKETS BYTES" summed over MAP's entries and CPUs,
# and count5_full's (what found no room): every packet received must be
# in one of them.  On stderr, "tuples,MAP,N": the entries MAP holds.
bpf_counted() {
	bpftool -j map dump pinned "$BPFFS/maps/$1" >/tmp/bpf-map.json &&
		bpftool -j map dump pinned "$BPFFS/maps/count5_full" >/tmp/bpf-full.json &&
		python3 - "$1" /tmp/bpf-map.json /tmp/bpf-full.json <<'PY'
import json, sys
packets = nbytes = 0
for path in sys.argv[2:]:
    entries = json.load(open(path))
    for entry in entries:
        # bpftool prints the values by their BTF types under "formatted".
        for v in entry["formatted"]["values"]:
            packets += v["value"]["packets"]
            nbytes += v["value"]["bytes"]
    if path == sys.argv[2]:
        print(f"tuples,{sys.argv[1]},{len(entries)}", file=sys.stderr)
print(packets, nbytes)
PY
}

cfg_tc() {
	local pps counted

	bpf_attach "$1" || { bpf_detach; return 1; }
	pps=$(run "$PACKETS")
	if [ "$1" != tc_empty ]; then
		counted=$(bpf_counted "${2:?}")
		# What the map holds must be what pktgen sent, or the run failed.
		[ "$counted" = "$PACKETS $((PACKETS * (FRAME - 14)))" ] || {
			echo "bench: $1 counted $counted of $PACKETS packets, $((PACKETS * (FRAME - 14))) bytes" >&2
			pps=0
		}
	fi
	bpf_detach
	echo "$pps"
}

# Egress: udp-loop sends PACKETS datagrams of pktgen's size (46 IP
# bytes) from a socket in the guest to 10.4.0.1 port 9, one send() each,
# out of the dummy device EGR, which drops them.  egress_run [END] times
# it (busy_ns, as drained_run) from its start until it has exited and
# END (if given) has seen every packet through; the process's start and
# exit are in every row alike.
# Every datagram must have left EGR, or the run fails (EGRESS_PPS 0).
EGR=egr0
UDP_LOOP=$REPO/tools/udp-loop/udp-loop

# No IPv6 on it: its own solicitations would be counted with the run.
setup_egress() {
	ip link add $EGR type dummy &&
		sysctl -qw net.ipv6.conf.$EGR.disable_ipv6=1 &&
		ip addr add 10.4.0.2/24 dev $EGR && ip link set $EGR up
}

egress_run() {
	local t0 t1 sent tx0 tx1

	EGRESS_PPS=0
	read -r tx0 </sys/class/net/$EGR/statistics/tx_packets
	settle
	busy_ns || return 1
	t0=$BUSY
	sent=$("$UDP_LOOP" 10.4.0.1 9 "$PACKETS" $((FRAME - 14 - 28))) &&
		{ [ -z "${1:-}" ] || wait_for "$1"; } || {
		echo "bench: udp-loop sent ${sent:-none} of $PACKETS" >&2
		return 1
	}
	busy_ns || return 1
	t1=$BUSY
	read -r tx1 </sys/class/net/$EGR/statistics/tx_packets
	[ "$sent $((tx1 - tx0))" = "$PACKETS $PACKETS" ] || {
		echo "bench: udp-loop sent $sent, $EGR sent $((tx1 - tx0)) of $PACKETS" >&2
		return 1
	}
	EGRESS_PPS=$((PACKETS * 1000000000 / (t1 - t0)))
}

# cfg_egress [flowos [DIR [PM]]]: egress_run with no flowos; or with
# flowos's one flow "hit" taking DIR (in: egress skips flowos at once)
# and PM attached to it, every packet counted.
cfg_egress() {
	local out

	if [ $# -eq 0 ]; then
		egress_run
		echo "$EGRESS_PPS 0"
		return
	fi
	load_flowos && "$FLOWCTL" create hit proto udp dport 9 dir "$2" qlen 65536 ||
		return 1
	if [ -n "${3:-}" ]; then
		"$FLOWCTL" attach hit "$3" || return 1
		COUNT_UNITS=$PACKETS egress_run count_settled
	else
		egress_run
	fi
	read -r out <"$INLINE/packets_out"
	[ "$2" = in ] || [ "$out" = "$PACKETS" ] || {
		echo "bench: flow hit counted $out of $PACKETS" >&2
		EGRESS_PPS=0
	}
	echo "$EGRESS_PPS $(flow_drops)"
	unload_flowos
}

# The nftables reference on egress: cfg_nftables's set, at output.
cfg_egress_nftables() {
	nft_per_tuple output 0 || return 1
	egress_run
	nft delete table ip bench
	echo "$EGRESS_PPS 0"
}

# TCP, for the PMs that need it (tcpstats): a real capture
# (selftests/captures/http.pcap, one HTTP connection and its DNS
# lookup) replayed by tcpreplay from the namespace tcptx over veth into
# tcpv1, looped to about PACKETS packets, each loop the connection
# anew.  The destination MACs are rewritten to tcpv1's (tcprewrite), or
# the stack would drop the frames as another host's before any hook;
# the destinations are not local, so it drops them after routing.
# tcp_run [END] times it by busy time, tcpreplay's own work in every row
# alike, until IP has taken every packet and END (if given) has seen
# every TCP segment through a PM.
TCP_PCAP=/tmp/bench-tcp.pcap

setup_tcp() {
	local mac

	ip netns add tcptx &&
		ip link add tcpv0 netns tcptx type veth peer name tcpv1 &&
		ip netns exec tcptx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
		sysctl -qw net.ipv6.conf.tcpv1.disable_ipv6=1 &&
		ip -n tcptx link set tcpv0 up && ip link set tcpv1 up || return 1
	mac=$(cat /sys/class/net/tcpv1/address)
	tcprewrite --enet-dmac="$mac" --infile="$REPO/selftests/captures/http.pcap" \
		--outfile="$TCP_PCAP" || return 1
	# Once, so that tcpreplay's first start (its binary and libraries
	# read over 9p) is in no row.
	ip netns exec tcptx tcpreplay -q -K --topspeed -i tcpv0 "$TCP_PCAP" \
		>/dev/null 2>&1 || return 1
	TCP_LOOP_IP=$(tcpdump -nr "$TCP_PCAP" ip 2>/dev/null | wc -l)
	TCP_LOOP_SEGS=$(tcpdump -nr "$TCP_PCAP" tcp 2>/dev/null | wc -l)
	TCP_LOOPS=$((PACKETS / TCP_LOOP_IP))
	TCP_SEGS=$((TCP_LOOPS * TCP_LOOP_SEGS))
}

# ip_received: set IN to the IPv4 packets the stack has received
# (/proc/net/snmp's InReceives).
ip_received() {
	local name forwarding

	# "Ip: Forwarding DefaultTTL InReceives ...", then its values.
	while read -r name forwarding _ IN _; do
		[ "$name" = Ip: ] && [ "$forwarding" != Forwarding ] && return 0
	done </proc/net/snmp
	return 1
}

# ip_took_all: IP has taken every frame of the replay (TCP_IN), or a nap.
ip_took_all() {
	ip_received && [ "$IN" -ge "$TCP_IN" ] && return 0
	nap
	return 1
}

tcp_run() {
	local t0 t1 in0

	TCP_PPS=0
	ip_received && in0=$IN || return 1
	settle
	busy_ns || return 1
	t0=$BUSY
	ip netns exec tcptx tcpreplay -q -K --topspeed --loop="$TCP_LOOPS" \
		-i tcpv0 "$TCP_PCAP" >/dev/null 2>&1 || return 1
	TCP_IN=$((in0 + TCP_LOOPS * TCP_LOOP_IP))
	wait_for ip_took_all && { [ -z "${1:-}" ] || wait_for "$1"; } || return 1
	busy_ns || return 1
	t1=$BUSY
	TCP_PPS=$((TCP_LOOPS * TCP_LOOP_IP * 1000000000 / (t1 - t0)))
}

# cfg_tcp [flowos [PM]]: tcp_run with no flowos; or with the flow "hit"
# taking TCP, and PM attached to it, which must process every segment.
TCP_PM=
tcp_settled() { poll_at_least "$INLINE/pms/$TCP_PM/processed" "$TCP_SEGS"; }

cfg_tcp() {
	local seen

	if [ $# -eq 0 ]; then
		tcp_run
		echo "$TCP_PPS 0"
		return
	fi
	load_flowos && "$FLOWCTL" create hit proto tcp qlen 65536 || return 1
	if [ -n "${2:-}" ]; then
		TCP_PM=$2
		"$FLOWCTL" attach hit "$2" || return 1
		tcp_run tcp_settled
	else
		tcp_run
	fi
	read -r seen <"$INLINE/packets_in"
	[ "$seen" = "$TCP_SEGS" ] || {
		echo "bench: flow hit saw $seen of $TCP_SEGS TCP segments" >&2
		TCP_PPS=0
	}
	[ "${2:-}" != tcpstats ] ||
		echo "conns,$2,$("$FLOWCTL" -j stats hit | python3 -c 'import json, sys
r = json.load(sys.stdin)["pms"][0]["results"]
print(r["conns_opened"], r["conns_reused"], r["retrans"])')" >&2
	echo "$TCP_PPS $(flow_drops)"
	unload_flowos
}

# flows N [PM [PARAM...]]: N flows, the packets matching the last one
# added, PM attached to it.
flows_with() {
	local n=$1 i pps

	load_flowos || return 1
	for i in $(seq 2 "$n"); do
		"$FLOWCTL" create "f$i" proto udp dport $((20000 + i)) || return 1
	done
	"$FLOWCTL" create hit proto udp dport 9 qlen 65536 || return 1
	shift
	[ $# -eq 0 ] || "$FLOWCTL" attach hit "$@" || return 1
	pps=$(run "$PACKETS")
	echo "$pps $("$FLOWCTL" -j show hit | python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]; print(s["ring_drops"] + s["mem_drops"])')"
	unload_flowos
}

# BENCH_CONFIGS picks some (the table needs nohook and nftables).
CONFIGS=${BENCH_CONFIGS:-"nohook nftables tc_empty tc_hash tc_lru flowos flowos_count flowos_stats
	 flowos_stats_tumbling flowos_stats_sliding flowos_stats_app flowos_match10 flowos_match100 flowos_100 flowos_1000
	 flowos_count_drained flowos_count_4k flowos_count_64k flowos_count_1m flowos_inline_count flowos_ipfix flowos_ipfix_evict nfqueue
	 egress_nohook egress_nftables egress_skip egress_flowos egress_count
	 tcp_nohook tcp_flowos tcp_count tcp_tcpstats"}

one() {
	case $1 in
	nohook) echo "$(cfg_nohook) 0" ;;
	nftables) echo "$(cfg_nftables) 0" ;;
	tc_empty) echo "$(cfg_tc tc_empty) 0" ;;
	tc_hash) echo "$(cfg_tc tc_hash count5_hash) 0" ;;
	tc_lru) echo "$(cfg_tc tc_lru count5_lru) 0" ;;
	flowos) flows_with 1 ;;
	flowos_count) flows_with 1 count ;;
	flowos_stats) flows_with 1 stats ;;
	# Windows short enough that a run turns them (a run is under a
	# second): the same view, whole windows or exactly the last T with
	# every unit kept.
	flowos_stats_tumbling) flows_with 1 stats window 100ms history 4 last 200ms ;;
	flowos_stats_sliding) flows_with 1 stats window 100ms history 4 last 200ms \
		view sliding log 65536 ;;
	# Application protocols: a clone of each packet, its connection.
	flowos_stats_app) flows_with 1 stats proto app ;;
	flowos_match10) flows_with_match 10 ;;
	flowos_match100) flows_with_match 100 ;;
	flowos_100) flows_with 100 ;;
	flowos_1000) flows_with 1000 ;;
	flowos_count_drained) cfg_count_drained ;;
	flowos_count_4k) cfg_count_scale 4096 "$1" ;;
	flowos_count_64k) cfg_count_scale 65536 "$1" ;;
	flowos_count_1m) cfg_count_scale 1048576 "$1" ;;
	flowos_inline_count) cfg_inline_count ;;
	flowos_ipfix) cfg_ipfix_drained 65536 "$1" ;;
	flowos_ipfix_evict) cfg_ipfix_drained 256 "$1" ;;
	nfqueue) cfg_nfqueue ;;
	egress_nohook) cfg_egress ;;
	egress_nftables) cfg_egress_nftables ;;
	egress_skip) cfg_egress flowos in ;;
	egress_flowos) cfg_egress flowos out ;;
	egress_count) cfg_egress flowos out count ;;
	tcp_nohook) cfg_tcp ;;
	tcp_flowos) cfg_tcp flowos ;;
	tcp_count) cfg_tcp flowos count ;;
	tcp_tcpstats) cfg_tcp flowos tcpstats ;;
	esac
}

# The smp configurations: smp_run CPUS [WORKERS] sends PACKETS from each
# of CPUS CPUs, to no flow or (WORKERS given) to a flow with the count PM
# run by WORKERS workers, and prints "pps drops": every packet sent over
# the time from start until the PM has been through the last unit.
smp_run() {
	local cpus=$1 workers=${2:-} t0 t1 cpu backlog drops=0
	local sysfs=/sys/kernel/flowos/flows/hit/pms/count/backlog

	setup_pktgen "$cpus" || return 1
	if [ -n "$workers" ]; then
		load_flowos && "$FLOWCTL" create hit proto udp dport 9 qlen 65536 &&
			"$FLOWCTL" attach hit count workers "$workers" || return 1
	fi
	for cpu in $(seq 0 $((cpus - 1))); do
		pg "$(cpu_dev "$cpu")" "count $PACKETS"
	done
	t0=$(date +%s%N)
	pg pgctrl start
	if [ -n "$workers" ]; then
		while read -r backlog <"$sysfs" && [ "$backlog" != 0 ]; do
			sleep 0.01
		done
	fi
	t1=$(date +%s%N)
	if [ -n "$workers" ]; then
		drops=$("$FLOWCTL" -j show hit | python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]; print(s["ring_drops"] + s["mem_drops"])')
		unload_flowos
	fi
	echo "$((cpus * PACKETS * 1000000000 / (t1 - t0))) $drops"
}

SMP_CONFIGS="cpu1_nohook cpu2_nohook cpu1_count_w1 cpu2_count_w1 cpu2_count_w2"

smp_one() {
	case $1 in
	cpu1_nohook) smp_run 1 ;;
	cpu2_nohook) smp_run 2 ;;
	cpu1_count_w1) smp_run 1 1 ;;
	cpu2_count_w1) smp_run 2 1 ;;
	cpu2_count_w2) smp_run 2 2 ;;
	esac
}

if [ "$PROFILE" = smp ]; then
	[ "$(nproc)" -ge 2 ] || { echo "bench: smp needs 2 CPUs" >&2; exit 1; }
	smp_run 2 >/dev/null	# warm up
	echo "round,config,packets,pps,drops"
	for round in $(seq 1 "$ROUNDS"); do
		for c in $SMP_CONFIGS; do
			read -r pps drops <<<"$(smp_one "$c")"
			echo "$round,$c,$PACKETS,${pps:-0},${drops:-0}"
		done
	done
	exit 0
fi

setup_pktgen || { echo "bench: cannot set up pktgen" >&2; exit 1; }
MAC=$(cat /sys/class/net/$DEV/address)
setup_egress || { echo "bench: cannot set up $EGR" >&2; exit 1; }
setup_tcp || { echo "bench: cannot set up the TCP replay" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
	{ echo "bench: cannot mount bpffs" >&2; exit 1; }
# The tc rows are a reference only with the JIT on, as a production
# kernel runs them (Debian's has it always on): say so.
bpf_attach tc_hash &&
	echo "# bpf: net.core.bpf_jit_enable $(cat /proc/sys/net/core/bpf_jit_enable)," \
		"tc_hash $(bpftool -j prog show pinned "$BPFFS/progs/tc_hash" |
			python3 -c 'import json, sys; p = json.load(sys.stdin); print("jited, %d bytes" % p["bytes_jited"] if p.get("jited") else "NOT jited")')"
bpf_detach
ipfix_sink
run 10000 >/dev/null	# warm up caches and the slab
echo "round,config,packets,pps,drops"
for round in $(seq 1 "$ROUNDS"); do
	for c in $CONFIGS; do
		# Not "< <(one ...)": the next run must wait for this teardown.
		out=$(one "$c")
		read -r pps drops <<<"$out"
		echo "$round,$c,$PACKETS,${pps:-0},${drops:-0}"
	done
done

# The profiles, by kernel symbol.
echo "profile,period,$PERIOD"
for c in $PROFILE; do
	PROFILING=$c one "$c" >/dev/null
	cat "/tmp/perf-$c.csv"
done
