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
#
# Extra arguments after the options go to ./configure. Then `make check`
# runs every test.
set -eu
cd "$(dirname "$0")"

deps=yes
case ${1-} in
--no-deps) deps=no; shift ;;
esac

# Debian 12 package names: the build tools, the test framework (GLib), the
# compilers the compile checks use, what the bindings' tests run on, the man
# pages' tools, the consumers' build systems and the ABI checker.
packages="autoconf automake libtool pkg-config autoconf-archive make gcc g++ clang libglib2.0-dev
python3 cargo rustc scdoc man-db cmake meson ninja-build abigail-tools libdw-dev"

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
