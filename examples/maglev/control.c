/*
 * control.c - the --control pipe of Maglev programs (control.h).  The pipe
 * is opened non-blocking and kept open, so a writer that comes and goes
 * (`echo add ... > PIPE`) never blocks the control thread, and partial
 * lines wait in a buffer for their end.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stage_maglev.h"

static int fd = -1;
static char buf[4096];
static size_t used;
static const pd_pipeline_desc *pipeline;
static unsigned balancer_stage;

typedef struct fault_cmd {
	unsigned stage;
	pd_inject_kind kind;
} fault_cmd;

int maglev_control_open(const char *path, const pd_pipeline_desc *p, unsigned balancer)
{
	if (mkfifo(path, 0600) < 0 && errno != EEXIST) {
		fprintf(stderr, "maglev: cannot make the control pipe %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "maglev: cannot open the control pipe %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	pipeline = p;
	balancer_stage = balancer;
	return 0;
}

void maglev_control_close(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
}

static int change_on_worker(pd_worker *w, void *arg)
{
	return maglev_stage_change(w->stage[balancer_stage].r, w->domain[balancer_stage], arg);
}

/* Arms the worker's injection for one batch: the countdown fires at the next
 * batch and then not for 2^32 - 1 more. */
static int fault_on_worker(pd_worker *w, void *arg)
{
	const fault_cmd *f = arg;

	w->inject[f->stage] = (pd_inject){ .every = UINT32_MAX, .left = 1, .kind = f->kind };
	return 0;
}

/* "fault STAGE [KIND]" in --inject-fault's syntax, so pd_inject_parse
 * resolves the stage and the kind (and reports what is wrong). */
static int parse_fault(const char *stage, const char *kind, fault_cmd *f)
{
	const char *names[PD_MAX_STAGES];
	char spec[300];
	pd_inject inj;

	for (unsigned i = 0; i < pipeline->n_stages && i < PD_MAX_STAGES; i++)
		names[i] = pipeline->stages[i].name;
	snprintf(spec, sizeof spec, "%s:1:%s", stage, kind);
	int s = pd_inject_parse(spec, pipeline->n_stages, names, &inj);
	if (s < 0)
		return -1;
	f->stage = (unsigned)s;
	f->kind = inj.kind;
	return 0;
}

static void run_command(char *line)
{
	char word[16], arg[256], kind[16] = "segv", spec[300];
	int n = sscanf(line, "%15s %255s %15s", word, arg, kind), rc;

	if (n == 2 && (!strcmp(word, "add") || !strcmp(word, "remove"))) {
		maglev_change c;
		snprintf(spec, sizeof spec, "%s:%s", word, arg);
		if (maglev_change_parse(spec, &c) < 0)
			goto bad;
		rc = pd_app_control(change_on_worker, &c);
	} else if (n >= 2 && !strcmp(word, "fault")) {
		fault_cmd f;
		if (parse_fault(arg, kind, &f) < 0)
			goto bad;
		rc = pd_app_control(fault_on_worker, &f);
	} else {
		goto bad;
	}
	printf(rc < 0 ? "control: %s: failed (%d)\n" : "control: %s: ok\n", line, rc);
	fflush(stdout);
	return;
bad:
	printf("control: %s: not a command (add NAME,MAC,IP | remove NAME | "
	       "fault STAGE [KIND])\n", line);
	fflush(stdout);
}

void maglev_control_poll(void)
{
	if (fd < 0)
		return;
	for (;;) {
		ssize_t n = read(fd, buf + used, sizeof buf - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', used - (size_t)(start - buf)))) {
			*nl = '\0';
			if (*start)
				run_command(start);
			start = nl + 1;
		}
		used -= (size_t)(start - buf);
		memmove(buf, start, used);
		if (used == sizeof buf - 1)
			used = 0;       /* a line longer than the buffer: dropped */
	}
}
