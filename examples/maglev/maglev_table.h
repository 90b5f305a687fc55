/*
 * Maglev consistent hashing (Eisenbud et al., NSDI'16, section 3.4): a
 * lookup table of prime size M whose entries name backends, filled so that
 * every backend owns ⌊M/N⌋ or ⌈M/N⌉ entries and removing one backend moves
 * few of the others' entries.  A packet's 5-tuple hash indexes the table:
 * one hash and one load per packet, no allocation.
 *
 * This header is the library's public face for the table and for the error
 * codes shared by flow_table.h and rewrite.h.  It knows nothing of DPDK:
 * the DPDK stage calls it on mbuf data.  A table is not thread-safe; the
 * owner serialises changes (add/remove/build) with lookups, which is what a
 * run-to-completion stage that receives backend changes through an rref
 * call does anyway.
 */
#ifndef MAGLEV_TABLE_H
#define MAGLEV_TABLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Every function that can fail returns 0 (or a non-negative value) on
 * success and a negated MAGLEV_Exxx code on failure.  The codes are the
 * library's own, numbered away from errno and from libpd's PD_E* codes, so
 * a stage can pass them through without ambiguity.
 */
enum maglev_error {
	MAGLEV_OK = 0,
	MAGLEV_EINVAL = 2000, /* NULL pointer, empty name, out-of-range id */
	MAGLEV_ENOMEM,        /* allocation failed or a fixed-size table is full */
	MAGLEV_ENOTPRIME,     /* table size is not a prime (or is < 3) */
	MAGLEV_EEXIST,        /* a backend of that name is already present */
	MAGLEV_ENOENT,        /* no backend of that name */
	MAGLEV_ENOBACKENDS,   /* the table has no backend: nothing to pick */
	MAGLEV_ENOTBUILT,     /* backends changed since the last maglev_table_build */
	/* frame parsing (rewrite.h) */
	MAGLEV_ETRUNC,        /* frame shorter than the headers it announces */
	MAGLEV_EVLAN,         /* VLAN/QinQ-tagged frame: not handled */
	MAGLEV_ENOTIPV4,      /* EtherType is not IPv4 (IPv6, ARP, ...) */
	MAGLEV_EBADIP,        /* IPv4 version != 4, IHL < 5, or bad total length */
	MAGLEV_EFRAG,         /* IPv4 fragment: no complete L4 header to hash */
	MAGLEV_EPROTO,        /* L4 protocol is neither TCP nor UDP */
	MAGLEV_EBADL4,        /* TCP data offset < 5 or UDP length inconsistent */
	MAGLEV_ERROR_END
};

/* A static description of rc (either sign); never NULL. */
const char *maglev_strerror(int rc);

/* The paper's example size; a prime, so every skip is coprime with it. */
#define MAGLEV_DEFAULT_SIZE 65537u
/* Largest table accepted: keeps build-time arrays and index math in 32 bits. */
#define MAGLEV_MAX_SIZE 16777259u
/* Entries hold 16-bit backend ids (half the cache footprint of 32 bits). */
#define MAGLEV_MAX_BACKENDS 65535u
#define MAGLEV_NAME_MAX 64       /* including the terminating NUL */

/*
 * The two seeds of the backend-name hashes.  Any two different values work;
 * they are fixed so that every process (and every restart) computes the same
 * table for the same backends.
 */
#define MAGLEV_SEED_OFFSET 0x6d61676c65763031ull /* "maglev01" */
#define MAGLEV_SEED_SKIP   0x6d61676c65763032ull /* "maglev02" */

/*
 * Where the rewrite sends a packet for a backend.  The table itself only
 * uses the name (the identity that the permutation is derived from).
 */
struct maglev_backend {
	char name[MAGLEV_NAME_MAX];
	uint8_t mac[6];      /* destination Ethernet address */
	uint32_t ip;         /* destination IPv4 address, network byte order */
};

/*
 * The flow key, hashed to pick a table entry and used as the connection
 * table's key.  Explicit byte layout, 13 bytes, no padding, so that the hash
 * never reads indeterminate bytes.  Addresses and ports are kept in network
 * byte order exactly as they appear in the packet.
 */
struct __attribute__((packed)) maglev_5tuple {
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t proto;
};
_Static_assert(sizeof(struct maglev_5tuple) == 13, "maglev_5tuple must be packed");

struct maglev_table;

/*
 * A table of `size` entries (MAGLEV_DEFAULT_SIZE if 0), no backends.
 * -MAGLEV_ENOTPRIME if size is not prime or is above MAGLEV_MAX_SIZE.
 */
int maglev_table_create(uint32_t size, struct maglev_table **out);
void maglev_table_free(struct maglev_table *t);

/*
 * Adds a backend (weight 1, as every backend); returns its id (>= 0),
 * stable until it is removed.  From then until the next maglev_table_build
 * lookups return -MAGLEV_ENOTBUILT, so a control operation changes the
 * backends and rebuilds in one go, between batches.
 */
int maglev_backend_add(struct maglev_table *t, const struct maglev_backend *b);
/*
 * Adds b with the given id and generation instead of the next free ones:
 * for rebuilding a table as it was (from a checkpoint of its backends), so
 * that connection-table entries naming (id, generation) stay valid.  With
 * b NULL the id stays free but keeps the generation, so that its next
 * backend still moves the flows of the former ones.  -MAGLEV_EEXIST if the
 * id or the name is taken.  Rebuild after.
 */
int maglev_backend_add_at(struct maglev_table *t, int id, uint32_t generation,
			  const struct maglev_backend *b);
/* Removes the backend of that name; returns its former id.  Rebuild after. */
int maglev_backend_remove(struct maglev_table *t, const char *name);

/*
 * Refills every entry from the current backends with the paper's
 * round-robin population (Pseudocode 1), taking backends in name order.
 * The result therefore depends only on the set of names and M - never on
 * ids, add order or history - so every Maglev instance configured with the
 * same backends computes the same table.  Allocates O(N) scratch (control
 * path).  -MAGLEV_ENOBACKENDS leaves the table unbuilt (lookups fail).
 */
int maglev_table_build(struct maglev_table *t);

uint32_t maglev_table_size(const struct maglev_table *t);
uint32_t maglev_backend_count(const struct maglev_table *t);
/* The backend with that id, or NULL if none (removed, out of range). */
const struct maglev_backend *maglev_backend_get(const struct maglev_table *t, int id);
/* The id of the backend of that name, or -MAGLEV_ENOENT. */
int maglev_backend_find(const struct maglev_table *t, const char *name);
/*
 * An id's generation: it grows each time the id is reused by a new backend,
 * so a connection-table entry remembering (id, generation) can tell that its
 * backend was removed even if another backend took the id since.
 */
uint32_t maglev_backend_generation(const struct maglev_table *t, int id);

/*
 * The backend's preference list, permutation[j] for j = 0..M-1, written into
 * out[M] (offset + j*skip mod M).  For tests and tools; the build does not
 * materialise it.
 */
int maglev_backend_permutation(const struct maglev_table *t, int id, uint32_t *out);

/* The table entry (backend id) at index i, or a negative code. */
int maglev_table_entry(const struct maglev_table *t, uint32_t i);

/* The hash of a 5-tuple that maglev_table_lookup and the flow table use. */
uint64_t maglev_5tuple_hash(const struct maglev_5tuple *k);

/*
 * The per-packet path, inline because it is one multiply and one load.
 * The layout below is private: use the functions above.
 */
struct maglev_table_hot {
	uint32_t size;
	uint32_t built;        /* entries reflect the current backends */
	const uint16_t *entry; /* size entries, each a backend id */
};
/* Backend id for a 5-tuple hash, or -MAGLEV_ENOTBUILT / -MAGLEV_EINVAL. */
static inline int maglev_table_lookup(const struct maglev_table *t, uint64_t hash)
{
	/* The hot view is the first member of struct maglev_table (see the .c). */
	const struct maglev_table_hot *h = (const struct maglev_table_hot *)t;
	if (h == NULL)
		return -MAGLEV_EINVAL;
	if (!h->built)
		return -MAGLEV_ENOTBUILT;
	/*
	 * Multiply-shift maps the hash's high 32 bits onto [0, size) without a
	 * division (a 64-bit div costs tens of cycles per packet).  The high
	 * bits are used so that the index is independent of the connection
	 * table's bucket, which comes from the low bits.
	 */
	return h->entry[((hash >> 32) * h->size) >> 32];
}

#endif
