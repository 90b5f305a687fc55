/*
 * test_lattices.c - the lattices pdlc generates obey the lattice laws.
 *
 * Each generated <lattice>_selftest() checks idempotence, commutativity,
 * associativity, absorption, the agreement of the order with join and meet,
 * transitivity, antisymmetry and the bounds, over all triples (a fixed
 * sample of them for the 2^16-label powerset).  The generic functions of
 * pd_lattice.h, which code that handles any lattice uses, must agree with
 * the generated ones on every pair.
 */
#include "cunit_main.h"

#include "lattices.pdl.h"

#define AGREE(lat)                                                              \
	do {                                                                    \
		const pd_lattice *l = &lat##_lattice;                           \
		unsigned long bad = 0;                                          \
		uint32_t n = l->n_labels < 4096 ? l->n_labels : 4096;           \
		for (pd_label a = 0; a < n; a++)                                \
			for (pd_label b = 0; b < n; b++)                        \
				bad += pd_label_join(l, a, b) != lat##_join(a, b) || \
				       pd_label_meet(l, a, b) != lat##_meet(a, b) || \
				       pd_label_leq(l, a, b) != lat##_leq(a, b);   \
		CU_ASSERT_EQUAL(bad, 0);                                        \
	} while (0)

static void test_every_generated_lattice_obeys_the_laws(void)
{
	CU_ASSERT_EQUAL(lat_diamond_selftest(), 0);
	CU_ASSERT_EQUAL(lat_chain_selftest(), 0);
	CU_ASSERT_EQUAL(lat_conf_selftest(), 0);
	CU_ASSERT_EQUAL(lat_three_selftest(), 0);
	CU_ASSERT_EQUAL(lat_six_selftest(), 0);
	CU_ASSERT_EQUAL(lat_sixteen_selftest(), 0);
}

static void test_generic_label_functions_agree_with_generated(void)
{
	AGREE(lat_diamond);
	AGREE(lat_chain);
	AGREE(lat_conf);
	AGREE(lat_three);
	AGREE(lat_six);
	AGREE(lat_sixteen);
}

static void test_diamond_joins_and_meets_as_drawn(void)
{
	CU_ASSERT_EQUAL(lat_diamond_join(LAT_DIAMOND_LEFT, LAT_DIAMOND_RIGHT), LAT_DIAMOND_HIGH);
	CU_ASSERT_EQUAL(lat_diamond_meet(LAT_DIAMOND_LEFT, LAT_DIAMOND_RIGHT), LAT_DIAMOND_LOW);
	CU_ASSERT_TRUE(lat_diamond_leq(LAT_DIAMOND_LOW, LAT_DIAMOND_HIGH));
	CU_ASSERT_FALSE(lat_diamond_leq(LAT_DIAMOND_LEFT, LAT_DIAMOND_RIGHT));
	CU_ASSERT_EQUAL(LAT_DIAMOND_BOTTOM, LAT_DIAMOND_LOW);
	CU_ASSERT_EQUAL(LAT_DIAMOND_TOP, LAT_DIAMOND_HIGH);
	CU_ASSERT_EQUAL(lat_conf_join(LAT_CONF_SECRET, LAT_CONF_AUDIT), LAT_CONF_TOP_SECRET);
	CU_ASSERT_EQUAL(lat_chain_join(LAT_CHAIN_L3, LAT_CHAIN_L60), LAT_CHAIN_L60);
	CU_ASSERT_EQUAL(lat_three_join(LAT_THREE_ALICE, LAT_THREE_BOB), 3u);
	CU_ASSERT_EQUAL(LAT_SIXTEEN_TOP, 0xffffu);
}

static const struct test_case tests[] = {
	TEST(test_every_generated_lattice_obeys_the_laws),
	TEST(test_generic_label_functions_agree_with_generated),
	TEST(test_diamond_joins_and_meets_as_drawn),
};

int main(void)
{
	return RUN_SUITE("generated lattices", tests);
}
