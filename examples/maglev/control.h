/*
 * control.h - commands for a running Maglev program, read from a named pipe
 * (--control PATH) by the control thread at every tick:
 *
 *     add NAME,MAC,IP          a backend, on every worker
 *     remove NAME              a backend, on every worker
 *     fault STAGE [KIND]       the next batch bound for STAGE faults there,
 *                              on every worker (KIND: segv|abort|assert|fpe)
 *
 * one a line.  Backend changes go through the balancer rref and are
 * checkpointed at once (maglev_stage_change); each command's outcome is
 * printed as "control: LINE: ok" or "control: LINE: failed (CODE)", so a
 * test can wait for it.  Lines that are not commands are reported and
 * skipped.
 */
#ifndef MAGLEV_CONTROL_H
#define MAGLEV_CONTROL_H

#include "pd_app.h"

/*
 * Opens the pipe PATH (created with mode 0600 when missing) for the
 * commands to a pipeline whose balancer is stage `balancer`.  0, or -1
 * after printing why.
 */
int maglev_control_open(const char *path, const pd_pipeline_desc *p, unsigned balancer);

/* From a tick (pd_app_opts.tick): runs the commands that have arrived. */
void maglev_control_poll(void);

void maglev_control_close(void);

#endif
