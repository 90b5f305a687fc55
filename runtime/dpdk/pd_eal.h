/*
 * pd_eal.h - starting DPDK's EAL for a PDL program.
 *
 * A program is run as `PROGRAM [EAL args] -- [program args]`.  Without a `--`
 * every argument is a program argument and the EAL gets the defaults, which
 * work on a machine with no hugepages and no NICs:
 *     --no-huge --no-pci -m 256 --file-prefix=pd<pid>_<n>
 *     --log-level=lib.eal:warning  plus the program's default vdevs.
 * EAL arguments given replace the defaults, with two additions: a unique
 * --file-prefix when none is given (so that concurrent runs never share
 * /var/run/dpdk/<prefix>), and, when this machine has no hugepages and the
 * arguments name no memory option, `--no-huge -m 256` (plus --no-pci unless
 * the arguments choose PCI devices), since EAL would fail without them.
 */
#ifndef PD_EAL_H
#define PD_EAL_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Starts the EAL.  default_vdevs is a NULL-terminated list of --vdev values
 * used only when no EAL arguments are given.  On success returns 0 and points
 * *prog_argc and *prog_argv at the program arguments, with (*prog_argv)[0] the
 * program name.  On failure prints why on stderr and returns a negative code.
 */
int pd_eal_start(int argc, char **argv, const char *const *default_vdevs,
		 int *prog_argc, char ***prog_argv);

/* The --file-prefix the EAL runs with (for telemetry clients and logs). */
const char *pd_eal_file_prefix(void);

/* Stops the EAL and, when the file prefix was generated here, removes its
 * runtime directory; safe to call when pd_eal_start failed. */
void pd_eal_stop(void);

#ifdef __cplusplus
}
#endif

#endif /* PD_EAL_H */
