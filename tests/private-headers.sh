#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every private header of the library (lib/*.h, lib/diag/*.h) compiles on
# its own, included first and twice, with the library's warnings made
# errors: each subsystem's header includes what it uses, so that a file
# may include only the headers of the subsystems it calls.
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
cc=${CC:-cc}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

headers=$(cd "$srcdir" && ls lib/*.h lib/diag/*.h)
echo "1..$(echo "$headers" | wc -l)"
i=0
for h in $headers; do
	i=$((i + 1))
	printf '#include "%s"\n#include "%s"\n' "$h" "$h" >"$tmp/one.c"
	if $cc -fsyntax-only -DHAVE_CONFIG_H -DOBJLIFE_BUILDING_LIBRARY -I"$builddir" \
		-I"$builddir/lib" -I"$srcdir" -I"$srcdir/lib" -I"$srcdir/include" \
		-Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes \
		"$tmp/one.c" >"$tmp/out" 2>&1; then
		echo "ok $i - $h compiles on its own"
	else
		echo "not ok $i - $h compiles on its own"
		sed 's/^/# /' "$tmp/out"
	fi
done
