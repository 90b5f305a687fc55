/*
 * loader.c - import resolution, cycle detection, one parse per file.
 *
 * An import is looked up beside the importing file first, then in each -I
 * folder in order, then in the standard folder (the installed .pdl files).  A file reached twice (by two imports, or a diamond) is
 * parsed once: modules are keyed by their resolved real path.  Cycles are
 * found with the classic three-colour depth-first walk.
 */
#include "loader.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "sema.h"
#include "parse_ctx.h"
#include "source.h"
#include "symtab.h"

enum { UNVISITED, LOADING, LOADED };

static const char *join_path(const char *dir, const char *rel)
{
	if (rel[0] == '/' || dir[0] == '\0')
		return ast_strdup(rel);
	size_t n = strlen(dir) + strlen(rel) + 2;
	char *p = ast_alloc(n);
	snprintf(p, n, "%s/%s", dir, rel);
	return p;
}

static const char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? ast_strndup(path, (size_t)(slash - path)) : "";
}

static void remember(loader *l, module *m)
{
	if (l->n_modules == l->cap_modules) {
		int cap = l->cap_modules ? 2 * l->cap_modules : 16;
		module **grown = ast_alloc((size_t)cap * sizeof(*grown));
		if (l->n_modules)
			memcpy(grown, l->modules, (size_t)l->n_modules * sizeof(*grown));
		l->modules = grown;
		l->cap_modules = cap;
	}
	l->modules[l->n_modules++] = m;
}

/* Finds the file an import names; returns NULL after listing where it looked. */
static const char *resolve_import(loader *l, const module *from, const import *imp)
{
	const char *candidate = join_path(dir_of(from->src->path), imp->path);
	if (access(candidate, F_OK) == 0)
		return candidate;
	for (int i = 0; i <= l->n_include_dirs; i++) {
		const char *dir = i < l->n_include_dirs ? l->include_dirs[i] : l->std_dir;
		const char *p = dir ? join_path(dir, imp->path) : NULL;
		if (p && access(p, F_OK) == 0)
			return p;
	}
	diag_error(imp->at, "cannot find imported file '%s'", imp->path);
	diag_note(imp->at, "looked in '%s'%s%s%s%s", dir_of(from->src->path)[0] ? dir_of(from->src->path) : ".",
	          l->n_include_dirs ? " and the -I folders" : " (no -I folders given)",
	          l->std_dir ? ", then in '" : "", l->std_dir ? l->std_dir : "", l->std_dir ? "'" : "");
	return NULL;
}

/*
 * An import path is written into the generated `#include "PATH.h"`: a
 * quote, a backslash or a control byte would break or change that line, so
 * paths keep to letters, digits, a few punctuation marks and UTF-8.
 */
static bool import_path_ok(const import *imp)
{
	for (const char *p = imp->path; *p; p++)
		if (!sema_is_ident_char(*p) && !strchr(" ./-+@", *p) && (unsigned char)*p < 0x80) {
			unsigned char c = (unsigned char)*p;
			if (c >= 0x20 && c < 0x7f)
				diag_error(imp->at, "an import path may hold letters, digits, spaces, UTF-8 and "
				           "'_./-+@', not '%c' (it is written into an #include)", c);
			else
				diag_error(imp->at, "an import path may hold letters, digits, spaces, UTF-8 and "
				           "'_./-+@', not byte 0x%02x (it is written into an #include)", c);
			return false;
		}
	if (imp->path[0] == '\0') {
		diag_error(imp->at, "an empty import path");
		return false;
	}
	return true;
}

static module *load(loader *l, const char *path, const char *import_path, const import *via);

static void load_imports(loader *l, module *m)
{
	for (import *imp = m->imports; imp; imp = imp->next) {
		const char *path = import_path_ok(imp) ? resolve_import(l, m, imp) : NULL;
		m->pending = imp;
		if (path)
			imp->module = load(l, path, imp->path, imp);
	}
	m->pending = NULL;
}

static void report_cycle(loader *l, const import *via, module *target)
{
	diag_error(via->at, "import cycle: '%s' is already being imported", via->path);
	/* The modules still LOADING are the path of imports being followed, in
	 * order; the cycle is its part from TARGET on. */
	bool on_cycle = false;
	for (int i = 0; i < l->n_modules; i++) {
		module *m = l->modules[i];
		on_cycle = on_cycle || m == target;
		if (on_cycle && m->load_state == LOADING && m->pending && m->pending != via)
			diag_note(m->pending->at, "'%s' imports '%s'", m->src->path, m->pending->path);
	}
}

static module *load(loader *l, const char *path, const char *import_path, const import *via)
{
	char real[PATH_MAX];
	const char *key = realpath(path, real) ? ast_strdup(real) : ast_strdup(path);
	if (l->by_realpath == NULL)
		l->by_realpath = symtab_new();

	module *seen = symtab_get(l->by_realpath, key);
	if (seen) {
		if (seen->load_state == LOADING) {
			report_cycle(l, via, seen);
			return NULL;
		}
		return seen;
	}

	const char *why;
	source *src = source_load(path, &why);
	if (src == NULL) {
		if (via)
			diag_error(via->at, "cannot read imported file '%s': %s", path, why);
		else
			diag_fatal("cannot read '%s': %s", path, why);
		return NULL;
	}
	module *m = parse_source(src);
	if (m == NULL)
		return NULL;
	m->import_path = import_path;
	symtab_insert(l->by_realpath, key, m);

	/* Listed while loading so a cycle report can find the modules on the path. */
	m->load_state = LOADING;
	int index = l->n_modules;
	remember(l, m);
	load_imports(l, m);
	m->load_state = LOADED;

	/* Keep the list in dependency order: move M after everything it pulled in. */
	memmove(&l->modules[index], &l->modules[index + 1],
	        (size_t)(l->n_modules - index - 1) * sizeof(*l->modules));
	l->modules[l->n_modules - 1] = m;
	return m;
}

module *loader_load(loader *l, const char *path)
{
	const char *slash = strrchr(path, '/');
	return load(l, path, slash ? slash + 1 : path, NULL);
}
