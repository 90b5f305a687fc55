#!/bin/sh
# Builds one libFuzzer harness (tests/fuzz/build.ninja's fuzz_harness rule):
#
#   build-harness.sh CC OUT CFLAGS LIBS SOURCE...
#
# CC is ./configure's fuzz_cc: clang, or empty when no clang with libFuzzer
# was found.  Then OUT becomes a script that says so and exits 77, so the
# runner reports every harness as skipped instead of the build failing.
set -eu
cc=$1 out=$2 cflags=$3 libs=$4
shift 4
if [ -z "$cc" ]; then
	printf '#!/bin/sh\necho "SKIP: %s: ./configure found no clang with libFuzzer (apt-get install clang)"\nexit 77\n' \
		"$(basename "$out")" >"$out"
	chmod +x "$out"
	exit 0
fi
# shellcheck disable=SC2086
exec "$cc" -std=gnu11 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	$cflags "$@" -o "$out" $libs
