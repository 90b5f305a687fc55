/*
 * symtab.h - a string-keyed hash map for name lookup.
 *
 * Keys are arena strings and are not copied; the map only grows.  Linear in
 * the number of names, so a 20,000-line .pdl or a 10,000-stage pipeline
 * checks in time proportional to its size.
 */
#ifndef PDLC_SYMTAB_H
#define PDLC_SYMTAB_H

#include <stddef.h>

typedef struct symtab symtab;

symtab *symtab_new(void);
/* Returns the value already under KEY, or inserts VALUE and returns NULL. */
void *symtab_insert(symtab *t, const char *key, void *value);
void *symtab_get(const symtab *t, const char *key);
/* Inserts or replaces the value under KEY. */
void symtab_set(symtab *t, const char *key, void *value);

#endif /* PDLC_SYMTAB_H */
