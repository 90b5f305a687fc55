/*
 * emit_labels.c - each lattice as label constants, constant-time operations
 * and a self-test of the lattice laws.
 *
 * Ids are dense: 0..n-1 for an ordered lattice, in the order the labels
 * first appear; bit sets for a powerset.  join, meet and leq are one table
 * load (ordered) or one bit operation (powerset); the tables are the ones
 * sema_labels.c computed while proving the order is a lattice.  The same
 * lattice is also described by a pd_lattice (runtime/pd_lattice.h), for
 * code that handles labels of any lattice.
 *
 * The self-test checks the laws over all pairs and triples, through the
 * generated functions themselves, so a wrong table or a wrong function
 * cannot both pass.  A powerset with more than 6 atoms has too many triples
 * to enumerate; its test walks a fixed pseudo-random sample of them.
 */
#include "emit.h"

#define EXHAUSTIVE_LABELS 64

static void emit_constants(emit_ctx *e, const decl *d)
{
	const lattice *lat = &d->u.labels;
	const char *mod = e->mod->name;
	fprintf(e->h, "enum %s_%s_label {\n", mod, d->name);
	for (uint32_t i = 0; i < lat->n_names; i++) {
		if (lat->is_powerset)
			fprintf(e->h, "\t%s = 1u << %u,\n", c_upper(mod, d->name, lat->label_names[i]), i);
		else
			fprintf(e->h, "\t%s = %u,\n", c_upper(mod, d->name, lat->label_names[i]), i);
	}
	fprintf(e->h, "};\n#define %s %uu\n", c_upper(mod, d->name, "n_labels"), lat->n_labels);
	if (lat->is_powerset) {
		fprintf(e->h, "#define %s 0u\n", c_upper(mod, d->name, "bottom"));
		fprintf(e->h, "#define %s 0x%xu\n", c_upper(mod, d->name, "top"), lat->top);
	} else {
		fprintf(e->h, "#define %s %s\n", c_upper(mod, d->name, "bottom"),
		        c_upper(mod, d->name, lat->label_names[lat->bottom]));
		fprintf(e->h, "#define %s %s\n", c_upper(mod, d->name, "top"),
		        c_upper(mod, d->name, lat->label_names[lat->top]));
	}
}

static void emit_operations(emit_ctx *e, const decl *d)
{
	const char *p = c_name(d);
	FILE *h = e->h;
	if (d->u.labels.is_powerset) {
		fprintf(h, "static inline pd_label %s_join(pd_label a, pd_label b)\n{\n\treturn a | b;\n}\n\n", p);
		fprintf(h, "static inline pd_label %s_meet(pd_label a, pd_label b)\n{\n\treturn a & b;\n}\n\n", p);
		fprintf(h, "static inline bool %s_leq(pd_label a, pd_label b)\n{\n\treturn (a & ~b) == 0;\n}\n\n", p);
		return;
	}
	uint32_t n = d->u.labels.n_labels;
	fprintf(h, "extern const uint8_t %s_join_table[%u];\n", p, n * n);
	fprintf(h, "extern const uint8_t %s_meet_table[%u];\n", p, n * n);
	fprintf(h, "extern const uint64_t %s_above[%u];\n\n", p, n);
	fprintf(h, "/* Labels outside 0..%u are not labels of this lattice: callers check. */\n", n - 1);
	fprintf(h, "static inline pd_label %s_join(pd_label a, pd_label b)\n{\n"
	        "\treturn %s_join_table[a * %uu + b];\n}\n\n", p, p, n);
	fprintf(h, "static inline pd_label %s_meet(pd_label a, pd_label b)\n{\n"
	        "\treturn %s_meet_table[a * %uu + b];\n}\n\n", p, p, n);
	fprintf(h, "static inline bool %s_leq(pd_label a, pd_label b)\n{\n"
	        "\treturn %s_above[a] >> b & 1;\n}\n\n", p, p);
}

static void emit_tables(emit_ctx *e, const decl *d)
{
	const lattice *lat = &d->u.labels;
	const char *p = c_name(d);
	FILE *c = e->c;
	fprintf(c, "\nstatic const char *const %s_names[%u] = {\n", p, lat->n_names);
	for (uint32_t i = 0; i < lat->n_names; i++)
		fprintf(c, "\t\"%s\",\n", lat->label_names[i]);
	fputs("};\n", c);
	fprintf(c, "\n/* where the run time put %s in its packed labels (pd_lattice.h) */\n"
	        "static pd_lattice_slot %s_slot;\n", d->name, p);
	if (lat->is_powerset) {
		fprintf(c, "\nconst pd_lattice %s_lattice = {\n", p);
		fprintf(c, "\t.name = \"%s.%s\",\n\t.kind = PD_LATTICE_POWERSET,\n", d->module->name, d->name);
		fprintf(c, "\t.n_labels = %u,\n\t.n_names = %u,\n\t.names = %s_names,\n",
		        lat->n_labels, lat->n_names, p);
		fprintf(c, "\t.bottom = 0,\n\t.top = 0x%x,\n", lat->top);
		fprintf(c, "\t.width = %u,\t/* a label is its own atom set */\n", lat->width);
		fprintf(c, "\t.fingerprint = UINT64_C(0x%016llx),\n\t.slot = &%s_slot,\n};\n",
		        (unsigned long long)lat->fingerprint, p);
		return;
	}
	uint32_t n = lat->n_labels;
	const uint8_t *tables[2] = { lat->join, lat->meet };
	const char *table_names[2] = { "join", "meet" };
	for (int t = 0; t < 2; t++) {
		fprintf(c, "\n/* %s(a, b) = [a * %u + b] */\nconst uint8_t %s_%s_table[%u] = {\n",
		        table_names[t], n, p, table_names[t], n * n);
		for (uint32_t a = 0; a < n; a++) {
			fputc('\t', c);
			for (uint32_t b = 0; b < n; b++)
				fprintf(c, "%u,%s", tables[t][a * n + b], b + 1 < n ? " " : "\n");
		}
		fputs("};\n", c);
	}
	fprintf(c, "\n/* above[a] has bit b set when a <= b */\nconst uint64_t %s_above[%u] = {\n", p, n);
	for (uint32_t a = 0; a < n; a++)
		fprintf(c, "\tUINT64_C(0x%llx),\n", (unsigned long long)lat->above[a]);
	fputs("};\n", c);
	fprintf(c, "\n/* a label's down-set (bottom left out; each other label owns one bit, in id\n"
	        " * order): the run time's packed form, where a <= b is (a & ~b) == 0 */\n"
	        "static const uint64_t %s_downset[%u] = {\n", p, n);
	for (uint32_t a = 0; a < n; a++)
		fprintf(c, "\tUINT64_C(0x%llx),\n", (unsigned long long)lat->downset[a]);
	fputs("};\n", c);
	fprintf(c, "\nconst pd_lattice %s_lattice = {\n", p);
	fprintf(c, "\t.name = \"%s.%s\",\n\t.kind = PD_LATTICE_ORDER,\n", d->module->name, d->name);
	fprintf(c, "\t.n_labels = %u,\n\t.n_names = %u,\n\t.names = %s_names,\n", n, n, p);
	fprintf(c, "\t.bottom = %u,\n\t.top = %u,\n", lat->bottom, lat->top);
	fprintf(c, "\t.join = %s_join_table,\n\t.meet = %s_meet_table,\n\t.above = %s_above,\n", p, p, p);
	fprintf(c, "\t.width = %u,\n\t.downset = %s_downset,\n", lat->width, p);
	fprintf(c, "\t.fingerprint = UINT64_C(0x%016llx),\n\t.slot = &%s_slot,\n};\n",
	        (unsigned long long)lat->fingerprint, p);
}

/* The laws, as C over labels a, b and c; each violation counts once. */
static const char *const laws[][2] = {
	{ "J(a, a) != a || M(a, a) != a", "idempotence" },
	{ "J(a, b) != J(b, a) || M(a, b) != M(b, a)", "commutativity" },
	{ "J(J(a, b), c) != J(a, J(b, c)) || M(M(a, b), c) != M(a, M(b, c))", "associativity" },
	{ "J(a, M(a, b)) != a || M(a, J(a, b)) != a", "absorption" },
	{ "LEQ(a, b) != (J(a, b) == b) || LEQ(a, b) != (M(a, b) == a)", "the order agrees with join and meet" },
	{ "LEQ(a, b) && LEQ(b, c) && !LEQ(a, c)", "transitivity" },
	{ "LEQ(a, b) && LEQ(b, a) && a != b", "antisymmetry" },
	{ "!LEQ(BOTTOM, a) || !LEQ(a, TOP)", "bottom and top" },
};

static void emit_laws(FILE *c, const char *indent)
{
	for (size_t i = 0; i < sizeof(laws) / sizeof(laws[0]); i++)
		fprintf(c, "%sif (%s)\n%s\tfailures++;\t/* %s */\n", indent, laws[i][0], indent, laws[i][1]);
}

static void emit_selftest(emit_ctx *e, const decl *d)
{
	const lattice *lat = &d->u.labels;
	const char *p = c_name(d);
	uint32_t n = lat->n_labels;
	FILE *c = e->c;
	fprintf(e->h, "/* Checks the lattice laws on %s's generated operations; returns the\n"
	        " * number of violations (0 when it is a lattice, as pdlc proved). */\n"
	        "unsigned long %s_selftest(void);\n\n", d->name, p);

	fprintf(c, "\nunsigned long %s_selftest(void)\n{\n", p);
	fprintf(c, "#define J %s_join\n#define M %s_meet\n#define LEQ %s_leq\n", p, p, p);
	fprintf(c, "#define BOTTOM %s\n#define TOP %s\n", c_upper(d->module->name, d->name, "bottom"),
	        c_upper(d->module->name, d->name, "top"));
	fputs("\tunsigned long failures = 0;\n\n", c);
	if (n <= EXHAUSTIVE_LABELS) {
		fprintf(c, "\tfor (pd_label a = 0; a < %uu; a++) {\n"
		        "\t\tfor (pd_label b = 0; b < %uu; b++) {\n"
		        "\t\t\tfor (pd_label c = 0; c < %uu; c++) {\n", n, n, n);
		emit_laws(c, "\t\t\t\t");
		fputs("\t\t\t}\n\t\t}\n\t}\n", c);
	} else {
		/* A fixed xorshift sequence: the same sample on every run. */
		fprintf(c, "\tuint32_t x = 2463534242u;\n\tfor (unsigned long i = 0; i < 1000000; i++) {\n"
		        "\t\tpd_label abc[3];\n\t\tfor (int k = 0; k < 3; k++) {\n"
		        "\t\t\tx ^= x << 13;\n\t\t\tx ^= x >> 17;\n\t\t\tx ^= x << 5;\n"
		        "\t\t\tabc[k] = x %% %uu;\n\t\t}\n"
		        "\t\tpd_label a = abc[0], b = abc[1], c = abc[2];\n", n);
		emit_laws(c, "\t\t");
		fputs("\t}\n", c);
	}
	fputs("#undef J\n#undef M\n#undef LEQ\n#undef BOTTOM\n#undef TOP\n\treturn failures;\n}\n", c);
}

/*
 * Every lattice gets its place in the run time's packed labels before main
 * runs, in link order, so no proxy ever has to ask whether it has one.
 */
static void emit_registration(emit_ctx *e)
{
	bool any = false;
	for (decl *d = e->mod->decls; d; d = d->next)
		if (d->kind == DECL_LABELS && d->u.labels.n_labels)
			any = true;
	if (!any)
		return;
	fprintf(e->c, "\n/* Places this module's lattices in the run time's packed labels at start. */\n"
	        "__attribute__((constructor)) static void %s_register_lattices(void)\n{\n", e->mod->name);
	for (decl *d = e->mod->decls; d; d = d->next)
		if (d->kind == DECL_LABELS && d->u.labels.n_labels)
			fprintf(e->c, "\tpd_lattice_register(&%s_lattice);\n", c_name(d));
	fputs("}\n", e->c);
}

void emit_labels(emit_ctx *e)
{
	emit_registration(e);
	for (decl *d = e->mod->decls; d; d = d->next) {
		if (d->kind != DECL_LABELS || d->u.labels.n_labels == 0)
			continue;
		const lattice *lat = &d->u.labels;
		if (lat->is_powerset)
			fprintf(e->h, "/* labels %s: the powerset of %u atoms; a label is a set of atom bits */\n",
			        d->name, lat->n_names);
		else
			fprintf(e->h, "/* labels %s: an order of %u labels */\n", d->name, lat->n_labels);
		emit_constants(e, d);
		fprintf(e->h, "extern const pd_lattice %s_lattice;\n\n", c_name(d));
		emit_operations(e, d);
		emit_selftest(e, d);
		emit_tables(e, d);
	}
}
