/*
 * parse_ctx.h - what the lexer and the parser share while reading one file.
 */
#ifndef PDLC_PARSE_CTX_H
#define PDLC_PARSE_CTX_H

#include "ast.h"

typedef struct parse_ctx {
	const struct source *src;
	module *mod;                    /* being filled in */
	decl **decl_tail;               /* where the next declaration is linked */
	import **import_tail;
	loc comment_start;              /* of an open block comment */
	/* the declaration whose body is being read */
	name_list **lattice_names_tail;
	label_edge **lattice_edges_tail;
	domain_decl *open_domain;
	declassify **declassify_tail;   /* its lists' ends: appending is O(1) */
	name_ref **emits_tail;
	decl *open_pipeline;            /* the pipeline being parsed */
	stage **stages_tail;
	edge **edges_tail;
} parse_ctx;

/* Parses SRC into a new module.  Errors go to diag; returns NULL only when
 * the file did not even give a module name. */
module *parse_source(const struct source *src);

#endif /* PDLC_PARSE_CTX_H */
