/*
 * demo_trace.c - the built-in demo trace as a file net_pcap can open.
 *
 * net_pcap reads its input by path, so the bytes go into a memfd whose
 * /proc/self/fd path stays valid while the program runs and leaves
 * nothing behind when it exits.  The output goes beside the build's other
 * results, found from the program's own path, not from the current folder.
 */
#define _GNU_SOURCE
#include "demo_trace.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern const char demo_trace_bytes[], demo_trace_end[];

static int trace_fd(void)
{
	int fd = memfd_create("demo.pcap", MFD_CLOEXEC);
	size_t len = (size_t)(demo_trace_end - demo_trace_bytes);

	if (fd < 0)
		return -1;
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, demo_trace_bytes + done, len - done);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return fd;
}

/* The folder above the one holding this program, or "." when unknown. */
static void build_dir(char *out, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	snprintf(out, size, ".");
	if (n <= 0)
		return;
	exe[n] = '\0';
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash)
			return;
		*slash = '\0';
	}
	snprintf(out, size, "%s", exe[0] ? exe : "/");
}

const char *demo_trace_vdev(const char *out_name)
{
	static char vdev[2 * PATH_MAX];
	char dir[PATH_MAX];
	int fd = trace_fd();

	if (fd < 0) {
		fprintf(stderr, "cannot make the built-in trace a file: %s\n", strerror(errno));
		return NULL;
	}
	build_dir(dir, sizeof dir);
	snprintf(vdev, sizeof vdev, "net_pcap0,rx_pcap=/proc/self/fd/%d,tx_pcap=%s/%s", fd,
		 dir, out_name);
	return vdev;
}
