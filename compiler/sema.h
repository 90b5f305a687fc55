/*
 * sema.h - the semantic passes, run on each module after its imports.
 *
 *   sema_names.c     declarations into the symbol table; name lookup
 *   sema_labels.c    lattices (proved to be lattices) and label references
 *   sema_types.c     structs, interfaces, domains, sinks: types, modes, labels
 *   sema_facts.c     what values hold (pointers, owned children, labels), and
 *                    how each may be passed (move, inout, results)
 *   sema_pipeline.c  pipelines: stages, edges, cycles, rx-to-tx order
 *   sema_flow.c      which labels reach each sink over the wiring
 *
 * Each pass reports what it finds and goes on; later passes skip what an
 * earlier one left unresolved (a NULL decl), so one mistake gives one error.
 */
#ifndef PDLC_SEMA_H
#define PDLC_SEMA_H

#include "ast.h"

void sema_check(module *m);

/* sema_names.c */
void sema_declare(module *m);
/* Finds QUALIFIER.NAME (QUALIFIER may be NULL) as seen from M; reports
 * "unknown WHAT 'NAME'" or an ambiguity at AT and returns NULL. */
decl *sema_lookup(module *m, const char *qualifier, const char *name, loc at, const char *what);
/* The module that QUALIFIER names from M (M itself or a direct import). */
module *sema_module_named(module *m, const char *qualifier);
/* Can C begin an identifier with C, and go on with it? */
bool sema_is_ident_start(char c);
bool sema_is_ident_char(char c);
/* False (reported) when NAME, which becomes a C identifier, is a C keyword. */
bool sema_check_c_name(loc at, const char *name);
/* Reports that D is not the kind wanted, with a note at D. */
void sema_wrong_kind(loc at, const decl *d, const char *wanted);

/* sema_labels.c */
void sema_build_lattices(module *m);
/* Resolves R (which may be NULL) as seen from M; false when it is unknown. */
bool sema_resolve_label(module *m, label_ref *r);
/* The same, where a bare `{}` means the bottom of CONTEXT (when not NULL):
 * the target of `declassify A -> {}` is in A's lattice. */
bool sema_resolve_label_in(module *m, label_ref *r, const lattice *context);
/* The lattice a `labeled<T>` with no lattice named uses, or NULL (reported). */
lattice *sema_default_lattice(module *m, loc at);

/* sema_types.c */
void sema_check_types(module *m);

/* sema_facts.c */
void sema_compute_facts(module *m);
/* Adds to INTO the interfaces of every rref a value of type T holds. */
void sema_type_rrefs(decl_list **into, const type *t);

/* sema_pipeline.c */
void sema_check_pipelines(module *m);

/* sema_flow.c */
void sema_check_flows(module *m);

#endif /* PDLC_SEMA_H */
