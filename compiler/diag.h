/*
 * diag.h - the one place pdlc reports problems.
 *
 * Every message is "FILE:LINE:COL: error: MESSAGE" followed by the source
 * line and a caret, like gcc's.  A note points at a related place (the first
 * definition of a duplicate, the next hop of a flow).  After DIAG_MAX_ERRORS
 * errors pdlc stops reporting and says so; passes go on regardless, so a
 * pass never needs to check how many errors were reported to stay safe.
 */
#ifndef PDLC_DIAG_H
#define PDLC_DIAG_H

#include "ast.h"

#define DIAG_MAX_ERRORS 20

void diag_error(loc at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_note(loc at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error that has no place in a file (a usage or I/O problem). */
void diag_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int diag_error_count(void);
/* Forgets the errors counted so far (for tests that check many inputs). */
void diag_reset(void);

#endif /* PDLC_DIAG_H */
