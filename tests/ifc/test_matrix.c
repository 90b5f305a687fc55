/*
 * test_matrix.c - the information-flow soundness matrix (issue 10), through
 * the proxies pdlc generated for tests/ifc/matrix.pdl, a program it accepts.
 *
 * Each test takes one label source along one path and checks that a leak is
 * refused at run time - the callee not entered, the result not delivered,
 * the sink not written - with the allowed flow beside it going through.
 * Sources: a parameter's declared label, a result's, a state field's, a
 * struct field's, labeled<T> at the top and deep inside, inout, moved
 * objects, what a callee holds, a checkpoint.  Paths: direct calls, calls a
 * domain makes through a handle pdlc never saw, refused/failed/faulted
 * calls, recovery by reset and by restore, a value labelled in two
 * lattices, sinks.  (The scheduler's paths - one batch at a time, the graph
 * pdlc checked - are in tests/dpdk/test_dpdk_runtime.c.)
 */
#include <string.h>

#include <xxhash.h>

#include "cunit_main.h"
#include "ifc_test.h"
#include "matrix.pdl.h"

/* ---- the public log: what got written ---- */

static unsigned logged;

static int log_write(void *arg, const void *data, size_t len)
{
	(void)arg;
	(void)data;
	logged++;
	return (int)len;
}

/* ---- the source: holds secret keys from its start ---- */

static int src_peek(void *self, uint64_t *result)
{
	*result = ((matrix_keys *)self)->key;
	return 0;
}

static int src_size(void *self, uint64_t *result)
{
	(void)self;
	*result = 1;                    /* says nothing, but comes from a secret domain */
	return 0;
}

static int src_bump(void *self, matrix_counter *c)
{
	c->n = ((matrix_keys *)self)->key;   /* writes the secret into what comes back */
	return 0;
}

static int src_fail_after_write(void *self, matrix_counter *c, uint32_t how, uint64_t *result)
{
	c->n = ((matrix_keys *)self)->key;
	*result = ((matrix_keys *)self)->key;
	if (how == 1)
		pd_panic("source: a fault after writing");
	return -PD_EINVAL;             /* an error after writing */
}

static const matrix_source_ops src_ops = {
	.peek = src_peek, .size = src_size, .bump = src_bump,
	.fail_after_write = src_fail_after_write,
};

int matrix_src_init(void *arg)
{
	(void)arg;
	matrix_keys *k = pd_alloc(sizeof(*k), NULL);
	if (k == NULL)
		return -PD_ENOMEM;
	k->key = 0x5ec2e7;
	matrix_source_rref r;
	return matrix_source_export(&src_ops, k, NULL, NULL, &r);
}

/* ---- the nodes: one implementation, five domains ---- */

typedef struct node_state {
	matrix_box box;                 /* first: the keeper's checkpointed state */
	pd_rref source;                 /* handed over outside the .pdl */
	matrix_counter counter;
	unsigned calls;
} node_state;

/* What pull(what) does, and what it got back. */
enum { PULL_SIZE, PULL_PEEK, PULL_BUMP, PULL_DECLASSIFY, PULL_PANIC };
static int pull_rc;

static int node_put(void *self, const matrix_labeled_u64 *v)
{
	node_state *s = self;
	s->calls++;
	s->box.v = *v;
	return 0;
}

static int node_put_tagged(void *self, const matrix_tagged *t)
{
	((node_state *)self)->calls++;
	(void)t;
	return 0;
}

static matrix_parcel *kept_parcel;

static int node_put_parcel(void *self, matrix_parcel *p)
{
	((node_state *)self)->calls++;
	kept_parcel = p;
	return 0;
}

static int node_put_gold(void *self, const matrix_labeled_u32 *v)
{
	((node_state *)self)->calls++;
	(void)v;
	return 0;
}

static int emit_rc;

static int node_emit(void *self, uint64_t x)
{
	((node_state *)self)->calls++;
	emit_rc = pd_sink_write(&matrix_public_log_sink, MATRIX_CONF_PUBLIC, &x, sizeof(x));
	return 0;
}

static int node_pull(void *self, uint32_t what, uint64_t *result)
{
	node_state *s = self;
	matrix_source_rref src;
	s->calls++;
	*result = 0;
	switch (what) {
	case PULL_SIZE:
	case PULL_PEEK:
		if ((pull_rc = matrix_source_from_rref(s->source, &src)) < 0)
			return 0;
		pull_rc = what == PULL_SIZE ? matrix_source_size(src, &s->box.pulled)
		                            : matrix_source_peek(src, &s->box.pulled);
		return 0;
	case PULL_BUMP:
		if ((pull_rc = matrix_source_from_rref(s->source, &src)) < 0)
			return 0;
		pull_rc = matrix_source_bump(src, &s->counter);
		return 0;
	case PULL_DECLASSIFY:
		pull_rc = pd_declassify(&matrix_conf_lattice, MATRIX_CONF_SECRET, MATRIX_CONF_PUBLIC);
		return 0;
	case PULL_PANIC:
		pd_panic("node: asked to fault");
	}
	return -PD_EINVAL;
}

static int node_put_reading(void *self, const matrix_reading *r)
{
	((node_state *)self)->calls++;
	(void)r;
	return 0;
}

static const matrix_guarded_ops node_ops = {
	.node = {
		.put = node_put, .put_tagged = node_put_tagged, .put_parcel = node_put_parcel,
		.put_gold = node_put_gold, .emit = node_emit, .pull = node_pull,
	},
	.put_reading = node_put_reading,
};

/* The source each node pulls from: set before the node is created. */
static pd_rref next_source;

static int node_init(void)
{
	node_state *s = pd_alloc(sizeof(*s), NULL);
	if (s == NULL)
		return -PD_ENOMEM;
	s->source = next_source;
	s->counter.n = 7;
	matrix_guarded_rref r;
	return matrix_guarded_export(&node_ops, s, NULL, NULL, &r);
}

int matrix_relay_init(void *arg) { (void)arg; return node_init(); }
int matrix_silent_init(void *arg) { (void)arg; return node_init(); }
int matrix_pub_init(void *arg) { (void)arg; return node_init(); }
int matrix_keeper_init(void *arg) { (void)arg; return node_init(); }
int matrix_lowerer_init(void *arg) { (void)arg; return node_init(); }

/* ---- the world of one test ---- */

typedef struct world {
	pd_domain *src, *relay, *silent, *pub, *keeper, *lowerer;
	matrix_source_rref source;
	matrix_node_rref relay_h, silent_h, keeper_h, lowerer_h, pub_node;
	matrix_guarded_rref pub_h;
} world;

static world w;

static node_state *state_of(pd_domain *d)
{
	return self_of(d);
}

static void up(void)
{
	pd_label_reset_outside();
	memset(&w, 0, sizeof(w));
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&matrix_src_domain, &w.src), 0);
	CU_ASSERT_EQUAL_FATAL(matrix_source_of_domain(w.src, 0, &w.source), 0);
	next_source = w.source.r;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&matrix_relay_domain, &w.relay), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&matrix_silent_domain, &w.silent), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&matrix_pub_domain, &w.pub), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&matrix_keeper_domain, &w.keeper), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&matrix_lowerer_domain, &w.lowerer), 0);
	CU_ASSERT_EQUAL(matrix_node_of_domain(w.relay, 0, &w.relay_h), 0);
	CU_ASSERT_EQUAL(matrix_node_of_domain(w.silent, 0, &w.silent_h), 0);
	CU_ASSERT_EQUAL(matrix_node_of_domain(w.keeper, 0, &w.keeper_h), 0);
	CU_ASSERT_EQUAL(matrix_node_of_domain(w.lowerer, 0, &w.lowerer_h), 0);
	CU_ASSERT_EQUAL(matrix_guarded_of_domain(w.pub, 0, &w.pub_h), 0);
	w.pub_node = matrix_guarded_as_matrix_node(w.pub_h);
	logged = 0;
}

static void down(void)
{
	pd_domain *const all[] = { w.lowerer, w.keeper, w.pub, w.silent, w.relay, w.src };
	destroy_all(all, sizeof(all) / sizeof(all[0]));
}

static pd_label conf_of(const pd_domain *d)
{
	return label_in(d, &matrix_conf_lattice);
}

static const matrix_labeled_u64 secret_value = { 1234, MATRIX_CONF_SECRET };
static const matrix_labeled_u64 public_value = { 5678, MATRIX_CONF_PUBLIC };

/* This code is the caller, and it learns what every callee held (even a
 * void result says the call ended).  Before a step that must start clean
 * it forgets, as the scheduler does between batches. */
static void next_batch(void)
{
	pd_label_reset_outside();
}

/* A node writes x to the public log; what pd_sink_write said. */
static int emit_from(matrix_node_rref n)
{
	emit_rc = 1;
	CU_ASSERT_EQUAL(matrix_node_emit(n, 42), 0);
	return emit_rc;
}

static uint64_t pull(matrix_node_rref n, uint32_t what)
{
	uint64_t out = 0;
	pull_rc = 1;
	CU_ASSERT_EQUAL(matrix_node_pull(n, what, &out), 0);
	return out;
}

/* ---- parameters, labeled<T>, structs, moves ---- */

/* pdlc assumed pub holds no more than its clearance: the run time refuses
 * the declared-secret reading before pub is entered. */
static void test_declared_secret_parameter_is_refused_above_the_clearance(void)
{
	up();
	matrix_reading r = { 99 };
	CU_ASSERT_EQUAL(matrix_guarded_put_reading(w.pub_h, &r), -PD_ELABEL);
	CU_ASSERT_EQUAL(state_of(w.pub)->calls, 0);
	CU_ASSERT_EQUAL(conf_of(w.pub), MATRIX_CONF_PUBLIC);
	CU_ASSERT_EQUAL(emit_from(w.pub_node), sizeof(uint64_t));   /* still public: it may write */
	down();
}

static void test_labeled_argument_raises_an_unlabelled_relay_and_its_sink_refuses(void)
{
	up();
	CU_ASSERT_EQUAL(matrix_node_put(w.relay_h, &public_value), 0);
	CU_ASSERT_EQUAL(emit_from(w.relay_h), sizeof(uint64_t));    /* the allowed flow */
	CU_ASSERT_EQUAL(matrix_node_put(w.relay_h, &secret_value), 0);
	CU_ASSERT_EQUAL(conf_of(w.relay), MATRIX_CONF_SECRET);
	CU_ASSERT_EQUAL(emit_from(w.relay_h), -PD_ELABEL);
	CU_ASSERT_EQUAL(logged, 1);
	pd_sink_refusal rec;
	CU_ASSERT_EQUAL(pd_sink_refusal_get(&matrix_public_log_sink, 0, &rec), 0);
	CU_ASSERT_EQUAL(rec.reason, -PD_ELABEL);
	CU_ASSERT_EQUAL(rec.domain, pd_domain_id(w.relay));
	down();
}

static void test_labeled_values_deep_in_a_struct_are_carried(void)
{
	up();
	matrix_labeled_u64 values[2] = { public_value, secret_value };
	matrix_tagged t = { .values = { .items = values, .len = 2, .cap = 2 } };
	CU_ASSERT_EQUAL(matrix_node_put_tagged(w.pub_node, &t), -PD_ELABEL);  /* refused */
	CU_ASSERT_EQUAL(state_of(w.pub)->calls, 0);
	t.values.len = 1;                                                     /* the public one only */
	CU_ASSERT_EQUAL(matrix_node_put_tagged(w.pub_node, &t), 0);
	CU_ASSERT_EQUAL(matrix_node_put_tagged(w.relay_h, &(matrix_tagged){ .values = { values, 2, 2 } }), 0);
	CU_ASSERT_EQUAL(conf_of(w.relay), MATRIX_CONF_SECRET);
	CU_ASSERT_EQUAL(emit_from(w.relay_h), -PD_ELABEL);
	down();
}

static void test_a_moved_object_brings_its_labels_and_a_refused_move_stays(void)
{
	up();
	matrix_parcel *p = pd_alloc(sizeof(*p), NULL);
	p->tag = secret_value;
	matrix_parcel *const orig = p;
	kept_parcel = NULL;
	CU_ASSERT_EQUAL(matrix_node_put_parcel(w.pub_node, &p), -PD_ELABEL);
	CU_ASSERT_PTR_EQUAL(p, orig);                       /* not moved */
	CU_ASSERT_PTR_NULL(pd_owner(p, NULL));
	CU_ASSERT_PTR_NULL(kept_parcel);
	CU_ASSERT_EQUAL(matrix_node_put_parcel(w.relay_h, &p), 0);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_EQUAL(pd_owner(orig, NULL), w.relay);
	CU_ASSERT_EQUAL(conf_of(w.relay), MATRIX_CONF_SECRET);
	down();
}

/* ---- what a domain holds from its state, and what a callee holds ---- */

static void test_a_secret_state_is_held_from_the_start_and_after_a_reset(void)
{
	up();
	CU_ASSERT_EQUAL(conf_of(w.src), MATRIX_CONF_SECRET);
	CU_ASSERT_EQUAL(pd_domain_recover(w.src), 0);
	CU_ASSERT_EQUAL(conf_of(w.src), MATRIX_CONF_SECRET);      /* not bottom */
	down();
}

static void test_an_unlabelled_result_carries_the_callees_label(void)
{
	up();
	pull(w.relay_h, PULL_SIZE);                 /* relay calls src through a handle pdlc never saw */
	CU_ASSERT_EQUAL(pull_rc, 0);
	CU_ASSERT_EQUAL(conf_of(w.relay), MATRIX_CONF_SECRET);
	CU_ASSERT_EQUAL(emit_from(w.relay_h), -PD_ELABEL);
	/* pub may not hold what src holds: the result is withheld, not stored */
	CU_ASSERT_EQUAL(pd_labels_get(pd_labels_current(), &matrix_conf_lattice), MATRIX_CONF_SECRET);
	next_batch();
	node_state *ps = state_of(w.pub);
	ps->box.pulled = 77;
	pull(w.pub_node, PULL_SIZE);
	CU_ASSERT_EQUAL(pull_rc, -PD_ELABEL);
	CU_ASSERT_EQUAL(ps->box.pulled, 77);
	CU_ASSERT_EQUAL(conf_of(w.pub), MATRIX_CONF_PUBLIC);
	down();
}

static void test_a_declared_secret_result_is_withheld(void)
{
	up();
	node_state *ps = state_of(w.pub);
	ps->box.pulled = 77;
	pull(w.pub_node, PULL_PEEK);
	CU_ASSERT_EQUAL(pull_rc, -PD_ELABEL);
	CU_ASSERT_EQUAL(ps->box.pulled, 77);
	down();
}

/* ---- what the callee wrote does not survive a result not delivered ---- */

static void test_inout_written_by_the_callee_is_not_kept_when_withheld(void)
{
	up();
	node_state *ps = state_of(w.pub);
	pull(w.pub_node, PULL_BUMP);
	CU_ASSERT_EQUAL(pull_rc, -PD_ELABEL);
	CU_ASSERT_EQUAL(ps->counter.n, 7);          /* not the secret src wrote */
	/* relay may hold it: there the new value arrives */
	pull(w.relay_h, PULL_BUMP);
	CU_ASSERT_EQUAL(pull_rc, 0);
	CU_ASSERT_EQUAL(state_of(w.relay)->counter.n, 0x5ec2e7);
	down();
}

static void test_writes_of_a_failed_or_faulted_call_do_not_survive(void)
{
	up();
	for (uint32_t how = 0; how < 2; how++) {
		matrix_counter c = { 7 };
		uint64_t r = 11;
		int rc = matrix_source_fail_after_write(w.source, &c, how, &r);
		CU_ASSERT_EQUAL(rc, how == 0 ? -PD_EINVAL : -PD_EFAULT);
		CU_ASSERT_EQUAL(c.n, 7);
		CU_ASSERT_EQUAL(r, 11);
	}
	down();
}

/* ---- recovery ---- */

static void test_a_restore_brings_back_the_label_of_the_state_it_restores(void)
{
	up();
	CU_ASSERT_EQUAL(matrix_node_put(w.keeper_h, &secret_value), 0);
	CU_ASSERT_EQUAL(conf_of(w.keeper), MATRIX_CONF_SECRET);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(w.keeper), 0);
	uint64_t out;
	CU_ASSERT_EQUAL(matrix_node_pull(w.keeper_h, PULL_PANIC, &out), -PD_EFAULT);
	/* the secret value is back, and so is its label: the log refuses */
	CU_ASSERT_EQUAL(state_of(w.keeper)->box.v.value, secret_value.value);
	CU_ASSERT_EQUAL(conf_of(w.keeper), MATRIX_CONF_SECRET);
	CU_ASSERT_EQUAL(emit_from(w.keeper_h), -PD_ELABEL);
	/* a reset domain comes back with its state gone and its label with it */
	CU_ASSERT_EQUAL(matrix_node_put(w.relay_h, &secret_value), 0);
	CU_ASSERT_EQUAL(matrix_node_pull(w.relay_h, PULL_PANIC, &out), -PD_EFAULT);
	CU_ASSERT_EQUAL(conf_of(w.relay), MATRIX_CONF_PUBLIC);
	next_batch();               /* (this code still holds what it sent and saw) */
	CU_ASSERT_EQUAL(emit_from(w.relay_h), sizeof(uint64_t));
	down();
}

/* An image names the lattice of a label it carries; one this program does
 * not know is refused, not read as bottom. */
static void test_an_image_labelled_in_an_unknown_lattice_is_refused(void)
{
	up();
	CU_ASSERT_EQUAL(matrix_node_put(w.keeper_h, &secret_value), 0);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(w.keeper), 0);
	const void *image;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(pd_domain_checkpoint_image(w.keeper, &image, &len), 0);
	uint8_t *bad = pd_alloc(len, NULL);
	memcpy(bad, image, len);
	uint32_t n;
	memcpy(&n, bad + PD_CKPT_HEADER_SIZE, 4);
	CU_ASSERT_EQUAL_FATAL(n, 1);                    /* one label: conf secret */
	bad[PD_CKPT_HEADER_SIZE + 4] ^= 0x55;           /* another lattice's fingerprint */
	uint64_t sum = XXH3_64bits(bad + PD_CKPT_HEADER_SIZE, len - PD_CKPT_HEADER_SIZE);
	memcpy(bad + 24, &sum, 8);
	pd_ckpt_reader r;
	CU_ASSERT_EQUAL(pd_ckpt_reader_init(&r, bad, len, MATRIX_BOX_FINGERPRINT, NULL), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_ckpt_error(&r), PD_CKPT_ELABEL);
	pd_free(bad);
	down();
}

/* ---- two lattices: no component is dropped ---- */

static void test_a_value_labelled_in_two_lattices_keeps_both(void)
{
	up();
	uint64_t out;
	CU_ASSERT_EQUAL(matrix_source_size(w.source, &out), 0);       /* this code now holds conf secret */
	const matrix_labeled_u32 gold = { 1, MATRIX_QOS_GOLD };
	CU_ASSERT_EQUAL(matrix_node_put_gold(w.relay_h, &gold), 0);  /* relay gets both */
	CU_ASSERT_EQUAL(matrix_node_emit(w.relay_h, 1), 0);           /* and this code gets relay's */
	pd_labels mine = pd_labels_current();
	CU_ASSERT_EQUAL(pd_labels_get(mine, &matrix_conf_lattice), MATRIX_CONF_SECRET);
	CU_ASSERT_EQUAL(pd_labels_get(mine, &matrix_qos_lattice), MATRIX_QOS_GOLD);
	/* so a call into pub, cleared public in conf, is refused */
	CU_ASSERT_EQUAL(matrix_node_put(w.pub_node, &public_value), -PD_ELABEL);
	CU_ASSERT_EQUAL(state_of(w.pub)->calls, 0);
	down();
}

/* ---- sinks and declassification ---- */

static void test_only_declared_writers_may_write_a_sink(void)
{
	up();
	CU_ASSERT_EQUAL(emit_from(w.silent_h), -PD_EACCES);
	pd_sink_refusal rec;
	CU_ASSERT_EQUAL(pd_sink_refusal_get(&matrix_public_log_sink, 0, &rec), 0);
	CU_ASSERT_EQUAL(rec.reason, -PD_EACCES);
	CU_ASSERT_EQUAL(emit_from(w.relay_h), sizeof(uint64_t));
	CU_ASSERT_EQUAL(logged, 1);
	down();
}

static void test_a_declared_declassifier_may_lower_and_no_one_else(void)
{
	up();
	CU_ASSERT_EQUAL(matrix_node_put(w.lowerer_h, &secret_value), 0);
	CU_ASSERT_EQUAL(emit_from(w.lowerer_h), -PD_ELABEL);
	next_batch();                   /* or this code's secret would raise lowerer again */
	pull(w.lowerer_h, PULL_DECLASSIFY);
	CU_ASSERT_EQUAL(pull_rc, 0);
	CU_ASSERT_EQUAL(conf_of(w.lowerer), MATRIX_CONF_PUBLIC);
	CU_ASSERT_EQUAL(emit_from(w.lowerer_h), sizeof(uint64_t));
	next_batch();
	CU_ASSERT_EQUAL(matrix_node_put(w.relay_h, &secret_value), 0);
	pull(w.relay_h, PULL_DECLASSIFY);
	CU_ASSERT_EQUAL(pull_rc, -PD_EACCES);
	CU_ASSERT_EQUAL(emit_from(w.relay_h), -PD_ELABEL);
	down();
}

static void test_a_sink_without_a_writer_refuses_instead_of_dropping(void)
{
	pd_sink s = matrix_public_log_sink;
	s.write = NULL;
	s.written = 0;
	uint64_t x = 1;
	CU_ASSERT_EQUAL(pd_sink_write(&s, MATRIX_CONF_PUBLIC, &x, sizeof(x)), -PD_EINVAL);
	CU_ASSERT_EQUAL(s.written, 0);
}

int main(void)
{
	matrix_public_log_sink.write = log_write;
	static const struct test_case tests[] = {
		TEST(test_declared_secret_parameter_is_refused_above_the_clearance),
		TEST(test_labeled_argument_raises_an_unlabelled_relay_and_its_sink_refuses),
		TEST(test_labeled_values_deep_in_a_struct_are_carried),
		TEST(test_a_moved_object_brings_its_labels_and_a_refused_move_stays),
		TEST(test_a_secret_state_is_held_from_the_start_and_after_a_reset),
		TEST(test_an_unlabelled_result_carries_the_callees_label),
		TEST(test_a_declared_secret_result_is_withheld),
		TEST(test_inout_written_by_the_callee_is_not_kept_when_withheld),
		TEST(test_writes_of_a_failed_or_faulted_call_do_not_survive),
		TEST(test_a_restore_brings_back_the_label_of_the_state_it_restores),
		TEST(test_an_image_labelled_in_an_unknown_lattice_is_refused),
		TEST(test_a_value_labelled_in_two_lattices_keeps_both),
		TEST(test_only_declared_writers_may_write_a_sink),
		TEST(test_a_declared_declassifier_may_lower_and_no_one_else),
		TEST(test_a_sink_without_a_writer_refuses_instead_of_dropping),
	};
	return RUN_SUITE("ifc matrix", tests);
}
