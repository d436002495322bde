// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the stats PM's application protocol classifier
 * (pms/stats/appid.c), built natively under AddressSanitizer and UBSan.
 * The payloads are built from the protocols' own definitions (the RFCs
 * and UPnP's architecture named in each test), on their ports and on
 * others, where a signature must still decide and a port alone must not.
 */
#include "flowos_user.h"
#include "appid.h"
#include "kselftest_harness.h"
#include "test_rand.h"

static u8 buf[1500];

static enum appid udp(u16 sport, u16 dport, const void *data, u32 len)
{
	return appid_classify(IPPROTO_UDP, sport, dport, data, len);
}

static enum appid tcp(u16 sport, u16 dport, const void *data, u32 len)
{
	return appid_classify(IPPROTO_TCP, sport, dport, data, len);
}

static enum appid tcp_str(u16 sport, u16 dport, const char *s)
{
	return tcp(sport, dport, s, strlen(s));
}

static enum appid udp_str(u16 sport, u16 dport, const char *s)
{
	return udp(sport, dport, s, strlen(s));
}

/* RFC 1035 4.1: a standard query for example.com A. */
static const u8 dns_query[] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0x00, 0x01, 0x00, 0x01,
};

TEST(dns_and_mdns_by_their_ports)
{
	EXPECT_EQ(APPID_DNS, udp(40000, 53, dns_query, sizeof(dns_query)));
	EXPECT_EQ(APPID_DNS, udp(53, 40000, dns_query, sizeof(dns_query)));
	EXPECT_EQ(APPID_MDNS, udp(5353, 5353, dns_query, sizeof(dns_query)));
	/* A DNS header is any 12 bytes: elsewhere it is other/udp. */
	EXPECT_EQ(APPID_OTHER_UDP, udp(40000, 9999, dns_query, sizeof(dns_query)));
}

/* RFC 2131 2: a DHCPDISCOVER, op 1, the cookie at 236, options after. */
static u32 dhcp_discover(u8 *p, bool cookie)
{
	memset(p, 0, 300);
	p[0] = 1;		/* BOOTREQUEST */
	p[1] = 1;		/* Ethernet */
	p[2] = 6;
	if (cookie) {
		p[236] = 99;
		p[237] = 130;
		p[238] = 83;
		p[239] = 99;
	}
	p[240] = 53;		/* DHCP message type: discover */
	p[241] = 1;
	p[242] = 1;
	p[243] = 255;
	return 300;
}

TEST(dhcp_by_its_cookie_anywhere_and_by_its_ports)
{
	u32 n = dhcp_discover(buf, true);

	EXPECT_EQ(APPID_DHCP, udp(68, 67, buf, n));
	EXPECT_EQ(APPID_DHCP, udp(1068, 1067, buf, n));
	/* The cookie must be there, all of it. */
	EXPECT_EQ(APPID_OTHER_UDP, udp(1068, 1067, buf, 239));
	buf[0] = 3;
	EXPECT_EQ(APPID_OTHER_UDP, udp(1068, 1067, buf, n));
	n = dhcp_discover(buf, false);
	EXPECT_EQ(APPID_OTHER_UDP, udp(1068, 1067, buf, n));
	EXPECT_EQ(APPID_DHCP, udp(68, 67, buf, n));
	EXPECT_EQ(APPID_DHCP, udp(67, 68, buf, n));
}

TEST(ntp_by_its_port)
{
	/* RFC 5905 7.3: 48 bytes, LI 0, version 4, mode 3 (client). */
	memset(buf, 0, 48);
	buf[0] = 0x23;
	EXPECT_EQ(APPID_NTP, udp(40000, 123, buf, 48));
	EXPECT_EQ(APPID_NTP, udp(123, 123, buf, 48));
	EXPECT_EQ(APPID_OTHER_UDP, udp(40000, 5000, buf, 48));
}

TEST(ssdp_by_its_requests_anywhere_and_by_its_port)
{
	static const char msearch[] =
		"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
		"MAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n";
	static const char notify[] =
		"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n";

	EXPECT_EQ(APPID_SSDP, udp_str(50000, 1900, msearch));
	EXPECT_EQ(APPID_SSDP, udp_str(50000, 7777, notify));
	/* A response is HTTP's status line, on UDP from port 1900. */
	EXPECT_EQ(APPID_SSDP, udp_str(1900, 50000, "HTTP/1.1 200 OK\r\n\r\n"));
	EXPECT_EQ(APPID_OTHER_UDP, udp_str(7777, 50000, "HTTP/1.1 200 OK\r\n\r\n"));
	EXPECT_EQ(APPID_OTHER_UDP, udp_str(50000, 7777, "M-SEARCH * HTTP/1.0\r\n"));
}

/* RFC 9000 17.2: a long header, type Initial, of @version. */
static u32 quic_initial(u8 *p, u32 version)
{
	memset(p, 0, 1200);
	p[0] = 0xc3;
	p[1] = version >> 24;
	p[2] = version >> 16;
	p[3] = version >> 8;
	p[4] = version;
	p[5] = 8;		/* DCID length */
	return 1200;
}

TEST(quic_by_its_long_header_anywhere_and_by_its_port)
{
	u32 n = quic_initial(buf, 1);

	EXPECT_EQ(APPID_QUIC, udp(50000, 443, buf, n));
	EXPECT_EQ(APPID_QUIC, udp(50000, 4433, buf, n));
	n = quic_initial(buf, 0x6b3343cf);	/* RFC 9369: version 2 */
	EXPECT_EQ(APPID_QUIC, udp(50000, 4433, buf, n));
	n = quic_initial(buf, 0xff00001d);	/* draft 29 */
	EXPECT_EQ(APPID_QUIC, udp(50000, 4433, buf, n));
	n = quic_initial(buf, 0x0a0a0a0a);	/* a greased version */
	EXPECT_EQ(APPID_OTHER_UDP, udp(50000, 4433, buf, n));
	/* A short header says nothing; port 443 does. */
	buf[0] = 0x41;
	EXPECT_EQ(APPID_QUIC, udp(50000, 443, buf, 100));
	EXPECT_EQ(APPID_OTHER_UDP, udp(50000, 4433, buf, 100));
}

/* RFC 8446 5.1 and 4: a record of @type whose message is @msg. */
static u32 tls_record(u8 *p, u8 type, u8 minor, u8 msg)
{
	memset(p, 0, 200);
	p[0] = type;
	p[1] = 3;
	p[2] = minor;
	p[3] = 0;
	p[4] = 195;
	p[5] = msg;
	return 200;
}

TEST(tls_by_its_hello_anywhere_and_by_its_port)
{
	EXPECT_EQ(APPID_TLS, tcp(50000, 443, buf, tls_record(buf, 22, 1, 1)));
	EXPECT_EQ(APPID_TLS, tcp(50000, 8443, buf, tls_record(buf, 22, 3, 1)));
	EXPECT_EQ(APPID_TLS, tcp(8443, 50000, buf, tls_record(buf, 22, 3, 2)));
	/* A TLS hello on port 80 is TLS: the signature comes first. */
	EXPECT_EQ(APPID_TLS, tcp(50000, 80, buf, tls_record(buf, 22, 1, 1)));
	/* Application data, or a finished, prove nothing off port 443. */
	EXPECT_EQ(APPID_OTHER_TCP, tcp(50000, 8443, buf, tls_record(buf, 23, 3, 0)));
	EXPECT_EQ(APPID_OTHER_TCP, tcp(50000, 8443, buf, tls_record(buf, 22, 3, 20)));
	EXPECT_EQ(APPID_OTHER_TCP, tcp(50000, 8443, buf, tls_record(buf, 22, 5, 1)));
	EXPECT_EQ(APPID_TLS, tcp(50000, 443, buf, tls_record(buf, 23, 3, 0)));
	EXPECT_EQ(APPID_OTHER_TCP, tcp(50000, 8443, buf, 5));
}

TEST(http_by_its_request_or_status_line_anywhere_and_by_its_ports)
{
	EXPECT_EQ(APPID_HTTP, tcp_str(50000, 80, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
	EXPECT_EQ(APPID_HTTP, tcp_str(50000, 3000, "GET /x?y=1 HTTP/1.1\r\n"));
	EXPECT_EQ(APPID_HTTP, tcp_str(50000, 3000, "POST /form HTTP/1.0\r\n"));
	EXPECT_EQ(APPID_HTTP, tcp_str(50000, 3000, "OPTIONS * HTTP/1.1\r\n"));
	EXPECT_EQ(APPID_HTTP, tcp_str(3000, 50000, "HTTP/1.1 404 Not Found\r\n"));
	EXPECT_EQ(APPID_HTTP, tcp_str(50000, 8080, "anything at all"));
	/* Not a request line: no version, an empty target, a lower case. */
	EXPECT_EQ(APPID_OTHER_TCP, tcp_str(50000, 3000, "GET /x"));
	EXPECT_EQ(APPID_OTHER_TCP, tcp_str(50000, 3000, "GET  HTTP/1.1\r\n"));
	EXPECT_EQ(APPID_OTHER_TCP, tcp_str(50000, 3000, "get / HTTP/1.1\r\n"));
	EXPECT_EQ(APPID_OTHER_TCP, tcp_str(50000, 3000, "GETX / HTTP/1.1\r\n"));
	EXPECT_EQ(APPID_OTHER_TCP, tcp_str(3000, 50000, "HTTP/1.1 2000 OK\r\n"));
	EXPECT_EQ(APPID_OTHER_TCP, tcp_str(3000, 50000, "HTTP/1.1 600 OK\r\n"));
	/* A target longer than the bytes read: only the port can tell. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	memcpy(buf + 400, " HTTP/1.1\r\n", 11);
	EXPECT_EQ(APPID_OTHER_TCP, tcp(50000, 3000, buf, 411));
	EXPECT_EQ(APPID_HTTP, tcp(50000, 80, buf, 411));
}

TEST(ssh_by_its_banner_anywhere_and_by_its_port)
{
	EXPECT_EQ(APPID_SSH, tcp_str(22, 50000, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"));
	EXPECT_EQ(APPID_SSH, tcp_str(2222, 50000, "SSH-2.0-dropbear\r\n"));
	EXPECT_EQ(APPID_SSH, tcp_str(50000, 2222, "SSH-1.99-OpenSSH_3.9\r\n"));
	EXPECT_EQ(APPID_OTHER_TCP, tcp_str(2222, 50000, "SSH-3.0-x\r\n"));
	EXPECT_EQ(APPID_SSH, tcp_str(22, 50000, "not a banner"));
}

TEST(smtp_by_its_ports_only)
{
	/* RFC 5321 4.2: "220 " greets, as FTP's does (RFC 959). */
	EXPECT_EQ(APPID_SMTP, tcp_str(25, 50000, "220 mail.example.org ESMTP\r\n"));
	EXPECT_EQ(APPID_SMTP, tcp_str(50000, 587, "EHLO client.example.org\r\n"));
	EXPECT_EQ(APPID_OTHER_TCP, tcp_str(21, 50000, "220 ftp.example.org FTP\r\n"));
}

TEST(names)
{
	EXPECT_EQ(NULL, appid_name(APPID_NONE));
	EXPECT_STREQ("dns", appid_name(APPID_DNS));
	EXPECT_STREQ("other/tcp", appid_name(APPID_OTHER_TCP));
	EXPECT_STREQ("other/udp", appid_name(APPID_OTHER_UDP));
	EXPECT_EQ(NULL, appid_name(APPID_COUNT));
}

/* Any bytes of any length: a protocol, never APPID_NONE; ASan watches. */
TEST(any_bytes)
{
	u32 i, j, len;
	enum appid app;

	rnd_state = 7;
	for (i = 0; i < 200000; i++) {
		len = rnd_below(300);
		u8 *p = malloc(len ? len : 1);

		for (j = 0; j < len; j++)
			p[j] = rnd_below(4) ? rnd() : "GSH 2/.1"[rnd_below(8)];
		app = appid_classify(rnd_below(2) ? IPPROTO_TCP : IPPROTO_UDP,
				     rnd_below(2000), rnd_below(2000), p, len);
		free(p);
		ASSERT_NE(APPID_NONE, app);
		ASSERT_LT(app, APPID_COUNT);
	}
}

TEST_HARNESS_MAIN
