/*
 * emit_walks.c - the walks a proxy makes over the values it passes: one
 * function per struct and per walk (runtime/pd_call.h says what each is for).
 *
 *   M_S_inspect(w, v)       borrowed, inout and result data: touch every
 *                           buffer v points to and collect its labels
 *   M_S_move_check(w, v)    a whole-value move, first pass: check every
 *                           object v owns and collect its labels
 *   M_S_move_give(w, v)     second pass: re-own every object v owns
 *   M_S_move_check_root / M_S_move_give_root: the same, the object itself first
 *
 * A struct gets a walk only when it has something to walk (sema_facts.c's
 * facts); a proxy moves a struct without children or labels, or an opaque
 * object, with one pd_move_in.  The code for one value of a field's type is
 * written by emit_walk_value, which the proxies (emit_interfaces.c) also
 * use for top-level bytes, vec and labeled arguments.
 */
#include "emit.h"

#include <stdlib.h>
#include <string.h>

static const char *const walk_names[] = { "inspect", "move_check", "move_give" };

/* Past 16 levels the code stays flat: indentation as deep as the input
 * would make the output grow with the square of the nesting. */
static void indent(FILE *o, int depth)
{
	for (int i = 0; i < depth && i < 16; i++)
		fputc('\t', o);
}

/* An lvalue longer than this gets a short name before the walk goes deeper. */
#define LVALUE_MAX 160

static const struct_facts *facts(const type *t)
{
	return t->kind == TYPE_NAMED && t->decl && t->decl->kind == DECL_STRUCT
	       ? &t->decl->u.struct_.facts : NULL;
}

bool struct_has_walk(const decl *d, walk_op op)
{
	const struct_facts *f = &d->u.struct_.facts;
	if (op == WALK_INSPECT)
		return f->pointer_via || f->reaches_labeled || f->owns_children;
	return f->shared_via == NULL && (f->owns_children || f->reaches_labeled);
}

bool type_needs_walk(const type *t, walk_op op)
{
	if (op == WALK_LABELS) {
		if (t->kind == TYPE_LABELED)
			return true;
		if (t->kind == TYPE_ARRAY)
			return type_needs_walk(t->elem, op);
		return facts(t) && facts(t)->reaches_labeled;
	}
	switch (t->kind) {
	case TYPE_BYTES:
	case TYPE_VEC:
		return true;
	case TYPE_OWN:
		return true;
	case TYPE_SHARED:
		return op == WALK_INSPECT;
	case TYPE_LABELED:
		return op != WALK_GIVE || type_needs_walk(t->elem, op);
	case TYPE_ARRAY:
		return type_needs_walk(t->elem, op);
	case TYPE_NAMED:
		return facts(t) && struct_has_walk(t->decl, op);
	default:
		return false;
	}
}

/* `if ((rc = CALL) < 0) return rc;`, at depth. */
static void checked(emit_ctx *e, FILE *o, int depth, const char *call)
{
	e->walk_used_rc = true;
	indent(o, depth);
	fprintf(o, "if ((rc = %s) < 0)\n", call);
	indent(o, depth + 1);
	fputs("return rc;\n", o);
}

/* The struct's own walk on *p (a pointer expression), nested one level.
 * The give pass follows a tree its check pass bounded already. */
static void nested(emit_ctx *e, FILE *o, walk_op op, const decl *d, const char *p, const char *w, int depth)
{
	if (!struct_has_walk(d, op))
		return;
	e->walk_used_w = true;
	if (op == WALK_GIVE) {
		indent(o, depth);
		fprintf(o, "%s_move_give(%s, %s);\n", c_name(d), w, p);
		return;
	}
	checked(e, o, depth, ast_printf("pd_walk_enter(%s)", w));
	checked(e, o, depth, ast_printf("%s_%s(%s, %s)", c_name(d), walk_names[op], w, p));
	indent(o, depth);
	fprintf(o, "pd_walk_leave(%s);\n", w);
}

/*
 * The labels of plain data - a copied result or inout argument - which the
 * callee wrote into the proxy's copy: nothing to touch, and no early
 * return (the proxy must still wipe what it does not deliver).
 */
static void emit_labels_walk(emit_ctx *e, FILE *o, const type *t, const char *a, const char *w,
                             const char *suffix, int depth)
{
	if (!type_needs_walk(t, WALK_LABELS))
		return;
	if (t->kind == TYPE_LABELED) {
		indent(o, depth);
		fprintf(o, "pd_walk_label(%s, &%s_lattice, %s.label);\n", w, c_name(t->lattice->decl), a);
		emit_labels_walk(e, o, t->elem, ast_printf("%s.value", a), w, suffix, depth);
	} else if (t->kind == TYPE_ARRAY) {
		const char *i = ast_printf("i%d%s", depth, suffix);
		indent(o, depth);
		fprintf(o, "for (uint32_t %s = 0; %s < %llu; %s++) {\n", i, i, (unsigned long long)t->length, i);
		emit_labels_walk(e, o, t->elem, ast_printf("%s[%s]", a, i), w, suffix, depth + 1);
		indent(o, depth);
		fputs("}\n", o);
	} else {
		indent(o, depth);
		fprintf(o, "if (rc >= 0)\n");
		indent(o, depth + 1);
		fprintf(o, "rc = %s_inspect(%s, &%s);\t/* plain data: labels only */\n", c_name(t->decl), w, a);
	}
}

void emit_walk_value(emit_ctx *e, FILE *o, walk_op op, const type *t, const char *a,
                     const char *w, const char *suffix, int depth)
{
	if (op == WALK_LABELS) {
		emit_labels_walk(e, o, t, a, w, suffix, depth);
		return;
	}
	if (!type_needs_walk(t, op))
		return;
	if (strlen(a) > LVALUE_MAX) {
		/* vec<vec<...>>: each level appends ".items[iN]" to the lvalue,
		 * so spelling it in full makes the walk quadratic in the depth.
		 * A pointer to the element, named at this level, keeps it short. */
		const char *p = ast_printf("p%d%s", depth, suffix);
		indent(o, depth);
		fputs("{\t/* a short name for a deeply nested element */\n", o);
		indent(o, depth + 1);
		fprintf(o, "__typeof__(%s) *%s = &%s;\n", a, p, a);
		emit_walk_value(e, o, op, t, ast_printf("(*%s)", p), w, suffix, depth + 1);
		indent(o, depth);
		fputs("}\n", o);
		return;
	}
	/* Inspecting bytes, a vec or an own object only probes memory; a vec's
	 * elements and an own object's body set it again when they use it. */
	if (!(op == WALK_INSPECT && (t->kind == TYPE_BYTES || t->kind == TYPE_VEC || t->kind == TYPE_OWN)))
		e->walk_used_w = true;
	switch (t->kind) {
	case TYPE_BYTES:
		if (op == WALK_INSPECT)
			checked(e, o, depth, ast_printf("pd_probe_read(%s.data, %s.len)", a, a));
		else if (op == WALK_CHECK)
			checked(e, o, depth, ast_printf("(%s.data || %s.len) ? pd_move_visit(%s, %s.data, %s.len) : 0",
			                             a, a, w, a, a));
		else {
			indent(o, depth);
			fprintf(o, "if (%s.data)\n", a);
			indent(o, depth + 1);
			fprintf(o, "pd_move_give(%s, %s.data);\n", w, a);
		}
		return;
	case TYPE_VEC: {
		if (op == WALK_INSPECT)
			checked(e, o, depth, ast_printf("pd_probe_read(%s.items, (size_t)%s.len * sizeof(*%s.items))",
			                             a, a, a));
		else if (op == WALK_CHECK)
			checked(e, o, depth, ast_printf("(%s.items || %s.len || %s.cap) ? pd_move_visit(%s, %s.items, "
			                             "(size_t)(%s.len > %s.cap ? %s.len : %s.cap) * sizeof(*%s.items)) : 0",
			                             a, a, a, w, a, a, a, a, a, a));
		else {
			indent(o, depth);
			fprintf(o, "if (%s.items)\n", a);
			indent(o, depth + 1);
			fprintf(o, "pd_move_give(%s, %s.items);\n", w, a);
		}
		if (!type_needs_walk(t->elem, op))
			return;
		const char *i = ast_printf("i%d%s", depth, suffix);
		indent(o, depth);
		fprintf(o, "for (uint32_t %s = 0; %s < %s.len; %s++) {\n", i, i, a, i);
		emit_walk_value(e, o, op, t->elem, ast_printf("%s.items[%s]", a, i), w, suffix, depth + 1);
		indent(o, depth);
		fputs("}\n", o);
		return;
	}
	case TYPE_ARRAY: {
		const char *i = ast_printf("i%d%s", depth, suffix);
		indent(o, depth);
		fprintf(o, "for (uint32_t %s = 0; %s < %llu; %s++) {\n", i, i, (unsigned long long)t->length, i);
		emit_walk_value(e, o, op, t->elem, ast_printf("%s[%s]", a, i), w, suffix, depth + 1);
		indent(o, depth);
		fputs("}\n", o);
		return;
	}
	case TYPE_OWN:
	case TYPE_SHARED: {
		const decl *d = t->elem->decl;
		bool opaque = d->kind == DECL_OPAQUE;
		if (!t->nullable && op != WALK_GIVE) {   /* (the check pass refused it) */
			indent(o, depth);
			fprintf(o, "if (%s == NULL)\n", a);
			indent(o, depth + 1);
			fputs("return -PD_EINVAL;\t/* never NULL, says its type */\n", o);
		}
		indent(o, depth);
		fprintf(o, "if (%s) {\n", a);
		const char *size = opaque ? "0" : ast_printf("sizeof(*%s)", a);
		if (t->kind == TYPE_SHARED) {
			/* (inspection only: shared objects never move) */
			indent(o, depth + 1);
			e->walk_used_rc = true;
			fprintf(o, "if ((rc = pd_walk_shared(%s, %s, %s)) < 0)\n", w, a, size);
			indent(o, depth + 2);
			fputs("return rc;\n", o);
			indent(o, depth + 1);
			fputs("if (rc == 1) {\n", o);
			nested(e, o, op, d, a, w, depth + 2);
			indent(o, depth + 1);
			fputs("}\n", o);
		} else if (op == WALK_INSPECT) {
			if (!opaque)
				checked(e, o, depth + 1, ast_printf("pd_probe_read(%s, %s)", a, size));
			if (!opaque)
				nested(e, o, op, d, a, w, depth + 1);
		} else if (op == WALK_CHECK) {
			checked(e, o, depth + 1, ast_printf("pd_move_visit(%s, %s, %s)", w, a, size));
			if (!opaque)
				nested(e, o, op, d, a, w, depth + 1);
		} else {
			indent(o, depth + 1);
			fprintf(o, "pd_move_give(%s, %s);\n", w, a);
			if (!opaque)
				nested(e, o, op, d, a, w, depth + 1);
		}
		indent(o, depth);
		fputs("}\n", o);
		return;
	}
	case TYPE_LABELED:
		if (op != WALK_GIVE) {
			indent(o, depth);
			fprintf(o, "pd_walk_label(%s, &%s_lattice, %s.label);\n", w, c_name(t->lattice->decl), a);
		}
		emit_walk_value(e, o, op, t->elem, ast_printf("%s.value", a), w, suffix, depth);
		return;
	case TYPE_NAMED:
		if (op == WALK_GIVE) {
			indent(o, depth);
			fprintf(o, "%s_move_give(%s, &%s);\n", c_name(t->decl), w, a);
		} else {
			checked(e, o, depth, ast_printf("%s_%s(%s, &%s)", c_name(t->decl), walk_names[op], w, a));
		}
		return;
	default:
		return;
	}
}

static void emit_decls(emit_ctx *e, const decl *d)
{
	const char *n = c_name(d);
	FILE *h = e->h;
	bool inspect = struct_has_walk(d, WALK_INSPECT), move = struct_has_walk(d, WALK_CHECK);
	if (!inspect && !move)
		return;
	fprintf(h, "/* walks over a %s, for proxies (runtime/pd_call.h) */\n", d->name);
	if (inspect)
		fprintf(h, "int %s_inspect(pd_walk *w, const %s *v);\n", n, n);
	if (move) {
		fprintf(h, "int %s_move_check(pd_walk *w, const %s *v);\n", n, n);
		fprintf(h, "void %s_move_give(pd_walk *w, %s *v);\n", n, n);
		fprintf(h, "int %s_move_check_root(pd_walk *w, %s *obj);\n", n, n);
		fprintf(h, "void %s_move_give_root(pd_walk *w, %s *obj);\n", n, n);
	}
	fputc('\n', h);
}

static void emit_body(emit_ctx *e, const decl *d, walk_op op)
{
	const char *n = c_name(d);
	bool any = false;
	for (const field *f = d->u.struct_.fields; f; f = f->next)
		any |= type_needs_walk(f->type, op);
	/* The statements first, to know whether they use the walk at all. */
	char *text = NULL;
	size_t len = 0;
	FILE *body = open_memstream(&text, &len);
	e->walk_used_w = false;
	e->walk_used_rc = false;
	for (const field *f = d->u.struct_.fields; body && f; f = f->next)
		emit_walk_value(e, body, op, f->type, ast_printf("v->%s", f->name), "w", "", 1);
	if (body)
		fclose(body);
	FILE *c = e->c;
	if (op == WALK_GIVE)
		fprintf(c, "\nvoid %s_move_give(pd_walk *w, %s *v)\n{\n", n, n);
	else
		fprintf(c, "\nint %s_%s(pd_walk *w, const %s *v)\n{\n", n, walk_names[op], n);
	if (!e->walk_used_w)
		fputs("\t(void)w;\n", c);
	if (!any)
		fputs("\t(void)v;\n", c);
	else if (e->walk_used_rc)
		fputs("\tint rc;\n\n", c);
	if (text)
		fwrite(text, 1, len, c);
	free(text);
	fputs(op == WALK_GIVE ? "}\n" : "\treturn 0;\n}\n", c);
}

static void emit_bodies(emit_ctx *e, const decl *d)
{
	const char *n = c_name(d);
	FILE *c = e->c;
	if (struct_has_walk(d, WALK_INSPECT)) {
		fprintf(c, "\n/* ---- walks over a %s ---- */\n", d->name);
		emit_body(e, d, WALK_INSPECT);
	}
	if (!struct_has_walk(d, WALK_CHECK))
		return;
	emit_body(e, d, WALK_CHECK);
	emit_body(e, d, WALK_GIVE);
	fprintf(c, "\nint %s_move_check_root(pd_walk *w, %s *obj)\n{\n"
	        "\tint rc = pd_move_visit(w, obj, sizeof(*obj));\n"
	        "\treturn rc < 0 ? rc : %s_move_check(w, obj);\n}\n", n, n, n);
	fprintf(c, "\nvoid %s_move_give_root(pd_walk *w, %s *obj)\n{\n"
	        "\tpd_move_give(w, obj);\n\t%s_move_give(w, obj);\n}\n", n, n, n);
}

void emit_walks(emit_ctx *e)
{
	for (decl *d = e->mod->decls; d; d = d->next)
		if (d->kind == DECL_STRUCT)
			emit_decls(e, d);
	for (decl *d = e->mod->decls; d; d = d->next)
		if (d->kind == DECL_STRUCT)
			emit_bodies(e, d);
}
