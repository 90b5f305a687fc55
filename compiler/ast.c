/*
 * ast.c - the arena that owns every AST node and string.
 *
 * pdlc is a batch compiler: nothing is freed until the process ends, so an
 * arena gives simple code, no leaks to chase and fast allocation.
 */
#include "ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chunks start small and double up to a cap: most files need a few KiB, so
 * the first chunk is cheap to map and clear, and a large file still costs one
 * malloc per MiB. */
#define FIRST_CHUNK_BYTES (16u << 10)
#define MAX_CHUNK_BYTES (1u << 20)

typedef struct chunk {
	struct chunk *prev;
	size_t used, size;
	max_align_t data[];
} chunk;

static chunk *current;

void *ast_alloc(size_t size)
{
	size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (current == NULL || current->size - current->used < size) {
		size_t next = current == NULL ? FIRST_CHUNK_BYTES
			    : current->size < MAX_CHUNK_BYTES ? 2 * current->size : MAX_CHUNK_BYTES;
		size_t want = size > next ? size : next;
		chunk *c = malloc(sizeof(chunk) + want);
		if (c == NULL) {
			fputs("pdlc: error: out of memory\n", stderr);
			exit(1);
		}
		c->prev = current;
		c->used = 0;
		c->size = want;
		current = c;
	}
	void *p = (char *)current->data + current->used;
	current->used += size;
	memset(p, 0, size);
	return p;
}

const char *ast_strndup(const char *s, size_t n)
{
	char *p = ast_alloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

const char *ast_strdup(const char *s)
{
	return ast_strndup(s, strlen(s));
}

const char *ast_printf(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	char *s = ast_alloc((size_t)n + 1);
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

void ast_free_all(void)
{
	while (current) {
		chunk *prev = current->prev;
		free(current);
		current = prev;
	}
}

const char *decl_kind_name(decl_kind kind)
{
	switch (kind) {
	case DECL_LABELS: return "label lattice";
	case DECL_OPAQUE: return "opaque type";
	case DECL_STRUCT: return "struct";
	case DECL_INTERFACE: return "interface";
	case DECL_DOMAIN: return "domain";
	case DECL_SINK: return "sink";
	case DECL_PIPELINE: return "pipeline";
	}
	return "declaration";
}

bool type_is_scalar(const type *t)
{
	return t->kind <= TYPE_F64;
}

uint32_t lattice_join(const lattice *l, uint32_t a, uint32_t b)
{
	return l->is_powerset ? a | b : l->join[a * l->n_labels + b];
}

uint32_t lattice_meet(const lattice *l, uint32_t a, uint32_t b)
{
	return l->is_powerset ? a & b : l->meet[a * l->n_labels + b];
}

bool lattice_leq(const lattice *l, uint32_t a, uint32_t b)
{
	return l->is_powerset ? (a & ~b) == 0 : (l->above[a] >> b & 1) != 0;
}

bool label_set_add(label_set *s, const lattice *l, uint32_t id)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->items[i].lat == l) {
			uint32_t j = lattice_join(l, s->items[i].id, id);
			bool grew = j != s->items[i].id;
			s->items[i].id = j;
			return grew;
		}
	if (id == l->bottom)
		return false;           /* bottom holds nothing: no entry */
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? 2 * s->cap : 2;
		struct label_entry *grown = ast_alloc(cap * sizeof(*grown));
		if (s->n)
			memcpy(grown, s->items, s->n * sizeof(*grown));
		s->items = grown;
		s->cap = cap;
	}
	s->items[s->n++] = (struct label_entry){ l, id };
	return true;
}

bool label_set_union(label_set *into, const label_set *from)
{
	bool grew = false;
	for (uint32_t i = 0; i < from->n; i++)
		grew |= label_set_add(into, from->items[i].lat, from->items[i].id);
	return grew;
}

bool label_set_equal(const label_set *a, const label_set *b)
{
	if (a->n != b->n)
		return false;
	for (uint32_t i = 0; i < a->n; i++) {
		uint32_t k = 0;
		while (k < b->n && b->items[k].lat != a->items[i].lat)
			k++;
		if (k == b->n || b->items[k].id != a->items[i].id)
			return false;
	}
	return true;
}

const char *lattice_label_name(const lattice *l, uint32_t id)
{
	if (!l->is_powerset)
		return l->label_names[id];
	const char *s = "{";
	for (uint32_t i = 0; i < l->n_names; i++)
		if (id >> i & 1)
			s = ast_printf("%s%s%s", s, s[1] ? ", " : "", l->label_names[i]);
	return ast_printf("%s}", s);
}
