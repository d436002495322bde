/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The application protocol of a connection, from the first payload it
 * carries (either direction) and its ports: what seeds/003 means by a
 * "protocol".  A signature decides where one is cheap and reliable:
 *
 *	DHCP	BOOTP op 1 or 2 and the magic cookie 99.130.83.99 at 236
 *	QUIC	a long header (form and fixed bits) of version 1 or 2, or a
 *		draft (0xff0000xx)
 *	SSDP	"M-SEARCH * HTTP/1.1" or "NOTIFY * HTTP/1.1"
 *	TLS	a handshake record (type 22, version 3.0 to 3.4) opening
 *		with a ClientHello or a ServerHello
 *	HTTP	a request line (a method, a space, a target, " HTTP/1.") or
 *		a status line ("HTTP/1.x NNN")
 *	SSH	"SSH-" and a protocol version (RFC 4253's banner)
 *
 * else the well-known port of either end decides:
 *
 *	UDP	53 DNS, 5353 mDNS, 67 and 68 DHCP, 123 NTP, 1900 SSDP,
 *		443 QUIC
 *	TCP	80 and 8080 HTTP, 443 TLS, 22 SSH, 25 and 587 SMTP
 *
 * and "other/tcp" or "other/udp" is left.  A DNS or an NTP message
 * carries no signature worth the name (any 12 or 48 bytes could be
 * one), and SMTP's "220 " greeting is FTP's too: their ports decide.
 *
 * Kernel-independent: it builds natively for selftests/unit/appid_test.c.
 */
#ifndef _FLOWOS_APPID_H
#define _FLOWOS_APPID_H

#ifdef __KERNEL__
#include <linux/types.h>
#endif

enum appid {
	APPID_NONE,		/* no payload seen yet */
	APPID_DNS,
	APPID_MDNS,
	APPID_DHCP,
	APPID_NTP,
	APPID_SSDP,
	APPID_QUIC,
	APPID_HTTP,
	APPID_TLS,
	APPID_SSH,
	APPID_SMTP,
	APPID_OTHER_TCP,
	APPID_OTHER_UDP,
	APPID_COUNT
};

/* The payload bytes a decision reads at most: DHCP's cookie ends at 240. */
#define APPID_PEEK	240

/* "dns", "http", ..., "other/tcp"; NULL for APPID_NONE. */
const char *appid_name(enum appid app);

/*
 * The protocol of a connection of IP protocol @proto (IPPROTO_TCP or
 * IPPROTO_UDP) between ports @sport and @dport (host order), whose first
 * payload begins with @data, @len bytes of it (at most APPID_PEEK are
 * read; give as many as there are, up to that).
 */
enum appid appid_classify(u8 proto, u16 sport, u16 dport, const u8 *data,
			  u32 len);

#endif /* _FLOWOS_APPID_H */
