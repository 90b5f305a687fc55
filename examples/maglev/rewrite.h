/*
 * The packet side of Maglev on raw frame bytes: parse an Ethernet/IPv4/TCP
 * or UDP frame into its 5-tuple with strict bounds checks, then rewrite its
 * destination MAC and IPv4 address to a backend's, updating the IPv4 header
 * checksum and the TCP/UDP checksum incrementally (RFC 1624), so a frame
 * with valid checksums leaves with valid checksums.
 *
 * Works on `uint8_t *frame, uint32_t len` only - no DPDK, no allocation - so
 * the DPDK stage calls it on mbuf data and the tests call it on arrays.
 * Anything it does not handle is refused with a distinct error and left
 * untouched: truncated frames, VLAN tags, IPv6 and other EtherTypes, bad
 * IPv4 version/IHL/total length, fragments, other L4 protocols, bad TCP
 * data offset or UDP length.  It never reads or writes outside [0, len).
 */
#ifndef MAGLEV_REWRITE_H
#define MAGLEV_REWRITE_H

#include <stdint.h>

#include "maglev_table.h"

#define MAGLEV_ETH_HLEN 14u

/* What maglev_parse found; offsets are from the start of the frame. */
struct maglev_pkt {
	struct maglev_5tuple key;
	uint16_t l3_off;     /* IPv4 header */
	uint16_t l4_off;     /* TCP/UDP header */
	uint16_t l4_len;     /* TCP/UDP header + payload, per the IPv4 total length */
};

/*
 * Parses frame[0, len) into *out.  0, or -MAGLEV_EINVAL (NULL), _ETRUNC,
 * _EVLAN, _ENOTIPV4, _EBADIP, _EFRAG, _EPROTO, _EBADL4.  Bytes past the IPv4
 * total length (Ethernet padding) are allowed and ignored.
 */
int maglev_parse(const uint8_t *frame, uint32_t len, struct maglev_pkt *out);

/*
 * Sends the parsed frame to backend b: destination MAC := b->mac,
 * destination IP := b->ip, IPv4 header and TCP/UDP checksums adjusted for
 * the address change.  A UDP checksum of 0 ("none", RFC 768) stays 0.
 * p must come from maglev_parse on this frame; its offsets are re-checked
 * against len anyway (-MAGLEV_EINVAL), so a stale p cannot write out of
 * bounds.
 */
int maglev_rewrite(uint8_t *frame, uint32_t len, const struct maglev_pkt *p,
		   const struct maglev_backend *b);

/*
 * L2 direct server return: destination MAC := b->mac, source MAC := own
 * (the balancer's, so that a learning switch keeps the client's address on
 * the client's port).  The IP packet is not touched: the backend holds the
 * destination address (the VIP) itself and answers the client directly.
 * -MAGLEV_ETRUNC when the frame has no Ethernet header.
 */
int maglev_forward_l2(uint8_t *frame, uint32_t len, const uint8_t own[6],
		      const struct maglev_backend *b);

/*
 * RFC 1624 eqn. 3 for one 32-bit field: the checksum `check` (as read from
 * the packet, big-endian value) after the field changed from old to new
 * (both as 4 packet bytes).  Exposed for tests.
 */
uint16_t maglev_csum_update32(uint16_t check, const uint8_t old[4], const uint8_t new[4]);

#endif
