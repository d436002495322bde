// SPDX-License-Identifier: GPL-2.0
/*
 * Aho-Corasick (Aho and Corasick, CACM 1975) compiled to a DFA: the trie
 * of the patterns, failure links by breadth-first search, and every
 * missing transition filled in from the failure state, so a scan is one
 * table lookup per byte.  Bytes that occur in no pattern share class 0,
 * which keeps the table at states x classes.
 */
#ifdef __KERNEL__
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/slab.h>
#include <linux/string.h>
#else
#include <ctype.h>
#include "flowos_user.h"
#endif
#include <flowos/ac.h>

static u8 fold(u8 c, bool nocase)
{
	return nocase ? tolower(c) : c;
}

static u32 count_states(const struct flowos_ac_pattern *pats, u32 n)
{
	u32 i, states = 1;

	for (i = 0; i < n; i++)
		states += pats[i].len;
	return states;
}

/* Classes: 0 for bytes in no pattern, then one per byte (value) seen. */
static u32 make_classes(u8 *cls, const struct flowos_ac_pattern *pats, u32 n,
			bool nocase)
{
	u32 i, j, nclasses = 1;

	memset(cls, 0, 256);
	for (i = 0; i < n; i++)
		for (j = 0; j < pats[i].len; j++) {
			u8 c = fold(pats[i].data[j], nocase);

			if (!cls[c])
				cls[c] = nclasses++;
		}
	for (i = 0; i < 256; i++)
		cls[i] = cls[fold(i, nocase)];
	return nclasses;
}

size_t flowos_ac_size(const struct flowos_ac_pattern *pats, u32 n)
{
	u8 cls[256];
	size_t states = count_states(pats, n);
	size_t nclasses = make_classes(cls, pats, n, false);

	return (states * nclasses + 3 * states + n) * sizeof(u32);
}
EXPORT_SYMBOL_GPL(flowos_ac_size);

/* Insert pattern @p into the trie; delta holds 0 for "no child" yet. */
static void trie_add(struct flowos_ac *ac, const struct flowos_ac_pattern *pat,
		     u32 p)
{
	u32 s = 0, i;

	for (i = 0; i < pat->len; i++) {
		u32 *next = &ac->delta[s * ac->nclasses + ac->cls[pat->data[i]]];

		if (!*next)
			*next = ac->nstates++;
		s = *next;
	}
	ac->next_same[p] = ac->out[s];
	ac->out[s] = p + 1;
}

/*
 * Failure links, breadth first, turning the trie into the DFA.  A
 * state's failure state is shallower, so it is final when reached; the
 * queue reuses @fail, which no state needs once its children are done.
 */
static int link_failures(struct flowos_ac *ac)
{
	u32 *queue, *fail, head = 0, tail = 0, c;

	queue = kvcalloc(ac->nstates, sizeof(u32), GFP_KERNEL);
	fail = kvcalloc(ac->nstates, sizeof(u32), GFP_KERNEL);
	if (!queue || !fail) {
		kvfree(queue);
		kvfree(fail);
		return -ENOMEM;
	}
	for (c = 0; c < ac->nclasses; c++)
		if (ac->delta[c])
			queue[tail++] = ac->delta[c];
	while (head < tail) {
		u32 s = queue[head++];
		u32 f = fail[s];

		ac->dict[s] = ac->out[f] ? f : ac->dict[f];
		for (c = 0; c < ac->nclasses; c++) {
			u32 *next = &ac->delta[s * ac->nclasses + c];
			u32 via_fail = ac->delta[f * ac->nclasses + c];

			if (*next) {
				fail[*next] = via_fail;
				queue[tail++] = *next;
			} else {
				*next = via_fail;
			}
		}
	}
	kvfree(queue);
	kvfree(fail);
	return 0;
}

int flowos_ac_build(struct flowos_ac *ac, const struct flowos_ac_pattern *pats,
		    u32 n, bool nocase)
{
	u32 i, total = 0;
	size_t states;

	memset(ac, 0, sizeof(*ac));
	if (!n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!pats[i].len || pats[i].len > FLOWOS_AC_PATTERN_MAX)
			return -EINVAL;
		total += pats[i].len;
	}
	if (total > FLOWOS_AC_TOTAL_MAX)
		return -EINVAL;

	states = count_states(pats, n);
	ac->nclasses = make_classes(ac->cls, pats, n, nocase);
	ac->size = flowos_ac_size(pats, n);
	ac->delta = kvcalloc(states * ac->nclasses, sizeof(u32), GFP_KERNEL);
	ac->out = kvcalloc(states, sizeof(u32), GFP_KERNEL);
	ac->dict = kvcalloc(states, sizeof(u32), GFP_KERNEL);
	ac->next_same = kvcalloc(n, sizeof(u32), GFP_KERNEL);
	if (!ac->delta || !ac->out || !ac->dict || !ac->next_same)
		goto nomem;
	ac->npatterns = n;
	ac->nstates = 1;
	for (i = 0; i < n; i++)
		trie_add(ac, &pats[i], i);
	if (link_failures(ac))
		goto nomem;
	return 0;

nomem:
	flowos_ac_free(ac);
	return -ENOMEM;
}
EXPORT_SYMBOL_GPL(flowos_ac_build);

void flowos_ac_free(struct flowos_ac *ac)
{
	kvfree(ac->delta);
	kvfree(ac->out);
	kvfree(ac->dict);
	kvfree(ac->next_same);
	memset(ac, 0, sizeof(*ac));
}
EXPORT_SYMBOL_GPL(flowos_ac_free);

/* Every pattern ending at state @s. */
static void report(const struct flowos_ac *ac, u32 s,
		   void (*hit)(void *ctx, u32 pattern), void *ctx)
{
	u32 p;

	for (s = ac->out[s] ? s : ac->dict[s]; s; s = ac->dict[s])
		for (p = ac->out[s]; p; p = ac->next_same[p - 1])
			hit(ctx, p - 1);
}

u32 flowos_ac_scan(const struct flowos_ac *ac, u32 state, const u8 *data,
		   u32 len, void (*hit)(void *ctx, u32 pattern), void *ctx)
{
	const u32 *delta = ac->delta;
	u32 nclasses = ac->nclasses, i;

	for (i = 0; i < len; i++) {
		state = delta[state * nclasses + ac->cls[data[i]]];
		if (unlikely(ac->out[state] || ac->dict[state]))
			report(ac, state, hit, ctx);
	}
	return state;
}
EXPORT_SYMBOL_GPL(flowos_ac_scan);
