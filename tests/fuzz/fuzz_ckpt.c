/*
 * fuzz_ckpt - libFuzzer harness for pdlc's generated checkpoint loaders,
 * every schema shape: tests/ckpt/shapes.pdl (zero-size elements, by-value
 * chains, own chains), tests/ckpt/graph.pdl (every field kind, sharing,
 * cycles) and the examples' states in generated/.
 *
 * Input: byte 0 picks the root type; byte 1 bit 0 says whether the rest is
 * a whole image (header included) or a payload the harness seals with the
 * right header and checksum - so the fuzzer gets past the checksum and
 * spends its time in the payload's parser.  A load must either fail with
 * -PD_ECORRUPT/-PD_ENOMEM leaving nothing allocated, or succeed with a
 * value that saves, loads back, and compares equal; anything else aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "pd.h"
#include "pd_ckpt.h"

#include "graph.pdl.h"
#include "shapes.pdl.h"
#include "firewall.pdl.h"
#include "kvstore.pdl.h"
#include "maglev.pdl.h"
#include "nullfilter.pdl.h"

/*
 * The domains the schemas declare want their init functions linked; the
 * harness creates no domain, so none of these runs.
 */
#define NO_DOMAIN(fn) \
	int fn(void *arg) { (void)arg; return -PD_EINVAL; }
NO_DOMAIN(graph_store_init)
NO_DOMAIN(graph_forgetful_init)
NO_DOMAIN(graph_chainer_init)
NO_DOMAIN(firewall_firewall_init)
NO_DOMAIN(kvstore_kv_init)
NO_DOMAIN(kvstore_auditor_init)
NO_DOMAIN(kvstore_alice_client_init)
NO_DOMAIN(kvstore_bob_client_init)
NO_DOMAIN(maglev_maglev_init)
NO_DOMAIN(nullfilter_null_init)

struct root {
	const char *name;
	uint64_t fingerprint;
	int (*try_load)(const uint8_t *img, size_t len);
};

/* Small limits: a load is bounded by its image anyway (docs/checkpoint-format.md),
 * these keep one execution fast. */
static const pd_ckpt_limits limits = { .max_depth = 64, .max_objects = 1u << 16, .max_bytes = 64u << 20 };

static void fail(const char *root, const char *what)
{
	fprintf(stderr, "fuzz_ckpt: %s: %s\n", root, what);
	abort();
}

/*
 * Shared objects are reference counted: a cycle is never freed by releases
 * (a domain's sweep frees it).  A ring is the one schema here that can
 * close one; its chain is a lasso, cut where it loops back.
 */
static void graph_ring_cut(graph_ring *v)
{
	size_t n = 0, cap = 64;
	graph_ring **seen = malloc(cap * sizeof *seen);
	for (graph_ring *p = v->next; p; p = p->next) {
		for (size_t i = 0; i < n; i++)
			if (seen[i] == p->next) {
				graph_ring *loop = p->next;
				p->next = NULL;
				pd_shared_release(loop);
				free(seen);
				return;
			}
		if (n == cap)
			seen = realloc(seen, (cap *= 2) * sizeof *seen);
		seen[n++] = p;
		if (p->next == p) {
			p->next = NULL;
			pd_shared_release(p);
			break;
		}
	}
	free(seen);
}
#define CUT(T, v) (__builtin_strcmp(#T, "graph_ring") == 0 ? graph_ring_cut((graph_ring *)(v)) : (void)0)

#define ROOT(T)                                                                          \
	static int T##_try(const uint8_t *img, size_t len)                                 \
	{                                                                                  \
		T v, back;                                                                 \
		memset(&v, 0, sizeof v);                                                   \
		memset(&back, 0, sizeof back);                                             \
		int rc = T##_restore(img, len, &limits, &v);                              \
		if (rc < 0) {                                                              \
			if (rc != -PD_ECORRUPT && rc != -PD_ENOMEM)                        \
				fail(#T, "a failed load returned neither ECORRUPT nor ENOMEM");   \
			return rc;                                                         \
		}                                                                          \
		void *again;                                                               \
		size_t again_len;                                                          \
		if (T##_checkpoint(&v, &again, &again_len) != 0)                          \
			fail(#T, "a loaded value does not save");                         \
		if (T##_restore(again, again_len, &limits, &back) != 0)                   \
			fail(#T, "a saved image does not load");                          \
		pd_eq_ctx c;                                                               \
		pd_eq_init(&c);                                                            \
		if (!T##_equal(&c, &v, &back))                                            \
			fail(#T, "save and load changed the value");                      \
		CUT(T, &back);                                                             \
		CUT(T, &v);                                                                \
		T##_free(&back);                                                           \
		T##_free(&v);                                                              \
		pd_free(again);                                                            \
		return 0;                                                                  \
	}
#define ENTRY(T, FP) { #T, FP, T##_try }

ROOT(shapes_owned_empties)
ROOT(shapes_empties)
ROOT(shapes_wraps)
ROOT(shapes_nodes)
ROOT(shapes_deep)
ROOT(shapes_chain)
ROOT(graph_ruleset)
ROOT(graph_ring)
ROOT(graph_link)
ROOT(graph_trie_node)
ROOT(firewall_ruleset)
ROOT(kvstore_store_state)
ROOT(maglev_lb_state)
ROOT(maglev_flow_table)
ROOT(nullfilter_counters)

static const struct root roots[] = {
	ENTRY(shapes_owned_empties, SHAPES_OWNED_EMPTIES_FINGERPRINT),
	ENTRY(shapes_empties, SHAPES_EMPTIES_FINGERPRINT),
	ENTRY(shapes_wraps, SHAPES_WRAPS_FINGERPRINT),
	ENTRY(shapes_nodes, SHAPES_NODES_FINGERPRINT),
	ENTRY(shapes_deep, SHAPES_DEEP_FINGERPRINT),
	ENTRY(shapes_chain, SHAPES_CHAIN_FINGERPRINT),
	ENTRY(graph_ruleset, GRAPH_RULESET_FINGERPRINT),
	ENTRY(graph_ring, GRAPH_RING_FINGERPRINT),
	ENTRY(graph_link, GRAPH_LINK_FINGERPRINT),
	ENTRY(graph_trie_node, GRAPH_TRIE_NODE_FINGERPRINT),
	ENTRY(firewall_ruleset, FIREWALL_RULESET_FINGERPRINT),
	ENTRY(kvstore_store_state, KVSTORE_STORE_STATE_FINGERPRINT),
	ENTRY(maglev_lb_state, MAGLEV_LB_STATE_FINGERPRINT),
	ENTRY(maglev_flow_table, MAGLEV_FLOW_TABLE_FINGERPRINT),
	ENTRY(nullfilter_counters, NULLFILTER_COUNTERS_FINGERPRINT),
};
#define NROOTS (sizeof roots / sizeof roots[0])

/* The header pd_ckpt_finish writes (docs/checkpoint-format.md), around payload. */
static uint8_t *seal(const uint8_t *payload, size_t n, uint64_t fingerprint, size_t *len)
{
	uint8_t *img = malloc(PD_CKPT_HEADER_SIZE + n);
	uint32_t magic = PD_CKPT_MAGIC, version = PD_CKPT_VERSION;
	uint64_t plen = n, sum = XXH3_64bits(payload, n);
	memcpy(img, &magic, 4);
	memcpy(img + 4, &version, 4);
	memcpy(img + 8, &fingerprint, 8);
	memcpy(img + 16, &plen, 8);
	memcpy(img + 24, &sum, 8);
	if (n)
		memcpy(img + PD_CKPT_HEADER_SIZE, payload, n);
	*len = PD_CKPT_HEADER_SIZE + n;
	return img;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const struct root *r = &roots[data[0] % NROOTS];
	size_t live = pd_heap_live_objects();
	size_t len;
	uint8_t *img;
	if (data[1] & 1) {
		len = size - 2;
		img = malloc(len ? len : 1);   /* its own allocation: ASan sees any overread */
		memcpy(img, data + 2, len);
	} else {
		img = seal(data + 2, size - 2, r->fingerprint, &len);
	}
	r->try_load(img, len);
	free(img);
	if (pd_heap_live_objects() != live)
		fail(r->name, "objects leaked");
	return 0;
}
