// SPDX-License-Identifier: GPL-2.0
/*
 * IPFIX messages of flow records (RFC 7011, information elements of RFC
 * 7012): see ipfix_msg.h.  Every multi-octet field is in network order,
 * written a byte at a time: no alignment is assumed of the buffer.
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/socket.h>
#include <linux/string.h>
#else
#include <sys/socket.h>
#endif

#include "ipfix_msg.h"

#define IPFIX_VERSION		10
#define IPFIX_HDR_LEN		16
#define IPFIX_SET_HDR_LEN	4
#define IPFIX_SET_TEMPLATE	2

/* Information elements (RFC 7012). */
enum {
	IE_OCTET_DELTA = 1, IE_PACKET_DELTA = 2, IE_PROTOCOL = 4,
	IE_TCP_FLAGS = 6, IE_SRC_PORT = 7, IE_SRC_IPV4 = 8,
	IE_INGRESS_IF = 10, IE_DST_PORT = 11, IE_DST_IPV4 = 12,
	IE_EGRESS_IF = 14, IE_SRC_IPV6 = 27, IE_DST_IPV6 = 28,
	IE_DIRECTION = 61, IE_END_REASON = 136, IE_START_MS = 152,
	IE_END_MS = 153,
};

struct ipfix_field {
	u16 ie;
	u16 len;
};

/* A record's fields in the order they are written, per family. */
static const struct ipfix_field fields_v4[] = {
	{ IE_SRC_IPV4, 4 }, { IE_DST_IPV4, 4 }, { IE_PROTOCOL, 1 },
	{ IE_SRC_PORT, 2 }, { IE_DST_PORT, 2 },
	{ IE_OCTET_DELTA, 8 }, { IE_PACKET_DELTA, 8 },
	{ IE_START_MS, 8 }, { IE_END_MS, 8 }, { IE_TCP_FLAGS, 1 },
	{ IE_END_REASON, 1 }, { IE_INGRESS_IF, 4 },
	{ IE_EGRESS_IF, 4 }, { IE_DIRECTION, 1 },
};

static const struct ipfix_field fields_v6[] = {
	{ IE_SRC_IPV6, 16 }, { IE_DST_IPV6, 16 }, { IE_PROTOCOL, 1 },
	{ IE_SRC_PORT, 2 }, { IE_DST_PORT, 2 },
	{ IE_OCTET_DELTA, 8 }, { IE_PACKET_DELTA, 8 },
	{ IE_START_MS, 8 }, { IE_END_MS, 8 }, { IE_TCP_FLAGS, 1 },
	{ IE_END_REASON, 1 }, { IE_INGRESS_IF, 4 },
	{ IE_EGRESS_IF, 4 }, { IE_DIRECTION, 1 },
};

#define N_FIELDS	ARRAY_SIZE(fields_v4)

static unsigned int record_len(const struct ipfix_field *f)
{
	unsigned int i, len = 0;

	for (i = 0; i < N_FIELDS; i++)
		len += f[i].len;
	return len;
}

/* @v's low @len octets at @p, most significant first. */
static void put_be(u8 *p, u64 v, unsigned int len)
{
	while (len--) {
		p[len] = v & 0xff;
		v >>= 8;
	}
}

static void put(struct ipfix_msg *m, u64 v, unsigned int len)
{
	put_be(m->buf + m->len, v, len);
	m->len += len;
}

static bool room(const struct ipfix_msg *m, size_t len)
{
	return m->size - m->len >= len;
}

/*
 * A message in @buf of @size bytes, of which it uses at most 65535 (RFC
 * 7011 3.1: its length is 16 bits).  False, and nothing may be built,
 * if @size is below IPFIX_MSG_MIN.
 */
bool ipfix_msg_start(struct ipfix_msg *m, u8 *buf, size_t size)
{
	if (size < IPFIX_MSG_MIN)
		return false;
	m->buf = buf;
	m->size = size > IPFIX_MSG_MAX ? IPFIX_MSG_MAX : size;
	m->len = IPFIX_HDR_LEN;
	m->set = 0;
	m->set_id = 0;
	m->records = 0;
	return true;
}

/* The open data set gets its length. */
static void close_set(struct ipfix_msg *m)
{
	if (m->set)
		put_be(m->buf + m->set + 2, m->len - m->set, 2);
	m->set = 0;
}

static void put_template(struct ipfix_msg *m, u16 id,
			 const struct ipfix_field *f)
{
	unsigned int i;

	put(m, id, 2);
	put(m, N_FIELDS, 2);
	for (i = 0; i < N_FIELDS; i++) {
		put(m, f[i].ie, 2);
		put(m, f[i].len, 2);
	}
}

/* Both templates, in one template set; false if they do not fit. */
bool ipfix_msg_add_templates(struct ipfix_msg *m)
{
	size_t start;

	if (!room(m, IPFIX_SET_HDR_LEN + 2 * (4 + 4 * N_FIELDS)))
		return false;
	close_set(m);
	start = m->len;
	put(m, IPFIX_SET_TEMPLATE, 2);
	put(m, 0, 2);
	put_template(m, IPFIX_TEMPLATE_V4, fields_v4);
	put_template(m, IPFIX_TEMPLATE_V6, fields_v6);
	put_be(m->buf + start + 2, m->len - start, 2);
	return true;
}

/* The value of field @ie of @r (not an address). */
static u64 field_value(const struct ipfix_rec *r, u16 ie)
{
	switch (ie) {
	case IE_PROTOCOL:	return r->proto;
	case IE_SRC_PORT:	return r->sport;
	case IE_DST_PORT:	return r->dport;
	case IE_OCTET_DELTA:	return r->octets;
	case IE_PACKET_DELTA:	return r->packets;
	case IE_START_MS:	return r->start_ms;
	case IE_END_MS:		return r->end_ms;
	case IE_TCP_FLAGS:	return r->tcp_flags;
	case IE_END_REASON:	return r->end_reason;
	case IE_INGRESS_IF:	return r->ingress_if;
	case IE_EGRESS_IF:	return r->egress_if;
	case IE_DIRECTION:	return r->direction;
	}
	return 0;
}

/*
 * @r in a data set of its family's template; false if it does not fit,
 * or is of neither family.
 */
bool ipfix_msg_add_record(struct ipfix_msg *m, const struct ipfix_rec *r)
{
	bool v6 = r->family == AF_INET6;
	const struct ipfix_field *f = v6 ? fields_v6 : fields_v4;
	u16 id = v6 ? IPFIX_TEMPLATE_V6 : IPFIX_TEMPLATE_V4;
	bool new_set = !m->set || m->set_id != id;
	unsigned int i;

	if (r->family != AF_INET && r->family != AF_INET6)
		return false;
	if (!room(m, (new_set ? IPFIX_SET_HDR_LEN : 0) + record_len(f)))
		return false;
	if (new_set) {
		close_set(m);
		m->set = m->len;
		m->set_id = id;
		put(m, id, 2);
		put(m, 0, 2);
	}
	for (i = 0; i < N_FIELDS; i++) {
		u16 ie = f[i].ie;

		if (ie == IE_SRC_IPV4 || ie == IE_SRC_IPV6) {
			memcpy(m->buf + m->len, r->saddr, f[i].len);
			m->len += f[i].len;
		} else if (ie == IE_DST_IPV4 || ie == IE_DST_IPV6) {
			memcpy(m->buf + m->len, r->daddr, f[i].len);
			m->len += f[i].len;
		} else {
			put(m, field_value(r, ie), f[i].len);
		}
	}
	m->records++;
	return true;
}

/*
 * The message header: @export_time in seconds since the epoch, @seq the
 * data records sent before this message.  Returns the message's length.
 */
size_t ipfix_msg_finish(struct ipfix_msg *m, u32 export_time, u32 seq,
			u32 domain)
{
	close_set(m);
	put_be(m->buf, IPFIX_VERSION, 2);
	put_be(m->buf + 2, m->len, 2);
	put_be(m->buf + 4, export_time, 4);
	put_be(m->buf + 8, seq, 4);
	put_be(m->buf + 12, domain, 4);
	return m->len;
}
