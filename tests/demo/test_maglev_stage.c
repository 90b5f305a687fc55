/*
 * test_maglev_stage.c - the Maglev stage (examples/maglev/stage_maglev.c)
 * driven the way a program drives it: batches through the std stage proxy,
 * backend changes through the generated balancer proxies on the same rref.
 * Needs the EAL only for a mempool (pd_eal_start's defaults, no port).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "cunit_main.h"
#include "pd_batch.h"
#include "pd_core.h"
#include "pd_eal.h"
#include "pd_inject.h"
#include "flow_table.h"
#include "pd_std_stage.h"
#include "stage_maglev.h"

#define N_FLOWS 200

static struct rte_mempool *pool;
static maglev_stage_config cfg;
static pd_domain *dom;
static maglev_balancer_rref lb;

/* A UDP frame of flow f: 10.1.0.f:(2000+f) -> 192.168.100.1:53. */
/* Writes the n low bytes of v at p, most significant first (network order). */
static void put_be(uint8_t *p, uint32_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static struct rte_mbuf *frame(unsigned f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	static const uint8_t eth[14] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00 };

	if (!m || !rte_pktmbuf_append(m, 60))
		abort();        /* the pool is sized for every test */
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0, 60);
	memcpy(p, eth, sizeof eth);
	p[14] = 0x45;
	/* (stored byte by byte: the fields are not aligned in the frame) */
	put_be(p + 16, 46, 2);
	p[22] = 64;
	p[23] = 17;
	put_be(p + 26, 0x0a010000u + f, 4);
	put_be(p + 30, 0xc0a86401u, 4);
	put_be(p + 34, 2000 + f, 2);
	put_be(p + 36, 53, 2);
	put_be(p + 38, 26, 2);
	return m;
}

/* Sends flows first..first+n-1 through the stage; out[i] = the backend's last IP byte. */
static void send_flows(unsigned first, unsigned n, uint8_t *out)
{
	for (unsigned done = 0; done < n;) {
		unsigned k = n - done < PD_BATCH_MAX ? n - done : PD_BATCH_MAX;
		pd_batch *b = pd_batch_new();
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		for (unsigned i = 0; i < k; i++)
			b->pkts[i] = frame(first + done + i);
		b->n = (uint16_t)k;
		CU_ASSERT_EQUAL_FATAL(std_stage_process(maglev_balancer_as_std_stage(lb), &b, &b), 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT_EQUAL_FATAL(b->n, k);
		for (unsigned i = 0; i < k; i++)
			out[done + i] = rte_pktmbuf_mtod(b->pkts[i], uint8_t *)[33];
		pd_free(b);
		done += k;
	}
}

static maglev_backend_desc backend(const char *name, uint8_t n)
{
	static char names[8][16];
	maglev_backend_desc d = { .ip = 0x0a0a0000u | n, .healthy = true };

	snprintf(names[n % 8], sizeof names[0], "%s", name);
	d.name = (pd_bytes){ (uint8_t *)names[n % 8], (uint32_t)strlen(name) };
	memcpy(d.mac, (uint8_t[6]){ 2, 0, 0, 0, 0x10, n }, 6);
	return d;
}

static void test_added_backend_keeps_established_flows_and_takes_new_ones(void)
{
	uint8_t before[N_FLOWS], after[N_FLOWS], fresh[1000];
	uint32_t id;

	send_flows(0, N_FLOWS, before);
	maglev_backend_desc be5 = backend("be5", 5);
	CU_ASSERT_EQUAL(maglev_balancer_add_backend(lb, &be5, &id), 0);
	send_flows(0, N_FLOWS, after);
	CU_ASSERT_EQUAL(memcmp(before, after, N_FLOWS), 0);
	send_flows(10000, 1000, fresh);
	unsigned to_be5 = 0;
	for (unsigned i = 0; i < 1000; i++)
		to_be5 += fresh[i] == 5;
	CU_ASSERT(to_be5 > 100 && to_be5 < 300);        /* about a fifth */
}

static void test_duplicate_backend_is_refused(void)
{
	uint32_t id;
	maglev_backend_desc be5 = backend("be5", 5);

	CU_ASSERT_EQUAL(maglev_balancer_add_backend(lb, &be5, &id), -MAGLEV_EEXIST);
}

static void test_removed_backend_moves_only_its_flows(void)
{
	uint8_t before[N_FLOWS], after[N_FLOWS];
	pd_bytes be2 = { (uint8_t *)"be2", 3 };

	send_flows(0, N_FLOWS, before);
	CU_ASSERT_EQUAL(maglev_balancer_remove_backend(lb, &be2), 0);
	send_flows(0, N_FLOWS, after);
	unsigned on_be2 = 0;
	for (unsigned i = 0; i < N_FLOWS; i++) {
		CU_ASSERT(after[i] != 2);
		if (before[i] == 2)
			on_be2++;
		else
			CU_ASSERT_EQUAL(after[i], before[i]);
	}
	CU_ASSERT(on_be2 > 0);
}

static void test_removing_unknown_backend_is_refused(void)
{
	pd_bytes nope = { (uint8_t *)"nope", 4 };

	CU_ASSERT_EQUAL(maglev_balancer_remove_backend(lb, &nope), -MAGLEV_ENOENT);
}

static void test_backend_for_names_the_backend_packets_go_to(void)
{
	uint8_t out[1];
	uint32_t id = 99;

	send_flows(7, 1, out);
	maglev_flow_key k = { .src_ip = 0x0a010007u, .dst_ip = 0xc0a86401u,
			      .src_port = 2007, .dst_port = 53, .proto = 17 };
	CU_ASSERT_EQUAL_FATAL(maglev_balancer_backend_for(lb, &k, &id), 0);
	/* ids: be1..be4 took 0..3, be5 4; be2's id 1 is free now */
	static const uint8_t ip_of_id[] = { 1, 0, 3, 4, 5 };
	CU_ASSERT(id < 5 && ip_of_id[id] == out[0]);
}

static void test_malformed_frames_are_dropped(void)
{
	pd_batch *b = pd_batch_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	b->pkts[0] = frame(1);
	b->pkts[1] = frame(2);
	rte_pktmbuf_mtod(b->pkts[1], uint8_t *)[12] = 0x86;      /* IPv6 EtherType */
	b->pkts[2] = frame(3);
	rte_pktmbuf_trim(b->pkts[2], 30);                        /* UDP header cut */
	b->n = 3;
	CU_ASSERT_EQUAL_FATAL(std_stage_process(maglev_balancer_as_std_stage(lb), &b, &b), 0);
	CU_ASSERT_EQUAL(b->n, 1);
	pd_free(b);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
}


/* Faults the stage as a bug in it would: its domain is recovered on return. */
static void fault_the_stage(void)
{
	pd_catch c;
	pd_batch *volatile b = pd_batch_new();
	volatile bool landed = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	if (PD_CATCH_ARM(&c))
		landed = true;
	if (!landed)
		(void)pd_inject_in_domain(lb.r, (void **)&b, PD_INJECT_SEGV);
	pd_catch_disarm(&c);
	CU_ASSERT(landed);
	CU_ASSERT_EQUAL(pd_domain_state(dom), PD_DOMAIN_LIVE);
}

/*
 * Issue 13: the connection table and the backend set are the domain's
 * checkpointed state.  Flows established before a backend was added keep
 * their backend, flows established after it keep theirs (some on the new
 * backend), and new flows still see the new backend - all across a fault.
 * A program checkpoints right after a change (examples/maglev/main.c), so
 * a restore never forgets one.
 */
static void test_fault_keeps_flows_and_backend_changes(void)
{
	enum { OLD = 0, NEW = 20000, LATER = 40000, GONE = 60000, N = 1000 };
	static uint8_t old_before[N], new_before[N], old_after[N], new_after[N], later[N], gone[N];
	uint32_t id;

	send_flows(OLD, N, old_before);
	maglev_backend_desc be6 = backend("be6", 6);
	CU_ASSERT_EQUAL_FATAL(maglev_balancer_add_backend(lb, &be6, &id), 0);
	send_flows(NEW, N, new_before);
	CU_ASSERT_EQUAL_FATAL(pd_domain_checkpoint(dom), 0);
	unsigned on_be6 = 0;
	for (unsigned i = 0; i < N; i++)
		on_be6 += new_before[i] == 6;
	CU_ASSERT(on_be6 > 50);         /* the new backend took its share */

	/* flows after the checkpoint, and a backend change: the fault undoes them */
	send_flows(GONE, N, gone);
	maglev_backend_desc be7 = backend("be7", 7);
	CU_ASSERT_EQUAL_FATAL(maglev_balancer_add_backend(lb, &be7, &id), 0);
	fault_the_stage();
	/* The reloaded state is the checkpoint's, deep (the generated _equal). */
	const void *ops, *image;
	void *self;
	size_t len;
	maglev_lb_state saved = { 0 };
	pd_eq_ctx eq;
	CU_ASSERT_EQUAL_FATAL(pd__rref_target(lb.r, &ops, &self), 0);
	pd_domain_checkpoint_image(dom, &image, &len);
	CU_ASSERT_EQUAL_FATAL(maglev_lb_state_restore(image, len, NULL, &saved), 0);
	pd_eq_init(&eq);
	CU_ASSERT(maglev_lb_state_equal(&eq, &saved, self));   /* the state leads the object */
	CU_ASSERT(maglev_flow_table_count(saved.flows) >= 2 * N);
	maglev_lb_state_free(&saved);

	send_flows(OLD, N, old_after);
	send_flows(NEW, N, new_after);
	CU_ASSERT_EQUAL(memcmp(old_before, old_after, N), 0);
	CU_ASSERT_EQUAL(memcmp(new_before, new_after, N), 0);
	send_flows(LATER, N, later);
	on_be6 = 0;
	for (unsigned i = 0; i < N; i++)
		on_be6 += later[i] == 6;
	CU_ASSERT(on_be6 > 50);         /* and still takes new flows */
	for (unsigned i = 0; i < N; i++)
		CU_ASSERT_NOT_EQUAL(later[i], 7);   /* be7 came after the checkpoint */
	pd_domain_stats st;
	pd_domain_get_stats(dom, &st);
	CU_ASSERT_EQUAL(st.restores, 1);
	pd_snap_stats ss;
	CU_ASSERT_EQUAL(pd_snap_get_stats(dom, &ss), 0);
	CU_ASSERT_EQUAL(ss.rollbacks, 1);       /* the undo log's, not an image's */
	CU_ASSERT_EQUAL(ss.check_failures, 0);
}

/*
 * --forward dsr: the frame goes to the backend's MAC from the balancer's,
 * its IP packet untouched (the VIP stays the destination); a frame not
 * addressed to the balancer (a switch's flood) is dropped.
 */
static void test_dsr_sets_macs_keeps_ip_and_drops_frames_not_for_us(void)
{
	static maglev_stage_config dsr;
	pd_domain *d;
	std_stage_rref r;

	maglev_stage_default_backends(&dsr);
	dsr.forward = MAGLEV_FORWARD_DSR;
	memcpy(dsr.mac, (uint8_t[6]){ 2, 0, 0, 0, 0, 1 }, 6);    /* frame()'s destination */
	dsr.flow_capacity = 64;
	pd_domain_spec spec = maglev_stage_spec(&dsr);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &d), 0);
	CU_ASSERT_EQUAL_FATAL(std_stage_of_domain(d, 0, &r), 0);

	pd_batch *b = pd_batch_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	uint8_t orig[60];
	b->pkts[0] = frame(9);
	memcpy(orig, rte_pktmbuf_mtod(b->pkts[0], uint8_t *), sizeof orig);
	b->pkts[1] = frame(10);
	rte_pktmbuf_mtod(b->pkts[1], uint8_t *)[5] = 0x99;      /* someone else's */
	b->n = 2;
	CU_ASSERT_EQUAL_FATAL(std_stage_process(r, &b, &b), 0);
	CU_ASSERT_EQUAL_FATAL(b->n, 1);
	const uint8_t *out = rte_pktmbuf_mtod(b->pkts[0], const uint8_t *);
	CU_ASSERT(out[0] == 2 && out[4] == 0x10 && out[5] >= 1 && out[5] <= 4);   /* a backend's */
	CU_ASSERT_EQUAL(memcmp(out + 6, dsr.mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(out + 12, orig + 12, sizeof orig - 12), 0);
	pd_free(b);
	pd_domain_destroy(d);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
}

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_added_backend_keeps_established_flows_and_takes_new_ones),
		TEST(test_duplicate_backend_is_refused),
		TEST(test_removed_backend_moves_only_its_flows),
		TEST(test_removing_unknown_backend_is_refused),
		TEST(test_backend_for_names_the_backend_packets_go_to),
		TEST(test_malformed_frames_are_dropped),
		TEST(test_fault_keeps_flows_and_backend_changes),
		TEST(test_dsr_sets_macs_keeps_ip_and_drops_frames_not_for_us),
	};
	int pargc;
	char **pargv;

	(void)argc;
	char *args[] = { argv[0], NULL };
	if (pd_eal_start(1, args, NULL, &pargc, &pargv) < 0)
		return 2;
	pool = rte_pktmbuf_pool_create("maglev_test", 4095, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	maglev_stage_default_backends(&cfg);
	pd_domain_spec spec = maglev_stage_spec(&cfg);
	if (!pool || pd_thread_init() < 0 || pd_domain_create(&spec, &dom) < 0 ||
	    pd_snap_set_checked(dom, 1) < 0)     /* the stage touches what it writes */
		return 2;
	if (maglev_balancer_of_domain(dom, 0, &lb) < 0)     /* its first export */
		return 2;
	int failed = RUN_SUITE("maglev stage", tests);
	pd_domain_destroy(dom);
	rte_mempool_free(pool);
	pd_eal_stop();
	return failed;
}
