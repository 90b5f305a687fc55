/*
 * emit_wiring.c - domains and pipelines as constant data for the runtime.
 *
 * A `domain` becomes a pd_domain_spec (runtime/pd_domain.h) whose init the
 * stage code provides as MODULE_DOMAIN_init; a `pipeline` becomes a
 * pd_pipeline_desc (runtime/pd_wiring.h) with its stages in the order
 * sema_pipeline.c computed and, per stage, the sinks it may emit to.
 */
#include "emit.h"

#include <string.h>

#include "symtab.h"

static const lattice *type_lattice(const type *t, int depth)
{
	for (; t && depth < 8; t = t->elem) {
		if (t->kind == TYPE_LABELED && t->lattice)
			return t->lattice;
		if (t->kind == TYPE_NAMED && t->decl && t->decl->kind == DECL_STRUCT)
			for (const field *f = t->decl->u.struct_.fields; f; f = f->next) {
				if (f->label && f->label->lattice)
					return f->label->lattice;
				const lattice *l = type_lattice(f->type, depth + 1);
				if (l)
					return l;
			}
	}
	return NULL;
}

/* The lattice a domain's floating label lives in: its clearance's, else the
 * first label its declaration mentions (interface, then state); NULL when
 * it mentions none, and then the domain carries no label at all. */
static const lattice *domain_lattice(const decl *d)
{
	const domain_decl *dd = &d->u.domain;
	if (dd->clearance && dd->clearance->lattice)
		return dd->clearance->lattice;
	if (dd->declassify && dd->declassify->from->lattice)
		return dd->declassify->from->lattice;
	int hops = 0;
	for (const decl *i = dd->iface; i && hops < 1000; i = i->u.iface.base, hops++)
		for (const method *f = i->u.iface.methods; f; f = f->next) {
			if (f->result_label && f->result_label->lattice)
				return f->result_label->lattice;
			const lattice *l = type_lattice(f->result, 0);
			for (const param *p = f->params; p && !l; p = p->next)
				l = p->label && p->label->lattice ? p->label->lattice : type_lattice(p->type, 0);
			if (l)
				return l;
		}
	return type_lattice(dd->state, 0);
}

/* The domain's state can be checkpointed: a struct pdlc saves. */
static const decl *checkpointed_state(const decl *d)
{
	const domain_decl *dd = &d->u.domain;
	if (dd->checkpoint_every == 0 || dd->state == NULL || dd->state->kind != TYPE_NAMED)
		return NULL;
	const decl *s = dd->state->decl;
	return s && struct_savable(s) ? s : NULL;
}

/* The functions libpd calls to take and reload a checkpoint of the state. */
static void emit_state_io(emit_ctx *e, const decl *d, const decl *st)
{
	FILE *c = e->c;
	const char *n = c_name(d), *t = c_name(st);
	fprintf(c, "\nstatic int %s_save_state(const void *state, void **image, size_t *len)\n{\n"
	        "\treturn %s_checkpoint(state, image, len);\n}\n", n, t);
	fprintf(c, "\n/* Into the state a fresh init just built: empty it, then load. */\n");
	fprintf(c, "static int %s_load_state(const void *image, size_t len, void *state)\n{\n"
	        "\t%s_free(state);\n\tmemset(state, 0, sizeof(%s));\n"
	        "\treturn %s_restore(image, len, NULL, state);\n}\n", n, t, t, t);
}

static void emit_domain(emit_ctx *e, const decl *d)
{
	const domain_decl *dd = &d->u.domain;
	const char *name = c_name(d);
	fprintf(e->h, "/* domain %s : %s.  The stage code defines %s_init: it runs inside\n"
	        " * each new instance (and again on reset), allocates the state and exports\n"
	        " * the %s object first. */\n",
	        d->name, dd->iface ? dd->iface->name : "?", name, dd->iface ? dd->iface->name : "?");
	fprintf(e->h, "int %s_init(void *arg);\n", name);
	fprintf(e->h, "extern const pd_domain_spec %s_domain;\n\n", name);

	FILE *c = e->c;
	const lattice *lat = domain_lattice(d);
	uint32_t n_rules = 0;
	for (const declassify *dc = dd->declassify; dc; dc = dc->next)
		n_rules += lat && dc->from->lattice == lat && dc->to->lattice == lat;
	if (n_rules) {
		fprintf(c, "\n/* declassify FROM -> TO, as declared */\n");
		fprintf(c, "static const pd_declassify_rule %s_declassify[%u] = {\n", name, n_rules);
		for (const declassify *dc = dd->declassify; dc; dc = dc->next)
			if (dc->from->lattice == lat && dc->to->lattice == lat)
				fprintf(c, "\t{ %s, %s },\n", c_label(lat, dc->from->id), c_label(lat, dc->to->id));
		fputs("};\n", c);
	}
	const decl *state = checkpointed_state(d);
	if (state)
		emit_state_io(e, d, state);
	fprintf(c, "\nconst pd_domain_spec %s_domain = {\n", name);
	fprintf(c, "\t.name = \"%s.%s\",\n", d->module->name, d->name);
	fprintf(c, "\t.init = %s_init,\n", name);
	fprintf(c, "\t.policy = %s,\n", dd->policy == RECOVER_RESTORE ? "PD_RECOVER_RESTORE" : "PD_RECOVER_RESET");
	fprintf(c, "\t.quota_bytes = %llu,\n", (unsigned long long)dd->quota_bytes);
	fprintf(c, "\t.checkpoint_every = %llu,\n", (unsigned long long)dd->checkpoint_every);
	if (lat) {
		fprintf(c, "\t.lattice = &%s_lattice,\n", c_name(lat->decl));
		fprintf(c, "\t.clearance = %s,\n", c_label(lat, dd->clearance && dd->clearance->lattice == lat
		                                               ? dd->clearance->id : lat->top));
	}
	if (n_rules)
		fprintf(c, "\t.declassify = %s_declassify,\n\t.n_declassify = %u,\n", name, n_rules);
	if (state)
		fprintf(c, "\t.save_state = %s_save_state,\n\t.load_state = %s_load_state,\n", name, name);
	fputs("};\n", c);
}

/* The sinks a pipeline feeds, each once in first-use order, and per stage
 * the indexes of the sinks its edges reach: one pass over the edges. */
typedef struct sink_map {
	const decl **sinks;
	uint32_t n_sinks;
	uint32_t **of_stage;            /* of_stage[stage index] */
	uint32_t *n_of_stage;
} sink_map;

static void map_sinks(const decl *p, sink_map *map)
{
	const pipeline_decl *pl = &p->u.pipeline;
	uint32_t n_edges = 0;
	for (const edge *e = pl->edges; e; e = e->next)
		n_edges += e->to_sink && e->from_stage;
	map->sinks = ast_alloc((n_edges + 1) * sizeof(*map->sinks));
	map->n_sinks = 0;
	map->n_of_stage = ast_alloc((pl->n_order + 1) * sizeof(uint32_t));
	map->of_stage = ast_alloc((pl->n_order + 1) * sizeof(uint32_t *));
	uint32_t *index_of_edge = ast_alloc((n_edges + 1) * sizeof(uint32_t)), k = 0;
	symtab *index = symtab_new();
	for (const edge *e = pl->edges; e; e = e->next) {
		if (!e->to_sink || !e->from_stage)
			continue;
		uintptr_t i = (uintptr_t)symtab_get(index, e->to_sink->name);
		if (i == 0) {
			map->sinks[map->n_sinks++] = e->to_sink;
			i = map->n_sinks;       /* stored as index + 1 */
			symtab_insert(index, e->to_sink->name, (void *)i);
		}
		index_of_edge[k++] = (uint32_t)i - 1;
		map->n_of_stage[e->from_stage->index]++;
	}
	for (uint32_t s = 0; s < pl->n_order; s++) {
		map->of_stage[s] = ast_alloc((map->n_of_stage[s] + 1) * sizeof(uint32_t));
		map->n_of_stage[s] = 0;
	}
	k = 0;
	for (const edge *e = pl->edges; e; e = e->next)
		if (e->to_sink && e->from_stage) {
			uint32_t s = e->from_stage->index;
			map->of_stage[s][map->n_of_stage[s]++] = index_of_edge[k++];
		}
}

static void emit_pipeline(emit_ctx *e, const decl *p)
{
	const pipeline_decl *pl = &p->u.pipeline;
	const char *name = c_name(p);
	sink_map map;
	map_sinks(p, &map);

	fprintf(e->h, "/* pipeline %s: %u stage%s from rx to tx */\n", p->name, pl->n_order,
	        pl->n_order == 1 ? "" : "s");
	fprintf(e->h, "extern const pd_pipeline_desc %s_pipeline;\n\n", name);

	FILE *c = e->c;
	if (map.n_sinks) {
		fprintf(c, "\nstatic const pd_sink_desc %s_sinks[%u] = {\n", name, map.n_sinks);
		for (uint32_t i = 0; i < map.n_sinks; i++) {
			const label_ref *b = map.sinks[i]->u.sink.bound;
			fprintf(c, "\t{ \"%s\", %u },\n", map.sinks[i]->name, b && b->lattice ? b->id : 0);
		}
		fputs("};\n", c);
	}
	for (uint32_t i = 0; i < pl->n_order; i++) {
		if (map.n_of_stage[i] == 0)
			continue;
		fprintf(c, "\nstatic const uint16_t %s_%s_sinks[%u] = {", name, pl->order[i]->name,
		        map.n_of_stage[i]);
		for (uint32_t k = 0; k < map.n_of_stage[i]; k++)
			fprintf(c, " %u,", map.of_stage[i][k]);
		fputs(" };\n", c);
	}
	fprintf(c, "\nstatic const pd_stage_desc %s_stages[%u] = {\n", name, pl->n_order ? pl->n_order : 1);
	for (uint32_t i = 0; i < pl->n_order; i++) {
		const stage *s = pl->order[i];
		uint32_t k = map.n_of_stage[i];
		fprintf(c, "\t{ \"%s\", &%s_domain, %u, %s },\n", s->name, c_name(s->domain), k,
		        k ? ast_printf("%s_%s_sinks", name, s->name) : "NULL");
	}
	fputs("};\n", c);
	fprintf(c, "\nconst pd_pipeline_desc %s_pipeline = {\n", name);
	fprintf(c, "\t.name = \"%s.%s\",\n\t.n_stages = %u,\n\t.stages = %s_stages,\n",
	        p->module->name, p->name, pl->n_order, name);
	fprintf(c, "\t.n_sinks = %u,\n\t.sinks = %s,\n};\n", map.n_sinks,
	        map.n_sinks ? ast_printf("%s_sinks", name) : "NULL");
}

/* A sink's counters change at run time, so it is data, not a constant; the
 * program sets its writer before the first write. */
static void emit_sink(emit_ctx *e, const decl *d)
{
	const label_ref *b = d->u.sink.bound;
	if (b == NULL || b->lattice == NULL)
		return;
	fprintf(e->h, "/* sink %s, bounded by %s: write with pd_sink_write(&%s_sink, ...) */\n",
	        d->name, b->name ? b->name : "a set", c_name(d));
	fprintf(e->h, "extern pd_sink %s_sink;\n\n", c_name(d));
	fprintf(e->c, "\npd_sink %s_sink = {\n\t.name = \"%s.%s\",\n\t.lattice = &%s_lattice,\n"
	        "\t.bound = %s,\n};\n", c_name(d), d->module->name, d->name, c_name(b->lattice->decl),
	        c_label(b->lattice, b->id));
}

void emit_wiring(emit_ctx *e)
{
	for (decl *d = e->mod->decls; d; d = d->next)
		if (d->kind == DECL_SINK)
			emit_sink(e, d);
	for (decl *d = e->mod->decls; d; d = d->next)
		if (d->kind == DECL_DOMAIN)
			emit_domain(e, d);
	for (decl *d = e->mod->decls; d; d = d->next)
		if (d->kind == DECL_PIPELINE)
			emit_pipeline(e, d);
}
