/*
 * pd_sched.c - worker set-up and the run-to-completion loop.
 *
 * The loop is the one place where isolation cost is paid per batch, so it
 * is written for that: the proxy is inline, the catch frame is armed once per
 * loop, the per-stage counters are written by their only writer without
 * atomics, and per-stage cycle counts are sampled (one batch in
 * TIMING_SAMPLE) because an rdtsc per stage would cost more than the call.
 */
#include "pd_sched.h"
#include "pd_dpdk_internal.h"
#include "pd_std_stage.h"
#include "pd_ckpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#define TIMING_SAMPLE 16    /* time the stages of one batch in this many */

volatile bool pd_sched_running = true;

static pd_batch_hook *batch_hook;
static void *batch_hook_arg;

void pd_sched_set_batch_hook(pd_batch_hook *fn, void *arg)
{
	batch_hook = fn;
	batch_hook_arg = arg;
}

/* The stage object a domain exported first (pd_wiring.h's contract). */
static int first_export(pd_domain *d, std_stage_rref *r, const std_stage_ops **ops,
			void **self)
{
	const void *o;
	pd_rref any;
	int rc = pd_domain_export_rref(d, 0, &any);

	if (rc == 0)
		rc = std_stage_from_rref(any, r);
	if (rc == 0)
		rc = pd__rref_target(r->r, &o, self);
	if (rc == 0)
		*ops = o;
	return rc;
}

/* chain_next[i] is stage index i; chain_next[PD_MAX_STAGES] is tx. */
_Static_assert(PD_MAX_STAGES == 32, "chain_next lists every stage index");
static const uint16_t chain_next[PD_MAX_STAGES + 1] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
	21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, PD_STAGE_TX,
};

void pd_pipeline_chain(pd_pipeline_desc *p, const char *name, pd_stage_desc *stages, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		stages[i].n_next = 1;
		stages[i].next = &chain_next[i + 1 < n ? i + 1 : PD_MAX_STAGES];
	}
	*p = (pd_pipeline_desc){ .name = name, .n_stages = n, .stages = stages,
				 .n_first = 1, .first = &chain_next[0] };
}

int pd_pipeline_check_chain(const pd_pipeline_desc *p)
{
	if (p->n_stages == 0) {
		fprintf(stderr, "pd: pipeline %s has no stages\n", p->name);
		return -PD_EINVAL;
	}
	if (p->n_first != 1 || p->first[0] != 0) {
		fprintf(stderr, "pd: pipeline %s: rx feeds %u stages; this scheduler runs a "
			"chain rx -> s1 -> ... -> tx\n", p->name, p->n_first);
		return -PD_EINVAL;
	}
	for (unsigned i = 0; i < p->n_stages; i++) {
		const pd_stage_desc *s = &p->stages[i];
		unsigned want = i + 1 < p->n_stages ? i + 1 : PD_STAGE_TX;
		if (s->n_next != 1 || s->next[0] != want) {
			fprintf(stderr, "pd: pipeline %s: stage %s feeds %u successors, not just %s; "
				"this scheduler runs chains only (it would not run the graph pdlc "
				"checked)\n", p->name, s->name, s->n_next,
				want == PD_STAGE_TX ? "tx" : p->stages[want].name);
			return -PD_EINVAL;
		}
	}
	return 0;
}

int pd_worker_init(pd_worker *w, unsigned id, const pd_pipeline_desc *p,
		   unsigned burst)
{
	w->id = id;
	w->burst = burst;
	w->n_stages = 0;
	w->final_done = false;
	w->tx_mask = p->tx_lattice ? pd_labels_bound(p->tx_lattice, p->tx_bound) : ~PD_LABELS_INVALID;
	w->tx_refusal_said = false;
	if (p->n_stages > PD_MAX_STAGES) {
		fprintf(stderr, "pd: pipeline %s has %u stages, at most %d\n",
			p->name, p->n_stages, PD_MAX_STAGES);
		return -PD_EINVAL;
	}
	if (pd_pipeline_check_chain(p) < 0)
		return -PD_EINVAL;
	for (unsigned i = 0; i < p->n_stages; i++) {
		const pd_stage_desc *sd = &p->stages[i];
		int rc = pd_domain_create(sd->domain, &w->domain[i]);
		bool created = rc == 0;
		for (unsigned k = 0; rc == 0 && k < sd->n_sinks; k++)
			rc = pd_sink_allow(sd->sinks[k], w->domain[i]);
		if (rc == 0)
			rc = first_export(w->domain[i], &w->stage[i], &w->ops[i],
					  &w->self[i]);
		if (rc < 0 && created)
			pd_domain_destroy(w->domain[i]);   /* e.g. its init exported nothing */
		if (rc < 0) {
			fprintf(stderr, "pd: cannot create stage %s (domain %s): %s\n",
				sd->name, sd->domain->name, pd_strerror(rc));
			pd_worker_fini(w);
			return rc;
		}
		w->n_stages = i + 1;
		w->stats[i] = pd_stats_stage(id, i);
		w->ckpt_every[i] = sd->domain->save_state ? sd->domain->checkpoint_every : 0;
		w->ckpt_mark[i] = 0;
	}
	w->port_stats = pd_stats_port(id);
	return 0;
}

void pd_worker_fini(pd_worker *w)
{
	if (w->batch) {
		pd_free(w->batch);
		w->batch = NULL;
	}
	for (unsigned i = 0; i < w->n_stages; i++)
		pd_domain_destroy(w->domain[i]);
	w->n_stages = 0;
}

/*
 * flatten: GCC will not inline a proxy this size on its own (it carries a
 * whole catch frame for callers without one), and an out-of-line proxy
 * costs a call, six register saves and a stack frame per stage - more than
 * the rest of the crossing.  Inlined, the frame check folds away.
 */
__attribute__((flatten))
int pd_chain_isolated(pd_worker *w, pd_batch **b)
{
	for (unsigned i = 0; i < w->n_stages && *b; i++) {
		int rc = std_stage_process(w->stage[i], b, b);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int pd_chain_direct(pd_worker *w, pd_batch **b)
{
	for (unsigned i = 0; i < w->n_stages && *b; i++) {
		int rc = w->ops[i]->process(w->self[i], *b, b);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Where a fault lands: the stage's batch is gone with its domain's heap. */
static void count_fault(pd_worker *w, pd_domain *faulted)
{
	unsigned i = w->cur_stage;

	for (unsigned k = 0; k < w->n_stages; k++)
		if (w->domain[k] == faulted)
			i = k;
	pd_stage_stats *s = w->stats[i];
	uint64_t restores = s->restores;
	s->batches++;
	s->pkts_in += w->inflight;
	s->drops += w->inflight;
	s->fault_drops += w->inflight;
	s->faults++;
	if (pd_domain_state(w->domain[i]) == PD_DOMAIN_LIVE)
		s->recoveries++;
	if (w->ckpt_every[i]) {
		pd_domain_stats ds;
		if (pd_domain_get_stats(w->domain[i], &ds) == 0)
			s->restores = ds.restores;   /* the domain is this worker's alone */
	}
	pd_fault_log(w, i, w->inflight, s->restores > restores);
	w->batch = NULL;    /* the proxy cleared it already; say so anyway */
}

/* A call refused without a fault (dead or revoked stage): drop the batch. */
static void stage_error(pd_worker *w, unsigned i, uint16_t n, int rc)
{
	if (!w->refused[i]) {
		w->refused[i] = true;   /* say it once, count it always */
		fprintf(stderr, "pd: worker %u: stage %s refuses batches (%s); "
			"they are dropped\n", w->id, pd_stats_stage_name(i),
			pd_strerror(rc));
	}
	w->stats[i]->drops += n;
	if (w->batch) {
		pd_free(w->batch);  /* the destructor returns the mbufs */
		w->batch = NULL;
	}
}

__attribute__((flatten))    /* see pd_chain_isolated */
static void run_stages(pd_worker *w, bool timed)
{
	uint64_t t = timed ? rte_rdtsc() : 0;

	for (unsigned i = 0; i < w->n_stages; i++) {
		pd_batch *b = w->batch;
		if (!b)
			return;               /* a stage dropped everything */
		pd_stage_stats *s = w->stats[i];
		uint16_t n = b->n;
		int rc;

		w->cur_stage = i;
		w->inflight = n;
		if (w->direct) {
			rc = w->ops[i]->process(w->self[i], b, &w->batch);
		} else {
			pd_inject *in = &w->inject[i];
			if (__builtin_expect(in->every != 0, 0) && --in->left == 0) {
				in->left = in->every;
				/* Lands in pd_worker_loop's frame; back here only
				 * when the stage could not be entered at all. */
				(void)pd_inject_in_domain(w->stage[i].r, (void **)&w->batch,
							  in->kind);
			}
			rc = std_stage_process(w->stage[i], &w->batch, &w->batch);
		}
		s->batches++;
		s->pkts_in += n;
		if (__builtin_expect(rc < 0, 0)) {
			stage_error(w, i, n, rc);
			return;
		}
		uint16_t out = w->batch ? w->batch->n : 0;
		s->pkts_out += out;
		if (out < n)
			s->drops += n - out;
		if (timed) {
			uint64_t now = rte_rdtsc();
			s->cycles += now - t;
			s->timed++;
			t = now;
		}
	}
}

/* At a batch boundary: the stages that are due get their checkpoint. */
static void checkpoint_due(pd_worker *w)
{
	for (unsigned i = 0; i < w->n_stages; i++) {
		pd_stage_stats *s = w->stats[i];
		if (!w->ckpt_every[i] || s->batches - w->ckpt_mark[i] < w->ckpt_every[i])
			continue;
		w->ckpt_mark[i] = s->batches;
		uint64_t t = rte_rdtsc();
		int rc = pd_domain_checkpoint(w->domain[i]);
		if (rc == 0) {
			s->checkpoints++;
			pd_ckpt_files_post(w, i);
		} else {
			if (s->ckpt_errors++ == 0)   /* say it once, count it always */
				fprintf(stderr, "pd: worker %u: stage %s: checkpoint failed (%s%s%s); "
					"the previous image is kept\n", w->id, pd_stats_stage_name(i),
					pd_strerror(rc), *pd_ckpt_save_error() ? ": " : "",
					pd_ckpt_save_error());
		}
		s->ckpt_cycles += rte_rdtsc() - t;
	}
}

/* `tx @L;` refuses a batch that carries more than L: freed, counted, said once. */
static void tx_refuse(pd_worker *w, pd_batch *b)
{
	w->port_stats->tx_refused += b->n;
	if (!w->tx_refusal_said) {
		w->tx_refusal_said = true;
		fprintf(stderr, "pd: worker %u: a batch carries labels above tx's bound; such "
			"batches are dropped (ports: tx_refused)\n", w->id);
	}
	pd_free(b);
	w->batch = NULL;
}

static void call_hook(pd_worker *w, bool final)
{
	/* A fault in a call the hook makes lands in the loop's frame: it must
	 * not count a batch that is not in flight. */
	w->inflight = 0;
	batch_hook(w, final, batch_hook_arg);
}

static inline void poll_stream(pd_worker *w, pd_stream *st)
{
	if (!w->batch) {
		w->batch = pd_batch_new();
		if (!w->batch)
			return;               /* heap exhausted; try again next poll */
	}
	uint64_t t0 = rte_rdtsc();
	pd_batch *b = w->batch;
	uint16_t n = rte_eth_rx_burst(st->rx_port, st->rx_queue, b->pkts,
				      (uint16_t)w->burst);
	if (n == 0) {
		st->ended = st->replay;     /* a file gives nothing only at its end */
		return;
	}
	b->n = n;
	b->port = st->rx_port;
	b->queue = st->rx_queue;
	w->port_stats->rx += n;
	w->last_rx_tsc = t0;
	pd_label_reset_outside();   /* a batch arrives unlabelled: the unit of work starts */

	run_stages(w, (w->polls++ % TIMING_SAMPLE) == 0);

	b = w->batch;
	if (b && b->n) {
		/* The worker's own label now holds what every stage the batch went
		 * through held: what the packets may carry. */
		if (__builtin_expect((pd__self.label & ~w->tx_mask) != 0, 0)) {
			tx_refuse(w, b);
		} else {
			uint16_t n_out = b->n, sent = pd_batch_tx(b, st->tx_port, st->tx_queue);
			w->port_stats->tx_dropped += n_out - sent;
			w->port_stats->tx += sent;
		}
	}
	w->port_stats->busy_cycles += rte_rdtsc() - t0;
	checkpoint_due(w);
	if (batch_hook)
		call_hook(w, false);
}

int pd_worker_loop(void *arg)
{
	pd_worker *const w = arg;
	pd_catch c;

	pd_thread_init();
	if (PD_CATCH_ARM(&c))
		count_fault(w, pd_catch_faulted(&c));
	while (pd_sched_running)
		for (unsigned k = 0; k < w->n_streams; k++)
			poll_stream(w, &w->streams[k]);
	if (batch_hook && !w->final_done) {
		w->final_done = true;   /* a fault in it lands above: not twice */
		call_hook(w, true);
	}
	pd_catch_disarm(&c);
	return 0;
}
