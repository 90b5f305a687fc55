/*
 * sema_pipeline.c - pipelines: stages, edges, and the order stages run in.
 *
 * Packets enter at `rx` and leave at `tx`; stages are instances of domains
 * whose interface extends std.stage; sinks are where labelled data may be
 * emitted.  Edges must run from rx or a stage to a stage, tx or a sink, and
 * the stage graph must be acyclic.  The run order is the topological order
 * from rx (ties broken by declaration order), which for the usual chain
 * `rx -> a -> b -> tx` is simply a, b.
 */
#include "sema.h"

#include <string.h>

#include "diag.h"
#include "symtab.h"

/* What an edge end names. */
typedef struct node {
	enum { NODE_RX, NODE_TX, NODE_STAGE, NODE_SINK } kind;
	stage *stage;
	decl *sink;
} node;

static bool extends_std_stage(const decl *iface)
{
	for (int hops = 0; iface && hops < 1000; iface = iface->u.iface.base, hops++)
		if (strcmp(iface->name, "stage") == 0 && strcmp(iface->module->name, "std") == 0)
			return true;
	return false;
}

static void check_stage(module *m, stage *s)
{
	decl *d = sema_lookup(m, s->domain_qualifier, s->domain_name, s->domain_at, "domain");
	if (d && d->kind != DECL_DOMAIN) {
		sema_wrong_kind(s->domain_at, d, "a domain");
		return;
	}
	s->domain = d;
	if (d && d->u.domain.iface && !extends_std_stage(d->u.domain.iface)) {
		diag_error(s->domain_at, "stage '%s' runs domain '%s', whose interface '%s' does not "
		           "extend std.stage", s->name, d->name, d->u.domain.iface->name);
		diag_note(d->u.domain.iface->at, "declare it as 'interface %s : std.stage'",
		          d->u.domain.iface->name);
	}
}

static bool find_node(module *m, symtab *stages, const char *name, loc at, node *out)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(name, "rx") == 0) {
		out->kind = NODE_RX;
		return true;
	}
	if (strcmp(name, "tx") == 0) {
		out->kind = NODE_TX;
		return true;
	}
	out->stage = symtab_get(stages, name);
	if (out->stage) {
		out->kind = NODE_STAGE;
		return true;
	}
	decl *d = symtab_get(m->symbols, name);
	for (import *imp = m->imports; d == NULL && imp; imp = imp->next)
		if (imp->module && imp->module->symbols)
			d = symtab_get(imp->module->symbols, name);
	if (d == NULL) {
		diag_error(at, "unknown stage or sink '%s'", name);
		return false;
	}
	if (d->kind != DECL_SINK) {
		diag_error(at, "'%s' is a %s: only rx, tx, stages and sinks can be connected",
		           name, decl_kind_name(d->kind));
		diag_note(d->at, "'%s' is defined here", name);
		return false;
	}
	out->kind = NODE_SINK;
	out->sink = d;
	return true;
}

/* The stage graph as linked edge lists, forwards and backwards; an edge
 * index e is stored as e + 1 so that 0 ends a list. */
typedef struct graph {
	uint32_t n, n_edges;
	stage **stages;
	uint32_t *first, *next_of, *to;         /* successors */
	uint32_t *rfirst, *rnext_of, *from;     /* predecessors */
	uint32_t *indegree;
} graph;

static void add_edge(graph *g, uint32_t from, uint32_t to)
{
	uint32_t e = g->n_edges++;
	g->to[e] = to;
	g->next_of[e] = g->first[from];
	g->first[from] = e + 1;
	g->from[e] = from;
	g->rnext_of[e] = g->rfirst[to];
	g->rfirst[to] = e + 1;
	g->indegree[to]++;
}

/* A stage Kahn's algorithm left over still has an unprocessed predecessor;
 * following those must repeat a stage, and the repeat closes a cycle. */
static void report_cycle(decl *p, graph *g)
{
	uint32_t s = 0;
	while (g->indegree[s] == 0)
		s++;
	uint32_t *seen = ast_alloc(g->n * sizeof(uint32_t));
	while (!seen[s]) {
		seen[s] = 1;
		for (uint32_t e = g->rfirst[s]; e; e = g->rnext_of[e - 1])
			if (g->indegree[g->from[e - 1]] != 0) {
				s = g->from[e - 1];
				break;
			}
	}
	diag_error(g->stages[s]->at, "pipeline '%s' has a cycle through stage '%s'", p->name,
	           g->stages[s]->name);
	uint32_t start = s;
	do {
		uint32_t pred = s;
		for (uint32_t e = g->rfirst[s]; e; e = g->rnext_of[e - 1])
			if (g->indegree[g->from[e - 1]] != 0) {
				pred = g->from[e - 1];
				break;
			}
		diag_note(g->stages[pred]->at, "'%s' -> '%s'", g->stages[pred]->name, g->stages[s]->name);
		s = pred;
	} while (s != start);
}

/* Kahn's algorithm over the stages, in declaration order among equals. */
static void order_stages(decl *p, graph *g)
{
	pipeline_decl *pl = &p->u.pipeline;
	pl->order = ast_alloc((g->n + 1) * sizeof(stage *));
	uint32_t *queue = ast_alloc((g->n + 1) * sizeof(uint32_t)), head = 0, tail = 0;
	for (uint32_t i = 0; i < g->n; i++)
		if (g->indegree[i] == 0)
			queue[tail++] = i;
	while (head < tail) {
		uint32_t s = queue[head++];
		pl->order[pl->n_order++] = g->stages[s];
		for (uint32_t e = g->first[s]; e; e = g->next_of[e - 1])
			if (--g->indegree[g->to[e - 1]] == 0)
				queue[tail++] = g->to[e - 1];
	}
	if (pl->n_order != g->n) {
		report_cycle(p, g);
		pl->n_order = 0;
		return;
	}
	for (uint32_t i = 0; i < pl->n_order; i++)
		pl->order[i]->index = i;
}

static void check_pipeline(module *m, decl *p)
{
	pipeline_decl *pl = &p->u.pipeline;
	symtab *stages = symtab_new();
	graph g = { 0 };
	for (stage *s = pl->stages; s; s = s->next) {
		if (strcmp(s->name, "rx") == 0 || strcmp(s->name, "tx") == 0) {
			diag_error(s->at, "'%s' names the pipeline's packet %s; a stage cannot take it",
			           s->name, s->name[0] == 'r' ? "input" : "output");
			continue;
		}
		stage *first = symtab_insert(stages, s->name, s);
		if (first) {
			diag_error(s->at, "duplicate stage '%s' in pipeline '%s'", s->name, p->name);
			diag_note(first->at, "'%s' first declared here", s->name);
			continue;
		}
		s->index = g.n++;
		check_stage(m, s);
	}
	uint32_t n_edges = 0;
	for (edge *e = pl->edges; e; e = e->next)
		n_edges++;
	g.stages = ast_alloc((g.n + 1) * sizeof(stage *));
	g.first = ast_alloc((g.n + 1) * sizeof(uint32_t));
	g.indegree = ast_alloc((g.n + 1) * sizeof(uint32_t));
	g.rfirst = ast_alloc((g.n + 1) * sizeof(uint32_t));
	g.next_of = ast_alloc((n_edges + 1) * sizeof(uint32_t));
	g.to = ast_alloc((n_edges + 1) * sizeof(uint32_t));
	g.rnext_of = ast_alloc((n_edges + 1) * sizeof(uint32_t));
	g.from = ast_alloc((n_edges + 1) * sizeof(uint32_t));
	for (stage *s = pl->stages; s; s = s->next)
		if (symtab_get(stages, s->name) == s)
			g.stages[s->index] = s;

	bool has_rx = false, has_tx = false;
	for (edge *e = pl->edges; e; e = e->next) {
		node from, to;
		bool ok_from = find_node(m, stages, e->from, e->from_at, &from);
		bool ok_to = find_node(m, stages, e->to, e->to_at, &to);
		if (ok_from && from.kind == NODE_TX) {
			diag_error(e->from_at, "nothing can flow out of tx: it is where packets leave");
			ok_from = false;
		} else if (ok_from && from.kind == NODE_SINK) {
			diag_error(e->from_at, "nothing can flow out of sink '%s': it is an output", e->from);
			ok_from = false;
		}
		if (ok_to && to.kind == NODE_RX) {
			diag_error(e->to_at, "nothing can flow into rx: it is where packets come in");
			ok_to = false;
		} else if (ok_from && ok_to && from.kind == NODE_RX && to.kind == NODE_SINK) {
			diag_error(e->to_at, "rx cannot feed sink '%s' directly: a stage must emit to it",
			           e->to);
			ok_to = false;
		}
		if (!ok_from || !ok_to)
			continue;
		has_rx |= from.kind == NODE_RX;
		has_tx |= to.kind == NODE_TX;
		if (from.kind == NODE_STAGE && to.kind == NODE_STAGE)
			add_edge(&g, from.stage->index, to.stage->index);
		if (to.kind == NODE_SINK)
			e->to_sink = to.sink;
		e->to_tx = to.kind == NODE_TX;
		e->from_stage = from.stage;
		e->to_stage = to.stage;
	}
	if (!has_rx && pl->stages)
		diag_error(p->at, "pipeline '%s' has no edge from rx", p->name);
	if (!has_tx && pl->stages)
		diag_error(p->at, "pipeline '%s' has no edge to tx", p->name);
	if (pl->bound_again) {
		diag_error(pl->bound_again_at, "a pipeline's tx takes one bound");
		diag_note(pl->bound_at, "the first is here");
	}
	if (pl->bound_name && strcmp(pl->bound_name, "rx") == 0) {
		diag_error(pl->bound_at, "rx takes no bound: what arrives from the network is unlabelled");
		pl->tx_bound = NULL;
	} else if (pl->bound_name && strcmp(pl->bound_name, "tx") != 0) {
		diag_error(pl->bound_at, "only tx takes a bound in a pipeline (a sink's bound is on its "
		           "declaration: `sink NAME @LABEL;`)");
		pl->tx_bound = NULL;
	} else if (pl->tx_bound && !sema_resolve_label(m, pl->tx_bound)) {
		pl->tx_bound = NULL;
	}
	order_stages(p, &g);
}

void sema_check_pipelines(module *m)
{
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_PIPELINE)
			check_pipeline(m, d);
}
