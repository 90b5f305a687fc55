/*
 * firewall_bench.h - `firewall --ckpt-bench`: checkpoint save and load of a
 * large firewall ruleset built from the generated types (ckpt_bench.c).
 */
#ifndef FIREWALL_BENCH_H
#define FIREWALL_BENCH_H

/* Runs without the EAL; argv may hold --bench-rules N and --bench-runs N.
 * Returns the process exit status. */
int firewall_ckpt_bench(int argc, char **argv);

/* `--state-bench`: checkpoint pause, restore outage and throughput cost of
 * the firewall domain in both checkpoint designs (state_bench.c). */
int firewall_state_bench(int argc, char **argv);

#endif
