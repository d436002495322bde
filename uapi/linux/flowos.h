/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * flowos: the generic netlink family "flowos", version 1.
 *
 * This header is the protocol manual; kernel and tools share it.
 *
 * Every command works on the network namespace of the socket it arrives
 * on.  Commands that change state need CAP_NET_ADMIN in the initial
 * user namespace (GENL_ADMIN_PERM), not only in the one that owns that
 * network namespace: flows share one memory cap, start kernel threads
 * and may load PM modules, which an unprivileged user who makes a user
 * namespace must not be able to use up.  Reads are open to everyone in
 * the namespace.  Errors come
 * with an extended ack message and, where one attribute is to blame,
 * that attribute's offset.  Unknown attributes are rejected (strict
 * validation).
 *
 * FLOWOS_CMD_FLOW_NEW - create a flow.
 *   FLOWOS_A_FLOW_NAME (required)  string of 1..FLOWOS_NAME_MAX - 1
 *		characters from [A-Za-z0-9_.-], not "." or "..", unique in
 *		the namespace.
 *   Match, each optional; an absent attribute matches anything:
 *   FLOWOS_A_FLOW_FAMILY	u8, AF_INET or AF_INET6.
 *   FLOWOS_A_FLOW_PROTO	u8, IP protocol (after IPv6 extension headers).
 *   FLOWOS_A_FLOW_SRC, FLOWOS_A_FLOW_DST
 *		binary, 4 or 16 bytes, network order; needs FAMILY of the
 *		same size.  FLOWOS_A_FLOW_SRC_PREFIX / _DST_PREFIX (u8)
 *		give the prefix length, the full address when absent.
 *   FLOWOS_A_FLOW_SPORT_MIN, _SPORT_MAX, _DPORT_MIN, _DPORT_MAX
 *		u16, host order, inclusive; needs PROTO tcp, udp or sctp.
 *		A missing MAX equals MIN; MIN must not exceed MAX.
 *   FLOWOS_A_FLOW_ICMP_TYPE, FLOWOS_A_FLOW_ICMP_CODE
 *		u8 each; needs PROTO icmp or icmpv6.
 *   flowos has a namespace with flows reassemble IP fragments before
 *   its hooks (nf_defrag), so flows see whole packets.  A fragment
 *   that reaches them (sent from a socket with IP_NODEFRAG) has no
 *   transport header flowos reads: its ports, ICMP type and code are 0.
 *   FLOWOS_A_FLOW_DSCP	u8, 0..63: the DiffServ code point, the upper
 *		six bits of the IPv4 TOS or IPv6 Traffic Class byte.
 *   FLOWOS_A_FLOW_ECN		u8, 0..3: that byte's two ECN bits (RFC 3168:
 *		0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE).
 *   FLOWOS_A_FLOW_IFINDEX	u32, the device the packet is seen on: the
 *		input device on ingress, the output device on egress.
 *   FLOWOS_A_FLOW_IIFNAME, FLOWOS_A_FLOW_OIFNAME
 *		string of 1..IFNAMSIZ - 1 characters: the name of the
 *		device the packet came in on (on ingress, the one it is
 *		seen on; on egress, a forwarded packet's input device; a
 *		packet sent from the host has none), or of the one it
 *		leaves through (egress only: OIFNAME needs DIR out or
 *		both).  Compared with the device's name at each packet, as
 *		nft's iifname and oifname do: devices may come, go and be
 *		renamed.  A trailing '*' matches every name that begins
 *		with what precedes it.
 *   FLOWOS_A_FLOW_VLAN	u16, 0..4095: the packet's VLAN id: it is seen
 *		on a VLAN device (eth0.100) with that id, or still
 *		carries that tag.  With FLOWOS_A_FLOW_IFINDEX, the device
 *		is the VLAN's parent (eth0), not the VLAN device.
 *   FLOWOS_A_FLOW_DIR		u8, enum flowos_dir; FLOWOS_DIR_IN if absent.
 *   FLOWOS_A_FLOW_PRIORITY	u32; where flows overlap, the highest
 *		priority wins, then the oldest flow.  0 if absent.
 *   FLOWOS_A_FLOW_QLEN	u32, a power of two in 16..65536: units each
 *		per-CPU ring of the flow holds for its PMs (1024 if absent).
 *		A unit that finds the ring full is dropped for the PMs and
 *		counted in FLOWOS_A_STATS_RING_DROPS; flow counters still
 *		count its packet.
 *   FLOWOS_A_FLOW_MODE	u8, enum flowos_flow_mode; passive if absent.
 *		An inline flow holds each packet it matches (the packet
 *		itself, not a copy) while its PM instances work on it in
 *		pipeline order, and passes it on where it was taken once
 *		the last one is done; a read-write PM may change or drop
 *		it.  With no instance attached, its packets pass at once.
 *   FLOWOS_A_FLOW_OVERFLOW	u8, enum flowos_overflow; accept if
 *		absent.  What an inline flow does with a packet it cannot
 *		hold (its ring full, the memory cap reached, its socket or
 *		route going away, a bridged packet): let it pass
 *		unprocessed (FLOWOS_A_STATS_BYPASSED), or drop it
 *		(FLOWOS_A_STATS_OVERFLOW_DROPS).  Needs MODE inline.
 *   FLOWOS_A_FLOW_PIPELINE	the flow's PM instances, installed with it:
 *		a nest of up to FLOWOS_PIPELINE_MAX nests (any type, each
 *		with NLA_F_NESTED), each holding what FLOWOS_CMD_PM_ATTACH
 *		takes but the flow's name (FLOWOS_A_PM_TYPE, _NAME, _ORDER,
 *		_WORKERS, _PARAMS).  The flow matches its first packet only
 *		once every instance has started, so each sees all of its
 *		packets; if one is refused, nothing is created and the
 *		extended ack points into that instance's nest.  (An
 *		instance may announce a FLOWOS_CMD_PM_EVENT before the
 *		flow's FLOWOS_CMD_FLOW_NEW reaches "events".)
 *   Replies with the flow as FLOWOS_CMD_FLOW_GET does, and announces it
 *   on the "events" group, then each instance of its pipeline as
 *   FLOWOS_CMD_PM_ATTACH does.  (Every reply to a "do" carries the command
 *   of its request.)
 *
 * FLOWOS_CMD_FLOW_SET - give the flow FLOWOS_A_FLOW_NAME a new definition
 *   while it runs: the match, PRIORITY, QLEN, MODE and OVERFLOW become
 *   what the request says, as FLOWOS_CMD_FLOW_NEW would make them (an
 *   absent attribute is the default, not the flow's old value).  The
 *   flow keeps its id, counters and PM instances with their state; a
 *   packet is matched by the old definition or by the new one, never
 *   both or neither.  QLEN and MODE change only while no instance is
 *   attached (EBUSY).  Replies with the flow as FLOWOS_CMD_FLOW_GET
 *   does, and announces it on "events" as FLOWOS_CMD_FLOW_SET.
 *
 * FLOWOS_CMD_FLOW_DEL - delete the flow FLOWOS_A_FLOW_NAME; announced on
 *   the "events" group as FLOWOS_CMD_FLOW_DEL with its name and id.
 *
 * FLOWOS_CMD_FLOW_GET - do: the flow FLOWOS_A_FLOW_NAME; dump: every flow
 *   of the namespace, oldest first.  Replies carry FLOWOS_A_FLOW_ID
 *   (u32, never reused within a namespace while the module is loaded),
 *   the attributes the flow was created with (absent ones stay absent)
 *   and FLOWOS_A_FLOW_STATS, a nest of enum flowos_a_stats.  A dump that
 *   overlaps a change is flagged NLM_F_DUMP_INTR.
 *
 * Processing modules (PMs) are kernel modules that register a PM type;
 * attaching one to a flow starts an instance, a kernel thread working on
 * the flow's stream of one layer (enum flowos_layer).
 *
 * FLOWOS_CMD_NET_GET - do: the namespace itself: FLOWOS_A_NET_FLOWS and
 *   FLOWOS_A_NET_MALFORMED, a nest of enum flowos_a_malformed (u64 each):
 *   packets the hooks could not parse, by reason, counted in the
 *   directions the namespace's flows take: with only ingress flows (the
 *   default), packets sent are not parsed at all.  Such packets match
 *   no flow and pass untouched.
 *   Also the memory flowos holds for PMs in all namespaces, its cap and
 *   the attaches the cap refused (FLOWOS_A_NET_MEM_*).
 *
 * FLOWOS_CMD_PM_TYPE_GET - dump: the PM types loaded, one message each:
 *   FLOWOS_A_TYPE_NAME, _LAYER, _MODE, _WORKERS (the most workers an
 *   instance may run) and FLOWOS_A_TYPE_PARAMS, a nest of
 *   FLOWOS_A_TYPE_PARAM nests (enum flowos_a_param_spec).
 *
 * FLOWOS_CMD_PM_ATTACH - start an instance.
 *   FLOWOS_A_PM_FLOW (required)	the flow's name.
 *   FLOWOS_A_PM_TYPE (required)	the PM type.  A type that is not
 *		loaded is loaded by its module alias, "flowos-pm-<type>".
 *   FLOWOS_A_PM_NAME	the instance's name, unique in the flow; the type
 *		name if absent.  Same characters as a flow name.
 *   FLOWOS_A_PM_ORDER	u8, 0..FLOWOS_PM_ORDER_MAX, its place in the
 *		flow's pipeline (0 if absent).  An instance at order k+1
 *		sees a unit only once every instance at lower orders has
 *		released it.  Read-only instances at one order run in
 *		parallel; a read-write one must have its order to itself.
 *   FLOWOS_A_PM_WORKERS	u8, 1..FLOWOS_PM_WORKERS_MAX: how many threads
 *		the instance runs (1 if absent), each on the per-CPU rings
 *		of the CPUs c with c % workers == its index.  At most the
 *		type's FLOWOS_A_TYPE_WORKERS and the number of possible CPUs.
 *   FLOWOS_A_PM_PARAMS	a nest of FLOWOS_A_PM_PARAM nests, each with
 *		FLOWOS_A_PARAM_KEY and FLOWOS_A_PARAM_VALUE (strings), checked
 *		against the type's schema; absent ones take their default.
 *		A key may be given once, except one of FLOWOS_PARAM_STRING.
 *   The instance sees the units that arrive after it is attached.
 *   Replies, and is announced on "events", with FLOWOS_A_PM_FLOW, _NAME,
 *   _TYPE, _ORDER and _WORKERS: read the rest with FLOWOS_CMD_STATS_GET.
 *
 * FLOWOS_CMD_PM_DETACH - stop and free the instance FLOWOS_A_PM_NAME of
 *   the flow FLOWOS_A_PM_FLOW; announced on "events".
 *
 * FLOWOS_CMD_STATS_GET - dump: every instance of the namespace, of the
 *   flow FLOWOS_A_PM_FLOW when given, or only its instance
 *   FLOWOS_A_PM_NAME when that is given too, in attach order.  An
 *   instance is FLOWOS_A_PM_FLOW, _NAME, _TYPE, _ORDER, _WORKERS,
 *   _PARAMS (every parameter, as a string), FLOWOS_A_PM_STATS (enum
 *   flowos_a_pm_stats) and FLOWOS_A_PM_RESULTS: what the PM computed, as
 *   a nest of FLOWOS_A_VALUE nests (enum flowos_a_value), self-describing
 *   so that a tool shows the results of a PM type it has never heard of.
 *   The results of one instance are of any size: they are taken once,
 *   when the dump reaches the instance, and sent in as many messages as
 *   they need ("parts").  Each part has FLOWOS_A_PM_FLOW, _NAME, _TYPE,
 *   _ORDER, _WORKERS and FLOWOS_A_PM_PART, 0 for the first, then 1, 2...
 *   Part 0 starts the body; a later part carries on where the previous
 *   one stopped: a FLOWOS_A_PM_PARAMS or FLOWOS_A_PM_RESULTS nest that
 *   continues holds the next pairs or values, and a table that
 *   continues is a FLOWOS_A_VALUE nest with the same FLOWOS_A_VALUE_NAME
 *   and FLOWOS_A_VALUE_TABLE, holding the next rows.  A part is cut
 *   only between pairs, values and rows, never inside one.  Taking the
 *   results needs memory under the global cap (mem_limit_kb): ENOSPC
 *   if there is not enough.
 *   do: the instance FLOWOS_A_PM_NAME of the flow FLOWOS_A_PM_FLOW, as
 *   one message: EMSGSIZE (with a message saying to dump it) if its body
 *   is larger than one message can be.
 *
 * FLOWOS_CMD_PM_SET - change parameters of a running instance.
 *   FLOWOS_A_PM_FLOW, FLOWOS_A_PM_NAME (required) name it, and
 *   FLOWOS_A_PM_PARAMS (required) holds the new KEY VALUE pairs, as for
 *   FLOWOS_CMD_PM_ATTACH.  Only parameters whose spec has
 *   FLOWOS_A_PARAM_SPEC_LIVE may be given.  The PM keeps what it has
 *   collected.  All or nothing: a refused request changes no parameter.
 *   Replies, and is announced, as FLOWOS_CMD_PM_ATTACH.
 *
 * FLOWOS_CMD_PM_EVENT - only on "events": something a PM instance
 *   announces, such as the stats PM's "heavy_hitter".  FLOWOS_A_PM_FLOW,
 *   _NAME and _TYPE say who, FLOWOS_A_PM_EVENT what, and
 *   FLOWOS_A_PM_RESULTS holds its values as in FLOWOS_CMD_STATS_GET.
 */
#ifndef _UAPI_LINUX_FLOWOS_H
#define _UAPI_LINUX_FLOWOS_H

#define FLOWOS_FAMILY_NAME	"flowos"
#define FLOWOS_FAMILY_VERSION	1
#define FLOWOS_MCGRP_EVENTS	"events"

/* Longest flow name, with its terminating NUL. */
#define FLOWOS_NAME_MAX		32

enum flowos_dir {
	FLOWOS_DIR_IN = 1,	/* PRE_ROUTING: packets received */
	FLOWOS_DIR_OUT,		/* POST_ROUTING: packets sent or forwarded */
	FLOWOS_DIR_BOTH,

	__FLOWOS_DIR_MAX,
	FLOWOS_DIR_MAX = __FLOWOS_DIR_MAX - 1
};

enum flowos_cmd {
	FLOWOS_CMD_UNSPEC,
	FLOWOS_CMD_FLOW_NEW,
	FLOWOS_CMD_FLOW_DEL,
	FLOWOS_CMD_FLOW_GET,
	FLOWOS_CMD_PM_TYPE_GET,
	FLOWOS_CMD_PM_ATTACH,
	FLOWOS_CMD_PM_DETACH,
	FLOWOS_CMD_STATS_GET,
	FLOWOS_CMD_NET_GET,
	FLOWOS_CMD_PM_SET,
	FLOWOS_CMD_PM_EVENT,
	FLOWOS_CMD_FLOW_SET,

	__FLOWOS_CMD_MAX,
	FLOWOS_CMD_MAX = __FLOWOS_CMD_MAX - 1
};

enum flowos_a_flow {
	FLOWOS_A_FLOW_UNSPEC,
	FLOWOS_A_FLOW_PAD,
	FLOWOS_A_FLOW_NAME,
	FLOWOS_A_FLOW_ID,
	FLOWOS_A_FLOW_FAMILY,
	FLOWOS_A_FLOW_PROTO,
	FLOWOS_A_FLOW_SRC,
	FLOWOS_A_FLOW_SRC_PREFIX,
	FLOWOS_A_FLOW_DST,
	FLOWOS_A_FLOW_DST_PREFIX,
	FLOWOS_A_FLOW_SPORT_MIN,
	FLOWOS_A_FLOW_SPORT_MAX,
	FLOWOS_A_FLOW_DPORT_MIN,
	FLOWOS_A_FLOW_DPORT_MAX,
	FLOWOS_A_FLOW_IFINDEX,
	FLOWOS_A_FLOW_DIR,
	FLOWOS_A_FLOW_PRIORITY,
	FLOWOS_A_FLOW_STATS,
	FLOWOS_A_FLOW_QLEN,
	FLOWOS_A_FLOW_MODE,
	FLOWOS_A_FLOW_OVERFLOW,
	FLOWOS_A_FLOW_PIPELINE,
	FLOWOS_A_FLOW_ICMP_TYPE,
	FLOWOS_A_FLOW_ICMP_CODE,
	FLOWOS_A_FLOW_DSCP,
	FLOWOS_A_FLOW_ECN,
	FLOWOS_A_FLOW_IIFNAME,
	FLOWOS_A_FLOW_OIFNAME,
	FLOWOS_A_FLOW_VLAN,

	__FLOWOS_A_FLOW_MAX,
	FLOWOS_A_FLOW_MAX = __FLOWOS_A_FLOW_MAX - 1
};

enum flowos_flow_mode {
	FLOWOS_FLOW_MODE_PASSIVE = 1,	/* PMs see copies; packets pass at once */
	FLOWOS_FLOW_MODE_INLINE,	/* packets wait for the PMs */

	__FLOWOS_FLOW_MODE_MAX,
	FLOWOS_FLOW_MODE_MAX = __FLOWOS_FLOW_MODE_MAX - 1
};

enum flowos_overflow {
	FLOWOS_OVERFLOW_ACCEPT = 1,	/* fail open: pass unprocessed */
	FLOWOS_OVERFLOW_DROP,		/* fail closed: drop */

	__FLOWOS_OVERFLOW_MAX,
	FLOWOS_OVERFLOW_MAX = __FLOWOS_OVERFLOW_MAX - 1
};

/*
 * Counters of a flow (all u64), exact: kept per CPU on the packet path
 * and summed when read.  Packets and bytes are those on the wire: a GSO
 * or GRO packet (TSO, GRO, UDP GSO, BIG TCP) counts as the segments it
 * stands for (gso_segs), and its bytes as theirs, each segment with its
 * own IP and transport headers.  Bytes are IP-layer bytes (header and
 * payload, no link-layer header or padding).  PMs count the same way.
 *
 * Figures that PMs derive from such counts are integers rounded down
 * where the exact value is not whole: a mean is the sum over the count,
 * a standard deviation is the population's, sqrt(sum((v - mean)^2) / n),
 * a rate is per second over the time covered.  A comparison with a
 * threshold (the stats PM's outliers, v > mean + X * stddev, and heavy
 * hitters, v > H percent of the total) is decided on the values before
 * rounding, never on the rounded figures a reply shows (the stats PM:
 * exactly while each count is below 2^47; flowctl.8 says beyond).
 */
enum flowos_a_stats {
	FLOWOS_A_STATS_UNSPEC,
	FLOWOS_A_STATS_PAD,
	FLOWOS_A_STATS_PACKETS_IN,
	FLOWOS_A_STATS_BYTES_IN,
	FLOWOS_A_STATS_PACKETS_OUT,
	FLOWOS_A_STATS_BYTES_OUT,
	FLOWOS_A_STATS_RING_DROPS,	/* units not queued: ring full */
	FLOWOS_A_STATS_MEM_DROPS,	/* units queued without their packet: memory cap */
	/*
	 * Inline flows only, in packets (skbs: a GSO or GRO packet is one).
	 * Every packet held is, in the end, re-injected or dropped:
	 * HELD - REINJECTED - LOST - PM_DROPS is how many are held now.
	 */
	FLOWOS_A_STATS_HELD,		/* packets taken for the PMs */
	FLOWOS_A_STATS_REINJECTED,	/* passed on after the PMs */
	FLOWOS_A_STATS_LOST,		/* held, then dropped by flowos (see flowctl.8) */
	FLOWOS_A_STATS_BYPASSED,	/* not held, passed on: overflow accept */
	FLOWOS_A_STATS_OVERFLOW_DROPS,	/* not held, dropped: overflow drop */
	FLOWOS_A_STATS_PM_DROPS,	/* held, then dropped by a read-write PM */

	__FLOWOS_A_STATS_MAX,
	FLOWOS_A_STATS_MAX = __FLOWOS_A_STATS_MAX - 1
};

enum flowos_a_net {
	FLOWOS_A_NET_UNSPEC,
	FLOWOS_A_NET_PAD,
	FLOWOS_A_NET_FLOWS,	/* u32 */
	FLOWOS_A_NET_MALFORMED,	/* nest: enum flowos_a_malformed */
	FLOWOS_A_NET_MEM_USED,	/* u64: bytes held for PMs, all namespaces */
	FLOWOS_A_NET_MEM_LIMIT,	/* u64: the cap on it (mem_limit_kb) */
	FLOWOS_A_NET_MEM_REFUSED, /* u64: attaches the cap refused */

	__FLOWOS_A_NET_MAX,
	FLOWOS_A_NET_MAX = __FLOWOS_A_NET_MAX - 1
};

/* Why packets could not be parsed (u64 counters). */
enum flowos_a_malformed {
	FLOWOS_A_MALFORMED_UNSPEC,
	FLOWOS_A_MALFORMED_PAD,
	FLOWOS_A_MALFORMED_TRUNCATED,	/* a header runs past the packet */
	FLOWOS_A_MALFORMED_BAD_VERSION,	/* IP version does not match */
	FLOWOS_A_MALFORMED_BAD_IHL,	/* IPv4 header length below 20 */
	/*
	 * IP length below its own header; an IPv4 length of 0 too, but on
	 * a GSO TCP packet (BIG TCP), whose length is the skb's.
	 */
	FLOWOS_A_MALFORMED_BAD_LENGTH,
	FLOWOS_A_MALFORMED_BAD_EXT_HDR,	/* IPv6 extension chain too long */
	FLOWOS_A_MALFORMED_BAD_TCP_DOFF, /* TCP data offset out of range */
	FLOWOS_A_MALFORMED_BAD_UDP_LEN,	/* UDP length out of range */

	__FLOWOS_A_MALFORMED_MAX,
	FLOWOS_A_MALFORMED_MAX = __FLOWOS_A_MALFORMED_MAX - 1
};

/* FLOWOS_A_FLOW_QLEN: its default, and the range it may take. */
#define FLOWOS_QLEN_DEFAULT	1024
#define FLOWOS_QLEN_MIN		16
#define FLOWOS_QLEN_MAX		65536
/* Highest pipeline order of a PM instance. */
#define FLOWOS_PM_ORDER_MAX	7
/* The most instances FLOWOS_A_FLOW_PIPELINE may hold. */
#define FLOWOS_PIPELINE_MAX	32
/* Most threads ("workers") of one PM instance. */
#define FLOWOS_PM_WORKERS_MAX	64

/* The streams of a flow; a unit is in every stream its packet has. */
enum flowos_layer {
	FLOWOS_LAYER_IP = 1,	/* every packet, IPv4 or IPv6 */
	FLOWOS_LAYER_TCP,
	FLOWOS_LAYER_UDP,
	FLOWOS_LAYER_ICMP,	/* ICMP and ICMPv6 */
	FLOWOS_LAYER_PAYLOAD,	/* packets with transport payload bytes */
	/*
	 * TCP segments with payload, SYN, FIN or RST, and UDP datagrams
	 * with payload: for PMs that follow connections and read their
	 * bytes in order (kernel: include/flowos/conn.h).
	 */
	FLOWOS_LAYER_STREAM,

	__FLOWOS_LAYER_MAX,
	FLOWOS_LAYER_MAX = __FLOWOS_LAYER_MAX - 1
};

enum flowos_pm_mode {
	FLOWOS_PM_MODE_RO = 1,	/* reads units */
	FLOWOS_PM_MODE_RW,	/* may also change them */

	__FLOWOS_PM_MODE_MAX,
	FLOWOS_PM_MODE_MAX = __FLOWOS_PM_MODE_MAX - 1
};

enum flowos_param_type {
	FLOWOS_PARAM_U64 = 1,	/* decimal */
	FLOWOS_PARAM_DURATION,	/* ms; "10s", "250ms", "2m", "1h"; bare: s */
	/*
	 * Text of 1..255 bytes.  The key may be given several times, as
	 * many as the spec's RANGE_MIN..RANGE_MAX; each value is one item
	 * of a list, and replies carry every item in its own pair.
	 */
	FLOWOS_PARAM_STRING,
	/*
	 * A decimal number with at most three digits after the point,
	 * "2.5"; the PM, and the spec's range and default, see it times
	 * 1000 (2500).
	 */
	FLOWOS_PARAM_DECIMAL,

	__FLOWOS_PARAM_MAX,
	FLOWOS_PARAM_MAX = __FLOWOS_PARAM_MAX - 1
};

enum flowos_a_pm {
	FLOWOS_A_PM_UNSPEC,
	FLOWOS_A_PM_PAD,
	FLOWOS_A_PM_FLOW,	/* string: the flow's name */
	FLOWOS_A_PM_NAME,	/* string: the instance's name */
	FLOWOS_A_PM_TYPE,	/* string: the PM type */
	FLOWOS_A_PM_ORDER,	/* u8 */
	FLOWOS_A_PM_PARAMS,	/* nest of FLOWOS_A_PM_PARAM */
	FLOWOS_A_PM_PARAM,	/* nest: enum flowos_a_param */
	FLOWOS_A_PM_STATS,	/* nest: enum flowos_a_pm_stats */
	FLOWOS_A_PM_RESULTS,	/* nest of FLOWOS_A_VALUE */
	FLOWOS_A_PM_EVENT,	/* string: what a FLOWOS_CMD_PM_EVENT says */
	FLOWOS_A_PM_WORKERS,	/* u8 */
	FLOWOS_A_PM_PART,	/* u32: which message of the instance's reply */

	__FLOWOS_A_PM_MAX,
	FLOWOS_A_PM_MAX = __FLOWOS_A_PM_MAX - 1
};

enum flowos_a_param {
	FLOWOS_A_PARAM_UNSPEC,
	FLOWOS_A_PARAM_KEY,	/* string */
	FLOWOS_A_PARAM_VALUE,	/* string */
	FLOWOS_A_PARAM_TYPE,	/* u8, enum flowos_param_type: replies only */

	__FLOWOS_A_PARAM_MAX,
	FLOWOS_A_PARAM_MAX = __FLOWOS_A_PARAM_MAX - 1
};

/* What the core knows of an instance (all u64). */
enum flowos_a_pm_stats {
	FLOWOS_A_PM_STATS_UNSPEC,
	FLOWOS_A_PM_STATS_PAD,
	FLOWOS_A_PM_STATS_PROCESSED,	/* units it released */
	FLOWOS_A_PM_STATS_BACKLOG,	/* units queued for it, now */
	FLOWOS_A_PM_STATS_WAKEUPS,	/* times its thread was woken */
	FLOWOS_A_PM_STATS_DROPPED,	/* packets it dropped (inline flows) */

	__FLOWOS_A_PM_STATS_MAX,
	FLOWOS_A_PM_STATS_MAX = __FLOWOS_A_PM_STATS_MAX - 1
};

/*
 * One named result: FLOWOS_A_VALUE_NAME and exactly one of U64, STRING,
 * ADDR and TABLE.  TABLE is a flag; the table's rows follow it in the
 * same nest as FLOWOS_A_VALUE_ROW nests, each a list of FLOWOS_A_VALUE
 * nests (the row's columns, in the same order in every row).
 */
enum flowos_a_value {
	FLOWOS_A_VALUE_UNSPEC,
	FLOWOS_A_VALUE_PAD,
	FLOWOS_A_VALUE,		/* nest: one value */
	FLOWOS_A_VALUE_NAME,	/* string */
	FLOWOS_A_VALUE_U64,
	FLOWOS_A_VALUE_STRING,
	FLOWOS_A_VALUE_ADDR,	/* 4 or 16 bytes, network order */
	FLOWOS_A_VALUE_TABLE,	/* flag: rows follow */
	FLOWOS_A_VALUE_ROW,	/* nest of FLOWOS_A_VALUE */

	__FLOWOS_A_VALUE_MAX,
	FLOWOS_A_VALUE_MAX = __FLOWOS_A_VALUE_MAX - 1
};

enum flowos_a_type {
	FLOWOS_A_TYPE_UNSPEC,
	FLOWOS_A_TYPE_NAME,	/* string */
	FLOWOS_A_TYPE_LAYER,	/* u8, enum flowos_layer */
	FLOWOS_A_TYPE_MODE,	/* u8, enum flowos_pm_mode */
	FLOWOS_A_TYPE_PARAMS,	/* nest of FLOWOS_A_TYPE_PARAM */
	FLOWOS_A_TYPE_PARAM,	/* nest: enum flowos_a_param_spec */
	FLOWOS_A_TYPE_WORKERS,	/* u8 */

	__FLOWOS_A_TYPE_MAX,
	FLOWOS_A_TYPE_MAX = __FLOWOS_A_TYPE_MAX - 1
};

enum flowos_a_param_spec {
	FLOWOS_A_PARAM_SPEC_UNSPEC,
	FLOWOS_A_PARAM_SPEC_PAD,
	FLOWOS_A_PARAM_SPEC_NAME,	/* string */
	FLOWOS_A_PARAM_SPEC_TYPE,	/* u8, enum flowos_param_type */
	FLOWOS_A_PARAM_SPEC_RANGE_MIN,	/* u64 */
	FLOWOS_A_PARAM_SPEC_RANGE_MAX,	/* u64 */
	FLOWOS_A_PARAM_SPEC_DEFAULT,	/* u64 */
	FLOWOS_A_PARAM_SPEC_DOC,	/* string */
	FLOWOS_A_PARAM_SPEC_LIVE,	/* flag: FLOWOS_CMD_PM_SET may change it */

	__FLOWOS_A_PARAM_SPEC_MAX,
	FLOWOS_A_PARAM_SPEC_MAX = __FLOWOS_A_PARAM_SPEC_MAX - 1
};

#endif /* _UAPI_LINUX_FLOWOS_H */
