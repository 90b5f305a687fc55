/*
 * pd_eal.h - starting DPDK's EAL for a PDL program.
 *
 * A program is run as `PROGRAM [EAL args] [program args]`, like dpdk-testpmd:
 * each argument that is an EAL option (with its value: `-l 0-1`, `-l0-1`,
 * `--vdev=...`, `--vdev ...`) goes to the EAL, the rest to the program.
 * After a `--`, everything is the program's, and before it everything is the
 * EAL's, as in every DPDK program.
 *
 * What the EAL is given besides: a unique --file-prefix when none is given
 * (so concurrent runs never share /var/run/dpdk/<prefix>);
 * --log-level=lib.eal:warning unless a --log-level is given; when no EAL
 * argument names a device (--vdev, -a/--allow, -b/--block), the program's
 * default vdevs and --no-pci; and, with no EAL arguments at all or on a
 * machine with no hugepages when no memory option is given,
 * `--no-huge -m 256`.  So with no EAL arguments a program works on a machine
 * with no hugepages and no NICs, and `-l 0-1` alone keeps the default port.
 */
#ifndef PD_EAL_H
#define PD_EAL_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Starts the EAL.  default_vdevs is a NULL-terminated list of --vdev values
 * used when the EAL arguments name no device.  On success returns 0 and points
 * *prog_argc and *prog_argv at the program arguments, with (*prog_argv)[0] the
 * program name.  On failure prints why on stderr, leaves no runtime folder
 * behind (for a generated prefix) and returns a negative code.
 */
int pd_eal_start(int argc, char **argv, const char *const *default_vdevs,
		 int *prog_argc, char ***prog_argv);

/*
 * The program arguments pd_eal_start would pass on, without starting
 * anything: for a look before the EAL starts (--help).  Returns their number
 * and points *prog_argv at a vector that lives until the next call with
 * another argv (pd_eal_start with the same argv keeps it).
 */
int pd_eal_program_args(int argc, char **argv, char ***prog_argv);

/*
 * Call before pd_eal_start: every net_pcap vdev that reads a pcap file then
 * replays it forever (net_pcap's infinite_rx=1) instead of ending with it.
 */
void pd_eal_loop_pcap(bool loop);

/* The --file-prefix the EAL runs with (for telemetry clients and logs). */
const char *pd_eal_file_prefix(void);

/* Stops the EAL and, when the file prefix was generated here, removes its
 * runtime directory; safe to call when pd_eal_start failed. */
void pd_eal_stop(void);

#ifdef __cplusplus
}
#endif

#endif /* PD_EAL_H */
