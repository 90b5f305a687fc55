/*
 * pd_eal.c - builds the EAL argument vector (defaults, unique file prefix,
 * the no-hugepage fallback) and starts the EAL.  It must not know anything
 * about pipelines: programs hand it their default vdevs and get back their
 * own arguments.
 */
#include "pd_eal.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#define MAX_EAL_ARGS 128

static char file_prefix[64];
static bool prefix_generated;   /* ours to clean up at exit */
static bool eal_started;

/* Room for the EAL vector; EAL keeps pointers into it, so it must outlive
 * rte_eal_init. */
static char *eal_argv[MAX_EAL_ARGS];
static char eal_strings[MAX_EAL_ARGS][256];
static int eal_argc;

static int push(const char *fmt, const char *value)
{
	if (eal_argc >= MAX_EAL_ARGS - 1) {
		fprintf(stderr, "pd: too many EAL arguments (at most %d)\n",
			MAX_EAL_ARGS - 2);
		return -E2BIG;
	}
	int n = snprintf(eal_strings[eal_argc], sizeof eal_strings[0], fmt, value);
	if (n < 0 || (size_t)n >= sizeof eal_strings[0]) {
		fprintf(stderr, "pd: EAL argument too long: %s\n", value);
		return -E2BIG;
	}
	eal_argv[eal_argc] = eal_strings[eal_argc];
	eal_argc++;
	eal_argv[eal_argc] = NULL;
	return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* True when any of args[0..n) is one of the options (exact, or "opt=..."). */
static bool names_option(char **args, int n, const char *const *options)
{
	for (int i = 0; i < n; i++)
		for (const char *const *o = options; *o; o++) {
			size_t len = strlen(*o);
			if (strncmp(args[i], *o, len) == 0 &&
			    (args[i][len] == '\0' || args[i][len] == '=' ||
			     (*o)[1] != '-'))   /* short options glue values: -m256 */
				return true;
		}
	return false;
}

/* HugePages_Total from /proc/meminfo; 0 when unreadable. */
static long hugepages_total(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long total = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "HugePages_Total: %ld", &total) == 1)
			break;
	fclose(f);
	return total;
}

static int build_args(char *prog, char **eal_args, int n_eal, bool given,
		      const char *const *default_vdevs)
{
	static const char *const prefix_opts[] = {"--file-prefix", NULL};
	static const char *const mem_opts[] = {"--no-huge", "--huge-dir", "-m",
		"--socket-mem", "--in-memory", "--legacy-mem", NULL};
	static const char *const pci_opts[] = {"--no-pci", "-a", "-b",
		"--allow", "--block", NULL};
	static unsigned counter;
	int rc;

	eal_argc = 0;
	if ((rc = push("%s", prog)))
		return rc;
	for (int i = 0; i < n_eal; i++)
		if ((rc = push("%s", eal_args[i])))
			return rc;

	if (!given || !names_option(eal_args, n_eal, prefix_opts)) {
		snprintf(file_prefix, sizeof file_prefix, "pd%ld_%u",
			 (long)getpid(), counter++);
		prefix_generated = true;
		if ((rc = push("--file-prefix=%s", file_prefix)))
			return rc;
	} else {
		for (int i = 0; i < n_eal; i++) {
			const char *v = NULL;
			if (starts_with(eal_args[i], "--file-prefix="))
				v = eal_args[i] + strlen("--file-prefix=");
			else if (!strcmp(eal_args[i], "--file-prefix") && i + 1 < n_eal)
				v = eal_args[i + 1];
			if (v)
				snprintf(file_prefix, sizeof file_prefix, "%s", v);
		}
	}

	if (!given) {
		rc = push("%s", "--no-huge");
		rc = rc ? rc : push("%s", "--no-pci");
		rc = rc ? rc : push("%s", "-m");
		rc = rc ? rc : push("%s", "256");
		rc = rc ? rc : push("%s", "--log-level=lib.eal:warning");
		for (const char *const *v = default_vdevs; !rc && v && *v; v++)
			rc = push("--vdev=%s", *v);
		return rc;
	}
	if (hugepages_total() == 0 && !names_option(eal_args, n_eal, mem_opts)) {
		rc = push("%s", "--no-huge");
		rc = rc ? rc : push("%s", "-m");
		rc = rc ? rc : push("%s", "256");
		if (!rc && !names_option(eal_args, n_eal, pci_opts))
			rc = push("%s", "--no-pci");
	}
	return rc;
}

int pd_eal_start(int argc, char **argv, const char *const *default_vdevs,
		 int *prog_argc, char ***prog_argv)
{
	int sep = -1;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			sep = i;
			break;
		}

	/* Without "--" everything is the program's; with it, the part before
	 * is EAL's and the program's name is moved just after it. */
	int n_eal = sep < 0 ? 0 : sep - 1;
	int rc = build_args(argv[0], argv + 1, n_eal, n_eal > 0, default_vdevs);
	if (rc)
		return rc;

	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "pd: cannot start the EAL: %s\n"
			"pd: usage: %s [EAL args] -- [program args]\n",
			rte_strerror(rte_errno), argv[0]);
		return -EINVAL;
	}
	eal_started = true;

	if (sep >= 0) {
		argv[sep] = argv[0];
		*prog_argv = argv + sep;
		*prog_argc = argc - sep;
	} else {
		*prog_argv = argv;
		*prog_argc = argc;
	}
	return 0;
}

const char *pd_eal_file_prefix(void)
{
	return file_prefix;
}

/*
 * EAL leaves its runtime directory (/var/run/dpdk/PREFIX: config and memory
 * maps, ~3 MB on tmpfs without hugepages) behind after rte_eal_cleanup.  A
 * unique prefix per run would pile those up, so a prefix we generated is
 * removed at exit; one the user chose is left alone (they may reuse it).
 */
static void remove_runtime_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void pd_eal_stop(void)
{
	char dir[PATH_MAX];

	if (!eal_started)
		return;
	snprintf(dir, sizeof dir, "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	if (prefix_generated)
		remove_runtime_dir(dir);
	eal_started = false;
}
