/*
 * A test domain that does what it is told.  Its init allocates its state
 * with pd_alloc (so recovery must free it) and exports one nf_null object;
 * ping(x) either answers x + 1, forwards x to the next domain in a chain,
 * or faults in the way x names.  The configuration lives outside the
 * domain (it is the manager's) and counts inits, so tests can see
 * recoveries happen.
 */
#ifndef PROBE_H
#define PROBE_H

#include "test_proxies.h"

enum probe_cmd {
	PROBE_ECHO = 0,     /* result = x + 1 (x below PROBE_CMD_BASE) */
	PROBE_CMD_BASE = 0x10000,
	PROBE_PANIC = PROBE_CMD_BASE,
	PROBE_ASSERT,
	PROBE_ABORT,
	PROBE_SEGV,
	PROBE_BUS,
	PROBE_FPE,
	PROBE_ILL,
	PROBE_STACK,
	PROBE_QUOTA,
	PROBE_ALLOC,        /* allocate a tracked object and keep it */
	PROBE_CMD_END
};

/* What a forwarding probe answers when the next hop returned an error. */
#define PROBE_SAW_ERROR 0xE0000000u

struct probe_config {
	const char *name;
	nf_null_rref next;     /* forward everything here when not null */
	int init_calls;        /* how many times init ran */
	int fail_init_after;   /* if > 0: inits after this many fail */
	int last_next_rc;      /* what the last forward returned */
	size_t quota;
	nf_null_rref exported; /* written by init */
	pd_domain *domain;
};

/* Creates the domain for cfg (cfg must outlive it); returns pd_domain_create's rc. */
int probe_create(struct probe_config *cfg);

/* Objects of the kind PROBE_ALLOC makes that are alive / have been destroyed. */
extern int probe_objects_alive;
extern int probe_objects_destroyed;

extern const pd_kind probe_kind;

/* Set up before the first PROBE_BUS: a mapping whose second page raises SIGBUS. */
int probe_setup_sigbus(void);

const char *probe_cmd_name(uint32_t cmd);

#endif
