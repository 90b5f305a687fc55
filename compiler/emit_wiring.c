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
	fprintf(c, "\nconst pd_domain_spec %s_domain = {\n", name);
	fprintf(c, "\t.name = \"%s.%s\",\n", d->module->name, d->name);
	fprintf(c, "\t.init = %s_init,\n", name);
	fprintf(c, "\t.policy = %s,\n", dd->policy == RECOVER_RESTORE ? "PD_RECOVER_RESTORE" : "PD_RECOVER_RESET");
	fprintf(c, "\t.quota_bytes = %llu,\n", (unsigned long long)dd->quota_bytes);
	fprintf(c, "\t.checkpoint_every = %llu,\n", (unsigned long long)dd->checkpoint_every);
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

void emit_wiring(emit_ctx *e)
{
	for (decl *d = e->mod->decls; d; d = d->next)
		if (d->kind == DECL_DOMAIN)
			emit_domain(e, d);
	for (decl *d = e->mod->decls; d; d = d->next)
		if (d->kind == DECL_PIPELINE)
			emit_pipeline(e, d);
}
