/*
 * libpd, everything: include this from stage code and from pdlc's output.
 * The core (this directory) needs no DPDK; runtime/dpdk/ builds on it.
 */
#ifndef PD_H
#define PD_H

#include "pd_format.h"
#include "pd_error.h"
#include "pd_rref.h"
#include "pd_domain.h"
#include "pd_heap.h"
#include "pd_fault.h"
#include "pd_call.h"
#include "pd_label.h"
#include "pd_snap.h"

#endif
