/*
 * emit_interfaces.c - per interface: its descriptor and typed handle, the
 * ops table, the method indexes, conversions, the export, and one proxy per
 * method.
 *
 * The proxy is exactly the shape documented in runtime/pd_call.h: check the
 * arguments, resolve the handle against this interface (pd_call_resolve),
 * inspect what is borrowed and check what moves, carry labels in, copy
 * inout arguments, move, switch, call through the fault-containing thunk
 * (PD_CALL_VIA), switch back, check what comes back, carry labels out,
 * and deliver the result or wipe it.  Everything up to the switch happens
 * in the caller's context, so a bad argument is refused - or faults the
 * caller - before the callee is entered.
 *
 * An interface `I : B` embeds B's ops table as its first member, so an
 * object exported with I's table can be called through B's proxies too:
 * M_I_as_B converts the handle, and the run time accepts it (the slot says
 * the object implements B).
 */
#include "emit.h"

#include <stdlib.h>
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

/* The parameter list after `void *self` or the handle. */
static void emit_params(emit_ctx *e, FILE *out, const method *f, bool caller_view)
{
	for (const param *p = f->params; p; p = p->next)
		fprintf(out, ", %s", param_decl(e, p, caller_view));
	if (f->result)
		fprintf(out, ", %s", result_decl(e, f));
}

/* ---- the interface's types and helpers ---- */

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

/* The descriptor the run time checks handles against, and conversions. */
static void emit_identity(emit_ctx *e, const decl *d)
{
	const char *name = c_name(d);
	const decl *base = d->u.iface.base;
	fprintf(e->h, "/* What a %s handle must name: an object exported as %s or an interface\n"
	        " * extending it (the proxies check; runtime/pd_rref.h). */\n", d->name, d->name);
	fprintf(e->h, "extern const pd_iface %s_iface;\n\n", name);
	fprintf(e->c, "\nconst pd_iface %s_iface = {\n\t.name = \"%s.%s\",\n\t.base = %s,\n"
	        "\t.n_methods = %d,\n};\n", name, d->module->name, d->name,
	        base ? ast_printf("&%s_iface", c_name(base)) : "NULL", method_count(d));

	fprintf(e->h, "/* A handle that arrived untyped (pd_domain_export_rref, a message):\n"
	        " * 0 and *out when it names a %s, else -PD_EIFACE or why it does not\n"
	        " * resolve, and *out the null handle. */\n", d->name);
	fprintf(e->h, "static inline int %s_from_rref(pd_rref r, %s_rref *out)\n{\n"
	        "\tint rc = pd_rref_check_iface(r, &%s_iface);\n\tout->r = rc == 0 ? r : PD_RREF_NULL;\n"
	        "\treturn rc;\n}\n\n", name, name, name);
	fprintf(e->h, "/* The handle of the k-th object domain d exported, as a %s (d's manager\n"
	        " * only: runtime/pd_rref.h, pd_domain_export_rref). */\n", d->name);
	fprintf(e->h, "static inline int %s_of_domain(const pd_domain *d, unsigned k, %s_rref *out)\n{\n"
	        "\tpd_rref r;\n\tint rc = pd_domain_export_rref(d, k, &r);\n"
	        "\tif (rc < 0) {\n\t\tout->r = PD_RREF_NULL;\n\t\treturn rc;\n\t}\n"
	        "\treturn %s_from_rref(r, out);\n}\n\n", name, name, name);
	for (int hops = 0; base && hops < 1000; base = base->u.iface.base, hops++)
		fprintf(e->h, "/* A %s is a %s.%s too. */\nstatic inline %s_rref %s_as_%s(%s_rref r)\n{\n"
		        "\t%s_rref b;\n\tb.r = r.r;\n\treturn b;\n}\n\n", d->name, base->module->name,
		        base->name, c_name(base), name, c_name(base), name, c_name(base));
}

static void emit_export(emit_ctx *e, const decl *d)
{
	const char *name = c_name(d);
	fprintf(e->h, "/* Exports OBJ with these ops from the current domain (runtime/pd_rref.h). */\n");
	fprintf(e->h, "static inline int %s_export(const %s_ops *ops, void *self,\n"
	        "\t\tpd_acl_fn acl, void *acl_arg, %s_rref *out)\n{\n"
	        "\treturn pd_export(&%s_iface, ops, self, acl, acl_arg, out ? &out->r : NULL);\n}\n\n",
	        name, name, name, name);
}

/* ---- the proxy ---- */

/* A `bytes` or labeled<bytes> result: the callee fills the caller's buffer. */
static const char *buffer_of(const type *t)
{
	if (t->kind == TYPE_BYTES)
		return "";
	if (t->kind == TYPE_LABELED && t->elem && t->elem->kind == TYPE_BYTES)
		return ".value";
	return NULL;
}

/* A struct moved whole, through its generated walks (else one pd_move_in). */
static bool walked_move(const type *t)
{
	return t->kind == TYPE_NAMED && t->decl->kind == DECL_STRUCT && struct_has_walk(t->decl, WALK_CHECK);
}

/* Does the proxy pass this parameter to the callee through a pointer? */
static bool by_pointer(const param *p)
{
	return p->mode != MODE_BORROWED || !by_value(p->type);
}

/* What the callee reads of a borrowed or inout argument: the value itself
 * (arrays decay, so p is the first element), and what it points to. */
static void emit_inspect_param(emit_ctx *e, const param *p)
{
	FILE *h = e->h;
	const type *t = p->type;
	if (p->mode == MODE_MOVE || !by_pointer(p))
		return;
	if (t->kind == TYPE_ARRAY)
		fprintf(h, "\tif ((rc = pd_probe_read(%s, %llu * sizeof(%s[0]))) < 0)\n\t\treturn rc;\n", p->name,
		        (unsigned long long)t->length, p->name);
	else
		fprintf(h, "\tif ((rc = pd_probe_read(%s, sizeof(*%s))) < 0)\n\t\treturn rc;\n", p->name, p->name);
	emit_walk_value(e, h, WALK_INSPECT, t, t->kind == TYPE_ARRAY ? p->name : ast_printf("(*%s)", p->name),
	                "&walk_", "_", 1);
}

static void emit_checks(emit_ctx *e, const method *f)
{
	const char *cond = NULL;
	for (const param *p = f->params; p; p = p->next)
		if (by_pointer(p))
			cond = cond ? ast_printf("%s || %s == NULL", cond, p->name) : ast_printf("%s == NULL", p->name);
	if (f->result)
		cond = cond ? ast_printf("%s || result == NULL", cond) : "result == NULL";
	if (cond)
		fprintf(e->h, "\tif (%s)\n\t\treturn -PD_EINVAL;\n", cond);
}

static bool walks_in(const method *f)
{
	for (const param *p = f->params; p; p = p->next) {
		if (p->mode == MODE_MOVE ? walked_move(p->type) : by_pointer(p))
			return true;
	}
	return f->result && buffer_of(f->result) && f->result_moves == false;
}

static bool walks_out(const method *f)
{
	for (const param *p = f->params; p; p = p->next)
		if (p->mode == MODE_INOUT && type_needs_walk(p->type, WALK_LABELS))
			return true;
	if (!f->result)
		return false;
	return f->result_moves ? walked_move(f->result) : type_needs_walk(f->result, WALK_LABELS);
}

/* The moves that go through one pd_move_in, in order, up to (not
 * including) UPTO; given back newest first when a later step fails. */
static void emit_give_back(FILE *h, const method *f, const param *upto, const char *indent_)
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
		if (!walked_move(moved[n]->type))
			fprintf(h, "%spd_move_out(&call, %s_moved);\n", indent_, moved[n]->name);
}

static void emit_way_in(emit_ctx *e, const decl *d, const method *f)
{
	FILE *h = e->h;
	bool walk = walks_in(f);
	if (walk)
		fputs("\tpd_walk walk_;\n\tpd_walk_init(&walk_, call.caller);\n", h);
	for (const param *p = f->params; p; p = p->next) {
		if (p->mode == MODE_MOVE && walked_move(p->type))
			fprintf(h, "\tif ((rc = %s_move_check_root(&walk_, *%s)) < 0)\n\t\treturn rc;\n",
			        c_name(p->type->decl), p->name);
		else
			emit_inspect_param(e, p);
	}
	if (f->result && !f->result_moves && buffer_of(f->result)) {
		const char *b = ast_printf("(*result)%s", buffer_of(f->result));
		fprintf(h, "\tif ((rc = pd_probe_write(call.callee, %s.data, %s.len)) < 0)\n\t\treturn rc;\n", b, b);
	}
	const char *in = c_labels(&f->args_labels);
	if (walk)
		in = f->args_labels.n ? ast_printf("%s | walk_.labels", in) : "walk_.labels";
	fprintf(h, "\tif ((rc = pd_call_flow_in(&call, %s)) < 0)\n\t\treturn rc;\n", in);
	(void)d;

	for (const param *p = f->params; p; p = p->next)
		if (p->mode == MODE_INOUT)
			fprintf(h, "\t%s;\t/* the callee works on a copy */\n"
			        "\tmemcpy(&%s_copy_, %s, sizeof(%s_copy_));\n",
			        c_decl(e->mod, p->type, ast_printf("%s_copy_", p->name)), p->name, p->name, p->name);
	bool walked = false;
	for (const param *p = f->params; p; p = p->next) {
		if (p->mode != MODE_MOVE)
			continue;
		fprintf(h, "\t%s = *%s;\n", c_decl(e->mod, p->type, ast_printf("*%s_moved", p->name)), p->name);
		if (walked_move(p->type)) {
			walked = true;
			continue;
		}
		char *back = NULL;
		size_t back_len = 0;
		FILE *gb = open_memstream(&back, &back_len);
		if (gb) {
			emit_give_back(gb, f, p, "\t\t");
			fclose(gb);
		}
		if (back_len)
			fprintf(h, "\tif ((rc = pd_move_in(&call, %s_moved)) < 0) {\n%s\t\treturn rc;\n\t}\n",
			        p->name, back);
		else
			fprintf(h, "\tif ((rc = pd_move_in(&call, %s_moved)) < 0)\n\t\treturn rc;\n", p->name);
		free(back);
	}
	if (walked) {
		fputs("\twalk_.to = call.callee;\n", h);
		for (const param *p = f->params; p; p = p->next)
			if (p->mode == MODE_MOVE && walked_move(p->type))
				fprintf(h, "\t%s_move_give_root(&walk_, %s_moved);\n", c_name(p->type->decl), p->name);
	}
	bool undo = walked;
	for (const param *p = f->params; p; p = p->next)
		undo |= p->mode == MODE_MOVE || p->mode == MODE_INOUT;
	if (!undo) {
		fputs("\tif ((rc = pd_call_switch(&call)) < 0)\n\t\treturn rc;\n", h);
		return;
	}
	fputs("\tif ((rc = pd_call_switch(&call)) < 0) {\n", h);
	emit_give_back(h, f, NULL, "\t\t");
	if (walked) {
		fputs("\t\twalk_.to = call.caller;\n", h);
		for (const param *p = f->params; p; p = p->next)
			if (p->mode == MODE_MOVE && walked_move(p->type))
				fprintf(h, "\t\t%s_move_give_root(&walk_, %s_moved);\n", c_name(p->type->decl), p->name);
	}
	for (const param *p = f->params; p; p = p->next)
		if (p->mode == MODE_INOUT)
			fprintf(h, "\t\tpd_wipe(&%s_copy_, sizeof(%s_copy_));\n", p->name, p->name);
	fputs("\t\treturn rc;\n\t}\n", h);
	for (const param *p = f->params; p; p = p->next)
		if (p->mode == MODE_MOVE)
			fprintf(h, "\t*%s = NULL;\n", p->name);
}

static void emit_call(emit_ctx *e, const method *f)
{
	FILE *h = e->h;
	if (f->result && f->result_moves)
		fprintf(h, "\t%s = NULL;\n", c_decl(e->mod, f->result, "*out_"));
	else if (f->result && buffer_of(f->result))
		fprintf(h, "\t%s = *result;\t/* the caller's buffer, as given */\n",
		        c_decl(e->mod, f->result, "result_"));
	else if (f->result)
		fprintf(h, "\t%s;\n\tmemset(&result_, 0, sizeof(result_));\n", c_decl(e->mod, f->result, "result_"));
	/* PD_CALL_VIA returns -PD_EFAULT when the callee faulted (and has been
	 * recovered by then). */
	fprintf(h, "\trc = PD_CALL_VIA(&call, ops->%s)(call.self", f->name);
	for (const param *p = f->params; p; p = p->next) {
		if (p->mode == MODE_MOVE)
			fprintf(h, ", %s_moved", p->name);
		else if (p->mode == MODE_INOUT)
			fprintf(h, p->type->kind == TYPE_ARRAY ? ", %s_copy_" : ", &%s_copy_", p->name);
		else
			fprintf(h, ", %s", p->name);
	}
	if (f->result)
		fputs(f->result_moves ? ", &out_" : ", &result_", h);
	fputs(");\n\tpd_call_leave(&call);\n", h);
}

static void emit_way_out(emit_ctx *e, const method *f)
{
	FILE *h = e->h;
	const char *sub = f->result && !f->result_moves ? buffer_of(f->result) : NULL;
	const char *given = sub ? ast_printf("(*result)%s", sub) : NULL;
	if (sub) {
		/* The callee may fill the buffer and say how much: it may not
		 * swap in a buffer of its own or claim more than it was given. */
		fprintf(h, "\tif (rc >= 0 && (result_%s.data != %s.data || result_%s.len > %s.len))\n"
		        "\t\trc = -PD_EINVAL;\n", sub, given, sub, given);
	}
	bool walk = walks_out(f);
	if (walk) {
		fputs("\tpd_walk back_;\n\tpd_walk_init(&back_, call.callee);\n", h);
		if (f->result && f->result_moves)
			fprintf(h, "\tif (rc >= 0 && out_ != NULL)\n\t\trc = %s_move_check_root(&back_, out_);\n",
			        c_name(f->result->decl));
		for (const param *p = f->params; p; p = p->next)
			if (p->mode == MODE_INOUT)
				emit_walk_value(e, h, WALK_LABELS, p->type, ast_printf("%s_copy_", p->name), "&back_",
				                "_", 1);
		if (f->result && !f->result_moves)
			emit_walk_value(e, h, WALK_LABELS, f->result, "result_", "&back_", "_", 1);
	}
	/* An error is an answer too: the callee's label goes back with it, the
	 * result's labels only with a result. */
	const char *out = c_labels(&f->result_labels);
	if (walk)
		out = f->result_labels.n ? ast_printf("%s | back_.labels", out) : "back_.labels";
	if (walk || f->result_labels.n)
		out = ast_printf("rc >= 0 ? %s : PD_LABELS_BOTTOM", out);
	fprintf(h, "\trc = pd_call_flow_out(&call, rc, %s);\n", out);
	if (f->result && f->result_moves) {
		if (walked_move(f->result))
			fprintf(h, "\tif (rc >= 0 && out_ != NULL) {\n\t\tback_.to = call.caller;\n"
			        "\t\t%s_move_give_root(&back_, out_);\n\t}\n", c_name(f->result->decl));
		else
			fputs("\tif (rc >= 0)\n\t\trc = pd_move_out(&call, out_);\n", h);
	}

	/* Not delivered: what the callee wrote goes, the caller's data stays. */
	bool wipes = sub || (f->result && !f->result_moves);
	for (const param *p = f->params; p; p = p->next)
		wipes |= p->mode == MODE_INOUT;
	if (!wipes) {
		if (f->result)          /* (a moved result: delivered below) */
			fputs("\tif (rc < 0)\n\t\treturn rc;\n", h);
		goto deliver;
	}
	fputs("\tif (rc < 0) {\n", h);
	if (sub)
		fprintf(h, "\t\tif (%s.data)\n\t\t\tmemset(%s.data, 0, %s.len);\n", given, given, given);
	if (f->result && !f->result_moves)
		fputs("\t\tpd_wipe(&result_, sizeof(result_));\n", h);
	for (const param *p = f->params; p; p = p->next)
		if (p->mode == MODE_INOUT)
			fprintf(h, "\t\tpd_wipe(&%s_copy_, sizeof(%s_copy_));\n", p->name, p->name);
	fputs("\t\treturn rc;\n\t}\n", h);
deliver:
	for (const param *p = f->params; p; p = p->next)
		if (p->mode == MODE_INOUT)
			fprintf(h, "\tmemcpy(%s, &%s_copy_, sizeof(%s_copy_));\n", p->name, p->name, p->name);
	if (f->result)
		fputs(f->result_moves ? "\t*result = out_;\n" : "\t*result = result_;\n", h);
	fputs("\treturn rc;\n}\n\n", h);
}

static void emit_proxy(emit_ctx *e, const decl *d, const method *f)
{
	FILE *h = e->h;
	const char *name = c_name(d);
	fprintf(h, "PD_PROXY int %s_%s(%s_rref rref", name, f->name, name);
	emit_params(e, h, f, true);
	fputs(")\n{\n", h);
	emit_checks(e, f);
	fputs("\tpd_call call;\n", h);
	fprintf(h, "\tint rc = pd_call_resolve(&call, rref.r, &%s_iface, %s);\n", name,
	        c_upper(d->module->name, d->name, f->name));
	fputs("\tif (rc < 0)\n\t\treturn rc;\n", h);
	fprintf(h, "\tconst %s_ops *ops = (const %s_ops *)call.ops;\n", name, name);
	emit_way_in(e, d, f);
	emit_call(e, f);
	emit_way_out(e, f);
}

void emit_interfaces(emit_ctx *e)
{
	for (decl *d = e->mod->decls; d; d = d->next) {
		if (d->kind != DECL_INTERFACE)
			continue;
		emit_ops_table(e, d);
		emit_identity(e, d);
		if (d->u.iface.methods)
			fprintf(e->h, "/* proxies: call an exported %s through its handle */\n", d->name);
		for (const method *f = d->u.iface.methods; f; f = f->next)
			emit_proxy(e, d, f);
		emit_export(e, d);
	}
}
