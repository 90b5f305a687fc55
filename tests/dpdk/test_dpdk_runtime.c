/*
 * test_dpdk_runtime.c - CUnit tests of runtime/dpdk that need the EAL but no
 * NIC (one in-process ring port at most): the --inject-fault parser, the batch kind returning its mbufs, and
 * what happens to a batch in flight when a stage faults - through a proxy
 * that arms its own frame and through a scheduler-style frame
 * (PD_CATCH_ARM), which is what the worker loop relies on; and injected
 * faults of every kind; the scheduler refusing graphs it would not run as
 * checked, and resetting its own label between batches; and how pd_eal
 * sorts a command line into EAL and program arguments.  The EAL starts
 * with pd_eal_start's defaults, so this also checks that they work here.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "cunit_main.h"
#include "pd_batch.h"
#include "pd_eal.h"
#include "pd_inject.h"
#include "pd_sched.h"
#include "pd_stats.h"
#include "pd_std_stage.h"
#include "nf.pdl.h"                 /* for its lattice, lvl */

static struct rte_mempool *pool;

/* ---- --inject-fault parsing ---- */

static const char *const names[] = { "f1", "f2", "f3" };

static void test_inject_parse_accepts_name_index_and_kind(void)
{
	pd_inject in;

	CU_ASSERT_EQUAL(pd_inject_parse("f2:100", 3, names, &in), 1);
	CU_ASSERT_EQUAL(in.every, 100);
	CU_ASSERT_EQUAL(in.left, 100);
	CU_ASSERT_EQUAL(in.kind, PD_INJECT_SEGV);
	CU_ASSERT_EQUAL(pd_inject_parse("2:7:fpe", 3, names, &in), 2);
	CU_ASSERT_EQUAL(in.every, 7);
	CU_ASSERT_EQUAL(in.kind, PD_INJECT_FPE);
	CU_ASSERT_EQUAL(pd_inject_parse("f1:1:abort", 3, names, &in), 0);
	CU_ASSERT_EQUAL(in.kind, PD_INJECT_ABORT);
	CU_ASSERT_EQUAL(pd_inject_parse("f3:5:assert", 3, names, &in), 2);
	CU_ASSERT_EQUAL(in.kind, PD_INJECT_ASSERT);
}

static void test_inject_parse_rejects_malformed_specs(void)
{
	static const char *const bad[] = {
		"", "f1", "f1:", ":5", "f4:5", "3:5", "f1:0", "f1:-3", "f1:5x",
		"f1:99999999999", "f1:5:boom", "f1:5:", "f1:5:segv:extra",
	};
	pd_inject in;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = pd_inject_parse(bad[i], 3, names, &in);
		if (rc != -1)
			printf("\n  accepted '%s'\n", bad[i]);
		CU_ASSERT_EQUAL(rc, -1);
	}
}

/* ---- the batch kind ---- */

static pd_batch *batch_of(unsigned n)
{
	pd_batch *b = pd_batch_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_alloc_bulk(pool, b->pkts, n), 0);
	b->n = (uint16_t)n;
	return b;
}

static void test_freeing_a_batch_returns_its_mbufs(void)
{
	pd_batch *b = batch_of(200);

	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 200);
	CU_ASSERT_EQUAL(pd_free(b), 0);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
}

/* ---- stages that keep, drop, or fault on the batch ---- */

static int process_calls;

static int faulting_process(void *self, pd_batch *b, pd_batch **result)
{
	(void)self;
	process_calls++;
	if (b->n == 13)             /* the unlucky batch */
		pd_assert(b->n != 13);
	*result = b;
	return 0;
}

static int dropping_process(void *self, pd_batch *b, pd_batch **result)
{
	(void)self;
	*result = NULL;
	return pd_free(b);
}

static const std_stage_ops faulting_ops = { .process = faulting_process };
static const std_stage_ops dropping_ops = { .process = dropping_process };
static std_stage_rref faulting_rref, dropping_rref;

static int faulting_init(void *arg)
{
	(void)arg;
	return std_stage_export(&faulting_ops, NULL, NULL, NULL, &faulting_rref);
}

static int dropping_init(void *arg)
{
	(void)arg;
	return std_stage_export(&dropping_ops, NULL, NULL, NULL, &dropping_rref);
}

static const pd_domain_spec faulting_spec = { .name = "faulting", .init = faulting_init };
static const pd_domain_spec dropping_spec = { .name = "dropping", .init = dropping_init };

static void test_stage_passes_batch_back_to_caller(void)
{
	pd_domain *d;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&faulting_spec, &d), 0);
	pd_batch *b = batch_of(4), *const sent = b;

	CU_ASSERT_EQUAL(std_stage_process(faulting_rref, &b, &b), 0);
	CU_ASSERT_PTR_EQUAL(b, sent);                  /* same object, no copy */
	CU_ASSERT_PTR_NULL(pd_owner(b, NULL));         /* back with the caller */
	CU_ASSERT_EQUAL(pd_free(b), 0);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
	pd_domain_destroy(d);
}

static void test_stage_dropping_everything_returns_null(void)
{
	pd_domain *d;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&dropping_spec, &d), 0);
	pd_batch *b = batch_of(8);

	CU_ASSERT_EQUAL(std_stage_process(dropping_rref, &b, &b), 0);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
	pd_domain_destroy(d);
}

static void test_fault_frees_batch_in_flight_and_recovers_stage(void)
{
	pd_domain *d;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&faulting_spec, &d), 0);
	pd_batch *b = batch_of(13);

	CU_ASSERT_EQUAL(std_stage_process(faulting_rref, &b, &b), -PD_EFAULT);
	CU_ASSERT_PTR_NULL(b);                         /* it moved, then died */
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
	CU_ASSERT_EQUAL(pd_domain_state(d), PD_DOMAIN_LIVE);

	b = batch_of(3);                               /* the same rref works */
	CU_ASSERT_EQUAL(std_stage_process(faulting_rref, &b, &b), 0);
	CU_ASSERT_PTR_NOT_NULL(b);
	pd_free(b);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
	pd_domain_destroy(d);
}

/* What the worker loop does: one frame for many calls, state in memory. */
static struct {
	pd_batch *b;
	volatile int landed;
	volatile int calls;
} loop;

static void test_fault_lands_in_scheduler_frame(void)
{
	pd_domain *d;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&faulting_spec, &d), 0);
	pd_catch c;

	loop.landed = 0;
	loop.calls = 0;
	if (PD_CATCH_ARM(&c)) {
		loop.landed++;
		CU_ASSERT_PTR_EQUAL(pd_catch_faulted(&c), d);
		loop.b = NULL;
	}
	while (loop.calls < 20) {
		unsigned n = loop.calls == 5 || loop.calls == 11 ? 13 : 1;
		loop.calls = loop.calls + 1;
		loop.b = batch_of(n);
		if (std_stage_process(faulting_rref, &loop.b, &loop.b) == 0)
			pd_free(loop.b);
	}
	pd_catch_disarm(&c);
	CU_ASSERT_EQUAL(loop.landed, 2);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
	CU_ASSERT_EQUAL(pd_domain_state(d), PD_DOMAIN_LIVE);
	pd_domain_destroy(d);
}

static void test_injection_without_caller_frame_is_refused(void)
{
	pd_domain *d;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&faulting_spec, &d), 0);
	pd_batch *b = batch_of(2), *const sent = b;

	/* No PD_CATCH_ARM here: nowhere to land, so no fault is raised. */
	CU_ASSERT_EQUAL(pd_inject_in_domain(faulting_rref.r, (void **)&b,
					    PD_INJECT_SEGV), -PD_EINVAL);
	CU_ASSERT_PTR_EQUAL(b, sent);
	CU_ASSERT_PTR_NULL(pd_owner(b, NULL));
	CU_ASSERT_PTR_NULL(pd_current());
	pd_free(b);
	pd_domain_destroy(d);
}

/* Each kind of injected fault lands in the caller's frame, takes the batch
 * with it and leaves the stage recovered. */
static struct {
	pd_batch *b;
	volatile int kind;
	volatile int landed;
} inj;

static void test_injected_faults_land_and_free_the_batch(void)
{
	pd_domain *d;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&faulting_spec, &d), 0);
	pd_catch c;

	inj.kind = 0;
	inj.landed = 0;
	if (PD_CATCH_ARM(&c)) {
		inj.landed++;
		CU_ASSERT_PTR_NULL(inj.b);
		CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), 0);
		CU_ASSERT_EQUAL(pd_domain_state(d), PD_DOMAIN_LIVE);
		inj.kind = inj.kind + 1;
	}
	if (inj.kind <= PD_INJECT_FPE) {
		inj.b = batch_of(16);
		pd_inject_in_domain(faulting_rref.r, (void **)&inj.b,
				    (pd_inject_kind)inj.kind);
		CU_FAIL("pd_inject_in_domain returned");
	}
	pd_catch_disarm(&c);
	CU_ASSERT_EQUAL(inj.landed, PD_INJECT_FPE + 1);
	pd_domain_stats st;
	pd_domain_get_stats(d, &st);
	CU_ASSERT_EQUAL(st.faults, PD_INJECT_FPE + 1);
	CU_ASSERT_EQUAL(st.recoveries, PD_INJECT_FPE + 1);
	pd_domain_destroy(d);
}

/* ---- the scheduler runs exactly the graph pdlc checked ---- */

static int counted_inits;

static int counting_init(void *arg)
{
	(void)arg;
	counted_inits++;
	return std_stage_export(&dropping_ops, NULL, NULL, NULL, &dropping_rref);
}

static const pd_domain_spec counting_spec = { .name = "counting", .init = counting_init };

/* rx -> a -> tx; rx -> b -> tx (siblings), and a -> {b, tx} (fan-out):
 * a chain scheduler would hand each branch the other's batches.  Refused
 * before any stage is created. */
static void test_a_pipeline_that_is_not_a_chain_is_refused(void)
{
	static const uint16_t both[] = { 0, 1 }, to_tx[] = { PD_STAGE_TX },
			      b_and_tx[] = { 1, PD_STAGE_TX }, to_a[] = { 0 };
	pd_stage_desc siblings[] = {
		{ .name = "a", .domain = &counting_spec, .n_next = 1, .next = to_tx },
		{ .name = "b", .domain = &counting_spec, .n_next = 1, .next = to_tx },
	};
	pd_stage_desc fan_out[] = {
		{ .name = "a", .domain = &counting_spec, .n_next = 2, .next = b_and_tx },
		{ .name = "b", .domain = &counting_spec, .n_next = 1, .next = to_tx },
	};
	pd_stage_desc skip[] = {           /* a -> tx while b waits behind it */
		{ .name = "a", .domain = &counting_spec, .n_next = 1, .next = to_tx },
		{ .name = "b", .domain = &counting_spec, .n_next = 1, .next = to_tx },
	};
	const pd_pipeline_desc bad[] = {
		{ .name = "siblings", .n_stages = 2, .stages = siblings, .n_first = 2, .first = both },
		{ .name = "fan_out", .n_stages = 2, .stages = fan_out, .n_first = 1, .first = to_a },
		{ .name = "skip", .n_stages = 2, .stages = skip, .n_first = 1, .first = to_a },
		{ .name = "empty", .n_stages = 0, .stages = skip, .n_first = 1, .first = to_a },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pd_worker w;
		counted_inits = 0;
		CU_ASSERT_EQUAL(pd_worker_init(&w, 0, &bad[i], 32), -PD_EINVAL);
		CU_ASSERT_EQUAL(counted_inits, 0);
	}
	/* the chain beside them runs */
	pd_stage_desc chain[2] = {
		{ .name = "a", .domain = &counting_spec }, { .name = "b", .domain = &counting_spec },
	};
	pd_pipeline_desc ok;
	pd_pipeline_chain(&ok, "chain", chain, 2);
	pd_worker w;
	counted_inits = 0;
	CU_ASSERT_EQUAL_FATAL(pd_worker_init(&w, 0, &ok, 32), 0);
	CU_ASSERT_EQUAL(counted_inits, 2);
	pd_worker_fini(&w);
}

/*
 * The unit of work is one batch: what this worker's own code learned in one
 * (here: a control call in the batch hook that read something labelled
 * lvl {a}) must not run the next batch at that label, or a stage cleared
 * at bottom would refuse every batch after the first labelled one.
 */
static struct rte_ring *rx_ring, *tx_ring;
static unsigned hook_batches;
static int public_batches;

static int public_process(void *self, pd_batch *b, pd_batch **result)
{
	(void)self;
	public_batches++;
	*result = b;
	return 0;
}

static const std_stage_ops public_ops = { .process = public_process };

static int public_init(void *arg)
{
	(void)arg;
	std_stage_rref r;
	return std_stage_export(&public_ops, NULL, NULL, NULL, &r);
}

static void send_one_packet(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL(rte_pktmbuf_append(m, 60));
	CU_ASSERT_EQUAL(rte_ring_enqueue(rx_ring, m), 0);
}

static void labelling_hook(pd_worker *w, bool final, void *arg)
{
	(void)w;
	(void)arg;
	if (final)
		return;
	hook_batches++;
	/* what a control call into a labelled domain leaves this code holding */
	pd_labels held = pd_labels_set(pd_labels_current(), &nf_lvl_lattice, NF_LVL_A);
	CU_ASSERT_EQUAL(pd_label_set_outside(held), 0);
	if (hook_batches < 3)
		send_one_packet();
	else
		pd_sched_running = false;
}

static uint16_t ring_port(const char *name, struct rte_ring *rx, struct rte_ring *tx)
{
	int port = rte_eth_from_rings(name, &rx, 1, &tx, 1, (unsigned)rte_socket_id());
	CU_ASSERT_FATAL(port >= 0);
	struct rte_eth_conf conf = { 0 };
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_configure((uint16_t)port, 1, 1, &conf), 0);
	CU_ASSERT_EQUAL_FATAL(rte_eth_rx_queue_setup((uint16_t)port, 0, 64, SOCKET_ID_ANY, NULL, pool), 0);
	CU_ASSERT_EQUAL_FATAL(rte_eth_tx_queue_setup((uint16_t)port, 0, 64, SOCKET_ID_ANY, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_start((uint16_t)port), 0);
	return (uint16_t)port;
}

static void test_a_batch_does_not_inherit_the_labels_of_the_one_before(void)
{
	static const pd_domain_spec public_spec = {
		.name = "cleared_public", .init = public_init,
		.lattice = &nf_lvl_lattice, .clearance = NF_LVL_BOTTOM,
	};
	static const char *const stage_names[] = { "cleared_public" };
	rx_ring = rte_ring_create("lbl_rx", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx_ring = rte_ring_create("lbl_tx", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx_ring);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx_ring);
	uint16_t port = ring_port("net_lbl", rx_ring, tx_ring);

	CU_ASSERT_EQUAL_FATAL(pd_stats_init("labelled", 1, stage_names, 1), 0);
	pd_stage_desc stage = { .name = "cleared_public", .domain = &public_spec };
	pd_pipeline_desc p;
	pd_pipeline_chain(&p, "labelled", &stage, 1);
	static pd_worker w;
	CU_ASSERT_EQUAL_FATAL(pd_worker_init(&w, 0, &p, 32), 0);
	w.n_streams = 1;
	w.streams[0] = (pd_stream){ .rx_port = port, .tx_port = port };

	hook_batches = 0;
	public_batches = 0;
	send_one_packet();
	pd_sched_set_batch_hook(labelling_hook, NULL);
	pd_sched_running = true;
	pd_worker_loop(&w);
	pd_sched_set_batch_hook(NULL, NULL);

	CU_ASSERT_EQUAL(hook_batches, 3);
	CU_ASSERT_EQUAL(public_batches, 3);           /* not 1: the later two were not refused */
	CU_ASSERT_EQUAL(w.stats[0]->drops, 0);
	CU_ASSERT_EQUAL(rte_ring_count(tx_ring), 3);  /* all three went out */
	pd_worker_fini(&w);
	void *m;
	while (rte_ring_dequeue(tx_ring, &m) == 0)
		rte_pktmbuf_free(m);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_ring_free(rx_ring);
	rte_ring_free(tx_ring);
	pd_label_reset_outside();
}

/*
 * `tx @L;`: the packets leave only when the batch's labels - what every
 * stage it went through held, which the worker's own label now holds - are
 * within L.  A stage whose state holds lvl {a} behind a bound of {}: every
 * batch is held back and counted; an unlabelled stage beside it sends.
 */
static const pd_label_ref lvl_a = { &nf_lvl_lattice, NF_LVL_A };

static unsigned tx_hook_batches;

static void stop_after_two(pd_worker *w, bool final, void *arg)
{
	(void)w;
	(void)arg;
	if (final)
		return;
	if (++tx_hook_batches < 2)
		send_one_packet();
	else
		pd_sched_running = false;
}

static uint64_t sent_through(const pd_domain_spec *spec, const char *ring_name)
{
	static const char *const stage_names[] = { "stage" };
	char rx_name[32], tx_name[32];
	snprintf(rx_name, sizeof rx_name, "%s_rx", ring_name);
	snprintf(tx_name, sizeof tx_name, "%s_tx", ring_name);
	rx_ring = rte_ring_create(rx_name, 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx_ring = rte_ring_create(tx_name, 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx_ring);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tx_ring);
	uint16_t port = ring_port(ring_name, rx_ring, tx_ring);
	CU_ASSERT_EQUAL_FATAL(pd_stats_init("bounded", 1, stage_names, 1), 0);
	pd_stage_desc stage = { .name = "stage", .domain = spec };
	pd_pipeline_desc p;
	pd_pipeline_chain(&p, "bounded", &stage, 1);
	p.tx_lattice = &nf_lvl_lattice;
	p.tx_bound = NF_LVL_BOTTOM;
	static pd_worker w;
	CU_ASSERT_EQUAL_FATAL(pd_worker_init(&w, 0, &p, 32), 0);
	w.n_streams = 1;
	w.streams[0] = (pd_stream){ .rx_port = port, .tx_port = port };
	tx_hook_batches = 0;
	public_batches = 0;
	send_one_packet();
	pd_sched_set_batch_hook(stop_after_two, NULL);
	pd_sched_running = true;
	pd_worker_loop(&w);
	pd_sched_set_batch_hook(NULL, NULL);
	CU_ASSERT_EQUAL(public_batches, 2);            /* the stage ran both times */
	uint64_t sent = rte_ring_count(tx_ring);
	CU_ASSERT_EQUAL(w.port_stats->tx + w.port_stats->tx_refused, 2);
	CU_ASSERT_EQUAL(w.port_stats->tx, sent);
	pd_worker_fini(&w);
	void *m;
	while (rte_ring_dequeue(tx_ring, &m) == 0)
		rte_pktmbuf_free(m);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_ring_free(rx_ring);
	rte_ring_free(tx_ring);
	pd_label_reset_outside();
	return sent;
}

static void test_tx_sends_only_what_its_bound_allows(void)
{
	static const pd_domain_spec holding = {
		.name = "holding", .init = public_init, .initial = &lvl_a, .n_initial = 1,
	};
	static const pd_domain_spec plain = { .name = "plain", .init = public_init };
	unsigned before = rte_mempool_in_use_count(pool);
	CU_ASSERT_EQUAL(sent_through(&holding, "net_held"), 0);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(pool), before);   /* held back and freed */
	CU_ASSERT_EQUAL(sent_through(&plain, "net_plain"), 2);
}

static void test_default_eal_prefix_is_unique_per_process(void)
{
	char want[32];

	snprintf(want, sizeof want, "pd%ld_", (long)getpid());
	CU_ASSERT_EQUAL(strncmp(pd_eal_file_prefix(), want, strlen(want)), 0);
}

/* ---- sorting the command line into EAL and program arguments ---- */

/* The program arguments of ARGS (NULL-terminated), joined by spaces. */
static const char *program_args(char **args)
{
	static char out[512];
	char **pargv;
	int argc = 0;

	while (args[argc])
		argc++;
	int n = pd_eal_program_args(argc, args, &pargv);
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "", pargv[i]);
	return out;
}

static void test_eal_options_need_no_dashes(void)
{
	char *a[] = { "prog", "--vdev=net_null0", "--burst", "8", "-l", "0-1", "--quiet",
		      "-m256", "--file-prefix", "x", "--no-huge", "--duration", "2", NULL };
	CU_ASSERT_STRING_EQUAL(program_args(a), "prog --burst 8 --quiet --duration 2");
	char *b[] = { "prog", "--vdev", "net_pcap0,rx_pcap=a", "--huge-unlink=always", "-v", "--stages", "3", NULL };
	CU_ASSERT_STRING_EQUAL(program_args(b), "prog --stages 3");
}

static void test_dashes_split_as_in_every_dpdk_program(void)
{
	char *a[] = { "prog", "-l", "0", "--", "--vdev=net_null0", "--quiet", NULL };
	CU_ASSERT_STRING_EQUAL(program_args(a), "prog --vdev=net_null0 --quiet");
	char *b[] = { "prog", "--", NULL };
	CU_ASSERT_STRING_EQUAL(program_args(b), "prog");
}

static void test_help_and_unknown_options_are_the_programs(void)
{
	char *a[] = { "prog", "-h", "--help", "--no-such-option", "-x", "plain", NULL };
	CU_ASSERT_STRING_EQUAL(program_args(a), "prog -h --help --no-such-option -x plain");
}

int main(int argc, char **argv)
{
	static const struct test_case tests[] = {
		TEST(test_eal_options_need_no_dashes),
		TEST(test_dashes_split_as_in_every_dpdk_program),
		TEST(test_help_and_unknown_options_are_the_programs),
		TEST(test_inject_parse_accepts_name_index_and_kind),
		TEST(test_inject_parse_rejects_malformed_specs),
		TEST(test_freeing_a_batch_returns_its_mbufs),
		TEST(test_stage_passes_batch_back_to_caller),
		TEST(test_stage_dropping_everything_returns_null),
		TEST(test_fault_frees_batch_in_flight_and_recovers_stage),
		TEST(test_fault_lands_in_scheduler_frame),
		TEST(test_injection_without_caller_frame_is_refused),
		TEST(test_injected_faults_land_and_free_the_batch),
		TEST(test_a_pipeline_that_is_not_a_chain_is_refused),
		TEST(test_a_batch_does_not_inherit_the_labels_of_the_one_before),
		TEST(test_tx_sends_only_what_its_bound_allows),
		TEST(test_default_eal_prefix_is_unique_per_process),
	};
	int pargc;
	char **pargv;

	(void)argc;
	char *args[] = { argv[0], NULL };
	if (pd_eal_start(1, args, NULL, &pargc, &pargv) < 0)
		return 2;
	pool = rte_pktmbuf_pool_create("test_pool", 1023, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!pool)
		return 2;
	int failed = RUN_SUITE("runtime/dpdk", tests);
	rte_mempool_free(pool);
	pd_eal_stop();
	return failed;
}
