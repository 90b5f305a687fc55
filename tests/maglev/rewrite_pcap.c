/*
 * Test helper for tests/maglev/checksums.sh: runs every frame of a pcap
 * through the Maglev library as the DPDK stage will (parse, pick a backend
 * through the connection table, rewrite) and writes the rewritten frames to
 * another pcap, so that checksums can be verified by tools that share no
 * code with ours (scapy, tshark).  Frames the parser refuses are not
 * written; their count per error is printed.
 *
 *   rewrite_pcap IN.pcap OUT.pcap
 *
 * Prints one "backend NAME MAC IP" line per backend, then
 * "rewritten=N dropped=N" and "drop ERROR=N" lines.  Exit 0 unless a file
 * could not be read or written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "flow_table.h"
#include "maglev_table.h"
#include "rewrite.h"

#define NBACKENDS 5
#define SNAPLEN 65535u

struct pcap_in {
	FILE *f;
	int swap;            /* file written on a host of the other byte order */
};

static uint32_t sw(uint32_t v, int swap)
{
	return swap ? __builtin_bswap32(v) : v;
}

static int open_in(struct pcap_in *in, const char *path)
{
	uint32_t hdr[6];
	in->f = fopen(path, "rb");
	if (in->f == NULL || fread(hdr, sizeof(hdr), 1, in->f) != 1)
		return -1;
	if (hdr[0] == 0xa1b2c3d4 || hdr[0] == 0xa1b23c4d)
		in->swap = 0;
	else if (hdr[0] == 0xd4c3b2a1 || hdr[0] == 0x4d3cb2a1)
		in->swap = 1;
	else
		return -1;
	return sw(hdr[5], in->swap) == 1 ? 0 : -1;   /* LINKTYPE_ETHERNET only */
}

/* Next record into buf; its timestamp words into ts; 1, 0 at EOF, -1 on error. */
static int next_frame(struct pcap_in *in, uint8_t *buf, uint32_t *len, uint32_t ts[2])
{
	uint32_t rec[4];
	if (fread(rec, sizeof(rec), 1, in->f) != 1)
		return 0;
	uint32_t incl = sw(rec[2], in->swap);
	if (incl > SNAPLEN || (incl && fread(buf, incl, 1, in->f) != 1))
		return -1;
	ts[0] = sw(rec[0], in->swap);
	ts[1] = sw(rec[1], in->swap);
	*len = incl;
	return 1;
}

static int write_header(FILE *f)
{
	/* The timestamps are copied through, so keep the input's resolution
	 * irrelevant: no checker reads them. */
	uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, SNAPLEN, 1 };
	return fwrite(hdr, sizeof(hdr), 1, f) == 1 ? 0 : -1;
}

static int write_frame(FILE *f, const uint8_t *buf, uint32_t len, const uint32_t ts[2])
{
	uint32_t rec[4] = { ts[0], ts[1] % 1000000, len, len };
	return fwrite(rec, sizeof(rec), 1, f) == 1 && fwrite(buf, len, 1, f) == 1 ? 0 : -1;
}

static struct maglev_table *backends(void)
{
	struct maglev_table *t = NULL;
	if (maglev_table_create(MAGLEV_DEFAULT_SIZE, &t) != 0)
		return NULL;
	for (int i = 0; i < NBACKENDS; i++) {
		struct maglev_backend b;
		memset(&b, 0, sizeof(b));
		snprintf(b.name, sizeof(b.name), "backend-%d", i);
		uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x01, (uint8_t)i };
		memcpy(b.mac, mac, 6);
		b.ip = htonl(0x0a010001u + (uint32_t)i);   /* 10.1.0.1 + i */
		if (maglev_backend_add(t, &b) < 0)
			return NULL;
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &b.ip, ip, sizeof(ip));
		printf("backend %s %02x:%02x:%02x:%02x:%02x:%02x %s\n", b.name, mac[0], mac[1],
		       mac[2], mac[3], mac[4], mac[5], ip);
	}
	return maglev_table_build(t) == 0 ? t : NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s IN.pcap OUT.pcap\n", argv[0]);
		return 2;
	}
	struct pcap_in in;
	FILE *out = fopen(argv[2], "wb");
	struct maglev_table *t = backends();
	struct maglev_flow_table *ft = NULL;
	static uint8_t buf[SNAPLEN];
	if (open_in(&in, argv[1]) != 0 || out == NULL || write_header(out) != 0) {
		fprintf(stderr, "%s: cannot read %s or write %s\n", argv[0], argv[1], argv[2]);
		return 1;
	}
	if (t == NULL || maglev_flow_table_create(4096, 0, &ft) != 0) {
		fprintf(stderr, "%s: cannot set up the tables\n", argv[0]);
		return 1;
	}
	uint64_t rewritten = 0, dropped = 0, by_error[MAGLEV_ERROR_END - MAGLEV_EINVAL] = { 0 };
	uint32_t len, ts[2];
	int r;
	uint64_t now = 0;
	while ((r = next_frame(&in, buf, &len, ts)) == 1) {
		struct maglev_pkt p;
		int rc = maglev_parse(buf, len, &p);
		int id = rc < 0 ? rc : maglev_flow_pick(ft, t, &p.key, now++);
		if (id >= 0)
			rc = maglev_rewrite(buf, len, &p, maglev_backend_get(t, id));
		else
			rc = id;
		if (rc < 0) {
			dropped++;
			by_error[-rc - MAGLEV_EINVAL]++;
			continue;
		}
		if (write_frame(out, buf, len, ts) != 0) {
			r = -1;
			break;
		}
		rewritten++;
	}
	if (r < 0 || fclose(out) != 0) {
		fprintf(stderr, "%s: error reading %s or writing %s\n", argv[0], argv[1], argv[2]);
		return 1;
	}
	fclose(in.f);
	printf("rewritten=%llu dropped=%llu\n", (unsigned long long)rewritten,
	       (unsigned long long)dropped);
	for (int e = MAGLEV_EINVAL; e < MAGLEV_ERROR_END; e++)
		if (by_error[e - MAGLEV_EINVAL])
			printf("drop %s=%llu\n", maglev_strerror(e),
			       (unsigned long long)by_error[e - MAGLEV_EINVAL]);
	maglev_flow_table_destroy(ft);
	maglev_table_free(t);
	return 0;
}
