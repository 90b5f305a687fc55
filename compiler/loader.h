/*
 * loader.h - reads a .pdl file and, transitively, everything it imports.
 */
#ifndef PDLC_LOADER_H
#define PDLC_LOADER_H

#include "ast.h"

typedef struct loader {
	const char **include_dirs;      /* -I, in order */
	int n_include_dirs;
	const char *std_dir;            /* searched after them; NULL for none */
	module **modules;               /* every module read, imports before importers */
	int n_modules, cap_modules;
	struct symtab *by_realpath;     /* resolved path -> module; NULL until the first load */
} loader;

/* Loads PATH and its imports.  Returns the root module, or NULL when PATH
 * itself could not be read or parsed (the error is already reported).
 * Problems with imports are reported and the import is left unresolved. */
module *loader_load(loader *l, const char *path);

#endif /* PDLC_LOADER_H */
