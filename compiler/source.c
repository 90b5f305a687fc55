/*
 * source.c - reading .pdl files, refusing what is not a regular file.
 */
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ast.h"

/* No .pdl file is anywhere near this; a larger one is a mistake or an attack. */
#define SOURCE_MAX_BYTES (256u << 20)

source *source_load(const char *path, const char **why)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		*why = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
		fclose(f);
		return NULL;
	}
	if ((unsigned long long)st.st_size > SOURCE_MAX_BYTES) {
		*why = "file too large (over 256 MiB)";
		fclose(f);
		return NULL;
	}
	size_t len = (size_t)st.st_size;
	/* In the arena like everything else, so no exit path can leak it. */
	char *text = ast_alloc(len + 1);
	size_t got = fread(text, 1, len, f);
	int failed = ferror(f);
	fclose(f);
	if (failed || got != len) {
		*why = "read error";
		return NULL;
	}
	text[len] = '\0';

	source *src = AST_NEW(source);
	src->path = ast_strdup(path);
	src->text = text;
	src->len = len;
	return src;
}

/*
 * Every diagnostic quotes its line, and one error can carry a note for each
 * hop of a path through the whole file: the line starts are indexed once,
 * so a diagnostic costs the same on line 1 and on line 1,000,000.
 */
static void index_lines(source *src)
{
	const char *p = src->text, *end = src->text + src->len;
	int n = 1;
	for (const char *q = p; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
		n++;
	const char **starts = ast_alloc((size_t)n * sizeof(*starts));
	starts[0] = p;
	for (int i = 1; i < n; i++) {
		p = memchr(p, '\n', (size_t)(end - p)) + 1;
		starts[i] = p;
	}
	src->line_starts = starts;
	src->n_lines = n;
}

const char *source_line(const source *src, int line, size_t *len)
{
	if (src->line_starts == NULL)
		index_lines((source *)src);     /* a cache: the text itself stays as read */
	if (line < 1 || line > src->n_lines)
		return NULL;
	const char *p = src->line_starts[line - 1], *end = src->text + src->len;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	return p;
}

source *source_from_string(const char *name, const char *text)
{
	size_t len = strlen(text);
	source *src = AST_NEW(source);
	src->path = ast_strdup(name);
	src->text = (char *)ast_strndup(text, len);
	src->len = len;
	return src;
}
