/*
 * fuzz_parse_frame - libFuzzer harness for the packet parser the demo's
 * parse stage and Maglev share (examples/maglev/rewrite.c: maglev_parse,
 * maglev_rewrite, maglev_forward_l2).  The input is one frame, copied into
 * an allocation of exactly its length so ASan sees any read or write past
 * it.  What must hold: the parse either refuses or gives offsets inside the
 * frame; a rewrite of what parsed keeps a valid IPv4 header checksum valid,
 * and the rewritten frame parses again to the same flow with the backend's
 * address; nothing outside [0, len) is touched.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"

static void expect(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_parse_frame: %s\n", what);
		abort();
	}
}

/* The one's-complement sum of the IPv4 header is 0xffff when its checksum is right. */
static int ipv4_checksum_ok(const uint8_t *ip, uint32_t ihl_bytes)
{
	uint32_t sum = 0;
	for (uint32_t i = 0; i + 1 < ihl_bytes; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65535)
		return 0;
	uint32_t len = (uint32_t)size;
	uint8_t *frame = malloc(len ? len : 1);
	if (len)
		memcpy(frame, data, len);

	struct maglev_pkt p;
	memset(&p, 0, sizeof p);
	int rc = maglev_parse(frame, len, &p);
	if (rc == 0) {
		expect(p.l3_off == MAGLEV_ETH_HLEN, "IPv4 header not after Ethernet");
		expect(p.l4_off > p.l3_off && p.l4_off <= len, "L4 offset outside the frame");
		expect((uint32_t)p.l4_off + p.l4_len <= len, "L4 length past the frame");
		expect(p.key.proto == 6 || p.key.proto == 17, "parsed a protocol it does not handle");

		uint32_t ihl = p.l4_off - p.l3_off;
		int sum_ok = ipv4_checksum_ok(frame + p.l3_off, ihl);
		struct maglev_backend b = { .name = "b", .mac = { 2, 0, 0, 0, 0, 1 }, .ip = 0x0a000001u };
		expect(maglev_rewrite(frame, len, &p, &b) == 0, "rewrite of a parsed frame failed");
		if (sum_ok)
			expect(ipv4_checksum_ok(frame + p.l3_off, ihl), "rewrite broke the IPv4 checksum");
		struct maglev_pkt q;
		expect(maglev_parse(frame, len, &q) == 0, "a rewritten frame does not parse");
		expect(q.l4_off == p.l4_off && q.l4_len == p.l4_len && q.key.proto == p.key.proto,
		       "rewrite changed the headers' layout");
		expect(memcmp(frame + p.l3_off + 16, &b.ip, 4) == 0, "destination is not the backend");
	}
	/* A stale or made-up parse result cannot make rewrite write out of bounds. */
	struct maglev_pkt forged = p;
	forged.l4_off = (uint16_t)(len + (size & 7));
	(void)maglev_rewrite(frame, len, &forged, &(struct maglev_backend){ .name = "f" });
	static const uint8_t own[6] = { 2, 0, 0, 0, 0, 2 };
	rc = maglev_forward_l2(frame, len, own, &(struct maglev_backend){ .name = "l2" });
	expect(len >= MAGLEV_ETH_HLEN ? rc == 0 : rc < 0, "L2 forward of a frame");
	free(frame);
	return 0;
}
