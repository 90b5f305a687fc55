/*
 * emit_checkpoint.c - save, load, free and equal for every struct, and a
 * schema fingerprint.
 *
 * The generated functions follow runtime/pd_ckpt.h's protocol: each is a
 * plain sequence over the fields in declaration order; load fills zeroed
 * memory and stores every allocation into the value at once, so free can
 * walk whatever a failed load built; shared objects are written once per
 * save (pd_ckpt_put_shared finds aliases by an epoch stamp in the object
 * header) and restored with the same sharing; every nested object's body
 * is read between pd_ckpt_enter and pd_ckpt_leave, which bound the depth.
 *
 * A struct that can reach an opaque object (a packet batch, say) has no
 * checkpoint: pdlc does not know what is inside it.  Such structs get a
 * comment instead, and a domain whose state is one cannot checkpoint.
 *
 * vec<T> gets static helpers, one set per element type, written before the
 * struct functions that use them; every other field is saved inline.
 */
#include "emit.h"

#include <stdint.h>
#include <string.h>

#include "symtab.h"

static const char *const scalar_ckpt[] = {
	"u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "bool", "f64",
};

/* ---- which structs can be checkpointed ---- */

/* sema_types.c found which structs reach an opaque object. */
bool struct_savable(const decl *d)
{
	return d->kind == DECL_STRUCT && d->opaque_via == NULL;
}

/* ---- the fingerprint ----
 *
 * A struct's schema is its own fields (names and types, other structs named
 * only) plus the schemas of the structs they name, and so on.  Each
 * struct's own part is hashed once (FNV-1a over a canonical spelling).  The
 * structs that name each other in a cycle (a strongly connected component
 * of the graph "names in a field") share one hash: the order-free sum of
 * their own hashes and of the hashes of the distinct components they name,
 * a Merkle hash over the component graph.  A struct's fingerprint is its own
 * hash combined with its component's.  All of it is computed in one pass,
 * linear in the structs and fields, with an explicit stack (Tarjan's
 * algorithm), however long the chains: no spelling of the whole graph, no
 * walk per struct, no recursion as deep as the input.
 */
static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3u;
	}
	return h;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdu;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53u;
	return x ^ (x >> 33);
}

static uint64_t type_spelling(uint64_t h, const type *t)
{
	static const char *const kinds[] = {
		[TYPE_BYTES] = "bytes", [TYPE_NAMED] = "struct", [TYPE_ARRAY] = "array",
		[TYPE_VEC] = "vec", [TYPE_OWN] = "own", [TYPE_SHARED] = "shared",
		[TYPE_LABELED] = "labeled", [TYPE_RREF] = "rref",
	};
	for (; t; t = t->elem) {
		if (type_is_scalar(t))
			return fnv(h, scalar_ckpt[t->kind]);
		h = fnv(h, kinds[t->kind]);
		if (t->kind == TYPE_ARRAY)
			h = fnv(h, ast_printf("[%llu]", (unsigned long long)t->length));
		if ((t->kind == TYPE_OWN || t->kind == TYPE_SHARED) && t->nullable)
			h = fnv(h, "?");
		if (t->kind == TYPE_LABELED && t->lattice)
			h = fnv(h, ast_printf("%s.%s/%llx", t->lattice->decl->module->name,
			                      t->lattice->decl->name,
			                      (unsigned long long)t->lattice->fingerprint));
		if (t->kind == TYPE_NAMED && t->decl)
			return fnv(fnv(fnv(h, t->decl->module->name), "."), t->decl->name);
		h = fnv(h, "<");
	}
	return h;
}

/* The hash of a struct's own part, computed once. */
static uint64_t own_hash(decl *d)
{
	if (d->fp_own_done)
		return d->fp_own;
	uint64_t h = fnv(fnv(fnv(0xcbf29ce484222325u, d->module->name), "."), d->name);
	h = fnv(h, "{");
	for (const field *f = d->u.struct_.fields; f; f = f->next) {
		h = type_spelling(fnv(fnv(h, f->name), ":"), f->type);
		/* A field's label is part of what an image means: an image
		 * written when `x @secret` must not load as `x @public`, nor
		 * after the lattice's order changed (its fingerprint). */
		if (f->label && f->label->lattice)
			h = fnv(h, ast_printf("@%llx/%u", (unsigned long long)f->label->lattice->fingerprint,
			                      f->label->id));
		h = fnv(h, ";");
	}
	d->fp_own = fnv(h, "}");
	d->fp_own_done = true;
	return d->fp_own;
}

/* The struct a field's type names (through vec, own, arrays...), or NULL. */
static decl *named_struct(const type *t)
{
	for (; t; t = t->elem)
		if (t->kind == TYPE_NAMED)
			return t->decl && t->decl->kind == DECL_STRUCT ? t->decl : NULL;
	return NULL;
}

/* Tarjan's state, kept in the declarations (fp_index 0: not met yet). */
typedef struct fp_frame {
	decl *d;
	const field *next;              /* the field of d to follow next */
} fp_frame;

typedef struct fp_state {
	fp_frame *frames;               /* the depth-first path */
	decl **stack;                   /* Tarjan's stack of open structs */
	uint32_t n_frames, n_stack, cap;
	uint32_t counter;
} fp_state;

/* Components closed so far, over every module of the run: ids stay unique
 * however many modules a run emits (a closed component stays valid). */
static int components;

static void fp_grow(fp_state *s)
{
	uint32_t cap = s->cap ? 2 * s->cap : 64;
	fp_frame *frames = ast_alloc(cap * sizeof(*frames));
	decl **stack = ast_alloc(cap * sizeof(*stack));
	if (s->cap) {
		memcpy(frames, s->frames, s->n_frames * sizeof(*frames));
		memcpy(stack, s->stack, s->n_stack * sizeof(*stack));
	}
	s->frames = frames;
	s->stack = stack;
	s->cap = cap;
}

static void fp_open(fp_state *s, decl *d)
{
	if (s->n_frames == s->cap || s->n_stack == s->cap)
		fp_grow(s);
	d->fp_index = d->fp_low = ++s->counter;
	d->fp_on_stack = true;
	s->stack[s->n_stack++] = d;
	s->frames[s->n_frames++] = (fp_frame){ d, d->u.struct_.fields };
}

/* ROOT's component is complete: hash it into every member. */
static void fp_close(fp_state *s, decl *root)
{
	uint32_t first = s->n_stack;
	do
		first--;
	while (s->stack[first] != root);
	int id = ++components;
	uint64_t sum = 0, named = 0;
	for (uint32_t i = first; i < s->n_stack; i++) {
		decl *m = s->stack[i];
		m->fp_on_stack = false;
		m->fp_walk = id;
		sum += mix(own_hash(m));
	}
	/* the distinct components it names, each once: their hashes are done */
	for (uint32_t i = first; i < s->n_stack; i++)
		for (const field *f = s->stack[i]->u.struct_.fields; f; f = f->next) {
			decl *to = named_struct(f->type);
			if (to == NULL || to->fp_walk == id || to->fp_component->fp_walk == -id)
				continue;
			to->fp_component->fp_walk = -id;      /* (a component's root marks it) */
			named += mix(to->fp_component->fp_scc);
		}
	root->fp_scc = mix(sum ^ mix(named + (s->n_stack - first)));
	for (uint32_t i = first; i < s->n_stack; i++) {
		s->stack[i]->fp_component = root;
		s->stack[i]->fp_scc = root->fp_scc;
	}
	root->fp_walk = id;
	s->n_stack = first;
}

static void fp_components(fp_state *s, decl *start)
{
	fp_open(s, start);
	while (s->n_frames > 0) {
		fp_frame *top = &s->frames[s->n_frames - 1];
		decl *d = top->d;
		if (top->next) {
			decl *to = named_struct(top->next->type);
			top->next = top->next->next;
			if (to == NULL)
				continue;
			if (to->fp_index == 0)
				fp_open(s, to);
			else if (to->fp_on_stack && to->fp_index < d->fp_low)
				d->fp_low = to->fp_index;
			continue;
		}
		s->n_frames--;
		if (d->fp_low == d->fp_index)
			fp_close(s, d);
		if (s->n_frames > 0) {
			decl *parent = s->frames[s->n_frames - 1].d;
			if (d->fp_low < parent->fp_low)
				parent->fp_low = d->fp_low;
		}
	}
}

static uint64_t struct_fingerprint(fp_state *s, decl *d)
{
	if (d->fp_index == 0)
		fp_components(s, d);
	return mix(own_hash(d) ^ mix(d->fp_scc + 1));
}

/* A type tag tells shared objects of different structs apart in an image. */
static uint32_t struct_tag(const decl *d)
{
	uint64_t h = fnv(fnv(0xcbf29ce484222325u, d->module->name), ".");
	return (uint32_t)(fnv(h, d->name) >> 16) | 1u;
}

/* ---- code for one value of a type, by operation ---- */

typedef enum op { SAVE, LOAD, FREE, EQUAL } op;

static const char *tabs(int depth)
{
	static const char many[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
	return many + (depth < 16 ? 16 - depth : 0);
}

static void indent(FILE *c, int depth)
{
	for (int i = 0; i < depth; i++)
		fputc('\t', c);
}

static void emit_value(emit_ctx *e, op o, const type *t, const char *a, const char *b, int depth);

/* Arrays: the same code per element, under a loop with its own index. */
static void emit_array(emit_ctx *e, op o, const type *t, const char *a, const char *b, int depth)
{
	FILE *c = e->c;
	const char *i = ast_printf("i%d", depth);
	indent(c, depth);
	fprintf(c, "for (uint32_t %s = 0; %s < %llu; %s++) {\n", i, i, (unsigned long long)t->length, i);
	emit_value(e, o, t->elem, ast_printf("%s[%s]", a, i), b ? ast_printf("%s[%s]", b, i) : NULL,
	           depth + 1);
	indent(c, depth);
	fputs("}\n", c);
}

static const char *struct_fn(const decl *d, const char *what)
{
	return ast_printf("%s_%s", c_name(d), what);
}

static void emit_value(emit_ctx *e, op o, const type *t, const char *a, const char *b, int depth)
{
	FILE *c = e->c;
	if (t->kind == TYPE_ARRAY) {
		emit_array(e, o, t, a, b, depth);
		return;
	}
	if (t->kind == TYPE_VEC) {
		const char *fn = ast_printf("%s_%s", c_type(e->mod, t), o == SAVE ? "save" : o == LOAD ? "load"
		                            : o == FREE ? "free" : "equal");
		indent(c, depth);
		if (o == SAVE)
			fprintf(c, "%s(w, &%s);\n", fn, a);
		else if (o == LOAD)
			fprintf(c, "if ((rc = %s(r, &%s)) < 0)\n%s\treturn rc;\n", fn, a, tabs(depth));
		else if (o == FREE)
			fprintf(c, "%s(&%s);\n", fn, a);
		else
			fprintf(c, "if (!%s(c, &%s, &%s))\n%s\treturn false;\n", fn, a, b, tabs(depth));
		return;
	}
	indent(c, depth);
	switch (t->kind) {
	case TYPE_BYTES:
		if (o == SAVE)
			fprintf(c, "pd_ckpt_put_bytes(w, %s.data, %s.len);\n", a, a);
		else if (o == LOAD)
			fprintf(c, "if ((rc = pd_ckpt_get_bytes(r, &%s)) < 0)\n%s\treturn rc;\n", a, tabs(depth));
		else if (o == FREE)
			fprintf(c, "pd_free(%s.data);\n%s%s.data = NULL;\n%s%s.len = 0;\n", a, tabs(depth), a,
			        tabs(depth), a);
		else
			fprintf(c, "if (%s.len != %s.len || (%s.len && memcmp(%s.data, %s.data, %s.len) != 0))\n"
			        "%s\treturn false;\n", a, b, a, a, b, a, tabs(depth));
		return;
	case TYPE_NAMED:
		if (o == SAVE)
			fprintf(c, "%s(w, &%s);\n", struct_fn(t->decl, "save"), a);
		else if (o == LOAD)
			fprintf(c, "if ((rc = %s(r, &%s)) < 0)\n%s\treturn rc;\n", struct_fn(t->decl, "load"), a,
			        tabs(depth));
		else if (o == FREE)
			fprintf(c, "%s(&%s);\n", struct_fn(t->decl, "free"), a);
		else
			fprintf(c, "if (!%s(c, &%s, &%s))\n%s\treturn false;\n", struct_fn(t->decl, "equal"),
			        a, b, tabs(depth));
		return;
	case TYPE_OWN: {
		const decl *d = t->elem->decl;
		/* pd_ckpt_put_enter: a state that saves must load, depth included */
		if (o == SAVE && t->nullable)
			fprintf(c, "pd_ckpt_put_present(w, %s != NULL);\n%sif (%s && pd_ckpt_put_enter(w) == 0)\n"
			        "%s\t%s(w, %s);\n%sif (%s)\n%s\tpd_ckpt_put_leave(w);\n", a,
			        tabs(depth), a, tabs(depth), struct_fn(d, "save"), a, tabs(depth), a, tabs(depth));
		else if (o == SAVE)
			fprintf(c, "if (pd_ckpt_put_enter(w) == 0)\t/* own, never NULL: no presence byte */\n"
			        "%s\t%s(w, %s);\n%spd_ckpt_put_leave(w);\n",
			        tabs(depth), struct_fn(d, "save"), a, tabs(depth));
		else if (o == LOAD)
			fprintf(c, "if ((rc = %s(r, &%s, %s)) < 0)\n%s\treturn rc;\n", struct_fn(d, "load_own"),
			        a, t->nullable ? "true" : "false", tabs(depth));
		else if (o == FREE)
			fprintf(c, "pd_free(%s);\t/* its kind frees what it holds */\n%s%s = NULL;\n", a,
			        tabs(depth), a);
		else
			fprintf(c, "if ((%s == NULL) != (%s == NULL) || (%s && !%s(c, %s, %s)))\n"
			        "%s\treturn false;\n", a, b, a, struct_fn(d, "equal"), a, b, tabs(depth));
		return;
	}
	case TYPE_SHARED: {
		const decl *d = t->elem->decl;
		if (o == SAVE)
			fprintf(c, "if (pd_ckpt_put_shared(w, %s)) {\n%s\tif (pd_ckpt_put_enter(w) == 0)\n"
			        "%s\t\t%s(w, %s);\n%s\tpd_ckpt_put_leave(w);\n%s}\n", a, tabs(depth), tabs(depth),
			        struct_fn(d, "save"), a, tabs(depth), tabs(depth));
		else if (o == LOAD)
			fprintf(c, "if ((rc = %s(r, &%s)) < 0)\n%s\treturn rc;\n", struct_fn(d, "load_shared"),
			        a, tabs(depth));
		else if (o == FREE)
			fprintf(c, "pd_shared_release(%s);\n%s%s = NULL;\n", a, tabs(depth), a);
		else
			fprintf(c, "switch (pd_eq_shared(c, %s, %s)) {\n%scase -1:\n%s\treturn false;\n"
			        "%scase 1:\n%s\tif (!%s(c, %s, %s))\n%s\t\treturn false;\n%s}\n",
			        a, b, tabs(depth), tabs(depth), tabs(depth), tabs(depth), struct_fn(d, "equal"), a, b,
			        tabs(depth), tabs(depth));
		return;
	}
	case TYPE_LABELED:
		fputs("/* labeled: the value, then its label */\n", c);
		emit_value(e, o, t->elem, ast_printf("%s.value", a), b ? ast_printf("%s.value", b) : NULL,
		           depth);
		indent(c, depth);
		if (o == SAVE)
			fprintf(c, "pd_ckpt_put_u32(w, %s.label);\n", a);
		else if (o == LOAD)
			fprintf(c, "if ((rc = pd_ckpt_get_u32(r, &%s.label)) < 0)\n%s\treturn rc;\n"
			        "%sif (!pd_label_valid(&%s_lattice, %s.label))\n"
			        "%s\treturn pd__ckpt_fail(r, PD_CKPT_EVALUE, \"label %%u is not in %s\", %s.label);\n",
			        a, tabs(depth), tabs(depth), c_name(t->lattice->decl), a, tabs(depth),
			        t->lattice->decl->name, a);
		else if (o == EQUAL)
			fprintf(c, "if (%s.label != %s.label)\n%s\treturn false;\n", a, b, tabs(depth));
		else
			fputs("/* (a label holds nothing to free) */\n", c);
		return;
	case TYPE_RREF:
		/* A handle stays valid across its owner's recovery (slots re-bind). */
		if (o == SAVE)
			fprintf(c, "pd_ckpt_put_u64(w, %s.r.v);\n", a);
		else if (o == LOAD)
			fprintf(c, "if ((rc = pd_ckpt_get_u64(r, &%s.r.v)) < 0)\n%s\treturn rc;\n", a, tabs(depth));
		else if (o == EQUAL)
			fprintf(c, "if (%s.r.v != %s.r.v)\n%s\treturn false;\n", a, b, tabs(depth));
		else
			fputs("/* (an rref holds nothing to free) */\n", c);
		return;
	default:                        /* scalars */
		if (o == SAVE)
			fprintf(c, "pd_ckpt_put_%s(w, %s);\n", scalar_ckpt[t->kind], a);
		else if (o == LOAD)
			fprintf(c, "if ((rc = pd_ckpt_get_%s(r, &%s)) < 0)\n%s\treturn rc;\n",
			        scalar_ckpt[t->kind], a, tabs(depth));
		else if (o == EQUAL && t->kind == TYPE_F64)
			fprintf(c, "if (memcmp(&%s, &%s, sizeof(double)) != 0)\t/* bits: NaN equals itself */\n"
			        "%s\treturn false;\n", a, b, tabs(depth));
		else if (o == EQUAL)
			fprintf(c, "if (%s != %s)\n%s\treturn false;\n", a, b, tabs(depth));
		else
			fputs("/* (a scalar holds nothing to free) */\n", c);
		return;
	}
}

/* Does freeing a value of this type do anything? */
static bool needs_free(const type *t)
{
	if (type_is_scalar(t) || t->kind == TYPE_RREF)
		return false;
	if (t->kind == TYPE_ARRAY || t->kind == TYPE_LABELED)
		return needs_free(t->elem);
	return true;
}

/*
 * The fewest bytes an encoded value of this type takes, for count checks;
 * a lower bound, so past MIN_BYTES_DEPTH levels of structs it stops
 * counting.  A struct's bound at each depth is kept once computed: a wide
 * struct of wide structs would otherwise cost its field count to the power
 * of that depth, at every vec<> that holds it.
 */
#define MIN_BYTES_DEPTH 4

static size_t add_sat(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t min_bytes(const type *t, int depth)
{
	static const size_t scalar_size[] = { 1, 2, 4, 8, 1, 2, 4, 8, 1, 8 };
	if (type_is_scalar(t))
		return scalar_size[t->kind];
	switch (t->kind) {
	case TYPE_BYTES:
	case TYPE_VEC:
		return 4;
	case TYPE_SHARED:
		return 1;
	case TYPE_OWN:                  /* a presence byte, or the body itself */
		return t->nullable ? 1 : min_bytes(t->elem, depth + 1);
	case TYPE_RREF:
		return 8;
	case TYPE_LABELED:
		return add_sat(min_bytes(t->elem, depth), 4);
	case TYPE_ARRAY: {
		size_t one = min_bytes(t->elem, depth);
		return one && t->length > SIZE_MAX / one ? SIZE_MAX : (size_t)t->length * one;
	}
	default: {
		decl *d = t->decl;      /* a struct: its fields */
		if (depth >= MIN_BYTES_DEPTH)
			return 0;
		if (d->min_bytes_known >> depth & 1)
			return d->min_bytes[depth];
		size_t n = 0;
		for (const field *f = d->u.struct_.fields; f; f = f->next)
			n = add_sat(n, min_bytes(f->type, depth + 1));
		d->min_bytes[depth] = n;
		d->min_bytes_known |= 1u << depth;
		return n;
	}
	}
}

/* ---- vec<T> helpers ---- */

static void emit_vec_helpers(emit_ctx *e, const type *t)
{
	FILE *c = e->c;
	const char *v = c_type(e->mod, t);
	const type *el = t->elem;
	const char *item = "v->items[i]";

	/* An element the count check cannot weigh (no bytes, as far as
	 * min_bytes looks) is preceded by a mark byte, so that a count costs
	 * the image at least one byte per element and a load stays bounded
	 * by the image (docs/checkpoint-format.md). */
	size_t min = min_bytes(el, 0);
	bool marked = min == 0;

	fprintf(c, "\nstatic void %s_save(pd_ckpt_writer *w, const %s *v)\n{\n", v, v);
	fputs("\tpd_ckpt_put_count(w, v->len);\n\tfor (uint32_t i = 0; i < v->len; i++) {\n", c);
	if (marked)
		fputs("\t\tpd_ckpt_put_mark(w);\t/* the element may encode to nothing */\n", c);
	emit_value(e, SAVE, el, item, NULL, 2);
	fputs("\t}\n}\n", c);

	fprintf(c, "\nstatic int %s_load(pd_ckpt_reader *r, %s *v)\n{\n", v, v);
	fprintf(c, "\tuint32_t n;\n\tvoid *items;\n\tint rc = pd_ckpt_get_count(r, &n, %zu);\n", marked ? 1 : min);
	fputs("\tif (rc == 0)\n\t\trc = pd_ckpt_alloc_array(r, n, sizeof(v->items[0]), NULL, &items);\n", c);
	fputs("\tif (rc < 0)\n\t\treturn rc;\n\tv->items = items;\t/* zeroed, so free can walk it */\n", c);
	fputs("\tv->len = v->cap = n;\n\tfor (uint32_t i = 0; i < n; i++) {\n", c);
	if (marked)
		fputs("\t\tif ((rc = pd_ckpt_get_mark(r)) < 0)\n\t\t\treturn rc;\n", c);
	emit_value(e, LOAD, el, item, NULL, 2);
	fputs("\t}\n\treturn 0;\n}\n", c);

	fprintf(c, "\nstatic void %s_free(%s *v)\n{\n", v, v);
	if (needs_free(el)) {
		fputs("\tfor (uint32_t i = 0; i < v->len; i++) {\n", c);
		emit_value(e, FREE, el, item, NULL, 2);
		fputs("\t}\n", c);
	}
	fputs("\tpd_free(v->items);\n\tv->items = NULL;\n\tv->len = v->cap = 0;\n}\n", c);

	fprintf(c, "\nstatic bool %s_equal(pd_eq_ctx *c, const %s *a, const %s *b)\n{\n", v, v, v);
	fputs("\tif (a->len != b->len)\n\t\treturn false;\n", c);
	fputs("\t(void)c;\t/* (used only by elements that hold objects) */\n", c);
	fputs("\tfor (uint32_t i = 0; i < a->len; i++) {\n", c);
	emit_value(e, EQUAL, el, "a->items[i]", "b->items[i]", 2);
	fputs("\t}\n\treturn true;\n}\n", c);
}

/* Every vec<T> a savable struct of this module uses, inner ones first. */
static void collect_vecs(emit_ctx *e, const type *t, const type ***list, uint32_t *n, uint32_t *cap,
                         symtab *seen)
{
	for (; t; t = t->elem) {
		if (t->kind != TYPE_VEC)
			continue;
		collect_vecs(e, t->elem, list, n, cap, seen);
		if (symtab_insert(seen, c_type(e->mod, t), (void *)t))
			return;
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 16;
			const type **grown = ast_alloc(*cap * sizeof(*grown));
			if (*n)
				memcpy(grown, *list, *n * sizeof(*grown));
			*list = grown;
		}
		(*list)[(*n)++] = t;
		return;
	}
}

/* ---- per struct ---- */

static void emit_struct_decls(emit_ctx *e, fp_state *fps, decl *d)
{
	const char *n = c_name(d);
	FILE *h = e->h;
	uint64_t fp = struct_fingerprint(fps, d);
	fprintf(h, "/* checkpoint of %s (runtime/pd_ckpt.h has the protocol) */\n", d->name);
	fprintf(h, "#define %s UINT64_C(0x%016llx)\n", c_upper(d->module->name, d->name, "fingerprint"),
	        (unsigned long long)fp);
	fprintf(h, "#define %s 0x%08xu\n", c_upper(d->module->name, d->name, "tag"), struct_tag(d));
	fprintf(h, "extern const pd_kind %s_kind;\t/* its destructor frees what it holds */\n", n);
	fprintf(h, "void %s_save(pd_ckpt_writer *w, const %s *v);\n", n, n);
	fprintf(h, "int %s_load(pd_ckpt_reader *r, %s *v);\n", n, n);
	fprintf(h, "void %s_free(%s *v);\n", n, n);
	fprintf(h, "/* Load an `own %s` field (with a presence byte when nullable) or a\n"
	        " * `shared %s` field (new, a back-reference, or NULL). */\n", d->name, d->name);
	fprintf(h, "int %s_load_own(pd_ckpt_reader *r, %s **field, bool nullable);\n", n, n);
	fprintf(h, "int %s_load_shared(pd_ckpt_reader *r, %s **field);\n", n, n);
	fprintf(h, "bool %s_equal(pd_eq_ctx *c, const %s *a, const %s *b);\n", n, n, n);
	fprintf(h, "/* The whole value as an image (a pd_alloc object of the current domain). */\n");
	fprintf(h, "int %s_checkpoint(const %s *v, void **image, size_t *len);\n", n, n);
	fprintf(h, "/* Restores an image into *out, which must be zeroed; on failure *out is\n"
	        " * zeroed again and nothing is left allocated. */\n");
	fprintf(h, "int %s_restore(const void *image, size_t len, const pd_ckpt_limits *limits, %s *out);\n\n",
	        n, n);
}

/*
 * A save walks pointer fields depth first: everything after the first
 * pointer field waits for that field's whole subtree, and then misses the
 * cache.  Touching the later ones first overlaps those misses with the walk
 * (measured on the firewall's trie: 1.3x).
 */
static void emit_prefetches(FILE *c, const field *fields)
{
	int pointers = 0;
	for (const field *f = fields; f; f = f->next) {
		type_kind k = f->type->kind;
		if (k != TYPE_OWN && k != TYPE_SHARED && k != TYPE_VEC)
			continue;
		if (pointers++ == 0)
			continue;       /* the first is needed at once anyway */
		if (pointers == 2)
			fputs("\t/* needed after the first pointer's subtree: start the misses now */\n", c);
		fprintf(c, "\t__builtin_prefetch(v->%s%s);\n", f->name, k == TYPE_VEC ? ".items" : "");
	}
}

static void emit_struct_body(emit_ctx *e, const decl *d)
{
	FILE *c = e->c;
	const char *n = c_name(d);
	const field *fields = d->u.struct_.fields;
	const char *tag = c_upper(d->module->name, d->name, "tag");

	fprintf(c, "\n/* ---- %s ---- */\n", d->name);
	fprintf(c, "\nstatic void %s_destroy(void *obj)\n{\n\t%s_free(obj);\n}\n", n, n);
	fprintf(c, "\nconst pd_kind %s_kind = { .name = \"%s.%s\", .destroy = %s_destroy };\n", n,
	        d->module->name, d->name, n);

	fprintf(c, "\nvoid %s_save(pd_ckpt_writer *w, const %s *v)\n{\n", n, n);
	if (fields == NULL)
		fputs("\t(void)w;\n\t(void)v;\n", c);
	emit_prefetches(c, fields);
	for (const field *f = fields; f; f = f->next)
		emit_value(e, SAVE, f->type, ast_printf("v->%s", f->name), NULL, 1);
	fputs("}\n", c);

	fprintf(c, "\nint %s_load(pd_ckpt_reader *r, %s *v)\n{\n", n, n);
	fputs(fields ? "\tint rc;\n\n" : "\t(void)r;\n\t(void)v;\n", c);
	for (const field *f = fields; f; f = f->next)
		emit_value(e, LOAD, f->type, ast_printf("v->%s", f->name), NULL, 1);
	fputs("\treturn 0;\n}\n", c);

	/* The two ways a struct is reached through a pointer. */
	fprintf(c, "\n/* An `own %s` field: a presence byte when it may be NULL, then the body. */\n", d->name);
	fprintf(c, "int %s_load_own(pd_ckpt_reader *r, %s **field, bool nullable)\n{\n", n, n);
	fputs("\tbool present = true;\n\tvoid *obj;\n\tint rc = nullable ? pd_ckpt_get_present(r, &present) : 0;\n", c);
	fputs("\tif (rc < 0 || !present)\n\t\treturn rc;\n", c);
	fprintf(c, "\tif ((rc = pd_ckpt_alloc(r, sizeof(%s), &%s_kind, &obj)) < 0)\n\t\treturn rc;\n", n, n);
	fprintf(c, "\t*field = obj;\n\tif ((rc = pd_ckpt_enter(r)) == 0)\n\t\trc = %s_load(r, *field);\n", n);
	fputs("\tpd_ckpt_leave(r);\n\treturn rc;\n}\n", c);
	fprintf(c, "\n/* A `shared %s` field: new (read its body), a back-reference, or NULL. */\n", d->name);
	fprintf(c, "int %s_load_shared(pd_ckpt_reader *r, %s **field)\n{\n", n, n);
	fprintf(c, "\tvoid *obj;\n\tint rc = pd_ckpt_get_shared(r, &obj, sizeof(%s), &%s_kind, %s);\n", n, n, tag);
	fputs("\t*field = obj;\n\tif (rc <= 0)\n\t\treturn rc;\n", c);
	fprintf(c, "\tif ((rc = pd_ckpt_enter(r)) == 0)\n\t\trc = %s_load(r, *field);\n", n);
	fputs("\tpd_ckpt_leave(r);\n\treturn rc;\n}\n", c);

	fprintf(c, "\nvoid %s_free(%s *v)\n{\n", n, n);
	bool any = false;
	for (const field *f = fields; f; f = f->next)
		if (needs_free(f->type)) {
			emit_value(e, FREE, f->type, ast_printf("v->%s", f->name), NULL, 1);
			any = true;
		}
	if (!any)
		fputs("\t(void)v;\t/* nothing it holds is allocated */\n", c);
	fputs("}\n", c);

	fprintf(c, "\nbool %s_equal(pd_eq_ctx *c, const %s *a, const %s *b)\n{\n", n, n, n);
	fputs("\t(void)c;\n", c);
	if (fields == NULL)
		fputs("\t(void)a;\n\t(void)b;\n", c);
	for (const field *f = fields; f; f = f->next)
		emit_value(e, EQUAL, f->type, ast_printf("a->%s", f->name), ast_printf("b->%s", f->name), 1);
	fputs("\treturn true;\n}\n", c);

	const char *fp = c_upper(d->module->name, d->name, "fingerprint");
	fprintf(c, "\nint %s_checkpoint(const %s *v, void **image, size_t *len)\n{\n", n, n);
	fprintf(c, "\tpd_ckpt_writer w;\n\n\tpd_ckpt_writer_init(&w);\n\t%s_save(&w, v);\n", n);
	fprintf(c, "\treturn pd_ckpt_finish(&w, %s, image, len);\n}\n", fp);

	fprintf(c, "\nint %s_restore(const void *image, size_t len, const pd_ckpt_limits *limits, %s *out)\n{\n",
	        n, n);
	fprintf(c, "\tpd_ckpt_reader r;\n\tint rc = pd_ckpt_reader_init(&r, image, len, %s, limits);\n\n", fp);
	fprintf(c, "\tif (rc == 0)\n\t\trc = %s_load(&r, out);\n", n);
	fputs("\tif (rc == 0)\n\t\trc = pd_ckpt_reader_finish(&r);\n", c);
	fprintf(c, "\tif (rc < 0) {\n\t\t%s_free(out);\t\t/* what the load built, first */\n", n);
	fputs("\t\tpd_ckpt_reader_abort(&r);\t/* then what only the reader holds */\n", c);
	fprintf(c, "\t\tmemset(out, 0, sizeof(*out));\n\t}\n\treturn rc;\n}\n");
}

void emit_checkpoint(emit_ctx *e)
{
	module *m = e->mod;
	bool any = false;
	fp_state fps = { 0 };
	for (decl *d = m->decls; d; d = d->next) {
		if (d->kind != DECL_STRUCT)
			continue;
		if (!struct_savable(d)) {
			fprintf(e->h, "/* %s holds an opaque object: it has no checkpoint */\n\n", d->name);
			continue;
		}
		emit_struct_decls(e, &fps, d);
		any = true;
	}
	if (!any)
		return;

	const type **vecs = NULL;
	uint32_t n_vecs = 0, cap = 0;
	symtab *seen = symtab_new();
	for (decl *d = m->decls; d; d = d->next)
		if (struct_savable(d))
			for (const field *f = d->u.struct_.fields; f; f = f->next)
				collect_vecs(e, f->type, &vecs, &n_vecs, &cap, seen);
	if (n_vecs)
		fputs("\n/* vec<T> helpers, used by the struct functions below */\n", e->c);
	for (uint32_t i = 0; i < n_vecs; i++) {
		const char *v = c_type(m, vecs[i]);
		fprintf(e->c, "static void %s_save(pd_ckpt_writer *w, const %s *v);\n", v, v);
		fprintf(e->c, "static int %s_load(pd_ckpt_reader *r, %s *v);\n", v, v);
		fprintf(e->c, "static void %s_free(%s *v);\n", v, v);
		fprintf(e->c, "static bool %s_equal(pd_eq_ctx *c, const %s *a, const %s *b);\n", v, v, v);
	}
	for (uint32_t i = 0; i < n_vecs; i++)
		emit_vec_helpers(e, vecs[i]);
	for (decl *d = m->decls; d; d = d->next)
		if (struct_savable(d))
			emit_struct_body(e, d);
}
