/*
 * test_front_end.c - unit tests of pdlc's lexer, parser and checker.
 *
 * Each test feeds a small .pdl text through parse_source and the semantic
 * passes and asserts what the AST or the error count must be.  File-driven
 * tests (tests/pdl/) check the exact diagnostics; these check the data the
 * passes compute, which diagnostics alone cannot show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"

#include "ast.h"
#include "diag.h"
#include "emit.h"
#include "parse_ctx.h"
#include "sema.h"
#include "source.h"

/* Parses and checks TEXT (no imports); returns the module, *errors set. */
static module *check(const char *text, int *errors)
{
	diag_reset();
	module *m = parse_source(source_from_string("test.pdl", text));
	if (m)
		sema_check(m);
	*errors = diag_error_count();
	return m;
}

/*
 * The checkpoint fingerprint pdlc emits for struct NAME of TEXT (module fp),
 * read back from the header written to a temporary folder; 0 on failure.
 */
static unsigned long long fingerprint_of(const char *text, const char *name)
{
	int errors;
	module *m = check(text, &errors);
	char dir[] = "/tmp/test_front_end.XXXXXX";
	if (m == NULL || errors || mkdtemp(dir) == NULL || emit_module(m, dir, "fp") != 0)
		return 0;
	char path[64], line[256], want[64];
	snprintf(path, sizeof path, "%s/fp.pdl.h", dir);
	snprintf(want, sizeof want, "#define FP_%s_FINGERPRINT UINT64_C(0x%%llx)", name);
	for (char *p = want + 11; *p != '_'; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	unsigned long long fp = 0;
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, want, &fp) == 1)
			break;
	if (f)
		fclose(f);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		return 0;
	return fp;
}

/*
 * The fingerprint is a hash over the struct graph's components (one pass,
 * no walk per struct): a change anywhere a struct reaches - down a chain,
 * inside a cycle through shared - must change it, and a change in a struct
 * it does not reach must not.
 */
static void test_fingerprint_covers_what_a_struct_reaches(void)
{
	const char *base = "module fp;\n"
	                   "struct a { own b? x; }\n"
	                   "struct b { u8 v; own c? n; }\n"
	                   "struct c { u8 w; shared a? back; }\n"
	                   "struct lone { u8 z; }\n";
	const char *deep = "module fp;\n"
	                   "struct a { own b? x; }\n"
	                   "struct b { u8 v; own c? n; }\n"
	                   "struct c { u16 w; shared a? back; }\n"
	                   "struct lone { u8 z; }\n";
	const char *unrelated = "module fp;\n"
	                        "struct a { own b? x; }\n"
	                        "struct b { u8 v; own c? n; }\n"
	                        "struct c { u8 w; shared a? back; }\n"
	                        "struct lone { u16 z; }\n";
	unsigned long long a0 = fingerprint_of(base, "a"), b0 = fingerprint_of(base, "b");
	unsigned long long a1 = fingerprint_of(deep, "a"), b1 = fingerprint_of(deep, "b");
	unsigned long long a2 = fingerprint_of(unrelated, "a");
	unsigned long long l0 = fingerprint_of(base, "lone"), l2 = fingerprint_of(unrelated, "lone");
	CU_ASSERT_NOT_EQUAL_FATAL(a0, 0);
	CU_ASSERT_NOT_EQUAL(a0, a1);            /* c changed, two hops down (in a's cycle) */
	CU_ASSERT_NOT_EQUAL(b0, b1);
	CU_ASSERT_NOT_EQUAL(a0, b0);            /* one component, different structs */
	CU_ASSERT_EQUAL(a0, a2);                /* lone is not reached from a */
	CU_ASSERT_NOT_EQUAL(l0, l2);
	CU_ASSERT_EQUAL(a0, fingerprint_of(base, "a"));     /* deterministic */
}

/*
 * Issue 10, class 10: an image written under one labelling must not load
 * under another - lowering a field's label, or reordering its lattice,
 * changes the fingerprint; relabelling nothing keeps it.
 */
static void test_fingerprint_covers_labels(void)
{
	const char *lat = "labels conf { public < secret; }\n";
	const char *flipped = "labels conf { secret < public; }\n";
	char base[256], lowered[256], reordered[256], boxed[256], boxed_flipped[256];
	snprintf(base, sizeof base, "module fp;\n%sstruct s { u64 x @secret; }\n", lat);
	snprintf(lowered, sizeof lowered, "module fp;\n%sstruct s { u64 x @public; }\n", lat);
	snprintf(reordered, sizeof reordered, "module fp;\n%sstruct s { u64 x @secret; }\n", flipped);
	snprintf(boxed, sizeof boxed, "module fp;\n%sstruct s { labeled<u64, conf> x; }\n", lat);
	snprintf(boxed_flipped, sizeof boxed_flipped, "module fp;\n%sstruct s { labeled<u64, conf> x; }\n",
	         flipped);
	unsigned long long b = fingerprint_of(base, "s");
	CU_ASSERT_NOT_EQUAL_FATAL(b, 0);
	CU_ASSERT_NOT_EQUAL(b, fingerprint_of(lowered, "s"));
	CU_ASSERT_NOT_EQUAL(b, fingerprint_of(reordered, "s"));
	unsigned long long x = fingerprint_of(boxed, "s");
	CU_ASSERT_NOT_EQUAL_FATAL(x, 0);
	CU_ASSERT_NOT_EQUAL(x, fingerprint_of(boxed_flipped, "s"));
	CU_ASSERT_EQUAL(b, fingerprint_of(base, "s"));
}

static decl *find_decl(module *m, const char *name)
{
	for (decl *d = m->decls; d; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static void test_empty_module_parses_clean(void)
{
	int errors;
	module *m = check("module empty;", &errors);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->name, "empty");
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT_PTR_NULL(m->decls);
}

static void test_missing_module_line_is_an_error(void)
{
	int errors;
	module *m = check("struct s { u8 a; }", &errors);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_EQUAL(errors, 1);
}

static void test_lexer_locations_count_lines_and_columns(void)
{
	int errors;
	module *m = check("module m;\n\n  struct  point {\n\tu32 x;\n}\n", &errors);
	CU_ASSERT_EQUAL_FATAL(errors, 0);
	decl *d = find_decl(m, "point");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->at.line, 3);
	CU_ASSERT_EQUAL(d->at.col, 11);
	CU_ASSERT_EQUAL(d->u.struct_.fields->at.line, 4);
	CU_ASSERT_EQUAL(d->u.struct_.fields->at.col, 6);
}

static void test_lexer_skips_comments_and_reads_hex(void)
{
	int errors;
	module *m = check("module m; /* a\n block */ struct s { // line\n u8[0x10] a; }", &errors);
	CU_ASSERT_EQUAL_FATAL(errors, 0);
	type *t = find_decl(m, "s")->u.struct_.fields->type;
	CU_ASSERT_EQUAL(t->kind, TYPE_ARRAY);
	CU_ASSERT_EQUAL(t->length, 16);
}

static void test_integer_literal_overflow_is_reported(void)
{
	int errors;
	/* The lexer reports the overflow and saturates; the array bound check
	 * then reports the saturated length, at the same place. */
	check("module m; struct s { u8[99999999999999999999999] a; }", &errors);
	CU_ASSERT_EQUAL(errors, 2);
	check("module m; struct s { u8[18446744073709551615] a; }", &errors);
	CU_ASSERT_EQUAL(errors, 1);
}

static void test_struct_fields_keep_source_order(void)
{
	int errors;
	module *m = check("module m; struct s { u8 a; u16 b; u32 c; }", &errors);
	CU_ASSERT_EQUAL_FATAL(errors, 0);
	field *f = find_decl(m, "s")->u.struct_.fields;
	CU_ASSERT_STRING_EQUAL(f->name, "a");
	CU_ASSERT_STRING_EQUAL(f->next->name, "b");
	CU_ASSERT_STRING_EQUAL(f->next->next->name, "c");
	CU_ASSERT_PTR_NULL(f->next->next->next);
}

static void test_parser_recovers_and_reports_every_bad_field(void)
{
	int errors;
	module *m = check("module m; struct s { u8 ; u16 b; u32 = c; u64 d; }", &errors);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(errors, 2);
}

static void test_types_resolve_to_their_declarations(void)
{
	int errors;
	module *m = check("module m; struct a { u8 x; } struct b { own a? p; shared a q; vec<a> v; a[3] arr; }",
	                  &errors);
	CU_ASSERT_EQUAL_FATAL(errors, 0);
	decl *a = find_decl(m, "a");
	field *f = find_decl(m, "b")->u.struct_.fields;
	CU_ASSERT_EQUAL(f->type->kind, TYPE_OWN);
	CU_ASSERT_TRUE(f->type->nullable);
	CU_ASSERT_PTR_EQUAL(f->type->elem->decl, a);
	CU_ASSERT_EQUAL(f->next->type->kind, TYPE_SHARED);
	CU_ASSERT_FALSE(f->next->type->nullable);
	CU_ASSERT_PTR_EQUAL(f->next->next->type->elem->decl, a);
	CU_ASSERT_PTR_EQUAL(f->next->next->next->type->elem->decl, a);
}

static void test_diamond_lattice_has_join_and_meet_tables(void)
{
	int errors;
	module *m = check("module m; labels d { low < left; low < right; left < high; right < high; }",
	                  &errors);
	CU_ASSERT_EQUAL_FATAL(errors, 0);
	lattice *l = &find_decl(m, "d")->u.labels;
	/* ids in first-appearance order: low 0, left 1, right 2, high 3 */
	CU_ASSERT_EQUAL_FATAL(l->n_labels, 4);
	CU_ASSERT_EQUAL(l->join[1 * 4 + 2], 3);
	CU_ASSERT_EQUAL(l->meet[1 * 4 + 2], 0);
	CU_ASSERT_EQUAL(l->join[0 * 4 + 1], 1);
	CU_ASSERT_EQUAL(l->meet[3 * 4 + 2], 2);
	CU_ASSERT_EQUAL(l->bottom, 0);
	CU_ASSERT_EQUAL(l->top, 3);
	CU_ASSERT_EQUAL(l->above[0], 0xf);
	CU_ASSERT_EQUAL(l->above[1], 0x2 | 0x8);
}

static void test_order_without_join_is_not_a_lattice(void)
{
	int errors;
	check("module m; labels conf { public < internal; internal < secret; internal < audit; }",
	      &errors);
	CU_ASSERT_EQUAL(errors, 1);
}

static void test_order_with_cycle_is_not_a_lattice(void)
{
	int errors;
	check("module m; labels c { a < b; b < a; }", &errors);
	CU_ASSERT_EQUAL(errors, 1);
}

static void test_powerset_labels_are_bit_sets(void)
{
	int errors;
	module *m = check("module m; labels t = powerset { alice, bob, carol };"
	                  "sink s @{alice, carol};", &errors);
	CU_ASSERT_EQUAL_FATAL(errors, 0);
	lattice *l = &find_decl(m, "t")->u.labels;
	CU_ASSERT_EQUAL(l->n_labels, 8);
	CU_ASSERT_EQUAL(l->top, 7);
	label_ref *bound = find_decl(m, "s")->u.sink.bound;
	CU_ASSERT_PTR_EQUAL(bound->lattice, l);
	CU_ASSERT_EQUAL(bound->id, 5);
}

static const char stage_prelude[] =
	"module std; opaque batch = \"pd_batch\";"
	"interface stage { move batch process(move batch b); }"
	"domain d : stage { }";

static void test_pipeline_order_follows_edges_not_declarations(void)
{
	char text[512];
	int errors;
	snprintf(text, sizeof(text), "%s pipeline p { stage b : d; stage a : d; stage c : d;"
	         "rx -> a -> b; b -> c -> tx; }", stage_prelude);
	module *m = check(text, &errors);
	CU_ASSERT_EQUAL_FATAL(errors, 0);
	pipeline_decl *p = &find_decl(m, "p")->u.pipeline;
	CU_ASSERT_EQUAL_FATAL(p->n_order, 3);
	CU_ASSERT_STRING_EQUAL(p->order[0]->name, "a");
	CU_ASSERT_STRING_EQUAL(p->order[1]->name, "b");
	CU_ASSERT_STRING_EQUAL(p->order[2]->name, "c");
}

static void test_pipeline_cycle_is_rejected(void)
{
	char text[512];
	int errors;
	snprintf(text, sizeof(text), "%s pipeline p { stage a : d; stage b : d;"
	         "rx -> a -> b -> a; b -> tx; }", stage_prelude);
	module *m = check(text, &errors);
	CU_ASSERT_EQUAL(errors, 1);
	CU_ASSERT_EQUAL(find_decl(m, "p")->u.pipeline.n_order, 0);
}

static void test_edge_out_of_tx_is_rejected(void)
{
	char text[512];
	int errors;
	snprintf(text, sizeof(text), "%s pipeline p { stage a : d; rx -> a -> tx; tx -> a; }",
	         stage_prelude);
	check(text, &errors);
	CU_ASSERT_EQUAL(errors, 1);
}

static void test_struct_containing_itself_by_value_is_rejected(void)
{
	int errors;
	check("module m; struct a { b x; } struct b { a[2] y; }", &errors);
	CU_ASSERT_EQUAL(errors, 1);
}

static void test_struct_containing_itself_through_own_is_fine(void)
{
	int errors;
	check("module m; struct node { own node? next; shared node? peer; vec<node> kids; }", &errors);
	CU_ASSERT_EQUAL(errors, 0);
}

static void test_move_of_scalar_is_rejected_and_of_struct_accepted(void)
{
	int errors;
	check("module m; struct s { u8 a; } interface i { void f(move u32 x); }", &errors);
	CU_ASSERT_EQUAL(errors, 1);
	check("module m; struct s { u8 a; } interface i { void f(move s x); move s g(); }", &errors);
	CU_ASSERT_EQUAL(errors, 0);
}

static void test_label_on_rref_is_rejected(void)
{
	int errors;
	check("module m; labels l { lo < hi; } interface j { void g(); }"
	      "interface i { void f(rref<j> r @hi); }", &errors);
	CU_ASSERT_EQUAL(errors, 1);
	check("module m; labels l { lo < hi; } interface j { void g(); }"
	      "interface i { u32 f(rref<j> r, u32 x @hi) @lo; }", &errors);
	CU_ASSERT_EQUAL(errors, 0);
}

static void test_duplicate_definition_is_one_error(void)
{
	int errors;
	check("module m; struct a { u8 x; } interface a { void f(); }", &errors);
	CU_ASSERT_EQUAL(errors, 1);
}

static void test_domain_settings_are_recorded(void)
{
	int errors;
	module *m = check("module m; labels l { lo < hi; } struct st { u8 x; }"
	                  "interface i { void f(); }"
	                  "domain d : i { state st; on_fault restore; checkpoint every 64 batches;"
	                  "clearance hi; declassify hi -> lo; quota 16 MiB; }", &errors);
	CU_ASSERT_EQUAL_FATAL(errors, 0);
	domain_decl *d = &find_decl(m, "d")->u.domain;
	CU_ASSERT_EQUAL(d->policy, RECOVER_RESTORE);
	CU_ASSERT_EQUAL(d->checkpoint_every, 64);
	CU_ASSERT_EQUAL(d->quota_bytes, 16u << 20);
	CU_ASSERT_EQUAL(d->clearance->id, 1);
	CU_ASSERT_EQUAL(d->declassify->from->id, 1);
	CU_ASSERT_EQUAL(d->declassify->to->id, 0);
	CU_ASSERT_PTR_EQUAL(d->iface, find_decl(m, "i"));
}

static void test_restore_without_checkpoint_is_rejected(void)
{
	int errors;
	check("module m; struct st { u8 x; } interface i { void f(); }"
	      "domain d : i { state st; on_fault restore; }", &errors);
	CU_ASSERT_EQUAL(errors, 1);
}

static const struct test_case tests[] = {
	TEST(test_empty_module_parses_clean),
	TEST(test_missing_module_line_is_an_error),
	TEST(test_lexer_locations_count_lines_and_columns),
	TEST(test_lexer_skips_comments_and_reads_hex),
	TEST(test_integer_literal_overflow_is_reported),
	TEST(test_struct_fields_keep_source_order),
	TEST(test_parser_recovers_and_reports_every_bad_field),
	TEST(test_types_resolve_to_their_declarations),
	TEST(test_diamond_lattice_has_join_and_meet_tables),
	TEST(test_order_without_join_is_not_a_lattice),
	TEST(test_order_with_cycle_is_not_a_lattice),
	TEST(test_powerset_labels_are_bit_sets),
	TEST(test_pipeline_order_follows_edges_not_declarations),
	TEST(test_pipeline_cycle_is_rejected),
	TEST(test_edge_out_of_tx_is_rejected),
	TEST(test_struct_containing_itself_by_value_is_rejected),
	TEST(test_struct_containing_itself_through_own_is_fine),
	TEST(test_move_of_scalar_is_rejected_and_of_struct_accepted),
	TEST(test_label_on_rref_is_rejected),
	TEST(test_duplicate_definition_is_one_error),
	TEST(test_domain_settings_are_recorded),
	TEST(test_restore_without_checkpoint_is_rejected),
	TEST(test_fingerprint_covers_what_a_struct_reaches),
	TEST(test_fingerprint_covers_labels),
};

int main(void)
{
	return RUN_SUITE("pdlc front end", tests);
}
