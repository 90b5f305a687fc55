/*
 * emit_types.c - C types for opaque types, structs, vec<T> and labeled<T>.
 *
 * Order in the header: forward typedefs of every struct and aggregate (so
 * pointers and vec items can name any of them), then the vec types (which
 * only hold pointers), then each struct after the structs and labeled<T>
 * it holds by value.  sema rejected by-value recursion, so that order
 * exists.
 */
#include "emit.h"

#include <string.h>

#include "symtab.h"

enum { PENDING, WRITING, WRITTEN };

typedef struct aggregate {
	const type *type;
	const char *c_name;
	int state;
	struct aggregate *next;
} aggregate;

typedef struct type_walk {
	emit_ctx *e;
	aggregate *first, **tail;
} type_walk;

/* Collects the vec<> and labeled<> types T uses, inner ones first. */
static void collect(type_walk *w, const type *t)
{
	if (t == NULL)
		return;
	if (t->elem)
		collect(w, t->elem);
	if (t->kind != TYPE_VEC && t->kind != TYPE_LABELED)
		return;
	if (t->elem->kind == TYPE_NAMED && t->elem->decl == NULL)
		return;
	aggregate *a = AST_NEW(aggregate);
	a->type = t;
	a->c_name = c_type(w->e->mod, t);
	if (symtab_insert(w->e->emitted, a->c_name, a))
		return;
	*w->tail = a;
	w->tail = &a->next;
}

static void collect_all(type_walk *w)
{
	for (decl *d = w->e->mod->decls; d; d = d->next) {
		switch (d->kind) {
		case DECL_STRUCT:
			for (field *f = d->u.struct_.fields; f; f = f->next)
				collect(w, f->type);
			break;
		case DECL_INTERFACE:
			for (method *m = d->u.iface.methods; m; m = m->next) {
				collect(w, m->result);
				for (param *p = m->params; p; p = p->next)
					collect(w, p->type);
			}
			break;
		default:
			break;
		}
	}
}

static void emit_vec(emit_ctx *e, const aggregate *a)
{
	fprintf(e->h, "struct %s {\n\t%s;\n\tuint32_t len;\n\tuint32_t cap;\n};\n\n", a->c_name,
	        c_decl(e->mod, a->type->elem, "*items"));
}

static void emit_field(emit_ctx *e, const field *f)
{
	fprintf(e->h, "\t%s;", c_decl(e->mod, f->type, f->name));
	const type *t = f->type;
	if (t->kind == TYPE_OWN)
		fprintf(e->h, "\t/* own%s */", t->nullable ? ", may be NULL" : "");
	else if (t->kind == TYPE_SHARED)
		fprintf(e->h, "\t/* shared, reference-counted%s */", t->nullable ? ", may be NULL" : "");
	if (f->label)
		fprintf(e->h, "\t/* @%s */", f->label->name ? f->label->name : "{...}");
	fputc('\n', e->h);
}

/*
 * A C type that holds others by value must come after them: each struct
 * and labeled<T> is written after what it holds by value, depth first.  The
 * walk keeps its own stack, since a chain of structs holding each other by
 * value can be as long as the file.
 */
typedef struct pending {
	decl *d;                        /* a struct, or */
	aggregate *a;                   /* a labeled<T> */
	const field *next;              /* the struct's field to look at next */
	bool elem_done;                 /* the labeled<T>'s T looked at */
} pending;

typedef struct order {
	emit_ctx *e;
	pending *stack;
	uint32_t n, cap;
} order;

static void push(order *o, decl *d, aggregate *a)
{
	if (o->n == o->cap) {
		uint32_t cap = o->cap ? 2 * o->cap : 64;
		pending *grown = ast_alloc(cap * sizeof(*grown));
		if (o->n)
			memcpy(grown, o->stack, o->n * sizeof(*grown));
		o->stack = grown;
		o->cap = cap;
	}
	if (d)
		d->mark = WRITING;
	else
		a->state = WRITING;
	o->stack[o->n++] = (pending){ d, a, d ? d->u.struct_.fields : NULL, d != NULL };
}

/* Queues what a by-value T needs complete, if it is not written yet. */
static void require_complete(order *o, const type *t)
{
	while (t->kind == TYPE_ARRAY)
		t = t->elem;
	if (t->kind == TYPE_NAMED && t->decl && t->decl->kind == DECL_STRUCT &&
	    t->decl->module == o->e->mod) {
		if (t->decl->mark == PENDING)
			push(o, t->decl, NULL);
	} else if (t->kind == TYPE_LABELED) {
		aggregate *a = symtab_get(o->e->emitted, c_type(o->e->mod, t));
		if (a && a->state == PENDING)
			push(o, NULL, a);
	}
}

static void write_type(emit_ctx *e, const pending *p)
{
	if (p->a) {
		fprintf(e->h, "struct %s {\n\t%s;\n\tpd_label label;\n};\n\n", p->a->c_name,
		        c_decl(e->mod, p->a->type->elem, "value"));
		p->a->state = WRITTEN;
		return;
	}
	decl *d = p->d;
	fprintf(e->h, "struct %s {\n", c_name(d));
	if (d->u.struct_.fields == NULL)
		fputs("\tuint8_t unused_;\t/* C has no empty structs */\n", e->h);
	for (field *f = d->u.struct_.fields; f; f = f->next)
		emit_field(e, f);
	fputs("};\n\n", e->h);
	d->mark = WRITTEN;
}

/* Writes T (a struct's type or a labeled<T>) and, first, what it needs. */
static void complete(order *o, const type *t)
{
	require_complete(o, t);
	while (o->n > 0) {
		pending *top = &o->stack[o->n - 1];
		const type *dep = NULL;
		if (top->next) {
			dep = top->next->type;
			top->next = top->next->next;
		} else if (!top->elem_done) {
			dep = top->a->type->elem;
			top->elem_done = true;
		}
		if (dep) {
			require_complete(o, dep);
			continue;
		}
		write_type(o->e, top);
		o->n--;
	}
}

void emit_types(emit_ctx *e)
{
	module *m = e->mod;
	type_walk w = { .e = e };
	w.tail = &w.first;
	collect_all(&w);

	bool any = false;
	/* Each interface's own handle type, first: fields and parameters of
	 * type rref<I> use it, and mixing up two interfaces' handles is then a
	 * compile-time error (the proxies check at run time too). */
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_INTERFACE) {
			fprintf(e->h, "/* a handle to a %s (runtime/pd_rref.h) */\n", d->name);
			fprintf(e->h, "typedef struct %s_rref {\n\tpd_rref r;\n} %s_rref;\n", c_name(d), c_name(d));
			any = true;
		}
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_OPAQUE) {
			fprintf(e->h, "/* opaque %s: defined by the runtime */\n", d->name);
			fprintf(e->h, "typedef struct %s %s;\n", d->u.opaque.c_name, d->u.opaque.c_name);
			any = true;
		}
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_STRUCT) {
			fprintf(e->h, "typedef struct %s %s;\n", c_name(d), c_name(d));
			d->mark = PENDING;
			any = true;
		}
	for (aggregate *a = w.first; a; a = a->next)
		fprintf(e->h, "typedef struct %s %s;\n", a->c_name, a->c_name);
	if (any || w.first)
		fputc('\n', e->h);

	for (aggregate *a = w.first; a; a = a->next)
		if (a->type->kind == TYPE_VEC)
			emit_vec(e, a);
	order o = { .e = e };
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_STRUCT)
			complete(&o, &(type){ .kind = TYPE_NAMED, .decl = d });
	for (aggregate *a = w.first; a; a = a->next)
		complete(&o, a->type);
}
