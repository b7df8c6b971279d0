#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds and runs programs against an INSTALLED libobjlife, the way its
# users do. `make installcheck` (and so `make distcheck`) calls it:
#
#   run.sh CONSUMER...
#
#   c                 tests/consumer/consumer.c, compiled with $CC and
#                     nothing but `pkg-config --cflags --libs objlife`
#   c++               tests/consumer/consumer.cc, the same with $CXX
#   cmake-config      the CMake project here, find_package(objlife CONFIG)
#                     through lib/cmake/objlife/objlifeConfig.cmake
#   cmake-pkg-config  the same project through pkg_check_modules(objlife)
#   meson             the Meson project here, dependency('objlife')
#
# Each one prints "consumer-NAME: ok" when it built and ran. A consumer
# whose build tool is missing fails with one line naming the tool and its
# Debian package, as every check does (README's "Testing"); to leave it
# out, say so (make installcheck CONSUMERS='c++ meson').
#
# The Makefile passes the installation through the environment: srcdir
# (this directory), prefix, libdir, pkgconfigdir, DESTDIR, CC, CFLAGS, CXX,
# CXXFLAGS, PKG_CONFIG, CMAKE, MESON, NINJA. Under a DESTDIR, the CMake and Meson
# consumers are skipped: the package configuration and objlife.pc hold the
# final paths, which are not where the files are.
set -u
: "${srcdir:?}" "${prefix:?}" "${libdir:?}" "${pkgconfigdir:?}"
DESTDIR=${DESTDIR-}
CC=${CC:-cc}
CFLAGS=${CFLAGS-}
CXX=${CXX:-c++}
CXXFLAGS=${CXXFLAGS-}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
CMAKE=${CMAKE:-cmake}
MESON=${MESON:-meson}
NINJA=${NINJA:-ninja}

srcdir=$(cd "$srcdir" && pwd)
work=$(pwd)/consumers.tmp
rm -rf "$work"
mkdir -p "$work"

PKG_CONFIG_PATH=$DESTDIR$pkgconfigdir
LD_LIBRARY_PATH=$DESTDIR$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PKG_CONFIG_PATH LD_LIBRARY_PATH

failed=0
fail() {        # fail NAME MESSAGE [LOG]
	echo "consumer-$1: FAILED: $2"
	if [ $# -gt 2 ] && [ -f "$3" ]; then
		tail -n 40 "$3" | sed "s/^/consumer-$1: | /"
	fi
	failed=$((failed + 1))
}
need() {        # need NAME TOOL PACKAGE
	command -v "$2" >/dev/null 2>&1 && return 0
	fail "$1" "$2 not found (Debian: apt-get install $3; or leave $1 out of CONSUMERS)"
	return 1
}
# run NAME PROGRAM: runs it and checks that it says "consumer-NAME: ok".
run() {
	out=$("$2" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ "$out" = "consumer-$1: ok" ]; then
		echo "$out"
	else
		fail "$1" "$2 exited with $rc and printed: $out"
	fi
}

for consumer in "$@"; do
	dir=$work/$consumer
	log=$work/$consumer.log
	mkdir -p "$dir"
	case $consumer in
	c | c++)
		if [ "$consumer" = c ]; then
			compiler=$CC cflags=$CFLAGS source=consumer.c package=gcc
		else
			compiler=$CXX cflags=$CXXFLAGS source=consumer.cc package=g++
		fi
		need "$consumer" "${compiler%% *}" "$package" || continue
		need "$consumer" "${PKG_CONFIG%% *}" pkg-config || continue
		# Exactly what users run; under a DESTDIR, the .pc file's own
		# location stands in for the prefix it names.
		if ! flags=$($PKG_CONFIG ${DESTDIR:+--define-prefix} --cflags --libs objlife 2>"$log"); then
			fail "$consumer" "pkg-config does not find objlife in $PKG_CONFIG_PATH" "$log"
			continue
		fi
		echo "consumer-$consumer: $compiler $source $flags"
		# shellcheck disable=SC2086 # flags are words
		if $compiler $cflags -Wall -Wextra -Werror -o "$dir/consumer" \
			"$srcdir/$source" $flags >"$log" 2>&1; then
			run "$consumer" "$dir/consumer"
		else
			fail "$consumer" "does not build" "$log"
		fi
		;;
	cmake-config | cmake-pkg-config)
		if [ -n "$DESTDIR" ]; then
			echo "consumer-$consumer: skipped under DESTDIR"
			continue
		fi
		need "$consumer" "$CMAKE" cmake || continue
		if [ "$consumer" = cmake-pkg-config ]; then
			need "$consumer" "${PKG_CONFIG%% *}" pkg-config || continue
		fi
		if "$CMAKE" -S "$srcdir" -B "$dir" -DOBJLIFE_FIND="${consumer#cmake-}" \
			-DCMAKE_PREFIX_PATH="$prefix" >"$log" 2>&1 &&
			"$CMAKE" --build "$dir" >>"$log" 2>&1; then
			grep '^-- objlife ' "$log" | sed "s/^-- /consumer-$consumer: found /"
			run "$consumer" "$dir/app"
		else
			fail "$consumer" "does not configure or build" "$log"
		fi
		;;
	meson)
		if [ -n "$DESTDIR" ]; then
			echo "consumer-meson: skipped under DESTDIR"
			continue
		fi
		need meson "$MESON" meson || continue
		need meson "$NINJA" ninja-build || continue
		need meson "${PKG_CONFIG%% *}" pkg-config || continue
		if "$MESON" setup "$dir" "$srcdir" >"$log" 2>&1 &&
			"$NINJA" -C "$dir" >>"$log" 2>&1; then
			grep 'Run-time dependency objlife found' "$log" |
				sed 's/^/consumer-meson: /'
			run meson "$dir/app"
		else
			fail meson "does not configure or build" "$log"
		fi
		;;
	*)
		fail "$consumer" "unknown consumer (c++, cmake-config, cmake-pkg-config, meson)"
		;;
	esac
done

if [ "$failed" -ne 0 ]; then
	echo "consumers: $failed failed; their build trees are in $work"
	exit 1
fi
rm -rf "$work"
