/*
 * pd_fault_log.h - one line on stderr when a stage faults: which worker
 * and stage, what the fault was, how many packets went with it, and what
 * recovery did:
 *
 *   pd: worker 0: stage f3 faulted (SIGSEGV), 32 packets lost; reset: its init ran again
 *   pd: worker 0: stage firewall faulted (panic: bad rule 7), 4 packets lost; restored its last checkpoint
 *   pd: worker 1: stage lb faulted (quota exceeded), 8 packets lost; recovery failed: the stage is dead
 *
 * Per stage and worker, the first ten faults get a line each and later ones
 * at most one a second, so a stage that faults on every batch cannot flood
 * the log or slow the worker down; the faults left out are counted in the
 * next line ("(and 912 more since the last line)"), and every fault is
 * counted in the statistics.
 */
#ifndef PD_FAULT_LOG_H
#define PD_FAULT_LOG_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pd_worker;

/* On worker w, right after stage i faulted and libpd recovered it (or not):
 * `lost` packets went with the batch, `restored` when recovery reloaded the
 * last checkpoint.  Reads the thread's pd_last_fault(). */
void pd_fault_log(const struct pd_worker *w, unsigned stage, unsigned lost, bool restored);

#ifdef __cplusplus
}
#endif

#endif /* PD_FAULT_LOG_H */
