/*
 * parse.c - runs the flex scanner and the bison parser over one source.
 */
#include "parse_ctx.h"

#include "diag.h"
#include "parser.h"
#include "source.h"

typedef void *yyscan_t;
int pdl_yylex_init_extra(parse_ctx *extra, yyscan_t *scanner);
int pdl_yylex_destroy(yyscan_t scanner);
struct yy_buffer_state *pdl_yy_scan_bytes(const char *bytes, int len, yyscan_t scanner);

module *parse_source(const source *src)
{
	parse_ctx ctx = { .src = src };
	module *mod = AST_NEW(module);
	mod->src = src;
	mod->at = (loc){ src, 1, 1 };
	ctx.mod = mod;
	ctx.decl_tail = &mod->decls;
	ctx.import_tail = &mod->imports;

	if (src->len > (size_t)INT32_MAX) {
		diag_error(mod->at, "file too large");
		return NULL;
	}
	yyscan_t scanner;
	if (pdl_yylex_init_extra(&ctx, &scanner) != 0) {
		diag_fatal("out of memory");
		return NULL;
	}
	pdl_yy_scan_bytes(src->text, (int)src->len, scanner);
	yyparse(scanner, &ctx);
	pdl_yylex_destroy(scanner);
	return mod->name ? mod : NULL;
}
