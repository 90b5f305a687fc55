/*
 * paths.c - the standard import folder, output names and output folders.
 *
 * Folders are compared as real paths, so `-I ./idl` and `idl/x.pdl`, or a
 * symlinked checkout, still agree on what lies below what.  The standard
 * folder is found from /proc/self/exe, not from a path compiled in, so an
 * installed tree can be moved (DESTDIR staging, a relocated prefix) and
 * its pdlc still finds its own .pdl files.
 */
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ast.h"

const char *paths_builtin_idl_dir(void)
{
	char exe[PATH_MAX], real[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	const char *dir = ast_printf("%s/%s", exe, PATHS_BUILTIN_IDL_DIR);
	struct stat st;
	if (realpath(dir, real) == NULL || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return ast_strdup(real);
}

const char *paths_base(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

bool paths_same_file(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	if (realpath(a, ra) == NULL || realpath(b, rb) == NULL)
		return strcmp(a, b) == 0;
	return strcmp(ra, rb) == 0;
}

/* REAL below DIR (both real paths): the rest of REAL after "DIR/", or NULL. */
static const char *below(const char *real, const char *dir)
{
	char rdir[PATH_MAX];
	if (realpath(dir, rdir) == NULL)
		return NULL;
	size_t n = strlen(rdir);
	if (n == 1 && rdir[0] == '/')
		n = 0;                  /* "/" ends in its own slash */
	if (strncmp(real, rdir, n) != 0 || real[n] != '/' || real[n + 1] == '\0')
		return NULL;
	return real + n + 1;
}

const char *paths_output_name(const char *input, const char *const *dirs, int n_dirs)
{
	char real[PATH_MAX];
	const char *name = NULL;
	if (realpath(input, real) != NULL)
		for (int i = 0; i < n_dirs && name == NULL; i++)
			name = below(real, dirs[i]);
	if (name == NULL)
		name = paths_base(input);
	size_t len = strlen(name);
	if (len > 4 && strcmp(name + len - 4, ".pdl") == 0)
		len -= 4;
	return ast_strndup(name, len);
}

int paths_make_dirs(const char *dir, const char **failed)
{
	char *path = (char *)ast_strdup(dir);
	struct stat st;
	if (path[0] == '\0')
		return 0;
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			*failed = path;
			return -1;
		}
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			*failed = path;
			return -1;
		}
		*p = c;
		if (c == '\0')
			return 0;
	}
}
