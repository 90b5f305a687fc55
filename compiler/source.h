/*
 * source.h - a .pdl file held in memory for the lexer and the diagnostics.
 *
 * The whole file is read once; diagnostics quote lines from this copy, so a
 * caret always points into exactly the bytes the lexer saw.
 */
#ifndef PDLC_SOURCE_H
#define PDLC_SOURCE_H

#include <stddef.h>

typedef struct source {
	const char *path;       /* as given or as resolved from an import */
	char *text;             /* the bytes, plus a NUL not counted in len */
	size_t len;
	/* source_line's index, built on first use: where each line starts */
	const char **line_starts;
	int n_lines;
} source;

/* Reads PATH.  On failure returns NULL and sets *why to a short reason. */
source *source_load(const char *path, const char **why);

/* A source held in memory, for tests: NAME is what diagnostics call it. */
source *source_from_string(const char *name, const char *text);

/* The line LINE (from 1) of SRC: its start and length without the newline. */
const char *source_line(const source *src, int line, size_t *len);

#endif /* PDLC_SOURCE_H */
