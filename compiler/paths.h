/*
 * paths.h - where pdlc looks for imports and where it writes its output.
 *
 * Output goes where the generated #include lines expect it, as protoc
 * does: an input found below an import folder is written to
 * OUTDIR/<its path below that folder>.pdl.{h,c} (`-I idl idl/std/packet.pdl`
 * gives OUTDIR/std/packet.pdl.h, which `#include "std/packet.pdl.h"` finds
 * with -I OUTDIR); an input below no import folder goes to OUTDIR/<its name>.
 */
#ifndef PDLC_PATHS_H
#define PDLC_PATHS_H

#include <stdbool.h>

/* Where an installed pdlc finds the standard .pdl files, relative to the
 * folder that holds the pdlc binary. */
#define PATHS_BUILTIN_IDL_DIR "../share/pdl/idl"

/*
 * The standard import folder: PATHS_BUILTIN_IDL_DIR beside the running
 * pdlc, as a real path, or NULL when that folder does not exist (pdlc run
 * from its build tree).
 */
const char *paths_builtin_idl_dir(void);

/*
 * INPUT's output name below OUTDIR, without the ".pdl.h"/".pdl.c": its path
 * relative to the first of DIRS that holds it ("std/packet"), else its file
 * name ("packet"); a trailing ".pdl" is dropped either way.
 */
const char *paths_output_name(const char *input, const char *const *dirs, int n_dirs);

/* Do A and B name the same file (the same real path)? */
bool paths_same_file(const char *a, const char *b);

/* The last component of PATH ("std/packet" -> "packet"). */
const char *paths_base(const char *path);

/*
 * Creates DIR and its missing parents (mkdir -p).  Returns 0, or -1 with
 * errno set and the failing prefix in *failed.
 */
int paths_make_dirs(const char *dir, const char **failed);

#endif /* PDLC_PATHS_H */
