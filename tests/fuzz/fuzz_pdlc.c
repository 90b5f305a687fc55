/*
 * fuzz_pdlc.c - libFuzzer harness for the whole of pdlc, in process.
 *
 * Each input is one .pdl file (fuzz_pdlc), or, built with -DFUZZ_MODULES
 * (fuzz_pdlc_modules), up to four files separated by a line "//--": the
 * first is the one compiled, the others are m1.pdl, m2.pdl, m3.pdl beside
 * it, which it and they may import (cross-module names, diamonds, cycles).  It goes through what `pdlc -I idl` does:
 * the loader (the file is written to a private temporary folder so imports,
 * import cycles and `import "in.pdl"` of itself resolve as on disk), every
 * semantic pass, and, when the file checked cleanly, every emitter, writing
 * into the same folder.  The arena, the diagnostics counter and the loader's
 * state are reset after each input, so one input cannot affect the next and
 * LeakSanitizer sees whether pdlc frees what it allocated.
 *
 * Diagnostics go to /dev/null (they are formatted all the same, so the
 * quoting code is fuzzed too); PDL_FUZZ_VERBOSE=1 keeps them on stderr.
 * Imports of the standard files are looked up in $PDL_FUZZ_IDL, else idl/
 * below the current folder (the runner starts harnesses at the root).
 */
#define _GNU_SOURCE      /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ast.h"
#include "diag.h"
#include "emit.h"
#include "loader.h"
#include "sema.h"

static char dir[64];
static char in_path[96];
static char out_dir[96];
static const char *idl_dir;

static void remove_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_pdlc: could not remove %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/fuzz_pdlc.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_pdlc: mkdtemp");
		exit(1);
	}
	atexit(remove_dir);
	snprintf(in_path, sizeof in_path, "%s/in.pdl", dir);
	snprintf(out_dir, sizeof out_dir, "%s/out", dir);
	idl_dir = getenv("PDL_FUZZ_IDL") ? getenv("PDL_FUZZ_IDL") : "idl";
	const char *verbose = getenv("PDL_FUZZ_VERBOSE");
	if (verbose == NULL || strcmp(verbose, "1") != 0) {
		/* libFuzzer and the sanitizers write to fd 2 directly, not through
		 * stdio's stderr, so their reports still show. */
		FILE *null = fopen("/dev/null", "w");
		if (null)
			stderr = null;
	}
	return 0;
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		perror("fuzz_pdlc: writing the input");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef FUZZ_MODULES
	static const char sep[] = "\n//--\n";
	const uint8_t *end = data + size;
	for (int k = 0; k < 4; k++) {
		const uint8_t *cut = memmem(data, (size_t)(end - data), sep, sizeof sep - 1);
		size_t n = cut ? (size_t)(cut - data) : (size_t)(end - data);
		char path[112];
		if (k == 0)
			snprintf(path, sizeof path, "%s", in_path);
		else
			snprintf(path, sizeof path, "%s/m%d.pdl", dir, k);
		write_file(path, data, n);
		data = cut ? cut + sizeof sep - 1 : end;
	}
#else
	write_file(in_path, data, size);
#endif

	const char *include_dirs[] = { idl_dir };
	loader l = { .include_dirs = include_dirs, .n_include_dirs = 1 };
	module *root = loader_load(&l, in_path);
	for (int i = 0; i < l.n_modules; i++)
		sema_check(l.modules[i]);
	if (root && diag_error_count() == 0)
		emit_module(root, out_dir, "in");

	ast_free_all();
	diag_reset();
	return 0;
}
