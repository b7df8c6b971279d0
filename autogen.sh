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
# The packages are those of .ci/deps, profile `check` (the full set) or
# `minimal`; its deps_install does the installing, as for .ci/run and the
# portability matrix. On a fresh Debian 12 (minbase), with
# --no-install-recommends, the full set is 154 packages, 231 MB to download
# and 1051 MB installed; the minimal one is 61 packages, 64.5 MB and 282 MB
# (apt-get install -s).
set -eu
cd "$(dirname "$0")"

deps=yes
profile=check
case ${1-} in
--no-deps) deps=no; shift ;;
--minimal) profile=minimal; shift ;;
esac

# What building and installing the library from git needs (minimal): the
# build tools, the C compiler and scdoc for the man pages. Everything else
# make check uses (check): .ci/deps says what and why.
if [ "$profile" = minimal ]; then
	set -- --disable-tests "$@"
fi

if [ "$deps" = yes ]; then
	. ./.ci/deps
	deps_install autogen.sh "$profile" || exit 1
fi

autoreconf --force --install --warnings=all
./configure "$@"
make -j"$(nproc 2>/dev/null || echo 2)"
make -j"$(nproc 2>/dev/null || echo 2)" examples/minimal
./examples/minimal
