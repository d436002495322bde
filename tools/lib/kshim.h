/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel definitions that kernel-independent flowos code (the
 * packet parser, later the classifier and the PM algorithms) uses, for
 * building that code natively: unit tests, fuzzers, native benchmarks.
 * Types and protocol headers come from the uapi headers of
 * linux-libc-dev, so struct layouts are the kernel's own.
 */
#ifndef _FLOWOS_KSHIM_H
#define _FLOWOS_KSHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define __force
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define U16_MAX ((u16)~0U)
#define U32_MAX ((u32)~0U)
#define U64_MAX ((u64)~0ULL)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
/* Without the kernel's type checks; arguments evaluated once each. */
#define min_t(type, x, y) ({ type _x = (x), _y = (y); _x < _y ? _x : _y; })
#define max_t(type, x, y) ({ type _x = (x), _y = (y); _x > _y ? _x : _y; })
#define clamp(v, lo, hi) ({ __typeof__(v) _v = (v), _lo = (lo), _hi = (hi); \
			    _v < _lo ? _lo : _v > _hi ? _hi : _v; })
#define __aligned(x) __attribute__((__aligned__(x)))
#define noinline __attribute__((__noinline__))
/* Token for token as kselftest.h has it, which may come after. */
#ifndef __printf
#define __printf(a, b) __attribute__((format(printf, a, b)))
#endif
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF

/* include/linux/if_vlan.h */
struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

#define VLAN_VID_MASK	0x0fff

/* include/net/ipv6.h */
struct frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

#define IP6_OFFSET	0xFFF8
#define IP6_MF		0x0001

/* include/linux/sctp.h: the SCTP common header */
struct sctphdr {
	__be16 source;
	__be16 dest;
	__be32 vtag;
	__le32 checksum;
};

/* include/net/tcp.h: the flags byte of the TCP header */
#define TCPHDR_FIN	0x01
#define TCPHDR_SYN	0x02
#define TCPHDR_RST	0x04

/*
 * include/net/checksum.h and lib/checksum.c, as the kernel's generic
 * code has them: a 32-bit one's complement sum of 16-bit words loaded
 * in host order, folded and complemented into a checksum field.
 */
#define CSUM_MANGLED_0	((__sum16)0xffff)

static inline __wsum csum_add(__wsum a, __wsum b)
{
	u32 r = a + b;

	return r + (r < a);
}

static inline __wsum csum_sub(__wsum a, __wsum b)
{
	return csum_add(a, ~b);
}

static inline __sum16 csum_fold(__wsum sum)
{
	u32 s = (sum & 0xffff) + (sum >> 16);

	s = (s & 0xffff) + (s >> 16);
	return (__sum16)~s;
}

static inline __wsum csum_unfold(__sum16 n)
{
	return n;
}

/* A sum of bytes that lie @offset bytes into a larger sum's. */
static inline __wsum csum_block_add(__wsum csum, __wsum csum2, int offset)
{
	if (offset & 1)
		csum2 = (csum2 >> 8) | (csum2 << 24);
	return csum_add(csum, csum2);
}

static inline __wsum csum_partial(const void *buf, int len, __wsum sum)
{
	const u8 *p = buf;
	u64 acc = 0;
	u16 w;

	for (; len > 1; p += 2, len -= 2) {
		memcpy(&w, p, 2);
		acc += w;
	}
	if (len)	/* the odd byte, first of a 16-bit word in memory */
		acc += htons((u16)(*p << 8));
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return csum_add(sum, (__wsum)acc);
}

#endif /* _FLOWOS_KSHIM_H */
