/*
 * ckpt_attacks.c - checkpoint guarantees ("what saves, loads") broken by
 * pdlc's output, on tests/attacks/mixvec.pdl.  FAILS while the bug holds.
 */
#include <string.h>

#include "cunit_main.h"
#include "mixvec.pdl.h"

/*
 * Class: a state that saves does not load (pdlc: one vec helper per C
 * type, not per lattice).  vec<labeled<u64, conf>> and vec<labeled<u64,
 * tenants>> become one C type, mixvec_vec_labeled_u64, whose load checks
 * every label with pd_label_valid(&mixvec_conf_lattice, ...).  Steps: a
 * by_tenant value holding one item labelled {bob} (id 2, a label of
 * tenants but not of conf) is checkpointed and restored.  Broke: the save
 * succeeds, the restore fails with "label 2 is not in conf" - a domain
 * with this state recovers to its fresh state, not its last checkpoint.
 * (With the declarations in the other order, the conf vector's labels are
 * checked against tenants and accept ids conf does not have.)
 */
static void test_a_tenant_labelled_vector_saves_but_does_not_load(void)
{
	mixvec_labeled_u64 *item = pd_alloc(sizeof(*item), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(item);
	item->value = 7;
	item->label = MIXVEC_TENANTS_BOB;
	mixvec_by_tenant v = { .values = { .items = item, .len = 1, .cap = 1 } };
	void *image = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL_FATAL(mixvec_by_tenant_checkpoint(&v, &image, &len), 0);
	mixvec_by_tenant back;
	memset(&back, 0, sizeof(back));
	int rc = mixvec_by_tenant_restore(image, len, NULL, &back);
	if (rc < 0)
		fprintf(stderr, "\n  restore: %s\n", pd_strerror(rc));
	CU_ASSERT_EQUAL(rc, 0);
	if (rc == 0) {
		CU_ASSERT_EQUAL(back.values.len, 1);
		mixvec_by_tenant_free(&back);
	}
	pd_free(image);
	pd_free(item);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_a_tenant_labelled_vector_saves_but_does_not_load),
	};
	return RUN_SUITE("checkpoint attacks", tests);
}
