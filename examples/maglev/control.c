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
	return maglev_stage_change(w->stage[balancer_stage], w->domain[balancer_stage], arg);
}

/* Arms the worker's injection for one batch: the countdown fires at the next
 * batch and then not for 2^32 - 1 more. */
static int fault_on_worker(pd_worker *w, void *arg)
{
	const fault_cmd *f = arg;

	w->inject[f->stage] = (pd_inject){ .every = UINT32_MAX, .left = 1, .kind = f->kind };
	return 0;
}

static int stage_index(const char *name)
{
	for (unsigned i = 0; i < pipeline->n_stages; i++)
		if (!strcmp(pipeline->stages[i].name, name))
			return (int)i;
	return -1;
}

static void run_command(char *line)
{
	char arg[256], spec[300], kind[16] = "segv";
	int rc;

	if (sscanf(line, "add %255s", arg) == 1 || sscanf(line, "remove %255s", arg) == 1) {
		maglev_change c;
		snprintf(spec, sizeof spec, "%s:%s", line[0] == 'a' ? "add" : "remove", arg);
		if (maglev_change_parse(spec, &c) < 0)
			goto bad;
		rc = pd_app_control(change_on_worker, &c);
	} else if (sscanf(line, "fault %255s %15s", arg, kind) >= 1) {
		fault_cmd f;
		int s = stage_index(arg);
		if (s < 0 || (!strcmp(kind, "segv") ? (f.kind = PD_INJECT_SEGV, 0)
			      : !strcmp(kind, "abort") ? (f.kind = PD_INJECT_ABORT, 0)
			      : !strcmp(kind, "assert") ? (f.kind = PD_INJECT_ASSERT, 0)
			      : !strcmp(kind, "fpe") ? (f.kind = PD_INJECT_FPE, 0) : 1))
			goto bad;
		f.stage = (unsigned)s;
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
