/*
 * pd_eal.c - sorts the command line into EAL and program arguments, builds
 * the EAL argument vector (defaults, unique file prefix, the no-hugepage
 * fallback) and starts the EAL.  It must not know anything about pipelines:
 * programs hand it their default vdevs and get back their own arguments.
 */
#include "pd_eal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#define MAX_EAL_ARGS 128

static char file_prefix[64];
static bool prefix_generated;   /* ours to clean up at exit */
static bool eal_started;
static bool loop_pcap;

/* Room for the EAL vector; EAL keeps pointers into it, so it must outlive
 * rte_eal_init. */
static char *eal_argv[MAX_EAL_ARGS];
static char eal_strings[MAX_EAL_ARGS][256];
static int eal_argc;

/* The sorted command line: the EAL's arguments and the program's, of split_from. */
static char **split_from, **given_eal, **prog_argv;
static int n_given_eal, prog_argc;

/*
 * DPDK 22.11's EAL options (lib/eal/common/eal_common_options.c) and whether
 * each takes a value: required (the next argument, or after '='), optional
 * (only after '='), or none.  -h/--help is the program's: it prints the
 * program's usage, which points at the EAL's.
 */
enum { NO_VALUE, VALUE, OPTIONAL_VALUE };

static const struct {
	const char *name;
	int value;
} eal_long_options[] = {
	{ "allow", VALUE }, { "base-virtaddr", VALUE }, { "block", VALUE },
	{ "create-uio-dev", NO_VALUE }, { "file-prefix", VALUE },
	{ "force-max-simd-bitwidth", VALUE }, { "huge-dir", VALUE },
	{ "huge-unlink", OPTIONAL_VALUE }, { "huge-worker-stack", OPTIONAL_VALUE },
	{ "in-memory", NO_VALUE }, { "iova-mode", VALUE }, { "lcores", VALUE },
	{ "legacy-mem", NO_VALUE }, { "log-level", VALUE }, { "main-lcore", VALUE },
	{ "master-lcore", VALUE }, { "match-allocations", NO_VALUE },
	{ "mbuf-pool-ops-name", VALUE }, { "no-hpet", NO_VALUE }, { "no-huge", NO_VALUE },
	{ "no-pci", NO_VALUE }, { "no-shconf", NO_VALUE }, { "no-telemetry", NO_VALUE },
	{ "pci-blacklist", VALUE }, { "pci-whitelist", VALUE }, { "proc-type", VALUE },
	{ "single-file-segments", NO_VALUE }, { "socket-limit", VALUE },
	{ "socket-mem", VALUE }, { "syslog", VALUE }, { "telemetry", NO_VALUE },
	{ "trace", VALUE }, { "trace-bufsz", VALUE }, { "trace-dir", VALUE },
	{ "trace-mode", VALUE }, { "vdev", VALUE }, { "vfio-intr", VALUE },
	{ "vfio-vf-token", VALUE }, { "vmware-tsc-map", NO_VALUE },
};
static const char eal_short_with_value[] = "abcdlmnrsSw";

/* How many arguments from args[0] the EAL option there spans (1, or 2
 * with its value), or 0 when args[0] is no EAL option. */
static int eal_option_span(char **args, int n)
{
	const char *a = args[0];

	if (a[0] != '-' || a[1] == '\0')
		return 0;
	if (a[1] != '-') {
		if (strchr(eal_short_with_value, a[1]))
			return a[2] == '\0' && n > 1 ? 2 : 1;
		return a[1] == 'v' && a[2] == '\0' ? 1 : 0;
	}
	const char *name = a + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	for (size_t i = 0; i < sizeof eal_long_options / sizeof eal_long_options[0]; i++)
		if (strlen(eal_long_options[i].name) == len &&
		    !strncmp(eal_long_options[i].name, name, len))
			return !eq && eal_long_options[i].value == VALUE && n > 1 ? 2 : 1;
	return 0;
}

/* Sorts argv once: before a "--" everything is the EAL's and after it the
 * program's; without one, each argument goes where it belongs. */
static int split_args(int argc, char **argv)
{
	if (prog_argv && split_from == argv)
		return 0;
	free(given_eal);
	free(prog_argv);
	n_given_eal = prog_argc = 0;
	split_from = argv;
	given_eal = calloc((size_t)argc + 1, sizeof(char *));
	prog_argv = calloc((size_t)argc + 1, sizeof(char *));
	if (!given_eal || !prog_argv) {
		fprintf(stderr, "pd: out of memory\n");
		free(given_eal);
		free(prog_argv);
		given_eal = prog_argv = NULL;
		return -ENOMEM;
	}
	prog_argv[prog_argc++] = argv[0];

	int sep = -1;
	for (int i = 1; i < argc && sep < 0; i++)
		if (!strcmp(argv[i], "--"))
			sep = i;
	if (sep >= 0) {
		for (int i = 1; i < sep; i++)
			given_eal[n_given_eal++] = argv[i];
		for (int i = sep + 1; i < argc; i++)
			prog_argv[prog_argc++] = argv[i];
		return 0;
	}
	for (int i = 1; i < argc;) {
		int span = eal_option_span(argv + i, argc - i);
		if (span == 0) {
			prog_argv[prog_argc++] = argv[i++];
			continue;
		}
		while (span--)
			given_eal[n_given_eal++] = argv[i++];
	}
	return 0;
}

int pd_eal_program_args(int argc, char **argv, char ***out)
{
	if (split_args(argc, argv) < 0)
		return -ENOMEM;
	*out = prog_argv;
	return prog_argc;
}

void pd_eal_loop_pcap(bool loop)
{
	loop_pcap = loop;
}

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

/* A vdev value, with infinite_rx=1 added to a pcap file reader when looping. */
static int push_vdev(const char *fmt, const char *vdev)
{
	int rc = push(fmt, vdev);
	if (rc == 0 && loop_pcap && !strncmp(vdev, "net_pcap", 8) &&
	    strstr(vdev, "rx_pcap=") && !strstr(vdev, "infinite_rx=")) {
		char *s = eal_strings[eal_argc - 1];
		size_t len = strlen(s);
		if (len + sizeof ",infinite_rx=1" > sizeof eal_strings[0]) {
			fprintf(stderr, "pd: EAL argument too long: %s\n", vdev);
			return -E2BIG;
		}
		strcpy(s + len, ",infinite_rx=1");
	}
	return rc;
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

static int build_args(char *prog, char **args, int n, const char *const *default_vdevs)
{
	static const char *const prefix_opts[] = { "--file-prefix", NULL };
	static const char *const log_opts[] = { "--log-level", NULL };
	static const char *const device_opts[] = { "--vdev", "-a", "-b", "--allow", "--block",
		"-w", "--pci-whitelist", "--pci-blacklist", NULL };
	static const char *const pci_opts[] = { "--no-pci", "-a", "-b", "--allow", "--block",
		"-w", "--pci-whitelist", "--pci-blacklist", NULL };
	static const char *const mem_opts[] = { "--no-huge", "--huge-dir", "-m",
		"--socket-mem", "--in-memory", "--legacy-mem", NULL };
	static unsigned counter;
	int rc;

	eal_argc = 0;
	if ((rc = push("%s", prog)))
		return rc;
	for (int i = 0; i < n && !rc; i++) {
		if (starts_with(args[i], "--vdev="))
			rc = push_vdev("--vdev=%s", args[i] + strlen("--vdev="));
		else if (!strcmp(args[i], "--vdev") && i + 1 < n)
			rc = push("%s", args[i]) ? -E2BIG : push_vdev("%s", args[++i]);
		else
			rc = push("%s", args[i]);
	}
	if (rc)
		return rc;

	if (!names_option(args, n, prefix_opts)) {
		snprintf(file_prefix, sizeof file_prefix, "pd%ld_%u",
			 (long)getpid(), counter++);
		prefix_generated = true;
		if ((rc = push("--file-prefix=%s", file_prefix)))
			return rc;
	} else {
		for (int i = 0; i < n; i++) {
			const char *v = NULL;
			if (starts_with(args[i], "--file-prefix="))
				v = args[i] + strlen("--file-prefix=");
			else if (!strcmp(args[i], "--file-prefix") && i + 1 < n)
				v = args[i + 1];
			if (v)
				snprintf(file_prefix, sizeof file_prefix, "%s", v);
		}
	}
	if (!names_option(args, n, log_opts) && (rc = push("%s", "--log-level=lib.eal:warning")))
		return rc;

	bool default_ports = !names_option(args, n, device_opts);
	for (const char *const *v = default_vdevs; default_ports && !rc && v && *v; v++)
		rc = push_vdev("--vdev=%s", *v);
	if (!rc && !names_option(args, n, mem_opts) && (n == 0 || hugepages_total() == 0)) {
		rc = push("%s", "--no-huge");
		rc = rc ? rc : push("%s", "-m");
		rc = rc ? rc : push("%s", "256");
	}
	/* PCI devices want hugepages; and the default ports are virtual. */
	if (!rc && !names_option(args, n, pci_opts) &&
	    (default_ports || n == 0 || hugepages_total() == 0))
		rc = push("%s", "--no-pci");
	return rc;
}

/*
 * EAL leaves its runtime directory (/var/run/dpdk/PREFIX: config and memory
 * maps, ~3 MB on tmpfs without hugepages) behind after rte_eal_cleanup, and
 * after an rte_eal_init that failed part way.  A unique prefix per run would
 * pile those up, so a prefix we generated is removed; one the user chose is
 * left alone (they may reuse it, or share it with another process).
 */
static void remove_runtime_dir(const char *dir)
{
	DIR *d = dir[0] ? opendir(dir) : NULL;
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

int pd_eal_start(int argc, char **argv, const char *const *default_vdevs,
		 int *prog_argc_out, char ***prog_argv_out)
{
	int rc = split_args(argc, argv);
	if (rc == 0)
		rc = build_args(argv[0], given_eal, n_given_eal, default_vdevs);
	if (rc)
		return rc;

	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		int err = rte_errno;
		fprintf(stderr, "pd: cannot start the EAL: %s\n"
			"pd: usage: %s [EAL args] [program args]  (--help lists the "
			"program's; EAL arguments are DPDK's)\n",
			err ? rte_strerror(err) : "see its messages above", argv[0]);
		if (prefix_generated) {
			char dir[PATH_MAX];
			snprintf(dir, sizeof dir, "%s", rte_eal_get_runtime_dir());
			remove_runtime_dir(dir);
		}
		return -EINVAL;
	}
	eal_started = true;
	*prog_argc_out = prog_argc;
	*prog_argv_out = prog_argv;
	return 0;
}

const char *pd_eal_file_prefix(void)
{
	return file_prefix;
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
