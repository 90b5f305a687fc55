/*
 * pd_ckpt_files.c - the checkpoint writer thread and --restore-from (see
 * pd_dpdk_internal.h).
 *
 * One slot per (worker, stage) holds a copy of an image on its way to
 * disk.  A slot is FREE, READY (filled by its worker) or WRITING (taken by
 * the writer); only the worker moves it from FREE to READY and only the
 * writer from READY through WRITING back to FREE, so a release store and
 * an acquire load order the buffer's bytes with no lock, and the worker
 * never waits.
 */
#include "pd_dpdk_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pd_sched.h"

enum { FREE, READY, WRITING };

typedef struct slot {
	int state;                      /* FREE, READY or WRITING, atomically */
	unsigned worker, stage;
	void *buf;
	size_t cap, len;
	uint64_t images;                /* the domain's image count at the last copy */
} slot;

static const char *dir;
static slot *slots;
static unsigned n_slot_stages, n_slots;
static pthread_t writer;
static sem_t wake;
static bool running, stopping;
static uint64_t written, skipped, failed;   /* atomics */
static int first_error;

int pd_ckpt_files_check_dir(const char *option, const char *path, bool writable)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		int err = errno;
		fprintf(stderr, "pd: %s %s: %s\n", option, path, strerror(err));
		return -err;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "pd: %s %s: not a folder\n", option, path);
		return -ENOTDIR;
	}
	if (access(path, writable ? W_OK | X_OK : R_OK | X_OK) != 0) {
		int err = errno;
		fprintf(stderr, "pd: %s %s: %s\n", option, path, strerror(err));
		return -err;
	}
	return 0;
}

static int image_path(char *out, size_t size, const char *folder, unsigned worker,
		      unsigned stage)
{
	int n = snprintf(out, size, "%s/%s-%u.ckpt", folder, pd_stats_stage_name(stage), worker);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Writes one image whole or not at all: a temporary file, then a rename. */
static void write_image(unsigned worker, unsigned stage, const void *image, size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int err = image_path(path, sizeof path, dir, worker, stage) ? ENAMETOOLONG : 0;

	if (!err) {
		snprintf(tmp, sizeof tmp, "%s.tmp", path);
		FILE *f = fopen(tmp, "wb");
		bool ok = f && fwrite(image, 1, len, f) == len;
		err = ok ? 0 : errno ? errno : EIO;
		if (f && fclose(f) != 0 && !err)
			err = errno ? errno : EIO;
		if (!err && rename(tmp, path) != 0)
			err = errno;
		if (err)
			unlink(tmp);
	}
	if (!err) {
		__atomic_add_fetch(&written, 1, __ATOMIC_RELAXED);
		return;
	}
	if (__atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED) == 0) {
		first_error = err;
		fprintf(stderr, "pd: cannot write checkpoint file %s: %s (later failures "
			"are only counted)\n", path, strerror(err));
	}
}

static void *writer_main(void *arg)
{
	(void)arg;
	for (;;) {
		while (sem_wait(&wake) != 0 && errno == EINTR)
			;
		bool any = false;
		for (unsigned k = 0; k < n_slots; k++) {
			slot *s = &slots[k];
			if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != READY)
				continue;
			any = true;
			__atomic_store_n(&s->state, WRITING, __ATOMIC_RELAXED);
			write_image(s->worker, s->stage, s->buf, s->len);
			__atomic_store_n(&s->state, FREE, __ATOMIC_RELEASE);
		}
		if (!any && __atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
			return NULL;
	}
}

int pd_ckpt_files_start(const char *folder, unsigned n_workers, unsigned n_stages)
{
	n_slots = n_workers * n_stages;
	n_slot_stages = n_stages;
	slots = calloc(n_slots ? n_slots : 1, sizeof *slots);
	if (!slots)
		return -ENOMEM;
	for (unsigned k = 0; k < n_slots; k++) {
		slots[k].worker = k / n_stages;
		slots[k].stage = k % n_stages;
	}
	dir = folder;
	written = skipped = failed = 0;
	stopping = false;
	if (sem_init(&wake, 0, 0) != 0 || pthread_create(&writer, NULL, writer_main, NULL) != 0) {
		fprintf(stderr, "pd: cannot start the checkpoint writer thread\n");
		free(slots);
		slots = NULL;
		return -EAGAIN;
	}
	running = true;
	return 0;
}

bool pd_ckpt_files_active(void)
{
	return running;
}

void pd_ckpt_files_post(struct pd_worker *w, unsigned stage)
{
	const void *image;
	size_t len;

	if (!running || w->id * n_slot_stages + stage >= n_slots)
		return;
	slot *s = &slots[w->id * n_slot_stages + stage];
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != FREE) {
		__atomic_add_fetch(&skipped, 1, __ATOMIC_RELAXED);
		return;
	}
	/* An incremental checkpoint (a commit) makes no new image: nothing to write. */
	pd_domain_stats st;
	if (pd_domain_get_stats(w->domain[stage], &st) < 0 || st.images == s->images)
		return;
	if (pd_domain_checkpoint_image(w->domain[stage], &image, &len) < 0 || !image)
		return;
	s->images = st.images;
	if (len > s->cap) {
		/* Grows once to the image's size, then reused for every copy. */
		void *bigger = realloc(s->buf, len);
		if (!bigger) {
			__atomic_add_fetch(&skipped, 1, __ATOMIC_RELAXED);
			return;
		}
		s->buf = bigger;
		s->cap = len;
	}
	memcpy(s->buf, image, len);
	s->len = len;
	__atomic_store_n(&s->state, READY, __ATOMIC_RELEASE);
	sem_post(&wake);
}

void pd_ckpt_files_stop(struct pd_worker *workers, unsigned n_workers)
{
	if (!running)
		return;
	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	sem_post(&wake);
	pthread_join(writer, NULL);
	running = false;

	/* The run is over: the last checkpoint of each stage, written here. */
	for (unsigned w = 0; w < n_workers; w++)
		for (unsigned i = 0; i < workers[w].n_stages; i++) {
			const void *image;
			size_t len;
			if (!workers[w].ckpt_every[i])
				continue;
			/* Incremental: the last full image may be many commits old;
			 * the workers are done, so take one of the state as it ends. */
			if (workers[w].domain[i]->spec.checkpoint_incremental)
				pd_domain_checkpoint_full(workers[w].domain[i]);
			if (pd_domain_checkpoint_image(workers[w].domain[i], &image, &len) == 0 && image)
				write_image(w, i, image, len);
		}
	printf("checkpoint files: %" PRIu64 " written to %s, %" PRIu64 " skipped while the "
	       "writer was busy, %" PRIu64 " failed%s%s\n", written, dir, skipped, failed,
	       failed ? ": " : "", failed ? strerror(first_error) : "");
	for (unsigned k = 0; k < n_slots; k++)
		free(slots[k].buf);
	free(slots);
	slots = NULL;
	n_slots = 0;
	sem_destroy(&wake);
}

/* The whole of PATH in a malloc'd buffer; NULL and errno when it cannot be read. */
static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	void *buf = NULL;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > UINT32_MAX) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		fclose(f);
		return NULL;
	}
	*len = (size_t)st.st_size;
	buf = malloc(*len ? *len : 1);
	if (buf && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	fclose(f);
	return buf;
}

/*
 * A fresh domain started from an image: the image becomes its last
 * checkpoint and a recovery loads it, validated as any restore is, so a
 * fault before its next checkpoint comes back to this state too.  -PD_EINVAL
 * when the domain does not restore from checkpoints, -PD_ECORRUPT when the
 * image did not load.
 */
static int start_from(pd_domain *d, const void *image, size_t len)
{
	pd_domain_stats before, after;
	int rc = pd_domain_get_stats(d, &before);

	if (rc == 0)
		rc = pd_domain_set_checkpoint_image(d, image, len);
	if (rc == 0)
		rc = pd_domain_recover(d);
	if (rc == 0)
		rc = pd_domain_get_stats(d, &after);
	if (rc == 0 && after.restores == before.restores)
		rc = after.restore_errors > before.restore_errors ? -PD_ECORRUPT : -PD_EINVAL;
	return rc;
}

int pd_ckpt_files_restore(struct pd_worker *w, const char *folder)
{
	char path[PATH_MAX];

	for (unsigned i = 0; i < w->n_stages; i++) {
		size_t len = 0;
		if (image_path(path, sizeof path, folder, w->id, i) != 0) {
			fprintf(stderr, "pd: --restore-from %s: path too long\n", folder);
			return -ENAMETOOLONG;
		}
		void *image = read_file(path, &len);
		if (!image) {
			int err = errno;
			if (err == ENOENT && !w->ckpt_every[i])
				continue;       /* a stage with no checkpoints has no file */
			fprintf(stderr, "pd: --restore-from: cannot read %s: %s\n", path,
				strerror(err));
			return -err;
		}
		int rc = start_from(w->domain[i], image, len);
		free(image);
		if (rc < 0) {
			fprintf(stderr, "pd: --restore-from: %s does not load into stage %s: %s\n",
				path, pd_stats_stage_name(i), rc == -PD_EINVAL
				? "its domain is not `on_fault restore`" : pd_strerror(rc));
			return rc;
		}
		printf("pd: worker %u: stage %s starts from %s (%zu bytes)\n", w->id,
		       pd_stats_stage_name(i), path, len);
	}
	return 0;
}
