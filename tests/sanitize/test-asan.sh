#!/bin/sh
# ninja test-asan: the whole suite again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (./configure --sanitize), in a copy of the tree
# under build/asan/ so that the plain build in build/ is left alone.  The
# copy keeps its own build/ between runs (ninja rebuilds what changed).
# Ends with the suite's "N passed, N failed" line and the time it took.
set -eu
cd "$(dirname "$0")/../.."
copy=build/asan/tree
start=$(date +%s)

mkdir -p "$copy"
[ -d "$copy/build" ] && mv "$copy/build" build/asan/build.keep
rm -rf "$copy"
mkdir -p "$copy"
# The tree as it is now - tracked and new files, not build/ - with its
# timestamps, so the kept build/ sees only what really changed.
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$copy"
else
	tar --exclude=./build -cf - . | tar -xf - -C "$copy"
fi
[ -d build/asan/build.keep ] && mv build/asan/build.keep "$copy/build"

cd "$copy"
# A repository of its own: tests list the tree with git (packaging) and
# check that runs leave it clean.
git init -q && git add -A &&
	git -c user.name=test-asan -c user.email=test-asan@localhost commit -qm "the tree under test"
./configure --sanitize >/dev/null
rc=0
ninja test || rc=$?
echo "test-asan: $(( $(date +%s) - start ))s (build/asan/tree)"
exit $rc
