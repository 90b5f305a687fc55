/*
 * callbench: what isolation costs per call and per recovery, measured in
 * one process.  Each sample times a block of calls with the TSC; direct,
 * proxied and armed-proxied blocks are interleaved so that frequency
 * changes and interrupts hit all variants alike, and the medians of the
 * per-call figures are printed:
 *
 *	direct_cycles=X proxy_cycles=Y overhead_cycles=Z     null method, proxy arms its own frame
 *	armed_proxy_cycles=Y armed_overhead_cycles=Z         one PD_CATCH_ARM frame for all calls
 *	stage_direct_cycles=.. stage_proxy_cycles=.. stage_overhead_cycles=..
 *	stage_armed_proxy_cycles=.. stage_armed_overhead_cycles=..
 *	                                                     batch moved in and back out
 *	stage_armed_unchecked_cycles=Y label_check_cycles=Z  the armed stage call through a copy of
 *	                                                     its proxy without pd_call_flow_in/out:
 *	                                                     what the label checks cost when no
 *	                                                     label is held
 *	labeled_proxy_cycles=Y label_overhead_cycles=Z        the same null call into a domain
 *	                                                     whose state holds {a} (powerset {a, b})
 *	                                                     from a caller holding {a} - labels on
 *	                                                     both sides, in steady state - minus
 *	                                                     the call where neither holds any
 *	armed_labeled_proxy_cycles=Y armed_label_overhead_cycles=Z
 *	                                                     the same under an armed frame (as the
 *	                                                     scheduler calls), minus armed_proxy_cycles
 *	armed_derived_proxy_cycles=Y derived_overhead_cycles=Z
 *	                                                     the armed null call into an object
 *	                                                     exported as an interface extending the
 *	                                                     proxy's (nf.pinger : nf.null, as a stage
 *	                                                     is exported as `filter : std.stage`),
 *	                                                     minus armed_proxy_cycles
 *	recovery_cycles=R                                    pd_panic in the callee -> caller has -PD_EFAULT
 *	recovery_signal_cycles=R                             the same for a SIGSEGV (kernel signal delivery included)
 *
 * Every call goes through a volatile ops pointer or rref inside a noinline
 * function, so the compiler can neither inline nor hoist the call.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "test_proxies.h"

enum { BLOCK = 100, SAMPLES = 100000, RECOVERY_SAMPLES = 20000 };

/* --- the domain under test: a null filter --- */

/* A null pointer the compiler cannot see through. */
static int *volatile wild;

static int null_ping(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	if (x == 0xdead)
		pd_panic("null filter: injected panic");
	if (x == 0xbeef)
		*wild = 1;
	*result = x + 1;
	return 0;
}

static int null_stage(void *self, pd_batch *b, pd_batch **result)
{
	(void)self;
	*result = b;
	return 0;
}

static const nf_null_ops null_ops = { .ping = null_ping };
static const nf_stage_ops stage_ops = { .process = null_stage };
static nf_null_rref null_rref;
static nf_stage_rref stage_rref;
static int null_state;

static int null_init(void *arg)
{
	(void)arg;
	int rc = nf_null_export(&null_ops, &null_state, NULL, NULL, &null_rref);
	if (rc == 0)
		rc = nf_stage_export(&stage_ops, &null_state, NULL, NULL, &stage_rref);
	return rc;
}

/* --- the same null filter in a domain that carries labels --- */

static const char *const lvl_names[] = { "a", "b" };
static pd_lattice_slot lvl_slot;
static const pd_lattice lvl_lattice = {
	.name = "callbench.lvl",
	.kind = PD_LATTICE_POWERSET,
	.n_labels = 4,
	.n_names = 2,
	.names = lvl_names,
	.bottom = 0,
	.top = 0x3,
	.width = 2,
	.fingerprint = 0x6c766c,
	.slot = &lvl_slot,
};
/* The domain's state holds {a}: it and everything it returns are labelled. */
static const pd_label_ref lvl_a = { &lvl_lattice, 0x1 };
static nf_null_rref labeled_rref;

static int labeled_init(void *arg)
{
	(void)arg;
	return nf_null_export(&null_ops, &null_state, NULL, NULL, &labeled_rref);
}

/* --- the same null filter exported as a pinger (which extends null) --- */

static int derived_pong(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	*result = x;
	return 0;
}

static const nf_pinger_ops pinger_ops = { .null = { .ping = null_ping }, .pong = derived_pong };
static nf_pinger_rref derived_rref;

static int derived_init(void *arg)
{
	(void)arg;
	return nf_pinger_export(&pinger_ops, &null_state, NULL, NULL, &derived_rref);
}

/* The label the thread holds before a block: none for the unlabelled
 * variants, {a} - what the labelled domain's results give it - for the
 * labelled ones, so that every timed call is a steady-state one. */
static void unlabelled(void)
{
	pd_label_reset_outside();
}

static void labelled(void)
{
	pd_label_set_outside(pd_labels_of(&lvl_lattice, 0x1));
}

/* --- the measured calls --- */

static const nf_null_ops *volatile direct_null = &null_ops;
static const nf_stage_ops *volatile direct_stage = &stage_ops;
static void *volatile direct_self = &null_state;
static volatile pd_rref v_null, v_stage, v_labeled, v_derived;
static volatile uint32_t sink;

__attribute__((noinline)) static void direct_call(uint32_t x)
{
	uint32_t r = 0;
	direct_null->ping(direct_self, x, &r);
	sink = r;
}

__attribute__((noinline)) static void proxy_call(uint32_t x)
{
	uint32_t r = 0;
	nf_null_rref ref;
	ref.r.v = v_null.v;
	nf_null_ping(ref, x, &r);
	sink = r;
}

__attribute__((noinline)) static void derived_call(uint32_t x)
{
	uint32_t r = 0;
	nf_null_rref ref;
	ref.r.v = v_derived.v;
	nf_null_ping(ref, x, &r);
	sink = r;
}

__attribute__((noinline)) static void labeled_call(uint32_t x)
{
	uint32_t r = 0;
	nf_null_rref ref;
	ref.r.v = v_labeled.v;
	nf_null_ping(ref, x, &r);
	sink = r;
}

/* nf_stage_process as pdlc emits it, minus pd_call_flow_in/out. */
static inline __attribute__((always_inline))
int stage_unchecked(nf_stage_rref rref, pd_batch **b, pd_batch **result)
{
	if (b == NULL || result == NULL)
		return -PD_EINVAL;
	pd_call call;
	int rc = pd_call_resolve(&call, rref.r, &nf_stage_iface, NF_STAGE_PROCESS);
	if (rc < 0)
		return rc;
	const nf_stage_ops *ops = (const nf_stage_ops *)call.ops;
	pd_batch *b_moved = *b;
	if ((rc = pd_move_in(&call, b_moved)) < 0)
		return rc;
	if ((rc = pd_call_switch(&call)) < 0) {
		pd_move_out(&call, b_moved);
		return rc;
	}
	*b = NULL;
	pd_batch *out_ = NULL;
	rc = PD_CALL_VIA(&call, ops->process)(call.self, b_moved, &out_);
	pd_call_leave(&call);
	if (rc >= 0)
		rc = pd_move_out(&call, out_);
	if (rc < 0)
		return rc;
	*result = out_;
	return rc;
}

__attribute__((noinline)) static pd_batch *unchecked_stage_call(pd_batch *b)
{
	pd_batch *out = NULL;
	nf_stage_rref ref;
	ref.r.v = v_stage.v;
	stage_unchecked(ref, &b, &out);
	return out;
}

__attribute__((noinline)) static pd_batch *direct_stage_call(pd_batch *b)
{
	pd_batch *out = NULL;
	direct_stage->process(direct_self, b, &out);
	return out;
}

__attribute__((noinline)) static pd_batch *proxy_stage_call(pd_batch *b)
{
	pd_batch *out = NULL;
	nf_stage_rref ref;
	ref.r.v = v_stage.v;
	nf_stage_process(ref, &b, &out);
	return out;
}

static inline uint64_t tsc(void)
{
	_mm_lfence();
	uint64_t t = __rdtsc();
	_mm_lfence();
	return t;
}

/* One block of each variant; the armed ones run under one frame armed here. */
static uint64_t time_direct(void)
{
	uint64_t t0 = tsc();
	for (uint32_t i = 0; i < BLOCK; i++)
		direct_call(i);
	return tsc() - t0;
}

static uint64_t time_proxy(void)
{
	uint64_t t0 = tsc();
	for (uint32_t i = 0; i < BLOCK; i++)
		proxy_call(i);
	return tsc() - t0;
}

static uint64_t time_labeled(void)
{
	uint64_t t0 = tsc();
	for (uint32_t i = 0; i < BLOCK; i++)
		labeled_call(i);
	return tsc() - t0;
}

/* One block of proxy_call or labeled_call under one frame armed here. */
static uint64_t time_armed_via(void (*call)(uint32_t))
{
	pd_catch c;
	volatile uint64_t t0 = 0;
	if (PD_CATCH_ARM(&c)) {
		fprintf(stderr, "callbench: unexpected fault\n");
		exit(1);
	}
	t0 = tsc();
	for (uint32_t i = 0; i < BLOCK; i++)
		call(i);
	uint64_t dt = tsc() - t0;
	pd_catch_disarm(&c);
	return dt;
}

static uint64_t time_armed_labeled(void)
{
	return time_armed_via(labeled_call);
}

static uint64_t time_armed_derived(void)
{
	return time_armed_via(derived_call);
}

static uint64_t time_armed(void)
{
	pd_catch c;
	volatile uint64_t t0 = 0;
	if (PD_CATCH_ARM(&c)) {
		fprintf(stderr, "callbench: unexpected fault\n");
		exit(1);
	}
	t0 = tsc();
	for (uint32_t i = 0; i < BLOCK; i++)
		proxy_call(i);
	uint64_t dt = tsc() - t0;
	pd_catch_disarm(&c);
	return dt;
}

static uint64_t time_stage_direct(pd_batch **b)
{
	pd_batch *x = *b;
	uint64_t t0 = tsc();
	for (uint32_t i = 0; i < BLOCK; i++)
		x = direct_stage_call(x);
	uint64_t dt = tsc() - t0;
	*b = x;
	return dt;
}

static uint64_t time_stage_proxy(pd_batch **b)
{
	pd_batch *x = *b;
	uint64_t t0 = tsc();
	for (uint32_t i = 0; i < BLOCK; i++)
		x = proxy_stage_call(x);
	uint64_t dt = tsc() - t0;
	*b = x;
	return dt;
}

static uint64_t time_stage_armed_via(pd_batch **b, pd_batch *(*call)(pd_batch *))
{
	pd_catch c;
	pd_batch *volatile x = *b;
	volatile uint64_t t0 = 0;
	if (PD_CATCH_ARM(&c)) {
		fprintf(stderr, "callbench: unexpected fault\n");
		exit(1);
	}
	t0 = tsc();
	for (uint32_t i = 0; i < BLOCK; i++)
		x = call(x);
	uint64_t dt = tsc() - t0;
	pd_catch_disarm(&c);
	*b = x;
	return dt;
}

static uint64_t time_stage_armed(pd_batch **b)
{
	return time_stage_armed_via(b, proxy_stage_call);
}

static uint64_t time_stage_unchecked(pd_batch **b)
{
	return time_stage_armed_via(b, unchecked_stage_call);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double median(uint64_t *v, size_t n, unsigned per)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return (double)v[n / 2] / per;
}

static double recovery(uint32_t how)
{
	static uint64_t t[RECOVERY_SAMPLES];
	for (size_t i = 0; i < RECOVERY_SAMPLES; i++) {
		uint32_t r;
		nf_null_rref ref;
		ref.r.v = v_null.v;
		uint64_t t0 = tsc();
		int rc = nf_null_ping(ref, how, &r);
		t[i] = tsc() - t0;
		if (rc != -PD_EFAULT) {
			fprintf(stderr, "callbench: injected fault gave %d\n", rc);
			exit(1);
		}
	}
	return median(t, RECOVERY_SAMPLES, 1);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
		fprintf(help ? stdout : stderr,
			"usage: %s\n"
			"Times a null call into a domain through its proxy against a direct\n"
			"call, the label checks, and recovery from a panic and a SIGSEGV;\n"
			"prints medians in TSC cycles (no options, no DPDK).\n", argv[0]);
		if (!help)
			fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[1]);
		return help ? 0 : 2;
	}
	static const pd_domain_spec spec = {
		.name = "null-filter", .init = null_init, .policy = PD_RECOVER_RESET,
	};
	pd_domain *d;
	int rc = pd_domain_create(&spec, &d);
	if (rc < 0) {
		fprintf(stderr, "callbench: %s\n", pd_strerror(rc));
		return 1;
	}
	static const pd_domain_spec labeled_spec = {
		.name = "null-filter-labeled", .init = labeled_init,
		.policy = PD_RECOVER_RESET, .lattice = &lvl_lattice, .clearance = 0x3,
		.initial = &lvl_a, .n_initial = 1,
	};
	pd_domain *ld;
	rc = pd_domain_create(&labeled_spec, &ld);
	if (rc < 0) {
		fprintf(stderr, "callbench: %s\n", pd_strerror(rc));
		return 1;
	}
	static const pd_domain_spec derived_spec = {
		.name = "null-filter-derived", .init = derived_init, .policy = PD_RECOVER_RESET,
	};
	pd_domain *dd;
	rc = pd_domain_create(&derived_spec, &dd);
	if (rc < 0) {
		fprintf(stderr, "callbench: %s\n", pd_strerror(rc));
		return 1;
	}
	v_derived.v = derived_rref.r.v;
	v_null.v = null_rref.r.v;
	v_stage.v = stage_rref.r.v;
	v_labeled.v = labeled_rref.r.v;
	pd_batch *b = pd_alloc(sizeof(*b), NULL);

	static uint64_t dir[SAMPLES], prx[SAMPLES], arm[SAMPLES];
	static uint64_t sdir[SAMPLES], sprx[SAMPLES], sarm[SAMPLES], lab[SAMPLES],
		uchk[SAMPLES], alab[SAMPLES], ader[SAMPLES];
	for (int warm = 0; warm < 1000; warm++) {
		time_direct();
		time_proxy();
		time_armed();
	}
	for (size_t i = 0; i < SAMPLES; i++) {
		unlabelled();
		dir[i] = time_direct();
		prx[i] = time_proxy();
		arm[i] = time_armed();
		sdir[i] = time_stage_direct(&b);
		sprx[i] = time_stage_proxy(&b);
		sarm[i] = time_stage_armed(&b);
		labelled();
		lab[i] = time_labeled();
		unlabelled();
		uchk[i] = time_stage_unchecked(&b);
		labelled();
		alab[i] = time_armed_labeled();
		unlabelled();
		ader[i] = time_armed_derived();
	}
	if (b == NULL || pd_owner(b, NULL) != NULL) {
		fprintf(stderr, "callbench: the batch did not come back\n");
		return 1;
	}
	double md = median(dir, SAMPLES, BLOCK), mp = median(prx, SAMPLES, BLOCK);
	double ma = median(arm, SAMPLES, BLOCK);
	double sd = median(sdir, SAMPLES, BLOCK), sp = median(sprx, SAMPLES, BLOCK);
	double sa = median(sarm, SAMPLES, BLOCK);
	double ml = median(lab, SAMPLES, BLOCK);
	double su = median(uchk, SAMPLES, BLOCK);
	double mal = median(alab, SAMPLES, BLOCK);
	double mder = median(ader, SAMPLES, BLOCK);

	printf("direct_cycles=%.1f proxy_cycles=%.1f overhead_cycles=%.1f\n", md, mp, mp - md);
	printf("armed_proxy_cycles=%.1f armed_overhead_cycles=%.1f\n", ma, ma - md);
	printf("stage_direct_cycles=%.1f stage_proxy_cycles=%.1f stage_overhead_cycles=%.1f\n",
	       sd, sp, sp - sd);
	printf("stage_armed_proxy_cycles=%.1f stage_armed_overhead_cycles=%.1f\n", sa, sa - sd);
	printf("stage_armed_unchecked_cycles=%.1f label_check_cycles=%.1f\n", su, sa - su);
	printf("labeled_proxy_cycles=%.1f label_overhead_cycles=%.1f\n", ml, ml - mp);
	printf("armed_labeled_proxy_cycles=%.1f armed_label_overhead_cycles=%.1f\n", mal, mal - ma);
	printf("armed_derived_proxy_cycles=%.1f derived_overhead_cycles=%.1f\n", mder, mder - ma);
	printf("recovery_cycles=%.0f\n", recovery(0xdead));
	printf("recovery_signal_cycles=%.0f\n", recovery(0xbeef));
	printf("calls_per_variant=%u\n", (unsigned)SAMPLES * BLOCK);

	pd_free(b);
	pd_domain_destroy(dd);
	pd_domain_destroy(ld);
	pd_domain_destroy(d);
	return 0;
}
