/*
 * stage_maglev.h - the Maglev pipeline stage (domain `maglev` of
 * idl/maglev.pdl, implementing `balancer : std.stage`) as a program sets it
 * up: the start-time configuration it is created from, the command-line
 * options every Maglev program shares, and run-time backend changes.
 *
 * The configuration is the domain spec's arg; init reads it.  The domain is
 * `on_fault restore`: its state - the backends by id and the connection
 * table (lb_state in idl/maglev.pdl) - is checkpointed every 64 batches
 * and right after each backend change (maglev_stage_change), so after a
 * fault every established flow keeps its backend and the run-time changes
 * survive.  The lookup table is not saved: it is recomputed from the
 * restored backends at the first call after a restore.
 *
 * Two ways to forward a packet to its backend:
 *   rewrite  destination MAC and IPv4 address := the backend's, checksums
 *            fixed (the pcap tests; the backend sees its own address);
 *   dsr      L2 direct server return: destination MAC := the backend's,
 *            source MAC := the balancer's, the IP packet untouched.  The
 *            backend holds the VIP on a loopback and answers the client
 *            directly (tests/live).  Frames not addressed to the balancer's
 *            MAC (floods of a switch) are dropped.
 */
#ifndef MAGLEV_STAGE_H
#define MAGLEV_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "maglev.pdl.h"
#include "maglev_table.h"

#define MAGLEV_STAGE_MAX_BACKENDS 64
#define MAGLEV_STAGE_DEFAULT_FLOWS 65536u

enum maglev_forward {
	MAGLEV_FORWARD_REWRITE,
	MAGLEV_FORWARD_DSR,
};

typedef struct maglev_stage_config {
	uint32_t table_size;        /* 0: MAGLEV_DEFAULT_SIZE */
	uint32_t flow_capacity;     /* connection-table entries; 0: the default */
	enum maglev_forward forward;
	uint8_t mac[6];             /* dsr: the balancer's own address */
	unsigned n_backends;
	struct maglev_backend backends[MAGLEV_STAGE_MAX_BACKENDS];
} maglev_stage_config;

/*
 * Parses "NAME,MAC,IP" (e.g. "be1,02:00:00:00:10:01,10.10.0.1") into *out
 * (ip in network byte order).  Returns 0 or -1 after printing why.
 */
int maglev_backend_parse(const char *spec, struct maglev_backend *out);

/*
 * Appends the backends of a file to cfg: one NAME,MAC,IP a line; blank
 * lines and lines starting with '#' are skipped.  Returns 0 or -1 after
 * printing FILE:LINE: why.
 */
int maglev_backends_file(const char *path, maglev_stage_config *cfg);

/*
 * The options every Maglev program takes (called from pd_app_opts.extra):
 *   --backend NAME,MAC,IP   --backends-file PATH   --table-size PRIME
 *   --flows N               --forward rewrite|dsr
 * Returns how many arguments it consumed, 0 for "not mine", -1 after
 * printing an error.
 */
int maglev_stage_option(maglev_stage_config *cfg, int argc, char **argv);
extern const char maglev_stage_usage[];

/* The generated proxy's view of a backend (name borrowed from b, ip in host order). */
maglev_backend_desc maglev_backend_to_pdl(const struct maglev_backend *b);

/*
 * A copy of maglev_maglev_domain whose arg is cfg, for a pipeline to use in
 * place of the generated spec (which carries no configuration).
 */
pd_domain_spec maglev_stage_spec(const maglev_stage_config *cfg);

/* `maglev --state-bench` (state_bench.c): checkpoint pause, restore outage
 * and throughput cost of the Maglev domain in both checkpoint designs. */
int maglev_state_bench(int argc, char **argv);

/* be1..be4: 02:00:00:00:10:0N, 10.10.0.N - the demo's and the tests' set. */
void maglev_stage_default_backends(maglev_stage_config *cfg);

/*
 * After the EAL started (ports probed) and the options were read: the
 * default backends when none were given, and for dsr the balancer's MAC,
 * port 0's.  0, or -1 after printing why.
 */
int maglev_stage_ready(maglev_stage_config *cfg);

/* A backend change made at run time: add `backend`, or remove backend.name. */
typedef struct maglev_change {
	bool add;
	struct maglev_backend backend;
} maglev_change;

/* Parses "add:NAME,MAC,IP" or "remove:NAME".  0, or -1 after printing why. */
int maglev_change_parse(const char *spec, maglev_change *out);

/*
 * Makes the change through the balancer rref lb (the first export of
 * domain d), then checkpoints d at once, so that a restore never forgets a
 * change.  Outside any domain, with no batch in flight (a control call or
 * a batch hook).  Returns 0 or the proxy's (or the checkpoint's) code.
 */
int maglev_stage_change(pd_rref lb, pd_domain *d, const maglev_change *c);

#endif
