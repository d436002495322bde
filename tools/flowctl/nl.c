// SPDX-License-Identifier: GPL-2.0
/*
 * A thin generic netlink layer on libmnl, as iproute2's devlink and dpll
 * tools have: resolve the family, send a request, run the replies through
 * a callback, and turn an error into the kernel's own words (extended
 * ack), which is what the user sees.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static void set_error(struct flowctl_nl *nl, int err, const char *msg)
{
	nl->err = err;
	snprintf(nl->errmsg, sizeof(nl->errmsg), "%s", msg ? msg : "");
}

/*
 * libmnl passes one pointer to data and control callbacks alike: this
 * carries the socket for the latter and the caller's callback for the
 * former.
 */
struct run_ctx {
	struct flowctl_nl *nl;
	mnl_cb_t cb;
	void *data;
};

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct run_ctx *ctx = data;

	return ctx->cb ? ctx->cb(nlh, ctx->data) : MNL_CB_OK;
}

/* Keep the kernel's extended-ack message of an error (or warning). */
static int on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct flowctl_nl *nl = ((struct run_ctx *)data)->nl;
	const struct nlattr *attr;
	const char *msg = NULL;
	unsigned int off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
		return MNL_CB_ERROR;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* With NETLINK_CAP_ACK the request is not echoed back. */
		off = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += mnl_nlmsg_get_payload_len(&err->msg);
		mnl_attr_for_each(attr, nlh, off)
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
				msg = mnl_attr_get_str(attr);
			else if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_OFFS &&
				 !mnl_attr_validate(attr, MNL_TYPE_U32))
				nl->err_off = mnl_attr_get_u32(attr);
	}
	if (!err->error)
		return MNL_CB_STOP;
	set_error(nl, -err->error, msg);
	return MNL_CB_ERROR;
}

/*
 * The end of a dump.  It may carry an error (an int, then the extended
 * ack's attributes): the kernel stopped the dump, and what came before
 * is not all there is.
 */
static int on_done(const struct nlmsghdr *nlh, void *data)
{
	struct flowctl_nl *nl = ((struct run_ctx *)data)->nl;
	const struct nlattr *attr;
	const char *msg = NULL;
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return MNL_CB_STOP;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (!err)
		return MNL_CB_STOP;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_for_each(attr, nlh, sizeof(err))
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
				msg = mnl_attr_get_str(attr);
	set_error(nl, err < 0 ? -err : err, msg);
	return MNL_CB_ERROR;
}

/* Not const: mnl_cb_run2() takes a plain mnl_cb_t array. */
static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = on_error,
	[NLMSG_DONE] = on_done,
};

static struct nlmsghdr *put_header(void *buf, uint16_t type, uint8_t cmd,
				   uint8_t version, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *gh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = cmd;
	gh->version = version;
	return nlh;
}

/*
 * A request to the family, built in nl->req; its type is filled in when
 * it is sent, so that arguments are checked before the kernel is asked
 * anything.
 */
struct nlmsghdr *flowctl_nl_msg(struct flowctl_nl *nl, uint8_t cmd,
				uint16_t flags)
{
	return put_header(nl->req, 0, cmd, nl->version, flags, ++nl->seq);
}

/* Whether the @len bytes of replies in nl->buf hold the end of @seq's. */
static bool holds_end(const struct flowctl_nl *nl, int len, uint32_t seq)
{
	const struct nlmsghdr *m = (const struct nlmsghdr *)nl->buf;

	for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len))
		if (m->nlmsg_seq == seq &&
		    (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR))
			return true;
	return false;
}

/*
 * A dump the kernel flagged as interrupted (NLM_F_DUMP_INTR; libmnl
 * stops at it with EINTR): read the rest of it, unused, so that the
 * socket is clear for the next request, such as the same one again.
 */
static void drain_dump(struct flowctl_nl *nl, int len, uint32_t seq)
{
	while (!holds_end(nl, len, seq)) {
		len = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (len <= 0)
			return;
	}
}

static int run(struct flowctl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
	       void *data)
{
	unsigned int portid = mnl_socket_get_portid(nl->sock);
	struct run_ctx ctx = { .nl = nl, .cb = cb, .data = data };
	int ret, len;

	nl->err = 0;
	nl->errmsg[0] = '\0';
	nl->err_off = 0;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		set_error(nl, errno, NULL);
		return -1;
	}
	do {
		len = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (len < 0) {
			set_error(nl, errno, NULL);
			return -1;
		}
		ret = mnl_cb_run2(nl->buf, len, nlh->nlmsg_seq, portid, on_data,
				  &ctx, ctl_cbs, NLMSG_MIN_TYPE);
		if (ret < 0 && !nl->err)
			set_error(nl, errno, NULL);
		if (ret < 0 && nl->err == EINTR)
			drain_dump(nl, len, nlh->nlmsg_seq);
	} while (ret > 0);
	return ret < 0 ? -1 : 0;
}

static int resolve_family(struct flowctl_nl *nl);

/* Send @nlh (from flowctl_nl_msg) and run each reply through @cb. */
int flowctl_nl_run(struct flowctl_nl *nl, struct nlmsghdr *nlh,
		   mnl_cb_t cb, void *data)
{
	if (!nl->family && resolve_family(nl))
		return -1;
	nlh->nlmsg_type = nl->family;
	return run(nl, nlh, cb, data);
}

struct family_info {
	struct flowctl_nl *nl;
	const char *group;
};

static int on_family(const struct nlmsghdr *nlh, void *data)
{
	struct family_info *fi = data;
	const struct nlattr *attr, *grp, *ga;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_FAMILY_ID:
			fi->nl->family = mnl_attr_get_u16(attr);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(grp, attr) {
				const char *name = NULL;
				uint32_t id = 0;

				mnl_attr_for_each_nested(ga, grp) {
					if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_NAME)
						name = mnl_attr_get_str(ga);
					else if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_ID)
						id = mnl_attr_get_u32(ga);
				}
				if (name && fi->group && !strcmp(name, fi->group))
					fi->nl->group = id;
			}
			break;
		}
	}
	return MNL_CB_OK;
}

static int resolve_family(struct flowctl_nl *nl)
{
	struct family_info fi = { .nl = nl, .group = nl->group_name };
	char req[MNL_NLMSG_HDRLEN + 64];
	struct nlmsghdr *nlh;

	nlh = put_header(req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0, ++nl->seq);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, nl->family_name);
	if (run(nl, nlh, on_family, &fi) < 0 || !nl->family) {
		if (nl->err == ENOENT)
			set_error(nl, ENOENT, "the flowos module is not loaded");
		return -1;
	}
	return 0;
}

int flowctl_nl_open(struct flowctl_nl *nl, const char *family,
		    uint8_t version, const char *group)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->family_name = family;
	nl->group_name = group;
	nl->version = version;
	nl->seq = time(NULL);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		set_error(nl, errno, "cannot open a generic netlink socket");
		return -1;
	}
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

int flowctl_nl_join(struct flowctl_nl *nl)
{
	if (!nl->family && resolve_family(nl))
		return -1;
	if (!nl->group) {
		set_error(nl, ENOENT, "no events group");
		return -1;
	}
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &nl->group,
				  sizeof(nl->group)) < 0) {
		set_error(nl, errno, NULL);
		return -1;
	}
	return 0;
}

/* Wait for multicast messages; @cb returns MNL_CB_STOP to end. */
int flowctl_nl_listen(struct flowctl_nl *nl, mnl_cb_t cb, void *data)
{
	int ret;

	do {
		ret = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (ret < 0) {
			set_error(nl, errno, NULL);
			return -1;
		}
		ret = mnl_cb_run(nl->buf, ret, 0, 0, cb, data);
	} while (ret > 0);
	return ret < 0 ? -1 : 0;
}

void flowctl_nl_close(struct flowctl_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
}
