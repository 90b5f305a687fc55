/*
 * stage_maglev.c - the Maglev stage: the code behind `domain maglev :
 * balancer` in idl/maglev.pdl.  Per batch it parses every frame, hashes its
 * 5-tuple, prefetches the connection-table set of each hash, then picks each
 * packet's backend and forwards the frame to it (rewrite or L2 DSR,
 * stage_maglev.h).  Frames maglev_parse refuses, and every frame while no
 * backend is configured, are dropped.
 *
 * The domain's state is lb_state (idl/maglev.pdl): the backends by id and
 * the connection table, all on the domain's heap, so the generated code
 * checkpoints and restores it.  The lookup table (maglev_table.h, malloc'd)
 * is derived from the backends; a heap object of kind "maglev.table_box"
 * holds it, never changed once built, so that a rollback of the undo log
 * (`checkpoint incremental`) brings the old table back with the old
 * backends, and the writes to the connection table are pd_touch'd
 * (flow_table.c).  Init leaves it
 * unbuilt and so does a restore (which reloads the state into what init
 * made): the first call after either computes it from the backends, after
 * checking that the state is one this code could have made.
 */
#include "stage_maglev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <arpa/inet.h>

#include "flow_table.h"
#include "pd_batch.h"
#include "rewrite.h"

typedef struct lb {
	maglev_lb_state state;          /* first: what the checkpoint saves */
	const maglev_stage_config *cfg; /* the start-time configuration */
	struct table_box *box;          /* the table of state.backends; NULL: not yet */
	enum maglev_forward forward;
	uint8_t mac[6];
} lb;

/*
 * The lookup table lives in malloc'd memory the undo log cannot see, so it
 * is never changed once built: a backend change builds a new one in a new
 * box (a libpd object whose destructor frees the table) and frees the old
 * box.  With incremental checkpoints a rollback thus brings back the old
 * box with its table untouched, and frees the new one (pd_snap.h).
 */
struct table_box {
	struct maglev_table *t;
};

static void box_destroy(void *obj)
{
	maglev_table_free(((struct table_box *)obj)->t);
}

static const pd_kind box_kind = { .name = "maglev.table_box", .destroy = box_destroy };

static void lb_destroy(void *obj)
{
	lb *s = obj;

	pd_free(s->box);        /* (in a sweep, the sweep frees it) */
	maglev_lb_state_free(&s->state);
}

/* Makes the box of t the current table; the old box goes. */
static int install_table(lb *s, struct maglev_table *t)
{
	struct table_box *box = pd_alloc(sizeof *box, &box_kind);
	if (!box) {
		maglev_table_free(t);
		return -PD_ENOMEM;
	}
	box->t = t;
	pd_touch(s);
	pd_free(s->box);
	s->box = box;
	return 0;
}

static const pd_kind lb_kind = { .name = "maglev.lb", .destroy = lb_destroy };

static void to_backend(const maglev_backend_desc *d, struct maglev_backend *be)
{
	memset(be, 0, sizeof *be);
	memcpy(be->name, d->name.data, d->name.len);
	memcpy(be->mac, d->mac, sizeof be->mac);
	be->ip = rte_cpu_to_be_32(d->ip);
}

static bool desc_ok(const maglev_backend_desc *d)
{
	return d->name.data && d->name.len > 0 && d->name.len < MAGLEV_NAME_MAX &&
	       !memchr(d->name.data, '\0', d->name.len);
}

/* A new lookup table of the state's backends, with their ids and generations. */
static int new_table(lb *s, struct maglev_table **out)
{
	struct maglev_table *t;
	int rc = maglev_table_create(s->state.table_size, &t);

	if (rc < 0)
		return rc;
	for (uint32_t id = 0; id < s->state.backends.len && rc >= 0; id++) {
		const maglev_backend_slot *slot = &s->state.backends.items[id];
		struct maglev_backend be;
		if (slot->used && !desc_ok(&slot->backend)) {
			rc = -MAGLEV_EINVAL;
			break;
		}
		if (slot->used)
			to_backend(&slot->backend, &be);
		rc = maglev_backend_add_at(t, (int)id, slot->generation, slot->used ? &be : NULL);
	}
	if (rc >= 0 && maglev_backend_count(t) > 0)
		rc = maglev_table_build(t);
	if (rc < 0) {
		maglev_table_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

static int build_table(lb *s)
{
	struct maglev_table *t;
	int rc = new_table(s, &t);
	return rc < 0 ? rc : install_table(s, t);
}

/* The state init makes from the start-time configuration (no flows yet). */
static int fresh_state(lb *s)
{
	const maglev_stage_config *cfg = s->cfg;
	uint32_t flows = cfg && cfg->flow_capacity ? cfg->flow_capacity : MAGLEV_STAGE_DEFAULT_FLOWS;
	unsigned n = cfg ? cfg->n_backends : 0;

	s->state.table_size = cfg && cfg->table_size ? cfg->table_size : MAGLEV_DEFAULT_SIZE;
	if (maglev_flow_table_create(flows, 0, &s->state.flows) < 0)
		return -PD_ENOMEM;
	if (n == 0)
		return 0;
	s->state.backends.items = pd_alloc(n * sizeof *s->state.backends.items, NULL);
	if (!s->state.backends.items)
		return -PD_ENOMEM;
	s->state.backends.len = s->state.backends.cap = n;
	for (unsigned i = 0; i < n; i++) {
		const struct maglev_backend *be = &cfg->backends[i];
		maglev_backend_slot *slot = &s->state.backends.items[i];
		size_t len = strlen(be->name);
		slot->backend = maglev_backend_to_pdl(be);
		slot->backend.name.data = pd_alloc(len, NULL);
		if (!slot->backend.name.data)
			return -PD_ENOMEM;
		memcpy(slot->backend.name.data, be->name, len);
		slot->generation = 1;           /* as maglev_backend_add gives id i */
		slot->used = true;
	}
	s->state.generation = 1;
	return 0;
}

/*
 * The lookup table, computed after init or a restore.  A state that does
 * not hold together (a flow naming an id past the backends, a backend whose
 * name the table refuses) is not used: the stage starts again from its
 * start-time configuration, as `reset` would.
 */
static struct maglev_table *current_table(lb *s)
{
	if (s->box)
		return s->box->t;
	bool ok = maglev_flow_table_valid(s->state.flows, s->state.backends.len);
	if (!ok || build_table(s) < 0) {
		pd_touch(s);
		maglev_lb_state_free(&s->state);
		memset(&s->state, 0, sizeof s->state);
		if (fresh_state(s) < 0 || build_table(s) < 0)
			return NULL;
	}
	return s->box->t;
}

static inline bool for_us(const lb *s, const struct rte_mbuf *m)
{
	return s->forward != MAGLEV_FORWARD_DSR ||
	       memcmp(rte_pktmbuf_mtod(m, const uint8_t *), s->mac, 6) == 0;
}

static inline int forward(const lb *s, struct rte_mbuf *m, const struct maglev_pkt *p,
			  const struct maglev_backend *be)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);

	if (s->forward == MAGLEV_FORWARD_DSR)
		return maglev_forward_l2(frame, len, s->mac, be);
	return maglev_rewrite(frame, len, p, be);
}

/*
 * Two passes so that the connection-table lookups do not wait on memory one
 * after the other: the first parses and hashes every frame and prefetches
 * its set, the second picks and forwards.
 */
static int lb_process(void *self, pd_batch *b, pd_batch **result)
{
	lb *s = self;
	unsigned n = b->n, out = 0;
	struct maglev_pkt pkt[PD_BATCH_MAX];
	uint64_t hash[PD_BATCH_MAX];
	int8_t ok[PD_BATCH_MAX];
	uint64_t now = rte_rdtsc();
	struct maglev_table *t = current_table(s);
	struct maglev_flow_table *flows = s->state.flows;

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		ok[i] = t && for_us(s, m) &&
			maglev_parse(rte_pktmbuf_mtod(m, const uint8_t *),
				     rte_pktmbuf_data_len(m), &pkt[i]) == 0;
		if (ok[i]) {
			hash[i] = maglev_5tuple_hash(&pkt[i].key);
			maglev_flow_prefetch(flows, hash[i]);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		int id = ok[i] ? maglev_flow_pick_hashed(flows, t, &pkt[i].key, hash[i], now) : -1;
		const struct maglev_backend *be = id >= 0 ? maglev_backend_get(t, id) : NULL;
		if (be && forward(s, m, &pkt[i], be) == 0)
			b->pkts[out++] = m;
		else
			rte_pktmbuf_free(m);
	}
	b->n = (uint16_t)out;
	*result = b;
	return 0;
}

/* Makes state.backends hold id (new slots unused). */
static int grow_backends(lb *s, uint32_t id)
{
	maglev_vec_backend_slot *v = &s->state.backends;

	if (id < v->len)
		return 0;
	pd_touch(s);
	if (id >= v->cap) {
		uint32_t cap = v->cap ? v->cap : 8;
		while (cap <= id)
			cap *= 2;
		maglev_backend_slot *items = pd_alloc(cap * sizeof *items, NULL);
		if (!items)
			return -PD_ENOMEM;
		if (v->len)
			memcpy(items, v->items, v->len * sizeof *items);
		pd_free(v->items);
		v->items = items;
		v->cap = cap;
	}
	v->len = id + 1;
	return 0;
}

/*
 * Backend changes rebuild the whole lookup table at once, between batches
 * (the library refuses lookups from an unbuilt table, never serves a
 * half-built one), and record the id and generation the table gave in the
 * state, which is what a restore rebuilds the table from.
 */
static int lb_add_backend(void *self, const maglev_backend_desc *b, uint32_t *result)
{
	lb *s = self;
	struct maglev_backend be;
	struct maglev_table *t;

	if (!desc_ok(b))
		return -PD_EINVAL;
	if (!current_table(s))
		return -PD_ENOMEM;
	int rc = new_table(s, &t);      /* changed is a copy (struct table_box) */
	if (rc < 0)
		return rc;
	to_backend(b, &be);
	uint8_t *name = pd_alloc(b->name.len, NULL);
	if (!name) {
		maglev_table_free(t);
		return -PD_ENOMEM;
	}
	memcpy(name, b->name.data, b->name.len);
	int id = maglev_backend_add(t, &be);
	rc = id < 0 ? id : grow_backends(s, (uint32_t)id);
	if (rc < 0) {
		maglev_table_free(t);
		pd_free(name);
		return rc;              /* -MAGLEV_EEXIST, ...: distinct from PD codes */
	}
	pd_touch(s);
	pd_touch(s->state.backends.items);
	maglev_backend_slot *slot = &s->state.backends.items[id];
	maglev_backend_desc_free(&slot->backend);
	slot->backend = *b;
	slot->backend.name = (pd_bytes){ .data = name, .len = b->name.len };
	slot->generation = maglev_backend_generation(t, id);
	slot->used = true;
	s->state.generation++;
	rc = maglev_table_build(t);
	int installed = install_table(s, t);
	if (installed < 0)
		return installed;
	if (rc < 0)
		return rc;
	*result = (uint32_t)id;
	return 0;
}

static int lb_remove_backend(void *self, const pd_bytes *name)
{
	lb *s = self;
	char key[MAGLEV_NAME_MAX] = { 0 };
	struct maglev_table *t;

	if (!name->data || name->len == 0 || name->len >= MAGLEV_NAME_MAX)
		return -PD_EINVAL;
	if (!current_table(s))
		return -PD_ENOMEM;
	memcpy(key, name->data, name->len);
	int rc = new_table(s, &t);
	if (rc < 0)
		return rc;
	int id = maglev_backend_remove(t, key);
	if (id < 0) {
		maglev_table_free(t);
		return id;              /* -MAGLEV_ENOENT */
	}
	pd_touch(s);
	pd_touch(s->state.backends.items);
	maglev_backend_slot *slot = &s->state.backends.items[id];
	maglev_backend_desc_free(&slot->backend);
	slot->used = false;         /* the generation stays with the id */
	s->state.generation++;
	/* With no backend left the table stays unbuilt: packets are dropped. */
	rc = maglev_table_build(t);
	int installed = install_table(s, t);
	if (installed < 0)
		return installed;
	return rc < 0 && rc != -MAGLEV_ENOBACKENDS ? rc : 0;
}

/* The backend id an established flow keeps, else the table's choice. */
static int lb_backend_for(void *self, const maglev_flow_key *k, uint32_t *result)
{
	lb *s = self;
	struct maglev_table *t = current_table(s);
	struct maglev_5tuple tuple = {
		.src_ip = rte_cpu_to_be_32(k->src_ip),
		.dst_ip = rte_cpu_to_be_32(k->dst_ip),
		.src_port = rte_cpu_to_be_16(k->src_port),
		.dst_port = rte_cpu_to_be_16(k->dst_port),
		.proto = k->proto,
	};
	if (!t)
		return -PD_ENOMEM;
	int id = maglev_flow_find(s->state.flows, &tuple, rte_rdtsc());
	if (id < 0 || !maglev_backend_get(t, id))
		id = maglev_table_lookup(t, maglev_5tuple_hash(&tuple));
	if (id < 0)
		return id;
	*result = (uint32_t)id;
	return 0;
}

static const maglev_balancer_ops lb_ops = {
	.stage = { .process = lb_process },
	.add_backend = lb_add_backend,
	.remove_backend = lb_remove_backend,
	.backend_for = lb_backend_for,
};

int maglev_maglev_init(void *arg)
{
	const maglev_stage_config *cfg = arg;
	lb *s = pd_alloc(sizeof *s, &lb_kind);
	maglev_balancer_rref r;

	if (!s)
		return -PD_ENOMEM;
	s->cfg = cfg;
	s->forward = cfg ? cfg->forward : MAGLEV_FORWARD_REWRITE;
	if (cfg)
		memcpy(s->mac, cfg->mac, sizeof s->mac);
	for (unsigned i = 0; cfg && i < cfg->n_backends; i++)
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(cfg->backends[i].name, cfg->backends[j].name))
				return -PD_EINVAL;
	int rc = fresh_state(s);
	if (rc < 0)
		return rc;      /* the sweep frees what was made */
	/* First export: the object the scheduler calls as a std.stage. */
	return maglev_balancer_export(&lb_ops, s, NULL, NULL, &r);
}

pd_domain_spec maglev_stage_spec(const maglev_stage_config *cfg)
{
	pd_domain_spec spec = maglev_maglev_domain;

	spec.arg = (void *)cfg;
	return spec;
}

int maglev_stage_change(pd_rref stage, pd_domain *d, const maglev_change *c)
{
	maglev_balancer_rref lb_rref;
	int rc = maglev_balancer_from_rref(stage, &lb_rref);

	if (rc < 0)
		return rc;
	if (c->add) {
		maglev_backend_desc desc = maglev_backend_to_pdl(&c->backend);
		uint32_t id;
		rc = maglev_balancer_add_backend(lb_rref, &desc, &id);
	} else {
		pd_bytes name = { .data = (uint8_t *)c->backend.name,
				  .len = (uint32_t)strlen(c->backend.name) };
		rc = maglev_balancer_remove_backend(lb_rref, &name);
	}
	return rc < 0 ? rc : pd_domain_checkpoint(d);
}

int maglev_change_parse(const char *spec, maglev_change *out)
{
	memset(out, 0, sizeof *out);
	if (!strncmp(spec, "add:", 4)) {
		out->add = true;
		return maglev_backend_parse(spec + 4, &out->backend);
	}
	if (!strncmp(spec, "remove:", 7) && spec[7] && strlen(spec + 7) < MAGLEV_NAME_MAX) {
		strcpy(out->backend.name, spec + 7);
		return 0;
	}
	fprintf(stderr, "maglev: a change is add:NAME,MAC,IP or remove:NAME, not '%s'\n", spec);
	return -1;
}

int maglev_backends_file(const char *path, maglev_stage_config *cfg)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned lineno = 0;

	if (!f) {
		fprintf(stderr, "maglev: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		const char *p = line + strspn(line, " \t");
		if (!*p || *p == '#')
			continue;
		if (cfg->n_backends == MAGLEV_STAGE_MAX_BACKENDS) {
			fprintf(stderr, "%s:%u: at most %d backends\n", path, lineno,
				MAGLEV_STAGE_MAX_BACKENDS);
			goto bad;
		}
		if (maglev_backend_parse(p, &cfg->backends[cfg->n_backends]) < 0) {
			fprintf(stderr, "%s:%u: the line above is not a backend\n", path, lineno);
			goto bad;
		}
		cfg->n_backends++;
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	return -1;
}

const char maglev_stage_usage[] =
	"  --backend NAME,MAC,IP      a Maglev backend (repeatable; default be1..be4)\n"
	"  --backends-file PATH       backends, one NAME,MAC,IP a line ('#' comments)\n"
	"  --table-size PRIME         lookup-table entries (65537)\n"
	"  --flows N                  connection-table entries (65536)\n"
	"  --forward rewrite|dsr      rewrite MAC and IP (default), or L2 direct\n"
	"                             server return: MAC only, from port 0's MAC\n";

int maglev_stage_option(maglev_stage_config *cfg, int argc, char **argv)
{
	const char *v = argc > 1 ? argv[1] : NULL;
	char *end;

	if (!strcmp(argv[0], "--backend")) {
		if (!v) {
			fprintf(stderr, "maglev: --backend wants NAME,MAC,IP\n");
			return -1;
		}
		if (cfg->n_backends == MAGLEV_STAGE_MAX_BACKENDS) {
			fprintf(stderr, "maglev: at most %d backends\n", MAGLEV_STAGE_MAX_BACKENDS);
			return -1;
		}
		if (maglev_backend_parse(v, &cfg->backends[cfg->n_backends]) < 0)
			return -1;
		cfg->n_backends++;
		return 2;
	}
	if (!strcmp(argv[0], "--backends-file")) {
		if (!v) {
			fprintf(stderr, "maglev: --backends-file wants a file\n");
			return -1;
		}
		return maglev_backends_file(v, cfg) < 0 ? -1 : 2;
	}
	if (!strcmp(argv[0], "--table-size")) {
		unsigned long n = v ? strtoul(v, &end, 10) : 0;
		if (!v || *end || n < 3 || n > MAGLEV_MAX_SIZE) {
			fprintf(stderr, "maglev: --table-size wants a prime in [3, %u]\n",
				MAGLEV_MAX_SIZE);
			return -1;
		}
		cfg->table_size = (uint32_t)n;
		return 2;
	}
	if (!strcmp(argv[0], "--flows")) {
		unsigned long n = v ? strtoul(v, &end, 10) : 0;
		if (!v || *end || n < MAGLEV_FLOW_WAYS || n > MAGLEV_FLOW_MAX_CAPACITY) {
			fprintf(stderr, "maglev: --flows wants an integer in [%u, %u]\n",
				MAGLEV_FLOW_WAYS, MAGLEV_FLOW_MAX_CAPACITY);
			return -1;
		}
		cfg->flow_capacity = (uint32_t)n;
		return 2;
	}
	if (!strcmp(argv[0], "--forward")) {
		if (v && !strcmp(v, "rewrite"))
			cfg->forward = MAGLEV_FORWARD_REWRITE;
		else if (v && !strcmp(v, "dsr"))
			cfg->forward = MAGLEV_FORWARD_DSR;
		else {
			fprintf(stderr, "maglev: --forward wants rewrite or dsr\n");
			return -1;
		}
		return 2;
	}
	return 0;
}

int maglev_backend_parse(const char *spec, struct maglev_backend *out)
{
	char buf[128], *mac, *ip;
	struct in_addr a;

	memset(out, 0, sizeof *out);
	if (strlen(spec) >= sizeof buf)
		goto bad;
	strcpy(buf, spec);
	mac = strchr(buf, ',');
	if (!mac)
		goto bad;
	*mac++ = '\0';
	ip = strchr(mac, ',');
	if (!ip)
		goto bad;
	*ip++ = '\0';
	if (!*buf || strlen(buf) >= MAGLEV_NAME_MAX)
		goto bad;
	if (sscanf(mac, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &out->mac[0], &out->mac[1],
		   &out->mac[2], &out->mac[3], &out->mac[4], &out->mac[5]) != 6 ||
	    strlen(mac) != 17)
		goto bad;
	if (inet_pton(AF_INET, ip, &a) != 1)
		goto bad;
	strcpy(out->name, buf);
	out->ip = a.s_addr;
	return 0;
bad:
	fprintf(stderr, "maglev: a backend is NAME,MAC,IPV4 (e.g. "
		"be1,02:00:00:00:10:01,10.10.0.1), not '%s'\n", spec);
	return -1;
}

maglev_backend_desc maglev_backend_to_pdl(const struct maglev_backend *b)
{
	maglev_backend_desc p = {
		.name = { .data = (uint8_t *)b->name, .len = (uint32_t)strlen(b->name) },
		.ip = rte_be_to_cpu_32(b->ip),
		.healthy = true,
	};
	memcpy(p.mac, b->mac, sizeof p.mac);
	return p;
}

void maglev_stage_default_backends(maglev_stage_config *cfg)
{
	static const char *const names[] = { "be1", "be2", "be3", "be4" };

	cfg->n_backends = 4;
	for (unsigned i = 0; i < 4; i++) {
		struct maglev_backend *b = &cfg->backends[i];
		memset(b, 0, sizeof *b);
		strcpy(b->name, names[i]);
		memcpy(b->mac, (uint8_t[6]){ 0x02, 0, 0, 0, 0x10, (uint8_t)(i + 1) }, 6);
		b->ip = rte_cpu_to_be_32(0x0a0a0000u | (i + 1));   /* 10.10.0.N */
	}
}

int maglev_stage_ready(maglev_stage_config *cfg)
{
	static const uint8_t zero[6];

	if (cfg->n_backends == 0)
		maglev_stage_default_backends(cfg);
	if (cfg->forward != MAGLEV_FORWARD_DSR || memcmp(cfg->mac, zero, 6))
		return 0;
	uint16_t port;
	struct rte_ether_addr a;
	RTE_ETH_FOREACH_DEV(port) {
		if (rte_eth_macaddr_get(port, &a) == 0 && memcmp(a.addr_bytes, zero, 6)) {
			memcpy(cfg->mac, a.addr_bytes, 6);
			return 0;
		}
		break;
	}
	fprintf(stderr, "maglev: --forward dsr needs a port with a MAC address "
		"(e.g. --vdev=net_af_packet0,iface=IFACE)\n");
	return -1;
}
