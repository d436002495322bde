/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * flowos: the generic netlink family "flowos", version 1.
 *
 * This header is the protocol manual; kernel and tools share it.
 *
 * Every command works on the network namespace of the socket it arrives
 * on.  Commands that change state need CAP_NET_ADMIN in the user
 * namespace that owns that network namespace (as nftables and Open
 * vSwitch do); reads are open to everyone in the namespace.  Errors come
 * with an extended ack message and, where one attribute is to blame,
 * that attribute's offset.  Unknown attributes are rejected (strict
 * validation).
 *
 * FLOWOS_CMD_FLOW_NEW - create a flow.
 *   FLOWOS_A_FLOW_NAME (required)  string of 1..FLOWOS_NAME_MAX - 1
 *		characters from [A-Za-z0-9_.-], unique in the namespace.
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
 *   FLOWOS_A_FLOW_IFINDEX	u32, the device the packet is seen on: the
 *		input device on ingress, the output device on egress.
 *   FLOWOS_A_FLOW_DIR		u8, enum flowos_dir; FLOWOS_DIR_IN if absent.
 *   FLOWOS_A_FLOW_PRIORITY	u32; where flows overlap, the highest
 *		priority wins, then the oldest flow.  0 if absent.
 *   Replies with the flow as FLOWOS_CMD_FLOW_GET does, and announces it
 *   on the "events" group as FLOWOS_CMD_FLOW_NEW.
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
};

enum flowos_cmd {
	FLOWOS_CMD_UNSPEC,
	FLOWOS_CMD_FLOW_NEW,
	FLOWOS_CMD_FLOW_DEL,
	FLOWOS_CMD_FLOW_GET,

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

	__FLOWOS_A_FLOW_MAX,
	FLOWOS_A_FLOW_MAX = __FLOWOS_A_FLOW_MAX - 1
};

/*
 * Counters of a flow (all u64), exact: kept per CPU on the packet path
 * and summed when read.  Bytes are IP-layer bytes (header and payload).
 */
enum flowos_a_stats {
	FLOWOS_A_STATS_UNSPEC,
	FLOWOS_A_STATS_PAD,
	FLOWOS_A_STATS_PACKETS_IN,
	FLOWOS_A_STATS_BYTES_IN,
	FLOWOS_A_STATS_PACKETS_OUT,
	FLOWOS_A_STATS_BYTES_OUT,

	__FLOWOS_A_STATS_MAX,
	FLOWOS_A_STATS_MAX = __FLOWOS_A_STATS_MAX - 1
};

#endif /* _UAPI_LINUX_FLOWOS_H */
