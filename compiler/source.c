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

const char *source_line(const source *src, int line, size_t *len)
{
	const char *p = src->text, *end = src->text + src->len;
	for (int n = 1; n < line && p < end; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return NULL;
		p = nl + 1;
	}
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
