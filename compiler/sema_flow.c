/*
 * sema_flow.c - the static information-flow check over the declared wiring.
 *
 * For every sink a pipeline stage emits to, pdlc computes which labels of
 * the sink's lattice can reach it and rejects the program when one is not
 * below the sink's bound, printing the flow hop by hop, source first (as
 * CQual prints a taint path).
 *
 * The model, per stage S running domain D, in the lattice of the sink:
 *   local(S) = the join of what D can receive without the pipeline:
 *              labels on the parameters of D's interface methods (anyone
 *              may call it), labels on the fields of D's state, and labels
 *              on the results of interfaces D holds an rref to;
 *   raw(S)   = local(S) joined with out(P) for every stage P with an edge
 *              P -> S (rx contributes nothing: packets arrive unlabelled);
 *   held(S)  = raw(S) met with D's clearance, since the run time refuses any
 *              call that would lift D above it;
 *   out(S)   = B when D declares `declassify A -> B` and held(S) <= A,
 *              otherwise held(S).
 * Stages are visited in the pipeline's topological order, so each edge is
 * looked at once per lattice: time linear in stages plus edges.
 *
 * Why a join exceeds the bound is always one contribution that exceeds it
 * (if every part were below the bound, so would their least upper bound
 * be), so the path is found by walking back from the sink, at each stage
 * taking a local source above the bound or else a predecessor above it.
 *
 * What is not covered: flows inside a domain's own C code, and labeled<T>
 * values, whose labels exist only at run time (checked there).
 */
#include "sema.h"

#include <string.h>

#include "diag.h"
#include "symtab.h"

/* Why a label is in a domain: a place in the .pdl and a phrase. */
typedef struct flow_source {
	uint32_t label;
	loc at;
	const char *why;
} flow_source;

typedef struct domain_sources {
	flow_source *items;
	uint32_t n, cap;
} domain_sources;

typedef struct stage_flow {
	uint32_t held, out;
	const declassify *declassified;     /* when out came from one */
	edge **in;                          /* edges from stages into this one */
	uint32_t n_in;
} stage_flow;

/* ---- labels in messages ---- */

static const char *label_name(const lattice *l, uint32_t id)
{
	if (!l->is_powerset)
		return l->label_names[id];
	const char *s = "{";
	for (uint32_t i = 0; i < l->n_names; i++)
		if (id >> i & 1)
			s = ast_printf("%s%s%s", s, s[1] ? ", " : "", l->label_names[i]);
	return ast_printf("%s}", s);
}

/* ---- what a domain can receive without the pipeline ---- */

static const char *decl_key(const decl *d)
{
	return ast_printf("%s.%s", d->module->name, d->name);
}

static void add_source(domain_sources *s, uint32_t label, loc at, const char *why)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? 2 * s->cap : 8;
		flow_source *grown = ast_alloc(cap * sizeof(*grown));
		if (s->n)
			memcpy(grown, s->items, s->n * sizeof(*grown));
		s->items = grown;
		s->cap = cap;
	}
	s->items[s->n++] = (flow_source){ label, at, why };
}

static void add_label(domain_sources *s, const lattice *l, const label_ref *r, const char *why)
{
	if (r && r->lattice == l)
		add_source(s, r->id, r->at, why);
}

static void callee_results(domain_sources *s, const lattice *l, const decl *iface)
{
	for (int hops = 0; iface && hops < 1000; iface = iface->u.iface.base, hops++)
		for (const method *f = iface->u.iface.methods; f; f = f->next)
			add_label(s, l, f->result_label,
			          ast_printf("results of %s.%s, which the domain can call through an rref, are",
			                     iface->name, f->name));
}

/* Labels on the fields of a struct and the structs it reaches, and the
 * results of the interfaces it holds rrefs to.  SEEN stops loops through
 * own and shared. */
static void type_sources(domain_sources *s, const lattice *l, const type *t, symtab *seen)
{
	for (; t; t = t->elem) {
		if (t->kind == TYPE_RREF && t->decl && !symtab_insert(seen, decl_key(t->decl), (void *)t))
			callee_results(s, l, t->decl);
		if (t->kind != TYPE_NAMED || t->decl == NULL || t->decl->kind != DECL_STRUCT)
			continue;
		if (symtab_insert(seen, decl_key(t->decl), (void *)t))
			return;
		for (const field *f = t->decl->u.struct_.fields; f; f = f->next) {
			add_label(s, l, f->label, ast_printf("field '%s.%s' of the state holds",
			                                     t->decl->name, f->name));
			type_sources(s, l, f->type, seen);
		}
	}
}

static void domain_local_sources(domain_sources *s, const lattice *l, const decl *dom)
{
	const domain_decl *dd = &dom->u.domain;
	symtab *seen = symtab_new();
	for (const decl *i = dd->iface; i; i = i->u.iface.base) {
		if (symtab_insert(seen, decl_key(i), (void *)i))
			break;                  /* a base loop, reported by sema_types.c */
		for (const method *f = i->u.iface.methods; f; f = f->next)
			for (const param *p = f->params; p; p = p->next) {
				add_label(s, l, p->label, ast_printf("parameter '%s' of %s.%s, which any "
				          "client may call, is", p->name, i->name, f->name));
				type_sources(s, l, p->type, seen);
			}
	}
	type_sources(s, l, dd->state, seen);
}

/* ---- the same, as labels only: the fast path ----
 *
 * Every struct reachable from a domain is a node whose label is the join of
 * its own fields' labels and its referenced structs' labels (through any
 * field type: by value, own, shared, vec, labeled).  Structs can reach
 * themselves through own and shared, so the labels are a least fixpoint,
 * found by sweeping the nodes until nothing changes; labels only grow and a
 * lattice has finite height, so this ends, in a sweep or two in practice.
 */
typedef struct struct_node {
	uint32_t local, label;
	uint32_t *refs, n_refs, cap_refs;
} struct_node;

typedef struct flow_graph {
	const lattice *l;
	struct_node *nodes;
	decl **decls;
	uint32_t n, cap;
	uint32_t scanned;               /* nodes [0, scanned) have their fields read */
} flow_graph;

static uint32_t results_label(const lattice *l, const decl *iface)
{
	uint32_t label = l->bottom;
	for (int hops = 0; iface && hops < 1000; iface = iface->u.iface.base, hops++)
		for (const method *f = iface->u.iface.methods; f; f = f->next)
			if (f->result_label && f->result_label->lattice == l)
				label = lattice_join(l, label, f->result_label->id);
	return label;
}

static uint32_t node_of(flow_graph *g, decl *d)
{
	if (d->flow_graph == g)
		return d->flow_index;
	if (g->n == g->cap) {
		uint32_t cap = g->cap ? 2 * g->cap : 64;
		struct_node *nodes = ast_alloc(cap * sizeof(*nodes));
		decl **decls = ast_alloc(cap * sizeof(*decls));
		if (g->n) {
			memcpy(nodes, g->nodes, g->n * sizeof(*nodes));
			memcpy(decls, g->decls, g->n * sizeof(*decls));
		}
		g->nodes = nodes;
		g->decls = decls;
		g->cap = cap;
	}
	d->flow_graph = g;
	d->flow_index = g->n;
	g->decls[g->n] = d;
	g->nodes[g->n] = (struct_node){ .local = g->l->bottom, .label = g->l->bottom };
	return g->n++;
}

/* The structs T refers to, as node references of node FROM (or, with FROM
 * negative, just created), and the rref results it brings into *local. */
static void scan_type(flow_graph *g, const type *t, int64_t from, uint32_t *local)
{
	for (; t; t = t->elem) {
		if (t->kind == TYPE_RREF && t->decl)
			*local = lattice_join(g->l, *local, results_label(g->l, t->decl));
		if (t->kind != TYPE_NAMED || t->decl == NULL || t->decl->kind != DECL_STRUCT)
			continue;
		uint32_t to = node_of(g, t->decl);
		if (from < 0)
			continue;
		struct_node *n = &g->nodes[from];
		if (n->n_refs == n->cap_refs) {
			uint32_t cap = n->cap_refs ? 2 * n->cap_refs : 4;
			uint32_t *refs = ast_alloc(cap * sizeof(uint32_t));
			if (n->n_refs)
				memcpy(refs, n->refs, n->n_refs * sizeof(uint32_t));
			n->refs = refs;
			n->cap_refs = cap;
		}
		n->refs[n->n_refs++] = to;
	}
}

/* Reads the fields of every node not read yet, then solves the fixpoint. */
static void solve(flow_graph *g)
{
	if (g->scanned == g->n)
		return;
	for (; g->scanned < g->n; g->scanned++) {
		uint32_t i = g->scanned, local = g->l->bottom;
		for (const field *f = g->decls[i]->u.struct_.fields; f; f = f->next) {
			if (f->label && f->label->lattice == g->l)
				local = lattice_join(g->l, local, f->label->id);
			scan_type(g, f->type, i, &local);
		}
		g->nodes[i].local = local;
	}
	for (bool changed = true; changed;) {
		changed = false;
		for (uint32_t i = g->n; i-- > 0;) {
			struct_node *n = &g->nodes[i];
			uint32_t label = lattice_join(g->l, n->label, n->local);
			for (uint32_t k = 0; k < n->n_refs; k++)
				label = lattice_join(g->l, label, g->nodes[n->refs[k]].label);
			changed |= label != n->label;
			n->label = label;
		}
	}
}

/* The solved label of the struct a type leads to, if any. */
static uint32_t reached_label(const flow_graph *g, const type *t)
{
	uint32_t label = g->l->bottom;
	for (; t; t = t->elem)
		if (t->kind == TYPE_NAMED && t->decl && t->decl->flow_graph == g)
			label = lattice_join(g->l, label, g->nodes[t->decl->flow_index].label);
	return label;
}

/* The label of everything a domain can receive without the pipeline: two
 * walks over its interface and state, one to find the structs and one,
 * after solving, to collect their labels. */
static uint32_t domain_label(flow_graph *g, decl *dom)
{
	const lattice *l = g->l;
	const domain_decl *dd = &dom->u.domain;
	uint32_t label = l->bottom;
	for (int pass = 0; pass < 2; pass++) {
		int hops = 0;
		for (const decl *i = dd->iface; i && hops < 1000; i = i->u.iface.base, hops++)
			for (const method *f = i->u.iface.methods; f; f = f->next)
				for (const param *p = f->params; p; p = p->next) {
					if (pass == 1) {
						label = lattice_join(l, label, reached_label(g, p->type));
						continue;
					}
					if (p->label && p->label->lattice == l)
						label = lattice_join(l, label, p->label->id);
					scan_type(g, p->type, -1, &label);
				}
		if (pass == 0) {
			scan_type(g, dd->state, -1, &label);
			solve(g);
		} else {
			label = lattice_join(l, label, reached_label(g, dd->state));
		}
	}
	return label;
}

/* ---- the forward pass and the path back ---- */

static void compute_stage(stage_flow *flows, flow_graph *g, stage *st)
{
	const lattice *l = g->l;
	stage_flow *sf = &flows[st->index];
	decl *dom = st->domain;
	const domain_decl *dd = &dom->u.domain;
	if (dom->flow_graph != g) {
		dom->flow_graph = g;
		dom->flow_index = domain_label(g, dom);
	}
	uint32_t raw = dom->flow_index;
	for (uint32_t i = 0; i < sf->n_in; i++)
		raw = lattice_join(l, raw, flows[sf->in[i]->from_stage->index].out);
	sf->held = dd->clearance && dd->clearance->lattice == l ? lattice_meet(l, raw, dd->clearance->id) : raw;
	sf->out = sf->held;
	for (const declassify *dc = dd->declassify; dc; dc = dc->next)
		if (dc->from->lattice == l && dc->to->lattice == l && lattice_leq(l, sf->held, dc->from->id)) {
			sf->out = dc->to->id;
			sf->declassified = dc;
			break;
		}
}

/* Prints the notes of the flow that brings a label above BOUND out of ST,
 * source first: recursion goes back to the source before printing. */
static void explain(stage_flow *flows, const lattice *l, const stage *st, uint32_t bound, int depth)
{
	stage_flow *sf = &flows[st->index];
	const char *dom = st->domain->name;
	if (sf->declassified) {
		diag_note(sf->declassified->at, "stage '%s' (domain '%s') declassifies to '%s'", st->name,
		          dom, label_name(l, sf->out));
		return;
	}
	domain_sources sources = { 0 };
	domain_local_sources(&sources, l, st->domain);
	for (uint32_t i = 0; i < sources.n; i++) {
		const flow_source *src = &sources.items[i];
		if (!lattice_leq(l, src->label, bound)) {
			diag_note(src->at, "%s '%s' in domain '%s'", src->why, label_name(l, src->label), dom);
			diag_note(st->at, "stage '%s' runs domain '%s' and so holds '%s'", st->name, dom,
			          label_name(l, sf->held));
			return;
		}
	}
	for (uint32_t i = 0; i < sf->n_in && depth < 100000; i++) {
		const edge *e = sf->in[i];
		const stage *from = e->from_stage;
		if (!lattice_leq(l, flows[from->index].out, bound)) {
			explain(flows, l, from, bound, depth + 1);
			diag_note(e->to_at, "'%s' -> '%s' passes '%s' on", e->from, e->to,
			          label_name(l, flows[from->index].out));
			return;
		}
	}
}

static void check_lattice(decl *p, const lattice *l, stage_flow *flows)
{
	pipeline_decl *pl = &p->u.pipeline;
	flow_graph *g = AST_NEW(flow_graph);
	g->l = l;
	for (uint32_t i = 0; i < pl->n_order; i++) {
		flows[i] = (stage_flow){ 0 };
	}
	for (edge *e = pl->edges; e; e = e->next)
		if (e->from_stage && e->to_stage)
			flows[e->to_stage->index].n_in++;
	for (uint32_t i = 0; i < pl->n_order; i++) {
		flows[i].in = ast_alloc((flows[i].n_in + 1) * sizeof(edge *));
		flows[i].n_in = 0;
	}
	for (edge *e = pl->edges; e; e = e->next)
		if (e->from_stage && e->to_stage) {
			stage_flow *sf = &flows[e->to_stage->index];
			sf->in[sf->n_in++] = e;
		}
	for (uint32_t i = 0; i < pl->n_order; i++)
		compute_stage(flows, g, pl->order[i]);

	for (edge *e = pl->edges; e; e = e->next) {
		if (e->to_sink == NULL || e->from_stage == NULL)
			continue;
		const label_ref *bound = e->to_sink->u.sink.bound;
		if (bound == NULL || bound->lattice != l)
			continue;
		uint32_t out = flows[e->from_stage->index].out;
		if (lattice_leq(l, out, bound->id))
			continue;
		diag_error(e->to_at, "'%s' can reach sink '%s', whose bound is '%s'", label_name(l, out),
		           e->to_sink->name, label_name(l, bound->id));
		explain(flows, l, e->from_stage, bound->id, 0);
		diag_note(e->to_at, "'%s' -> '%s' emits it to the sink", e->from, e->to);
		diag_note(bound->at, "sink '%s' is bounded by '%s' here", e->to_sink->name,
		          label_name(l, bound->id));
	}
}

static void check_pipeline(decl *p)
{
	pipeline_decl *pl = &p->u.pipeline;
	if (pl->n_order == 0)
		return;                 /* empty, or a cycle already reported */
	for (uint32_t i = 0; i < pl->n_order; i++)
		if (pl->order[i]->domain == NULL)
			return;         /* an unknown domain, already reported */
	stage_flow *flows = ast_alloc(pl->n_order * sizeof(*flows));
	/* One pass per lattice that bounds a sink of this pipeline. */
	symtab *done = symtab_new();
	for (edge *e = pl->edges; e; e = e->next) {
		if (e->to_sink == NULL || e->to_sink->u.sink.bound == NULL)
			continue;
		lattice *l = e->to_sink->u.sink.bound->lattice;
		if (l == NULL || l->n_labels == 0 || symtab_insert(done, decl_key(l->decl), l))
			continue;
		check_lattice(p, l, flows);
	}
}

/* A domain that declares `emits SINK;` writes to the sink whatever it holds,
 * after its clearance and declassification: that must be below the bound. */
static void check_emits(decl *dom)
{
	const domain_decl *dd = &dom->u.domain;
	for (const name_ref *e = dd->emits; e; e = e->next) {
		const decl *sink = e->decl;
		const label_ref *bound = sink ? sink->u.sink.bound : NULL;
		if (bound == NULL || bound->lattice == NULL || bound->lattice->n_labels == 0)
			continue;
		const lattice *l = bound->lattice;
		flow_graph *g = AST_NEW(flow_graph);
		g->l = l;
		uint32_t held = domain_label(g, dom);
		if (dd->clearance && dd->clearance->lattice == l)
			held = lattice_meet(l, held, dd->clearance->id);
		uint32_t out = held;
		const declassify *used = NULL;
		for (const declassify *dc = dd->declassify; dc && !used; dc = dc->next)
			if (dc->from->lattice == l && dc->to->lattice == l && lattice_leq(l, held, dc->from->id)) {
				out = dc->to->id;
				used = dc;
			}
		if (lattice_leq(l, out, bound->id))
			continue;
		diag_error(e->at, "'%s' can reach sink '%s', whose bound is '%s'", label_name(l, out),
		           sink->name, label_name(l, bound->id));
		domain_sources sources = { 0 };
		domain_local_sources(&sources, l, dom);
		for (uint32_t i = 0; i < sources.n; i++)
			if (!lattice_leq(l, sources.items[i].label, bound->id)) {
				diag_note(sources.items[i].at, "%s '%s' in domain '%s'", sources.items[i].why,
				          label_name(l, sources.items[i].label), dom->name);
				break;
			}
		diag_note(e->at, "domain '%s' emits what it holds to sink '%s'%s", dom->name, sink->name,
		          used ? "" : " (it declares no declassification that applies)");
		diag_note(bound->at, "sink '%s' is bounded by '%s' here", sink->name,
		          label_name(l, bound->id));
	}
}

void sema_check_flows(module *m)
{
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_PIPELINE)
			check_pipeline(d);
		else if (d->kind == DECL_DOMAIN)
			check_emits(d);
}
