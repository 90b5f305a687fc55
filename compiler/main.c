/*
 * main.c - pdlc's command line.
 *
 *   pdlc [-I DIR]... [-o OUTDIR] [--depfile FILE] [--idl-dir DIR] FILE.pdl...
 *
 * Exit status: 0 on success, 1 when the input has errors, 2 on a usage
 * error.  Nothing is written unless every input checked cleanly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "emit.h"
#include "loader.h"
#include "paths.h"
#include "sema.h"
#include "source.h"
#include "version.h"

static const char usage[] =
	"usage: pdlc [-I DIR]... [-o OUTDIR] [--depfile FILE] [--idl-dir DIR] FILE.pdl...\n"
	"\n"
	"Compiles each PDL interface file into OUTDIR/NAME.pdl.h and OUTDIR/NAME.pdl.c,\n"
	"where NAME is the file's path below the first import folder that holds it\n"
	"(pdlc -I idl idl/std/packet.pdl: NAME is std/packet), else its file name.\n"
	"\n"
	"  -I DIR, -IDIR        look for imports in DIR (after the importing file's folder)\n"
	"  -o DIR, -oDIR        where to write the output (default: .); made if missing\n"
	"  --depfile FILE       write a Make-style depfile naming every output and\n"
	"                       every file read (its folder made if missing)\n"
	"  --idl-dir DIR        the standard import folder, searched after the -I\n"
	"                       folders (default: $PDLC_IDL_DIR, else " PATHS_BUILTIN_IDL_DIR "\n"
	"                       from the folder of the pdlc binary; '' for none)\n"
	"  --version            print pdlc's version and the libpd format it targets\n"
	"  --help               print this help\n";

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

typedef struct input {
	const char *path;
	const char *name;       /* its output below OUTDIR, without .pdl.h */
	module *mod;
} input;

static int write_depfile(const char *depfile, const char *outdir, const input *in, int n_in,
			 const loader *l)
{
	const char *slash = strrchr(depfile, '/'), *failed;
	if (slash && slash > depfile &&
	    paths_make_dirs(ast_strndup(depfile, (size_t)(slash - depfile)), &failed) != 0) {
		diag_fatal("cannot create folder '%s' for the depfile: %s", failed, strerror(errno));
		return -1;
	}
	FILE *f = fopen(depfile, "w");
	if (f == NULL) {
		diag_fatal("cannot write depfile '%s': %s", depfile, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n_in; i++) {
		if (i > 0)
			fputc(' ', f);
		dep_path(f, ast_printf("%s/%s.pdl.h", outdir, in[i].name));
		fputc(' ', f);
		dep_path(f, ast_printf("%s/%s.pdl.c", outdir, in[i].name));
	}
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

/* Is A the option OPT: spaced, glued (-oDIR) or with '=' (--depfile=FILE)? */
static bool is_option(const char *a, const char *opt)
{
	size_t n = strlen(opt);
	return strncmp(a, opt, n) == 0 && (a[n] == '\0' || opt[1] != '-' || a[n] == '=');
}

/* OPT's value: glued to it, after '=', or the next argument; NULL if none. */
static const char *option_value(int argc, char **argv, int *i, const char *opt)
{
	const char *a = argv[*i] + strlen(opt);
	if (*a != '\0')
		return opt[1] == '-' ? a + 1 : a;
	return *i + 1 < argc ? argv[++*i] : NULL;
}

/*
 * Gives each input its output name; two files may not share one.  The same
 * file named twice is compiled once.
 */
static int name_outputs(input *in, int *n_in, const loader *l, const char *outdir)
{
	const char **dirs = ast_alloc(((size_t)l->n_include_dirs + 1) * sizeof(*dirs));
	int n_dirs = 0, kept = 0, rc = 0;
	for (int i = 0; i < l->n_include_dirs; i++)
		dirs[n_dirs++] = l->include_dirs[i];
	if (l->std_dir)
		dirs[n_dirs++] = l->std_dir;

	for (int i = 0; i < *n_in && rc == 0; i++) {
		const char *name = paths_output_name(in[i].path, dirs, n_dirs);
		bool dup = false;
		/* The name is written into the output's #include and comments. */
		for (const char *p = name; *p && rc == 0; p++)
			if (!sema_is_ident_char(*p) && !strchr(" ./-+@", *p) && (unsigned char)*p < 0x80) {
				fprintf(stderr, "pdlc: '%s' cannot be compiled under its name: an output name "
				        "may hold letters, digits, spaces, UTF-8 and '_./-+@'\n", in[i].path);
				rc = -1;
			}
		for (int k = 0; k < kept && !dup && rc == 0; k++) {
			if (strcmp(in[k].name, name) != 0)
				continue;
			if (!paths_same_file(in[k].path, in[i].path)) {
				fprintf(stderr, "pdlc: '%s' and '%s' would both be written to %s/%s.pdl.h\n",
					in[k].path, in[i].path, outdir, name);
				rc = -1;
			}
			dup = true;
		}
		if (!dup)
			in[kept++] = (input){ .path = in[i].path, .name = name };
	}
	*n_in = kept;
	return rc;
}

/*
 * Everything pdlc allocates lives in the arena, and main frees the arena on
 * every way out: an early exit (usage error, --help, a file that cannot be
 * read) leaks nothing, so LeakSanitizer can watch every pdlc step.
 */
static int compile(int argc, char **argv)
{
	const char *outdir = ".", *depfile = NULL, *idl_dir = getenv("PDLC_IDL_DIR");
	loader l = { 0 };
	input *in = ast_alloc((size_t)argc * sizeof(*in));
	l.include_dirs = ast_alloc((size_t)argc * sizeof(char *));
	int n_in = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			printf("pdlc %s (libpd format %d)\n", PDLC_VERSION, PDLC_FORMAT_VERSION);
			return 0;
		} else if (is_option(a, "-I") || is_option(a, "-o") || is_option(a, "--depfile") ||
			   is_option(a, "--idl-dir")) {
			const char *opt = a[1] == 'I' ? "-I" : a[1] == 'o' ? "-o" :
					  a[2] == 'd' ? "--depfile" : "--idl-dir";
			const char *v = option_value(argc, argv, &i, opt);
			if (v == NULL)
				return usage_error("missing argument after", opt);
			if (opt[1] == 'I')
				l.include_dirs[l.n_include_dirs++] = v;
			else if (opt[1] == 'o')
				outdir = v;
			else if (opt[2] == 'd')
				depfile = v;
			else
				idl_dir = v;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option", a);
		} else {
			in[n_in++].path = a;
		}
	}
	if (n_in == 0)
		return usage_error("no input file", NULL);
	/* Unset: the installed folder; set but empty: none at all. */
	l.std_dir = idl_dir == NULL ? paths_builtin_idl_dir() : idl_dir[0] ? idl_dir : NULL;
	if (name_outputs(in, &n_in, &l, outdir) != 0)
		return 2;

	for (int i = 0; i < n_in; i++)
		in[i].mod = loader_load(&l, in[i].path);
	for (int i = 0; i < l.n_modules; i++)
		sema_check(l.modules[i]);

	int status = diag_error_count() > 0 ? 1 : 0;
	for (int i = 0; i < n_in; i++)
		if (in[i].mod == NULL)
			status = 1;
	for (int i = 0; i < n_in && status == 0; i++)
		if (emit_module(in[i].mod, outdir, in[i].name) != 0)
			status = 1;
	if (status == 0 && depfile && write_depfile(depfile, outdir, in, n_in, &l) != 0)
		status = 1;
	return status;
}

int main(int argc, char **argv)
{
	int status = compile(argc, argv);
	ast_free_all();
	return status;
}
