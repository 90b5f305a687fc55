/*
 * symtab.c - open addressing with linear probing, kept at most half full.
 */
#include "symtab.h"

#include <stdint.h>
#include <string.h>

#include "ast.h"

typedef struct entry {
	const char *key;
	void *value;
} entry;

struct symtab {
	size_t cap, used;               /* cap is a power of two */
	entry *slots;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;      /* FNV-1a */
	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3u;
	}
	return h;
}

symtab *symtab_new(void)
{
	symtab *t = ast_alloc(sizeof(*t));
	t->cap = 16;
	t->slots = ast_alloc(t->cap * sizeof(entry));
	return t;
}

static entry *find(const symtab *t, const char *key)
{
	size_t mask = t->cap - 1;
	for (size_t i = hash(key) & mask;; i = (i + 1) & mask)
		if (t->slots[i].key == NULL || strcmp(t->slots[i].key, key) == 0)
			return &t->slots[i];
}

static void grow(symtab *t)
{
	entry *old = t->slots;
	size_t old_cap = t->cap;
	t->cap *= 2;
	t->slots = ast_alloc(t->cap * sizeof(entry));
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key)
			*find(t, old[i].key) = old[i];
	/* the old array stays in the arena; it is freed with everything else */
}

void *symtab_insert(symtab *t, const char *key, void *value)
{
	entry *e = find(t, key);
	if (e->key)
		return e->value;
	if (2 * (t->used + 1) > t->cap) {
		grow(t);
		e = find(t, key);
	}
	e->key = key;
	e->value = value;
	t->used++;
	return NULL;
}

void *symtab_get(const symtab *t, const char *key)
{
	return find(t, key)->value;
}

void symtab_set(symtab *t, const char *key, void *value)
{
	entry *e = find(t, key);
	if (e->key)
		e->value = value;
	else
		symtab_insert(t, key, value);
}
