/*
 * test_channels.c - answers that are not results carry labels too (issue
 * 10), through the proxies pdlc generated for tests/ifc/channels.pdl.
 *
 * A domain holding a secret can answer without returning it: with which
 * error it returns, by faulting, by its access hook refusing, by revoking
 * a handle, by handing an object to the outside.  A labelled domain can
 * act on others: create, recover or destroy a domain it manages, read its
 * checkpoint image.  Each test takes one such channel, shows that the
 * code on the other side comes to hold the secret's label (so its public
 * sink refuses), and that a domain cleared public sees the same answer
 * whatever the secret is.  Last, a refusal itself: code that is refused
 * an answer above its clearance still learns what it may hold of it.
 */
#include <string.h>

#include "channels.pdl.h"
#include "cunit_main.h"
#include "ifc_test.h"

/* ---- the public log ---- */

static unsigned logged;

static int log_write(void *arg, const void *data, size_t len)
{
	(void)arg;
	(void)data;
	logged++;
	return (int)len;
}

/* ---- the oracle: a secret from its start ---- */

enum { HOW_PLAIN, HOW_ERROR, HOW_FAULT, HOW_REVOKE, HOW_HANDOUT };

static channels_gate_rref oracle_gate;     /* its second export */
static uint64_t *handed;                   /* what it gave the outside */

static int oracle_answer(void *self, uint32_t how, uint64_t *result)
{
	uint64_t key = ((channels_keys *)self)->key;
	bool bit = key & 1;
	*result = 0;
	switch (how) {
	case HOW_PLAIN:
		*result = key;
		return 0;
	case HOW_ERROR:
		return bit ? -PD_ENOMEM : -PD_EINVAL;
	case HOW_FAULT:
		if (bit)
			pd_panic("oracle: the bit is set");
		return -PD_EINVAL;
	case HOW_REVOKE:
		return bit ? pd_revoke(oracle_gate.r) : 0;
	case HOW_HANDOUT:
		handed = pd_alloc(sizeof(*handed), NULL);
		if (handed == NULL)
			return -PD_ENOMEM;
		*handed = key;
		return pd_move(handed, NULL);
	}
	return -PD_EINVAL;
}

static int one_ping(void *self, uint64_t *result)
{
	(void)self;
	*result = 1;
	return 0;
}

static const channels_oracle_ops oracle_ops = { .answer = oracle_answer };
static const channels_gate_ops plain_gate_ops = { .ping = one_ping };

int channels_oracle_d_init(void *arg)
{
	(void)arg;
	channels_keys *k = pd_alloc(sizeof(*k), NULL);
	if (k == NULL)
		return -PD_ENOMEM;
	k->key = 0x5ec2e6;
	channels_oracle_rref r;
	int rc = channels_oracle_export(&oracle_ops, k, NULL, NULL, &r);
	return rc < 0 ? rc : channels_gate_export(&plain_gate_ops, NULL, NULL, NULL, &oracle_gate);
}

/* The other sources: their secret is their state's whole label. */
static int source_init(uint64_t key)
{
	channels_keys *k = pd_alloc(sizeof(*k), NULL);
	if (k == NULL)
		return -PD_ENOMEM;
	k->key = key;
	channels_oracle_rref r;
	return channels_oracle_export(&oracle_ops, k, NULL, NULL, &r);
}

int channels_high_src_init(void *arg) { (void)arg; return source_init(0x41); }
int channels_gold_src_init(void *arg) { (void)arg; return source_init(0x601d); }

/* ---- the deciders: read above the caller's clearance on a bit ---- */

typedef struct decider_state {
	uint64_t key;                   /* as its state type: the bit it holds */
	channels_oracle_rref above;
} decider_state;

static channels_oracle_rref next_above;

static int decide(void *self, uint64_t *result)
{
	decider_state *s = self;
	*result = 0;
	if (s->key & 1)
		return channels_oracle_answer(s->above, HOW_PLAIN, result) < 0 ? -PD_EINVAL : 0;
	return 0;
}

static const channels_decider_ops decider_ops = { .decide = decide };

static int decider_init(void)
{
	decider_state *s = pd_alloc(sizeof(*s), NULL);
	if (s == NULL)
		return -PD_ENOMEM;
	s->above = next_above;
	channels_decider_rref r;
	return channels_decider_export(&decider_ops, s, NULL, NULL, &r);
}

int channels_mid_decider_init(void *arg) { (void)arg; return decider_init(); }
int channels_secret_decider_init(void *arg) { (void)arg; return decider_init(); }

/* ---- the gates ---- */

static int gatekeeper_acl(const pd_domain *caller, unsigned method, void *arg)
{
	(void)caller;
	(void)method;
	return (((channels_keys *)arg)->key & 1) ? -1 : 0;
}

int channels_gatekeeper_init(void *arg)
{
	(void)arg;
	channels_keys *k = pd_alloc(sizeof(*k), NULL);
	if (k == NULL)
		return -PD_ENOMEM;
	k->key = 0x5ec2e6;
	channels_gate_rref r;
	return channels_gate_export(&plain_gate_ops, k, gatekeeper_acl, k, &r);
}

static int counter_acl(const pd_domain *caller, unsigned method, void *arg)
{
	(void)caller;
	(void)method;
	((channels_notes *)arg)->n++;   /* remembers who knocked, lets no one in */
	return -1;
}

int channels_counter_init(void *arg)
{
	(void)arg;
	channels_notes *n = pd_alloc(sizeof(*n), NULL);
	if (n == NULL)
		return -PD_ENOMEM;
	channels_gate_rref r;
	return channels_gate_export(&plain_gate_ops, n, counter_acl, n, &r);
}

int channels_child_init(void *arg)
{
	(void)arg;
	channels_notes *n = pd_alloc(sizeof(*n), NULL);
	if (n == NULL)
		return -PD_ENOMEM;
	channels_gate_rref r;
	return channels_gate_export(&plain_gate_ops, n, NULL, NULL, &r);
}

/* ---- the probers ---- */

enum {
	CH_ERROR, CH_FAULT, CH_HOOK_REFUSAL, CH_HOOK_LEARNS, CH_REVOKED, CH_SPAWN,
	CH_CREATE_LABELLED, CH_RECOVER, CH_DESTROY, CH_IMAGE, CH_HANDOUT, CH_VIA_PEER, CH_DECIDE,
};

typedef struct probe_state {
	int seen;                       /* what the channel answered */
	int emitted;                    /* what the public log said */
	int emitted_low;                /* what the low log said */
	channels_oracle_rref oracle;
	channels_decider_rref decider;
	channels_gate_rref gatekeeper, counter, revocable;
	channels_probe_rref peer;
	pd_domain *child;
} probe_state;

static probe_state wiring;          /* copied into each prober at its init */

/* Learns the secret outright: the prober then holds it. */
static void become_secret(probe_state *s)
{
	uint64_t x;
	CU_ASSERT_EQUAL(channels_oracle_answer(s->oracle, HOW_PLAIN, &x), 0);
}

static int try_channel(void *self, uint32_t channel, uint64_t *result)
{
	probe_state *s = self;
	uint64_t x = 0;
	const void *image;
	size_t len;
	*result = 0;
	switch (channel) {
	case CH_ERROR:
		s->seen = channels_oracle_answer(s->oracle, HOW_ERROR, &x);
		break;
	case CH_FAULT:
		s->seen = channels_oracle_answer(s->oracle, HOW_FAULT, &x);
		break;
	case CH_HOOK_REFUSAL:
		s->seen = channels_gate_ping(s->gatekeeper, &x);
		break;
	case CH_HOOK_LEARNS:
		become_secret(s);
		s->seen = channels_gate_ping(s->counter, &x);
		break;
	case CH_REVOKED:
		s->seen = channels_gate_ping(s->revocable, &x);
		break;
	case CH_SPAWN:
		s->seen = pd_domain_create(&channels_child_domain, &s->child);
		break;
	case CH_CREATE_LABELLED:
		become_secret(s);
		s->seen = pd_domain_create(&channels_child_domain, &s->child);
		break;
	case CH_RECOVER:
		become_secret(s);
		s->seen = pd_domain_recover(s->child);
		break;
	case CH_DESTROY:
		become_secret(s);
		s->seen = pd_domain_destroy(s->child);
		break;
	case CH_IMAGE:
		if ((s->seen = pd_domain_checkpoint(s->child)) == 0)
			s->seen = pd_domain_checkpoint_image(s->child, &image, &len);
		break;
	case CH_HANDOUT:
		become_secret(s);
		s->seen = channels_oracle_answer(s->oracle, HOW_HANDOUT, &x);
		break;
	case CH_VIA_PEER:
		s->seen = channels_probe_try_channel(s->peer, CH_HANDOUT, &x);
		break;
	case CH_DECIDE:
		s->seen = channels_decider_decide(s->decider, &x);
		break;
	}
	*result = (uint64_t)(int64_t)s->seen;
	return s->seen;
}

static int probe_log(void *self)
{
	probe_state *s = self;
	s->emitted = pd_sink_write(&channels_public_log_sink, CHANNELS_CONF_PUBLIC, &s->seen,
				   sizeof(s->seen));
	s->emitted_low = pd_sink_write(&channels_low_log_sink, CHANNELS_TRI_LOW, &s->seen,
				       sizeof(s->seen));
	return 0;
}

static const channels_probe_ops probe_ops = { .try_channel = try_channel, .log = probe_log };

static int probe_init(void)
{
	probe_state *s = pd_alloc(sizeof(*s), NULL);
	if (s == NULL)
		return -PD_ENOMEM;
	*s = wiring;
	channels_probe_rref r;
	return channels_probe_export(&probe_ops, s, NULL, NULL, &r);
}

int channels_prober_init(void *arg) { (void)arg; return probe_init(); }
int channels_cleared_init(void *arg) { (void)arg; return probe_init(); }
int channels_mid_cleared_init(void *arg) { (void)arg; return probe_init(); }
int channels_gold_cleared_init(void *arg) { (void)arg; return probe_init(); }

/* ---- the world of one test ---- */

static struct {
	pd_domain *oracle, *gatekeeper, *counter, *prober, *cleared;
	channels_probe_rref prober_h, cleared_h;
} w;

/* Both the oracle's and the gatekeeper's secret get this low bit. */
static void set_secret_bit(bool bit)
{
	((channels_keys *)self_of(w.oracle))->key = 0x5ec2e6 | bit;
	((channels_keys *)self_of(w.gatekeeper))->key = 0x5ec2e6 | bit;
}

static void up(void)
{
	pd_label_reset_outside();
	memset(&w, 0, sizeof(w));
	memset(&wiring, 0, sizeof(wiring));
	handed = NULL;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&channels_oracle_d_domain, &w.oracle), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&channels_gatekeeper_domain, &w.gatekeeper), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&channels_counter_domain, &w.counter), 0);
	CU_ASSERT_EQUAL(channels_oracle_of_domain(w.oracle, 0, &wiring.oracle), 0);
	CU_ASSERT_EQUAL(channels_gate_of_domain(w.oracle, 1, &wiring.revocable), 0);
	CU_ASSERT_EQUAL(channels_gate_of_domain(w.gatekeeper, 0, &wiring.gatekeeper), 0);
	CU_ASSERT_EQUAL(channels_gate_of_domain(w.counter, 0, &wiring.counter), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&channels_prober_domain, &w.prober), 0);
	CU_ASSERT_EQUAL(channels_probe_of_domain(w.prober, 0, &w.prober_h), 0);
	wiring.peer = w.prober_h;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&channels_cleared_domain, &w.cleared), 0);
	CU_ASSERT_EQUAL(channels_probe_of_domain(w.cleared, 0, &w.cleared_h), 0);
	logged = 0;
}

static void down(void)
{
	pd_domain *const all[] = { w.cleared, w.prober, w.counter, w.gatekeeper, w.oracle };
	destroy_all(all, sizeof(all) / sizeof(all[0]));
}

static pd_label conf_of(const pd_domain *d)
{
	return label_in(d, &channels_conf_lattice);
}

static probe_state *prober(void)
{
	return self_of(w.prober);
}

/* The prober tries the channel; what it saw, and whether it may still log. */
static int probe(uint32_t channel)
{
	uint64_t x;
	pd_label_reset_outside();
	(void)channels_probe_try_channel(w.prober_h, channel, &x);
	pd_label_reset_outside();
	CU_ASSERT_EQUAL(channels_probe_log(w.prober_h), 0);
	pd_label_reset_outside();
	return prober()->seen;
}

/* What the cleared prober's call answers, for each value of the bit. */
static void cleared_answers(uint32_t channel, int answers[2])
{
	for (int bit = 0; bit < 2; bit++) {
		set_secret_bit(bit);
		pd_label_reset_outside();
		uint64_t x;
		answers[bit] = channels_probe_try_channel(w.cleared_h, channel, &x);
		CU_ASSERT_EQUAL(conf_of(w.cleared), CHANNELS_CONF_PUBLIC);
	}
	pd_label_reset_outside();
}

/* ---- the callee's answers ---- */

static void test_an_error_code_carries_the_callees_label(void)
{
	up();
	set_secret_bit(1);
	CU_ASSERT_EQUAL(probe(CH_ERROR), -PD_ENOMEM);     /* the bit, in the code */
	CU_ASSERT_EQUAL(conf_of(w.prober), CHANNELS_CONF_SECRET);
	CU_ASSERT_EQUAL(prober()->emitted, -PD_ELABEL);
	CU_ASSERT_EQUAL(logged, 0);
	int answers[2];
	cleared_answers(CH_ERROR, answers);
	CU_ASSERT_EQUAL(answers[0], -PD_ELABEL);          /* not -PD_EINVAL */
	CU_ASSERT_EQUAL(answers[1], -PD_ELABEL);          /* not -PD_ENOMEM */
	down();
}

static void test_a_fault_carries_the_callees_label(void)
{
	up();
	set_secret_bit(1);
	CU_ASSERT_EQUAL(probe(CH_FAULT), -PD_EFAULT);
	CU_ASSERT_EQUAL(conf_of(w.prober), CHANNELS_CONF_SECRET);
	CU_ASSERT_EQUAL(prober()->emitted, -PD_ELABEL);
	int answers[2];
	cleared_answers(CH_FAULT, answers);
	CU_ASSERT_EQUAL(answers[0], -PD_ELABEL);          /* not -PD_EINVAL */
	CU_ASSERT_EQUAL(answers[1], -PD_ELABEL);          /* not -PD_EFAULT */
	down();
}

static void test_an_access_hooks_refusal_carries_the_exporters_label(void)
{
	up();
	set_secret_bit(1);
	CU_ASSERT_EQUAL(probe(CH_HOOK_REFUSAL), -PD_EACCES);
	CU_ASSERT_EQUAL(conf_of(w.prober), CHANNELS_CONF_SECRET);
	CU_ASSERT_EQUAL(prober()->emitted, -PD_ELABEL);
	int answers[2];
	cleared_answers(CH_HOOK_REFUSAL, answers);
	CU_ASSERT_EQUAL(answers[0], -PD_ELABEL);          /* let through: the result is the gatekeeper's */
	CU_ASSERT_EQUAL(answers[1], -PD_ELABEL);          /* not -PD_EACCES */
	down();
}

static void test_an_access_hook_holds_what_its_caller_holds(void)
{
	up();
	CU_ASSERT_EQUAL(probe(CH_HOOK_LEARNS), -PD_EACCES);
	channels_notes *n = self_of(w.counter);
	CU_ASSERT_EQUAL(n->n, 1);                          /* the secret prober knocked */
	CU_ASSERT_EQUAL(conf_of(w.counter), CHANNELS_CONF_SECRET);
	down();
}

/* ---- handles that stop working ---- */

static void test_a_revoked_handle_carries_the_revokers_label(void)
{
	up();
	set_secret_bit(1);
	uint64_t x;
	CU_ASSERT_EQUAL(channels_oracle_answer(wiring.oracle, HOW_REVOKE, &x), 0);
	CU_ASSERT_EQUAL(probe(CH_REVOKED), -PD_EREVOKED);
	CU_ASSERT_EQUAL(conf_of(w.prober), CHANNELS_CONF_SECRET);
	CU_ASSERT_EQUAL(prober()->emitted, -PD_ELABEL);
	/* cleared may not learn it: the same refusal as for any label */
	CU_ASSERT_EQUAL(channels_probe_try_channel(w.cleared_h, CH_REVOKED, &x), -PD_ELABEL);
	CU_ASSERT_EQUAL(conf_of(w.cleared), CHANNELS_CONF_PUBLIC);
	/* a handle never issued says nothing about anyone: no label */
	pd_label_reset_outside();
	channels_gate_rref forged = { { (wiring.revocable.r.v & ~(0xffull << 32)) | (200ull << 32) } };
	CU_ASSERT_EQUAL(channels_gate_ping(forged, &x), -PD_EINVAL);
	CU_ASSERT_EQUAL(pd_labels_current(), PD_LABELS_BOTTOM);
	down();
}

/* ---- what labelled code does to the domains it manages ---- */

static void test_a_domain_created_by_labelled_code_starts_with_its_labels(void)
{
	up();
	/* a child created while the prober is public is public */
	CU_ASSERT_EQUAL(probe(CH_SPAWN), 0);
	CU_ASSERT_EQUAL(conf_of(prober()->child), CHANNELS_CONF_PUBLIC);
	CU_ASSERT_EQUAL(pd_domain_destroy(prober()->child), 0);
	/* once the prober holds the secret, init runs on a secret creator's word */
	CU_ASSERT_EQUAL(probe(CH_CREATE_LABELLED), 0);
	pd_domain *child = prober()->child;
	CU_ASSERT_EQUAL(conf_of(child), CHANNELS_CONF_SECRET);
	CU_ASSERT_EQUAL(pd_domain_recover(child), 0);
	CU_ASSERT_EQUAL(conf_of(child), CHANNELS_CONF_SECRET);   /* and starts there again */
	CU_ASSERT_EQUAL(pd_domain_destroy(child), 0);
	down();
}

static void test_a_recovery_by_labelled_code_carries_its_labels(void)
{
	up();
	CU_ASSERT_EQUAL(probe(CH_SPAWN), 0);
	pd_domain *child = prober()->child;
	channels_gate_rref g;
	CU_ASSERT_EQUAL(channels_gate_of_domain(child, 0, &g), 0);
	CU_ASSERT_EQUAL(probe(CH_RECOVER), 0);
	/* a fresh state is news of the reset the secret prober chose */
	CU_ASSERT_EQUAL(conf_of(child), CHANNELS_CONF_SECRET);
	uint64_t x;
	CU_ASSERT_EQUAL(channels_gate_ping(g, &x), 0);
	CU_ASSERT_EQUAL(pd_label_current(&channels_conf_lattice), CHANNELS_CONF_SECRET);
	pd_label_reset_outside();
	CU_ASSERT_EQUAL(pd_domain_destroy(child), 0);
	down();
}

static void test_a_destruction_by_labelled_code_carries_its_labels(void)
{
	up();
	CU_ASSERT_EQUAL(probe(CH_SPAWN), 0);
	channels_gate_rref g;
	CU_ASSERT_EQUAL(channels_gate_of_domain(prober()->child, 0, &g), 0);
	CU_ASSERT_EQUAL(probe(CH_DESTROY), 0);
	uint64_t x;
	CU_ASSERT_EQUAL(channels_gate_ping(g, &x), -PD_ESTALE);
	CU_ASSERT_EQUAL(pd_label_current(&channels_conf_lattice), CHANNELS_CONF_SECRET);
	pd_label_reset_outside();
	down();
}

static void test_reading_a_checkpoint_image_is_learning_its_labels(void)
{
	up();
	CU_ASSERT_EQUAL(probe(CH_SPAWN), 0);
	pd_domain *child = prober()->child;
	channels_gate_rref g;
	CU_ASSERT_EQUAL(channels_gate_of_domain(child, 0, &g), 0);
	/* the child comes to hold a secret on this code's word */
	uint64_t x;
	CU_ASSERT_EQUAL(channels_oracle_answer(wiring.oracle, HOW_PLAIN, &x), 0);
	CU_ASSERT_EQUAL(channels_gate_ping(g, &x), 0);
	CU_ASSERT_EQUAL(conf_of(child), CHANNELS_CONF_SECRET);
	CU_ASSERT_EQUAL(probe(CH_IMAGE), 0);
	CU_ASSERT_EQUAL(conf_of(w.prober), CHANNELS_CONF_SECRET);
	CU_ASSERT_EQUAL(prober()->emitted, -PD_ELABEL);
	CU_ASSERT_EQUAL(pd_domain_destroy(child), 0);
	down();
}

/* ---- what a domain hands the outside ---- */

static void test_an_object_handed_to_the_outside_carries_the_givers_labels(void)
{
	up();
	/* outside -> cleared -> prober -> oracle: cleared may not hold what
	 * comes back, so the outside learns nothing from the results... */
	uint64_t x;
	CU_ASSERT_EQUAL(channels_probe_try_channel(w.cleared_h, CH_VIA_PEER, &x), -PD_ELABEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(handed);
	/* ...but it has the object the oracle gave it, and with it the label */
	CU_ASSERT_PTR_NULL(pd_owner(handed, NULL));
	CU_ASSERT_EQUAL(pd_label_current(&channels_conf_lattice), CHANNELS_CONF_SECRET);
	pd_free(handed);
	pd_label_reset_outside();
	down();
}

/* ---- what a refusal teaches ---- */

/*
 * A decider holding BIT at some label reads a source above its caller's
 * clearance when the bit is set, so the caller is refused exactly when the
 * bit is set.  Refused or not, the caller must come to hold the decider's
 * label met with its clearance, or it could write the bit to a sink below.
 */
static void refusal_teaches(const pd_domain_spec *above_spec, const pd_domain_spec *decider_spec,
			    const pd_domain_spec *caller_spec, const pd_lattice *l, pd_label want,
			    bool public_log)
{
	pd_domain *above, *decider;
	pd_label_reset_outside();
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(above_spec, &above), 0);
	CU_ASSERT_EQUAL(channels_oracle_of_domain(above, 0, &next_above), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(decider_spec, &decider), 0);
	memset(&wiring, 0, sizeof(wiring));
	CU_ASSERT_EQUAL(channels_decider_of_domain(decider, 0, &wiring.decider), 0);
	for (int bit = 0; bit < 2; bit++) {
		((decider_state *)self_of(decider))->key = bit;
		pd_domain *caller;
		channels_probe_rref h;
		CU_ASSERT_EQUAL_FATAL(pd_domain_create(caller_spec, &caller), 0);
		CU_ASSERT_EQUAL(channels_probe_of_domain(caller, 0, &h), 0);
		uint64_t x;
		int rc = channels_probe_try_channel(h, CH_DECIDE, &x);
		CU_ASSERT_EQUAL(rc, bit ? -PD_ELABEL : 0);             /* the bit, as a refusal */
		CU_ASSERT_EQUAL(label_in(caller, l), want);            /* either way */
		pd_label_reset_outside();
		CU_ASSERT_EQUAL(channels_probe_log(h), 0);
		probe_state *s = self_of(caller);
		CU_ASSERT_EQUAL(public_log ? s->emitted : s->emitted_low, -PD_ELABEL);
		CU_ASSERT_EQUAL(pd_domain_destroy(caller), 0);
		pd_label_reset_outside();
	}
	CU_ASSERT_EQUAL(logged, 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(decider), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(above), 0);
	pd_label_reset_outside();
}

/* low < mid < high; the caller is cleared mid; the decider holds mid. */
static void test_a_refused_answer_still_teaches_what_the_caller_may_hold(void)
{
	logged = 0;
	refusal_teaches(&channels_high_src_domain, &channels_mid_decider_domain,
			&channels_mid_cleared_domain, &channels_tri_lattice, CHANNELS_TRI_MID, false);
}

/* The caller is cleared {} in qos, unbounded in conf; the decider holds
 * conf secret and reads {gold} on its bit. */
static void test_a_refusal_in_one_lattice_still_teaches_the_others(void)
{
	logged = 0;
	refusal_teaches(&channels_gold_src_domain, &channels_secret_decider_domain,
			&channels_gold_cleared_domain, &channels_conf_lattice, CHANNELS_CONF_SECRET, true);
}

int main(void)
{
	channels_public_log_sink.write = log_write;
	channels_low_log_sink.write = log_write;
	static const struct test_case tests[] = {
		TEST(test_an_error_code_carries_the_callees_label),
		TEST(test_a_fault_carries_the_callees_label),
		TEST(test_an_access_hooks_refusal_carries_the_exporters_label),
		TEST(test_an_access_hook_holds_what_its_caller_holds),
		TEST(test_a_revoked_handle_carries_the_revokers_label),
		TEST(test_a_domain_created_by_labelled_code_starts_with_its_labels),
		TEST(test_a_recovery_by_labelled_code_carries_its_labels),
		TEST(test_a_destruction_by_labelled_code_carries_its_labels),
		TEST(test_reading_a_checkpoint_image_is_learning_its_labels),
		TEST(test_an_object_handed_to_the_outside_carries_the_givers_labels),
		TEST(test_a_refused_answer_still_teaches_what_the_caller_may_hold),
		TEST(test_a_refusal_in_one_lattice_still_teaches_the_others),
	};
	return RUN_SUITE("ifc channels", tests);
}
