/*
 * pd_app.c - the shared main loop of pipeline programs (see pd_app.h).
 * The main lcore is the control thread (progress, deadlines, signals) and
 * the other lcores are workers; with a single lcore the main lcore works
 * and a plain pthread does the control.
 */
#include "pd_app.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "pd_dpdk_internal.h"
#include "pd_eal.h"

static pd_worker workers[PD_MAX_WORKERS];
static unsigned n_workers;
static const pd_app_opts *run_opts;

/*
 * Stopping and control calls.  The scheduler's loop (pd_worker_loop) runs
 * while pd_sched_running; it has no hook of its own, so a control call
 * clears pd_sched_running with `pausing` set: each worker's loop returns
 * between two polls, the worker runs the call, counts itself in `paused`
 * and waits; the control thread then sets pd_sched_running again (unless
 * a stop came meanwhile) and releases them.  A real stop sets `stopping`
 * first, so a worker never mistakes it for a pause.
 */
static volatile bool stopping;
static volatile bool pausing;
static unsigned paused, alive;          /* atomics */
static pd_app_control_fn control_fn;
static void *control_arg;
static int control_rc;                  /* the first error, atomically */
static bool in_tick;

static void request_stop(void)
{
	__atomic_store_n(&stopping, true, __ATOMIC_SEQ_CST);
	pd_sched_running = false;
}

static void on_signal(int sig)
{
	(void)sig;
	request_stop();
}

/* The lcore function: the scheduler's loop, resumed after each control call. */
static int worker_main(void *arg)
{
	pd_worker *w = arg;

	for (;;) {
		pd_worker_loop(w);
		if (!__atomic_load_n(&pausing, __ATOMIC_SEQ_CST))
			break;
		int rc = control_fn(w, control_arg);
		if (rc < 0) {
			int none = 0;
			__atomic_compare_exchange_n(&control_rc, &none, rc, false,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		}
		__atomic_add_fetch(&paused, 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&pausing, __ATOMIC_SEQ_CST))
			rte_pause();
	}
	__atomic_sub_fetch(&alive, 1, __ATOMIC_SEQ_CST);
	return 0;
}

int pd_app_control(pd_app_control_fn fn, void *arg)
{
	if (!in_tick || fn == NULL)
		return -PD_EINVAL;
	if (__atomic_load_n(&stopping, __ATOMIC_SEQ_CST))
		return -PD_EBUSY;
	control_fn = fn;
	control_arg = arg;
	control_rc = 0;
	paused = 0;
	__atomic_store_n(&pausing, true, __ATOMIC_SEQ_CST);
	pd_sched_running = false;
	/* A worker that stops for good meanwhile leaves `alive`. */
	while (__atomic_load_n(&paused, __ATOMIC_SEQ_CST) <
	       __atomic_load_n(&alive, __ATOMIC_SEQ_CST))
		usleep(100);
	pd_sched_running = true;
	if (__atomic_load_n(&stopping, __ATOMIC_SEQ_CST))
		pd_sched_running = false;
	__atomic_store_n(&pausing, false, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&control_rc, __ATOMIC_SEQ_CST);
}

static int parse_number(const char *opt, const char *v, double lo, double hi,
			double *out)
{
	char *end;

	errno = 0;
	double d = v ? strtod(v, &end) : 0;
	if (!v || !*v || *end || errno || d < lo || d > hi) {
		fprintf(stderr, "pd: %s wants a number in [%g, %g], not '%s'\n",
			opt, lo, hi, v ? v : "(nothing)");
		return -1;
	}
	*out = d;
	return 0;
}

static void usage(const char *prog, const pd_app_opts *o)
{
	printf("usage: %s [EAL args] [options]\n"
	       "  --burst N                  packets per RX burst, 1..%d (32)\n"
	       "  --inject-fault S:N[:KIND]  fault stage S every N batches; KIND\n"
	       "                             segv|abort|assert|fpe (segv)\n"
	       "  --duration SECONDS         stop after this long\n"
	       "  --idle-exit MS             stop once idle for MS ms\n"
	       "  --loop                     replay pcap inputs forever (without it a\n"
	       "                             run over pcap files ends with them)\n"
	       "  --checkpoint-dir DIR       also write each checkpoint to DIR/STAGE-WORKER.ckpt\n"
	       "  --restore-from DIR         start the stages from DIR/STAGE-WORKER.ckpt\n"
	       "  --direct                   call stages without isolation (a comparison:\n"
	       "                             no containment; what stages allocate is not\n"
	       "                             freed with their domains)\n"
	       "  --quiet                    no progress lines\n%s"
	       "EAL args are DPDK's (-l 0-1, --vdev=net_pcap0,rx_pcap=IN,tx_pcap=OUT,\n"
	       "-a PCI_ADDRESS, ...; a '--' may end them).  Without any, or without one\n"
	       "naming a device, the program adds its default port, --no-pci and, with\n"
	       "no hugepages, --no-huge -m 256.\n",
	       prog, PD_BATCH_MAX, o->usage ? o->usage : "");
}

static int parse(int argc, char **argv, pd_app_opts *o)
{
	double d;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--burst")) {
			if (parse_number(a, v, 1, PD_BATCH_MAX, &d))
				return -1;
			o->burst = (unsigned)d;
			i++;
		} else if (!strcmp(a, "--duration")) {
			if (parse_number(a, v, 0, 1e9, &d))
				return -1;
			o->duration = d;
			i++;
		} else if (!strcmp(a, "--idle-exit")) {
			if (parse_number(a, v, 1, 1e9, &d))
				return -1;
			o->idle_exit_ms = d;
			i++;
		} else if (!strcmp(a, "--inject-fault")) {
			if (!v) {
				fprintf(stderr, "pd: --inject-fault wants STAGE:EVERY_N[:KIND]\n");
				return -1;
			}
			if (o->n_injects == PD_MAX_STAGES) {
				fprintf(stderr, "pd: too many --inject-fault\n");
				return -1;
			}
			o->inject_specs[o->n_injects++] = v;
			i++;
		} else if (!strcmp(a, "--checkpoint-dir") || !strcmp(a, "--restore-from")) {
			bool write = a[2] == 'c';
			if (!v) {
				fprintf(stderr, "pd: %s wants a folder\n", a);
				return -1;
			}
			if (pd_ckpt_files_check_dir(a, v, write) < 0)
				return -1;
			if (write)
				o->checkpoint_dir = v;
			else
				o->restore_from = v;
			i++;
		} else if (!strcmp(a, "--loop")) {
			o->loop = true;
		} else if (!strcmp(a, "--direct")) {
			o->direct = true;
		} else if (!strcmp(a, "--quiet")) {
			o->quiet = true;
		} else {
			int n = o->extra ? o->extra(argc - i, argv + i, o->ctx) : 0;
			if (n < 0)
				return -1;
			if (n == 0) {
				fprintf(stderr, "pd: unknown option '%s' (--help lists the "
					"program's; EAL options are DPDK's)\n", a);
				return -1;
			}
			i += n - 1;
		}
	}
	if (o->direct && o->n_injects) {
		fprintf(stderr, "pd: --inject-fault needs isolation: a fault in a "
			"stage called with --direct would kill the process\n");
		return -1;
	}
	return 0;
}

int pd_app_start(int argc, char **argv, const char *const *default_vdevs,
		 pd_app_opts *opts)
{
	int pargc;
	char **pargv;

	if (!opts->burst)
		opts->burst = 32;
	/* Before the EAL: --help needs none, and --loop changes its vdevs. */
	pargc = pd_eal_program_args(argc, argv, &pargv);
	for (int i = 1; i < pargc; i++) {
		if (!strcmp(pargv[i], "--help") || !strcmp(pargv[i], "-h")) {
			usage(argv[0], opts);
			return 1;
		}
		if (!strcmp(pargv[i], "--loop"))
			pd_eal_loop_pcap(true);
	}
	if (pd_eal_start(argc, argv, default_vdevs, &pargc, &pargv) < 0)
		return -1;
	int rc = parse(pargc, pargv, opts);
	if (rc != 0)
		pd_eal_stop();
	return rc;
}

unsigned pd_app_n_workers(void)
{
	unsigned n = rte_lcore_count() - 1;
	return n == 0 ? 1 : n > PD_MAX_WORKERS ? PD_MAX_WORKERS : n;
}

/* Gives worker w queue w of every port that has one. */
static void assign_streams(void)
{
	for (unsigned w = 0; w < n_workers; w++) {
		workers[w].n_streams = 0;
		for (unsigned p = 0; p < pd_ports_count(); p++) {
			const pd_port_info *rx = pd_port(p);
			const pd_port_info *tx = NULL;
			for (unsigned k = 0; k < pd_ports_count(); k++)
				if (pd_port(k)->port_id == rx->tx_port)
					tx = pd_port(k);
			if (w >= rx->n_queues || !tx || w >= tx->n_queues)
				continue;
			pd_stream *s = &workers[w].streams[workers[w].n_streams++];
			s->rx_port = rx->port_id;
			s->rx_queue = (uint16_t)w;
			s->tx_port = tx->port_id;
			s->tx_queue = (uint16_t)w;
			s->replay = rx->replay;
			s->ended = false;
		}
	}
}

/* The parsed --inject-fault options: which stage, what to raise. */
static pd_inject injects[PD_MAX_STAGES];
static int inject_stage[PD_MAX_STAGES];

static int parse_injection(const pd_pipeline_desc *p, const pd_app_opts *o)
{
	const char *names[PD_MAX_STAGES];

	for (unsigned i = 0; i < p->n_stages; i++)
		names[i] = p->stages[i].name;
	for (unsigned k = 0; k < o->n_injects; k++) {
		inject_stage[k] = pd_inject_parse(o->inject_specs[k], p->n_stages,
						  names, &injects[k]);
		if (inject_stage[k] < 0)
			return -1;
	}
	return 0;
}

/* Every worker counts its own batches: the same every-N on each. */
static void arm_injection(const pd_app_opts *o)
{
	for (unsigned k = 0; k < o->n_injects; k++)
		for (unsigned w = 0; w < n_workers; w++) {
			unsigned s = (unsigned)inject_stage[k];
			workers[w].inject[s] = injects[k];
		}
}

/*
 * Has the input ended?  Only when every port replays pcap files and every
 * stream reading one has had an empty burst: a live port or a looping
 * replay never ends by itself.
 */
static bool input_ended(void)
{
	unsigned streams = 0;

	for (unsigned p = 0; p < pd_ports_count(); p++)
		if (!pd_port(p)->replay)
			return false;
	for (unsigned w = 0; w < n_workers; w++)
		for (unsigned k = 0; k < workers[w].n_streams; k++, streams++)
			if (!workers[w].streams[k].ended)
				return false;
	return streams > 0;
}

static uint64_t last_rx_tsc(uint64_t start)
{
	uint64_t last = start;
	for (unsigned w = 0; w < n_workers; w++)
		if (workers[w].last_rx_tsc > last)
			last = workers[w].last_rx_tsc;
	return last;
}

/* Progress once a second, deadlines; returns when the run should end. */
static void *control(void *arg)
{
	(void)arg;
	uint64_t hz = rte_get_tsc_hz(), start = rte_rdtsc(), next = start + hz;
	const pd_app_opts *o = run_opts;
	double secs = 0;

	while (!__atomic_load_n(&stopping, __ATOMIC_SEQ_CST)) {
		usleep(10 * 1000);
		uint64_t now = rte_rdtsc();
		secs = (double)(now - start) / (double)hz;
		if (now >= next) {
			if (!o->quiet)
				pd_stats_print_progress(stdout, secs,
					(double)(last_rx_tsc(start) - start) / (double)hz);
			next += hz;
		}
		if (o->tick) {
			in_tick = true;
			o->tick(secs, o->ctx);
			in_tick = false;
		}
		if (o->duration > 0 && secs >= o->duration)
			request_stop();
		if (o->idle_exit_ms > 0 &&
		    (double)(now - last_rx_tsc(start)) * 1000.0 / (double)hz >= o->idle_exit_ms)
			request_stop();
		if (input_ended()) {
			printf("pd: end of the input\n");
			request_stop();
		}
	}
	/* The last stretch, however short the run was. */
	if (!o->quiet)
		pd_stats_print_progress(stdout, secs, (double)(last_rx_tsc(start) - start) / (double)hz);
	return NULL;
}

static void run_workers(void)
{
	alive = n_workers;
	if (rte_lcore_count() > 1) {
		unsigned lcore, w = 0;
		RTE_LCORE_FOREACH_WORKER(lcore) {
			if (w == n_workers)
				break;
			rte_eal_remote_launch(worker_main, &workers[w++], lcore);
		}
		control(NULL);
		rte_eal_mp_wait_lcore();
	} else {
		pthread_t t;
		if (pthread_create(&t, NULL, control, NULL) != 0) {
			fprintf(stderr, "pd: cannot start the control thread\n");
			return;
		}
		worker_main(&workers[0]);
		pthread_join(t, NULL);
	}
}

int pd_app_run(const pd_pipeline_desc *p, const pd_app_opts *o)
{
	const char *names[PD_MAX_STAGES];
	int status = 1;

	run_opts = o;
	n_workers = pd_app_n_workers();
	for (unsigned i = 0; i < p->n_stages && i < PD_MAX_STAGES; i++)
		names[i] = p->stages[i].name;
	if (pd_stats_init(p->name, p->n_stages, names, n_workers) < 0) {
		fprintf(stderr, "pd: too many stages or workers\n");
		goto out_eal;
	}
	if (parse_injection(p, o) < 0) {
		status = 2;         /* a usage error, like the other options */
		goto out_eal;
	}
	if (pd_ports_start(n_workers, n_workers * PD_BATCH_MAX * 2) < 0)
		goto out_eal;
	for (unsigned w = 0; w < n_workers; w++) {
		if (pd_worker_init(&workers[w], w, p, o->burst) < 0 ||
		    (o->restore_from && pd_ckpt_files_restore(&workers[w], o->restore_from) < 0)) {
			if (workers[w].n_stages)
				pd_worker_fini(&workers[w]);
			while (w--)
				pd_worker_fini(&workers[w]);
			goto out_ports;
		}
		workers[w].direct = o->direct;
	}
	if (o->checkpoint_dir && pd_ckpt_files_start(o->checkpoint_dir, n_workers, p->n_stages) < 0)
		goto out_workers;
	arm_injection(o);
	assign_streams();
	if (pd_stats_telemetry_register() < 0)
		fprintf(stderr, "pd: telemetry unavailable; running without it\n");

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("pd: pipeline %s: %u stages, %u worker(s), %u port(s), burst %u, %s,"
	       " file-prefix %s\n", p->name, p->n_stages, n_workers,
	       pd_ports_count(), o->burst, o->direct ? "direct calls" : "isolated",
	       pd_eal_file_prefix());
	fflush(stdout);
	run_workers();
	pd_ckpt_files_stop(workers, n_workers);
	status = 0;

out_workers:
	for (unsigned w = 0; w < n_workers; w++)
		pd_worker_fini(&workers[w]);
out_ports:
	pd_ports_stop();
	if (status == 0) {
		pd_stats_print_table(stdout);
		uint64_t in_use = pd_mbufs_in_use();
		printf("mbufs_in_use=%" PRIu64 "\n", in_use);
		if (in_use)
			status = 3;
	}
	fflush(stdout);
out_eal:
	pd_eal_stop();
	return status;
}
