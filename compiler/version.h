/*
 * version.h - pdlc's version, and the libpd format its output is written for.
 */
#ifndef PDLC_VERSION_H
#define PDLC_VERSION_H

#define PDLC_VERSION "0.1.0"

/* Must equal PD_FORMAT_VERSION in runtime/pd_format.h; the generated headers
 * check it, so a generated tree and a libpd of different formats never mix. */
#define PDLC_FORMAT_VERSION 2

#endif /* PDLC_VERSION_H */
