/*
 * sema_types.c - structs, interfaces, domains and sinks.
 *
 * Resolves every type name, then checks where each kind of type may stand:
 * an opaque object has no size pdlc knows, so it only travels behind `own`
 * or as a parameter; `move` needs an object on the ownership heap; a label
 * needs data to stand on (an rref is a capability, and a labeled<T> carries
 * its own label at run time).  Struct values may not contain themselves.
 */
#include "sema.h"

#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "symtab.h"

#define MAX_ARRAY_LENGTH 65536

static const char *const scalar_names[] = {
	"u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "bool", "f64",
};

/* The type as the user wrote it, for messages. */
static const char *type_str(const type *t)
{
	char buf[256];
	switch (t->kind) {
	case TYPE_BYTES:
		return "bytes";
	case TYPE_NAMED:
		return t->name;
	case TYPE_ARRAY:
		snprintf(buf, sizeof(buf), "%s[%llu]", type_str(t->elem), (unsigned long long)t->length);
		break;
	case TYPE_VEC:
		snprintf(buf, sizeof(buf), "vec<%s>", type_str(t->elem));
		break;
	case TYPE_OWN:
		snprintf(buf, sizeof(buf), "own %s", type_str(t->elem));
		break;
	case TYPE_SHARED:
		snprintf(buf, sizeof(buf), "shared %s", type_str(t->elem));
		break;
	case TYPE_LABELED:
		snprintf(buf, sizeof(buf), "labeled<%s>", type_str(t->elem));
		break;
	case TYPE_RREF:
		snprintf(buf, sizeof(buf), "rref<%s>", t->name);
		break;
	default:
		return scalar_names[t->kind];
	}
	return ast_strdup(buf);
}

static bool is_object(const type *t)
{
	return t->kind == TYPE_NAMED && t->decl &&
	       (t->decl->kind == DECL_STRUCT || t->decl->kind == DECL_OPAQUE);
}

static bool is_opaque(const type *t)
{
	return t->kind == TYPE_NAMED && t->decl && t->decl->kind == DECL_OPAQUE;
}

/* Resolves names inside T; false when something is unknown (reported). */
static bool resolve_type(module *m, type *t)
{
	switch (t->kind) {
	case TYPE_NAMED:
		t->decl = sema_lookup(m, t->qualifier, t->name, t->at, "type");
		if (t->decl && t->decl->kind != DECL_STRUCT && t->decl->kind != DECL_OPAQUE) {
			sema_wrong_kind(t->at, t->decl, "a type");
			t->decl = NULL;
		}
		return t->decl != NULL;
	case TYPE_RREF:
		t->decl = sema_lookup(m, t->qualifier, t->name, t->at, "interface");
		if (t->decl && t->decl->kind != DECL_INTERFACE) {
			sema_wrong_kind(t->at, t->decl, "an interface");
			t->decl = NULL;
		}
		return t->decl != NULL;
	case TYPE_LABELED:
		if (t->lattice_name) {
			decl *d = sema_lookup(m, NULL, t->lattice_name, t->at, "label lattice");
			if (d && d->kind != DECL_LABELS) {
				sema_wrong_kind(t->at, d, "a label lattice");
				d = NULL;
			}
			t->lattice = d ? &d->u.labels : NULL;
		} else {
			t->lattice = sema_default_lattice(m, t->at);
		}
		return resolve_type(m, t->elem) && t->lattice;
	case TYPE_ARRAY:
	case TYPE_VEC:
	case TYPE_OWN:
	case TYPE_SHARED:
		return resolve_type(m, t->elem);
	default:
		return true;
	}
}

/* Where a type may stand.  Containers check their element with ELEMENT. */
typedef enum place { FIELD, ELEMENT, PARAM, RESULT } place;

static bool check_type(module *m, type *t, place where)
{
	if (!resolve_type(m, t))
		return false;
	switch (t->kind) {
	case TYPE_NAMED:
		if (is_opaque(t) && (where == FIELD || where == ELEMENT)) {
			diag_error(t->at, "opaque type '%s' has no size pdlc knows: hold it with 'own %s'",
			           t->name, t->name);
			return false;
		}
		return true;
	case TYPE_OWN:
	case TYPE_SHARED: {
		const char *what = t->kind == TYPE_OWN ? "own" : "shared";
		if (where == PARAM || where == RESULT) {
			diag_error(t->at, "'%s' describes a field; a parameter or result hands over "
			           "ownership with 'move'", what);
			return false;
		}
		bool ok = t->elem->kind == TYPE_NAMED &&
		          (t->elem->decl->kind == DECL_STRUCT || t->kind == TYPE_OWN);
		if (!ok) {
			diag_error(t->elem->at, "'%s' needs a struct%s, not '%s'", what,
			           t->kind == TYPE_OWN ? " or opaque type" : "", type_str(t->elem));
			return false;
		}
		return true;
	}
	case TYPE_ARRAY:
		if (t->length == 0 || t->length > MAX_ARRAY_LENGTH) {
			diag_error(t->length_at, "integer literal out of range: an array has 1 to %d elements",
			           MAX_ARRAY_LENGTH);
			return false;
		}
		if (t->elem->kind == TYPE_ARRAY) {
			diag_error(t->at, "arrays of arrays are not supported: wrap the inner array in a struct");
			return false;
		}
		return check_type(m, t->elem, ELEMENT);
	case TYPE_VEC:
	case TYPE_LABELED:
		if (t->elem->kind == TYPE_ARRAY) {
			diag_error(t->elem->at, "%s cannot hold an array directly: wrap it in a struct",
			           t->kind == TYPE_VEC ? "vec<>" : "labeled<>");
			return false;
		}
		if (t->kind == TYPE_LABELED && t->elem->kind == TYPE_LABELED) {
			diag_error(t->elem->at, "a labeled<> value already carries a label");
			return false;
		}
		return check_type(m, t->elem, ELEMENT);
	default:
		return true;
	}
}

/* A label needs data to stand on; false (reported) where it has none. */
static bool label_can_stand_on(const type *t, const label_ref *label)
{
	if (label == NULL || t == NULL)
		return true;
	if (t->kind == TYPE_RREF) {
		diag_error(label->at, "an rref is a capability, not data: it cannot carry a label");
		return false;
	}
	if (t->kind == TYPE_LABELED) {
		diag_error(label->at, "a labeled<> value carries its label at run time: "
		           "it cannot carry a static one too");
		return false;
	}
	return true;
}

/* ---- structs ---- */

static void check_struct(module *m, decl *d)
{
	symtab *names = symtab_new();
	for (field *f = d->u.struct_.fields; f; f = f->next) {
		sema_check_c_name(f->at, f->name);
		field *first = symtab_insert(names, f->name, f);
		if (first) {
			diag_error(f->at, "duplicate field '%s' in struct '%s'", f->name, d->name);
			diag_note(first->at, "'%s' first defined here", f->name);
		}
		if (check_type(m, f->type, FIELD) && label_can_stand_on(f->type, f->label))
			sema_resolve_label(m, f->label);
	}
}

/* The struct a by-value field leads to, through arrays and labeled<>. */
static decl *by_value_struct(const type *t)
{
	while (t->kind == TYPE_ARRAY || t->kind == TYPE_LABELED)
		t = t->elem;
	return t->kind == TYPE_NAMED && t->decl && t->decl->kind == DECL_STRUCT ? t->decl : NULL;
}

enum { WHITE, GREY, BLACK };      /* decl.mark during the walk */

/*
 * Depth-first over by-value containment; a grey struct reached again is a
 * struct containing itself.  The walk keeps its own stack, as deep as the
 * longest chain of structs (the input's size, not the C stack's): STRUCTS[i]
 * is the i-th struct on the path, NEXT[i] the field of it to look at next
 * and PATH[i] the field followed out of it, for the notes.
 */
static bool contains_itself(decl *root, decl **structs, field **next, field **path)
{
	int depth = 0;
	structs[0] = root;
	next[0] = root->u.struct_.fields;
	root->mark = GREY;
	while (depth >= 0) {
		decl *d = structs[depth];
		field *f = next[depth];
		if (f == NULL) {
			d->mark = BLACK;
			depth--;
			continue;
		}
		next[depth] = f->next;
		decl *inner = by_value_struct(f->type);
		if (inner == NULL || inner->module != d->module)
			continue;               /* imported structs were checked already */
		path[depth] = f;
		if (inner->mark == GREY) {
			diag_error(inner->at, "struct '%s' contains itself by value", inner->name);
			int start = depth;
			while (start > 0 && structs[start] != inner)
				start--;
			for (int i = start; i <= depth; i++)
				diag_note(path[i]->at, "through field '%s' (of type %s)", path[i]->name,
				          type_str(path[i]->type));
			return true;
		}
		if (inner->mark == WHITE) {
			depth++;
			structs[depth] = inner;
			next[depth] = inner->u.struct_.fields;
			inner->mark = GREY;
		}
	}
	return false;
}

static void check_recursion(module *m)
{
	size_t n = 1;
	for (decl *d = m->decls; d; d = d->next)
		n += d->kind == DECL_STRUCT;
	decl **structs = ast_alloc(n * sizeof(*structs));
	field **next = ast_alloc(n * sizeof(*next)), **path = ast_alloc(n * sizeof(*path));
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_STRUCT && d->mark == WHITE && contains_itself(d, structs, next, path))
			return;                 /* one report; the rest would repeat it */
}

/* ---- interfaces ---- */

static void check_param(module *m, param *p)
{
	if (!check_type(m, p->type, PARAM))
		return;
	if (p->type->kind == TYPE_RREF && p->mode != MODE_BORROWED) {
		diag_error(p->mode_at, "an rref is passed by value: it takes no '%s'",
		           p->mode == MODE_MOVE ? "move" : "inout");
		return;
	}
	if (p->mode == MODE_MOVE && !is_object(p->type)) {
		diag_error(p->mode_at, "cannot move '%s': only structs and opaque objects, which live "
		           "on the ownership heap, can move", type_str(p->type));
		return;
	}
	if (label_can_stand_on(p->type, p->label))
		sema_resolve_label(m, p->label);
}

/* The generated proxy's own locals; a parameter may not take their names. */
static const char *const proxy_locals[] = { "rref", "call", "rc", "ops", "out", "result", "self" };

static void check_param_name(const param *p, const method *f)
{
	if (!sema_check_c_name(p->at, p->name))
		return;
	for (size_t i = 0; i < sizeof(proxy_locals) / sizeof(proxy_locals[0]); i++)
		if (strcmp(p->name, proxy_locals[i]) == 0) {
			diag_error(p->at, "parameter name '%s' is taken by the generated proxy; choose another",
			           p->name);
			return;
		}
	size_t n = strlen(p->name);
	if (n > 6 && strcmp(p->name + n - 6, "_moved") == 0)
		for (const param *q = f->params; q; q = q->next)
			if (q->mode == MODE_MOVE && strlen(q->name) == n - 6 && strncmp(q->name, p->name, n - 6) == 0)
				diag_error(p->at, "parameter name '%s' is taken by the proxy for moving '%s'",
				           p->name, q->name);
}

static void check_method(module *m, method *f)
{
	sema_check_c_name(f->at, f->name);
	symtab *names = symtab_new();
	for (param *p = f->params; p; p = p->next) {
		check_param_name(p, f);
		param *first = symtab_insert(names, p->name, p);
		if (first) {
			diag_error(p->at, "duplicate parameter '%s'", p->name);
			diag_note(first->at, "'%s' first declared here", p->name);
		}
		check_param(m, p);
	}
	if (f->result == NULL) {
		if (f->result_label)
			diag_error(f->result_label->at, "a void result cannot carry a label");
		return;
	}
	if (!check_type(m, f->result, RESULT))
		return;
	if (f->result_moves && !is_object(f->result)) {
		diag_error(f->result->at, "cannot move '%s': only structs and opaque objects, which "
		           "live on the ownership heap, can move", type_str(f->result));
		return;
	}
	if (!f->result_moves && is_opaque(f->result)) {
		diag_error(f->result->at, "an opaque object can only be returned by moving it: "
		           "write 'move %s'", f->result->name);
		return;
	}
	if (label_can_stand_on(f->result, f->result_label))
		sema_resolve_label(m, f->result_label);
}

static void resolve_base(module *m, decl *d)
{
	if (d->u.iface.base_name) {
		decl *b = sema_lookup(m, d->u.iface.base_qualifier, d->u.iface.base_name,
		                      d->u.iface.base_at, "interface");
		if (b && b->kind != DECL_INTERFACE)
			sema_wrong_kind(d->u.iface.base_at, b, "an interface");
		else if (b == d)
			diag_error(d->u.iface.base_at, "interface '%s' extends itself", d->name);
		else
			d->u.iface.base = b;
	}
}

static void check_interface(module *m, decl *d)
{
	/* Inherited methods share the name space (the ops table embeds the base).
	 * A base chain that loops back is cut where it does. */
	symtab *names = symtab_new();
	for (method *f = d->u.iface.methods; f; f = f->next) {
		method *first = symtab_insert(names, f->name, f);
		if (first) {
			diag_error(f->at, "duplicate method '%s' in interface '%s'", f->name, d->name);
			diag_note(first->at, "'%s' first declared here", f->name);
		}
		check_method(m, f);
	}
	int hops = 0;
	for (decl *b = d->u.iface.base; b; b = b->u.iface.base) {
		if (b == d || ++hops > 1000) {
			diag_error(d->u.iface.base_at, "interface '%s' extends itself through its bases", d->name);
			d->u.iface.base = NULL;
			break;
		}
		for (method *f = b->u.iface.methods; f; f = f->next) {
			method *mine = symtab_get(names, f->name);
			if (mine) {
				diag_error(mine->at, "method '%s' is already declared by base interface '%s'",
				           f->name, b->name);
				diag_note(f->at, "declared here");
			}
		}
	}
}

/* ---- domains and sinks ---- */

/* The opaque type a struct reaches through its fields, or NULL: a flag on
 * each struct, computed for the whole module at once (sema runs modules
 * after their imports, so imported structs already have theirs).  A struct
 * reaches one when a field leads to an opaque type, or to a struct that
 * reaches one; the second part spreads backwards from the first, each
 * struct once, so it stays linear however long the chains of structs. */
typedef struct referrer {
	decl *by;
	struct referrer *next;
} referrer;

static const decl *direct_opaque(const decl *d)
{
	for (const field *f = d->u.struct_.fields; f; f = f->next)
		for (const type *t = f->type; t; t = t->elem)
			if (t->kind == TYPE_NAMED && t->decl) {
				if (t->decl->kind == DECL_OPAQUE)
					return t->decl;
				if (t->decl->module != d->module && t->decl->opaque_via)
					return t->decl->opaque_via;
			}
	return NULL;
}

static void find_opaque_reach(module *m)
{
	uint32_t n = 0;
	for (decl *d = m->decls; d; d = d->next)
		n += d->kind == DECL_STRUCT;
	decl **queue = ast_alloc((n + 1) * sizeof(*queue));
	uint32_t head = 0, tail = 0;
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_STRUCT && (d->opaque_via = direct_opaque(d)) != NULL)
			queue[tail++] = d;
	/* Spread to the structs that refer to a reaching one, through an index
	 * of referrers: each struct and each field is visited once. */
	symtab *referrers = symtab_new();
	for (decl *d = m->decls; d; d = d->next) {
		if (d->kind != DECL_STRUCT)
			continue;
		for (const field *f = d->u.struct_.fields; f; f = f->next)
			for (const type *t = f->type; t; t = t->elem)
				if (t->kind == TYPE_NAMED && t->decl && t->decl->kind == DECL_STRUCT &&
				    t->decl->module == m) {
					referrer *r = AST_NEW(referrer);
					r->by = d;
					r->next = symtab_get(referrers, t->decl->name);
					symtab_set(referrers, t->decl->name, r);
				}
	}
	while (head < tail) {
		decl *reached = queue[head++];
		for (referrer *r = symtab_get(referrers, reached->name); r; r = r->next) {
			decl *d = r->by;
			if (d->opaque_via == NULL) {
				d->opaque_via = reached->opaque_via;
				queue[tail++] = d;
			}
		}
	}
}

static void check_domain(module *m, decl *d)
{
	domain_decl *dd = &d->u.domain;
	decl *iface = sema_lookup(m, dd->iface_qualifier, dd->iface_name, dd->iface_at, "interface");
	if (iface && iface->kind != DECL_INTERFACE)
		sema_wrong_kind(dd->iface_at, iface, "an interface");
	else
		dd->iface = iface;

	if (dd->state && check_type(m, dd->state, FIELD) &&
	    !(dd->state->kind == TYPE_NAMED && dd->state->decl->kind == DECL_STRUCT))
		diag_error(dd->state->at, "a domain's state is a struct, not '%s'", type_str(dd->state));
	if (dd->checkpoint_every && dd->state == NULL)
		diag_error(dd->checkpoint_at, "'checkpoint' needs a 'state' to save");
	else if (dd->checkpoint_every && dd->state->kind == TYPE_NAMED && dd->state->decl &&
	         dd->state->decl->kind == DECL_STRUCT) {
		const decl *opaque = dd->state->decl->opaque_via;
		if (opaque) {
			diag_error(dd->checkpoint_at, "the state '%s' holds opaque '%s', which pdlc cannot "
			           "checkpoint", dd->state->decl->name, opaque->name);
			diag_note(opaque->at, "'%s' is declared here", opaque->name);
		}
	}
	if (dd->policy == RECOVER_RESTORE && dd->checkpoint_every == 0)
		diag_error(dd->policy_at, "'on_fault restore' needs 'checkpoint every N batches'");

	for (name_ref *e = dd->emits; e; e = e->next) {
		decl *s = sema_lookup(m, e->qualifier, e->name, e->at, "sink");
		if (s && s->kind != DECL_SINK)
			sema_wrong_kind(e->at, s, "a sink");
		else
			e->decl = s;
	}
	sema_resolve_label(m, dd->clearance);
	for (declassify *dc = dd->declassify; dc; dc = dc->next) {
		if (!sema_resolve_label(m, dc->from) || !sema_resolve_label_in(m, dc->to, dc->from->lattice))
			continue;
		lattice *lat = dc->from->lattice;
		if (dc->to->lattice != lat) {
			diag_error(dc->to->at, "declassify crosses lattices: '%s' is in '%s', the target in '%s'",
			           dc->from->name ? dc->from->name : "{...}", lat->decl->name,
			           dc->to->lattice->decl->name);
			continue;
		}
		/* (an order that is not a lattice has no tables; it was reported) */
		bool lowers = dc->from->id != dc->to->id && (lat->is_powerset || lat->above) &&
		              lattice_leq(lat, dc->to->id, dc->from->id);
		if (!lowers)
			diag_error(dc->at, "declassify must lower a label: the target is not below the source");
	}
}

void sema_check_types(module *m)
{
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_INTERFACE)
			resolve_base(m, d);
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_STRUCT)
			check_struct(m, d);
	find_opaque_reach(m);
	for (decl *d = m->decls; d; d = d->next) {
		switch (d->kind) {
		case DECL_INTERFACE:
			check_interface(m, d);
			break;
		case DECL_DOMAIN:
			check_domain(m, d);
			break;
		case DECL_SINK:
			sema_resolve_label(m, d->u.sink.bound);
			break;
		default:
			break;
		}
	}
	check_recursion(m);
}
