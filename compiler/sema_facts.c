/*
 * sema_facts.c - what each struct's values hold, computed once for every
 * emitter, and the checks on how types are passed that follow from it.
 *
 * Facts per struct (ast.h, struct_facts):
 *   pointer_via      a field through which its value holds own, shared,
 *                    vec or bytes (by value: arrays, labeled, nested structs)
 *   owns_children    it reaches heap objects it owns (own, vec, bytes), through
 *                    by-value and owned fields: what a whole-value move hands over
 *   shared_via       a field through which it reaches `shared` without crossing
 *                    another shared pointer: why it cannot move
 *   reaches_labeled  a labeled<> anywhere in what it reaches
 *   labels           the @labels of every field it reaches, through any field
 * Each is a union over what a struct reaches, so structs are nodes of a
 * graph and the facts a least fixpoint.  They are found by propagation
 * backwards along a worklist: a struct whose facts grew hands them to the
 * structs that refer to it.  Booleans change once and a label only rises
 * through its lattice, so the work is linear in fields times lattice
 * heights, with no recursion however long the chains of structs.  Imported
 * structs were done with their module.
 *
 * The checks: a `move T` hands over everything T owns, so T may not reach
 * `shared` objects (their other references stay with the sender); `inout`
 * and a result that is not moved are copied between caller and callee, so
 * they must be plain data (a pointer in them would name memory of the
 * other side) - except the `bytes` result protocol, where the callee
 * copies into the caller's buffer.
 */
#include "sema.h"

#include <string.h>

#include "diag.h"

/* How a field reaches the struct at the end of its type chain. */
enum reach { BY_VALUE, OWNED, SHARED_PTR };

typedef struct referrer {
	uint32_t from;          /* index of the referring struct */
	enum reach how;
	const field *via;
	struct referrer *next;
} referrer;

typedef struct graph {
	decl **structs;
	uint32_t n;
	referrer **referrers;   /* per struct: who refers to it */
	uint32_t *queue;        /* circular over n slots: a struct is in it at most once */
	bool *queued;
	uint32_t head, count;
} graph;

/* The struct a type chain ends at, and how it is reached. */
static decl *chain_target(const type *t, enum reach *how)
{
	*how = BY_VALUE;
	for (; t; t = t->elem) {
		if (t->kind == TYPE_SHARED)
			*how = SHARED_PTR;
		else if ((t->kind == TYPE_OWN || t->kind == TYPE_VEC) && *how == BY_VALUE)
			*how = OWNED;
		if (t->kind == TYPE_NAMED)
			return t->decl && t->decl->kind == DECL_STRUCT ? t->decl : NULL;
	}
	return NULL;
}

/* Adds d to the set; true if it was not there.  Sets are short (the
 * interfaces one struct can hold rrefs to), so a scan will do. */
static bool decl_set_add(decl_list **set, decl *d)
{
	for (decl_list *x = *set; x; x = x->next)
		if (x->d == d)
			return false;
	decl_list *n = AST_NEW(decl_list);
	n->d = d;
	n->next = *set;
	*set = n;
	return true;
}

/* What a field's own type chain brings, before any struct it leads to. */
static void local_facts(struct_facts *f, const field *fld)
{
	bool shared = false;
	if (fld->label && fld->label->lattice)
		label_set_add(&f->labels, fld->label->lattice, fld->label->id);
	for (const type *t = fld->type; t; t = t->elem) {
		switch (t->kind) {
		case TYPE_SHARED:
			if (!shared && f->shared_via == NULL)
				f->shared_via = fld;
			shared = true;
			/* fall through */
		case TYPE_OWN:
		case TYPE_VEC:
		case TYPE_BYTES:
			if (f->pointer_via == NULL)
				f->pointer_via = fld;
			if (!shared && t->kind != TYPE_SHARED)
				f->owns_children = true;
			break;
		case TYPE_LABELED:
			f->reaches_labeled = true;
			break;
		case TYPE_RREF:
			if (t->decl)
				decl_set_add(&f->rrefs, t->decl);
			break;
		default:
			break;
		}
	}
}

static void enqueue(graph *g, uint32_t i)
{
	if (g->queued[i])
		return;
	g->queued[i] = true;
	g->queue[(g->head + g->count++) % g->n] = i;
}

/* Adds what target holds to what from holds, as reached `how`; true if it grew. */
static bool absorb(struct_facts *from, const struct_facts *target, enum reach how, const field *via)
{
	bool grew = false;
	if (how == BY_VALUE && target->pointer_via && from->pointer_via == NULL) {
		from->pointer_via = via;
		grew = true;
	}
	if (how != SHARED_PTR && target->owns_children && !from->owns_children) {
		from->owns_children = true;
		grew = true;
	}
	if (how != SHARED_PTR && target->shared_via && from->shared_via == NULL) {
		from->shared_via = via;
		grew = true;
	}
	if (target->reaches_labeled && !from->reaches_labeled) {
		from->reaches_labeled = true;
		grew = true;
	}
	grew |= label_set_union(&from->labels, &target->labels);
	for (decl_list *x = target->rrefs; x; x = x->next)
		grew |= decl_set_add(&from->rrefs, x->d);
	return grew;
}

static void compute_struct_facts(module *m)
{
	graph g = { 0 };
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_STRUCT) {
			d->flow_index = g.n;     /* (sema_flow.c reuses it later, keyed) */
			d->flow_graph = &g;
			g.n++;
		}
	if (g.n == 0)
		return;
	g.structs = ast_alloc(g.n * sizeof(decl *));
	g.referrers = ast_alloc(g.n * sizeof(referrer *));
	g.queue = ast_alloc(g.n * sizeof(uint32_t));
	g.queued = ast_alloc(g.n * sizeof(bool));
	uint32_t k = 0;
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_STRUCT)
			g.structs[k++] = d;

	/* Local facts, imported targets absorbed at once, edges to the rest. */
	for (uint32_t i = 0; i < g.n; i++) {
		struct_facts *f = &g.structs[i]->u.struct_.facts;
		for (const field *fld = g.structs[i]->u.struct_.fields; fld; fld = fld->next) {
			local_facts(f, fld);
			enum reach how;
			decl *t = chain_target(fld->type, &how);
			if (t == NULL)
				continue;
			if (t->module != m || t->flow_graph != &g) {
				absorb(f, &t->u.struct_.facts, how, fld);
				continue;
			}
			referrer *r = AST_NEW(referrer);
			*r = (referrer){ i, how, fld, g.referrers[t->flow_index] };
			g.referrers[t->flow_index] = r;
		}
		enqueue(&g, i);
	}
	/* Every struct is queued once; one whose facts grow queues its referrers. */
	while (g.count > 0) {
		uint32_t i = g.queue[g.head];
		g.queued[i] = false;
		g.head = (g.head + 1) % g.n;
		g.count--;
		const struct_facts *t = &g.structs[i]->u.struct_.facts;
		for (referrer *r = g.referrers[i]; r; r = r->next)
			if (absorb(&g.structs[r->from]->u.struct_.facts, t, r->how, r->via))
				enqueue(&g, r->from);
	}
	for (uint32_t i = 0; i < g.n; i++)
		g.structs[i]->flow_graph = NULL;
}

/* ---- what a type brings, for parameters and results ---- */

static const struct_facts *facts_of(const type *t)
{
	enum reach how;
	decl *d = chain_target(t, &how);
	return d ? &d->u.struct_.facts : NULL;
}

/* The labels a value of type t holds by declaration. */
static void type_labels(label_set *into, const type *t)
{
	const struct_facts *f = facts_of(t);
	if (f)
		label_set_union(into, &f->labels);
}

void sema_type_rrefs(decl_list **into, const type *t)
{
	for (const type *u = t; u; u = u->elem)
		if (u->kind == TYPE_RREF && u->decl)
			decl_set_add(into, u->decl);
	const struct_facts *f = t ? facts_of(t) : NULL;
	for (decl_list *x = f ? f->rrefs : NULL; x; x = x->next)
		decl_set_add(into, x->d);
}

/* The first pointer a value of type t holds, as a phrase; NULL when plain. */
static const char *pointer_in(const type *t, const field **via)
{
	*via = NULL;
	for (const type *u = t; u; u = u->elem) {
		switch (u->kind) {
		case TYPE_OWN: return "an own pointer";
		case TYPE_SHARED: return "a shared pointer";
		case TYPE_VEC: return "a vec";
		case TYPE_BYTES: return "bytes";
		case TYPE_NAMED:
			if (u->decl && u->decl->kind == DECL_STRUCT && u->decl->u.struct_.facts.pointer_via) {
				*via = u->decl->u.struct_.facts.pointer_via;
				return "pointers";
			}
			return NULL;
		default:
			break;
		}
	}
	return NULL;
}

static void check_plain(const type *t, loc at, const char *what, const char *fix)
{
	const field *via;
	const char *p = pointer_in(t, &via);
	if (p == NULL)
		return;
	diag_error(at, "%s is copied between caller and callee, so it must be plain data, "
	           "but it holds %s%s%s%s", what, p, via ? " (field '" : "", via ? via->name : "",
	           via ? "')" : "");
	if (via)
		diag_note(via->at, "field '%s' is here; %s", via->name, fix);
}

static void check_movable(const type *t, loc at)
{
	const struct_facts *f = facts_of(t);
	if (f == NULL || f->shared_via == NULL)
		return;
	diag_error(at, "a moved value hands over everything it owns, but this one reaches "
	           "shared objects (through field '%s'), whose other references stay behind",
	           f->shared_via->name);
	diag_note(f->shared_via->at, "field '%s' is here: pass the value borrowed, or hold "
	          "the shared object through its own interface", f->shared_via->name);
}

/* A `bytes` or labeled<bytes> result: the callee fills the caller's buffer. */
static bool buffer_result(const type *t)
{
	return t->kind == TYPE_BYTES ||
	       (t->kind == TYPE_LABELED && t->elem && t->elem->kind == TYPE_BYTES);
}

static void method_facts(method *f)
{
	for (const param *p = f->params; p; p = p->next) {
		if (p->type == NULL)
			continue;
		if (p->label && p->label->lattice)
			label_set_add(&f->args_labels, p->label->lattice, p->label->id);
		type_labels(&f->args_labels, p->type);
		if (p->mode == MODE_MOVE)
			check_movable(p->type, p->mode_at);
		if (p->mode == MODE_INOUT) {
			check_plain(p->type, p->mode_at, "an inout argument",
			            "pass it with 'move', or return a new value");
			if (p->label && p->label->lattice)
				label_set_add(&f->result_labels, p->label->lattice, p->label->id);
			type_labels(&f->result_labels, p->type);
		}
	}
	if (f->result == NULL)
		return;
	if (f->result_label && f->result_label->lattice)
		label_set_add(&f->result_labels, f->result_label->lattice, f->result_label->id);
	type_labels(&f->result_labels, f->result);
	if (f->result_moves)
		check_movable(f->result, f->result->at);
	else if (!buffer_result(f->result))
		check_plain(f->result, f->result->at, "a result that is not moved",
		            "return it with 'move'");
}

/*
 * A domain starts holding what its state holds by declaration (the run time
 * starts its label there); a state above the clearance could never be held.
 */
static void domain_facts(decl *d)
{
	domain_decl *dd = &d->u.domain;
	type_labels(&dd->state_labels, dd->state);
	const label_ref *c = dd->clearance;
	if (c == NULL || c->lattice == NULL)
		return;
	for (uint32_t i = 0; i < dd->state_labels.n; i++) {
		const struct label_entry *x = &dd->state_labels.items[i];
		if (x->lat != c->lattice || lattice_leq(c->lattice, x->id, c->id))
			continue;
		diag_error(dd->state_at, "the state of domain '%s' holds '%s', above its clearance '%s'",
		           d->name, lattice_label_name(x->lat, x->id), lattice_label_name(c->lattice, c->id));
		diag_note(c->at, "the clearance is here");
	}
}

void sema_compute_facts(module *m)
{
	compute_struct_facts(m);
	for (decl *d = m->decls; d; d = d->next) {
		if (d->kind == DECL_INTERFACE)
			for (method *f = d->u.iface.methods; f; f = f->next)
				method_facts(f);
		else if (d->kind == DECL_DOMAIN && d->u.domain.state)
			domain_facts(d);
	}
}
