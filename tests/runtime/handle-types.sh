#!/bin/bash
# A handle of one interface given to another's proxy is a compile-time error
# (tests/runtime/handle_mixup.c), and the right one compiles.
set -u
cc=${CC:-gcc}
flags="-std=gnu11 -Wall -Wextra -Werror -Iruntime -Itests/runtime -Ibuild/gen/tests -c -o /dev/null"
if ! $cc $flags tests/runtime/handle_mixup.c; then
	echo "FAIL: the right handle does not compile"
	exit 1
fi
if err=$($cc $flags -DMIXUP tests/runtime/handle_mixup.c 2>&1); then
	echo "FAIL: a null handle given to the filter's proxy compiled"
	exit 1
fi
if ! grep -q "incompatible type for argument 1 of 'nf_filter_process'\|incompatible type for argument 1 of ‘nf_filter_process’" <<<"$err"; then
	echo "FAIL: it did not compile, but not for the handle's type:"
	echo "$err" | head -5
	exit 1
fi
echo "ok: handles of different interfaces do not mix"
