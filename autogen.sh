#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# From a fresh clone to a running example, in one command:
#
#   ./autogen.sh            install missing build dependencies (Debian:
#                           apt-get as root, through sudo otherwise; elsewhere
#                           it prints what to install), generate configure,
#                           configure, build, and run examples/minimal
#   ./autogen.sh --no-deps  the same without looking for packages
#   ./autogen.sh --minimal  install only what building and installing the
#                           library needs (no GLib, no second compiler, no
#                           bindings' toolchains, no libdw) and configure
#                           with --disable-tests; `make check-glib-free`
#                           then runs the tests that need nothing more
#
# Extra arguments after the option go to ./configure. Then `make check`
# runs every test (after the full set of packages only).
#
# On a fresh Debian 12 (minbase), with --no-install-recommends, the full
# set is 154 packages, 231 MB to download and 1051 MB installed; the
# minimal one is 61 packages, 64.5 MB and 282 MB (apt-get install -s).
set -eu
cd "$(dirname "$0")"

deps=yes
minimal=no
case ${1-} in
--no-deps) deps=no; shift ;;
--minimal) minimal=yes; shift ;;
esac

# Debian 12 package names. What building and installing the library from
# git needs: the build tools, the C compiler and scdoc for the man pages.
packages_minimal="autoconf automake libtool pkg-config autoconf-archive make gcc scdoc"
# Everything else make check uses: the test framework (GLib), the compilers
# the compile checks use (clang and python3 also run objlife-lint), what the bindings' tests run on, the man pages'
# renderer, the consumers' build systems and the ABI checker; libdw for
# symbolised leak reports, and libbz2-dev because libdw's pkg-config file
# names -lbz2 for static links (so objlife's does) while Debian's libdw-dev
# does not pull it in.
packages="$packages_minimal g++ clang libglib2.0-dev python3 cargo rustc man-db cmake meson
ninja-build abigail-tools libdw-dev libbz2-dev"
if [ "$minimal" = yes ]; then
	packages=$packages_minimal
	set -- --disable-tests "$@"
fi

missing_packages() {
	command -v dpkg-query >/dev/null 2>&1 || { echo "$packages"; return; }
	for p in $packages; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			printf '%s ' "$p"
	done
}

if [ "$deps" = yes ]; then
	missing=$(missing_packages)
	if [ -n "$missing" ]; then
		if ! command -v apt-get >/dev/null 2>&1; then
			echo "autogen.sh: please install the equivalents of: $missing" >&2
			exit 1
		fi
		if [ "$(id -u)" = 0 ]; then
			sudo=
		elif command -v sudo >/dev/null 2>&1; then
			sudo=sudo
		else
			echo "autogen.sh: not root and no sudo; please install: $missing" >&2
			exit 1
		fi
		echo "autogen.sh: installing $missing"
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		# shellcheck disable=SC2086 # a list of words
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
	fi
fi

autoreconf --force --install --warnings=all
./configure "$@"
make -j"$(nproc 2>/dev/null || echo 2)"
make -j"$(nproc 2>/dev/null || echo 2)" examples/minimal
./examples/minimal
