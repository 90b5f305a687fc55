/*
 * Checkpoint images through the generated-style functions of fwgraph.c:
 * round trips that keep values and sharing (k aliases -> one object with k
 * references; cycles), every validation failure with its exact code, the
 * limits, and - after every failure - the heap back to its object count
 * before the load (nothing leaks, nothing half-restored is returned).
 */
#include <xxhash.h>

#include "cunit_main.h"
#include "fwbuild.h"

/* --- helpers ----------------------------------------------------------- */

/* Rewrites the header's payload length and checksum to match payload bytes
 * [32, len), so a corruption reaches the structural checks behind them. */
static void reseal(uint8_t *img, size_t len)
{
	uint64_t payload = len - PD_CKPT_HEADER_SIZE;
	uint64_t sum = XXH3_64bits(img + PD_CKPT_HEADER_SIZE, payload);
	memcpy(img + 16, &payload, 8);
	memcpy(img + 24, &sum, 8);
}

static uint8_t *copy_of(const void *img, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	memcpy(c, img, len);
	return c;
}

/* A small ruleset image: 20 rules, 3 aliases each. */
static void small_ruleset_image(void **img, size_t *len)
{
	fw_ruleset rs;
	fw_build_ruleset(&rs, 20, 3);
	CU_ASSERT_EQUAL_FATAL(fw_ruleset_save_image(&rs, img, len), 0);
	fw_ruleset_free(&rs);
}

/* Loads a corrupted ruleset image; asserts the heap is as before and returns rc. */
static int load_ruleset_expecting_no_leak(const void *img, size_t len, const pd_ckpt_limits *lim,
                                          pd_ckpt_reader *r)
{
	size_t before = pd_heap_live_objects();
	fw_ruleset out;
	int rc = fw_ruleset_load_image(img, len, lim, &out, r);
	if (rc == 0)
		fw_ruleset_free(&out);
	else
		CU_ASSERT_PTR_NULL(out.root);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), before);
	return rc;
}

/* A ring of n nodes closing on the head, each holding rule `shared_rule`. */
static fw_ring *make_ring(int n, fw_rule *shared_rule)
{
	fw_ring *head = pd_shared_alloc(sizeof(*head), &fw_ring_kind);
	fw_ring *prev = head;
	head->value = 0;
	head->rule = pd_shared_retain(shared_rule);
	for (int i = 1; i < n; i++) {
		fw_ring *x = pd_shared_alloc(sizeof(*x), &fw_ring_kind);
		x->value = i * 10;
		x->rule = pd_shared_retain(shared_rule);
		prev->next = x;  /* takes the allocation's reference */
		prev = x;
	}
	prev->next = pd_shared_retain(head);
	return head;
}

/* Cycles are not freed by counting: cut the ring, then release the head. */
static void free_ringset(fw_ringset *s)
{
	fw_ring *last = s->head;
	if (last == NULL)
		return;
	while (last->next != s->head)
		last = last->next;
	last->next = NULL;
	pd_shared_release(s->head);  /* the back edge's reference */
	fw_ringset_free(s);
}

/* --- round trips ------------------------------------------------------- */

static void test_round_trip_is_equal_and_keeps_refcounts(void)
{
	size_t base = pd_heap_live_objects();
	fw_ruleset rs, back;
	fw_build_ruleset(&rs, 200, 4);
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(fw_ruleset_save_image(&rs, &img, &len), 0);
	CU_ASSERT_EQUAL_FATAL(fw_ruleset_load_image(img, len, NULL, &back, NULL), 0);
	CU_ASSERT_TRUE(fw_ruleset_equal_root(&rs, &back));
	CU_ASSERT_EQUAL(back.all.len, 200);
	for (uint32_t i = 0; i < back.all.len; i++)
		CU_ASSERT_EQUAL(pd_shared_refcount(back.all.items[i]), pd_shared_refcount(rs.all.items[i]));
	CU_ASSERT_EQUAL(pd_shared_refcount(back.all.items[7]), 5);  /* 4 trie nodes + all */
	CU_ASSERT_EQUAL(back.generation, 200);
	CU_ASSERT_PTR_NOT_EQUAL(back.all.items[0], rs.all.items[0]);
	fw_ruleset_free(&rs);
	fw_ruleset_free(&back);
	pd_free(img);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), base);
}

static void test_k_aliases_restore_as_one_object_with_k_references(void)
{
	fw_rule *rule = fw_make_rule(42);
	fw_ruleset rs = { .root = fw_make_node() };
	for (int k = 0; k < 5; k++)
		fw_vec_push(&rs.root->rules, rule);
	pd_shared_release(rule);
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(fw_ruleset_save_image(&rs, &img, &len), 0);
	/* header; no labels (a count of 0); root: 2 presence bytes, count, one
	 * NEW (5 bytes, then 32 bytes of fixed fields and "rule-42" with its
	 * length), 4 back-references; then `all` (count 0) and generation. */
	CU_ASSERT_EQUAL(len, 32 + 4 + 2 + 4 + (5 + 32 + 4 + 7) + 4 * 5 + 4 + 8);
	fw_ruleset back;
	CU_ASSERT_EQUAL_FATAL(fw_ruleset_load_image(img, len, NULL, &back, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(back.root->rules.len, 5);
	for (int k = 1; k < 5; k++)
		CU_ASSERT_PTR_EQUAL(back.root->rules.items[k], back.root->rules.items[0]);
	CU_ASSERT_EQUAL(pd_shared_refcount(back.root->rules.items[0]), 5);
	CU_ASSERT_EQUAL(back.root->rules.items[0]->hits, 42u * 1000003u);
	CU_ASSERT_EQUAL(memcmp(back.root->rules.items[0]->name.data, "rule-42", 7), 0);
	fw_ruleset_free(&back);
	fw_ruleset_free(&rs);
	pd_free(img);
}

static void test_shared_cycle_round_trips_with_same_shape(void)
{
	size_t base = pd_heap_live_objects();
	fw_rule *rule = fw_make_rule(1);
	fw_ringset s = { .head = make_ring(4, rule) };
	pd_shared_release(rule);
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(fw_ringset_save_image(&s, &img, &len), 0);
	fw_ringset back;
	CU_ASSERT_EQUAL_FATAL(fw_ringset_load_image(img, len, NULL, &back, NULL), 0);
	CU_ASSERT_TRUE(fw_ringset_equal_root(&s, &back));
	fw_ring *h = back.head;
	CU_ASSERT_PTR_EQUAL(h->next->next->next->next, h);
	CU_ASSERT_EQUAL(h->next->next->value, 20);
	CU_ASSERT_PTR_EQUAL(h->rule, h->next->next->next->rule);
	CU_ASSERT_EQUAL(pd_shared_refcount(h), 2);        /* ringset + back edge */
	CU_ASSERT_EQUAL(pd_shared_refcount(h->next), 1);
	CU_ASSERT_EQUAL(pd_shared_refcount(h->rule), 4);  /* every ring node */
	free_ringset(&back);
	free_ringset(&s);
	pd_free(img);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), base);
}

static void test_self_loop_round_trips(void)
{
	fw_ringset s = { .head = make_ring(1, NULL) };
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(fw_ringset_save_image(&s, &img, &len), 0);
	fw_ringset back;
	CU_ASSERT_EQUAL_FATAL(fw_ringset_load_image(img, len, NULL, &back, NULL), 0);
	CU_ASSERT_PTR_EQUAL(back.head->next, back.head);
	CU_ASSERT_PTR_NULL(back.head->rule);
	CU_ASSERT_TRUE(fw_ringset_equal_root(&s, &back));
	free_ringset(&back);
	free_ringset(&s);
	pd_free(img);
}

static void test_equal_is_false_when_sharing_differs(void)
{
	/* Same values, but a holds one rule twice and b two copies of it. */
	fw_ruleset a = { .root = fw_make_node() }, b = { .root = fw_make_node() };
	fw_rule *r = fw_make_rule(3), *r1 = fw_make_rule(3), *r2 = fw_make_rule(3);
	fw_vec_push(&a.root->rules, r);
	fw_vec_push(&a.root->rules, r);
	fw_vec_push(&b.root->rules, r1);
	fw_vec_push(&b.root->rules, r2);
	CU_ASSERT_FALSE(fw_ruleset_equal_root(&a, &b));
	CU_ASSERT_FALSE(fw_ruleset_equal_root(&b, &a));
	/* and true once b shares too */
	pd_shared_release(b.root->rules.items[1]);
	b.root->rules.items[1] = pd_shared_retain(r1);
	CU_ASSERT_TRUE(fw_ruleset_equal_root(&a, &b));
	b.root->rules.items[1]->hits++;
	CU_ASSERT_FALSE(fw_ruleset_equal_root(&a, &b));
	pd_shared_release(r);
	pd_shared_release(r1);
	pd_shared_release(r2);
	fw_ruleset_free(&a);
	fw_ruleset_free(&b);
}

static void test_second_save_gives_identical_image(void)
{
	fw_ruleset rs;
	fw_build_ruleset(&rs, 50, 2);
	void *a, *b;
	size_t la, lb;
	CU_ASSERT_EQUAL_FATAL(fw_ruleset_save_image(&rs, &a, &la), 0);
	CU_ASSERT_EQUAL_FATAL(fw_ruleset_save_image(&rs, &b, &lb), 0);
	CU_ASSERT_EQUAL(la, lb);
	CU_ASSERT_EQUAL(memcmp(a, b, la), 0);  /* stale stamps from the first save mean nothing */
	pd_free(a);
	pd_free(b);
	fw_ruleset_free(&rs);
}

static void test_epoch_wrap_keeps_sharing_exact(void)
{
	fw_ruleset rs;
	fw_build_ruleset(&rs, 10, 3);
	void *a, *b;
	size_t la, lb;
	pd__epoch_set(UINT32_MAX - 1);
	CU_ASSERT_EQUAL_FATAL(fw_ruleset_save_image(&rs, &a, &la), 0);  /* epoch UINT32_MAX */
	CU_ASSERT_EQUAL_FATAL(fw_ruleset_save_image(&rs, &b, &lb), 0);  /* wraps: stamps cleared */
	CU_ASSERT_EQUAL(la, lb);
	CU_ASSERT_EQUAL(memcmp(a, b, la), 0);
	CU_ASSERT_EQUAL(pd__obj_of(rs.all.items[0])->epoch, 1);
	pd_free(a);
	pd_free(b);
	fw_ruleset_free(&rs);
}

static void test_empty_shared_root_round_trips(void)
{
	fw_ringset s = { 0 }, back;
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(fw_ringset_save_image(&s, &img, &len), 0);
	CU_ASSERT_EQUAL(len, 32 + 4 + 1);   /* header, no labels, a NULL tag */
	CU_ASSERT_EQUAL(fw_ringset_load_image(img, len, NULL, &back, NULL), 0);
	CU_ASSERT_PTR_NULL(back.head);
	pd_free(img);
}

/* --- the header -------------------------------------------------------- */

static void expect_header_error(size_t offset, uint8_t xor, int detail)
{
	void *img;
	size_t len;
	small_ruleset_image(&img, &len);
	((uint8_t *)img)[offset] ^= xor;
	pd_ckpt_reader r;
	CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(img, len, NULL, &r), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), detail);
	pd_free(img);
}

static void test_bad_magic_is_EMAGIC(void) { expect_header_error(0, 0x20, PD_CKPT_EMAGIC); }
static void test_bad_version_is_EVERSION(void) { expect_header_error(4, 0x02, PD_CKPT_EVERSION); }
static void test_other_fingerprint_is_EFINGERPRINT(void) { expect_header_error(9, 0x01, PD_CKPT_EFINGERPRINT); }

static void test_short_payload_length_is_ELENGTH(void)
{
	void *img;
	size_t len;
	small_ruleset_image(&img, &len);
	uint64_t payload = len - PD_CKPT_HEADER_SIZE - 1;  /* one byte more than the header says */
	memcpy((uint8_t *)img + 16, &payload, 8);
	pd_ckpt_reader r;
	CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(img, len, NULL, &r), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_ELENGTH);
	pd_free(img);
}
static void test_long_payload_length_is_ETRUNCATED(void) { expect_header_error(20, 0x01, PD_CKPT_ETRUNCATED); }
static void test_bad_checksum_is_ECHECKSUM(void) { expect_header_error(31, 0x80, PD_CKPT_ECHECKSUM); }
static void test_flipped_payload_byte_is_ECHECKSUM(void) { expect_header_error(40, 0x01, PD_CKPT_ECHECKSUM); }

static void test_error_message_names_the_problem(void)
{
	void *img;
	size_t len;
	small_ruleset_image(&img, &len);
	pd_ckpt_reader r;
	CU_ASSERT_EQUAL(pd_ckpt_reader_init(&r, img, len, 1234, NULL), -PD_ECORRUPT);
	CU_ASSERT_PTR_NOT_NULL(strstr(pd_ckpt_error_message(&r), "fingerprint"));
	pd_ckpt_reader_abort(&r);
	CU_ASSERT_EQUAL(pd_ckpt_reader_init(&r, img, 10, FW_RULESET_FINGERPRINT, NULL), -PD_ECORRUPT);
	CU_ASSERT_STRING_EQUAL(pd_ckpt_error_message(&r), "image of 10 bytes is shorter than the 32-byte header");
	pd_ckpt_reader_abort(&r);
	pd_free(img);
}

/* --- every corruption -------------------------------------------------- */

static void test_every_byte_flip_is_refused(void)
{
	void *img;
	size_t len;
	small_ruleset_image(&img, &len);
	for (size_t i = 0; i < len; i++)
		for (unsigned xor = 0x01; xor <= 0x80; xor <<= 7) {  /* lowest and highest bit */
			uint8_t *c = copy_of(img, len);
			c[i] ^= (uint8_t)xor;
			CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(c, len, NULL, NULL), -PD_ECORRUPT);
			free(c);
		}
	pd_free(img);
}

/*
 * With the checksum fixed up, a flip reaches the structure: it must either
 * be refused or load into a value that frees cleanly (a flipped counter is
 * a different but valid state).  Structural flips must be caught.
 */
static void test_every_resealed_byte_flip_is_refused_or_loads_cleanly(void)
{
	void *img;
	size_t len;
	small_ruleset_image(&img, &len);
	size_t refused = 0, loaded = 0;
	for (size_t i = PD_CKPT_HEADER_SIZE; i < len; i++) {
		uint8_t *c = copy_of(img, len);
		c[i] ^= 0xff;
		reseal(c, len);
		int rc = load_ruleset_expecting_no_leak(c, len, NULL, NULL);
		CU_ASSERT(rc == 0 || rc == -PD_ECORRUPT);
		rc == 0 ? loaded++ : refused++;
		free(c);
	}
	CU_ASSERT(refused > 0);
	CU_ASSERT(loaded > 0);
	/* The first byte after the (empty) label section is the root's `zero`
	 * presence: 0x01 -> 0xfe. */
	uint8_t *c = copy_of(img, len);
	c[PD_CKPT_HEADER_SIZE + 4] ^= 0xff;
	reseal(c, len);
	pd_ckpt_reader r;
	CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(c, len, NULL, &r), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_EVALUE);
	free(c);
	pd_free(img);
}

static void test_every_truncation_is_refused(void)
{
	void *img;
	size_t len;
	small_ruleset_image(&img, &len);
	for (size_t n = 0; n < len; n++) {
		pd_ckpt_reader r;
		CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(img, n, NULL, &r), -PD_ECORRUPT);
		CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_ETRUNCATED);
		if (n >= PD_CKPT_HEADER_SIZE) {  /* and with a header that agrees */
			uint8_t *c = copy_of(img, n);
			reseal(c, n);
			CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(c, n, NULL, &r), -PD_ECORRUPT);
			CU_ASSERT(pd_ckpt_error(&r) == PD_CKPT_ETRUNCATED || pd_ckpt_error(&r) == PD_CKPT_ECOUNT);
			free(c);
		}
	}
	pd_free(img);
}

static void test_truncated_cycle_leaks_nothing(void)
{
	fw_rule *rule = fw_make_rule(9);
	fw_ringset s = { .head = make_ring(6, rule) };
	pd_shared_release(rule);
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(fw_ringset_save_image(&s, &img, &len), 0);
	for (size_t n = PD_CKPT_HEADER_SIZE; n < len; n++) {
		uint8_t *c = copy_of(img, n);
		reseal(c, n);
		size_t before = pd_heap_live_objects();
		fw_ringset back;
		CU_ASSERT_EQUAL(fw_ringset_load_image(c, n, NULL, &back, NULL), -PD_ECORRUPT);
		CU_ASSERT_PTR_NULL(back.head);
		CU_ASSERT_EQUAL(pd_heap_live_objects(), before);
		free(c);
	}
	free_ringset(&s);
	pd_free(img);
}

static void test_random_images_are_refused(void)
{
	srand(6);
	for (int i = 0; i < 2000; i++) {
		size_t len = (size_t)(rand() % 300);
		uint8_t *c = malloc(len + 1);
		for (size_t j = 0; j < len; j++)
			c[j] = (uint8_t)rand();
		CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(c, len, NULL, NULL), -PD_ECORRUPT);
		free(c);
	}
}

/* Random payloads behind a valid header: structural validation alone. */
static void test_random_sealed_payloads_never_crash_or_leak(void)
{
	srand(7);
	size_t refused = 0;
	for (int i = 0; i < 20000; i++) {
		size_t len = PD_CKPT_HEADER_SIZE + (size_t)(rand() % 200);
		uint8_t *c = malloc(len);
		for (size_t j = 0; j < len; j++)
			c[j] = (uint8_t)(rand() % 4 ? rand() % 3 : rand());  /* small bytes reach deeper */
		uint32_t magic = PD_CKPT_MAGIC, version = PD_CKPT_VERSION;
		uint64_t fp = FW_RULESET_FINGERPRINT;
		memcpy(c, &magic, 4);
		memcpy(c + 4, &version, 4);
		memcpy(c + 8, &fp, 8);
		reseal(c, len);
		int rc = load_ruleset_expecting_no_leak(c, len, NULL, NULL);
		CU_ASSERT(rc == 0 || rc == -PD_ECORRUPT);
		refused += rc != 0;
		free(c);
	}
	CU_ASSERT(refused > 19000);
}

/* --- crafted images: references ---------------------------------------- */

static int load_crafted_ringset(pd_ckpt_writer *w, const pd_ckpt_limits *lim, int *detail)
{
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(pd_ckpt_finish(w, FW_RINGSET_FINGERPRINT, &img, &len), 0);
	size_t before = pd_heap_live_objects();
	fw_ringset back;
	pd_ckpt_reader r;
	int rc = fw_ringset_load_image(img, len, lim, &back, &r);
	if (rc == 0)
		free_ringset(&back);
	*detail = pd_ckpt_error(&r);
	pd_free(img);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), before - 1);  /* minus the image */
	return rc;
}

static void test_back_reference_to_unrestored_id_is_EBADREF(void)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_put_u8(&w, PD_CKPT_NEW);  /* head: ring 0 */
	pd_ckpt_put_u32(&w, 0);
	pd_ckpt_put_i32(&w, 5);
	pd_ckpt_put_u8(&w, PD_CKPT_BACKREF);  /* next: ring 1 - never restored */
	pd_ckpt_put_u32(&w, 1);
	pd_ckpt_put_u8(&w, PD_CKPT_NULL);
	int detail;
	CU_ASSERT_EQUAL(load_crafted_ringset(&w, NULL, &detail), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(detail, PD_CKPT_EBADREF);
}

static void test_new_object_out_of_sequence_is_EBADREF(void)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_put_u8(&w, PD_CKPT_NEW);
	pd_ckpt_put_u32(&w, 3);
	pd_ckpt_put_i32(&w, 5);
	pd_ckpt_put_u8(&w, PD_CKPT_NULL);
	pd_ckpt_put_u8(&w, PD_CKPT_NULL);
	int detail;
	CU_ASSERT_EQUAL(load_crafted_ringset(&w, NULL, &detail), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(detail, PD_CKPT_EBADREF);
}

static void test_back_reference_to_other_type_is_EREFTYPE(void)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_put_u8(&w, PD_CKPT_NEW);  /* head: ring 0 */
	pd_ckpt_put_u32(&w, 0);
	pd_ckpt_put_i32(&w, 5);
	pd_ckpt_put_u8(&w, PD_CKPT_BACKREF);  /* next: itself, fine */
	pd_ckpt_put_u32(&w, 0);
	pd_ckpt_put_u8(&w, PD_CKPT_BACKREF);  /* rule: object 0 is a ring, not a rule */
	pd_ckpt_put_u32(&w, 0);
	int detail;
	CU_ASSERT_EQUAL(load_crafted_ringset(&w, NULL, &detail), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(detail, PD_CKPT_EREFTYPE);
}

static void test_bad_shared_tag_is_EVALUE(void)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_put_u8(&w, 3);
	pd_ckpt_put_u32(&w, 0);
	int detail;
	CU_ASSERT_EQUAL(load_crafted_ringset(&w, NULL, &detail), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(detail, PD_CKPT_EVALUE);
}

static void test_trailing_bytes_are_ETRAILING(void)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_put_u8(&w, PD_CKPT_NULL);
	pd_ckpt_put_u8(&w, 0);
	int detail;
	CU_ASSERT_EQUAL(load_crafted_ringset(&w, NULL, &detail), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(detail, PD_CKPT_ETRAILING);
}

static void test_huge_count_is_ECOUNT_before_allocating(void)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_put_present(&w, false);  /* root.zero */
	pd_ckpt_put_present(&w, false);  /* root.one */
	pd_ckpt_put_count(&w, 0xffffffffu);  /* root.rules: 4 G pointers from a few bytes */
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(pd_ckpt_finish(&w, FW_RULESET_FINGERPRINT, &img, &len), 0);
	pd_ckpt_reader r;
	CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(img, len, NULL, &r), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_ECOUNT);
	pd_free(img);
}

static void test_huge_bytes_length_is_ECOUNT_before_allocating(void)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_put_present(&w, false);
	pd_ckpt_put_present(&w, false);
	pd_ckpt_put_count(&w, 1);
	pd_ckpt_put_u8(&w, PD_CKPT_NEW);
	pd_ckpt_put_u32(&w, 0);
	for (int i = 0; i < 32; i++)  /* the rule's fixed fields */
		pd_ckpt_put_u8(&w, 0);
	pd_ckpt_put_u32(&w, 0x7fffffffu);  /* name: 2 GiB claimed */
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(pd_ckpt_finish(&w, FW_RULESET_FINGERPRINT, &img, &len), 0);
	pd_ckpt_reader r;
	CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(img, len, NULL, &r), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_ECOUNT);
	pd_free(img);
}

/* --- limits ------------------------------------------------------------ */

static void test_depth_over_limit_is_EDEPTH(void)
{
	fw_ruleset rs = { .root = fw_make_node() };
	fw_trie_walk(rs.root, 0, 10);  /* a chain of 10 nodes below the root */
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(fw_ruleset_save_image(&rs, &img, &len), 0);
	pd_ckpt_reader r;
	pd_ckpt_limits lim = { .max_depth = 10 };
	CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(img, len, &lim, &r), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_EDEPTH);
	lim.max_depth = 11;  /* the root plus 10 */
	CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(img, len, &lim, &r), 0);
	pd_free(img);
	fw_ruleset_free(&rs);
}

static void test_objects_over_limit_is_EOBJECTS(void)
{
	void *img;
	size_t len;
	small_ruleset_image(&img, &len);
	fw_ruleset back;
	CU_ASSERT_EQUAL_FATAL(fw_ruleset_load_image(img, len, NULL, &back, NULL), 0);
	size_t objects = pd_heap_live_objects();
	fw_ruleset_free(&back);
	objects -= pd_heap_live_objects();  /* what one load allocates */
	pd_ckpt_reader r;
	pd_ckpt_limits lim = { .max_objects = (uint32_t)objects - 1 };
	CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(img, len, &lim, &r), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_EOBJECTS);
	lim.max_objects = (uint32_t)objects;
	CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(img, len, &lim, &r), 0);
	pd_free(img);
}

static void test_bytes_over_limit_is_EBYTES(void)
{
	void *img;
	size_t len;
	small_ruleset_image(&img, &len);
	pd_ckpt_reader r;
	pd_ckpt_limits lim = { .max_bytes = 1000 };
	CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(img, len, &lim, &r), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_EBYTES);
	lim.max_bytes = 1u << 20;
	CU_ASSERT_EQUAL(load_ruleset_expecting_no_leak(img, len, &lim, &r), 0);
	pd_free(img);
}

/* --- the reader's other checks ----------------------------------------- */

static void test_bool_other_than_0_or_1_is_EVALUE(void)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_put_u8(&w, 2);
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(pd_ckpt_finish(&w, 77, &img, &len), 0);
	pd_ckpt_reader r;
	bool b = true;
	CU_ASSERT_EQUAL_FATAL(pd_ckpt_reader_init(&r, img, len, 77, NULL), 0);
	CU_ASSERT_EQUAL(pd_ckpt_get_bool(&r, &b), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_EVALUE);
	CU_ASSERT_FALSE(b);
	/* sticky */
	uint8_t u = 9;
	CU_ASSERT_EQUAL(pd_ckpt_get_u8(&r, &u), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(u, 0);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_EVALUE);
	CU_ASSERT_EQUAL(pd_ckpt_reader_finish(&r), -PD_ECORRUPT);
	pd_ckpt_reader_abort(&r);
	pd_free(img);
}

static void test_scalars_round_trip_little_endian(void)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_put_u16(&w, 0x0102);
	pd_ckpt_put_i32(&w, -2);
	pd_ckpt_put_u64(&w, 0x1122334455667788ull);
	pd_ckpt_put_f64(&w, -0.0);
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(pd_ckpt_finish(&w, 5, &img, &len), 0);
	const uint8_t *p = (const uint8_t *)img + PD_CKPT_HEADER_SIZE + 4;  /* after "no labels" */
	CU_ASSERT_EQUAL(len, PD_CKPT_HEADER_SIZE + 4 + 22);
	CU_ASSERT_EQUAL(p[0], 0x02);
	CU_ASSERT_EQUAL(p[1], 0x01);
	CU_ASSERT_EQUAL(p[2], 0xfe);
	CU_ASSERT_EQUAL(p[5], 0xff);
	CU_ASSERT_EQUAL(p[6], 0x88);
	CU_ASSERT_EQUAL(p[21], 0x80);  /* the sign of -0.0 */
	pd_ckpt_reader r;
	uint16_t a;
	int32_t b;
	uint64_t c;
	double d;
	CU_ASSERT_EQUAL_FATAL(pd_ckpt_reader_init(&r, img, len, 5, NULL), 0);
	CU_ASSERT_EQUAL(pd_ckpt_get_u16(&r, &a), 0);
	CU_ASSERT_EQUAL(pd_ckpt_get_i32(&r, &b), 0);
	CU_ASSERT_EQUAL(pd_ckpt_get_u64(&r, &c), 0);
	CU_ASSERT_EQUAL(pd_ckpt_get_f64(&r, &d), 0);
	CU_ASSERT_EQUAL(a, 0x0102);
	CU_ASSERT_EQUAL(b, -2);
	CU_ASSERT_EQUAL(c, 0x1122334455667788ull);
	CU_ASSERT_TRUE(d == 0.0 && __builtin_signbit(d));
	CU_ASSERT_EQUAL(pd_ckpt_reader_finish(&r), 0);
	pd_free(img);
}

static void test_shared_release_frees_at_zero(void)
{
	size_t base = pd_heap_live_objects();
	fw_rule *r = fw_make_rule(1);  /* and its name buffer */
	CU_ASSERT_EQUAL(pd_shared_refcount(r), 1);
	CU_ASSERT_PTR_EQUAL(pd_shared_retain(r), r);
	CU_ASSERT_EQUAL(pd_shared_refcount(r), 2);
	CU_ASSERT_EQUAL(pd_shared_release(r), 0);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), base + 2);
	CU_ASSERT_EQUAL(pd_shared_release(r), 0);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), base);
	CU_ASSERT_PTR_NULL(pd_shared_retain(NULL));
	CU_ASSERT_EQUAL(pd_shared_release(NULL), 0);
}

static void test_writer_discard_frees_buffer(void)
{
	size_t base = pd_heap_live_objects();
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_writer_reserve(&w, 1 << 16);
	for (int i = 0; i < 100000; i++)
		pd_ckpt_put_u32(&w, (uint32_t)i);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), base + 1);
	pd_ckpt_writer_discard(&w);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), base);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_round_trip_is_equal_and_keeps_refcounts),
		TEST(test_k_aliases_restore_as_one_object_with_k_references),
		TEST(test_shared_cycle_round_trips_with_same_shape),
		TEST(test_self_loop_round_trips),
		TEST(test_equal_is_false_when_sharing_differs),
		TEST(test_second_save_gives_identical_image),
		TEST(test_epoch_wrap_keeps_sharing_exact),
		TEST(test_empty_shared_root_round_trips),
		TEST(test_bad_magic_is_EMAGIC),
		TEST(test_bad_version_is_EVERSION),
		TEST(test_other_fingerprint_is_EFINGERPRINT),
		TEST(test_short_payload_length_is_ELENGTH),
		TEST(test_long_payload_length_is_ETRUNCATED),
		TEST(test_bad_checksum_is_ECHECKSUM),
		TEST(test_flipped_payload_byte_is_ECHECKSUM),
		TEST(test_error_message_names_the_problem),
		TEST(test_every_byte_flip_is_refused),
		TEST(test_every_resealed_byte_flip_is_refused_or_loads_cleanly),
		TEST(test_every_truncation_is_refused),
		TEST(test_truncated_cycle_leaks_nothing),
		TEST(test_random_images_are_refused),
		TEST(test_random_sealed_payloads_never_crash_or_leak),
		TEST(test_back_reference_to_unrestored_id_is_EBADREF),
		TEST(test_new_object_out_of_sequence_is_EBADREF),
		TEST(test_back_reference_to_other_type_is_EREFTYPE),
		TEST(test_bad_shared_tag_is_EVALUE),
		TEST(test_trailing_bytes_are_ETRAILING),
		TEST(test_huge_count_is_ECOUNT_before_allocating),
		TEST(test_huge_bytes_length_is_ECOUNT_before_allocating),
		TEST(test_depth_over_limit_is_EDEPTH),
		TEST(test_objects_over_limit_is_EOBJECTS),
		TEST(test_bytes_over_limit_is_EBYTES),
		TEST(test_bool_other_than_0_or_1_is_EVALUE),
		TEST(test_scalars_round_trip_little_endian),
		TEST(test_shared_release_frees_at_zero),
		TEST(test_writer_discard_frees_buffer),
	};
	return RUN_SUITE("ckpt", tests);
}
