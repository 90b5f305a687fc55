/*
 * pd_dpdk_internal.h - what the files of libpd_dpdk share and programs do
 * not use: the checkpoint files behind pd_app's --checkpoint-dir and
 * --restore-from, and the line a fault logs.  Not installed.
 */
#ifndef PD_DPDK_INTERNAL_H
#define PD_DPDK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

struct pd_worker;

/*
 * pd_ckpt_files.c: checkpoint images as files: --checkpoint-dir writes
 * them, --restore-from starts a program from them.
 *
 * Writing stays off the packet path.  A worker that has just taken a
 * checkpoint (pd_sched.h) copies the image into a buffer of its own slot
 * and wakes one writer thread, which writes DIR/<stage>-<worker>.ckpt
 * through a temporary file and a rename, so a file is always a whole
 * image; the worker never waits for the disk.  While the writer is still
 * busy with a slot's previous image a newer one is not copied (counted as
 * skipped); at the end of the run the last image of every stage is written
 * (pd_ckpt_files_stop), so the files then hold the last checkpoints.
 *
 * Reading: pd_ckpt_files_restore makes those files the last checkpoints
 * of a worker's freshly created stages and recovers them
 * (pd_domain_set_checkpoint_image, pd_domain_recover), which loads each
 * image validated as any restore is (magic, version, schema fingerprint,
 * checksum, every byte); the stages must be `on_fault restore`.
 */

/*
 * Is DIR an existing folder pd can write images to (writable) or read them
 * from?  Returns 0, or a negative errno after printing what is wrong with
 * it, naming OPTION.
 */
int pd_ckpt_files_check_dir(const char *option, const char *dir, bool writable);

/* Starts the writer for n_workers x n_stages slots; 0 or a negative errno. */
int pd_ckpt_files_start(const char *dir, unsigned n_workers, unsigned n_stages);

/* Is a writer running (pd_ckpt_files_start succeeded, not yet stopped)? */
bool pd_ckpt_files_active(void);

/*
 * On worker w, after stage i's checkpoint: hands a copy of its image to the
 * writer, or skips it while the writer is busy with the previous one.
 * Never blocks.
 */
void pd_ckpt_files_post(struct pd_worker *w, unsigned stage);

/*
 * After the workers stopped, before their stages go: writes every stage's
 * last image, stops the writer and prints one line of what was written.
 */
void pd_ckpt_files_stop(struct pd_worker *workers, unsigned n_workers);

/*
 * Loads DIR/<stage>-<worker>.ckpt into each checkpointed stage of w.
 * Returns 0, or a negative code after printing which file failed and why.
 */
int pd_ckpt_files_restore(struct pd_worker *w, const char *dir);

/*
 * pd_fault_log.c: one line on stderr when a stage faults: which worker
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

/* On worker w, right after stage i faulted and libpd recovered it (or not):
 * `lost` packets went with the batch, `restored` when recovery reloaded the
 * last checkpoint.  Reads the thread's pd_last_fault(). */
void pd_fault_log(const struct pd_worker *w, unsigned stage, unsigned lost, bool restored);

#endif /* PD_DPDK_INTERNAL_H */
