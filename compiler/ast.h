/*
 * ast.h - the abstract syntax tree every pdlc pass reads.
 *
 * The AST is plain data: the parser builds it, the sema_*.c passes resolve
 * names and fill in the "resolved" fields, and the emit_*.c files only read
 * it.  Every node that a diagnostic may point at carries its source location.
 * All nodes live in one arena (ast.c) and are freed together at exit, so no
 * pass ever frees a node.
 *
 * Lists are singly linked through a `next` field and kept in source order.
 */
#ifndef PDLC_AST_H
#define PDLC_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct module;

/* A place in a source file; line and column count from 1, columns in bytes. */
typedef struct loc {
	const struct source *src;
	int line;
	int col;
} loc;

/* ---- label references ------------------------------------------------ */

struct lattice;

/* `@name`, `@lattice.name` or `@{atom, atom}` (a powerset element). */
typedef struct label_ref {
	loc at;
	const char *qualifier;          /* module or lattice name, or NULL */
	const char *name;               /* NULL for the set form */
	struct name_list *set;          /* the set form's atoms (may be empty) */
	bool is_set;
	/* resolved by sema_labels.c */
	struct lattice *lattice;
	uint32_t id;                    /* the label's dense id in its lattice */
} label_ref;

/*
 * A label in each of some lattices: what a value, a method's arguments or a
 * domain's state hold by declaration.  At most one entry per lattice (the
 * join of everything in it), in the order the lattices were first met.
 */
typedef struct label_set {
	uint32_t n, cap;
	struct label_entry {
		const struct lattice *lat;
		uint32_t id;
	} *items;
} label_set;

typedef struct name_list {
	loc at;
	const char *name;
	struct name_list *next;
} name_list;

/* A possibly qualified name and, once sema resolved it, its declaration. */
typedef struct name_ref {
	loc at;
	const char *qualifier;
	const char *name;
	struct decl *decl;
	struct name_ref *next;
} name_ref;

/* ---- types --------------------------------------------------------------- */

typedef enum type_kind {
	TYPE_U8, TYPE_U16, TYPE_U32, TYPE_U64,
	TYPE_I8, TYPE_I16, TYPE_I32, TYPE_I64,
	TYPE_BOOL, TYPE_F64,
	TYPE_BYTES,
	TYPE_NAMED,                     /* a struct or opaque, resolved by sema */
	TYPE_ARRAY,                     /* elem[length] */
	TYPE_VEC,                       /* vec<elem> */
	TYPE_OWN,                       /* own elem, unique pointer */
	TYPE_SHARED,                    /* shared elem, reference-counted pointer */
	TYPE_LABELED,                   /* labeled<elem> */
	TYPE_RREF,                      /* rref<interface> */
} type_kind;

struct decl;

typedef struct type {
	type_kind kind;
	loc at;
	struct type *elem;              /* ARRAY, VEC, OWN, SHARED, LABELED */
	uint64_t length;                /* ARRAY */
	loc length_at;
	bool nullable;                  /* OWN, SHARED: written `T?` */
	const char *qualifier;          /* NAMED, RREF: module name, or NULL */
	const char *name;               /* NAMED, RREF */
	const char *lattice_name;       /* LABELED: `labeled<T, lattice>`, or NULL */
	/* resolved */
	struct decl *decl;              /* NAMED: struct or opaque; RREF: interface */
	struct lattice *lattice;        /* LABELED */
	/* emit_names.c: c_mangle's answer, for the module it was asked in */
	const char *mangled;
	const struct module *mangled_in;
} type;

/* ---- declarations ------------------------------------------------------ */

typedef enum decl_kind {
	DECL_LABELS,
	DECL_OPAQUE,
	DECL_STRUCT,
	DECL_INTERFACE,
	DECL_DOMAIN,
	DECL_SINK,
	DECL_PIPELINE,
} decl_kind;

typedef struct field {
	loc at;
	type *type;
	const char *name;
	label_ref *label;               /* `@L` after the name, or NULL */
	struct field *next;
} field;

typedef enum param_mode {
	MODE_BORROWED,
	MODE_INOUT,
	MODE_MOVE,
} param_mode;

typedef struct param {
	loc at;
	param_mode mode;
	loc mode_at;
	type *type;
	const char *name;
	label_ref *label;
	struct param *next;
} param;

typedef struct method {
	loc at;
	type *result;                   /* NULL for void */
	bool result_moves;              /* `move T NAME(...)` */
	label_ref *result_label;
	const char *name;
	param *params;
	struct method *next;
	/* sema_facts.c: what the arguments and the result hold by declaration
	 * (declared labels, and @label fields of their types); inout
	 * parameters count on both sides, since they come back. */
	label_set args_labels;
	label_set result_labels;
} method;

/* One order edge `lower < upper` of an edge-given lattice. */
typedef struct label_edge {
	loc at;
	const char *lower;
	const char *upper;
	struct label_edge *next;
} label_edge;

typedef struct lattice {
	bool is_powerset;
	name_list *names;               /* elements, or the powerset's atoms */
	label_edge *edges;
	/* filled by sema_labels.c */
	uint32_t n_labels;              /* 2^atoms for a powerset */
	uint32_t n_names;
	const char **label_names;       /* n_names entries, in id order */
	loc *label_locs;
	uint32_t bottom, top;
	uint8_t *join, *meet;           /* n x n tables (edge-given lattices) */
	uint64_t *above;                /* above[a] = set of b with a <= b */
	/* The run time's packed form (runtime/pd_lattice.h), by sema_labels.c:
	 * width bits, label id -> its down-set without bottom (ordered
	 * lattices; a powerset label is its own encoding), and a fingerprint
	 * of the definition that images name the lattice by. */
	uint32_t width;
	uint64_t *downset;
	uint64_t fingerprint;
	struct decl *decl;
} lattice;

/* Facts about a struct that sema_facts.c computes for the emitters. */
typedef struct struct_facts {
	const struct field *pointer_via;/* a field through which its value holds own/shared/vec/bytes */
	bool owns_children;             /* it reaches own/vec/bytes it owns (moves walk them) */
	bool reaches_labeled;           /* a labeled<> anywhere in what it reaches */
	const struct field *shared_via; /* a field through which it reaches `shared`, or NULL */
	label_set labels;               /* the @labels on everything it reaches */
	struct decl_list *rrefs;        /* the interfaces of the rrefs it reaches */
} struct_facts;

/* A set of declarations, the newest first. */
typedef struct decl_list {
	struct decl *d;
	struct decl_list *next;
} decl_list;

typedef enum recovery_policy {
	RECOVER_RESET,
	RECOVER_RESTORE,
} recovery_policy;

typedef struct declassify {
	loc at;
	label_ref *from;
	label_ref *to;
	struct declassify *next;
} declassify;

typedef struct domain_decl {
	loc iface_at;
	const char *iface_qualifier;
	const char *iface_name;
	type *state;                    /* NULL when stateless */
	loc state_at;
	recovery_policy policy;
	loc policy_at;                  /* line 0 when not given (reset) */
	uint64_t checkpoint_every;      /* 0 when not given */
	int checkpoint_incremental;     /* `checkpoint incremental every N batches` */
	loc checkpoint_at;
	label_ref *clearance;
	declassify *declassify;
	uint64_t quota_bytes;           /* 0 when not given */
	loc quota_at;
	struct name_ref *emits;         /* `emits SINK;`, in order */
	/* resolved */
	struct decl *iface;
	label_set state_labels;         /* sema_facts.c: what its state holds by declaration */
} domain_decl;

typedef struct stage {
	loc at;
	const char *name;
	loc domain_at;
	const char *domain_qualifier;
	const char *domain_name;
	struct decl *domain;            /* resolved */
	struct stage *next;
	uint32_t index;                 /* position along rx -> tx, after sema */
} stage;

/* One hop `from -> to` of a path; a path `a -> b -> c` gives two. */
typedef struct edge {
	loc from_at, to_at;
	const char *from, *to;
	struct decl *to_sink;           /* resolved: the sink this edge feeds */
	struct stage *from_stage;       /* resolved: NULL for rx */
	struct stage *to_stage;         /* resolved: NULL for tx and sinks */
	bool to_tx;                     /* resolved: it ends at tx */
	struct edge *next;
} edge;

typedef struct pipeline_decl {
	stage *stages;
	edge *edges;
	/* `tx @L;`: the bound on what leaves through tx (NULL: none) */
	struct label_ref *tx_bound;
	const char *bound_name;         /* the name the bound was written on */
	loc bound_at;
	bool bound_again;               /* a second `NAME @L;` (an error) */
	loc bound_again_at;
	/* resolved: stages along the rx -> tx chain */
	stage **order;
	uint32_t n_order;
} pipeline_decl;

typedef struct decl {
	decl_kind kind;
	loc at;
	const char *name;
	struct module *module;
	struct decl *next;
	int mark;                       /* scratch for graph walks in sema */
	const void *flow_graph;         /* sema_flow.c: the pass flow_index is valid for */
	uint32_t flow_index;            /* a struct's node, or a domain's label */
	uint64_t fp_own;                /* emit_checkpoint.c: the hash of its own fields */
	bool fp_own_done;
	/* emit_checkpoint.c: the fingerprint's pass over the struct graph */
	int fp_walk;                    /* its component's id; -id marks a named one */
	uint32_t fp_index, fp_low;      /* Tarjan's numbers; 0: not met yet */
	bool fp_on_stack;
	struct decl *fp_component;      /* the root of its component */
	uint64_t fp_scc;                /* its component's hash */
	size_t min_bytes[4];            /* emit_checkpoint.c: min_bytes at each depth ... */
	unsigned min_bytes_known;       /* ... bit D set once min_bytes[D] is */
	const struct decl *opaque_via;  /* sema_types.c: an opaque type the struct reaches */
	union {
		lattice labels;
		struct {
			const char *c_name;
			loc c_name_at;
		} opaque;
		struct {
			field *fields;
			struct_facts facts;      /* sema_facts.c */
		} struct_;
		struct {
			loc base_at;
			const char *base_qualifier;
			const char *base_name;   /* `interface X : BASE`, or NULL */
			method *methods;
			struct decl *base;       /* resolved */
		} iface;
		domain_decl domain;
		struct {
			label_ref *bound;
		} sink;
		pipeline_decl pipeline;
	} u;
} decl;

typedef struct import {
	loc at;
	const char *path;               /* as written */
	struct module *module;          /* resolved by the loader */
	struct import *next;
} import;

struct symtab;

typedef struct module {
	const char *name;
	loc at;
	const struct source *src;
	const char *import_path;        /* how importers name it, e.g. "std/packet.pdl" */
	import *imports;
	decl *decls;
	struct symtab *symbols;         /* declaration name -> decl */
	struct symtab *label_symbols;   /* label name -> label_sym (sema_labels.c) */
	bool checked;
	int load_state;                 /* loader.c: cycle detection */
	const struct import *pending;   /* loader.c: the import being followed */
} module;

/* ---- arena ---------------------------------------------------------------- */

void *ast_alloc(size_t size);
const char *ast_strdup(const char *s);
const char *ast_strndup(const char *s, size_t n);
/* printf into the arena, however long the strings are. */
const char *ast_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ast_free_all(void);

#define AST_NEW(T) ((T *)ast_alloc(sizeof(T)))

const char *decl_kind_name(decl_kind kind);

/* Label arithmetic on a lattice sema_labels.c proved (tables filled). */
uint32_t lattice_join(const lattice *l, uint32_t a, uint32_t b);
uint32_t lattice_meet(const lattice *l, uint32_t a, uint32_t b);
bool lattice_leq(const lattice *l, uint32_t a, uint32_t b);
bool type_is_scalar(const type *t);
/* A label as the user writes it: its name, or {atom, ...} for a powerset. */
const char *lattice_label_name(const lattice *l, uint32_t id);

/* label_set operations (ast.c): joins, entry by lattice; true when S grew. */
bool label_set_add(label_set *s, const lattice *l, uint32_t id);
bool label_set_union(label_set *into, const label_set *from);
bool label_set_equal(const label_set *a, const label_set *b);

#endif /* PDLC_AST_H */
