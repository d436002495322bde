// SPDX-License-Identifier: GPL-2.0
/*
 * A global cap on the memory flowos holds for PMs: rings, packet clones
 * queued on them, and what PMs charge for their own tables.  Packets keep
 * flowing and flow counters keep counting whatever the cap says; what
 * the cap refuses is counted: attaches refused (flowos_mem_refused) and
 * units dropped for want of a clone (each flow's mem_drops).
 */
#include <linux/atomic.h>
#include <linux/moduleparam.h>

#include "flowos.h"

static unsigned long mem_limit_kb = 256 * 1024;
module_param(mem_limit_kb, ulong, 0644);
MODULE_PARM_DESC(mem_limit_kb,
		 "Most memory (KiB) held for PMs: rings, clones, PM tables (default 256 MiB)");

static atomic_long_t mem_used = ATOMIC_LONG_INIT(0);
static atomic_long_t mem_refused = ATOMIC_LONG_INIT(0);

/**
 * flowos_mem_charge - account @bytes against the cap
 * @bytes: what the caller is about to hold
 *
 * A charge that does not fit never touches mem_used: were it added and
 * taken back, a big attach refused at the cap would, for that instant,
 * make the clones of every other flow fail too.
 *
 * Return: true if they fit; the caller then holds them until
 * flowos_mem_uncharge().  Any context.
 */
bool flowos_mem_charge(size_t bytes)
{
	long limit = READ_ONCE(mem_limit_kb) * 1024;
	long used = atomic_long_read(&mem_used);

	do {
		/* The limit may have been lowered below what is held. */
		if (used > limit || bytes > (unsigned long)(limit - used))
			return false;
	} while (!atomic_long_try_cmpxchg(&mem_used, &used, used + bytes));
	return true;
}
EXPORT_SYMBOL_GPL(flowos_mem_charge);

void flowos_mem_uncharge(size_t bytes)
{
	atomic_long_sub(bytes, &mem_used);
}
EXPORT_SYMBOL_GPL(flowos_mem_uncharge);

/* An attach the cap refused: counted, and said. */
int flowos_mem_refuse(struct netlink_ext_ack *extack)
{
	atomic_long_inc(&mem_refused);
	NL_SET_ERR_MSG_MOD(extack, "memory cap reached (module parameter mem_limit_kb)");
	return -ENOSPC;
}

/* As flowos_mem_charge(), for set-up: a refusal is counted and said. */
int flowos_mem_charge_setup(size_t bytes, struct netlink_ext_ack *extack)
{
	return flowos_mem_charge(bytes) ? 0 : flowos_mem_refuse(extack);
}

void flowos_mem_read(u64 *used, u64 *limit, u64 *refused)
{
	*used = atomic_long_read(&mem_used);
	*limit = (u64)READ_ONCE(mem_limit_kb) * 1024;
	*refused = atomic_long_read(&mem_refused);
}
