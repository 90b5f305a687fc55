#!/bin/sh
# `ninja install`: copies pdlc, the libraries, the public headers, the
# standard .pdl files, the pkg-config and CMake files, the man pages, the
# vim syntax and the docs into PREFIX, under $DESTDIR when that is set
# (staging, as for a package).  Run from the repository root after the
# build; PREFIX is ./configure's --prefix.  Prints each file it installs.
#
#   packaging/install.sh PREFIX
#
# Layout (docs/guide.md):
#   bin/pdlc
#   lib/libpd.a lib/libpd_dpdk.a
#   lib/pkgconfig/libpd.pc lib/pkgconfig/libpd-dpdk.pc
#   lib/cmake/PDL/PDLConfig.cmake lib/cmake/PDL/PDLConfigVersion.cmake
#   include/pdl/*.h include/pdl/std/packet.pdl.h
#   share/pdl/idl/std/packet.pdl
#   share/man/man1/pdlc.1 share/man/man5/pdl.5
#   share/vim/vimfiles/{syntax,ftdetect}/pdl.vim
#   share/doc/pdl/{LICENSE,README.md,guide.md,pdl.md}
#
# Only static libraries: the proxies inline libpd's internal layouts into
# every program, so before 1.0 any release may change its binary interface;
# static linking keeps a program and its libpd in step, and a shared libpd
# would be no faster (docs/guide.md, "Linking").
set -eu

[ $# -eq 1 ] || { echo "usage: packaging/install.sh PREFIX" >&2; exit 2; }
prefix=$1
case "$prefix" in
/*) ;;
*) echo "install: PREFIX must be absolute, not '$prefix'" >&2; exit 2 ;;
esac
root="${DESTDIR:-}$prefix"
version=$(sed -n 's/^#define PDLC_VERSION "\(.*\)"$/\1/p' compiler/version.h)
[ -n "$version" ] || { echo "install: no PDLC_VERSION in compiler/version.h" >&2; exit 1; }

# put MODE FILE DIR [NAME]: installs FILE as ROOT/DIR/NAME (NAME: its own).
put() {
	dest="$root/$3/${4:-$(basename "$2")}"
	install -D -m "$1" "$2" "$dest"
	echo "install: ${dest#"${DESTDIR:-}"}"
}

# subst TEMPLATE DIR NAME: installs TEMPLATE with @VERSION@ filled in.
subst() {
	tmp=$(mktemp)
	sed "s/@VERSION@/$version/g" "$1" >"$tmp"
	put 644 "$tmp" "$2" "$3"
	rm -f "$tmp"
}

for f in build/pdlc build/libpd.a build/libpd_dpdk.a generated/std/packet.pdl.h; do
	[ -f "$f" ] || { echo "install: $f is missing: run ninja first" >&2; exit 1; }
done

put 755 build/pdlc bin
put 644 build/libpd.a lib
put 644 build/libpd_dpdk.a lib

# The public headers: all of runtime/ and runtime/dpdk/ but the internal
# ones, and the std module's generated header, which pd_std_stage.h includes
# as "std/packet.pdl.h".  One folder, include/pdl/, so that names such as
# pd.h cannot collide with others in /usr/include.
for h in runtime/*.h runtime/dpdk/*.h; do
	case "$h" in
	*_internal.h) ;;
	*) put 644 "$h" include/pdl ;;
	esac
done
for h in generated/std/*.pdl.h; do
	put 644 "$h" include/pdl/std
done
for f in idl/std/*.pdl; do
	put 644 "$f" share/pdl/idl/std
done

subst packaging/libpd.pc.in lib/pkgconfig libpd.pc
subst packaging/libpd-dpdk.pc.in lib/pkgconfig libpd-dpdk.pc
subst packaging/PDLConfig.cmake.in lib/cmake/PDL PDLConfig.cmake
subst packaging/PDLConfigVersion.cmake.in lib/cmake/PDL PDLConfigVersion.cmake

put 644 docs/man/pdlc.1 share/man/man1
put 644 docs/man/pdl.5 share/man/man5
put 644 packaging/vim/syntax/pdl.vim share/vim/vimfiles/syntax
put 644 packaging/vim/ftdetect/pdl.vim share/vim/vimfiles/ftdetect
for f in LICENSE README.md docs/guide.md docs/pdl.md; do
	put 644 "$f" share/doc/pdl
done
