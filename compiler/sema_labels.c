/*
 * sema_labels.c - label lattices and references to labels.
 *
 * An edge-given order (`a < b; b < c;`) is closed transitively and then
 * proved to be a lattice: antisymmetric (no cycle), and every pair has a
 * unique least upper bound and greatest lower bound.  The join and meet
 * tables computed on the way are what emit_labels.c writes out, so the
 * generated code never computes a bound at run time.  Orders have at most
 * 64 elements, so an element's up-set is one uint64_t and the whole check
 * is a few thousand word operations.
 *
 * A powerset lattice over n atoms has 2^n labels whose ids are the bit sets
 * themselves; it is a lattice by construction (join = OR, meet = AND).
 *
 * Label names share one namespace per module, across its lattices; a label
 * is found like a declaration (this module, then direct imports).
 */
#include "sema.h"

#include <string.h>

#include "diag.h"
#include "symtab.h"

#define MAX_ORDER_LABELS 64
#define MAX_POWERSET_ATOMS 16

typedef struct label_sym {
	lattice *lat;
	uint32_t id;
	loc at;
} label_sym;

static void declare_label(module *m, lattice *lat, const char *name, uint32_t id, loc at)
{
	label_sym *s = AST_NEW(label_sym);
	s->lat = lat;
	s->id = id;
	s->at = at;
	label_sym *first = symtab_insert(m->label_symbols, name, s);
	if (first) {
		diag_error(at, "duplicate label '%s'", name);
		diag_note(first->at, "'%s' first defined here, in lattice '%s'", name,
		          first->lat->decl->name);
	}
}

static void build_powerset(module *m, lattice *lat)
{
	uint32_t n = 0;
	for (name_list *a = lat->names; a; a = a->next)
		n++;
	if (n == 0 || n > MAX_POWERSET_ATOMS) {
		diag_error(lat->decl->at, "a powerset lattice has 1 to %d atoms, not %u",
		           MAX_POWERSET_ATOMS, n);
		n = 0;
	}
	lat->n_names = n;
	lat->label_names = ast_alloc((n + 1) * sizeof(char *));
	lat->label_locs = ast_alloc((n + 1) * sizeof(loc));
	uint32_t i = 0;
	for (name_list *a = lat->names; a && i < n; a = a->next, i++) {
		lat->label_names[i] = a->name;
		lat->label_locs[i] = a->at;
		declare_label(m, lat, a->name, UINT32_C(1) << i, a->at);
	}
	lat->n_labels = UINT32_C(1) << n;
	lat->bottom = 0;
	lat->top = lat->n_labels - 1;
	lat->width = n;             /* a powerset label is its own down-set */
}

/* The index symtab holds index + 1, so that 0 (NULL) means "not there". */
static uint32_t index_of(symtab *index, const char *name)
{
	return (uint32_t)(uintptr_t)symtab_get(index, name) - 1;
}

/* The element of SET whose REACH (its up-set, or for meets its down-set)
 * holds all of SET: the least upper (greatest lower) bound; n when none. */
static uint32_t least_of(uint64_t set, const uint64_t *reach, uint32_t n)
{
	for (uint32_t u = 0; u < n; u++)
		if ((set >> u & 1) && (reach[u] & set) == set)
			return u;
	return n;
}

/* Two elements of SET minimal in it (maximal, for down-sets), to name in a
 * diagnostic. */
static void two_minimal(uint64_t set, const uint64_t *reach, uint32_t n, uint32_t *a, uint32_t *b)
{
	*a = *b = n;
	for (uint32_t u = 0; u < n; u++) {
		if (!(set >> u & 1))
			continue;
		uint64_t others_below = 0;
		for (uint32_t v = 0; v < n; v++)
			if (v != u && (set >> v & 1) && (reach[v] >> u & 1))
				others_below |= UINT64_C(1) << v;
		if (others_below == 0) {
			if (*a == n)
				*a = u;
			else if (*b == n)
				*b = u;
		}
	}
}

/* REACH is the up-sets for joins and the down-sets for meets. */
static bool prove_bounds(lattice *lat, const uint64_t *reach, uint8_t *table,
                         const char *bound, const char *which)
{
	uint32_t n = lat->n_names;
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = i; j < n; j++) {
			uint64_t common = reach[i] & reach[j];
			uint32_t b = least_of(common, reach, n);
			if (b < n) {
				table[i * n + j] = table[j * n + i] = (uint8_t)b;
				continue;
			}
			const char **name = lat->label_names;
			if (common == 0) {
				diag_error(lat->decl->at, "labels '%s' is not a lattice: '%s' and '%s' have no %s bound",
				           lat->decl->name, name[i], name[j], bound);
			} else {
				uint32_t a, c;
				two_minimal(common, reach, n, &a, &c);
				diag_error(lat->decl->at,
				           "labels '%s' is not a lattice: '%s' and '%s' have no %s "
				           "('%s' and '%s' are both %s bounds of them)",
				           lat->decl->name, name[i], name[j], which, name[a], name[c], bound);
			}
			return false;
		}
	return true;
}

static void build_order(module *m, lattice *lat)
{
	symtab *index = symtab_new();
	uint32_t n = 0;
	for (name_list *a = lat->names; a; a = a->next)
		if (symtab_get(index, a->name) == NULL)
			symtab_insert(index, a->name, (void *)(uintptr_t)++n);
	if (n == 0 || n > MAX_ORDER_LABELS) {
		diag_error(lat->decl->at, "an ordered label lattice has 1 to %d labels, not %u%s",
		           MAX_ORDER_LABELS, n, n ? " (a powerset can have more)" : "");
		lat->n_names = lat->n_labels = 0;
		return;
	}
	lat->n_names = lat->n_labels = n;
	lat->label_names = ast_alloc(n * sizeof(char *));
	lat->label_locs = ast_alloc(n * sizeof(loc));
	for (name_list *a = lat->names; a; a = a->next) {
		uint32_t i = index_of(index, a->name);
		if (lat->label_names[i] == NULL) {
			lat->label_names[i] = a->name;
			lat->label_locs[i] = a->at;
			declare_label(m, lat, a->name, i, a->at);
		}
	}

	/* up[i]: everything at or above i, closed transitively (Warshall). */
	uint64_t *up = ast_alloc(n * sizeof(uint64_t)), *down = ast_alloc(n * sizeof(uint64_t));
	for (uint32_t i = 0; i < n; i++)
		up[i] = UINT64_C(1) << i;
	for (label_edge *e = lat->edges; e; e = e->next)
		up[index_of(index, e->lower)] |= UINT64_C(1) << index_of(index, e->upper);
	for (uint32_t k = 0; k < n; k++)
		for (uint32_t i = 0; i < n; i++)
			if (up[i] >> k & 1)
				up[i] |= up[k];
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < n; j++)
			if (up[i] >> j & 1)
				down[j] |= UINT64_C(1) << i;

	for (label_edge *e = lat->edges; e; e = e->next) {
		uint32_t lo = index_of(index, e->lower), hi = index_of(index, e->upper);
		if (lo == hi || (up[hi] >> lo & 1)) {
			diag_error(e->at, "labels '%s' is not a lattice: '%s' < '%s' closes a cycle",
			           lat->decl->name, e->lower, e->upper);
			lat->n_labels = 0;
			return;
		}
	}

	lat->join = ast_alloc((size_t)n * n);
	lat->meet = ast_alloc((size_t)n * n);
	if (!prove_bounds(lat, up, lat->join, "upper", "least upper bound") ||
	    !prove_bounds(lat, down, lat->meet, "lower", "greatest lower bound")) {
		lat->n_labels = 0;
		return;
	}
	lat->above = up;
	lat->bottom = lat->meet[0];
	lat->top = lat->join[0];
	for (uint32_t i = 1; i < n; i++) {
		lat->bottom = lat->meet[lat->bottom * n + i];
		lat->top = lat->join[lat->top * n + i];
	}
	/*
	 * The run time's encoding (runtime/pd_lattice.h): each label other than
	 * bottom owns one bit, in id order, and a label is the set of the bits
	 * of the labels at or below it, so that a <= b is (a & ~b) == 0.
	 */
	lat->width = n - 1;
	lat->downset = ast_alloc(n * sizeof(uint64_t));
	for (uint32_t j = 0; j < n; j++) {
		if (j == lat->bottom)
			continue;
		uint64_t bit = UINT64_C(1) << (j < lat->bottom ? j : j - 1);
		for (uint32_t i = 0; i < n; i++)
			if (up[j] >> i & 1)
				lat->downset[i] |= bit;
	}
}

/* FNV-1a over a string, continuing from h. */
static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3u;
	}
	return h;
}

/*
 * What an image names a lattice by: its module, name, kind, labels in id
 * order and, for an order, who is below whom.  Reordering the declaration
 * or changing the order changes it; a comment does not.
 */
static void fingerprint(module *m, lattice *lat)
{
	uint64_t h = fnv(fnv(fnv(0xcbf29ce484222325u, m->name), "."), lat->decl->name);
	h = fnv(h, lat->is_powerset ? "/powerset" : "/order");
	for (uint32_t i = 0; i < lat->n_names; i++) {
		h = fnv(fnv(h, ";"), lat->label_names[i]);
		if (!lat->is_powerset)
			h = fnv(h, ast_printf("<%llx", (unsigned long long)lat->above[i]));
	}
	lat->fingerprint = h | 1;   /* never 0 */
}

void sema_build_lattices(module *m)
{
	m->label_symbols = symtab_new();
	for (decl *d = m->decls; d; d = d->next) {
		if (d->kind != DECL_LABELS)
			continue;
		if (d->u.labels.is_powerset)
			build_powerset(m, &d->u.labels);
		else
			build_order(m, &d->u.labels);
		if (d->u.labels.n_labels)
			fingerprint(m, &d->u.labels);
	}
}

static label_sym *find_label(module *m, const char *name, loc at)
{
	label_sym *s = symtab_get(m->label_symbols, name);
	if (s)
		return s;
	for (import *imp = m->imports; imp; imp = imp->next) {
		if (imp->module == NULL || imp->module->label_symbols == NULL)
			continue;
		label_sym *c = symtab_get(imp->module->label_symbols, name);
		if (c && s && c != s) {
			diag_error(at, "label '%s' is ambiguous: qualify it with its lattice", name);
			diag_note(s->at, "one '%s' is here", name);
			diag_note(c->at, "another is here");
			return NULL;
		}
		if (c)
			s = c;
	}
	if (s == NULL)
		diag_error(at, "unknown label '%s'", name);
	return s;
}

static bool resolve_qualified(module *m, label_ref *r)
{
	/* LATTICE.NAME first, then MODULE.NAME. */
	decl *d = symtab_get(m->symbols, r->qualifier);
	for (import *imp = m->imports; d == NULL && imp; imp = imp->next)
		if (imp->module && imp->module->symbols)
			d = symtab_get(imp->module->symbols, r->qualifier);
	if (d && d->kind == DECL_LABELS) {
		lattice *lat = &d->u.labels;
		for (uint32_t i = 0; i < lat->n_names; i++)
			if (strcmp(lat->label_names[i], r->name) == 0) {
				r->lattice = lat;
				r->id = lat->is_powerset ? UINT32_C(1) << i : i;
				return true;
			}
		diag_error(r->at, "lattice '%s' has no label '%s'", r->qualifier, r->name);
		return false;
	}
	module *q = sema_module_named(m, r->qualifier);
	if (q == NULL) {
		diag_error(r->at, "unknown lattice or module '%s'", r->qualifier);
		return false;
	}
	label_sym *s = q->label_symbols ? symtab_get(q->label_symbols, r->name) : NULL;
	if (s == NULL) {
		diag_error(r->at, "unknown label '%s.%s'", r->qualifier, r->name);
		return false;
	}
	r->lattice = s->lat;
	r->id = s->id;
	return true;
}

/* The lattice a qualifier names (LATTICE, or MODULE when it has one). */
static lattice *lattice_named(module *m, const char *qualifier, loc at)
{
	decl *d = symtab_get(m->symbols, qualifier);
	for (import *imp = m->imports; d == NULL && imp; imp = imp->next)
		if (imp->module && imp->module->symbols)
			d = symtab_get(imp->module->symbols, qualifier);
	if (d && d->kind == DECL_LABELS)
		return &d->u.labels;
	diag_error(at, "'%s' is not a label lattice", qualifier);
	return NULL;
}

static void count_powersets(module *from, uint32_t *n, lattice **first, lattice **second)
{
	for (decl *d = from ? from->decls : NULL; d; d = d->next)
		if (d->kind == DECL_LABELS && d->u.labels.is_powerset) {
			if (*n == 0)
				*first = &d->u.labels;
			else if (*n == 1)
				*second = &d->u.labels;
			(*n)++;
		}
}

/* The powerset lattices in scope: this module's and its direct imports'. */
static uint32_t powersets_in_scope(module *m, lattice **first, lattice **second)
{
	uint32_t n = 0;
	count_powersets(m, &n, first, second);
	for (import *imp = m->imports; imp; imp = imp->next)
		count_powersets(imp->module, &n, first, second);
	return n;
}

static bool resolve_set(module *m, label_ref *r, const lattice *context)
{
	lattice *named = NULL;
	if (r->qualifier) {
		named = lattice_named(m, r->qualifier, r->at);
		if (named == NULL)
			return false;
		if (!named->is_powerset) {
			diag_error(r->at, "'%s' is an ordered lattice; a set of atoms needs a powerset",
			           r->qualifier);
			return false;
		}
	}
	if (r->set == NULL) {
		lattice *lat = named ? named : (lattice *)context;
		if (lat == NULL) {
			lattice *a = NULL, *b = NULL;
			uint32_t n = powersets_in_scope(m, &a, &b);
			if (n == 1) {
				lat = a;
			} else if (n == 0) {
				diag_error(r->at, "'{}' is the bottom of a powerset lattice, and none is in scope");
				return false;
			} else {
				diag_error(r->at, "'{}' is ambiguous: %u powerset lattices are in scope "
				           "(write '%s.{}' or '%s.{}')", n, a->decl->name, b->decl->name);
				diag_note(a->decl->at, "'%s' is declared here", a->decl->name);
				diag_note(b->decl->at, "'%s' is declared here", b->decl->name);
				return false;
			}
		}
		r->lattice = lat;
		r->id = 0;
		return true;
	}
	r->lattice = named;
	uint32_t id = 0;
	for (name_list *a = r->set; a; a = a->next) {
		label_sym *s = NULL;
		if (named) {
			for (uint32_t i = 0; i < named->n_names && s == NULL; i++)
				if (strcmp(named->label_names[i], a->name) == 0) {
					id |= UINT32_C(1) << i;
					s = (label_sym *)1;
				}
			if (s == NULL) {
				diag_error(a->at, "lattice '%s' has no atom '%s'", named->decl->name, a->name);
				return false;
			}
			continue;
		}
		s = find_label(m, a->name, a->at);
		if (s == NULL)
			return false;
		if (!s->lat->is_powerset) {
			diag_error(a->at, "'%s' is a label of ordered lattice '%s'; only powerset atoms make a set",
			           a->name, s->lat->decl->name);
			return false;
		}
		if (r->lattice && r->lattice != s->lat) {
			diag_error(a->at, "'%s' belongs to lattice '%s', not '%s'", a->name,
			           s->lat->decl->name, r->lattice->decl->name);
			return false;
		}
		r->lattice = s->lat;
		id |= s->id;
	}
	r->id = id;
	return true;
}

bool sema_resolve_label(module *m, label_ref *r)
{
	return sema_resolve_label_in(m, r, NULL);
}

bool sema_resolve_label_in(module *m, label_ref *r, const lattice *context)
{
	if (r == NULL)
		return true;
	if (r->is_set)
		return resolve_set(m, r, context);
	if (r->qualifier)
		return resolve_qualified(m, r);
	label_sym *s = find_label(m, r->name, r->at);
	if (s == NULL)
		return false;
	r->lattice = s->lat;
	r->id = s->id;
	return true;
}

lattice *sema_default_lattice(module *m, loc at)
{
	lattice *found = NULL;
	int count = 0;
	for (decl *d = m->decls; d; d = d->next)
		if (d->kind == DECL_LABELS && count++ == 0)
			found = &d->u.labels;
	for (import *imp = m->imports; imp; imp = imp->next)
		for (decl *d = imp->module ? imp->module->decls : NULL; d; d = d->next)
			if (d->kind == DECL_LABELS && count++ == 0)
				found = &d->u.labels;
	if (count == 1)
		return found;
	if (count == 0)
		diag_error(at, "labeled<> needs a label lattice, and none is declared or imported");
	else
		diag_error(at, "labeled<> is ambiguous with %d lattices in scope: write labeled<T, LATTICE>", count);
	return NULL;
}
