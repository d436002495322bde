/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _FLOWCTL_NL_H
#define _FLOWCTL_NL_H

#include <stdint.h>
#include <libmnl/libmnl.h>

/* One generic netlink socket talking to one family. */
struct flowctl_nl {
	struct mnl_socket *sock;
	const char *family_name;
	const char *group_name;
	uint16_t family;	/* resolved family id, once asked for */
	uint8_t version;
	uint32_t group;		/* the events group id, if asked for */
	uint32_t seq;
	int err;		/* errno of the last failure */
	char errmsg[256];	/* the kernel's extended ack, if any */
	uint32_t err_off;	/* where the attribute to blame is, or 0 */
	char req[65536];	/* the request being built */
	char buf[262144];	/* a message is at most 32 KiB; room for several */
};

int flowctl_nl_open(struct flowctl_nl *nl, const char *family,
		    uint8_t version, const char *group);
void flowctl_nl_close(struct flowctl_nl *nl);
struct nlmsghdr *flowctl_nl_msg(struct flowctl_nl *nl, uint8_t cmd,
				uint16_t flags);
int flowctl_nl_run(struct flowctl_nl *nl, struct nlmsghdr *nlh,
		   mnl_cb_t cb, void *data);
int flowctl_nl_join(struct flowctl_nl *nl);
int flowctl_nl_listen(struct flowctl_nl *nl, mnl_cb_t cb, void *data);

#endif /* _FLOWCTL_NL_H */
