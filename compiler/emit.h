/*
 * emit.h - what the emitters share.
 *
 * One emit_*.c per artefact; each writes its part of STEM.pdl.h and
 * STEM.pdl.c in the order emit.c calls them.  Names are predictable from the
 * .pdl: a declaration X of module M is `M_X` in C, a method F of interface I
 * is `M_I_F`, constants are upper case.  Emitters only read the AST.
 */
#ifndef PDLC_EMIT_H
#define PDLC_EMIT_H

#include <stdio.h>

#include "ast.h"

typedef struct emit_ctx {
	FILE *h, *c;
	module *mod;
	const char *stem;               /* the output's file name without .pdl.h */
	struct symtab *emitted;         /* aggregate typedefs already written */
	bool walk_used_w;               /* emit_walks.c: the last walk body used its walk */
	bool walk_used_rc;              /* ... and tested a result in rc */
} emit_ctx;

/*
 * Writes OUTDIR/NAME.pdl.h and OUTDIR/NAME.pdl.c for M (NAME may hold
 * folders: "std/packet"), creating the folders that are missing; a file
 * whose bytes would not change is not rewritten.  0, or -1 reported.
 */
int emit_module(module *m, const char *outdir, const char *name);

/* The artefacts, in the order they appear in the output. */
void emit_labels(emit_ctx *e);
void emit_types(emit_ctx *e);
void emit_checkpoint(emit_ctx *e);
/* emit_checkpoint.c: can D be checkpointed (it reaches no opaque object)? */
bool struct_savable(const decl *d);
void emit_walks(emit_ctx *e);
void emit_interfaces(emit_ctx *e);
void emit_wiring(emit_ctx *e);

/* emit_walks.c: the walks over a value a proxy makes (runtime/pd_call.h). */
typedef enum walk_op {
	WALK_INSPECT,   /* touch what a value points to, collect its labels */
	WALK_CHECK,     /* a move's first pass */
	WALK_GIVE,      /* a move's second pass */
	WALK_LABELS,    /* only the labels of plain data (what comes back by copy) */
} walk_op;
/* Has struct D a generated walk OP (sema's facts say there is something to walk)? */
bool struct_has_walk(const decl *d, walk_op op);
bool type_needs_walk(const type *t, walk_op op);
/* Writes to O the walk OP of the value A (an lvalue of type T) with the walk
 * pointer W, as statements at DEPTH that `return rc` on failure; loop
 * variables get SUFFIX, so that a proxy's cannot clash with parameters. */
void emit_walk_value(emit_ctx *e, FILE *o, walk_op op, const type *t, const char *a,
                     const char *w, const char *suffix, int depth);
/* The labels in S as a C expression of type pd_labels ("PD_LABELS_BOTTOM" when none). */
const char *c_labels(const label_set *s);

/* emit_names.c: C spellings. */
const char *c_name(const decl *d);                  /* M_X */
const char *c_upper(const char *a, const char *b, const char *c);   /* A_B_C upper-cased */
const char *c_type(const module *m, const type *t); /* the C type of a value of type T, in M */
const char *c_mangle(const module *m, const type *t); /* T inside a generated name, in M */
/* A field or parameter declaration "TYPE NAME" (arrays as NAME[N]). */
const char *c_decl(const module *m, const type *t, const char *name);
int method_count(const decl *iface);
/* A label as a C constant expression (an enum name, or atoms or'ed). */
const char *c_label(const lattice *l, uint32_t id);                /* including inherited ones */

#endif /* PDLC_EMIT_H */
