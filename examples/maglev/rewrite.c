/*
 * Frame parsing and destination rewrite for Maglev.  Every read is preceded
 * by a length check against what has been validated so far; the rewrite
 * touches only the destination MAC, destination IPv4 address and the two
 * checksums.  Checksums are adjusted incrementally (RFC 1624) rather than
 * recomputed: that costs a few adds instead of a pass over the payload, and
 * keeps a frame's checksum exactly as valid (or invalid) as it arrived - a
 * load balancer must not launder a corrupted segment into a valid one.
 */
#include "rewrite.h"

#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

#define IP_CSUM_OFF 10
#define IP_DST_OFF 16
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int parse_l4(const uint8_t *l4, uint32_t l4_len, uint8_t proto)
{
	if (proto == IPPROTO_TCP_) {
		if (l4_len < 20)
			return -MAGLEV_EBADL4;
		uint32_t doff = (uint32_t)(l4[12] >> 4) * 4;
		if (doff < 20 || doff > l4_len)
			return -MAGLEV_EBADL4;
		return 0;
	}
	if (proto == IPPROTO_UDP_) {
		if (l4_len < 8)
			return -MAGLEV_EBADL4;
		uint32_t ulen = be16(l4 + 4);
		if (ulen < 8 || ulen > l4_len)
			return -MAGLEV_EBADL4;
		return 0;
	}
	return -MAGLEV_EPROTO;
}

int maglev_parse(const uint8_t *frame, uint32_t len, struct maglev_pkt *out)
{
	if (frame == NULL || out == NULL)
		return -MAGLEV_EINVAL;
	if (len < MAGLEV_ETH_HLEN)
		return -MAGLEV_ETRUNC;
	uint16_t type = be16(frame + 12);
	if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD)
		return -MAGLEV_EVLAN;
	if (type != ETHERTYPE_IPV4)
		return -MAGLEV_ENOTIPV4;

	const uint8_t *ip = frame + MAGLEV_ETH_HLEN;
	uint32_t avail = len - MAGLEV_ETH_HLEN;
	if (avail < 20)
		return -MAGLEV_ETRUNC;
	if (ip[0] >> 4 != 4)
		return -MAGLEV_EBADIP;
	uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20)
		return -MAGLEV_EBADIP;
	uint32_t total = be16(ip + 2);
	if (total < ihl)
		return -MAGLEV_EBADIP;
	/* total <= avail also covers ihl <= avail. */
	if (total > avail)
		return -MAGLEV_ETRUNC;
	/* A later fragment has no ports, and hashing the first fragment's ports
	 * would send the fragments of one datagram to different backends. */
	if (be16(ip + 6) & (IP_MF | IP_OFFMASK))
		return -MAGLEV_EFRAG;

	uint8_t proto = ip[9];
	const uint8_t *l4 = ip + ihl;
	int rc = parse_l4(l4, total - ihl, proto);
	if (rc < 0)
		return rc;

	memcpy(&out->key.src_ip, ip + 12, 4);
	memcpy(&out->key.dst_ip, ip + 16, 4);
	memcpy(&out->key.src_port, l4, 2);
	memcpy(&out->key.dst_port, l4 + 2, 2);
	out->key.proto = proto;
	out->l3_off = MAGLEV_ETH_HLEN;
	out->l4_off = (uint16_t)(MAGLEV_ETH_HLEN + ihl);
	out->l4_len = (uint16_t)(total - ihl);
	return 0;
}

uint16_t maglev_csum_update32(uint16_t check, const uint8_t old[4], const uint8_t new[4])
{
	/* HC' = ~(~HC + ~m + m') in one's-complement arithmetic, for each of
	 * the two 16-bit words of the field: RFC 1624's eqn. 3, not RFC 1141's
	 * HC + m + ~m', which gets the result wrong when it should be 0x0000. */
	uint32_t sum = (uint16_t)~check;
	sum += (uint16_t)~be16(old) + (uint16_t)~be16(old + 2);
	sum += be16(new) + be16(new + 2);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int maglev_rewrite(uint8_t *frame, uint32_t len, const struct maglev_pkt *p,
		   const struct maglev_backend *b)
{
	if (frame == NULL || p == NULL || b == NULL)
		return -MAGLEV_EINVAL;
	uint32_t l4_hdr = p->key.proto == IPPROTO_TCP_ ? 20 : 8;
	if (p->l3_off != MAGLEV_ETH_HLEN || p->l4_off < p->l3_off + 20 ||
	    (uint32_t)p->l4_off + l4_hdr > len ||
	    (p->key.proto != IPPROTO_TCP_ && p->key.proto != IPPROTO_UDP_))
		return -MAGLEV_EINVAL;

	uint8_t *ip = frame + p->l3_off;
	uint8_t *l4 = frame + p->l4_off;
	uint8_t old_dst[4], new_dst[4];
	memcpy(old_dst, ip + IP_DST_OFF, 4);
	memcpy(new_dst, &b->ip, 4);   /* b->ip is already in network order */

	memcpy(frame, b->mac, 6);
	memcpy(ip + IP_DST_OFF, new_dst, 4);
	put_be16(ip + IP_CSUM_OFF, maglev_csum_update32(be16(ip + IP_CSUM_OFF), old_dst, new_dst));

	/* The destination address is part of the TCP/UDP pseudo-header. */
	if (p->key.proto == IPPROTO_TCP_) {
		uint8_t *c = l4 + TCP_CSUM_OFF;
		put_be16(c, maglev_csum_update32(be16(c), old_dst, new_dst));
	} else {
		uint8_t *c = l4 + UDP_CSUM_OFF;
		uint16_t check = be16(c);
		if (check != 0) {
			check = maglev_csum_update32(check, old_dst, new_dst);
			/* 0 means "no checksum" in UDP; RFC 768 sends 0xffff instead. */
			put_be16(c, check ? check : 0xffff);
		}
	}
	return 0;
}

int maglev_forward_l2(uint8_t *frame, uint32_t len, const uint8_t own[6],
		      const struct maglev_backend *b)
{
	if (frame == NULL || own == NULL || b == NULL)
		return -MAGLEV_EINVAL;
	if (len < MAGLEV_ETH_HLEN)
		return -MAGLEV_ETRUNC;
	memcpy(frame, b->mac, 6);
	memcpy(frame + 6, own, 6);
	return 0;
}
