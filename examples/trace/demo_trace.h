/*
 * demo_trace.h - the default port of the examples that replay the bundled
 * trace (demo, firewall, maglev): tests/traces/demo.pcap, built into the
 * program, so that the defaults work from any folder.
 */
#ifndef DEMO_TRACE_H
#define DEMO_TRACE_H

/*
 * "net_pcap0,rx_pcap=TRACE,tx_pcap=OUT": TRACE is the built-in copy of
 * demo.pcap (an in-memory file, /proc/self/fd/N), OUT is OUT_NAME in the
 * folder above the program's own (build/examples/demo -> build/OUT_NAME).
 * NULL after printing why when the copy cannot be made.
 */
const char *demo_trace_vdev(const char *out_name);

#endif /* DEMO_TRACE_H */
