/*
 * The version of the contract between pdlc's generated code and libpd.
 * Every header pdlc emits checks it (#if PD_FORMAT_VERSION != N #error ...),
 * so a stale generated/ tree fails at compile time rather than at run time.
 * Bump it whenever the proxy shape in pd_call.h or a layout generated code
 * relies on changes.
 */
#ifndef PD_FORMAT_H
#define PD_FORMAT_H

#define PD_FORMAT_VERSION 2

#endif
