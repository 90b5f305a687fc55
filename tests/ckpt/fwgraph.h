/*
 * A small graph schema with save/load/free/equal written by hand in the
 * shape pdlc's checkpoint emitter will produce, so the tests and the
 * benchmark exercise libpd's checkpoint contract exactly as generated code
 * will.  The .pdl it stands for:
 *
 *	struct rule { u32 src_prefix; u8 src_len; u32 dst_prefix; u8 dst_len;
 *	              u16 dst_port_lo; u16 dst_port_hi; u8 proto; bool allow;
 *	              u64 hits; f64 weight; bytes name; }
 *	struct trie_node { own trie_node? zero; own trie_node? one;
 *	                   vec<shared rule> rules; }
 *	struct ruleset { own trie_node root; vec<shared rule> all; u64 generation; }
 *	struct ring { i32 value; shared ring? next; shared rule? rule; }
 *	struct ringset { shared ring? head; }
 */
#ifndef FWGRAPH_H
#define FWGRAPH_H

#include "pd_ckpt.h"

/* Schema fingerprints (pdlc hashes the type's canonical schema) and type tags. */
#define FW_RULESET_FINGERPRINT 0x9e3779b97f4a7c15ull
#define FW_RINGSET_FINGERPRINT 0xc2b2ae3d27d4eb4full
#define FW_RULE_TAG 1u
#define FW_RING_TAG 2u

typedef struct fw_rule fw_rule;
typedef struct fw_trie_node fw_trie_node;
typedef struct fw_ruleset fw_ruleset;
typedef struct fw_ring fw_ring;
typedef struct fw_ringset fw_ringset;
typedef struct fw_vec_shared_rule fw_vec_shared_rule;

struct fw_vec_shared_rule {
	fw_rule **items;
	uint32_t len;
	uint32_t cap;
};

struct fw_rule {
	uint32_t src_prefix;
	uint8_t src_len;
	uint32_t dst_prefix;
	uint8_t dst_len;
	uint16_t dst_port_lo;
	uint16_t dst_port_hi;
	uint8_t proto;
	bool allow;
	uint64_t hits;
	double weight;
	pd_bytes name;
};

struct fw_trie_node {
	fw_trie_node *zero;	/* own, may be NULL */
	fw_trie_node *one;	/* own, may be NULL */
	fw_vec_shared_rule rules;
};

struct fw_ruleset {
	fw_trie_node *root;	/* own */
	fw_vec_shared_rule all;
	uint64_t generation;
};

struct fw_ring {
	int32_t value;
	fw_ring *next;	/* shared, reference-counted, may be NULL */
	fw_rule *rule;	/* shared, reference-counted, may be NULL */
};

struct fw_ringset {
	fw_ring *head;	/* shared, reference-counted, may be NULL */
};

extern const pd_kind fw_rule_kind, fw_trie_node_kind, fw_ring_kind;

/* Per type: fields out, fields in (into zeroed memory), fields freed, deep equality. */
void fw_rule_save(pd_ckpt_writer *w, const fw_rule *p);
int fw_rule_load(pd_ckpt_reader *r, fw_rule *p);
void fw_rule_free(fw_rule *p);
bool fw_rule_equal(pd_eq_ctx *c, const fw_rule *a, const fw_rule *b);

void fw_trie_node_save(pd_ckpt_writer *w, const fw_trie_node *p);
int fw_trie_node_load(pd_ckpt_reader *r, fw_trie_node *p);
void fw_trie_node_free(fw_trie_node *p);
bool fw_trie_node_equal(pd_eq_ctx *c, const fw_trie_node *a, const fw_trie_node *b);

void fw_ruleset_save(pd_ckpt_writer *w, const fw_ruleset *p);
int fw_ruleset_load(pd_ckpt_reader *r, fw_ruleset *p);
void fw_ruleset_free(fw_ruleset *p);
bool fw_ruleset_equal(pd_eq_ctx *c, const fw_ruleset *a, const fw_ruleset *b);

void fw_ring_save(pd_ckpt_writer *w, const fw_ring *p);
int fw_ring_load(pd_ckpt_reader *r, fw_ring *p);
void fw_ring_free(fw_ring *p);
bool fw_ring_equal(pd_eq_ctx *c, const fw_ring *a, const fw_ring *b);

void fw_ringset_save(pd_ckpt_writer *w, const fw_ringset *p);
int fw_ringset_load(pd_ckpt_reader *r, fw_ringset *p);
void fw_ringset_free(fw_ringset *p);
bool fw_ringset_equal(pd_eq_ctx *c, const fw_ringset *a, const fw_ringset *b);

/* Root types: a whole image out, a whole value in (all or nothing), equality. */
int fw_ruleset_save_image(const fw_ruleset *p, void **image, size_t *len);
int fw_ruleset_load_image(const void *image, size_t len, const pd_ckpt_limits *limits,
                          fw_ruleset *out, pd_ckpt_reader *r);
bool fw_ruleset_equal_root(const fw_ruleset *a, const fw_ruleset *b);

int fw_ringset_save_image(const fw_ringset *p, void **image, size_t *len);
int fw_ringset_load_image(const void *image, size_t len, const pd_ckpt_limits *limits,
                          fw_ringset *out, pd_ckpt_reader *r);
bool fw_ringset_equal_root(const fw_ringset *a, const fw_ringset *b);

#endif
