/*
 * The probe domain (see probe.h).  The fault injections are written so the
 * compiler cannot prove them away: volatile operands, a wild pointer it
 * cannot see through, a recursion whose frames it must keep.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probe.h"

int probe_objects_alive;
int probe_objects_destroyed;

static void probe_obj_destroy(void *obj)
{
	(void)obj;
	__atomic_sub_fetch(&probe_objects_alive, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&probe_objects_destroyed, 1, __ATOMIC_RELAXED);
}

const pd_kind probe_kind = { .name = "probe_obj", .destroy = probe_obj_destroy };

struct probe_state {
	struct probe_config *cfg;
	uint32_t calls;
	void *kept[4];
};

static int *volatile wild;
static volatile char *bus_page;
static volatile int zero;

int probe_setup_sigbus(void)
{
	if (bus_page)
		return 0;
	int fd = memfd_create("pd-sigbus", 0);
	if (fd < 0 || ftruncate(fd, 4096) != 0)
		return -1;
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	bus_page = p + 4096;  /* beyond the end of the file */
	return 0;
}

/* Bounded only by a limit the compiler cannot see: the stack runs out first. */
static volatile int recursion_limit = 1 << 30;

/* The faults below are made on purpose: the sanitizers must let the
 * hardware raise them, as in a plain build (./configure --sanitize). */
#define ON_PURPOSE __attribute__((no_sanitize("address", "undefined")))

__attribute__((noinline)) ON_PURPOSE static int recurse(int n)
{
	volatile char buf[256];
	buf[0] = (char)n;
	if (n >= recursion_limit)
		return buf[0];
	return recurse(n + 1) + buf[0];
}

ON_PURPOSE static void do_fault(struct probe_state *st, uint32_t cmd)
{
	switch (cmd) {
	case PROBE_PANIC:
		pd_panic("probe %s: panic on request", st->cfg->name);
	case PROBE_ASSERT:
		pd_assert(st->calls == 0xffffffffu);
		break;
	case PROBE_ABORT:
		abort();
	case PROBE_SEGV:
		*wild = 1;
		break;
	case PROBE_BUS:
		bus_page[0] = 1;
		break;
	case PROBE_FPE:
		st->calls = st->calls / (uint32_t)zero;
		break;
	case PROBE_ILL:
		__builtin_trap();
	case PROBE_STACK:
		st->calls = (uint32_t)recurse(0);
		break;
	case PROBE_QUOTA:
		pd_alloc(st->cfg->quota + 1, NULL);
		break;
	}
}

static int probe_ping(void *self, uint32_t x, uint32_t *result)
{
	struct probe_state *st = self;

	st->calls++;
	if (!pd_rref_is_null(st->cfg->next.r)) {
		uint32_t r = 0;
		int rc = nf_null_ping(st->cfg->next, x, &r);
		st->cfg->last_next_rc = rc;
		*result = rc < 0 ? PROBE_SAW_ERROR : r + 1;
		return 0;
	}
	if (x < PROBE_CMD_BASE) {
		*result = x + 1;
		return 0;
	}
	if (x == PROBE_ALLOC) {
		for (int i = 0; i < 4; i++)
			if (st->kept[i] == NULL) {
				st->kept[i] = pd_alloc(32, &probe_kind);
				if (st->kept[i] == NULL)
					return -PD_ENOMEM;
				__atomic_add_fetch(&probe_objects_alive, 1, __ATOMIC_RELAXED);
				*result = (uint32_t)i;
				return 0;
			}
		return -PD_ENOMEM;
	}
	do_fault(st, x);
	*result = 0;
	return 0;  /* only when the fault did not happen */
}

static const nf_null_ops probe_ops = { .ping = probe_ping };

static int probe_init(void *arg)
{
	struct probe_config *cfg = arg;

	cfg->init_calls++;
	if (cfg->fail_init_after > 0 && cfg->init_calls > cfg->fail_init_after)
		return -PD_EINVAL;
	struct probe_state *st = pd_alloc(sizeof(*st), NULL);
	if (st == NULL)
		return -PD_ENOMEM;
	st->cfg = cfg;
	return nf_null_export(&probe_ops, st, NULL, NULL, &cfg->exported);
}

int probe_create(struct probe_config *cfg)
{
	pd_domain_spec spec = {
		.name = cfg->name,
		.init = probe_init,
		.arg = cfg,
		.policy = PD_RECOVER_RESET,
		.quota_bytes = cfg->quota,
	};
	return pd_domain_create(&spec, &cfg->domain);
}

const char *probe_cmd_name(uint32_t cmd)
{
	static const char *const names[] = {
		"panic", "assert", "abort", "SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL",
		"stack overflow", "quota", "alloc",
	};
	if (cmd < PROBE_CMD_BASE || cmd >= PROBE_CMD_END)
		return "echo";
	return names[cmd - PROBE_CMD_BASE];
}
