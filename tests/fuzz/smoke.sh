#!/bin/sh
# ninja test's run of the fuzz harnesses: a few seconds each on the committed
# corpus (see run-fuzz.sh); exits 77 when clang with libFuzzer is missing.
exec tests/fuzz/run-fuzz.sh --smoke
