/*
 * stage_maglev.h - the Maglev pipeline stage (domain `maglev` of
 * idl/maglev.pdl, implementing `balancer : std.stage`) as a program sets it
 * up: the start-time configuration it is created from, and helpers that turn
 * "NAME,MAC,IP" strings into backends.
 *
 * The configuration is the domain spec's arg.  init (and a `reset` recovery,
 * which re-runs init) reads it, so a recovered stage comes back with the
 * start-time backends.  Changes made at run time through the balancer rref
 * (add_backend, remove_backend) live in the domain's own state only: a reset
 * forgets them, as it forgets the connection table.
 */
#ifndef MAGLEV_STAGE_H
#define MAGLEV_STAGE_H

#include <stdint.h>

#include "maglev.pdl.h"
#include "maglev_table.h"

#define MAGLEV_STAGE_MAX_BACKENDS 64

typedef struct maglev_stage_config {
	uint32_t table_size;        /* 0: MAGLEV_DEFAULT_SIZE */
	uint32_t flow_capacity;     /* connection-table entries; 0: 65536 */
	unsigned n_backends;
	struct maglev_backend backends[MAGLEV_STAGE_MAX_BACKENDS];
} maglev_stage_config;

/*
 * Parses "NAME,MAC,IP" (e.g. "be1,02:00:00:00:10:01,10.10.0.1") into *out
 * (ip in network byte order).  Returns 0 or -1 after printing why.
 */
int maglev_backend_parse(const char *spec, struct maglev_backend *out);

/* The generated proxy's view of a backend (name borrowed from b, ip in host order). */
maglev_backend_desc maglev_backend_to_pdl(const struct maglev_backend *b);

/*
 * A copy of maglev_maglev_domain whose arg is cfg, for a pipeline to use in
 * place of the generated spec (which carries no configuration).
 */
pd_domain_spec maglev_stage_spec(const maglev_stage_config *cfg);

/* be1..be4: 02:00:00:00:10:0N, 10.10.0.N - the demo's and the tests' set. */
void maglev_stage_default_backends(maglev_stage_config *cfg);

#endif
