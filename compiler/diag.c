/*
 * diag.c - printing diagnostics with the source line and a caret.
 *
 * Source lines can be anything the user fed us (a 1 MB line, NUL bytes,
 * binary junk), so the quoted line is clipped to a window around the column
 * and non-printing bytes are shown as '?', keeping the caret aligned.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "source.h"

#define QUOTE_WIDTH 100         /* columns of source quoted around the caret */

static int error_count;
static int notes_muted;         /* notes of a suppressed error are dropped too */

static void quote_line(FILE *out, loc at)
{
	size_t len;
	const char *line = at.src ? source_line(at.src, at.line, &len) : NULL;
	if (line == NULL)
		return;
	size_t col = at.col > 0 ? (size_t)at.col - 1 : 0;
	size_t start = col > QUOTE_WIDTH / 2 ? col - QUOTE_WIDTH / 2 : 0;
	size_t end = start + QUOTE_WIDTH < len ? start + QUOTE_WIDTH : len;

	fputc(' ', out);
	if (start > 0)
		fputs("...", out);
	for (size_t i = start; i < end; i++) {
		unsigned char c = (unsigned char)line[i];
		fputc(c == '\t' || (c >= 0x20 && c < 0x7f) ? c : '?', out);
	}
	if (end < len)
		fputs("...", out);
	fputs("\n ", out);
	if (start > 0)
		fputs("   ", out);
	for (size_t i = start; i < col && i < len; i++)
		fputc(line[i] == '\t' ? '\t' : ' ', out);
	fputs("^\n", out);
}

/*
 * stderr is unbuffered: written straight to it, a diagnostic would cost a
 * system call per character of its caret line.  Each is formatted in
 * memory and written at once (an error with 100,000 notes takes a second,
 * not a minute).
 */
static void report(const char *kind, loc at, const char *fmt, va_list ap)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (out == NULL)
		out = stderr;
	if (at.src)
		fprintf(out, "%s:%d:%d: %s: ", at.src->path, at.line, at.col, kind);
	else
		fprintf(out, "pdlc: %s: ", kind);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	quote_line(out, at);
	if (out != stderr && fclose(out) == 0) {
		fwrite(text, 1, len, stderr);
		fflush(stderr);
	}
	free(text);
}

void diag_error(loc at, const char *fmt, ...)
{
	error_count++;
	notes_muted = error_count > DIAG_MAX_ERRORS;
	if (error_count == DIAG_MAX_ERRORS + 1)
		fprintf(stderr, "pdlc: too many errors (%d); stopping here\n", DIAG_MAX_ERRORS);
	if (notes_muted)
		return;
	va_list ap;
	va_start(ap, fmt);
	report("error", at, fmt, ap);
	va_end(ap);
}

void diag_note(loc at, const char *fmt, ...)
{
	if (notes_muted)
		return;
	va_list ap;
	va_start(ap, fmt);
	report("note", at, fmt, ap);
	va_end(ap);
}

void diag_fatal(const char *fmt, ...)
{
	va_list ap;
	error_count++;
	fputs("pdlc: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int diag_error_count(void)
{
	return error_count;
}

void diag_reset(void)
{
	error_count = 0;
	notes_muted = 0;
}
