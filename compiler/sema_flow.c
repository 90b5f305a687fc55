/*
 * sema_flow.c - the static information-flow check over the declared wiring.
 *
 * For every sink a stage feeds or a domain `emits` to, pdlc computes which
 * labels of the sink's lattice can reach it and rejects the program when one
 * is not below the sink's bound, printing the flow hop by hop, source first.
 *
 * The model, per lattice L and per domain E:
 *   local(E)   what E holds by declaration or can be handed: the labels on
 *              the parameters of its interface's methods (any client may
 *              call them) and on what those parameters' types hold, what
 *              its state holds, and what comes back from every interface E
 *              can call - results and inout parameters, their types' labels;
 *   reach(E)   the interfaces E can call: those of the rrefs its parameters
 *              and state hold, and, transitively, of the rrefs their methods
 *              return;
 *   callee(E)  what the domains that implement an interface in reach(E) can
 *              hold and pass back: the run time joins a callee's floating
 *              label into every result;
 *   raw(S)     for a stage S running E: local(E) joined with callee(E) and
 *              out(P) for every edge P -> S (rx contributes nothing);
 *   held       raw met with E's clearance - the run time refuses any call or
 *              result that would lift E above it;
 *   out        the join of B over E's `declassify A -> B` rules with held <= A
 *              (any of them may be used), or held when none applies;
 *   any(E)     what E can pass on in any context: out of (local, callee and
 *              every stage that runs it), met with the clearance.
 * any(E) feeds callee(F) of the domains that can call E, so these are a
 * least fixpoint over domains and stages, found by repeating the pass until
 * nothing changes; values only rise (each is accumulated by joins), so the
 * repetition ends within the lattice's height times the number of domains.
 * A stage's edge to a sink is checked with its out, a domain's `emits` with
 * its any.  The sources of the static labels are sema_facts.c's facts.
 *
 * Why a join exceeds the bound is always one contribution that exceeds it,
 * so the path is found by following, from the sink back, one contribution
 * above the bound at a time: a declared source, or a callee, or a stage's
 * predecessor.  The path is collected and printed source first; nothing
 * here recurses over the input.
 *
 * What is not covered: flows inside a domain's own C code, and labeled<T>
 * values, whose labels exist only at run time (checked there); rrefs a
 * domain gets outside the .pdl (its init's argument) are unknown here, and
 * the run time checks every call through them.
 */
#include "sema.h"

#include <string.h>

#include "diag.h"
#include "symtab.h"

/* A domain of the check (this module's and its imports'). */
typedef struct flow_dom {
	decl *d;
	decl_list *reach;               /* interfaces it can call */
	uint32_t *callees, n_callees;   /* domains implementing one of them */
	uint32_t local, staged, any;    /* per lattice, see above */
} flow_dom;

typedef struct stage_flow {
	uint32_t raw, held, out;
	edge **in;                      /* edges from stages into this one */
	uint32_t n_in;
} stage_flow;

typedef struct flow {
	const lattice *l;
	flow_dom *doms;
	uint32_t n;
} flow;

static uint32_t in_lattice(const lattice *l, const label_set *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->items[i].lat == l)
			return s->items[i].id;
	return l->bottom;
}

static const char *decl_key(const decl *d)
{
	return ast_printf("%s.%s", d->module->name, d->name);
}

/* ---- who can call whom ---- */

static bool implements(const decl *have, const decl *want)
{
	for (int hops = 0; have && hops < 1000; have = have->u.iface.base, hops++)
		if (have == want)
			return true;
	return false;
}

/* Iterates over an interface's methods, its bases' included. */
#define FOR_EACH_METHOD(start, f)                                                   \
	for (const decl *i_ = (start); i_; i_ = i_->u.iface.base)                    \
		for (const method *f = i_->u.iface.methods; f; f = f->next)

static decl_list *reach_of(const decl *dom)
{
	const domain_decl *dd = &dom->u.domain;
	decl_list *reach = NULL;
	if (dd->iface)
		FOR_EACH_METHOD(dd->iface, f)
			for (const param *p = f->params; p; p = p->next)
				sema_type_rrefs(&reach, p->type);
	if (dd->state)
		sema_type_rrefs(&reach, dd->state);
	/* A worklist: every interface added is looked at once, for the rrefs
	 * its methods hand back (added at the front, so before the cursor). */
	symtab *seen = symtab_new();
	decl_list *todo = NULL;
	for (decl_list *x = reach; x; x = x->next)
		if (!symtab_insert(seen, decl_key(x->d), x->d)) {
			decl_list *t = AST_NEW(decl_list);
			*t = (decl_list){ x->d, todo };
			todo = t;
		}
	while (todo) {
		decl *j = todo->d;
		todo = todo->next;
		decl_list *more = NULL;
		FOR_EACH_METHOD(j, f) {
			if (f->result)
				sema_type_rrefs(&more, f->result);
			for (const param *p = f->params; p; p = p->next)
				if (p->mode == MODE_INOUT)
					sema_type_rrefs(&more, p->type);
		}
		for (decl_list *x = more; x; x = x->next)
			if (!symtab_insert(seen, decl_key(x->d), x->d)) {
				decl_list *r = AST_NEW(decl_list), *t = AST_NEW(decl_list);
				*r = (decl_list){ x->d, reach };
				reach = r;
				*t = (decl_list){ x->d, todo };
				todo = t;
			}
	}
	return reach;
}

static void add_domains(flow *fl, module *from, symtab *seen)
{
	for (decl *d = from ? from->decls : NULL; d; d = d->next)
		if (d->kind == DECL_DOMAIN && d->u.domain.iface && !symtab_insert(seen, decl_key(d), d)) {
			if (fl->n % 64 == 0) {
				flow_dom *grown = ast_alloc((fl->n + 64) * sizeof(*grown));
				if (fl->n)
					memcpy(grown, fl->doms, fl->n * sizeof(*grown));
				fl->doms = grown;
			}
			fl->doms[fl->n++] = (flow_dom){ .d = d };
		}
}

/* The domains of the check, who can call whom; once per module. */
static void build_domains(flow *fl, module *m)
{
	symtab *seen = symtab_new();
	add_domains(fl, m, seen);
	for (import *imp = m->imports; imp; imp = imp->next)
		add_domains(fl, imp->module, seen);
	for (uint32_t i = 0; i < fl->n; i++) {
		fl->doms[i].d->flow_graph = fl;
		fl->doms[i].d->flow_index = i;
		fl->doms[i].reach = reach_of(fl->doms[i].d);
	}
	for (uint32_t i = 0; i < fl->n; i++) {
		flow_dom *e = &fl->doms[i];
		uint32_t cap = 0;
		for (decl_list *j = e->reach; j; j = j->next)
			for (uint32_t k = 0; k < fl->n; k++) {
				if (!implements(fl->doms[k].d->u.domain.iface, j->d))
					continue;
				if (e->n_callees == cap) {
					cap = cap ? 2 * cap : 4;
					uint32_t *grown = ast_alloc(cap * sizeof(uint32_t));
					if (e->n_callees)
						memcpy(grown, e->callees, e->n_callees * sizeof(uint32_t));
					e->callees = grown;
				}
				e->callees[e->n_callees++] = k;
			}
	}
}

static flow_dom *dom_of(flow *fl, const decl *d)
{
	return d && d->flow_graph == fl ? &fl->doms[d->flow_index] : NULL;
}

/* ---- the labels, per lattice ---- */

static uint32_t local_label(const lattice *l, const flow_dom *e)
{
	const domain_decl *dd = &e->d->u.domain;
	uint32_t x = in_lattice(l, &dd->state_labels);
	FOR_EACH_METHOD(dd->iface, f)
		x = lattice_join(l, x, in_lattice(l, &f->args_labels));
	for (decl_list *j = e->reach; j; j = j->next)
		FOR_EACH_METHOD(j->d, f)
			x = lattice_join(l, x, in_lattice(l, &f->result_labels));
	return x;
}

static uint32_t clear(const lattice *l, const decl *d, uint32_t x)
{
	const label_ref *c = d->u.domain.clearance;
	return c && c->lattice == l ? lattice_meet(l, x, c->id) : x;
}

/* What a domain holding `held` passes on: any declassification may be used. */
static uint32_t declassified(const lattice *l, const decl *d, uint32_t held, const declassify **used)
{
	uint32_t out = held;
	bool any = false;
	*used = NULL;
	for (const declassify *dc = d->u.domain.declassify; dc; dc = dc->next) {
		if (dc->from->lattice != l || dc->to->lattice != l || !lattice_leq(l, held, dc->from->id))
			continue;
		out = any ? lattice_join(l, out, dc->to->id) : dc->to->id;
		any = true;
		if (*used == NULL || !lattice_leq(l, dc->to->id, (*used)->to->id))
			*used = dc;
	}
	return out;
}

static uint32_t callee_label(const flow *fl, const flow_dom *e)
{
	uint32_t x = fl->l->bottom;
	for (uint32_t k = 0; k < e->n_callees; k++)
		x = lattice_join(fl->l, x, fl->doms[e->callees[k]].any);
	return x;
}

/* One stage, from its domain and its predecessors' outs. */
static void compute_stage(flow *fl, stage_flow *flows, stage *st)
{
	const lattice *l = fl->l;
	stage_flow *sf = &flows[st->index];
	flow_dom *e = dom_of(fl, st->domain);
	uint32_t raw = e ? lattice_join(l, e->local, callee_label(fl, e)) : l->bottom;
	for (uint32_t i = 0; i < sf->n_in; i++)
		raw = lattice_join(l, raw, flows[sf->in[i]->from_stage->index].out);
	const declassify *used;
	sf->raw = raw;
	sf->held = clear(l, st->domain, raw);
	sf->out = declassified(l, st->domain, sf->held, &used);
	if (e)
		e->staged = lattice_join(l, e->staged, raw);
}

static stage_flow *pipeline_flows(decl *p)
{
	pipeline_decl *pl = &p->u.pipeline;
	stage_flow *flows = ast_alloc((pl->n_order + 1) * sizeof(*flows));
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
	return flows;
}

/* A pipeline the check can run over: ordered, every stage's domain known. */
static bool checkable(const decl *p)
{
	const pipeline_decl *pl = &p->u.pipeline;
	if (pl->n_order == 0)
		return false;
	for (uint32_t i = 0; i < pl->n_order; i++)
		if (pl->order[i]->domain == NULL)
			return false;
	return true;
}

/* Every domain's any and every stage's flow, to the fixpoint. */
static void solve(flow *fl, module *m, stage_flow **flows)
{
	const lattice *l = fl->l;
	for (uint32_t i = 0; i < fl->n; i++) {
		flow_dom *e = &fl->doms[i];
		e->local = local_label(l, e);
		e->staged = l->bottom;
		e->any = l->bottom;
	}
	for (bool changed = true; changed;) {
		changed = false;
		uint32_t k = 0;
		for (decl *p = m->decls; p; p = p->next)
			if (p->kind == DECL_PIPELINE && checkable(p)) {
				for (uint32_t i = 0; i < p->u.pipeline.n_order; i++)
					compute_stage(fl, flows[k], p->u.pipeline.order[i]);
				k++;
			}
		for (uint32_t i = 0; i < fl->n; i++) {
			flow_dom *e = &fl->doms[i];
			const declassify *used;
			uint32_t raw = lattice_join(l, lattice_join(l, e->local, callee_label(fl, e)), e->staged);
			uint32_t any = lattice_join(l, e->any, declassified(l, e->d, clear(l, e->d, raw), &used));
			changed |= any != e->any;
			e->any = any;
		}
	}
}

/* ---- explaining a violation ---- */

/*
 * Which contribution to follow: one above the bound explains a violation,
 * and one that covers what is being explained (the label reported, or the
 * label of the hop it came through) explains it best.  Each step first
 * looks for a covering contribution, then for any above the bound.
 */
typedef struct need {
	const lattice *l;
	uint32_t bound, want;
	bool cover;
} need;

static bool wanted(const need *n, uint32_t x)
{
	return n->cover ? lattice_leq(n->l, n->want, x) : !lattice_leq(n->l, x, n->bound);
}

/* One hop of the path, printed source first once the path is complete. */
typedef struct hop {
	loc at;
	const char *text;
} hop;

typedef struct path {
	hop *hops;
	uint32_t n, cap;
} path;

static void add_hop(path *p, loc at, const char *text)
{
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? 2 * p->cap : 16;
		hop *grown = ast_alloc(cap * sizeof(*grown));
		if (p->n)
			memcpy(grown, p->hops, p->n * sizeof(*grown));
		p->hops = grown;
		p->cap = cap;
	}
	p->hops[p->n++] = (hop){ at, text };
}

/* A wanted field in what a value of type T reaches (breadth first, each
 * struct once), with the struct it is in; NULL when none. */
static const field *field_above(const need *n, const type *t, const decl **in)
{
	const lattice *l = n->l;
	symtab *seen = symtab_new();
	const decl **queue = NULL;
	uint32_t head = 0, tail = 0, cap = 0;
	for (;;) {
		for (const type *u = t; u; u = u->elem) {
			if (u->kind != TYPE_NAMED || u->decl == NULL || u->decl->kind != DECL_STRUCT ||
			    symtab_insert(seen, decl_key(u->decl), u->decl))
				continue;
			if (tail == cap) {
				cap = cap ? 2 * cap : 16;
				const decl **grown = ast_alloc(cap * sizeof(*grown));
				if (tail)
					memcpy(grown, queue, tail * sizeof(*grown));
				queue = grown;
			}
			queue[tail++] = u->decl;
		}
		t = NULL;
		if (head == tail)
			return NULL;
		const decl *s = queue[head++];
		for (const field *f = s->u.struct_.fields; f; f = f->next) {
			if (f->label && f->label->lattice == l && wanted(n, f->label->id)) {
				*in = s;
				return f;
			}
		}
		/* then the structs its fields reach: queued by the next round */
		for (const field *f = s->u.struct_.fields; f; f = f->next)
			for (const type *u = f->type; u; u = u->elem)
				if (u->kind == TYPE_NAMED && u->decl && u->decl->kind == DECL_STRUCT &&
				    !symtab_insert(seen, decl_key(u->decl), u->decl)) {
					if (tail == cap) {
						cap = 2 * cap;
						const decl **grown = ast_alloc(cap * sizeof(*grown));
						memcpy(grown, queue, tail * sizeof(*grown));
						queue = grown;
					}
					queue[tail++] = u->decl;
				}
	}
}

/*
 * A label above BOUND declared on LABEL itself or on a field of what a value
 * of type T reaches: one hop, "WHAT is 'L' in domain 'D'" or "field 'S.f'
 * of WHAT is ...".
 */
static bool declared_above(path *p, const need *n, const label_ref *label,
                           const type *t, const char *what, const char *dom)
{
	const lattice *l = n->l;
	if (label && label->lattice == l && wanted(n, label->id)) {
		add_hop(p, label->at, ast_printf("%s '%s' in domain '%s'", what, lattice_label_name(l, label->id), dom));
		return true;
	}
	const decl *in;
	const field *f = t ? field_above(n, t, &in) : NULL;
	if (f == NULL)
		return false;
	add_hop(p, f->label->at, ast_printf("field '%s.%s' of %s '%s' in domain '%s'", in->name, f->name,
	                                    what, lattice_label_name(l, f->label->id), dom));
	return true;
}

/* A declared source above BOUND in E's local label, as one hop. */
static bool local_reason(path *p, const need *n, const flow_dom *e)
{
	const domain_decl *dd = &e->d->u.domain;
	const char *dom = e->d->name;
	FOR_EACH_METHOD(dd->iface, f)
		for (const param *q = f->params; q; q = q->next)
			if (declared_above(p, n, q->label, q->type,
			                   ast_printf("parameter '%s' of %s.%s, which any client may call, is",
			                              q->name, i_->name, f->name), dom))
				return true;
	if (dd->state && declared_above(p, n, NULL, dd->state, "the state holds", dom))
		return true;
	for (decl_list *j = e->reach; j; j = j->next)
		FOR_EACH_METHOD(j->d, f) {
			const char *via = ast_printf("results of %s.%s, which the domain can call through "
			                             "an rref, are", i_->name, f->name);
			if (f->result && declared_above(p, n, f->result_label, f->result, via, dom))
				return true;
			for (const param *q = f->params; q; q = q->next)
				if (q->mode == MODE_INOUT &&
				    declared_above(p, n, q->label, q->type, ast_printf(
				            "inout parameter '%s' of %s.%s, which the domain can call, comes back",
				            q->name, i_->name, f->name), dom))
					return true;
		}
	return false;
}

/* The callee of E that can pass back a wanted label, or NULL. */
static flow_dom *callee_reason(path *p, flow *fl, const need *n, const flow_dom *e)
{
	const lattice *l = fl->l;
	for (uint32_t k = 0; k < e->n_callees; k++) {
		flow_dom *f = &fl->doms[e->callees[k]];
		if (!wanted(n, f->any))
			continue;
		const decl *via = NULL;
		for (decl_list *j = e->reach; j && !via; j = j->next)
			if (implements(f->d->u.domain.iface, j->d))
				via = j->d;
		add_hop(p, e->d->at, ast_printf("domain '%s' can call domain '%s' through an rref<%s>, "
		        "and every result carries what '%s' holds: '%s'", e->d->name, f->d->name,
		        via ? via->name : "?", f->d->name, lattice_label_name(l, f->any)));
		return f;
	}
	return NULL;
}

/* A stage of a pipeline of this module running E whose raw is wanted. */
static stage *stage_reason(flow *fl, module *m, stage_flow **flows, const need *n,
                           const flow_dom *e, stage_flow **sf_out)
{
	uint32_t k = 0;
	for (decl *p = m->decls; p; p = p->next) {
		if (p->kind != DECL_PIPELINE || !checkable(p))
			continue;
		for (uint32_t i = 0; i < p->u.pipeline.n_order; i++) {
			stage *st = p->u.pipeline.order[i];
			if (dom_of(fl, st->domain) == e && wanted(n, flows[k][i].raw)) {
				*sf_out = flows[k];
				return st;
			}
		}
		k++;
	}
	return NULL;
}

/*
 * Follows, from a stage (st, with its pipeline's flows) or a domain (e), one
 * contribution above BOUND at a time to its source, collecting the hops;
 * WANT is the label being explained (it becomes the label of each hop
 * followed).  At each step a contribution that covers WANT is preferred -
 * a declared source, a callee, a predecessor, in that order - over one
 * that is only above the bound.  Visited stages and domains are not
 * followed twice, so this ends.
 */
static void trace(path *p, flow *fl, module *m, stage_flow **all, uint32_t bound, uint32_t want,
                  stage *st, stage_flow *flows, flow_dom *e)
{
	const lattice *l = fl->l;
	symtab *visited = symtab_new();
	for (int steps = 0; steps < 1000000; steps++) {
		if (st) {
			/* Hops are printed last first: the stage's own hop goes in
			 * before the reason found for it, and out again if none is. */
			stage_flow *sf = &flows[st->index];
			flow_dom *se = dom_of(fl, st->domain);
			if (se == NULL || symtab_insert(visited, ast_printf("s%p", (void *)st), st))
				return;
			add_hop(p, st->at, ast_printf("stage '%s' runs domain '%s' and so holds '%s'",
			                              st->name, st->domain->name, lattice_label_name(l, sf->held)));
			flow_dom *f = NULL;
			const edge *in = NULL;
			for (int cover = 1; cover >= 0; cover--) {
				need n = { l, bound, want, cover };
				if (local_reason(p, &n, se))
					return;
				if ((f = callee_reason(p, fl, &n, se)) != NULL)
					break;
				for (uint32_t i = 0; i < sf->n_in && !in; i++)
					if (wanted(&n, flows[sf->in[i]->from_stage->index].out))
						in = sf->in[i];
				if (in)
					break;
			}
			if (f) {
				want = f->any;
				st = NULL;
				e = f;
				continue;
			}
			p->n--;
			if (in == NULL)
				return;
			add_hop(p, in->to_at, ast_printf("'%s' -> '%s' passes '%s' on", in->from, in->to,
			                                 lattice_label_name(l, flows[in->from_stage->index].out)));
			want = flows[in->from_stage->index].out;
			st = in->from_stage;
			continue;
		}
		if (e == NULL || symtab_insert(visited, decl_key(e->d), e))
			return;
		flow_dom *f = NULL;
		stage *s = NULL;
		stage_flow *sflows = NULL;
		for (int cover = 1; cover >= 0 && !f && !s; cover--) {
			need n = { l, bound, want, cover };
			if (local_reason(p, &n, e))
				return;
			if ((f = callee_reason(p, fl, &n, e)) == NULL)
				s = stage_reason(fl, m, all, &n, e, &sflows);
		}
		if (f) {
			want = f->any;
			e = f;
			continue;
		}
		if (s == NULL)
			return;
		add_hop(p, s->at, ast_printf("domain '%s' runs as stage '%s'", e->d->name, s->name));
		want = sflows[s->index].raw;
		st = s;
		flows = sflows;
		e = NULL;
	}
}

static void print_path(const path *p)
{
	for (uint32_t i = p->n; i-- > 0;)
		diag_note(p->hops[i].at, "%s", p->hops[i].text);
}

/* ---- the checks ---- */

/* A stage's edges to sinks, and to tx when the pipeline bounds it (`tx @L;`:
 * the network is an output too). */
static void check_stage_sinks(flow *fl, module *m, stage_flow **all, decl *pd, stage_flow *flows)
{
	const lattice *l = fl->l;
	for (edge *e = pd->u.pipeline.edges; e; e = e->next) {
		if ((e->to_sink == NULL && !e->to_tx) || e->from_stage == NULL)
			continue;
		const label_ref *bound = e->to_sink ? e->to_sink->u.sink.bound : pd->u.pipeline.tx_bound;
		const char *what = e->to_sink ? ast_printf("sink '%s'", e->to_sink->name) : "tx";
		if (bound == NULL || bound->lattice != l)
			continue;
		const stage_flow *sf = &flows[e->from_stage->index];
		if (lattice_leq(l, sf->out, bound->id))
			continue;
		diag_error(e->to_at, "'%s' can reach %s, whose bound is '%s'", lattice_label_name(l, sf->out),
		           what, lattice_label_name(l, bound->id));
		path p = { 0 };
		const declassify *used;
		declassified(l, e->from_stage->domain, sf->held, &used);
		if (used)
			add_hop(&p, used->at, ast_printf("stage '%s' (domain '%s') may declassify to '%s'",
			                                 e->from_stage->name, e->from_stage->domain->name,
			                                 lattice_label_name(l, sf->out)));
		else
			trace(&p, fl, m, all, bound->id, sf->out, e->from_stage, flows, NULL);
		print_path(&p);
		diag_note(e->to_at, e->to_sink ? "'%s' -> '%s' emits it to the sink"
		                               : "'%s' -> '%s' sends it out in the packets", e->from, e->to);
		diag_note(bound->at, "%s is bounded by '%s' here", what, lattice_label_name(l, bound->id));
	}
}

static void check_emits(flow *fl, module *m, stage_flow **all, flow_dom *e)
{
	const lattice *l = fl->l;
	const domain_decl *dd = &e->d->u.domain;
	for (const name_ref *s = dd->emits; s; s = s->next) {
		const decl *sink = s->decl;
		const label_ref *bound = sink ? sink->u.sink.bound : NULL;
		if (bound == NULL || bound->lattice != l || lattice_leq(l, e->any, bound->id))
			continue;
		diag_error(s->at, "'%s' can reach sink '%s', whose bound is '%s'", lattice_label_name(l, e->any),
		           sink->name, lattice_label_name(l, bound->id));
		path p = { 0 };
		trace(&p, fl, m, all, bound->id, e->any, NULL, NULL, e);
		print_path(&p);
		const declassify *used;
		uint32_t held = clear(l, e->d, lattice_join(l, lattice_join(l, e->local, callee_label(fl, e)),
		                                            e->staged));
		declassified(l, e->d, held, &used);
		diag_note(s->at, "domain '%s' emits what it holds to sink '%s'%s", e->d->name, sink->name,
		          used ? "" : " (it declares no declassification that applies)");
		diag_note(bound->at, "sink '%s' is bounded by '%s' here", sink->name,
		          lattice_label_name(l, bound->id));
	}
}

/* The lattices that bound a sink this module's stages or domains write. */
static void note_lattice(const lattice **ls, uint32_t *n, const label_ref *bound)
{
	if (bound == NULL || bound->lattice == NULL || bound->lattice->n_labels == 0)
		return;
	for (uint32_t i = 0; i < *n; i++)
		if (ls[i] == bound->lattice)
			return;
	ls[(*n)++] = bound->lattice;
}

void sema_check_flows(module *m)
{
	uint32_t n_sinks = 0, n_pipelines = 0;
	for (decl *d = m->decls; d; d = d->next) {
		if (d->kind == DECL_PIPELINE) {
			n_pipelines++;
			for (edge *e = d->u.pipeline.edges; e; e = e->next)
				n_sinks += e->to_sink != NULL || (e->to_tx && d->u.pipeline.tx_bound);
		} else if (d->kind == DECL_DOMAIN) {
			for (const name_ref *s = d->u.domain.emits; s; s = s->next)
				n_sinks++;
		}
	}
	if (n_sinks == 0)
		return;
	const lattice **lattices = ast_alloc((n_sinks + n_pipelines) * sizeof(*lattices));   /* (tx bounds) */
	uint32_t n_lattices = 0;
	for (decl *d = m->decls; d; d = d->next) {
		if (d->kind == DECL_PIPELINE) {
			for (edge *e = d->u.pipeline.edges; e; e = e->next)
				if (e->to_sink)
					note_lattice(lattices, &n_lattices, e->to_sink->u.sink.bound);
			note_lattice(lattices, &n_lattices, d->u.pipeline.tx_bound);
		} else if (d->kind == DECL_DOMAIN) {
			for (const name_ref *s = d->u.domain.emits; s; s = s->next)
				if (s->decl)
					note_lattice(lattices, &n_lattices, s->decl->u.sink.bound);
		}
	}

	flow fl = { 0 };
	build_domains(&fl, m);
	stage_flow **flows = ast_alloc((n_pipelines + 1) * sizeof(*flows));
	uint32_t k = 0;
	for (decl *p = m->decls; p; p = p->next)
		if (p->kind == DECL_PIPELINE && checkable(p))
			flows[k++] = pipeline_flows(p);
	for (uint32_t i = 0; i < n_lattices; i++) {
		fl.l = lattices[i];
		solve(&fl, m, flows);
		k = 0;
		for (decl *p = m->decls; p; p = p->next)
			if (p->kind == DECL_PIPELINE && checkable(p))
				check_stage_sinks(&fl, m, flows, p, flows[k++]);
		for (uint32_t j = 0; j < fl.n; j++)
			if (fl.doms[j].d->module == m)
				check_emits(&fl, m, flows, &fl.doms[j]);
	}
	for (uint32_t j = 0; j < fl.n; j++)
		fl.doms[j].d->flow_graph = NULL;
}
