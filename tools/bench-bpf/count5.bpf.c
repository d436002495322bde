// SPDX-License-Identifier: GPL-2.0
/*
 * count5: packets and IP bytes per 5-tuple, as an operator counts them
 * today with a tc eBPF program and a per-CPU hash map.  The reference
 * rows of "make bench" (scripts/bench-guest.sh) for what flowos's count
 * PM does, so the key and the counters are the count PM's: both address
 * families in one 40-byte key, packets and IP bytes (the IP header's
 * length, not the frame's).
 *
 * Three programs, each attached alone at clsact ingress:
 *   tc_empty   returns at once: what the tc hook itself costs;
 *   tc_hash    counts in count5_hash, a BPF_MAP_TYPE_PERCPU_HASH;
 *   tc_lru     counts in count5_lru, a BPF_MAP_TYPE_LRU_PERCPU_HASH.
 * Nothing is lost without a trace: a packet whose 5-tuple finds no room
 * (the hash map full) is counted in count5_full, one with no IP header
 * in the linear data under the all-zero key, so the counts sum to the
 * packets received (the bench checks that after every run).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The count PM's struct count_key (pms/count/count.c). */
struct key5 {
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u8 family;
	__u8 proto;
	__u16 pad;
};

struct counters {
	__u64 packets;
	__u64 bytes;
};

/* The count PM's default table holds 65536 sub-flows too. */
#define COUNT5_TUPLES 65536

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, COUNT5_TUPLES);
	__type(key, struct key5);
	__type(value, struct counters);
} count5_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, COUNT5_TUPLES);
	__type(key, struct key5);
	__type(value, struct counters);
} count5_lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} count5_full SEC(".maps");

/* The first 4 bytes after an IP header: the ports of TCP, UDP, SCTP. */
static __always_inline void ports(struct key5 *k, void *l4, void *end)
{
	struct udphdr *uh = l4;

	if (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP &&
	    k->proto != IPPROTO_SCTP)
		return;
	if ((void *)(uh + 1) > end)
		return;
	k->sport = uh->source;
	k->dport = uh->dest;
}

/* Fill @k and @bytes from @skb; leave them zero where it has no IP. */
static __always_inline void parse(struct __sk_buff *skb, struct key5 *k,
				  __u64 *bytes)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;

	if ((void *)(eth + 1) > end)
		return;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		iph = (void *)(eth + 1);
		if ((void *)(iph + 1) > end || iph->ihl < 5)
			return;
		k->family = 2;	/* AF_INET */
		k->proto = iph->protocol;
		k->saddr[0] = iph->saddr;
		k->daddr[0] = iph->daddr;
		*bytes = bpf_ntohs(iph->tot_len);
		/* A fragment but the first has no ports. */
		if (!(iph->frag_off & bpf_htons(0x1fff)))
			ports(k, (void *)iph + iph->ihl * 4, end);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6h = (void *)(eth + 1);
		if ((void *)(ip6h + 1) > end)
			return;
		k->family = 10;	/* AF_INET6 */
		k->proto = ip6h->nexthdr;
		__builtin_memcpy(k->saddr, &ip6h->saddr, sizeof(k->saddr));
		__builtin_memcpy(k->daddr, &ip6h->daddr, sizeof(k->daddr));
		*bytes = sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
		ports(k, ip6h + 1, end);
	}
}

static __always_inline void count(void *map, struct __sk_buff *skb)
{
	struct key5 k = {};
	struct counters *c, one;
	__u32 zero = 0;
	__u64 bytes = 0;

	parse(skb, &k, &bytes);
	c = bpf_map_lookup_elem(map, &k);
	if (!c) {
		one.packets = 1;
		one.bytes = bytes;
		if (!bpf_map_update_elem(map, &k, &one, BPF_NOEXIST))
			return;
		/* Another CPU made it meanwhile, or the table is full. */
		c = bpf_map_lookup_elem(map, &k);
		if (!c)
			c = bpf_map_lookup_elem(&count5_full, &zero);
		if (!c)
			return;
	}
	/* This CPU's own copy: no other writer. */
	c->packets++;
	c->bytes += bytes;
}

SEC("tc")
int tc_empty(struct __sk_buff *skb)
{
	(void)skb;	/* the hook's own cost: nothing read */
	return TC_ACT_OK;
}

SEC("tc")
int tc_hash(struct __sk_buff *skb)
{
	count(&count5_hash, skb);
	return TC_ACT_OK;
}

SEC("tc")
int tc_lru(struct __sk_buff *skb)
{
	count(&count5_lru, skb);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
