/*
 * The cold half of checkpoint images (pd_ckpt.h holds the per-field fast
 * paths): buffer growth, the header, validation and its messages, the
 * reader's table of shared objects, limits, and the equality pairing.
 *
 * Nothing here trusts the image: every length is checked against what
 * remains before anything is allocated for it, every id against the
 * table, and the first failure sticks (the read position jumps to the
 * end, so every later get fails too without testing a flag).
 */
#include <stdarg.h>
#include <stdio.h>
#include <xxhash.h>

#include "pd_ckpt.h"
#include "pd_internal.h"

/* Header layout, all little-endian: see docs/checkpoint-format.md. */
enum {
	HDR_MAGIC = 0,        /* u32 */
	HDR_VERSION = 4,      /* u32 */
	HDR_FINGERPRINT = 8,  /* u64 */
	HDR_PAYLOAD_LEN = 16, /* u64 */
	HDR_CHECKSUM = 24,    /* u64: XXH3-64 of the payload, seed 0 */
};

/* Sentinel count of a shared object the reader is tearing down: releases
 * from destructors of its neighbours cannot bring it to zero. */
#define RC_DOOMED PD__RC_MAX

static void store32(uint8_t *p, uint32_t v)
{
	v = pd__le32(v);
	memcpy(p, &v, 4);
}

static void store64(uint8_t *p, uint64_t v)
{
	v = pd__le64(v);
	memcpy(p, &v, 8);
}

static uint32_t load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return pd__le32(v);
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return pd__le64(v);
}

/* --- writer ------------------------------------------------------------ */

static __thread char save_error[120];   /* why this thread's last save failed */

/*
 * The payload starts with the labels of the code saving - the data is
 * theirs - lattice by lattice: a u32 count, then (u64 lattice fingerprint,
 * u32 label) for every component above bottom.  Lattices are named by
 * fingerprint because another run may place them differently in a
 * pd_labels.  Taken at the start: a save calls no other domain, so the
 * labels do not change while it runs.
 */
static size_t label_section_size(pd_labels held, uint32_t *count)
{
	uint32_t n;
	const pd_lattice *const *all = pd_lattices(&n);
	*count = 0;
	for (uint32_t i = 0; i < n; i++)
		*count += pd_labels_get(held, all[i]) != all[i]->bottom;
	return 4 + (size_t)*count * 12;
}

static void write_label_section(uint8_t *p, pd_labels held, uint32_t count)
{
	uint32_t n;
	const pd_lattice *const *all = pd_lattices(&n);
	store32(p, count);
	p += 4;
	for (uint32_t i = 0; i < n; i++) {
		pd_label x = pd_labels_get(held, all[i]);
		if (x == all[i]->bottom)
			continue;
		store64(p, all[i]->fingerprint);
		store32(p + 8, x);
		p += 12;
	}
}

void pd_ckpt_writer_init(pd_ckpt_writer *w)
{
	*w = (pd_ckpt_writer){ .epoch = pd__epoch_next(), .labels = pd_labels_current() };
	save_error[0] = 0;
}

/*
 * Grows to hold at least `need` bytes in all.  pd_alloc has no realloc:
 * the copy is amortised by doubling, and a caller that knows the size
 * (the previous image) reserves it up front.
 */
static int grow_to(pd_ckpt_writer *w, size_t need)
{
	if (w->err)
		return w->err;
	uint32_t count = 0;
	size_t section = w->buf ? 0 : label_section_size(w->labels, &count);
	need += section;
	size_t cap = w->cap ? w->cap : 4096;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			w->err = -PD_ENOMEM;
			return w->err;
		}
		cap *= 2;
	}
	uint8_t *buf = pd_alloc(cap, NULL);
	if (buf == NULL) {
		w->err = -PD_ENOMEM;
		return w->err;
	}
	if (w->buf) {
		memcpy(buf, w->buf, w->len);
		pd_free(w->buf);
	} else {
		/* the header is filled in by pd_ckpt_finish; the labels go first */
		write_label_section(buf + PD_CKPT_HEADER_SIZE, w->labels, count);
		w->len = PD_CKPT_HEADER_SIZE + section;
	}
	w->buf = buf;
	w->cap = cap;
	return 0;
}

void pd_ckpt_writer_reserve(pd_ckpt_writer *w, size_t n)
{
	size_t base = w->buf ? w->len : PD_CKPT_HEADER_SIZE;
	if (n > SIZE_MAX - base) {
		w->err = w->err ? w->err : -PD_ENOMEM;
		return;
	}
	if (w->cap < base + n)
		grow_to(w, base + n);
}

uint8_t *pd__ckpt_grow(pd_ckpt_writer *w, size_t n)
{
	size_t base = w->buf ? w->len : PD_CKPT_HEADER_SIZE;
	if (n > SIZE_MAX - base) {
		w->err = w->err ? w->err : -PD_ENOMEM;
		return NULL;
	}
	if (grow_to(w, base + n) < 0)
		return NULL;
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

int pd__ckpt_bad_shared(pd_ckpt_writer *w)
{
	if (w->err == 0)
		w->err = -PD_EINVAL;
	return 0;
}

const char *pd_ckpt_save_error(void)
{
	return save_error;
}

int pd__ckpt_too_deep(pd_ckpt_writer *w)
{
	if (w->err == 0) {
		w->err = -PD_EINVAL;
		snprintf(save_error, sizeof save_error,
			 "nesting deeper than %u (the limit a load applies): not saved",
			 PD_CKPT_DEFAULT_MAX_DEPTH);
	}
	return w->err;
}

int pd_ckpt_finish(pd_ckpt_writer *w, uint64_t fingerprint, void **image, size_t *len)
{
	*image = NULL;
	*len = 0;
	if (w->buf == NULL && w->err == 0)
		grow_to(w, PD_CKPT_HEADER_SIZE);  /* an empty payload still has a header */
	if (w->err == -PD_ENOMEM)
		snprintf(save_error, sizeof save_error, "out of memory");
	/* The label section says what the saving code holds; a writer whose
	 * labels were set lower (the field is the caller's) would launder. */
	if (w->err == 0 && !pd_labels_leq(pd_labels_current(), w->labels)) {
		snprintf(save_error, sizeof save_error, "the writer's labels are below what the saving "
			 "code holds: not saved");
		w->err = -PD_ELABEL;
	}
	int rc = w->err;
	if (rc < 0) {
		pd_ckpt_writer_discard(w);
		return rc;
	}
	uint8_t *h = w->buf;
	size_t payload = w->len - PD_CKPT_HEADER_SIZE;
	store32(h + HDR_MAGIC, PD_CKPT_MAGIC);
	store32(h + HDR_VERSION, PD_CKPT_VERSION);
	store64(h + HDR_FINGERPRINT, fingerprint);
	store64(h + HDR_PAYLOAD_LEN, payload);
	store64(h + HDR_CHECKSUM, XXH3_64bits(h + PD_CKPT_HEADER_SIZE, payload));
	*image = w->buf;
	*len = w->len;
	w->buf = NULL;
	w->len = w->cap = 0;
	return 0;
}

void pd_ckpt_writer_discard(pd_ckpt_writer *w)
{
	pd_free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

/* --- reader: errors ---------------------------------------------------- */

int pd__ckpt_fail(pd_ckpt_reader *r, int detail, const char *fmt, ...)
{
	if (r->err)
		return r->err;
	r->err = detail == PD_CKPT_ENOMEM ? -PD_ENOMEM : -PD_ECORRUPT;
	r->detail = detail;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->p = r->end;  /* every later get now fails without testing r->err */
	return r->err;
}

int pd__ckpt_short(pd_ckpt_reader *r, size_t n)
{
	return pd__ckpt_fail(r, PD_CKPT_ETRUNCATED,
	                     "truncated: a %zu-byte field at payload offset %zu, %zu bytes left",
	                     n, (size_t)(r->p - r->payload), pd_ckpt_remaining(r));
}

int pd_ckpt_error(const pd_ckpt_reader *r)
{
	return r->detail;
}

const char *pd_ckpt_error_message(const pd_ckpt_reader *r)
{
	return r->err ? r->msg : "no error";
}

/* --- reader: header and end -------------------------------------------- */

/* The label section the payload starts with (write_label_section). */
static int read_labels(pd_ckpt_reader *r)
{
	uint32_t n;
	int rc = pd_ckpt_get_u32(r, &n);
	if (rc < 0)
		return rc;
	if (n > pd_ckpt_remaining(r) / 12)
		return pd__ckpt_fail(r, PD_CKPT_ECOUNT, "%u labels, %zu payload bytes left",
		                     n, pd_ckpt_remaining(r));
	pd_labels held = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t fp;
		uint32_t x;
		pd_ckpt_get_u64(r, &fp);
		if ((rc = pd_ckpt_get_u32(r, &x)) < 0)
			return rc;
		const pd_lattice *l = pd_lattice_by_fingerprint(fp);
		if (l == NULL)
			return pd__ckpt_fail(r, PD_CKPT_ELABEL, "a label of lattice %016llx, which this "
			                     "program does not use", (unsigned long long)fp);
		if (!pd_label_valid(l, x))
			return pd__ckpt_fail(r, PD_CKPT_EVALUE, "label %u is not a label of %s", x, l->name);
		held = pd_labels_join(held, pd_labels_of(l, x));
	}
	r->labels = held;
	return 0;
}

int pd_ckpt_reader_init(pd_ckpt_reader *r, const void *image, size_t len, uint64_t fingerprint,
                        const pd_ckpt_limits *limits)
{
	const uint8_t *img = image;
	*r = (pd_ckpt_reader){ 0 };
	if (limits)
		r->lim = *limits;
	if (r->lim.max_depth == 0)
		r->lim.max_depth = PD_CKPT_DEFAULT_MAX_DEPTH;
	if (r->lim.max_objects == 0)
		r->lim.max_objects = PD_CKPT_DEFAULT_MAX_OBJECTS;
	if (r->lim.max_bytes == 0)
		r->lim.max_bytes = PD_CKPT_DEFAULT_MAX_BYTES;
	/* Until the header is accepted the payload is empty: a get fails. */
	r->p = r->end = r->payload = img;

	if (img == NULL || len < PD_CKPT_HEADER_SIZE)
		return pd__ckpt_fail(r, PD_CKPT_ETRUNCATED, "image of %zu bytes is shorter than the %u-byte header",
		                     img ? len : 0, PD_CKPT_HEADER_SIZE);
	uint32_t magic = load32(img + HDR_MAGIC);
	if (magic != PD_CKPT_MAGIC)
		return pd__ckpt_fail(r, PD_CKPT_EMAGIC, "bad magic 0x%08x: not a checkpoint image", magic);
	uint32_t version = load32(img + HDR_VERSION);
	if (version != PD_CKPT_VERSION)
		return pd__ckpt_fail(r, PD_CKPT_EVERSION, "format version %u, this libpd reads %u",
		                     version, PD_CKPT_VERSION);
	uint64_t fp = load64(img + HDR_FINGERPRINT);
	if (fp != fingerprint)
		return pd__ckpt_fail(r, PD_CKPT_EFINGERPRINT,
		                     "schema fingerprint %016llx, expected %016llx (the type changed)",
		                     (unsigned long long)fp, (unsigned long long)fingerprint);
	uint64_t payload = load64(img + HDR_PAYLOAD_LEN);
	size_t have = len - PD_CKPT_HEADER_SIZE;
	if (payload > have)
		return pd__ckpt_fail(r, PD_CKPT_ETRUNCATED, "truncated: header says %llu payload bytes, image has %zu",
		                     (unsigned long long)payload, have);
	if (payload < have)
		return pd__ckpt_fail(r, PD_CKPT_ELENGTH, "header says %llu payload bytes, image has %zu",
		                     (unsigned long long)payload, have);
	uint64_t sum = XXH3_64bits(img + PD_CKPT_HEADER_SIZE, have);
	if (sum != load64(img + HDR_CHECKSUM))
		return pd__ckpt_fail(r, PD_CKPT_ECHECKSUM, "payload checksum %016llx, header says %016llx",
		                     (unsigned long long)sum, (unsigned long long)load64(img + HDR_CHECKSUM));
	r->payload = r->p = img + PD_CKPT_HEADER_SIZE;
	r->end = r->p + have;
	return read_labels(r);
}

int pd_ckpt_image_labels(const void *image, size_t len, pd_labels *out)
{
	pd_ckpt_reader r;
	uint64_t fp = image && len >= PD_CKPT_HEADER_SIZE ? load64((const uint8_t *)image + HDR_FINGERPRINT) : 0;
	int rc = pd_ckpt_reader_init(&r, image, len, fp, NULL);
	*out = rc == 0 ? r.labels : PD_LABELS_INVALID;
	return rc < 0 ? -PD_ECORRUPT : 0;
}

static void free_table(pd_ckpt_reader *r)
{
	pd_free(r->objs);
	pd_free(r->tags);
	r->objs = NULL;
	r->tags = NULL;
	r->nobjs = r->cap = 0;
}

int pd_ckpt_reader_finish(pd_ckpt_reader *r)
{
	if (r->err == 0 && r->p != r->end)
		pd__ckpt_fail(r, PD_CKPT_ETRAILING, "%zu payload bytes left after the root value",
		              pd_ckpt_remaining(r));
	if (r->err)
		return r->err;
	if (r->labels && pd__labels_raise_current(r->labels) < 0)
		return pd__ckpt_fail(r, PD_CKPT_ELABEL, "the image holds labels above what the "
		                     "loading domain may hold");
	/* Each object now holds exactly the references its fields took. */
	for (uint32_t i = 0; i < r->nobjs; i++)
		pd_shared_release(r->objs[i]);
	free_table(r);
	return 0;
}

/*
 * Every object in the table was created by this load, and the caller has
 * already freed the root, so the table and the objects themselves (cycles)
 * are all that still point at them.  Doom them all first, so that no
 * destructor's release can free one; run every destructor while all the
 * memory is still there; then free the memory without running them again.
 */
void pd_ckpt_reader_abort(pd_ckpt_reader *r)
{
	for (uint32_t i = 0; i < r->nobjs; i++)
		pd__obj_of(r->objs[i])->refcount = RC_DOOMED;
	for (uint32_t i = 0; i < r->nobjs; i++) {
		struct pd__obj *h = pd__obj_of(r->objs[i]);
		const pd_kind *kind = h->kind;
		h->kind = NULL;
		if (kind && kind->destroy)
			kind->destroy(r->objs[i]);
	}
	for (uint32_t i = 0; i < r->nobjs; i++)
		pd__free_object(r->objs[i], 1);
	free_table(r);
}

/* --- reader: allocation under the limits ------------------------------- */

/* Counts an allocation of size bytes against the limits at what it really
 * costs - header and rounding included - so that many tiny objects cannot
 * slip under max_bytes. */
static int charge(pd_ckpt_reader *r, size_t size)
{
	if (r->err)
		return r->err;
	if (r->objects >= r->lim.max_objects)
		return pd__ckpt_fail(r, PD_CKPT_EOBJECTS, "more than %u objects", r->lim.max_objects);
	size_t cost = size > r->lim.max_bytes ? SIZE_MAX : pd__heap_footprint(size);
	if (cost > r->lim.max_bytes - r->bytes)
		return pd__ckpt_fail(r, PD_CKPT_EBYTES, "more than %llu bytes allocated",
		                     (unsigned long long)r->lim.max_bytes);
	r->objects++;
	r->bytes += cost;
	return 0;
}

static int out_of_memory(pd_ckpt_reader *r, size_t size)
{
	return pd__ckpt_fail(r, PD_CKPT_ENOMEM, "out of memory allocating %zu bytes", size);
}

int pd_ckpt_alloc(pd_ckpt_reader *r, size_t size, const pd_kind *kind, void **out)
{
	*out = NULL;
	int rc = charge(r, size);
	if (rc < 0)
		return rc;
	*out = pd_alloc(size, kind);
	return *out ? 0 : out_of_memory(r, size);
}

int pd_ckpt_alloc_array(pd_ckpt_reader *r, uint32_t n, size_t elem_size, const pd_kind *kind,
                        void **out)
{
	*out = NULL;
	if (r->err)
		return r->err;
	if (n == 0)
		return 0;
	if (elem_size > r->lim.max_bytes / n)
		return pd__ckpt_fail(r, PD_CKPT_EBYTES, "an array of %u x %zu bytes is over the %llu-byte limit",
		                     n, elem_size, (unsigned long long)r->lim.max_bytes);
	return pd_ckpt_alloc(r, (size_t)n * elem_size, kind, out);
}

int pd_ckpt_get_count(pd_ckpt_reader *r, uint32_t *n, size_t min_elem_bytes)
{
	int rc = pd_ckpt_get_u32(r, n);
	if (rc < 0)
		return rc;
	if (min_elem_bytes && *n > pd_ckpt_remaining(r) / min_elem_bytes) {
		uint32_t bad = *n;
		*n = 0;
		return pd__ckpt_fail(r, PD_CKPT_ECOUNT,
		                     "count %u at payload offset %zu needs at least %zu bytes, %zu left",
		                     bad, (size_t)(r->p - 4 - r->payload), (size_t)bad * min_elem_bytes,
		                     pd_ckpt_remaining(r));
	}
	return 0;
}

int pd_ckpt_get_bytes(pd_ckpt_reader *r, pd_bytes *out)
{
	out->data = NULL;
	out->len = 0;
	uint32_t len;
	int rc = pd_ckpt_get_u32(r, &len);
	if (rc < 0)
		return rc;
	if (len > pd_ckpt_remaining(r))
		return pd__ckpt_fail(r, PD_CKPT_ECOUNT, "bytes of length %u at payload offset %zu, %zu left",
		                     len, (size_t)(r->p - 4 - r->payload), pd_ckpt_remaining(r));
	if (len == 0)
		return 0;
	void *data;
	rc = pd_ckpt_alloc(r, len, NULL, &data);
	if (rc < 0)
		return rc;
	memcpy(data, r->p, len);
	r->p += len;
	out->data = data;
	out->len = len;
	return 0;
}

/* --- reader: shared objects -------------------------------------------- */

static int table_add(pd_ckpt_reader *r, void *obj, uint32_t tag)
{
	if (r->nobjs == r->cap) {
		uint32_t cap = r->cap ? r->cap * 2 : 64;
		void **objs = pd_alloc((size_t)cap * sizeof(*objs), NULL);
		uint32_t *tags = pd_alloc((size_t)cap * sizeof(*tags), NULL);
		if (objs == NULL || tags == NULL) {
			pd_free(objs);
			pd_free(tags);
			return out_of_memory(r, (size_t)cap * (sizeof(*objs) + sizeof(*tags)));
		}
		if (r->nobjs) {
			memcpy(objs, r->objs, r->nobjs * sizeof(*objs));
			memcpy(tags, r->tags, r->nobjs * sizeof(*tags));
		}
		pd_free(r->objs);
		pd_free(r->tags);
		r->objs = objs;
		r->tags = tags;
		r->cap = cap;
	}
	r->objs[r->nobjs] = obj;
	r->tags[r->nobjs] = tag;
	r->nobjs++;
	return 0;
}

int pd_ckpt_get_shared(pd_ckpt_reader *r, void **obj, size_t size, const pd_kind *kind,
                       uint32_t type_tag)
{
	*obj = NULL;
	uint8_t tag;
	int rc = pd_ckpt_get_u8(r, &tag);
	if (rc < 0)
		return rc;
	if (tag == PD_CKPT_NULL)
		return 0;
	size_t at = (size_t)(r->p - 1 - r->payload);
	if (tag != PD_CKPT_BACKREF && tag != PD_CKPT_NEW)
		return pd__ckpt_fail(r, PD_CKPT_EVALUE, "shared-pointer tag %u at payload offset %zu", tag, at);
	uint32_t id;
	rc = pd_ckpt_get_u32(r, &id);
	if (rc < 0)
		return rc;

	if (tag == PD_CKPT_BACKREF) {
		if (id >= r->nobjs)
			return pd__ckpt_fail(r, PD_CKPT_EBADREF,
			                     "back-reference to object %u at payload offset %zu, only %u restored",
			                     id, at, r->nobjs);
		if (r->tags[id] != type_tag)
			return pd__ckpt_fail(r, PD_CKPT_EREFTYPE,
			                     "back-reference at payload offset %zu to object %u of type %u, expected type %u",
			                     at, id, r->tags[id], type_tag);
		*obj = pd_shared_retain(r->objs[id]);
		return 0;
	}

	if (id != r->nobjs)
		return pd__ckpt_fail(r, PD_CKPT_EBADREF, "new object at payload offset %zu has id %u, expected %u",
		                     at, id, r->nobjs);
	if ((rc = charge(r, size)) < 0)
		return rc;
	void *o = pd_shared_alloc(size, kind);
	if (o == NULL)
		return out_of_memory(r, size);
	if ((rc = table_add(r, o, type_tag)) < 0) {
		pd_shared_release(o);  /* a fresh, empty body: its destructor has nothing to free */
		return rc;
	}
	*obj = pd_shared_retain(o);  /* the table keeps the first reference */
	return 1;
}

/* --- equality ---------------------------------------------------------- */

void pd_eq_init(pd_eq_ctx *c)
{
	c->ea = pd__epoch_next();
	c->eb = pd__epoch_next();
	c->next = 0;
}

/*
 * A pair met for the first time gets the same number in both headers; a
 * later meeting agrees exactly when both were met and carry that number.
 * The header is not part of the value, hence the casts.
 */
int pd_eq_shared(pd_eq_ctx *c, const void *a, const void *b)
{
	if (a == b)
		return 0;
	if (a == NULL || b == NULL)
		return -1;
	struct pd__obj *ha = pd__obj_of(a), *hb = pd__obj_of(b);
	bool seen_a = ha->epoch == c->ea, seen_b = hb->epoch == c->eb;
	if (seen_a || seen_b)
		return seen_a && seen_b && ha->ckpt_id == hb->ckpt_id ? 0 : -1;
	ha->epoch = c->ea;
	hb->epoch = c->eb;
	ha->ckpt_id = hb->ckpt_id = c->next++;
	return 1;
}
