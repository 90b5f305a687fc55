/*
 * main.c - pdlc's command line.
 *
 *   pdlc [-I DIR]... [-o OUTDIR] [--depfile FILE] FILE.pdl
 *
 * Exit status: 0 on success, 1 when the input has errors, 2 on a usage
 * error.  Nothing is written unless the whole input checked cleanly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "emit.h"
#include "loader.h"
#include "sema.h"
#include "source.h"
#include "version.h"

static const char usage[] =
	"usage: pdlc [-I DIR]... [-o OUTDIR] [--depfile FILE] FILE.pdl\n"
	"\n"
	"Compiles a PDL interface file into OUTDIR/STEM.pdl.h and OUTDIR/STEM.pdl.c.\n"
	"\n"
	"  -I DIR          look for imports in DIR (after the importing file's folder)\n"
	"  -o OUTDIR       where to write the output (default: .)\n"
	"  --depfile FILE  write a Make-style depfile naming every file read\n"
	"  --version       print pdlc's version and the libpd format it targets\n"
	"  --help          print this help\n";

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "pdlc: %s%s%s\n%s", msg, arg ? ": " : "", arg ? arg : "", usage);
	return 2;
}

/* A depfile path with spaces escaped the way Make and Ninja read them. */
static void dep_path(FILE *f, const char *path)
{
	for (const char *p = path; *p; p++) {
		if (*p == ' ' || *p == '#' || *p == '\\')
			fputc('\\', f);
		if (*p == '$')
			fputc('$', f);
		fputc(*p, f);
	}
}

static int write_depfile(const char *depfile, const char *target, const loader *l)
{
	FILE *f = fopen(depfile, "w");
	if (f == NULL) {
		diag_fatal("cannot write depfile '%s'", depfile);
		return -1;
	}
	dep_path(f, target);
	fputc(':', f);
	for (int i = 0; i < l->n_modules; i++) {
		fputs(" \\\n  ", f);
		dep_path(f, l->modules[i]->src->path);
	}
	fputc('\n', f);
	if (fclose(f) != 0) {
		diag_fatal("cannot write depfile '%s'", depfile);
		return -1;
	}
	return 0;
}

/* FILE.pdl -> FILE (the folder stripped). */
static const char *stem_of(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".pdl") == 0)
		n -= 4;
	return ast_strndup(base, n);
}

int main(int argc, char **argv)
{
	const char *outdir = ".", *depfile = NULL, *input = NULL;
	loader l = { 0 };
	l.include_dirs = calloc((size_t)argc, sizeof(char *));
	if (l.include_dirs == NULL)
		return 2;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			printf("pdlc %s (libpd format %d)\n", PDLC_VERSION, PDLC_FORMAT_VERSION);
			return 0;
		} else if (strcmp(a, "-I") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "--depfile") == 0) {
			if (i + 1 >= argc)
				return usage_error("missing argument after", a);
			const char *v = argv[++i];
			if (a[1] == 'I')
				l.include_dirs[l.n_include_dirs++] = v;
			else if (a[1] == 'o')
				outdir = v;
			else
				depfile = v;
		} else if (strncmp(a, "-I", 2) == 0 && a[2]) {
			l.include_dirs[l.n_include_dirs++] = a + 2;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option", a);
		} else if (input) {
			return usage_error("more than one input file", a);
		} else {
			input = a;
		}
	}
	if (input == NULL)
		return usage_error("no input file", NULL);

	module *root = loader_load(&l, input);
	for (int i = 0; i < l.n_modules; i++)
		sema_check(l.modules[i]);

	int status = 0;
	if (root == NULL || diag_error_count() > 0) {
		status = 1;
	} else {
		const char *stem = stem_of(input);
		if (emit_module(root, outdir, stem) != 0)
			status = 1;
		else if (depfile && write_depfile(depfile, ast_printf("%s/%s.pdl.h", outdir, stem), &l) != 0)
			status = 1;
	}
	free(l.include_dirs);
	ast_free_all();
	return status;
}
