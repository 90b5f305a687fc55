/*
 * test_snap.c - incremental checkpoints (runtime/pd_snap.h): a fault in a
 * domain with `checkpoint incremental` rolls its undo log back, and the
 * state it comes back with equals - by the generated snap_ruleset_equal -
 * a full image saved at the last checkpoint, after faults in the middle of
 * writes, allocations, frees and moved arguments, again and again; the
 * label comes back with it; the checked mode catches a write without
 * pd_touch.  The stage code is ledger.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "snap.pdl.h"

static snap_ruleset *state_of(pd_domain *d)
{
	return d->slots[0].self;        /* the first export (pd_domain_spec) */
}

/* A full image of d's state now, taken as a checkpoint (a commit too). */
static void *image_now(pd_domain *d, size_t *len)
{
	const void *img;
	CU_ASSERT_EQUAL_FATAL(pd_domain_checkpoint_full(d), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_checkpoint_image(d, &img, len), 0);
	void *copy = malloc(*len);
	memcpy(copy, img, *len);
	pd_label_reset_outside();
	return copy;
}

/* Does d's live state equal the state the image holds? */
static bool state_equals(pd_domain *d, const void *img, size_t len)
{
	snap_ruleset loaded;
	memset(&loaded, 0, sizeof loaded);
	CU_ASSERT_EQUAL_FATAL(snap_ruleset_restore(img, len, NULL, &loaded), 0);
	pd_eq_ctx c;
	pd_eq_init(&c);
	bool eq = snap_ruleset_equal(&c, state_of(d), &loaded);
	snap_ruleset_free(&loaded);
	pd_label_reset_outside();
	return eq;
}

static pd_domain *ledger_with_rules(const pd_domain_spec *spec, uint32_t n, snap_book_rref *r)
{
	pd_domain *d = NULL;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(spec, &d), 0);
	CU_ASSERT_EQUAL_FATAL(pd_snap_set_checked(d, 1), 0);
	CU_ASSERT_EQUAL_FATAL(snap_book_of_domain(d, 0, r), 0);
	for (uint32_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(snap_book_add_rule(*r, 0x40000000u + i * 0x01000193u), 0);
		CU_ASSERT_EQUAL(snap_book_hit(*r, i), 0);
	}
	return d;
}

static void test_a_fault_rolls_back_to_the_last_checkpoint_exactly(void)
{
	size_t live = pd_heap_live_objects();
	snap_book_rref r;
	pd_domain *d = ledger_with_rules(&snap_ledger_domain, 40, &r);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);        /* the first: full, opens an epoch */
	/* an epoch of every kind of change, committed */
	for (uint32_t i = 0; i < 10; i++) {
		CU_ASSERT_EQUAL(snap_book_hit(r, i * 3), 0);
		CU_ASSERT_EQUAL(snap_book_bump(r, i * 977), 0);
	}
	CU_ASSERT_EQUAL(snap_book_drop_last(r), 0);
	CU_ASSERT_EQUAL(snap_book_add_rule(r, 0xc0a80000u), 0);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	size_t len;
	void *img = image_now(d, &len);

	/* partial writes, allocations and frees, then a fault mid-call */
	CU_ASSERT_EQUAL(snap_book_hit(r, 5), 0);
	CU_ASSERT_EQUAL(snap_book_drop_last(r), 0);
	CU_ASSERT_EQUAL(snap_book_churn_then_crash(r, 25), -PD_EFAULT);
	CU_ASSERT_TRUE(state_equals(d, img, len));
	CU_ASSERT_EQUAL(pd_snap_verify(d), 1);
	uint64_t n = 0;
	CU_ASSERT_EQUAL(snap_book_rule_count(r, &n), 0);    /* the same handle works */
	CU_ASSERT_EQUAL(n, 40);

	pd_snap_stats ss;
	CU_ASSERT_EQUAL(pd_snap_get_stats(d, &ss), 0);
	CU_ASSERT_EQUAL(ss.rollbacks, 1);
	CU_ASSERT_EQUAL(ss.fallbacks, 0);
	CU_ASSERT_EQUAL(ss.check_failures, 0);
	pd_domain_stats st;
	CU_ASSERT_EQUAL(pd_domain_get_stats(d, &st), 0);
	CU_ASSERT_EQUAL(st.restores, 1);
	CU_ASSERT_EQUAL(st.recoveries, 1);
	free(img);
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

static void test_repeated_faults_each_come_back_to_the_checkpoint(void)
{
	size_t live = pd_heap_live_objects();
	snap_book_rref r;
	pd_domain *d = ledger_with_rules(&snap_ledger_domain, 30, &r);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	size_t len;
	void *img = image_now(d, &len);
	for (uint32_t round = 0; round < 6; round++) {
		/* a fault right away, and one after a commit-free run of changes */
		CU_ASSERT_EQUAL(snap_book_churn_then_crash(r, round * 4), -PD_EFAULT);
		CU_ASSERT_TRUE(state_equals(d, img, len));
		CU_ASSERT_EQUAL(pd_snap_verify(d), 1);
		if (round % 2) {        /* move the checkpoint on */
			CU_ASSERT_EQUAL(snap_book_add_rule(r, 0x0a000000u + round), 0);
			CU_ASSERT_EQUAL(snap_book_drop_last(r), 0);
			CU_ASSERT_EQUAL(snap_book_drop_last(r), 0);
			CU_ASSERT_EQUAL(snap_book_bump(r, round), 0);
			CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
			free(img);
			img = image_now(d, &len);
		}
	}
	pd_snap_stats ss;
	CU_ASSERT_EQUAL(pd_snap_get_stats(d, &ss), 0);
	CU_ASSERT_EQUAL(ss.rollbacks, 6);
	CU_ASSERT_EQUAL(ss.fallbacks, 0);
	free(img);
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

/* The same run with full checkpoints: the baseline restores the same state. */
static void test_full_checkpoints_restore_the_same_state(void)
{
	snap_book_rref r;
	pd_domain *d = ledger_with_rules(&snap_ledger_full_domain, 30, &r);
	size_t len;
	void *img = image_now(d, &len);
	CU_ASSERT_EQUAL(snap_book_churn_then_crash(r, 12), -PD_EFAULT);
	CU_ASSERT_TRUE(state_equals(d, img, len));
	pd_snap_stats ss;
	CU_ASSERT_EQUAL(pd_snap_get_stats(d, &ss), 0);
	CU_ASSERT_EQUAL(ss.rollbacks, 0);
	free(img);
	pd_domain_destroy(d);
}

static void test_a_moved_in_argument_is_freed_by_the_rollback(void)
{
	snap_book_rref r;
	pd_domain *d = ledger_with_rules(&snap_ledger_domain, 5, &r);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	size_t live = pd_heap_live_objects();
	snap_blob *b = pd_alloc(sizeof *b, &snap_blob_kind);
	b->data.data = pd_alloc(16, NULL);
	b->data.len = 16;
	CU_ASSERT_EQUAL(snap_book_take_then_crash(r, &b), -PD_EFAULT);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);     /* the blob and its bytes went */
	pd_snap_stats ss;
	pd_snap_get_stats(d, &ss);
	CU_ASSERT_EQUAL(ss.rollbacks, 1);
	pd_domain_destroy(d);
}

static void test_checked_mode_catches_a_write_without_touch(void)
{
	snap_book_rref r;
	pd_domain *d = ledger_with_rules(&snap_ledger_domain, 10, &r);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	size_t len;
	void *img = image_now(d, &len);
	CU_ASSERT_EQUAL(snap_book_careless(r, 3), 0);
	/* a rollback cannot undo what it was not told of: the limit, shown */
	CU_ASSERT_EQUAL(snap_book_churn_then_crash(r, 2), -PD_EFAULT);
	CU_ASSERT_FALSE(state_equals(d, img, len));
	CU_ASSERT_EQUAL(pd_snap_verify(d), 0);
	/* and the checked commit names it */
	CU_ASSERT_EQUAL(snap_book_careless(r, 4), 0);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), -PD_ECORRUPT);
	pd_snap_stats ss;
	pd_snap_get_stats(d, &ss);
	CU_ASSERT_TRUE(ss.check_failures >= 1);
	/* touched writes pass */
	CU_ASSERT_EQUAL(snap_book_hit(r, 4), 0);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	free(img);
	pd_domain_destroy(d);
}

/* The rolled-back state comes back with its checkpoint's label, never below. */
static void test_the_label_comes_back_with_the_state(void)
{
	const pd_labels la = pd_labels_of(&snap_lv_lattice, SNAP_LV_A);
	const pd_labels lb = pd_labels_of(&snap_lv_lattice, SNAP_LV_B);
	const pd_domain_spec *specs[2] = { &snap_ledger_domain, &snap_ledger_full_domain };
	for (int k = 0; k < 2; k++) {
		snap_book_rref r;
		pd_domain *d = ledger_with_rules(specs[k], 3, &r);
		CU_ASSERT_EQUAL(pd_label_set_outside(la), 0);
		CU_ASSERT_EQUAL(snap_book_add_rule(r, 7), 0);   /* the state now holds {a} */
		pd_label_reset_outside();
		CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
		CU_ASSERT_EQUAL(pd_label_set_outside(lb), 0);
		CU_ASSERT_EQUAL(snap_book_churn_then_crash(r, 3), -PD_EFAULT);
		pd_label_reset_outside();
		pd_labels now = 0;
		CU_ASSERT_EQUAL(pd_domain_labels(d, &now), 0);
		pd_label_reset_outside();
		CU_ASSERT_TRUE(pd_labels_leq(la, now));         /* not bottom */
		if (k == 0)     /* a rollback never lowers it */
			CU_ASSERT_TRUE(pd_labels_leq(pd_labels_join(la, lb), now));
		pd_domain_destroy(d);
	}
}

static void test_full_images_stay_valid_between_commits(void)
{
	snap_book_rref r;
	pd_domain *d = ledger_with_rules(&snap_ledger_domain, 8, &r);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	const void *img;
	size_t len;
	CU_ASSERT_EQUAL(pd_domain_checkpoint_image(d, &img, &len), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	pd_label_reset_outside();
	CU_ASSERT_TRUE(state_equals(d, img, len));      /* the first checkpoint is a full image */
	CU_ASSERT_EQUAL(snap_book_add_rule(r, 99), 0);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);    /* a commit: the image is the older one */
	const void *img2;
	size_t len2;
	CU_ASSERT_EQUAL(pd_domain_checkpoint_image(d, &img2, &len2), 0);
	pd_label_reset_outside();
	CU_ASSERT_PTR_EQUAL(img2, img);
	CU_ASSERT_FALSE(state_equals(d, img2, len2));
	pd_domain_stats st;
	pd_domain_get_stats(d, &st);
	CU_ASSERT_EQUAL(st.checkpoints, 2);
	pd_domain_destroy(d);
}

/* Full images come at the first commit and then every checkpoint_full_every. */
static void test_full_images_come_on_their_schedule(void)
{
	pd_domain_spec spec = snap_ledger_domain;
	spec.checkpoint_full_every = 3;
	snap_book_rref r;
	pd_domain *d = ledger_with_rules(&spec, 4, &r);
	uint64_t images[8];
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(snap_book_hit(r, (uint32_t)i), 0);
		CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
		pd_domain_stats st;
		pd_domain_get_stats(d, &st);
		images[i] = st.images;
	}
	/* commits 1..8: full at 1 (the first), 4 and 7 */
	CU_ASSERT_EQUAL(images[0], 1);
	CU_ASSERT_EQUAL(images[2], 1);
	CU_ASSERT_EQUAL(images[3], 2);
	CU_ASSERT_EQUAL(images[6], 3);
	CU_ASSERT_EQUAL(images[7], 3);
	pd_domain_destroy(d);
}

/* What the log cannot undo falls back to the last full image, said once. */
static void test_a_fault_the_log_cannot_undo_restores_the_last_full_image(void)
{
	size_t live = pd_heap_live_objects();
	snap_book_rref r;
	pd_domain *d = ledger_with_rules(&snap_ledger_domain, 12, &r);
	size_t len;
	void *full = image_now(d, &len);             /* a full image ... */
	CU_ASSERT_EQUAL(snap_book_add_rule(r, 0xdeadbeefu), 0);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);        /* ... then a commit past it */
	CU_ASSERT_EQUAL(snap_book_export_more(r), 0);
	CU_ASSERT_EQUAL(snap_book_churn_then_crash(r, 3), -PD_EFAULT);
	CU_ASSERT_TRUE(state_equals(d, full, len));
	pd_snap_stats ss;
	pd_snap_get_stats(d, &ss);
	CU_ASSERT_EQUAL(ss.rollbacks, 0);
	CU_ASSERT_EQUAL(ss.fallbacks, 1);
	CU_ASSERT_EQUAL(ss.epoch, 0);                       /* until the next checkpoint */
	/* and the next checkpoint starts a new epoch, with a full image */
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	free(full);
	full = image_now(d, &len);
	CU_ASSERT_EQUAL(snap_book_churn_then_crash(r, 3), -PD_EFAULT);
	CU_ASSERT_TRUE(state_equals(d, full, len));
	pd_snap_get_stats(d, &ss);
	CU_ASSERT_EQUAL(ss.rollbacks, 1);
	free(full);
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

static const struct test_case tests[] = {
	TEST(test_a_fault_rolls_back_to_the_last_checkpoint_exactly),
	TEST(test_repeated_faults_each_come_back_to_the_checkpoint),
	TEST(test_full_checkpoints_restore_the_same_state),
	TEST(test_a_moved_in_argument_is_freed_by_the_rollback),
	TEST(test_checked_mode_catches_a_write_without_touch),
	TEST(test_the_label_comes_back_with_the_state),
	TEST(test_full_images_stay_valid_between_commits),
	TEST(test_a_fault_the_log_cannot_undo_restores_the_last_full_image),
	TEST(test_full_images_come_on_their_schedule),
};

int main(void)
{
	return RUN_SUITE("incremental checkpoints", tests);
}
