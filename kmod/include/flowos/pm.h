/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowos: the API a processing module (PM) is written against.
 *
 * A PM registers a struct flowos_pm_ops with the core.  Each time a user
 * attaches it to a flow, the core makes an instance (struct flowos_pm),
 * calls ->init, and starts a kernel thread that hands the instance
 * windows of the flow's stream: runs of units [head, tail) on one per-CPU
 * ring.  ->process works through a window and returns how many units,
 * from its head, it is done with; those are released, and the next call
 * starts after them.  The core owns everything else: sleeping, waking,
 * pipeline order, freeing units, stopping, and the module reference that
 * keeps a PM in use from being unloaded.  A PM type that keeps its state
 * in shards may let an instance run several threads ("workers",
 * ops->max_workers): worker w of n works on the rings of the CPUs c with
 * c % n == w, with shard w.
 *
 * Documentation/pm-guide.md walks through a complete PM (pms/count).
 */
#ifndef _FLOWOS_PM_H
#define _FLOWOS_PM_H

#include <linux/bug.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/types.h>
#include <linux/flowos.h>
#include <flowos/unit.h>

/* Most parameters one PM type may declare (at most BITS_PER_LONG). */
#define FLOWOS_PM_MAX_PARAMS	16
/* Most values a FLOWOS_PARAM_STRING parameter may be given. */
#define FLOWOS_PM_MAX_STRINGS	1024

/*
 * struct flowos_window - the units [head, tail) of one per-CPU ring that
 * an instance may work on now.  Sequence numbers only grow.  The units
 * are const: a read-only PM cannot write one (the compiler refuses); a
 * read-write PM gets a unit it may change from flowos_unit_rw().
 */
struct flowos_window {
	const struct flowos_unit *units;	/* the ring */
	u32 mask;			/* ring length - 1 */
	u8 layer;			/* the instance's layer */
	unsigned int cpu;		/* whose ring */
	unsigned int worker;		/* which worker's: 0..pm->workers - 1 */
	u64 head;
	u64 tail;
};

static inline const struct flowos_unit *
flowos_window_unit(const struct flowos_window *w, u64 seq)
{
	return &w->units[seq & w->mask];
}

static inline bool flowos_unit_in_layer(const struct flowos_unit *u, u8 layer)
{
	return u->layers & BIT(layer);
}

/*
 * The first unit at or after *@seq in @w's layer, or NULL; moves *@seq.
 * A unit a lower order dropped is in no layer.
 */
static inline const struct flowos_unit *
flowos_window_next(const struct flowos_window *w, u64 *seq)
{
	for (; *seq < w->tail; (*seq)++) {
		const struct flowos_unit *u = flowos_window_unit(w, *seq);

		if (flowos_unit_in_layer(u, w->layer) &&
		    !(u->flags & FLOWOS_UNIT_DROPPED))
			return u;
	}
	return NULL;
}

/*
 * flowos_window_for_each - every unit of @w that is in the instance's
 * layer (its stream), oldest first.  @seq is a u64 cursor.
 */
#define flowos_window_for_each(w, seq, u)				\
	for ((seq) = (w)->head;						\
	     ((u) = flowos_window_next(w, &(seq))) != NULL; (seq)++)

/*
 * One parameter an instance takes at attach time ("KEY VALUE").  For a
 * FLOWOS_PARAM_STRING parameter, @min and @max bound how many times it
 * may be given; its values are in flowos_pm.strings[] at its own index,
 * and its entry of flowos_pm.params is their number.
 * A @live parameter may also be changed while the instance runs
 * ("flowctl set"), through flowos_pm_ops.set_params; not a string one.
 * A string parameter's @check, if any, vets each value as it is given:
 * NULL if good, else a static string saying what is wrong, which the
 * user sees with the value (one bad pattern among a thousand is named).
 * "name", "order" and "workers" are the core's: no parameter has them.
 */
struct flowos_pm_param {
	const char *name;
	enum flowos_param_type type;
	u64 min;
	u64 max;
	u64 def;
	const char *doc;
	bool live;
	const char *(*check)(const char *value);
};

/* The values of a FLOWOS_PARAM_STRING parameter, in the order given. */
struct flowos_pm_strings {
	unsigned int n;
	char *v[];
};

/*
 * struct flowos_pm - an attached instance, as its PM sees it.
 * @priv is the PM's own; @params holds the values of ops->params, in
 * the same order, already checked against their ranges; @strings[i],
 * the values of string parameter i (NULL if it was not given), owned by
 * the core and valid until after ->fini.  @workers is how many threads
 * the instance runs (at most ops->max_workers), fixed before ->init.  A
 * failing ->init may point @errmsg at a static string saying why; the
 * user sees it.  An instance of a FLOWOS_LAYER_IP PM that reads its
 * units' payload after all (the stats PM's application protocols) sets
 * @payload in ->init: the core then keeps unit->skb, as for a payload
 * PM, with what that costs.  One that reads the headers of every unit
 * of its layer, payload or not (the tcpstats PM: windows and options),
 * sets @headers: the core then keeps unit->skb for each unit of its
 * layer, pure ACKs too.  @net is the namespace of the instance's flow,
 * for what a PM opens there (the ipfix PM's socket): it is not
 * referenced, and may be used from ->init until ->detach returns only,
 * since a reader may hold the instance, and run ->fini, after the
 * namespace is gone.
 */
struct flowos_pm {
	const struct flowos_pm_ops *ops;
	void *priv;
	struct net *net;
	unsigned int workers;
	bool payload;
	bool headers;
	u64 params[FLOWOS_PM_MAX_PARAMS];
	const struct flowos_pm_strings *strings[FLOWOS_PM_MAX_PARAMS];
	const char *errmsg;
};

struct flowos_results;

/**
 * struct flowos_pm_ops - a PM type
 * @name: what users attach, and the module alias "flowos-pm-<name>"
 * @owner: THIS_MODULE; pinned while an instance exists
 * @layer: the stream the instances work on (enum flowos_layer)
 * @mode: FLOWOS_PM_MODE_RO or FLOWOS_PM_MODE_RW
 * @needs_inline: a RW PM that only changes packets: attaching it to a
 *	passive flow, whose packets go on before any PM sees them, is
 *	refused
 * @params: the parameter schema, @n_params entries
 * @scalars: names of the PM's scalar results, @n_scalars entries; each
 *	is shown in sysfs and in netlink results.  Each is a file in the
 *	instance's sysfs directory, beside the core's (type, order,
 *	workers, backlog, processed, wakeups, dropped): a type whose
 *	scalar names are invalid, repeated or one of those is refused
 * @max_workers: most threads an instance may run (0 means 1).  With more
 *	than one, ->process and ->tick run concurrently in each worker's
 *	thread, each on its own shard of the state (win->worker, @worker),
 *	and ->read_scalar and ->fill_results merge the shards.
 * @init: set up @pm->priv; may sleep
 * @detach: optional; the instance leaves its flow (detach, flow delete,
 *	namespace exit): its threads have stopped and no unit comes any
 *	more, but reads may still come, and @fini later.  Close here what
 *	lives in @pm->net.  May sleep; flowos_mutex is held.
 * @fini: free what @init made; the threads have stopped, and no read is
 *	inside @read_scalar or @fill_results (a read that began before a
 *	detach goes on after it: @fini waits for the last one)
 * @process: work on @win and return how many units from its head are
 *	done (at most tail - head); runs in the thread of win->worker.
 *	The units not done are kept: they stay valid, and come again at
 *	the head of the next window of their ring, which is handed out
 *	when new units come or FLOWOS_TICK_MS later (a read-write PM
 *	waiting for the next segment of a connection keeps units so)
 * @tick: optional; called from each worker's thread with its index and
 *	the time (ktime_get_ns) at least every FLOWOS_TICK_MS, for time
 *	windows
 * @read_scalar: the current value of scalar @i; any context, concurrent
 *	with @process (read what @process writes with READ_ONCE)
 * @fill_results: optional; add results (tables of any size) with the
 *	flowos_result_* helpers, after the scalars; may sleep, concurrent
 *	with @process.  Called once per read, whatever the results' size.
 *	Copy what a lock @process takes protects into scratch memory
 *	(flowos_result_scratch()) and write the rows after unlocking, so
 *	that the thread waits for the copy only.
 * @set_params: needed if a parameter is live; @params holds every
 *	parameter, the new values of live ones already checked against
 *	their ranges.  Apply them all, or none and return -EINVAL (with
 *	@pm->errmsg saying why).  May sleep, concurrent with @process; on
 *	success the core then stores @params in @pm->params, so a PM that
 *	reads a live parameter outside this call reads it with READ_ONCE.
 */
struct flowos_pm_ops {
	const char *name;
	struct module *owner;
	u8 layer;
	u8 mode;
	bool needs_inline;
	const struct flowos_pm_param *params;
	unsigned int n_params;
	const char *const *scalars;
	unsigned int n_scalars;
	unsigned int max_workers;

	int (*init)(struct flowos_pm *pm);
	void (*detach)(struct flowos_pm *pm);
	void (*fini)(struct flowos_pm *pm);
	unsigned int (*process)(struct flowos_pm *pm,
				const struct flowos_window *win);
	void (*tick)(struct flowos_pm *pm, unsigned int worker, u64 now);
	u64 (*read_scalar)(const struct flowos_pm *pm, unsigned int i);
	int (*fill_results)(const struct flowos_pm *pm,
			    struct flowos_results *res);
	int (*set_params)(struct flowos_pm *pm, const u64 *params);

	/* The core's: */
	struct list_head list;
	void *sysfs;
};

/*
 * How often ->tick runs at least, and the longest a thread sleeps while
 * its flow is busy (an idle one without ->tick sleeps until woken).
 */
#define FLOWOS_TICK_MS	20

/*
 * flowos_unit_rw - @u, a unit of one of its windows, as a read-write PM
 * may change it: drop it, write its payload, set its mark
 *
 * Windows hand out const units, so that a read-only PM cannot write one
 * by mistake; a read-write PM (ops->mode FLOWOS_PM_MODE_RW) takes the
 * units it changes through this.  NULL, and a warning once, for a
 * read-only PM.
 */
static inline struct flowos_unit *flowos_unit_rw(const struct flowos_pm *pm,
						 const struct flowos_unit *u)
{
	if (WARN_ON_ONCE(pm->ops->mode != FLOWOS_PM_MODE_RW))
		return NULL;
	return (struct flowos_unit *)u;
}

/*
 * flowos_unit_drop - drop the packet of @u, a unit of @win
 *
 * For a read-write PM (ops->mode FLOWOS_PM_MODE_RW) on an inline flow,
 * from ->process: the packet is freed instead of passed on when the
 * unit is released, counted in the instance's "dropped" and the flow's
 * pm_drops, and instances of later orders never see the unit.  False
 * (and nothing changes) for a read-only PM or a passive flow, whose
 * packets have gone on already.
 */
bool flowos_unit_drop(struct flowos_pm *pm, const struct flowos_window *win,
		      struct flowos_unit *u);

/*
 * flowos_unit_write - change @len bytes of @u's payload, at @off, to @data
 *
 * For a read-write PM on an inline flow, from ->process, on a unit not
 * yet released (one it keeps from an earlier window, too): TCP and UDP
 * payload, either family.  The packet is made writable first
 * (skb_ensure_writable(): a clone or paged data is copied, never
 * written under another owner), and its TCP or UDP checksum follows the
 * change whatever the skb's ip_summed says: a CHECKSUM_PARTIAL one is
 * summed later and needs nothing, any other has its checksum field
 * updated.  A UDP datagram sent without a checksum (0: IPv4, or an IPv6
 * tunnel's) stays without.  A CHECKSUM_COMPLETE skb's sum (skb->csum)
 * takes whatever the write added to the packet's bytes, so it stays
 * right in every case (kmod/hdr_write.c).  Sequence numbers and
 * lengths never change: write as many bytes as you replace.  @data must
 * not point into the packet, which making it writable may move.
 *
 * Return: 0; -EPERM for a read-only PM, a passive flow (its packets have
 * gone on already) or a dropped unit; -EINVAL past the payload's end;
 * -EPROTONOSUPPORT for a protocol other than TCP and UDP, or a fragment;
 * -EOPNOTSUPP for a GRO list (SKB_GSO_FRAGLIST), whose packets keep
 * headers of their own; -ENOMEM when the packet could not be made
 * writable (it is unchanged).
 */
int flowos_unit_write(struct flowos_pm *pm, struct flowos_unit *u, u32 off,
		      const void *data, u32 len);

/* Where an offset of flowos_unit_write_header() counts from. */
enum flowos_hdr {
	FLOWOS_HDR_IP,		/* the IPv4 or IPv6 header's first byte */
	FLOWOS_HDR_L4,		/* the TCP or UDP header's */
};

/*
 * flowos_unit_write_header - change @len bytes of @u's IP or transport
 * header, at @off bytes from the start of @hdr, to @data
 *
 * As flowos_unit_write(), for the headers: the IPv4 header checksum and
 * the TCP or UDP checksum follow the change (an address is in the
 * latter's pseudo-header), whatever the skb's ip_summed says, and so
 * does a CHECKSUM_COMPLETE skb's sum.  The bytes may lie in the IP
 * header (IPv4 with its options; IPv6's fixed header), in the TCP
 * (with its options) or UDP header, or across both when they touch;
 * not in IPv6 extension headers (an offset from FLOWOS_HDR_IP may run
 * on into the transport header when no extension header lies between;
 * struct iphdr, ipv6hdr, tcphdr and udphdr have the fields' offsets).
 * What gives the packet its shape must
 * keep its value: the IP version, IPv4 header length, fragment offset
 * and MF bit, total or payload length, protocol or next header, TCP data
 * offset, UDP length, and the checksum fields.  Afterwards @u's
 * addresses, ports and TCP sequence, acknowledgment and flags are the
 * packet's new ones, as instances of later orders see them.
 *
 * flowos sits before conntrack and routing on the way in, and after
 * routing and NAT on the way out (flowctl.8): conntrack and routing see
 * the new addresses of a packet that came in; a packet that goes out
 * keeps its route, and conntrack never learns them.  An IPv6 packet
 * with a routing header still to go has its final destination there,
 * not in ->daddr, which the transport checksum does not cover: do not
 * write ->daddr of one.
 *
 * Return: 0; -EPERM, -EPROTONOSUPPORT, -EOPNOTSUPP or -ENOMEM as
 * flowos_unit_write(); -EINVAL for an unknown @hdr, bytes outside the
 * headers or a change of their shape (nothing changes).
 */
int flowos_unit_write_header(struct flowos_pm *pm, struct flowos_unit *u,
			     enum flowos_hdr hdr, u32 off, const void *data,
			     u32 len);

/*
 * Make @len bytes at @off of @u's payload writable, as flowos_unit_write()
 * does first, and fail as it would; a later write of them cannot fail.
 * For a change spread over several units: make every part writable,
 * then write them, so that a failure leaves none half changed.
 */
int flowos_unit_writable(struct flowos_pm *pm, struct flowos_unit *u, u32 off,
			 u32 len);

/*
 * The bytes of a pattern parameter's @value: its text; after "hex:",
 * pairs of hex digits; after "str:", a text that would otherwise begin
 * with "hex:".  At most @max bytes into @buf.  Returns their number, or
 * -EINVAL for an empty pattern, bad hex or one over @max bytes.
 */
int flowos_pattern_decode(const char *value, u8 *buf, size_t max);
/*
 * A pattern parameter's flowos_pm_param.check: NULL when @value decodes
 * to 1..FLOWOS_AC_PATTERN_MAX bytes, else what is wrong with it.
 */
const char *flowos_pattern_check(const char *value);

struct flowos_ac;

/*
 * flowos_pm_ac_build - the Aho-Corasick automaton (flowos/ac.h) of the
 * values of a pattern parameter, from ->init
 *
 * Each value is decoded as flowos_pattern_decode() does, at most
 * FLOWOS_AC_PATTERN_MAX bytes; @nocase folds ASCII letters.  The
 * automaton is charged to the memory cap until flowos_pm_ac_free().
 * Return: 0; -EINVAL with pm->errmsg set; -ENOSPC over the cap; -ENOMEM.
 */
int flowos_pm_ac_build(struct flowos_pm *pm, struct flowos_ac *ac,
		       const struct flowos_pm_strings *strs, bool nocase);
void flowos_pm_ac_free(struct flowos_ac *ac);

/*
 * The global memory cap (module parameter mem_limit_kb): a PM charges
 * what its instances allocate in ->init and uncharges it in ->fini; an
 * init whose charge fails returns -ENOSPC, and the attach is refused.
 */
bool flowos_mem_charge(size_t bytes);
void flowos_mem_uncharge(size_t bytes);

int flowos_register_pm(struct flowos_pm_ops *ops);
void flowos_unregister_pm(struct flowos_pm_ops *ops);

/*
 * Results (uapi: enum flowos_a_value), for ->fill_results and events.
 * The core takes them once into a buffer of its own, which grows as
 * needed (at most 32 MiB, under results_limit_kb), and sends it
 * in as many messages as it takes: a PM writes every row it has, never
 * minding message sizes.  A table is a run of rows, each row a list of
 * values:
 *
 *	flowos_result_put_u64(res, "evictions", n);
 *	flowos_result_table_start(res, "subflows");
 *	for each sub-flow {
 *		flowos_result_row_start(res);
 *		flowos_result_put_u64(res, "packets", sf->packets);
 *		flowos_result_end(res);		(the row)
 *	}
 *	return flowos_result_end(res);		(the table)
 *
 * Errors (-ENOSPC at the cap of reads, results_limit_kb; -ENOMEM;
 * -EFBIG past 32 MiB;
 * -EMSGSIZE for a row over 64 KiB) are sticky: once one happens, every
 * later call does nothing and returns it, so a PM may check only the
 * last; the core checks too.  A row's values must be given whole.
 */
int flowos_result_put_u64(struct flowos_results *res, const char *name,
			  u64 value);
int flowos_result_put_string(struct flowos_results *res, const char *name,
			     const char *value);
int flowos_result_put_addr(struct flowos_results *res, const char *name,
			   u8 family, const __be32 *addr);
int flowos_result_table_start(struct flowos_results *res, const char *name);
int flowos_result_row_start(struct flowos_results *res);
/* Close the innermost open table or row; returns the sticky error. */
int flowos_result_end(struct flowos_results *res);
/*
 * Memory to prepare the results in (a copy of a table to sort), charged
 * to the budget of reads in progress (results_limit_kb), not to
 * mem_limit_kb, and freed with the results; at most two per read.  NULL,
 * with the sticky error set, if refused.
 */
void *flowos_result_scratch(struct flowos_results *res, size_t bytes);

/*
 * Events: an instance announces something to the "events" group of its
 * flow's namespace (flowctl monitor), as FLOWOS_CMD_PM_EVENT naming the
 * instance and the event, with values added by the flowos_result_*
 * helpers to @ev->res:
 *
 *	if (flowos_pm_event_start(pm, &ev, "heavy_hitter")) {
 *		if (flowos_result_put_u64(ev.res, "bytes", bytes))
 *			flowos_pm_event_cancel(&ev);
 *		else
 *			flowos_pm_event_send(pm, &ev);
 *	}
 *
 * Start returns false, having allocated nothing, when nobody listens or
 * memory is short; flowos_pm_has_listeners() says beforehand whether an
 * event would go anywhere, to skip the work of preparing it.  An event
 * is one message: one over 32 KiB is dropped (and logged).  Only from
 * the instance's own thread (->process, ->tick), where the flow is sure
 * to exist; may sleep.
 */
struct flowos_pm_event {
	struct flowos_results *res;
	char name[32];
};

bool flowos_pm_has_listeners(const struct flowos_pm *pm);
bool flowos_pm_event_start(struct flowos_pm *pm, struct flowos_pm_event *ev,
			   const char *name);
void flowos_pm_event_send(struct flowos_pm *pm, struct flowos_pm_event *ev);
void flowos_pm_event_cancel(struct flowos_pm_event *ev);

/* Declares the alias that lets "flowctl attach" load a PM on demand. */
#define MODULE_ALIAS_FLOWOS_PM(name) MODULE_ALIAS("flowos-pm-" name)

#endif /* _FLOWOS_PM_H */
