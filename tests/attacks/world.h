/*
 * world.h - the domains of tests/attacks/attacks.pdl, implemented once for
 * every attack program: a vault holding a secret, a relay that mentions no
 * label, a public-cleared node, and a pet that nodes create and manage.
 * Each method takes a "what" code; the attack programs pick the code that
 * tries their channel.  Everything here goes through generated proxies and
 * libpd's public API; the test driver (trusted code outside every domain)
 * sets the secret with pd__rref_target, as tests/ifc does.
 */
#ifndef ATTACKS_WORLD_H
#define ATTACKS_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "attacks.pdl.h"

/* What the vault's answer(how) does. */
enum {
	V_PLAIN,            /* answers the key */
	V_CHURN,            /* allocates (key & 7) objects and keeps them */
	V_SPAWN,            /* creates a pet it manages */
	V_KILL_IF_BIT,      /* destroys that pet when the key's low bit is set */
	V_EXPORT_IF_BIT,    /* exports one more object when the bit is set */
	V_DTOR_LEAK,        /* an object whose kind's destructor logs the key, then a panic */
	V_DTOR_DESTROY,     /* an object whose destructor destroys the domain named victim_name */
	V_DTOR_RECOVER,     /* ...recovers it */
	V_DTOR_PANIC,       /* ...panics itself */
	V_DTOR_REENTER,     /* ...calls the relay, which is waiting for this call */
};

/* What a node's act(what) does. */
enum {
	N_EMIT,             /* logs what put() was given */
	N_FORGE_CHILD,      /* creates a child from a spec it wrote: declassifies, logs */
	N_SPAWN_PET,        /* creates a pet it manages */
	N_FORGE_IMAGE,      /* gives its pet an image of what put() gave, the writer's labels set to bottom */
	N_FORGE_IMAGE_BYTES, /* the same, written honestly, then its label section cut out by hand */
	N_SPAWN_VAULT,      /* creates a vault it manages */
	N_STATS,            /* logs its child's charged bytes */
	N_LIVE_OBJECTS,     /* logs pd_heap_live_objects() */
	N_COUNT_DOMAINS,    /* logs how many domains pd_domain_lookup finds */
	N_GENERATION,       /* exports an object and logs its handle's generation */
	N_CALL_VAULT_REENTER, /* calls its vault with V_DTOR_REENTER */
	N_PROBE,            /* answers whether a call of this node is under way */
};

/* What a pet's poke(what) does. */
enum {
	P_GET,
	P_EMIT,             /* logs its state */
	P_CRASH,
};

typedef struct vault_state {
	attacks_keys keys;                  /* first: what a checkpoint saves */
	pd_domain *pet;
	void *kept[8];
} vault_state;

typedef struct node_state {
	uint64_t held;                      /* what put() was given */
	uint64_t tenant_held;               /* what put_tenant() was given */
	pd_domain *child;
	attacks_pet_rref exported;
	attacks_vault_rref vault;           /* set by the test driver */
	int busy;                           /* inside N_CALL_VAULT_REENTER */
} node_state;

/* The public log: every write is counted and its first 8 bytes kept. */
extern unsigned logged;
extern uint64_t last_logged;
void world_reset_log(void);

/* The name of the domain V_DTOR_DESTROY / V_DTOR_RECOVER go for, and what
 * the management calls the destructor made returned. */
extern const char *victim_name;
extern int dtor_rc[3];

/* The domain records and handles of one test. */
struct world {
	pd_domain *vault, *relay, *pub;
	attacks_vault_rref vault_h;
	attacks_node_rref relay_h, pub_h;
};
extern struct world w;

void world_up(void);
void world_down(void);
void *world_self_of(pd_domain *d);   /* the object d exported first */
void world_set_key(pd_domain *vault, uint64_t key);
pd_label world_conf_of(const pd_domain *d);
node_state *world_node(pd_domain *d);

#endif
