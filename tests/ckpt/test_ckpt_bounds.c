/*
 * test_ckpt_bounds.c - a checkpoint load allocates in proportion to the
 * image it is given (issue 15, finding 5).  An element type that encodes to
 * no bytes (an empty struct, one wrapped by value, `own` of one) must not
 * let a 4-byte count build millions of objects, and the byte limit counts
 * what each object really costs, its 64-byte header included.  The types
 * are tests/ckpt/shapes.pdl's.
 */
#include <string.h>
#include <sys/resource.h>
#include <xxhash.h>

#include "cunit_main.h"

#include "shapes.pdl.h"

static long rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* The image of an empty vec, its count (the payload's last 4 bytes) set to
 * n and the checksum recomputed: what an attacker can write in 4 bytes. */
static void patch_count(uint8_t *img, size_t len, uint32_t n)
{
	memcpy(img + len - 4, &n, 4);   /* the format is little-endian, like the test hosts */
	uint64_t sum = XXH3_64bits(img + PD_CKPT_HEADER_SIZE, len - PD_CKPT_HEADER_SIZE);
	memcpy(img + 24, &sum, 8);
}

#define HOSTILE_COUNT(name, n)                                                     \
	do {                                                                                \
		shapes_##name v, out = { 0 };  /* restore wants a zeroed *out */          \
		memset(&v, 0, sizeof v);                                                    \
		void *img;                                                                  \
		size_t len;                                                                 \
		CU_ASSERT_EQUAL_FATAL(shapes_##name##_checkpoint(&v, &img, &len), 0);      \
		patch_count(img, len, n);                                                   \
		size_t live = pd_heap_live_objects();                                       \
		long rss = rss_kib();                                                       \
		int rc = shapes_##name##_restore(img, len, NULL, &out);                    \
		CU_ASSERT_EQUAL(rc, -PD_ECORRUPT);                                          \
		if (rc == 0)                                                                \
			shapes_##name##_free(&out);                                         \
		CU_ASSERT(rss_kib() - rss < 4096);  /* a few pages, not n objects */       \
		CU_ASSERT_EQUAL(pd_heap_live_objects(), live);                              \
		pd_free(img);                                                               \
	} while (0)

static void test_count_of_own_empty_elements_is_bounded_by_the_image(void)
{
	HOSTILE_COUNT(owned_empties, 1u << 20);
	HOSTILE_COUNT(owned_empties, UINT32_MAX);
}

static void test_count_of_empty_struct_elements_is_bounded_by_the_image(void)
{
	HOSTILE_COUNT(empties, 1u << 20);
	HOSTILE_COUNT(empties, 1u << 27);   /* a 128 MiB item array */
	HOSTILE_COUNT(wraps, 1u << 27);
	HOSTILE_COUNT(deep, 1u << 20);      /* deep.fixed encodes nothing */
}

/* The error says why: the count does not fit what is left. */
static void test_hostile_count_is_ECOUNT(void)
{
	shapes_owned_empties v = { 0 }, out = { 0 };
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(shapes_owned_empties_checkpoint(&v, &img, &len), 0);
	patch_count(img, len, 1000);
	pd_ckpt_reader r;
	CU_ASSERT_EQUAL(pd_ckpt_reader_init(&r, img, len, SHAPES_OWNED_EMPTIES_FINGERPRINT, NULL), 0);
	CU_ASSERT_EQUAL(shapes_owned_empties_load(&r, &out), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_ECOUNT);
	shapes_owned_empties_free(&out);
	pd_ckpt_reader_abort(&r);
	pd_free(img);
}

static shapes_nodes many_nodes(uint32_t n)
{
	shapes_nodes v;
	v.v.items = pd_alloc(n * sizeof(v.v.items[0]), NULL);
	v.v.len = v.v.cap = n;
	for (uint32_t i = 0; i < n; i++) {
		v.v.items[i] = pd_alloc(sizeof(shapes_node), &shapes_node_kind);
		v.v.items[i]->x = (uint8_t)i;
	}
	return v;
}

/* 20,000 1-byte objects cost 20,000 headers and slots (80 bytes each, 1.6 MB),
 * not 20 kB: a 1 MiB limit refuses them; a 4 MiB one takes them. */
static void test_byte_limit_counts_each_objects_header(void)
{
	shapes_nodes v = many_nodes(20000), out = { 0 };
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(shapes_nodes_checkpoint(&v, &img, &len), 0);
	pd_ckpt_limits tight = { .max_bytes = 1u << 20 }, room = { .max_bytes = 4u << 20 };
	size_t live = pd_heap_live_objects();
	pd_ckpt_reader r;
	CU_ASSERT_EQUAL(pd_ckpt_reader_init(&r, img, len, SHAPES_NODES_FINGERPRINT, &tight), 0);
	CU_ASSERT_EQUAL(shapes_nodes_load(&r, &out), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_EBYTES);
	shapes_nodes_free(&out);
	pd_ckpt_reader_abort(&r);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);

	CU_ASSERT_EQUAL_FATAL(shapes_nodes_restore(img, len, &room, &out), 0);
	pd_eq_ctx c;
	pd_eq_init(&c);
	CU_ASSERT(shapes_nodes_equal(&c, &v, &out));
	shapes_nodes_free(&out);
	shapes_nodes_free(&v);
	pd_free(img);
}

/* Zero-size elements still round-trip, however many a state holds. */
static void test_zero_size_elements_round_trip(void)
{
	shapes_deep v = { 0 }, out = { 0 };
	uint32_t n = 5000;
	v.v.items = pd_alloc(n * sizeof(v.v.items[0]), NULL);
	v.v.len = v.v.cap = n;
	for (uint32_t i = 0; i < n; i++)
		v.v.items[i].x.x.x.x.x = (uint8_t)(i * 7);
	v.single = pd_alloc(sizeof(shapes_empty), &shapes_empty_kind);
	v.nested.items = pd_alloc(3 * sizeof(v.nested.items[0]), NULL);
	v.nested.len = v.nested.cap = 3;
	for (uint32_t i = 0; i < 3; i++) {
		shapes_vec_own_empty *e = &v.nested.items[i];
		e->items = pd_alloc(n * sizeof(e->items[0]), NULL);
		e->len = e->cap = n;
		for (uint32_t j = 0; j < n; j++)
			e->items[j] = pd_alloc(sizeof(shapes_empty), &shapes_empty_kind);
	}
	void *img;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(shapes_deep_checkpoint(&v, &img, &len), 0);
	CU_ASSERT_EQUAL_FATAL(shapes_deep_restore(img, len, NULL, &out), 0);
	pd_eq_ctx c;
	pd_eq_init(&c);
	CU_ASSERT(shapes_deep_equal(&c, &v, &out));
	CU_ASSERT_EQUAL(out.nested.items[2].len, n);
	shapes_deep_free(&out);
	shapes_deep_free(&v);
	pd_free(img);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_count_of_own_empty_elements_is_bounded_by_the_image),
		TEST(test_count_of_empty_struct_elements_is_bounded_by_the_image),
		TEST(test_hostile_count_is_ECOUNT),
		TEST(test_byte_limit_counts_each_objects_header),
		TEST(test_zero_size_elements_round_trip),
	};
	return RUN_SUITE("ckpt_bounds", tests);
}
