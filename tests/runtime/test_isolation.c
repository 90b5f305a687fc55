/*
 * Isolation without wild writes (issue 11): what one domain can do to
 * another through generated proxies and the public API alone.
 *
 *  - a move hands over everything the moved value owns: after the sender
 *    faults and re-initialises, the receiver still owns and reads every
 *    child, and a move that cannot hand over everything hands over nothing;
 *  - a bad argument is refused before the callee is entered, and a bad
 *    pointer faults the caller, never the callee;
 *  - a handle names one interface: another interface's proxy refuses it;
 *  - a domain active on this thread's stack is not entered again.
 * The access hook's window (two threads) is in test_acl_race.c, who may
 * manage a domain in test_authority.c.
 */
#include <string.h>
#include <sys/mman.h>

#include "cunit_main.h"
#include "probe.h"

/* ---- the keeper: receives records, and says what it holds ---- */

static nf_record *kept;
static int keeper_calls;
static pd_domain *keeper_dom;

static uint64_t sum_bytes(const pd_bytes *b)
{
	uint64_t s = b->len;
	for (uint32_t i = 0; i < b->len; i++)
		s = s * 31 + b->data[i];
	return s;
}

/* Everything a record holds, as one number: it changes if any child's
 * memory is reused by someone else. */
static uint64_t record_sum(const nf_record *r)
{
	uint64_t s = r->id;
	if (r->child)
		s = s * 7 + r->child->seq + sum_bytes(&r->child->data);
	s = s * 7 + sum_bytes(&r->blob);
	for (uint32_t i = 0; i < r->items.len; i++)
		s = s * 7 + r->items.items[i];
	for (uint32_t i = 0; i < r->chunks.len; i++)
		s = s * 7 + r->chunks.items[i].seq + sum_bytes(&r->chunks.items[i].data);
	return s;
}

static int keeper_take(void *self, nf_record *r)
{
	(void)self;
	keeper_calls++;
	kept = r;
	return 0;
}

static int keeper_give(void *self, nf_record **result)
{
	(void)self;
	keeper_calls++;
	*result = kept;
	kept = NULL;
	return 0;
}

static int keeper_check(void *self, uint64_t *result)
{
	(void)self;
	keeper_calls++;
	*result = kept ? record_sum(kept) : 0;
	return 0;
}

static int keeper_note(void *self, const nf_labeled_u64 *v)
{
	(void)self;
	(void)v;
	keeper_calls++;
	return 0;
}

static const nf_keeper_ops keeper_ops = {
	.take = keeper_take, .give = keeper_give, .check = keeper_check, .note = keeper_note,
};
static nf_keeper_rref keeper;

static int keeper_init(void *arg)
{
	(void)arg;
	kept = NULL;
	return nf_keeper_export(&keeper_ops, NULL, NULL, NULL, &keeper);
}

static const pd_domain_spec keeper_spec = { .name = "keeper", .init = keeper_init };

/* ---- the sender: builds a record in its own heap and moves it ---- */

enum { BUILD_AND_SEND = 1, SEND_FOREIGN_CHILD, SEND_ALIASED, SEND_SHORT_VEC, SEND_STATIC_BLOB,
       PANIC, FILL_HEAP, NOTE_WILD };

static void *sent_objects[16];      /* every object of the last record sent */
static unsigned n_sent;
static int sent_rc;
static nf_record *unsent;           /* a record whose move was refused */
static void *foreign_chunk;         /* owned by a third domain */
static const char *wild_page;

static void *keep(void *p)
{
	sent_objects[n_sent++] = p;
	return p;
}

static void fill(pd_bytes *b, uint32_t n, uint8_t seed)
{
	b->data = keep(pd_alloc(n, NULL));
	b->len = n;
	for (uint32_t i = 0; i < n; i++)
		b->data[i] = (uint8_t)(seed + i);
}

static nf_record *build(void)
{
	n_sent = 0;
	nf_record *r = keep(pd_alloc(sizeof(*r), NULL));
	r->id = 42;
	r->child = keep(pd_alloc(sizeof(*r->child), NULL));
	r->child->seq = 7;
	fill(&r->child->data, 100, 1);
	fill(&r->blob, 300, 2);
	r->items.items = keep(pd_alloc(5 * sizeof(uint32_t), NULL));
	r->items.len = r->items.cap = 5;
	for (uint32_t i = 0; i < 5; i++)
		r->items.items[i] = 1000 + i;
	r->chunks.items = keep(pd_alloc(3 * sizeof(nf_chunk), NULL));
	r->chunks.len = r->chunks.cap = 3;
	for (uint32_t i = 0; i < 3; i++) {
		r->chunks.items[i].seq = i;
		fill(&r->chunks.items[i].data, 40 + i, (uint8_t)(3 + i));
	}
	return r;
}

static int sender_ping(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	nf_record *r;
	*result = 0;
	switch (x) {
	case BUILD_AND_SEND:
		r = build();
		sent_rc = nf_keeper_take(keeper, &r);
		*result = r == NULL;    /* the proxy cleared the pointer */
		return 0;
	case SEND_FOREIGN_CHILD:
		r = build();
		r->child = foreign_chunk;         /* not the sender's to give */
		break;
	case SEND_ALIASED:
		r = build();
		r->chunks.items[2].data = r->chunks.items[1].data;   /* one buffer reached twice */
		break;
	case SEND_SHORT_VEC:
		r = build();
		r->items.cap = 5000;              /* claims room the object does not have */
		break;
	case SEND_STATIC_BLOB: {
		static uint8_t not_heap[300];
		r = build();
		r->blob.data = not_heap;
		break;
	}
	case PANIC:
		pd_panic("sender: asked to fault");
	case FILL_HEAP:
		/* What a re-initialised sender does: new private data, in memory
		 * its sweep freed.  0xEE everywhere. */
		for (int k = 0; k < 64; k++)
			for (size_t size = 16; size <= 512; size += 16)
				memset(pd_alloc(size, NULL), 0xEE, size);
		return 0;
	case NOTE_WILD:
		sent_rc = nf_keeper_note(keeper, (const nf_labeled_u64 *)wild_page);
		return 0;
	default:
		return -PD_EINVAL;
	}
	unsent = r;
	sent_rc = nf_keeper_take(keeper, &r);
	*result = r == unsent;          /* a refused move leaves the pointer */
	return 0;
}

static const nf_null_ops sender_ops = { .ping = sender_ping };
static nf_null_rref sender;

static int sender_init(void *arg)
{
	(void)arg;
	return nf_null_export(&sender_ops, NULL, NULL, NULL, &sender);
}

static const pd_domain_spec sender_spec = { .name = "sender", .init = sender_init };

static pd_domain *sender_dom, *third_dom;

static int third_init(void *arg)
{
	(void)arg;
	foreign_chunk = pd_alloc(sizeof(nf_chunk), NULL);
	return foreign_chunk ? 0 : -PD_ENOMEM;
}

static void world_up(void)
{
	static const pd_domain_spec third = { .name = "third", .init = third_init };
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&keeper_spec, &keeper_dom), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&sender_spec, &sender_dom), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&third, &third_dom), 0);
	keeper_calls = 0;
}

static void world_down(void)
{
	CU_ASSERT_EQUAL(pd_domain_destroy(third_dom), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(sender_dom), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(keeper_dom), 0);
}

static uint32_t ping(nf_null_rref r, uint32_t x)
{
	uint32_t out = 99;
	CU_ASSERT_EQUAL(nf_null_ping(r, x, &out), 0);
	return out;
}

static uint64_t check(void)
{
	uint64_t sum = 0;
	CU_ASSERT_EQUAL(nf_keeper_check(keeper, &sum), 0);
	return sum;
}

/* ---- class 1: a move hands over everything the value owns ---- */

static void test_move_hands_over_every_child_and_survives_the_senders_recovery(void)
{
	world_up();
	size_t live = pd_heap_live_objects();
	CU_ASSERT_EQUAL(ping(sender, BUILD_AND_SEND), 1);
	CU_ASSERT_EQUAL(sent_rc, 0);
	CU_ASSERT_EQUAL(n_sent, 9);      /* root, child and its data, blob, items, chunks and 3 datas */
	for (unsigned i = 0; i < n_sent; i++)
		CU_ASSERT_PTR_EQUAL(pd_owner(sent_objects[i], NULL), keeper_dom);
	uint64_t before = check();
	CU_ASSERT_NOT_EQUAL(before, 0);

	/* The sender faults and starts again, with new private data. */
	uint32_t out;
	CU_ASSERT_EQUAL(nf_null_ping(sender, PANIC, &out), -PD_EFAULT);
	ping(sender, FILL_HEAP);
	for (unsigned i = 0; i < n_sent; i++)
		CU_ASSERT_PTR_EQUAL(pd_owner(sent_objects[i], NULL), keeper_dom);
	CU_ASSERT_EQUAL(check(), before);    /* no child was freed under the keeper */
	CU_ASSERT_EQUAL(pd_heap_live_objects() - live, n_sent + 64 * 32);
	world_down();
}

static void test_moved_result_hands_every_child_back(void)
{
	world_up();
	ping(sender, BUILD_AND_SEND);
	nf_record *back = NULL;
	CU_ASSERT_EQUAL(nf_keeper_give(keeper, &back), 0);
	CU_ASSERT_PTR_EQUAL(back, sent_objects[0]);
	for (unsigned i = 0; i < n_sent; i++)
		CU_ASSERT_PTR_NULL(pd_owner(sent_objects[i], NULL));    /* the outside's */
	/* The keeper's recovery cannot take them back. */
	CU_ASSERT_EQUAL(pd_domain_recover(keeper_dom), 0);
	for (unsigned i = 0; i < n_sent; i++)
		CU_ASSERT_PTR_NULL(pd_owner(sent_objects[i], NULL));
	CU_ASSERT_EQUAL(record_sum(back), record_sum(back));
	world_down();
	/* back is ours: free what it holds, then it (it has no kind). */
	for (unsigned i = n_sent; i-- > 0;)
		CU_ASSERT_EQUAL(pd_free(sent_objects[i]), 0);
}

/* A move that cannot hand over everything hands over nothing. */
static void refused_move_changes_nothing(uint32_t how, int expected_rc)
{
	world_up();
	CU_ASSERT_EQUAL(ping(sender, how), 1);        /* the sender kept its pointer */
	CU_ASSERT_EQUAL(sent_rc, expected_rc);
	CU_ASSERT_EQUAL(keeper_calls, 0);             /* the keeper was not entered */
	for (unsigned i = 0; i < n_sent; i++)
		CU_ASSERT_PTR_EQUAL(pd_owner(sent_objects[i], NULL), sender_dom);
	CU_ASSERT_PTR_EQUAL(pd_owner(foreign_chunk, NULL), third_dom);
	world_down();
}

static void test_move_of_a_child_owned_by_a_third_domain_is_ENOTOWNER(void)
{
	refused_move_changes_nothing(SEND_FOREIGN_CHILD, -PD_ENOTOWNER);
}

static void test_move_of_a_buffer_reached_twice_is_EINVAL(void)
{
	refused_move_changes_nothing(SEND_ALIASED, -PD_EINVAL);
}

static void test_move_of_a_vec_claiming_more_than_its_buffer_is_EINVAL(void)
{
	refused_move_changes_nothing(SEND_SHORT_VEC, -PD_EINVAL);
}

static void test_move_of_a_buffer_not_on_the_heap_is_EINVAL(void)
{
	refused_move_changes_nothing(SEND_STATIC_BLOB, -PD_EINVAL);
}

/* ---- class 2: bad arguments never reach the callee ---- */

static void test_null_arguments_are_EINVAL_before_the_callee_is_entered(void)
{
	world_up();
	CU_ASSERT_EQUAL(nf_keeper_note(keeper, NULL), -PD_EINVAL);
	CU_ASSERT_EQUAL(nf_keeper_check(keeper, NULL), -PD_EINVAL);
	CU_ASSERT_EQUAL(nf_keeper_take(keeper, NULL), -PD_EINVAL);
	nf_record *none = NULL;
	CU_ASSERT_EQUAL(nf_keeper_take(keeper, &none), -PD_EINVAL);
	CU_ASSERT_EQUAL(nf_keeper_give(keeper, NULL), -PD_EINVAL);
	CU_ASSERT_EQUAL(keeper_calls, 0);
	pd_domain_stats st;
	CU_ASSERT_EQUAL(pd_domain_get_stats(keeper_dom, &st), 0);
	CU_ASSERT_EQUAL(st.faults, 0);
	world_down();
}

/* A domain that passes a pointer to unmapped memory faults itself: the
 * proxy touched it in the caller's context.  The keeper is not entered,
 * not blamed, not recovered. */
static void test_a_bad_pointer_faults_the_caller_not_the_callee(void)
{
	world_up();
	char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(p != MAP_FAILED);
	wild_page = p;
	uint32_t out;
	CU_ASSERT_EQUAL(nf_null_ping(sender, NOTE_WILD, &out), -PD_EFAULT);
	CU_ASSERT_EQUAL(keeper_calls, 0);
	pd_domain_stats ks, ss;
	CU_ASSERT_EQUAL(pd_domain_get_stats(keeper_dom, &ks), 0);
	CU_ASSERT_EQUAL(pd_domain_get_stats(sender_dom, &ss), 0);
	CU_ASSERT_EQUAL(ks.faults, 0);
	CU_ASSERT_EQUAL(ks.recoveries, 0);
	CU_ASSERT_EQUAL(ss.faults, 1);
	CU_ASSERT_EQUAL(pd_last_fault()->domain_id, pd_domain_id(sender_dom));
	CU_ASSERT_PTR_NULL(pd_current());
	munmap(p, 4096);
	world_down();
}

/* ---- class 4: a handle names one interface ---- */

static int pinger_ping(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	*result = x + 100;
	return 0;
}

static int pinger_pong(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	*result = x + 200;
	return 0;
}

static const nf_pinger_ops pinger_ops = { .null = { .ping = pinger_ping }, .pong = pinger_pong };
static nf_pinger_rref pinger;

static int pinger_init(void *arg)
{
	(void)arg;
	return nf_pinger_export(&pinger_ops, NULL, NULL, NULL, &pinger);
}

static void test_a_handle_of_another_interface_is_EIFACE(void)
{
	world_up();
	/* The keeper's handle, forged into a null handle: the null proxy would
	 * call slot 0 of the keeper's table (its take) on the keeper's object. */
	nf_null_rref forged = { keeper.r };
	uint32_t out = 5;
	CU_ASSERT_EQUAL(nf_null_ping(forged, 1, &out), -PD_EIFACE);
	CU_ASSERT_EQUAL(out, 5);
	CU_ASSERT_EQUAL(keeper_calls, 0);
	nf_null_rref converted;
	CU_ASSERT_EQUAL(nf_null_from_rref(keeper.r, &converted), -PD_EIFACE);
	CU_ASSERT(pd_rref_is_null(converted.r));
	nf_keeper_rref back;
	CU_ASSERT_EQUAL(nf_keeper_from_rref(keeper.r, &back), 0);
	CU_ASSERT_EQUAL(back.r.v, keeper.r.v);
	world_down();
}

static void test_a_derived_interface_answers_its_bases_proxies_only(void)
{
	static const pd_domain_spec spec = { .name = "pinger", .init = pinger_init };
	pd_domain *d;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &d), 0);
	uint32_t out = 0;
	CU_ASSERT_EQUAL(nf_null_ping(nf_pinger_as_nf_null(pinger), 1, &out), 0);
	CU_ASSERT_EQUAL(out, 101);
	CU_ASSERT_EQUAL(nf_pinger_pong(pinger, 1, &out), 0);
	CU_ASSERT_EQUAL(out, 201);
	/* A plain null object is not a pinger: pong would read past its table. */
	struct probe_config plain = { .name = "plain" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&plain), 0);
	nf_pinger_rref forged = { plain.exported.r };
	out = 7;
	CU_ASSERT_EQUAL(nf_pinger_pong(forged, 1, &out), -PD_EIFACE);
	CU_ASSERT_EQUAL(out, 7);
	CU_ASSERT_EQUAL(pd_domain_destroy(plain.domain), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
}

/* ---- class 7: a domain on this thread's stack is not entered again ---- */

static void test_reentry_is_EBUSY_and_recovers_nothing(void)
{
	struct probe_config a = { .name = "a" }, b = { .name = "b" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&a), 0);
	CU_ASSERT_EQUAL_FATAL(probe_create(&b), 0);
	a.next = b.exported;
	b.next = a.exported;             /* a -> b -> a */
	uint32_t out = 0;
	CU_ASSERT_EQUAL(nf_null_ping(a.exported, PROBE_PANIC, &out), 0);
	CU_ASSERT_EQUAL(b.last_next_rc, -PD_EBUSY);   /* b's call back into a */
	CU_ASSERT_EQUAL(a.last_next_rc, 0);           /* a's call into b went through */
	CU_ASSERT_EQUAL(out, PROBE_SAW_ERROR + 1);
	pd_domain_stats st;
	CU_ASSERT_EQUAL(pd_domain_get_stats(a.domain, &st), 0);
	CU_ASSERT_EQUAL(st.faults + st.recoveries, 0);
	CU_ASSERT_EQUAL(pd_domain_get_stats(b.domain, &st), 0);
	CU_ASSERT_EQUAL(st.faults + st.recoveries, 0);
	CU_ASSERT_EQUAL(a.init_calls + b.init_calls, 2);

	/* a domain calling itself through its own handle */
	a.next = a.exported;
	CU_ASSERT_EQUAL(nf_null_ping(a.exported, 1, &out), 0);
	CU_ASSERT_EQUAL(a.last_next_rc, -PD_EBUSY);
	CU_ASSERT_EQUAL(pd_domain_destroy(b.domain), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(a.domain), 0);
}

/* A domain that arms its own frame calls without pushing one: the
 * re-entry check must not depend on the frame push. */
static nf_null_rref armer_next, armer_self;
static int armer_rc;

static int armer_ping(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	pd_catch c;
	*result = 0;
	if (PD_CATCH_ARM(&c)) {
		armer_rc = -PD_EFAULT;
		pd_catch_disarm(&c);
		return 0;
	}
	uint32_t out;
	armer_rc = nf_null_ping(armer_next, x, &out);   /* under its own armed frame */
	pd_catch_disarm(&c);
	return 0;
}

static const nf_null_ops armer_ops = { .ping = armer_ping };

static int armer_init(void *arg)
{
	(void)arg;
	return nf_null_export(&armer_ops, NULL, NULL, NULL, &armer_self);
}

static void test_reentry_under_a_domains_own_armed_frame_is_EBUSY(void)
{
	static const pd_domain_spec spec = { .name = "armer", .init = armer_init };
	struct probe_config b = { .name = "b" };
	pd_domain *armer;
	CU_ASSERT_EQUAL_FATAL(probe_create(&b), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &armer), 0);
	b.next = armer_self;             /* b -> armer -(armed)-> b */
	armer_next = b.exported;
	armer_rc = 1;
	uint32_t out = 0;
	CU_ASSERT_EQUAL(nf_null_ping(b.exported, 1, &out), 0);
	CU_ASSERT_EQUAL(armer_rc, -PD_EBUSY);          /* b is not entered again */
	CU_ASSERT_EQUAL(b.last_next_rc, 0);
	pd_domain_stats st;
	CU_ASSERT_EQUAL(pd_domain_get_stats(b.domain, &st), 0);
	CU_ASSERT_EQUAL(st.faults + st.recoveries, 0);
	/* and beside it, the armed domain calls a domain not on the stack */
	struct probe_config c = { .name = "c" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&c), 0);
	armer_next = c.exported;
	CU_ASSERT_EQUAL(nf_null_ping(armer_self, 1, &out), 0);
	CU_ASSERT_EQUAL(armer_rc, 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(c.domain), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(armer), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(b.domain), 0);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_move_hands_over_every_child_and_survives_the_senders_recovery),
		TEST(test_moved_result_hands_every_child_back),
		TEST(test_move_of_a_child_owned_by_a_third_domain_is_ENOTOWNER),
		TEST(test_move_of_a_buffer_reached_twice_is_EINVAL),
		TEST(test_move_of_a_vec_claiming_more_than_its_buffer_is_EINVAL),
		TEST(test_move_of_a_buffer_not_on_the_heap_is_EINVAL),
		TEST(test_null_arguments_are_EINVAL_before_the_callee_is_entered),
		TEST(test_a_bad_pointer_faults_the_caller_not_the_callee),
		TEST(test_a_handle_of_another_interface_is_EIFACE),
		TEST(test_a_derived_interface_answers_its_bases_proxies_only),
		TEST(test_reentry_is_EBUSY_and_recovers_nothing),
		TEST(test_reentry_under_a_domains_own_armed_frame_is_EBUSY),
	};
	return RUN_SUITE("isolation", tests);
}
