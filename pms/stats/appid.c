// SPDX-License-Identifier: GPL-2.0
/*
 * The application protocol of a connection: see appid.h for the rules.
 * Signatures first, so that a protocol on another port is still seen,
 * then ports; each check reads a few bytes at fixed offsets.
 */
#ifdef __KERNEL__
#include <linux/in.h>
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include "flowos_user.h"
#endif
#include "appid.h"

static const char *const appid_names[APPID_COUNT] = {
	[APPID_DNS] = "dns",
	[APPID_MDNS] = "mdns",
	[APPID_DHCP] = "dhcp",
	[APPID_NTP] = "ntp",
	[APPID_SSDP] = "ssdp",
	[APPID_QUIC] = "quic",
	[APPID_HTTP] = "http",
	[APPID_TLS] = "tls",
	[APPID_SSH] = "ssh",
	[APPID_SMTP] = "smtp",
	[APPID_OTHER_TCP] = "other/tcp",
	[APPID_OTHER_UDP] = "other/udp",
};

const char *appid_name(enum appid app)
{
	return app < APPID_COUNT ? appid_names[app] : NULL;
}

static bool starts_with(const u8 *data, u32 len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && !memcmp(data, s, n);
}

static u32 be32_at(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

/* RFC 2131: a BOOTREQUEST or BOOTREPLY with the options' magic cookie. */
static bool is_dhcp(const u8 *data, u32 len)
{
	return len >= 240 && (data[0] == 1 || data[0] == 2) &&
	       be32_at(data + 236) == 0x63825363;
}

/*
 * RFC 9000 section 17.2 (and RFC 9369 for version 2): header form and
 * fixed bit set, a version we know; version 0 is a version negotiation.
 */
static bool is_quic(const u8 *data, u32 len)
{
	u32 version;

	if (len < 7 || (data[0] & 0xc0) != 0xc0)
		return false;
	version = be32_at(data + 1);
	return version == 0x00000001 || version == 0x6b3343cf ||
	       (version & 0xffffff00) == 0xff000000;
}

/* UPnP Device Architecture 2.0, section 1.3: the two requests. */
static bool is_ssdp(const u8 *data, u32 len)
{
	return starts_with(data, len, "M-SEARCH * HTTP/1.1\r\n") ||
	       starts_with(data, len, "NOTIFY * HTTP/1.1\r\n");
}

/*
 * RFC 8446 section 5.1: a handshake record, legacy version 3.0 to 3.4,
 * no longer than 2^14 + 2048, whose first message is a ClientHello (1)
 * or a ServerHello (2).
 */
static bool is_tls(const u8 *data, u32 len)
{
	return len >= 6 && data[0] == 22 && data[1] == 3 && data[2] <= 4 &&
	       (data[3] << 8 | data[4]) <= (1 << 14) + 2048 &&
	       (data[5] == 1 || data[5] == 2);
}

/* RFC 9110 section 9: the methods it and RFC 5789 define. */
static const char *const http_methods[] = {
	"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "CONNECT ",
	"OPTIONS ", "TRACE ", "PATCH ",
};

/*
 * RFC 9112 sections 3 and 4: "METHOD SP target SP HTTP/1.x" with the
 * version within the bytes given, or "HTTP/1.x SP 3DIGIT SP".
 */
static bool is_http(const u8 *data, u32 len)
{
	u32 i, j;

	if (len >= 13 && starts_with(data, len, "HTTP/1.") &&
	    data[8] == ' ' && data[9] >= '1' && data[9] <= '5' &&
	    data[10] >= '0' && data[10] <= '9' && data[11] >= '0' &&
	    data[11] <= '9' && data[12] == ' ')
		return true;
	for (i = 0; i < ARRAY_SIZE(http_methods); i++) {
		if (!starts_with(data, len, http_methods[i]))
			continue;
		/* The target is not empty and has no space; then the version. */
		for (j = strlen(http_methods[i]); j < len && data[j] > ' '; j++)
			;
		return j > strlen(http_methods[i]) &&
		       starts_with(data + j, len - j, " HTTP/1.");
	}
	return false;
}

/* RFC 4253 section 4.2: "SSH-protoversion-softwareversion". */
static bool is_ssh(const u8 *data, u32 len)
{
	return starts_with(data, len, "SSH-1.") ||
	       starts_with(data, len, "SSH-2.0-");
}

static bool either_port(u16 sport, u16 dport, u16 port)
{
	return sport == port || dport == port;
}

static enum appid udp_app(u16 sport, u16 dport, const u8 *data, u32 len)
{
	if (is_dhcp(data, len))
		return APPID_DHCP;
	if (is_quic(data, len))
		return APPID_QUIC;
	if (is_ssdp(data, len))
		return APPID_SSDP;
	if (either_port(sport, dport, 53))
		return APPID_DNS;
	if (either_port(sport, dport, 5353))
		return APPID_MDNS;
	if (either_port(sport, dport, 67) || either_port(sport, dport, 68))
		return APPID_DHCP;
	if (either_port(sport, dport, 123))
		return APPID_NTP;
	if (either_port(sport, dport, 1900))
		return APPID_SSDP;
	if (either_port(sport, dport, 443))
		return APPID_QUIC;
	return APPID_OTHER_UDP;
}

static enum appid tcp_app(u16 sport, u16 dport, const u8 *data, u32 len)
{
	if (is_tls(data, len))
		return APPID_TLS;
	if (is_http(data, len))
		return APPID_HTTP;
	if (is_ssh(data, len))
		return APPID_SSH;
	if (either_port(sport, dport, 80) || either_port(sport, dport, 8080))
		return APPID_HTTP;
	if (either_port(sport, dport, 443))
		return APPID_TLS;
	if (either_port(sport, dport, 22))
		return APPID_SSH;
	if (either_port(sport, dport, 25) || either_port(sport, dport, 587))
		return APPID_SMTP;
	return APPID_OTHER_TCP;
}

enum appid appid_classify(u8 proto, u16 sport, u16 dport, const u8 *data,
			  u32 len)
{
	len = min_t(u32, len, APPID_PEEK);
	if (proto == IPPROTO_UDP)
		return udp_app(sport, dport, data, len);
	return tcp_app(sport, dport, data, len);
}
