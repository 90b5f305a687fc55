#!/bin/bash
# generated/ is committed so the emitted code can be reviewed; the build
# regenerates it in place from idl/.  If that changed anything, the
# committed copy was stale: commit the regenerated files.
set -u
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "not a git checkout: cannot tell what was committed" >&2
	exit 1
fi
stale=$(git status --porcelain -- generated/)
if [ -n "$stale" ]; then
	echo "generated/ differs from what pdlc emits now (commit the regenerated files):"
	echo "$stale"
	git diff --stat -- generated/
	exit 1
fi
echo "generated/ matches pdlc's output for every file in idl/"
