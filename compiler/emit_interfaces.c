/*
 * emit_interfaces.c - per interface: the ops table, the method indexes and
 * one typed proxy per method.
 *
 * The proxy is exactly the shape documented in runtime/pd_call.h: resolve
 * the rref and run the access hook (pd_call_enter), hand `move` arguments to
 * the callee, call through the fault-containing thunk (PD_CALL_VIA), hand a
 * moved result back, leave.
 * An interface `I : B` embeds B's ops table as its first member, so an
 * object exported with I's table can be called through B's proxies too.
 */
#include "emit.h"

#include <string.h>

/* Scalars and rrefs travel by value; everything else by pointer. */
static bool by_value(const type *t)
{
	return type_is_scalar(t) || t->kind == TYPE_RREF;
}

/* A parameter as the implementation sees it (ops table) or as the caller
 * does (proxy): they differ only for `move T`, which the caller passes as
 * `T **` so that the proxy can clear the caller's pointer. */
static const char *param_decl(emit_ctx *e, const param *p, bool caller_view)
{
	const type *t = p->type;
	module *m = e->mod;
	if (t->kind == TYPE_ARRAY)
		return ast_printf("%s%s", p->mode == MODE_INOUT ? "" : "const ", c_decl(m, t, p->name));
	if (p->mode == MODE_MOVE)
		return c_decl(m, t, ast_printf("%s%s", caller_view ? "**" : "*", p->name));
	if (p->mode == MODE_INOUT)
		return c_decl(m, t, ast_printf("*%s", p->name));
	if (by_value(t))
		return c_decl(m, t, p->name);
	return ast_printf("const %s", c_decl(m, t, ast_printf("*%s", p->name)));
}

static const char *result_decl(emit_ctx *e, const method *f)
{
	return c_decl(e->mod, f->result, f->result_moves ? "**result" : "*result");
}

/* The parameter list after `void *self` or `pd_rref rref`. */
static void emit_params(emit_ctx *e, FILE *out, const method *f, bool caller_view)
{
	for (const param *p = f->params; p; p = p->next)
		fprintf(out, ", %s", param_decl(e, p, caller_view));
	if (f->result)
		fprintf(out, ", %s", result_decl(e, f));
}

static void emit_ops_table(emit_ctx *e, const decl *d)
{
	const char *name = c_name(d);
	fprintf(e->h, "/* interface %s%s%s: implementations fill one of these and export it */\n",
	        d->name, d->u.iface.base ? " : " : "", d->u.iface.base ? d->u.iface.base->name : "");
	fprintf(e->h, "typedef struct %s_ops {\n", name);
	if (d->u.iface.base)
		fprintf(e->h, "\t%s_ops %s;\t/* the methods of %s.%s, first */\n", c_name(d->u.iface.base),
		        d->u.iface.base->name, d->u.iface.base->module->name, d->u.iface.base->name);
	for (const method *f = d->u.iface.methods; f; f = f->next) {
		fprintf(e->h, "\tint (*%s)(void *self", f->name);
		emit_params(e, e->h, f, false);
		fputs(");\n", e->h);
	}
	if (d->u.iface.base == NULL && d->u.iface.methods == NULL)
		fputs("\tvoid (*unused_)(void);\t/* C has no empty structs */\n", e->h);
	fprintf(e->h, "} %s_ops;\n\n", name);

	/* Indexes continue after the base's, so a method keeps its index in
	 * every interface that inherits it (the ACL hook sees the same number). */
	int index = method_count(d->u.iface.base);
	if (d->u.iface.methods) {
		fputs("enum {\n", e->h);
		for (const method *f = d->u.iface.methods; f; f = f->next)
			fprintf(e->h, "\t%s = %d,\n", c_upper(d->module->name, d->name, f->name), index++);
		fputs("};\n\n", e->h);
	}
}

/* The lattice a label or a labeled<T> belongs to, or NULL. */
static const lattice *label_lattice(const label_ref *r, const type *t)
{
	if (r && r->lattice)
		return r->lattice;
	return t && t->kind == TYPE_LABELED ? t->lattice : NULL;
}

/* The arguments' labels as a C expression in one lattice: the declared
 * labels joined here, by pdlc, and the run-time labels of labeled<T>
 * arguments joined by the generated code.  Labels of a lattice other than
 * the first one met are not carried: a call moves labels within one. */
static const char *args_label(const method *f, const lattice **lat)
{
	*lat = NULL;
	for (const param *p = f->params; p && !*lat; p = p->next)
		*lat = label_lattice(p->label, p->type);
	if (*lat == NULL)
		return "0";
	uint32_t fixed = (*lat)->bottom;
	for (const param *p = f->params; p; p = p->next)
		if (p->label && p->label->lattice == *lat)
			fixed = lattice_join(*lat, fixed, p->label->id);
	const char *expr = NULL;
	for (const param *p = f->params; p; p = p->next)
		if (p->type->kind == TYPE_LABELED && p->type->lattice == *lat)
			expr = expr ? ast_printf("%s_join(%s, %s->label)", c_name((*lat)->decl), expr, p->name)
			            : ast_printf("%s->label", p->name);
	if (expr == NULL)
		return c_label(*lat, fixed);
	if (fixed == (*lat)->bottom)
		return expr;
	return ast_printf("%s_join(%s, %s)", c_name((*lat)->decl), c_label(*lat, fixed), expr);
}

/* The result's label, likewise: declared, and a labeled<T> result's own. */
static const char *result_label(const method *f, const lattice **lat)
{
	*lat = f->result ? label_lattice(f->result_label, f->result) : NULL;
	if (*lat == NULL)
		return "0";
	uint32_t fixed = f->result_label && f->result_label->lattice == *lat ? f->result_label->id
	                                                                     : (*lat)->bottom;
	if (f->result->kind == TYPE_LABELED && f->result->lattice == *lat)
		return fixed == (*lat)->bottom ? "result->label"
		       : ast_printf("%s_join(%s, result->label)", c_name((*lat)->decl), c_label(*lat, fixed));
	return c_label(*lat, fixed);
}

static const char *lattice_ref(const lattice *l)
{
	return l ? ast_printf("&%s_lattice", c_name(l->decl)) : "NULL";
}

/* The caller's buffer a `bytes` or `labeled<bytes>` result is copied into,
 * as a C expression of type pd_bytes, or NULL for other results. */
static const char *result_buffer(const method *f)
{
	if (!f->result || f->result_moves)
		return NULL;
	if (f->result->kind == TYPE_BYTES)
		return "*result";
	if (f->result->kind == TYPE_LABELED && f->result->elem && f->result->elem->kind == TYPE_BYTES)
		return "result->value";
	return NULL;
}

/* Gives back the moved arguments before P, newest first, on a refused move. */
static void emit_move_rollback(FILE *h, const method *f, const param *upto)
{
	int n = 0;
	for (const param *p = f->params; p != upto; p = p->next)
		n += p->mode == MODE_MOVE;
	const param **moved = ast_alloc(((size_t)n + 1) * sizeof(*moved));
	n = 0;
	for (const param *p = f->params; p != upto; p = p->next)
		if (p->mode == MODE_MOVE)
			moved[n++] = p;
	while (n-- > 0)
		fprintf(h, "\t\tpd_move_out(&call, %s_moved);\n", moved[n]->name);
}

static void emit_proxy(emit_ctx *e, const decl *d, const method *f)
{
	FILE *h = e->h;
	const char *name = c_name(d);
	fprintf(h, "PD_PROXY int %s_%s(pd_rref rref", name, f->name);
	emit_params(e, h, f, true);
	fputs(")\n{\n\tpd_call call;\n", h);
	fprintf(h, "\tint rc = pd_call_enter(&call, rref, %s);\n", c_upper(d->module->name, d->name, f->name));
	fputs("\tif (rc < 0)\n\t\treturn rc;\n", h);
	fprintf(h, "\tconst %s_ops *ops = call.ops;\n", name);
	const lattice *in_lat;
	const char *in_label = args_label(f, &in_lat);
	fprintf(h, "\trc = pd_call_flow_in(&call, %s, %s);\n", lattice_ref(in_lat), in_label);
	fputs("\tif (rc < 0) {\n\t\tpd_call_leave(&call);\n\t\treturn rc;\n\t}\n", h);

	bool moves = false;
	for (const param *p = f->params; p; p = p->next) {
		if (p->mode != MODE_MOVE)
			continue;
		fprintf(h, "\t%s = *%s;\n", c_decl(e->mod, p->type, ast_printf("*%s_moved", p->name)), p->name);
		fprintf(h, "\trc = pd_move_in(&call, %s_moved);\n\tif (rc < 0) {\n", p->name);
		emit_move_rollback(h, f, p);
		fputs("\t\tpd_call_leave(&call);\n\t\treturn rc;\n\t}\n", h);
		moves = true;
	}
	if (moves)
		for (const param *p = f->params; p; p = p->next)
			if (p->mode == MODE_MOVE)
				fprintf(h, "\t*%s = NULL;\n", p->name);
	if (f->result && f->result_moves)
		fprintf(h, "\t%s = NULL;\n", c_decl(e->mod, f->result, "*out"));

	/* A bytes result is written into the caller's buffer: remember it, so
	 * that a withheld result wipes what the callee already copied there
	 * (the callee may have changed data and len: the saved ones count). */
	const char *buf = result_buffer(f);
	if (buf)
		fprintf(h, "\tpd_bytes result_buf = %s;\n", buf);

	/* PD_CALL_VIA returns -PD_EFAULT when the callee faulted (and has been
	 * recovered by then). */
	fprintf(h, "\trc = PD_CALL_VIA(&call, ops->%s)(call.self", f->name);
	for (const param *p = f->params; p; p = p->next)
		fprintf(h, p->mode == MODE_MOVE ? ", %s_moved" : ", %s", p->name);
	if (f->result)
		fputs(f->result_moves ? ", &out" : ", result", h);
	fputs(");\n", h);
	/* The result travels back under the callee's label; a caller that may
	 * not hold it does not get it. */
	const lattice *out_lat;
	const char *out_label = result_label(f, &out_lat);
	if (f->result && f->result_moves) {
		fprintf(h, "\tif (rc >= 0)\n\t\trc = pd_call_flow_out(&call, %s, %s);\n",
		        lattice_ref(out_lat), out_label);
		fputs("\tif (rc >= 0)\n\t\trc = pd_move_out(&call, out);\n", h);
		fputs("\tpd_call_leave(&call);\n\tif (rc >= 0)\n\t\t*result = out;\n\treturn rc;\n}\n\n", h);
	} else if (f->result) {
		/* The callee wrote into the caller's buffer before anyone knew the
		 * result's label, or before it faulted: whenever the result is not
		 * delivered, what it wrote there is wiped too. */
		if (buf)
			fprintf(h, "\tif (rc < 0 || (rc = pd_call_flow_out(&call, %s, %s)) < 0) {\n"
			        "\t\tif (result_buf.data)\n"
			        "\t\t\tmemset(result_buf.data, 0, result_buf.len);\n"
			        "\t\tmemset(result, 0, sizeof(*result));\n\t}\n",
			        lattice_ref(out_lat), out_label);
		else
			fprintf(h, "\tif (rc >= 0 && (rc = pd_call_flow_out(&call, %s, %s)) < 0)\n"
			        "\t\tmemset(result, 0, sizeof(*result));\n", lattice_ref(out_lat), out_label);
		fputs("\tpd_call_leave(&call);\n\treturn rc;\n}\n\n", h);
	} else {
		fputs("\tif (rc >= 0)\n\t\trc = pd_call_flow_out(&call, NULL, 0);\n", h);
		fputs("\tpd_call_leave(&call);\n\treturn rc;\n}\n\n", h);
	}
}

/* Exports OBJ with this interface's ops from the current domain. */
static void emit_export(emit_ctx *e, const decl *d)
{
	const char *name = c_name(d);
	fprintf(e->h, "static inline int %s_export(const %s_ops *ops, void *self,\n"
	        "\t\tpd_acl_fn acl, void *acl_arg, pd_rref *out)\n{\n"
	        "\treturn pd_export(ops, self, acl, acl_arg, out);\n}\n\n", name, name);
}

void emit_interfaces(emit_ctx *e)
{
	for (decl *d = e->mod->decls; d; d = d->next) {
		if (d->kind != DECL_INTERFACE)
			continue;
		emit_ops_table(e, d);
		if (d->u.iface.methods)
			fprintf(e->h, "/* proxies: call an exported %s through an rref */\n", d->name);
		for (const method *f = d->u.iface.methods; f; f = f->next)
			emit_proxy(e, d, f);
		emit_export(e, d);
	}
}
