/*
 * pd_std_stage.h - the std stage interface (idl/std/packet.pdl) as the
 * scheduler sees it: the ops table every stage exports first, and the proxy
 * the scheduler calls it through, both emitted by pdlc.
 */
#ifndef PD_STD_STAGE_H
#define PD_STD_STAGE_H

#include "std/packet.pdl.h"

#endif /* PD_STD_STAGE_H */
