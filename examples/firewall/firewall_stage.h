/*
 * firewall_stage.h - the firewall stage (domain `firewall` of
 * idl/firewall.pdl) as a program sets it up: the start-time rules, passed as
 * the domain spec's arg and re-read by init on every reset, and a parser for
 * rules written on a command line.
 *
 * Semantics: rules are indexed by a binary trie on their source prefix,
 * leaf-pushed (each node lists its ancestors' rules too, shared).  A
 * packet takes the rule of the longest source prefix that matches it (its
 * other conditions included: destination prefix, protocol, destination port
 * range); among rules of the same prefix, the first added.  A packet no rule
 * matches is allowed.  Every rule counts the packets it decided (`hits`).
 */
#ifndef FIREWALL_STAGE_H
#define FIREWALL_STAGE_H

#include "firewall.pdl.h"

#define FIREWALL_MAX_RULES 256

typedef struct firewall_config {
	unsigned n_rules;
	firewall_rule rules[FIREWALL_MAX_RULES];   /* addresses in host byte order */
} firewall_config;

/*
 * Parses "allow|deny SRC/LEN [dst DST/LEN] [proto tcp|udp|N] [port LO[-HI]]"
 * (e.g. "deny 10.66.0.0/16", "deny 0.0.0.0/0 proto tcp port 23").
 * Returns 0 or -1 after printing why.
 */
int firewall_rule_parse(const char *spec, firewall_rule *out);

/* Writes r back in the syntax firewall_rule_parse reads. */
void firewall_rule_format(const firewall_rule *r, char *buf, size_t size);

/*
 * The ruleset as the stage keeps it, for tests and the benchmark: objects
 * of the current domain, the generated kinds (pd_free(rs) frees it all).
 * add validates r, copies it (hits zeroed) and returns its index in `all`:
 * 0, -PD_EINVAL or -PD_ENOMEM.  lookup gives the deciding rule or NULL.
 */
firewall_ruleset *firewall_ruleset_new(void);
int firewall_ruleset_add(firewall_ruleset *rs, const firewall_rule *r, uint32_t *index);
firewall_rule *firewall_ruleset_lookup(const firewall_ruleset *rs, uint32_t src, uint32_t dst,
				       uint8_t proto, uint16_t dport);

/* A copy of firewall_firewall_domain whose arg is cfg. */
pd_domain_spec firewall_stage_spec(const firewall_config *cfg);

#endif
