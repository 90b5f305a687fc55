#!/bin/bash
# PDL as a package: a copy of this tree is configured with a prefix of its
# own and `ninja install`ed into a temporary DESTDIR; the copy is then
# deleted, and the rate limiter of docs/guide.md - its files taken from the
# *installed* guide - is built from the installed files only, with each of
# Make (pkg-config), CMake (find_package(PDL), pdl_generate), Meson and
# Ninja.  Each build runs over a pcap with EAL arguments and no `--`, must
# end by itself with the output the limiter's rule predicts, and must run
# pdlc again when an imported .pdl is touched.  Also: the installed headers
# and generated code compile as C++, and a C++ program links with libpd;
# the man pages render without warnings; vim highlights a .pdl file.
# Run from the repository root.
set -u
root=$PWD
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d /tmp/pd-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
TRACE=$root/tests/traces/demo.pcap
BUCKET=3

check() {       # check NAME FUNCTION ARGS...: passes when FUNCTION succeeds
	local name=$1
	shift
	if "$@" >"$tmp/check.out" 2>&1; then
		passed=$((passed + 1))
		echo "  ok   $name"
	else
		failed=$((failed + 1))
		echo "  FAIL $name"
		sed 's/^/    /' "$tmp/check.out" | tail -n 40
	fi
}

summary() {
	echo "Run Summary:    Type  Total    Ran Passed Failed Inactive"
	echo "               tests $((passed + failed)) $((passed + failed)) $passed $failed 0"
	[ "$failed" -eq 0 ]
	exit
}

# -- install ------------------------------------------------------------
prefix=/opt/pdl-test
stage=$tmp/root
inst=$stage$prefix

install_copy() {
	mkdir -p "$tmp/src" &&
		git ls-files -z --cached --others --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$tmp/src" &&
		(cd "$tmp/src" && ./configure --prefix=$prefix && DESTDIR=$stage ninja install) \
			>"$tmp/install.log" 2>&1 || { tail -n 30 "$tmp/install.log"; return 1; }
	# Nothing outside DESTDIR/PREFIX, and what a user needs inside it.
	local outside
	outside=$(cd "$stage" && find . ! -type d | grep -v "^\.$prefix/")
	[ -z "$outside" ] || { echo "outside the prefix: $outside"; return 1; }
	local f
	for f in bin/pdlc lib/libpd.a lib/libpd_dpdk.a include/pdl/pd.h include/pdl/pd_app.h \
		include/pdl/pd_batch.h include/pdl/std/packet.pdl.h share/pdl/idl/std/packet.pdl \
		lib/pkgconfig/libpd.pc lib/pkgconfig/libpd-dpdk.pc lib/cmake/PDL/PDLConfig.cmake \
		lib/cmake/PDL/PDLConfigVersion.cmake share/man/man1/pdlc.1 share/man/man5/pdl.5 \
		share/vim/vimfiles/syntax/pdl.vim share/vim/vimfiles/ftdetect/pdl.vim \
		share/doc/pdl/guide.md share/doc/pdl/LICENSE; do
		[ -s "$inst/$f" ] || { echo "not installed: $f"; return 1; }
	done
	! ls "$inst"/include/pdl/*internal* 2>/dev/null || { echo "internal headers installed"; return 1; }
	grep -q "install: $prefix/bin/pdlc" "$tmp/install.log"
}
check "./configure --prefix and DESTDIR=... ninja install put everything under the prefix" install_copy
[ -x "$inst/bin/pdlc" ] || summary
rm -rf "$tmp/src"               # from here on, only the installed files

export PATH="$inst/bin:$PATH" PKG_CONFIG_PATH="$inst/lib/pkgconfig" CMAKE_PREFIX_PATH="$inst"
unset PDLC_IDL_DIR

# The network function, as the installed guide shows it.
mkdir -p "$tmp/nf"
check "the guide's files come out of the installed guide" \
	"$PYTHON" "$root/tests/packaging/guide_files.py" "$inst/share/doc/pdl/guide.md" "$tmp/nf"
read -r want_passed want_over < <("$PYTHON" "$root/tests/packaging/limit_expect.py" "$TRACE" $BUCKET)
total=$("$PYTHON" "$root/tests/packaging/limit_expect.py" --count "$TRACE")

# run_nf NAME BINARY: over the trace, EAL arguments and no `--`; it must end
# by itself, with exactly the frames and alerts the rule predicts.
run_nf() {
	local name=$1 bin=$2 log=$tmp/$1.log out=$tmp/$1-out.pcap
	timeout 60 "$bin" --vdev="net_pcap0,rx_pcap=$TRACE,tx_pcap=$out" -l 0 --rate 0 --bucket $BUCKET \
		>"$log" 2>&1
	local rc=$?
	[ "$rc" -eq 0 ] || { echo "$name: exit $rc"; tail -n 20 "$log"; return 1; }
	grep -q '^pd: end of the input$' "$log" &&
		grep -q "^ratelimit worker 0: passed=$want_passed dropped=$((total - want_passed))$" "$log" &&
		[ "$(grep -c ' is over its limit$' "$log")" = "$want_over" ] &&
		grep -q '^mbufs_in_use=0$' "$log" &&
		[ "$("$PYTHON" "$root/tests/packaging/limit_expect.py" --count "$out")" = "$want_passed" ] ||
		{ echo "$name: unexpected output (want passed=$want_passed, $want_over alerts):"; cat "$log"; return 1; }
}

# rebuilds_on_import NAME BUILD_COMMAND...: touching the imported std/packet.pdl
# makes the build run pdlc again; a second build then does nothing more.
rebuilds_on_import() {
	local name=$1
	shift
	sleep 1                 # a time stamp that is surely newer
	touch "$inst/share/pdl/idl/std/packet.pdl"
	"$@" >"$tmp/$name-rebuild.log" 2>&1 || { cat "$tmp/$name-rebuild.log"; return 1; }
	grep -q -i -e 'pdlc' -e 'generating' "$tmp/$name-rebuild.log" ||
		{ echo "$name: pdlc did not run again:"; cat "$tmp/$name-rebuild.log"; return 1; }
	"$@" >"$tmp/$name-again.log" 2>&1 &&
		! grep -q -i -e 'pdlc ' -e 'generating' -e 'building' -e ' CC ' "$tmp/$name-again.log" ||
		{ echo "$name: the second build did more:"; cat "$tmp/$name-again.log"; return 1; }
}

with_make() {
	cp -r "$tmp/nf" "$tmp/make" && make -C "$tmp/make" >"$tmp/make-build.log" 2>&1 ||
		{ cat "$tmp/make-build.log"; return 1; }
	run_nf make "$tmp/make/ratelimit" && rebuilds_on_import make make -C "$tmp/make"
}
check "Make (pkg-config): builds, runs over a pcap, ends by itself; an imported .pdl rebuilds" with_make

with_cmake() {
	cp -r "$tmp/nf" "$tmp/cmake" &&
		cmake -S "$tmp/cmake" -B "$tmp/cmake/build" >"$tmp/cmake-build.log" 2>&1 &&
		cmake --build "$tmp/cmake/build" >>"$tmp/cmake-build.log" 2>&1 ||
		{ cat "$tmp/cmake-build.log"; return 1; }
	run_nf cmake "$tmp/cmake/build/ratelimit" &&
		rebuilds_on_import cmake cmake --build "$tmp/cmake/build"
}
check "CMake (find_package(PDL), pdl_generate): builds, runs, ends by itself; an imported .pdl rebuilds" with_cmake

with_cmake_ninja() {
	cp -r "$tmp/nf" "$tmp/cmake-ninja" &&
		cmake -G Ninja -S "$tmp/cmake-ninja" -B "$tmp/cmake-ninja/build" >"$tmp/cn-build.log" 2>&1 &&
		cmake --build "$tmp/cmake-ninja/build" >>"$tmp/cn-build.log" 2>&1 ||
		{ cat "$tmp/cn-build.log"; return 1; }
	run_nf cmake-ninja "$tmp/cmake-ninja/build/ratelimit" &&
		rebuilds_on_import cmake-ninja cmake --build "$tmp/cmake-ninja/build"
}
check "CMake with its Ninja generator: the same" with_cmake_ninja

with_meson() {
	cp -r "$tmp/nf" "$tmp/meson" &&
		(cd "$tmp/meson" && meson setup build && ninja -C build) >"$tmp/meson-build.log" 2>&1 ||
		{ cat "$tmp/meson-build.log"; return 1; }
	run_nf meson "$tmp/meson/build/ratelimit" && rebuilds_on_import meson ninja -C "$tmp/meson/build"
}
check "Meson (find_program('pdlc'), generator, dependency('libpd-dpdk')): the same" with_meson

with_ninja() {
	cp -r "$tmp/nf" "$tmp/ninja" &&
		(cd "$tmp/ninja" &&
			printf 'cflags = %s\nlibs = %s\npdlc = %s\n' "$(pkg-config --cflags libpd-dpdk)" \
				"$(pkg-config --libs libpd-dpdk)" "$(pkg-config --variable=pdlc libpd)" >config.ninja &&
			ninja) >"$tmp/ninja-build.log" 2>&1 || { cat "$tmp/ninja-build.log"; return 1; }
	run_nf ninja "$tmp/ninja/ratelimit" && rebuilds_on_import ninja ninja -C "$tmp/ninja"
}
check "Ninja alone (the guide's build.ninja): the same" with_ninja

# -- C++ -----------------------------------------------------------------
CXXFLAGS="-std=c++17 -Wall -Wextra -Werror"

cxx_headers() {
	local h n=0
	for h in "$inst"/include/pdl/*.h "$inst"/include/pdl/std/*.h; do
		printf '#include "%s"\n' "${h#"$inst/include/pdl/"}" >"$tmp/one.cpp"
		# shellcheck disable=SC2046
		g++ $CXXFLAGS -fsyntax-only $(pkg-config --cflags libpd-dpdk) "$tmp/one.cpp" ||
			{ echo "g++ rejects $h"; return 1; }
		n=$((n + 1))
	done
	echo "$n headers"
	[ "$n" -gt 20 ]
}
check "every installed header compiles as C++ (g++ $CXXFLAGS)" cxx_headers

cxx_generated() {
	mkdir -p "$tmp/cxxgen"
	local f
	# The guide's and the tree's .pdl files, through the installed pdlc.
	pdlc -o "$tmp/cxxgen" "$tmp/nf/ratelimit.pdl" "$root"/idl/*.pdl || return 1
	for f in "$tmp"/cxxgen/*.pdl.h; do
		grep -q 'extern "C"' "$f" || { echo "no extern \"C\" in $f"; return 1; }
		printf '#include "%s"\n' "$(basename "$f")" >"$tmp/gen.cpp"
		# shellcheck disable=SC2046
		g++ $CXXFLAGS -fsyntax-only -I"$tmp/cxxgen" -I"$root/examples/firewall" \
			-I"$root/examples/maglev" -I"$root/examples/kvstore" \
			$(pkg-config --cflags libpd-dpdk) "$tmp/gen.cpp" || { echo "g++ rejects $f"; return 1; }
	done
}
check "generated headers compile as C++" cxx_generated

# A C++ program calling libpd and a generated proxy, linked with the
# generated C: extern "C" is what makes the names match.
cxx_links() {
	mkdir -p "$tmp/cxxlink"
	printf 'module counter;\nstruct total { u64 n; }\ninterface adder { total add(u32 n); }\n' \
		>"$tmp/cxxlink/counter.pdl"
	cat >"$tmp/cxxlink/call.cpp" <<'EOF'
#include <cstdio>
#include "counter.pdl.h"
#include "pd_ckpt.h"

int main()
{
	counter_adder_rref forged = {};
	counter_total t;
	int rc = counter_adder_add(forged, 1, &t);      // refused, not a crash
	std::printf("a forged handle: %s\n", pd_strerror(rc));
	// the heap, checkpoint and shared-object headers link from C++ too
	void *obj = pd_shared_alloc(64, nullptr);
	bool heap_ok = obj && pd_owner(obj, nullptr) == nullptr && pd_shared_release(obj) == 0;
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_put_u64(&w, 7);
	void *image = nullptr;
	size_t len = 0;
	bool ckpt_ok = pd_ckpt_finish(&w, 1, &image, &len) == 0 && len > 0 && pd_free(image) == 0;
	std::printf("heap %d, checkpoint %d, last fault %p\n", heap_ok, ckpt_ok,
	            (const void *)pd_last_fault());
	return rc < 0 && pd_domain_lookup(1000) == nullptr && heap_ok && ckpt_ok ? 0 : 1;
}
EOF
	# shellcheck disable=SC2046
	pdlc -o "$tmp/cxxlink" "$tmp/cxxlink/counter.pdl" &&
		gcc -std=gnu11 -c $(pkg-config --cflags libpd) "$tmp/cxxlink/counter.pdl.c" \
			-o "$tmp/cxxlink/counter.pdl.o" &&
		g++ $CXXFLAGS -I"$tmp/cxxlink" $(pkg-config --cflags libpd) "$tmp/cxxlink/call.cpp" \
			"$tmp/cxxlink/counter.pdl.o" -o "$tmp/cxxlink/call" $(pkg-config --libs libpd) &&
		"$tmp/cxxlink/call"
}
check "a C++ program links with libpd and calls a generated proxy" cxx_links

# -- man pages, vim ------------------------------------------------------
man_pages() {
	local page
	for page in "$inst"/share/man/man1/pdlc.1 "$inst"/share/man/man5/pdl.5; do
		MANWIDTH=80 man --warnings -l "$page" >"$tmp/man.out" 2>"$tmp/man.err" </dev/null
		[ -s "$tmp/man.err" ] && { echo "$page:"; cat "$tmp/man.err"; return 1; }
		grep -q -e '^NAME' "$tmp/man.out" || { echo "$page renders empty"; return 1; }
	done
	MANPATH="$inst/share/man" man -w pdlc >/dev/null && MANPATH="$inst/share/man" man -w 5 pdl >/dev/null
}
check "man -l renders pdlc(1) and pdl(5) without warnings; man finds them under the prefix" man_pages

vim_syntax() {
	if ! vim --version 2>/dev/null | grep -q '+syntax'; then
		echo "vim with +syntax is not installed: this check cannot run"
		return 1
	fi
	vim -N -u NONE -i NONE -es --cmd "set runtimepath^=$inst/share/vim/vimfiles" \
		-c 'filetype on' -c 'syntax on' -c "edit $tmp/nf/ratelimit.pdl" \
		-c "redir! > $tmp/vim.out" -c 'echo &filetype' \
		-c 'echo synIDattr(synID(search("^module"), 1, 1), "name")' \
		-c 'echo synIDattr(synID(search("^\\s*on_fault"), 2, 1), "name")' \
		-c 'redir END' -c 'qall!' </dev/null
	cat "$tmp/vim.out"
	[ "$(grep -v '^$' "$tmp/vim.out" | tr '\n' ' ')" = "pdl pdlStructure pdlStatement " ]
}
check "vim detects .pdl files and highlights their keywords" vim_syntax

summary
