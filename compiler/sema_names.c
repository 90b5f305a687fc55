/*
 * sema_names.c - the module's symbol table and name lookup.
 *
 * Every declaration (lattice, opaque, struct, interface, domain, sink,
 * pipeline) shares one namespace per module.  A plain name is looked up in
 * the module itself, then in each module it imports directly; found in two
 * imports, it is ambiguous and must be qualified as MODULE.NAME.  Imports are
 * not transitive: a module sees what it imports, not what those import.
 */
#include "sema.h"

#include <string.h>

#include "diag.h"
#include "symtab.h"

/* Fields, methods and parameters become bare C identifiers (declarations
 * are prefixed with their module), so they must not be C's own words. */
static const char *const c_keywords[] = {
	"_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary",
	"_Noreturn", "_Static_assert", "_Thread_local", "asm", "auto", "bool", "break",
	"case", "char", "const", "continue", "default", "do", "double", "else", "enum",
	"extern", "false", "float", "for", "goto", "if", "inline", "int", "long",
	"register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
	"switch", "true", "typedef", "typeof", "union", "unsigned", "void", "volatile", "while",
};

bool sema_check_c_name(loc at, const char *name)
{
	for (size_t i = 0; i < sizeof(c_keywords) / sizeof(c_keywords[0]); i++)
		if (strcmp(name, c_keywords[i]) == 0) {
			diag_error(at, "'%s' is a C keyword and cannot name anything here", name);
			return false;
		}
	return true;
}

/*
 * An opaque type's C name is written wherever the type is used, and as
 * `typedef struct NAME NAME;`: it must be one C identifier and nothing
 * more, or it could add code to the header.  (Import paths, the other
 * string that reaches the C, are checked by the loader.)
 */
bool sema_is_ident_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool sema_is_ident_char(char c)
{
	return sema_is_ident_start(c) || (c >= '0' && c <= '9');
}

static void check_opaque_c_name(const decl *d)
{
	const char *p = d->u.opaque.c_name;
	bool ok = sema_is_ident_start(*p);
	while (ok && *++p)
		ok = sema_is_ident_char(*p);
	if (!ok)
		diag_error(d->u.opaque.c_name_at, "the C name of opaque type '%s' must be one C identifier",
		           d->name);
	else
		sema_check_c_name(d->u.opaque.c_name_at, d->u.opaque.c_name);
}

void sema_declare(module *m)
{
	m->symbols = symtab_new();
	for (decl *d = m->decls; d; d = d->next) {
		if (d->kind == DECL_OPAQUE)
			check_opaque_c_name(d);
		decl *first = symtab_insert(m->symbols, d->name, d);
		if (first) {
			diag_error(d->at, "duplicate definition of '%s'", d->name);
			diag_note(first->at, "'%s' first defined here as a %s", first->name,
			          decl_kind_name(first->kind));
		}
	}
	/* Two imports of modules with one name could never be told apart. */
	for (import *a = m->imports; a; a = a->next) {
		if (a->module == NULL)
			continue;
		if (strcmp(a->module->name, m->name) == 0) {
			diag_error(a->at, "imported module '%s' has the name of this module", m->name);
			continue;
		}
		for (import *b = m->imports; b != a; b = b->next)
			if (b->module && b->module != a->module &&
			    strcmp(b->module->name, a->module->name) == 0) {
				diag_error(a->at, "two imported modules are both named '%s'", a->module->name);
				diag_note(b->at, "the other is imported here");
			}
	}
}

module *sema_module_named(module *m, const char *qualifier)
{
	if (strcmp(qualifier, m->name) == 0)
		return m;
	for (import *imp = m->imports; imp; imp = imp->next)
		if (imp->module && strcmp(imp->module->name, qualifier) == 0)
			return imp->module;
	return NULL;
}

decl *sema_lookup(module *m, const char *qualifier, const char *name, loc at, const char *what)
{
	if (qualifier) {
		module *q = sema_module_named(m, qualifier);
		if (q == NULL) {
			diag_error(at, "unknown module '%s' (not this module nor one it imports)", qualifier);
			return NULL;
		}
		decl *d = q->symbols ? symtab_get(q->symbols, name) : NULL;
		if (d == NULL)
			diag_error(at, "unknown %s '%s.%s'", what, qualifier, name);
		return d;
	}
	decl *d = symtab_get(m->symbols, name);
	if (d)
		return d;
	decl *found = NULL;
	for (import *imp = m->imports; imp; imp = imp->next) {
		if (imp->module == NULL || imp->module->symbols == NULL)
			continue;
		decl *c = symtab_get(imp->module->symbols, name);
		if (c && found && c != found) {
			diag_error(at, "'%s' is ambiguous: write '%s.%s' or '%s.%s'", name,
			           found->module->name, name, c->module->name, name);
			diag_note(found->at, "one '%s' is here", name);
			diag_note(c->at, "another is here");
			return NULL;
		}
		if (c)
			found = c;
	}
	if (found == NULL)
		diag_error(at, "unknown %s '%s'", what, name);
	return found;
}

void sema_wrong_kind(loc at, const decl *d, const char *wanted)
{
	diag_error(at, "'%s' is a %s, not %s", d->name, decl_kind_name(d->kind), wanted);
	diag_note(d->at, "'%s' is defined here", d->name);
}
