/*
 * emit_wiring.c - domains and pipelines as constant data for the runtime.
 *
 * A `domain` becomes a pd_domain_spec (runtime/pd_domain.h) whose init the
 * stage code provides as MODULE_DOMAIN_init, with its clearance, its
 * declassifications, the labels its state holds by declaration and the
 * sinks it declares it writes; a `pipeline` becomes a pd_pipeline_desc
 * (runtime/pd_wiring.h) with its stages in the order sema_pipeline.c
 * computed and every edge: each stage's successors and sinks.
 */
#include "emit.h"

#include <string.h>

#include "symtab.h"

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
	fprintf(c, "\n/* Into the state a fresh init just built: load beside it, and only a\n"
	        " * whole load replaces it (a failed one leaves the fresh state). */\n");
	fprintf(c, "static int %s_load_state(const void *image, size_t len, void *state)\n{\n"
	        "\t%s *loaded = pd_alloc(sizeof(*loaded), NULL);\n"
	        "\tif (loaded == NULL)\n\t\treturn -PD_ENOMEM;\n"
	        "\tint rc = %s_restore(image, len, NULL, loaded);\n"
	        "\tif (rc == 0) {\n\t\t%s_free(state);\n\t\tmemcpy(state, loaded, sizeof(*loaded));\n\t}\n"
	        "\tpd_free(loaded);\n\treturn rc;\n}\n", n, t, t, t);
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
	uint32_t n_rules = 0, n_emits = 0;
	for (const declassify *dc = dd->declassify; dc; dc = dc->next)
		n_rules += dc->from->lattice && dc->to->lattice == dc->from->lattice;
	for (const name_ref *s = dd->emits; s; s = s->next)
		n_emits += s->decl && s->decl->u.sink.bound && s->decl->u.sink.bound->lattice;
	if (n_rules) {
		fprintf(c, "\n/* declassify FROM -> TO, as declared */\n");
		fprintf(c, "static const pd_declassify_rule %s_declassify[%u] = {\n", name, n_rules);
		for (const declassify *dc = dd->declassify; dc; dc = dc->next)
			if (dc->from->lattice && dc->to->lattice == dc->from->lattice)
				fprintf(c, "\t{ &%s_lattice, %s, %s },\n", c_name(dc->from->lattice->decl),
				        c_label(dc->from->lattice, dc->from->id), c_label(dc->from->lattice, dc->to->id));
		fputs("};\n", c);
	}
	const label_set *initial = &dd->state_labels;
	if (initial->n) {
		fprintf(c, "\n/* what its state holds by declaration: where its label starts */\n");
		fprintf(c, "static const pd_label_ref %s_initial[%u] = {\n", name, initial->n);
		for (uint32_t i = 0; i < initial->n; i++)
			fprintf(c, "\t{ &%s_lattice, %s },\n", c_name(initial->items[i].lat->decl),
			        c_label(initial->items[i].lat, initial->items[i].id));
		fputs("};\n", c);
	}
	if (n_emits) {
		fprintf(c, "\n/* the sinks it declares it writes (`emits`) */\n");
		fprintf(c, "static pd_sink *const %s_sinks[%u] = {\n", name, n_emits);
		for (const name_ref *s = dd->emits; s; s = s->next)
			if (s->decl && s->decl->u.sink.bound && s->decl->u.sink.bound->lattice)
				fprintf(c, "\t&%s_sink,\n", c_name(s->decl));
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
	if (dd->clearance && dd->clearance->lattice) {
		const lattice *lat = dd->clearance->lattice;
		fprintf(c, "\t.lattice = &%s_lattice,\n", c_name(lat->decl));
		fprintf(c, "\t.clearance = %s,\n", c_label(lat, dd->clearance->id));
	}
	if (n_rules)
		fprintf(c, "\t.declassify = %s_declassify,\n\t.n_declassify = %u,\n", name, n_rules);
	if (initial->n)
		fprintf(c, "\t.initial = %s_initial,\n\t.n_initial = %u,\n", name, initial->n);
	if (n_emits)
		fprintf(c, "\t.sinks = %s_sinks,\n\t.n_sinks = %u,\n", name, n_emits);
	if (state)
		fprintf(c, "\t.save_state = %s_save_state,\n\t.load_state = %s_load_state,\n", name, name);
	if (state && dd->checkpoint_incremental)
		fputs("\t.checkpoint_incremental = 1,\n", c);
	fputs("};\n", c);
}

/* One stage's edges: its successors and the sinks it feeds, in declaration
 * order; and what rx feeds. */
typedef struct stage_edges {
	const char **next;              /* C expressions: stage index or PD_STAGE_TX */
	uint32_t n_next;
	const decl **sinks;
	uint32_t n_sinks;
} stage_edges;

static void push(const void ***list, uint32_t *n, const void *item)
{
	const void **grown = ast_alloc((*n + 1) * sizeof(*grown));
	if (*n)
		memcpy(grown, *list, *n * sizeof(*grown));
	grown[(*n)++] = item;
	*list = grown;
}

static stage_edges *collect_edges(const decl *p, stage_edges *rx)
{
	const pipeline_decl *pl = &p->u.pipeline;
	stage_edges *per = ast_alloc((pl->n_order + 1) * sizeof(*per));
	for (const edge *e = pl->edges; e; e = e->next) {
		stage_edges *from = e->from_stage ? &per[e->from_stage->index] : rx;
		if (e->to_sink) {
			if (e->from_stage && e->to_sink->u.sink.bound && e->to_sink->u.sink.bound->lattice)
				push((const void ***)&from->sinks, &from->n_sinks, e->to_sink);
		} else {
			const char *to = e->to_stage ? ast_printf("%u", e->to_stage->index) : "PD_STAGE_TX";
			push((const void ***)&from->next, &from->n_next, to);
		}
	}
	return per;
}

static void emit_index_list(FILE *c, const char *name, const char **items, uint32_t n)
{
	fprintf(c, "\nstatic const uint16_t %s[%u] = {", name, n);
	for (uint32_t k = 0; k < n; k++)
		fprintf(c, " %s,", items[k]);
	fputs(" };\n", c);
}

static void emit_pipeline(emit_ctx *e, const decl *p)
{
	const pipeline_decl *pl = &p->u.pipeline;
	const char *name = c_name(p);
	stage_edges rx = { 0 };
	stage_edges *per = collect_edges(p, &rx);

	fprintf(e->h, "/* pipeline %s: %u stage%s from rx to tx */\n", p->name, pl->n_order,
	        pl->n_order == 1 ? "" : "s");
	fprintf(e->h, "extern const pd_pipeline_desc %s_pipeline;\n\n", name);

	FILE *c = e->c;
	emit_index_list(c, ast_printf("%s_first", name), rx.next, rx.n_next);
	for (uint32_t i = 0; i < pl->n_order; i++) {
		const char *s = pl->order[i]->name;
		if (per[i].n_next)
			emit_index_list(c, ast_printf("%s_%s_next", name, s), per[i].next, per[i].n_next);
		if (per[i].n_sinks) {
			fprintf(c, "\nstatic pd_sink *const %s_%s_sinks[%u] = {", name, s, per[i].n_sinks);
			for (uint32_t k = 0; k < per[i].n_sinks; k++)
				fprintf(c, " &%s_sink,", c_name(per[i].sinks[k]));
			fputs(" };\n", c);
		}
	}
	fprintf(c, "\nstatic const pd_stage_desc %s_stages[%u] = {\n", name, pl->n_order ? pl->n_order : 1);
	for (uint32_t i = 0; i < pl->n_order; i++) {
		const stage *s = pl->order[i];
		fprintf(c, "\t{ \"%s\", &%s_domain, %u, %s, %u, %s },\n", s->name, c_name(s->domain),
		        per[i].n_next, per[i].n_next ? ast_printf("%s_%s_next", name, s->name) : "NULL",
		        per[i].n_sinks, per[i].n_sinks ? ast_printf("%s_%s_sinks", name, s->name) : "NULL");
	}
	fputs("};\n", c);
	fprintf(c, "\nconst pd_pipeline_desc %s_pipeline = {\n", name);
	fprintf(c, "\t.name = \"%s.%s\",\n\t.n_stages = %u,\n\t.stages = %s_stages,\n",
	        p->module->name, p->name, pl->n_order, name);
	fprintf(c, "\t.n_first = %u,\n\t.first = %s_first,\n", rx.n_next, name);
	const label_ref *tx = pl->tx_bound;
	if (tx && tx->lattice)
		fprintf(c, "\t.tx_lattice = &%s_lattice,\n\t.tx_bound = %s,\n", c_name(tx->lattice->decl),
		        c_label(tx->lattice, tx->id));
	fputs("};\n", c);
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
	bool any_domain = false;
	for (decl *d = e->mod->decls; d; d = d->next)
		if (d->kind == DECL_DOMAIN) {
			emit_domain(e, d);
			any_domain = true;
		}
	if (any_domain) {
		/* Domain code may create only domains declared in a .pdl: what
		 * pdlc checked, with the rules it checked (pd_domain.h). */
		fprintf(e->c, "\n/* The domains this module declares, the only ones domain code may create. */\n"
		        "__attribute__((constructor)) static void %s_register_domains(void)\n{\n",
		        e->mod->name);
		for (decl *d = e->mod->decls; d; d = d->next)
			if (d->kind == DECL_DOMAIN)
				fprintf(e->c, "\tpd_domain_spec_register(&%s_domain);\n", c_name(d));
		fputs("}\n", e->c);
	}
	for (decl *d = e->mod->decls; d; d = d->next)
		if (d->kind == DECL_PIPELINE)
			emit_pipeline(e, d);
}
