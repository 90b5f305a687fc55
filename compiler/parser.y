/*
 * parser.y - the .pdl grammar (docs/pdl.md explains each construct).
 *
 * Syntax only: actions build AST nodes and link them in source order; every
 * name is resolved later by the sema_*.c passes.  Error recovery is at the
 * statement level (`error ';'`), so one bad field does not hide the errors
 * after it.  The grammar has no unbounded nesting other than type
 * constructors, and bison's stack limit turns absurd nesting into an error.
 */
%require "3.8"
%define api.pure full
%define parse.error detailed
%locations
%param { void *scanner } { parse_ctx *ctx }

%code requires {
#include "ast.h"
#include "parse_ctx.h"
}


%code {
#include <string.h>

#include "diag.h"

#define L(l) ((loc){ ctx->src, (l).first_line, (l).first_column })

int yylex(YYSTYPE *lval, YYLTYPE *lloc, void *scanner, parse_ctx *ctx);
void yyerror(YYLTYPE *lloc, void *scanner, parse_ctx *ctx, const char *msg);

/* The lexer is generated with the scanner as its only extra argument. */
int pdl_yylex(YYSTYPE *lval, YYLTYPE *lloc, void *scanner);
int yylex(YYSTYPE *lval, YYLTYPE *lloc, void *scanner, parse_ctx *ctx)
{
	(void)ctx;
	return pdl_yylex(lval, lloc, scanner);
}

void yyerror(YYLTYPE *lloc, void *scanner, parse_ctx *ctx, const char *msg)
{
	(void)scanner;
	/* bison's stack limit (YYMAXDEPTH) is the only way to run out here */
	if (strcmp(msg, "memory exhausted") == 0)
		msg = "input nested too deeply";
	diag_error(L(*lloc), "%s", msg);
}

static decl *new_decl(parse_ctx *ctx, decl_kind kind, loc at, const char *name)
{
	decl *d = AST_NEW(decl);
	d->kind = kind;
	d->at = at;
	d->name = name;
	d->module = ctx->mod;
	*ctx->decl_tail = d;
	ctx->decl_tail = &d->next;
	return d;
}

static type *new_type(type_kind kind, loc at)
{
	type *t = AST_NEW(type);
	t->kind = kind;
	t->at = at;
	return t;
}

static name_list *new_name(loc at, const char *name)
{
	name_list *n = AST_NEW(name_list);
	n->at = at;
	n->name = name;
	return n;
}

static void lattice_name(parse_ctx *ctx, name_list *n)
{
	*ctx->lattice_names_tail = n;
	ctx->lattice_names_tail = &n->next;
}

/* Lists are built newest-first (constant time per item) and reversed once
 * when the enclosing declaration is reduced. */
#define DEFINE_REVERSE(T)                                                    \
	static T *reverse_##T(T *list)                                       \
	{                                                                    \
		T *out = NULL;                                               \
		while (list) {                                               \
			T *next = list->next;                                \
			list->next = out;                                    \
			out = list;                                          \
			list = next;                                         \
		}                                                            \
		return out;                                                  \
	}
DEFINE_REVERSE(field)
DEFINE_REVERSE(method)
DEFINE_REVERSE(param)
DEFINE_REVERSE(name_list)

static uint64_t quota_bytes(parse_ctx *ctx, uint64_t n, loc n_at, const char *unit, loc unit_at)
{
	unsigned shift;
	if (strcmp(unit, "KiB") == 0)
		shift = 10;
	else if (strcmp(unit, "MiB") == 0)
		shift = 20;
	else if (strcmp(unit, "GiB") == 0)
		shift = 30;
	else {
		diag_error(unit_at, "unknown unit '%s' (expected KiB, MiB or GiB)", unit);
		return 0;
	}
	(void)ctx;
	if (n == 0 || n > (UINT64_C(1) << 40) >> shift) {
		diag_error(n_at, "integer literal out of range: a quota is 1 KiB to 1 TiB");
		return 0;
	}
	return n << shift;
}
}

%union {
	const char *text;
	uint64_t integer;
	type_kind scalar;
	type *type;
	field *field;
	param *param;
	method *method;
	label_ref *label;
	name_list *names;
	param_mode mode;
	struct { type *type; bool moves; } result;
	struct { const char *qualifier; const char *name; } qname;
}

%token END 0 "end of file"
%token <text> IDENT "identifier"
%token <integer> INT "integer"
%token <text> STRING "string"
%token <scalar> SCALAR "scalar type"
%token MODULE "'module'" IMPORT "'import'" LABELS "'labels'" POWERSET "'powerset'"
%token OPAQUE "'opaque'" STRUCT "'struct'" INTERFACE "'interface'" DOMAIN "'domain'"
%token SINK "'sink'" PIPELINE "'pipeline'" STAGE "'stage'" STATE "'state'"
%token ON_FAULT "'on_fault'" CHECKPOINT "'checkpoint'" CLEARANCE "'clearance'"
%token DECLASSIFY "'declassify'" QUOTA "'quota'" MOVE "'move'" INOUT "'inout'"
%token VOID "'void'" OWN "'own'" SHARED "'shared'" VEC "'vec'" LABELED "'labeled'"
%token RREF "'rref'" BYTES "'bytes'" ARROW "'->'" EMITS "'emits'"

%type <type> type base_type
%type <field> fields field
%type <param> params params_opt param
%type <method> methods method
%type <label> label label_opt
%type <names> ident_list ident_list_opt label_chain path
%type <mode> mode
%type <result> result
%type <qname> qname
%type <text> ident

%start file
%type <integer> nullable

%%

/* Words that are keywords only where they start a statement may also name
 * things: a stage interface, a field called state. */
ident
	: IDENT                 { $$ = $1; }
	| STAGE                 { $$ = "stage"; }
	| STATE                 { $$ = "state"; }
	| SINK                  { $$ = "sink"; }
	| POWERSET              { $$ = "powerset"; }
	| QUOTA                 { $$ = "quota"; }
	| CLEARANCE             { $$ = "clearance"; }
	| DECLASSIFY            { $$ = "declassify"; }
	| CHECKPOINT            { $$ = "checkpoint"; }
	;

file
	: MODULE ident ';' { ctx->mod->name = $2; ctx->mod->at = L(@2); } items
	;

items
	: %empty
	| items item
	;

item
	: IMPORT STRING ';'
		{
			import *imp = AST_NEW(import);
			imp->at = L(@2);
			imp->path = $2;
			*ctx->import_tail = imp;
			ctx->import_tail = &imp->next;
		}
	| labels_decl
	| OPAQUE ident '=' STRING ';'
		{
			decl *d = new_decl(ctx, DECL_OPAQUE, L(@2), $2);
			d->u.opaque.c_name = $4;
			d->u.opaque.c_name_at = L(@4);
		}
	| STRUCT ident '{' fields '}'
		{ new_decl(ctx, DECL_STRUCT, L(@2), $2)->u.struct_.fields = reverse_field($4); }
	| interface_decl
	| domain_decl
	| SINK ident '@' label ';'
		{ new_decl(ctx, DECL_SINK, L(@2), $2)->u.sink.bound = $4; }
	| pipeline_decl
	| error ';'             { yyerrok; }
	| error '}'             { yyerrok; }
	;

/* ---- label lattices ---- */

labels_decl
	: LABELS ident '{'
		{
			decl *d = new_decl(ctx, DECL_LABELS, L(@2), $2);
			d->u.labels.decl = d;
			ctx->lattice_names_tail = &d->u.labels.names;
			ctx->lattice_edges_tail = &d->u.labels.edges;
		}
	  label_stmts '}'
	| LABELS ident '=' POWERSET '{' ident_list_opt '}' ';'
		{
			decl *d = new_decl(ctx, DECL_LABELS, L(@2), $2);
			d->u.labels.is_powerset = true;
			d->u.labels.names = reverse_name_list($6);
			d->u.labels.decl = d;
		}
	;

label_stmts
	: %empty
	| label_stmts label_chain ';'
	| label_stmts error ';'  { yyerrok; }
	;

/* `a < b < c`: every name is an element, every '<' an edge.  The value is
 * the chain's last name, the lower end of the next edge. */
label_chain
	: ident
		{ $$ = new_name(L(@1), $1); lattice_name(ctx, new_name(L(@1), $1)); }
	| label_chain '<' ident
		{
			label_edge *e = AST_NEW(label_edge);
			e->at = L(@2);
			e->lower = $1->name;
			e->upper = $3;
			*ctx->lattice_edges_tail = e;
			ctx->lattice_edges_tail = &e->next;
			lattice_name(ctx, new_name(L(@3), $3));
			$$ = new_name(L(@3), $3);
		}
	;

ident_list_opt
	: %empty                { $$ = NULL; }
	| ident_list            { $$ = $1; }
	;

/* Newest first; whoever takes the list reverses it. */
ident_list
	: ident                 { $$ = new_name(L(@1), $1); }
	| ident_list ',' ident  { $$ = new_name(L(@3), $3); $$->next = $1; }
	;

label
	: ident
		{ $$ = AST_NEW(label_ref); $$->at = L(@1); $$->name = $1; }
	| ident '.' ident
		{ $$ = AST_NEW(label_ref); $$->at = L(@1); $$->qualifier = $1; $$->name = $3; }
	| '{' ident_list_opt '}'
		{ $$ = AST_NEW(label_ref); $$->at = L(@1); $$->is_set = true; $$->set = reverse_name_list($2); }
	| ident '.' '{' ident_list_opt '}'
		{ $$ = AST_NEW(label_ref); $$->at = L(@1); $$->qualifier = $1; $$->is_set = true;
		  $$->set = reverse_name_list($4); }
	;

label_opt
	: %empty                { $$ = NULL; }
	| '@' label             { $$ = $2; }
	;

/* ---- types ---- */

qname
	: ident                 { $$.qualifier = NULL; $$.name = $1; }
	| ident '.' ident       { $$.qualifier = $1; $$.name = $3; }
	;

base_type
	: SCALAR                { $$ = new_type($1, L(@1)); }
	| BYTES                 { $$ = new_type(TYPE_BYTES, L(@1)); }
	| qname
		{
			$$ = new_type(TYPE_NAMED, L(@1));
			$$->qualifier = $1.qualifier;
			$$->name = $1.name;
		}
	| VEC '<' type '>'      { $$ = new_type(TYPE_VEC, L(@1)); $$->elem = $3; }
	| LABELED '<' type '>'  { $$ = new_type(TYPE_LABELED, L(@1)); $$->elem = $3; }
	| LABELED '<' type ',' ident '>'
		{
			$$ = new_type(TYPE_LABELED, L(@1));
			$$->elem = $3;
			$$->lattice_name = $5;
		}
	| RREF '<' qname '>'
		{
			$$ = new_type(TYPE_RREF, L(@1));
			$$->qualifier = $3.qualifier;
			$$->name = $3.name;
		}
	;

nullable
	: %empty                { $$ = 0; }
	| '?'                   { $$ = 1; }
	;

type
	: base_type             { $$ = $1; }
	| OWN base_type nullable
		{ $$ = new_type(TYPE_OWN, L(@1)); $$->elem = $2; $$->nullable = $3; }
	| SHARED base_type nullable
		{ $$ = new_type(TYPE_SHARED, L(@1)); $$->elem = $2; $$->nullable = $3; }
	| type '[' INT ']'
		{
			$$ = new_type(TYPE_ARRAY, $1->at);
			$$->elem = $1;
			$$->length = $3;
			$$->length_at = L(@3);
		}
	;

/* ---- structs ---- */

fields
	: %empty                { $$ = NULL; }
	| fields field          { $$ = $2; $$->next = $1; }
	| fields error ';'      { $$ = $1; yyerrok; }
	;

field
	: type ident label_opt ';'
		{
			$$ = AST_NEW(field);
			$$->at = L(@2);
			$$->type = $1;
			$$->name = $2;
			$$->label = $3;
		}
	;

/* ---- interfaces ---- */

interface_decl
	: INTERFACE ident '{' methods '}'
		{ new_decl(ctx, DECL_INTERFACE, L(@2), $2)->u.iface.methods = reverse_method($4); }
	| INTERFACE ident ':' qname '{' methods '}'
		{
			decl *d = new_decl(ctx, DECL_INTERFACE, L(@2), $2);
			d->u.iface.methods = reverse_method($6);
			d->u.iface.base_at = L(@4);
			d->u.iface.base_qualifier = $4.qualifier;
			d->u.iface.base_name = $4.name;
		}
	;

methods
	: %empty                { $$ = NULL; }
	| methods method        { $$ = $2; $$->next = $1; }
	| methods error ';'     { $$ = $1; yyerrok; }
	;

method
	: result ident '(' params_opt ')' label_opt ';'
		{
			$$ = AST_NEW(method);
			$$->at = L(@2);
			$$->result = $1.type;
			$$->result_moves = $1.moves;
			$$->result_label = $6;
			$$->name = $2;
			$$->params = $4;
		}
	;

result
	: VOID                  { $$.type = NULL; $$.moves = false; }
	| type                  { $$.type = $1; $$.moves = false; }
	| MOVE type             { $$.type = $2; $$.moves = true; }
	;

params_opt
	: %empty                { $$ = NULL; }
	| params                { $$ = reverse_param($1); }
	;

params
	: param                 { $$ = $1; }
	| params ',' param      { $$ = $3; $$->next = $1; }
	;

param
	: mode type ident label_opt
		{
			$$ = AST_NEW(param);
			$$->at = L(@3);
			$$->mode = $1;
			$$->mode_at = L(@1);
			$$->type = $2;
			$$->name = $3;
			$$->label = $4;
		}
	;

mode
	: %empty                { $$ = MODE_BORROWED; }
	| MOVE                  { $$ = MODE_MOVE; }
	| INOUT                 { $$ = MODE_INOUT; }
	;

/* ---- domains ---- */

domain_decl
	: DOMAIN ident ':' qname '{'
		{
			decl *d = new_decl(ctx, DECL_DOMAIN, L(@2), $2);
			ctx->open_domain = &d->u.domain;
			ctx->declassify_tail = &d->u.domain.declassify;
			ctx->emits_tail = &d->u.domain.emits;
			d->u.domain.iface_at = L(@4);
			d->u.domain.iface_qualifier = $4.qualifier;
			d->u.domain.iface_name = $4.name;
		}
	  domain_items '}'
	;

domain_items
	: %empty
	| domain_items domain_item
	| domain_items error ';'  { yyerrok; }
	;

domain_item
	: STATE type ';'
		{
			domain_decl *dd = ctx->open_domain;
			if (dd->state) {
				diag_error(L(@1), "duplicate 'state' in domain");
				diag_note(dd->state_at, "'state' first given here");
			} else {
				dd->state = $2;
				dd->state_at = L(@1);
			}
		}
	| ON_FAULT IDENT ';'
		{
			domain_decl *dd = ctx->open_domain;
			if (strcmp($2, "reset") == 0)
				dd->policy = RECOVER_RESET;
			else if (strcmp($2, "restore") == 0)
				dd->policy = RECOVER_RESTORE;
			else
				diag_error(L(@2), "unknown recovery policy '%s' (expected 'reset' or 'restore')", $2);
			if (dd->policy_at.line) {
				diag_error(L(@1), "duplicate 'on_fault' in domain");
				diag_note(dd->policy_at, "'on_fault' first given here");
			}
			dd->policy_at = L(@1);
		}
	| CHECKPOINT IDENT INT IDENT ';'
		{
			domain_decl *dd = ctx->open_domain;
			if (strcmp($2, "every") != 0)
				diag_error(L(@2), "expected 'every' after 'checkpoint'");
			else if (strcmp($4, "batches") != 0)
				diag_error(L(@4), "expected 'batches' after the checkpoint interval");
			else if ($3 == 0 || $3 > UINT32_MAX)
				diag_error(L(@3), "integer literal out of range: checkpoint every 1 to %u batches", UINT32_MAX);
			else {
				dd->checkpoint_every = $3;
				dd->checkpoint_at = L(@1);
			}
		}
	| CHECKPOINT IDENT IDENT INT IDENT ';'
		{
			/* `checkpoint incremental every N batches;` (pd_snap.h) */
			domain_decl *dd = ctx->open_domain;
			if (strcmp($2, "incremental") != 0)
				diag_error(L(@2), "expected 'every' or 'incremental' after 'checkpoint'");
			else if (strcmp($3, "every") != 0)
				diag_error(L(@3), "expected 'every' after 'checkpoint incremental'");
			else if (strcmp($5, "batches") != 0)
				diag_error(L(@5), "expected 'batches' after the checkpoint interval");
			else if ($4 == 0 || $4 > UINT32_MAX)
				diag_error(L(@4), "integer literal out of range: checkpoint every 1 to %u batches", UINT32_MAX);
			else {
				dd->checkpoint_every = $4;
				dd->checkpoint_incremental = 1;
				dd->checkpoint_at = L(@1);
			}
		}
	| CLEARANCE label ';'
		{ ctx->open_domain->clearance = $2; }
	| DECLASSIFY label ARROW label ';'
		{
			declassify *dc = AST_NEW(declassify);
			dc->at = L(@1);
			dc->from = $2;
			dc->to = $4;
			*ctx->declassify_tail = dc;
			ctx->declassify_tail = &dc->next;
		}
	| EMITS qname ';'
		{
			name_ref *s = AST_NEW(name_ref);
			s->at = L(@2);
			s->qualifier = $2.qualifier;
			s->name = $2.name;
			*ctx->emits_tail = s;
			ctx->emits_tail = &s->next;
		}
	| QUOTA INT IDENT ';'
		{
			domain_decl *dd = ctx->open_domain;
			dd->quota_bytes = quota_bytes(ctx, $2, L(@2), $3, L(@3));
			dd->quota_at = L(@1);
		}
	;

/* ---- sinks and pipelines ---- */

pipeline_decl
	: PIPELINE ident '{'
		{
			decl *d = new_decl(ctx, DECL_PIPELINE, L(@2), $2);
			ctx->open_pipeline = d;
			ctx->stages_tail = &d->u.pipeline.stages;
			ctx->edges_tail = &d->u.pipeline.edges;
		}
	  pipe_items '}'
	;

pipe_items
	: %empty
	| pipe_items pipe_item
	| pipe_items error ';'  { yyerrok; }
	;

pipe_item
	: STAGE ident ':' qname ';'
		{
			stage *s = AST_NEW(stage);
			s->at = L(@2);
			s->name = $2;
			s->domain_at = L(@4);
			s->domain_qualifier = $4.qualifier;
			s->domain_name = $4.name;
			*ctx->stages_tail = s;
			ctx->stages_tail = &s->next;
		}
	| ident '@' label ';'
		{
			/* only tx takes a bound (sema_pipeline.c says so otherwise) */
			pipeline_decl *pl = &ctx->open_pipeline->u.pipeline;
			if (pl->bound_name == NULL) {
				pl->bound_name = $1;
				pl->bound_at = L(@1);
				pl->tx_bound = $3;
			} else if (!pl->bound_again) {
				pl->bound_again = true;
				pl->bound_again_at = L(@1);
			}
		}
	| path ';'
	;

/* `a -> b -> c`: each arrow is one edge; the value is the last name. */
path
	: ident ARROW ident
		{
			edge *e = AST_NEW(edge);
			e->from_at = L(@1);
			e->from = $1;
			e->to_at = L(@3);
			e->to = $3;
			*ctx->edges_tail = e;
			ctx->edges_tail = &e->next;
			$$ = new_name(L(@3), $3);
		}
	| path ARROW ident
		{
			edge *e = AST_NEW(edge);
			e->from_at = $1->at;
			e->from = $1->name;
			e->to_at = L(@3);
			e->to = $3;
			*ctx->edges_tail = e;
			ctx->edges_tail = &e->next;
			$$ = new_name(L(@3), $3);
		}
	;

%%
