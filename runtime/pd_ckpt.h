/*
 * Checkpoint images: the writer and reader that pdlc's generated save, load
 * and equality functions call, one field at a time.  The byte layout, the
 * validation rules and the limits are in docs/checkpoint-format.md.
 *
 * Saving.  A save takes a fresh epoch; pd_ckpt_put_shared stamps each shared
 * object it meets with that epoch and a dense id, so an alias met again is
 * written as a back-reference: no visited set, and nothing to clear after.
 * The stamp is made before the body is written, so cycles terminate.
 *
 * Loading.  Every read is bounds-checked and errors are sticky: after the
 * first one every get fails with the same code, so generated code may test
 * each result or only the last.  The reader keeps a table of the shared
 * objects restored so far (dense id -> object, type tag), holding one
 * reference to each, so a back-reference can be resolved and checked.
 *
 * The load protocol (what generated code does; nothing leaks on failure):
 *
 *	T root = {0};                        zero-initialised: free is always safe
 *	rc = pd_ckpt_reader_init(&r, image, len, T_FINGERPRINT, limits);
 *	if (rc == 0) rc = T_load(&r, &root);
 *	if (rc == 0) rc = pd_ckpt_reader_finish(&r);      drops the table's refs
 *	if (rc < 0) {
 *		T_free(&root);                   releases what the load built so far
 *		pd_ckpt_reader_abort(&r);        then frees what only the table holds
 *	}
 *
 * T_load stores each allocation in the structure as soon as it is made
 * (a vec's len is set with its zeroed item array), so the generated free
 * can always walk a half-built value.  Abort frees every shared object the
 * load created, whatever its count (cycles included); it must come after
 * T_free because T_free still reaches them.  Abort after a successful
 * finish, or twice, does nothing.
 *
 * Memory: the image, the writer's buffer and the reader's table are
 * pd_alloc objects of the current domain, so a fault during a save or a
 * load frees them with the domain.  An image meant to outlive the domain
 * must be pd_move'd out.  Programs using this link $xxhash_libs.
 */
#ifndef PD_CKPT_H
#define PD_CKPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pd_core.h"
#include "pd_data.h"
#include "pd_error.h"
#include "pd_shared.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PD_CKPT_MAGIC 0x4b434450u    /* "PDCK" as little-endian bytes */
#define PD_CKPT_VERSION 3u           /* 3: marks before vec elements that may take no bytes */
#define PD_CKPT_HEADER_SIZE 32u

/* The tag byte in front of every shared pointer. */
enum {
	PD_CKPT_NULL = 0,     /* nothing follows */
	PD_CKPT_BACKREF = 1,  /* u32 id of an object already in the image */
	PD_CKPT_NEW = 2,      /* u32 id (the next one), then the body */
};

/* Why a load failed: pd_ckpt_error(r).  The return code is -PD_ECORRUPT
 * for all of these but PD_CKPT_ENOMEM (-PD_ENOMEM). */
enum pd_ckpt_error {
	PD_CKPT_OK = 0,
	PD_CKPT_EMAGIC,        /* not a checkpoint image */
	PD_CKPT_EVERSION,      /* written by another format version */
	PD_CKPT_EFINGERPRINT,  /* written for another schema of the root type */
	PD_CKPT_ELENGTH,       /* the header's payload length disagrees with the image */
	PD_CKPT_ECHECKSUM,     /* the payload's XXH3-64 does not match */
	PD_CKPT_ETRUNCATED,    /* a field runs past the end of the payload */
	PD_CKPT_ECOUNT,        /* a length or count cannot fit in what remains */
	PD_CKPT_EVALUE,        /* a bool, presence or tag byte out of range */
	PD_CKPT_EBADREF,       /* back-reference to an id not restored yet, or a new id out of sequence */
	PD_CKPT_EREFTYPE,      /* back-reference to an object of another type */
	PD_CKPT_EDEPTH,        /* nesting deeper than limits.max_depth */
	PD_CKPT_EOBJECTS,      /* more allocations than limits.max_objects */
	PD_CKPT_EBYTES,        /* more bytes allocated than limits.max_bytes */
	PD_CKPT_ETRAILING,     /* the payload has bytes the root type did not read */
	PD_CKPT_ENOMEM,        /* out of memory */
	PD_CKPT_ELABEL,        /* a label of an unknown lattice, or above what the loader may hold */
};

/* Bounds on what a load may build; a 0 field (or a NULL pointer) means the default. */
typedef struct pd_ckpt_limits {
	uint32_t max_depth;    /* nested objects (pd_ckpt_enter); default 256 */
	uint32_t max_objects;  /* heap objects allocated; default 2^24 */
	uint64_t max_bytes;    /* bytes allocated; default 1 GiB */
} pd_ckpt_limits;

#define PD_CKPT_DEFAULT_MAX_DEPTH 256u
#define PD_CKPT_DEFAULT_MAX_OBJECTS (1u << 24)
#define PD_CKPT_DEFAULT_MAX_BYTES (1ull << 30)

typedef struct pd_ckpt_writer {
	uint8_t *buf;       /* pd_alloc'd; the first PD_CKPT_HEADER_SIZE bytes wait for the header */
	size_t len, cap;    /* len includes the header space */
	uint32_t epoch;     /* this save's stamp */
	uint32_t next_id;   /* the next shared object's dense id */
	uint32_t depth;     /* nested objects now (pd_ckpt_put_enter) */
	int err;            /* sticky: -PD_ENOMEM or -PD_EINVAL */
	pd_labels labels;   /* what the saving code holds: the image's label section */
} pd_ckpt_writer;

typedef struct pd_ckpt_reader {
	const uint8_t *p, *end;  /* the unread part of the payload */
	pd_labels labels;        /* what the image's label section says its data holds */
	const uint8_t *payload;
	pd_ckpt_limits lim;
	uint32_t depth;
	uint32_t objects;        /* allocations so far */
	uint64_t bytes;          /* bytes allocated so far */
	void **objs;             /* restored shared objects by id (pd_alloc'd) */
	uint32_t *tags;          /* their type tags */
	uint32_t nobjs, cap;
	int err;                 /* sticky return code */
	int detail;              /* enum pd_ckpt_error */
	char msg[120];
} pd_ckpt_reader;

/* Sharing-aware equality: one epoch per side and a pair counter. */
typedef struct pd_eq_ctx {
	uint32_t ea, eb;
	uint32_t next;
} pd_eq_ctx;

/* --- writer ------------------------------------------------------------ */

/* Starts a save (takes a fresh epoch).  Allocates nothing yet. */
void pd_ckpt_writer_init(pd_ckpt_writer *w);

/* Makes room for n more payload bytes up front (e.g. the last image's size). */
void pd_ckpt_writer_reserve(pd_ckpt_writer *w, size_t n);

/*
 * Ends a save: writes the header in front of the payload and hands over the
 * image (a pd_alloc object of the current domain; pd_free it).  Returns 0,
 * or the sticky error (-PD_ENOMEM, -PD_EINVAL, -PD_ECORRUPT for a value
 * nested too deep), or -PD_ELABEL when the writer's labels were set below
 * what the saving code holds, having freed the buffer.  The writer is
 * empty afterwards.
 */
int pd_ckpt_finish(pd_ckpt_writer *w, uint64_t fingerprint, void **image, size_t *len);

/* Abandons a save and frees its buffer. */
void pd_ckpt_writer_discard(pd_ckpt_writer *w);

/*
 * Why the last save on this thread failed, in words ("nesting deeper than
 * 256, the loader's limit"), or "" - for the one line a scheduler prints.
 */
const char *pd_ckpt_save_error(void);

/* Cold path of pd_ckpt_put_enter: the value nests deeper than a load may. */
int pd__ckpt_too_deep(pd_ckpt_writer *w);

/*
 * Around every nested object's body in a save, as pd_ckpt_enter is in a
 * load: a state that saves must load, so a save refuses (with -PD_EINVAL,
 * and pd_ckpt_save_error saying why) what nests deeper than a load with
 * the default limits would accept.
 */
static inline int pd_ckpt_put_enter(pd_ckpt_writer *w)
{
	if (__builtin_expect(++w->depth > PD_CKPT_DEFAULT_MAX_DEPTH, 0))
		return pd__ckpt_too_deep(w);
	return w->err;
}

static inline void pd_ckpt_put_leave(pd_ckpt_writer *w) { w->depth--; }

/* Cold path of the puts: grows the buffer, or records -PD_ENOMEM and returns NULL. */
uint8_t *pd__ckpt_grow(pd_ckpt_writer *w, size_t n);

static inline uint8_t *pd__ckpt_room(pd_ckpt_writer *w, size_t n)
{
	if (__builtin_expect(w->cap - w->len < n, 0))
		return pd__ckpt_grow(w, n);
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define pd__le16(x) (x)
#define pd__le32(x) (x)
#define pd__le64(x) (x)
#else
#define pd__le16(x) __builtin_bswap16(x)
#define pd__le32(x) __builtin_bswap32(x)
#define pd__le64(x) __builtin_bswap64(x)
#endif

static inline void pd_ckpt_put_u8(pd_ckpt_writer *w, uint8_t v)
{
	uint8_t *p = pd__ckpt_room(w, 1);
	if (p)
		*p = v;
}

static inline void pd_ckpt_put_u16(pd_ckpt_writer *w, uint16_t v)
{
	uint8_t *p = pd__ckpt_room(w, 2);
	v = pd__le16(v);
	if (p)
		memcpy(p, &v, 2);
}

static inline void pd_ckpt_put_u32(pd_ckpt_writer *w, uint32_t v)
{
	uint8_t *p = pd__ckpt_room(w, 4);
	v = pd__le32(v);
	if (p)
		memcpy(p, &v, 4);
}

static inline void pd_ckpt_put_u64(pd_ckpt_writer *w, uint64_t v)
{
	uint8_t *p = pd__ckpt_room(w, 8);
	v = pd__le64(v);
	if (p)
		memcpy(p, &v, 8);
}

/* Signed integers are written as their two's-complement bits. */
static inline void pd_ckpt_put_i8(pd_ckpt_writer *w, int8_t v) { pd_ckpt_put_u8(w, (uint8_t)v); }
static inline void pd_ckpt_put_i16(pd_ckpt_writer *w, int16_t v) { pd_ckpt_put_u16(w, (uint16_t)v); }
static inline void pd_ckpt_put_i32(pd_ckpt_writer *w, int32_t v) { pd_ckpt_put_u32(w, (uint32_t)v); }
static inline void pd_ckpt_put_i64(pd_ckpt_writer *w, int64_t v) { pd_ckpt_put_u64(w, (uint64_t)v); }

/* Floating point as its IEEE 754 bits, so NaN payloads and -0.0 survive. */
static inline void pd_ckpt_put_f32(pd_ckpt_writer *w, float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	pd_ckpt_put_u32(w, u);
}

static inline void pd_ckpt_put_f64(pd_ckpt_writer *w, double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	pd_ckpt_put_u64(w, u);
}

static inline void pd_ckpt_put_bool(pd_ckpt_writer *w, bool v) { pd_ckpt_put_u8(w, v ? 1 : 0); }

/* A vec's element count (the elements follow). */
static inline void pd_ckpt_put_count(pd_ckpt_writer *w, uint32_t n) { pd_ckpt_put_u32(w, n); }

/* Whether an `own T?` is there (its body follows when it is). */
static inline void pd_ckpt_put_present(pd_ckpt_writer *w, bool present) { pd_ckpt_put_bool(w, present); }

/* Before each element of a vec whose elements may encode to no bytes: a 0
 * byte, so that a count is paid for by the image (pd_ckpt_get_mark). */
static inline void pd_ckpt_put_mark(pd_ckpt_writer *w) { pd_ckpt_put_u8(w, 0); }

static inline void pd_ckpt_put_bytes(pd_ckpt_writer *w, const void *data, uint32_t len)
{
	uint8_t *p = pd__ckpt_room(w, 4 + (size_t)len);
	uint32_t n = pd__le32(len);
	if (p) {
		memcpy(p, &n, 4);
		if (len)
			memcpy(p + 4, data, len);
	}
}

/* Cold path of pd_ckpt_put_shared: not a libpd object, or ids exhausted. */
int pd__ckpt_bad_shared(pd_ckpt_writer *w);

/*
 * Writes a shared pointer.  Returns 1 when obj is new to this save (it is
 * now stamped, and the caller must write its body right away), 0 for NULL
 * or an alias of an object already written (a back-reference).
 */
static inline int pd_ckpt_put_shared(pd_ckpt_writer *w, const void *obj)
{
	if (obj == NULL) {
		pd_ckpt_put_u8(w, PD_CKPT_NULL);
		return 0;
	}
	struct pd__obj *h = pd__obj_of(obj);
	if (__builtin_expect(h->magic != PD__OBJ_MAGIC || w->next_id == UINT32_MAX, 0))
		return pd__ckpt_bad_shared(w);
	uint8_t *p = pd__ckpt_room(w, 5);
	if (h->epoch == w->epoch) {
		uint32_t id = pd__le32(h->ckpt_id);
		if (p) {
			p[0] = PD_CKPT_BACKREF;
			memcpy(p + 1, &id, 4);
		}
		return 0;
	}
	/* Stamp before the body is written: a cycle back to obj is then a back-reference. */
	h->epoch = w->epoch;
	h->ckpt_id = w->next_id++;
	uint32_t id = pd__le32(h->ckpt_id);
	if (p) {
		p[0] = PD_CKPT_NEW;
		memcpy(p + 1, &id, 4);
	}
	return 1;
}

/* --- reader ------------------------------------------------------------ */

/*
 * Validates the header (magic, version, fingerprint, payload length,
 * checksum) and positions r at the payload.  limits may be NULL.
 * Returns 0 or -PD_ECORRUPT (pd_ckpt_error(r) says why).
 */
int pd_ckpt_reader_init(pd_ckpt_reader *r, const void *image, size_t len, uint64_t fingerprint,
                        const pd_ckpt_limits *limits);

/*
 * The labels an image carries (its label section), for any schema: what
 * whoever reads the image learns.  Validates the header as the reader does,
 * whatever the fingerprint.  0, or -PD_ECORRUPT and *out PD_LABELS_INVALID.
 */
int pd_ckpt_image_labels(const void *image, size_t len, pd_labels *out);

/*
 * Ends a load: checks the payload was consumed exactly, raises the current
 * domain's label (the thread's, outside any) to the labels the image
 * carries - restored data comes back with its labels - and drops the
 * table's references.  On failure (this check, a label the loader may not
 * hold, or an earlier sticky error) the table is kept for
 * pd_ckpt_reader_abort and the error returned.
 */
int pd_ckpt_reader_finish(pd_ckpt_reader *r);

/* After a failed load and the generated free: frees what the table still holds. */
void pd_ckpt_reader_abort(pd_ckpt_reader *r);

/* enum pd_ckpt_error of the first failure, and a message saying where. */
int pd_ckpt_error(const pd_ckpt_reader *r);
const char *pd_ckpt_error_message(const pd_ckpt_reader *r);

/* Records a failure (the first one sticks) and returns r->err. */
int pd__ckpt_fail(pd_ckpt_reader *r, int detail, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), cold));

/* Cold path of the gets: the field needs n bytes and fewer remain (or an earlier error). */
int pd__ckpt_short(pd_ckpt_reader *r, size_t n);

static inline size_t pd_ckpt_remaining(const pd_ckpt_reader *r)
{
	return (size_t)(r->end - r->p);
}

/* Reads n raw bytes; on failure *out is zero-filled. */
static inline int pd__ckpt_take(pd_ckpt_reader *r, void *out, size_t n)
{
	if (__builtin_expect(pd_ckpt_remaining(r) < n, 0)) {
		memset(out, 0, n);
		return pd__ckpt_short(r, n);
	}
	memcpy(out, r->p, n);
	r->p += n;
	return 0;
}

static inline int pd_ckpt_get_u8(pd_ckpt_reader *r, uint8_t *out) { return pd__ckpt_take(r, out, 1); }

static inline int pd_ckpt_get_u16(pd_ckpt_reader *r, uint16_t *out)
{
	int rc = pd__ckpt_take(r, out, 2);
	*out = pd__le16(*out);
	return rc;
}

static inline int pd_ckpt_get_u32(pd_ckpt_reader *r, uint32_t *out)
{
	int rc = pd__ckpt_take(r, out, 4);
	*out = pd__le32(*out);
	return rc;
}

static inline int pd_ckpt_get_u64(pd_ckpt_reader *r, uint64_t *out)
{
	int rc = pd__ckpt_take(r, out, 8);
	*out = pd__le64(*out);
	return rc;
}

static inline int pd_ckpt_get_i8(pd_ckpt_reader *r, int8_t *out) { return pd_ckpt_get_u8(r, (uint8_t *)out); }
static inline int pd_ckpt_get_i16(pd_ckpt_reader *r, int16_t *out) { return pd_ckpt_get_u16(r, (uint16_t *)out); }
static inline int pd_ckpt_get_i32(pd_ckpt_reader *r, int32_t *out) { return pd_ckpt_get_u32(r, (uint32_t *)out); }
static inline int pd_ckpt_get_i64(pd_ckpt_reader *r, int64_t *out) { return pd_ckpt_get_u64(r, (uint64_t *)out); }

static inline int pd_ckpt_get_f32(pd_ckpt_reader *r, float *out)
{
	uint32_t u;
	int rc = pd_ckpt_get_u32(r, &u);
	memcpy(out, &u, 4);
	return rc;
}

static inline int pd_ckpt_get_f64(pd_ckpt_reader *r, double *out)
{
	uint64_t u;
	int rc = pd_ckpt_get_u64(r, &u);
	memcpy(out, &u, 8);
	return rc;
}

/* A bool must be exactly 0 or 1: anything else is corruption, not "true". */
static inline int pd_ckpt_get_bool(pd_ckpt_reader *r, bool *out)
{
	uint8_t b;
	int rc = pd_ckpt_get_u8(r, &b);
	*out = b == 1;
	if (__builtin_expect(rc == 0 && b > 1, 0))
		return pd__ckpt_fail(r, PD_CKPT_EVALUE, "bool byte %u at payload offset %zu",
		                     b, (size_t)(r->p - 1 - r->payload));
	return rc;
}

static inline int pd_ckpt_get_present(pd_ckpt_reader *r, bool *out) { return pd_ckpt_get_bool(r, out); }

/* An element mark (pd_ckpt_put_mark): exactly one 0 byte. */
static inline int pd_ckpt_get_mark(pd_ckpt_reader *r)
{
	uint8_t b;
	int rc = pd_ckpt_get_u8(r, &b);
	if (__builtin_expect(rc == 0 && b != 0, 0))
		return pd__ckpt_fail(r, PD_CKPT_EVALUE, "element mark %u at payload offset %zu",
		                     b, (size_t)(r->p - 1 - r->payload));
	return rc;
}

/*
 * Reads a vec's element count.  Each element takes at least min_elem_bytes
 * of the image, so a count that cannot fit in what remains is refused
 * before anything is allocated for it.
 */
int pd_ckpt_get_count(pd_ckpt_reader *r, uint32_t *n, size_t min_elem_bytes);

/* Reads a bytes field into a new pd_alloc'd buffer (NULL when empty). */
int pd_ckpt_get_bytes(pd_ckpt_reader *r, pd_bytes *out);

/*
 * Allocates (pd_alloc, zeroed) what a load builds besides shared objects and
 * bytes - `own` objects, vec item arrays - counted against the limits.
 * alloc_array with n == 0 gives *out = NULL.  0 or the sticky error.
 */
int pd_ckpt_alloc(pd_ckpt_reader *r, size_t size, const pd_kind *kind, void **out);
int pd_ckpt_alloc_array(pd_ckpt_reader *r, uint32_t n, size_t elem_size, const pd_kind *kind,
                        void **out);

/*
 * Reads a shared pointer of a type identified by type_tag (the emitter's
 * per-type constant).  NULL: *obj = NULL, returns 0.  Back-reference: the
 * id must be restored already and of the same type_tag; *obj gets a new
 * reference, returns 0.  New: allocates it (size, kind) with one reference
 * for *obj and one for the table, registers it under the next id before
 * returning 1 - the caller then reads its body (enter/leave around it), and
 * a cycle back to it resolves.  Negative on error (*obj = NULL).
 */
int pd_ckpt_get_shared(pd_ckpt_reader *r, void **obj, size_t size, const pd_kind *kind,
                       uint32_t type_tag);

/* Around every nested object's body, to bound the recursion. */
static inline int pd_ckpt_enter(pd_ckpt_reader *r)
{
	if (__builtin_expect(++r->depth > r->lim.max_depth, 0))
		return pd__ckpt_fail(r, PD_CKPT_EDEPTH, "nesting deeper than %u", r->lim.max_depth);
	return r->err;
}

static inline void pd_ckpt_leave(pd_ckpt_reader *r) { r->depth--; }

/* --- equality ---------------------------------------------------------- */

/* Starts a comparison of two disjoint graphs (takes two fresh epochs). */
void pd_eq_init(pd_eq_ctx *c);

/*
 * Compares the sharing of two shared pointers met at the same place in the
 * two graphs: 1 = both new, pair them and compare their bodies now; 0 =
 * both met before and paired with each other (or both NULL, or the same
 * object): equal so far; -1 = the sharing differs: not equal.
 */
int pd_eq_shared(pd_eq_ctx *c, const void *a, const void *b);

#ifdef __cplusplus
}
#endif

#endif /* PD_CKPT_H */
