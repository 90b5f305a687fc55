/*
 * The main() every runtime test program shares: one suite, the tests in
 * the order listed, CUnit's basic interface in verbose mode, and an exit
 * status that is non-zero when any assertion failed (tests/run-tests.sh
 * reads both the summary and the status).
 */
#ifndef CUNIT_MAIN_H
#define CUNIT_MAIN_H

#include <CUnit/Basic.h>
#include <stdio.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST(fn) { #fn, fn }

static inline int run_suite(const char *suite, const struct test_case *tests, size_t n)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite(suite, NULL, NULL);
	for (size_t i = 0; s && i < n; i++)
		if (!CU_add_test(s, tests[i].name, tests[i].fn))
			s = NULL;
	if (s == NULL) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

#define RUN_SUITE(name, tests) run_suite(name, tests, sizeof(tests) / sizeof(tests[0]))

#endif
