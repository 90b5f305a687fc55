/*
 * recoverbench: what a reset recovery of a small domain costs while others
 * hold N objects.  The sweep that frees a faulted domain's objects looks at
 * every slot the heap has carved (docs/architecture.md, "the price of O(1)
 * lock-free moves"), so its cost grows with everyone's objects, not only the
 * faulting domain's; this prints by how much.  For each N (0 is the
 * baseline, measured in the same run) the outside allocates N 32-byte
 * objects, then a domain that owns one object faults FAULTS times - each
 * fault contained and recovered (reset: sweep, init again) - and the median
 * and the 10th-90th percentile range of one fault and its recovery are
 * printed, in microseconds:
 *
 *	others=N fault_recover_us=MEDIAN p10=.. p90=.. faults=..
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

#include "pd.h"
#include "pd_internal.h"

enum { FAULTS = 201 };

static const pd_kind kind = { .name = "bench", .destroy = NULL };

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The domain's init: the one object it owns, so its sweep has work too. */
static int keep_one(void *arg)
{
	(void)arg;
	return pd_alloc(64, &kind) ? 0 : -PD_ENOMEM;
}

static int crash(void *arg)
{
	(void)arg;
	pd_panic("recoverbench: the fault being timed");
	return 0;
}

static double tsc_per_us(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t t0 = __rdtsc();
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 50000000L);
	uint64_t t1 = __rdtsc();
	return (double)(t1 - t0) /
	       ((double)((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec)) / 1000.0);
}

int main(void)
{
	static const size_t sizes[] = { 0, 1000, 10000, 100000, 1000000, 4000000 };
	enum { NSIZES = sizeof sizes / sizeof sizes[0] };
	const pd_domain_spec spec = { .name = "recoverbench.small", .init = keep_one };
	pd_domain *d;
	if (pd_domain_create(&spec, &d) != 0) {
		fprintf(stderr, "recoverbench: pd_domain_create failed\n");
		return 1;
	}
	double per_us = tsc_per_us();
	void **held = malloc(sizes[NSIZES - 1] * sizeof *held);
	if (held == NULL)
		return 1;
	size_t n = 0;
	double t[FAULTS];
	for (int k = 0; k < NSIZES; k++) {
		for (; n < sizes[k]; n++)
			if ((held[n] = pd_alloc(32, &kind)) == NULL) {
				fprintf(stderr, "recoverbench: out of memory at %zu objects\n", n);
				return 1;
			}
		for (int i = 0; i < FAULTS; i++) {
			uint64_t t0 = __rdtsc();
			int rc = pd__run_contained(d, crash, NULL);
			uint64_t t1 = __rdtsc();
			if (rc != -PD_EFAULT || pd_domain_state(d) != PD_DOMAIN_LIVE) {
				fprintf(stderr, "recoverbench: the fault was not contained and recovered (%d)\n", rc);
				return 1;
			}
			t[i] = (double)(t1 - t0) / per_us;
		}
		qsort(t, FAULTS, sizeof *t, cmp);
		printf("others=%zu fault_recover_us=%.2f p10=%.2f p90=%.2f faults=%d\n", n,
		       t[FAULTS / 2], t[FAULTS / 10], t[FAULTS * 9 / 10], FAULTS);
		fflush(stdout);
	}
	for (size_t i = 0; i < n; i++)
		pd_free(held[i]);
	free(held);
	pd_domain_destroy(d);
	return 0;
}
