#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What the built libobjlife.so.0 exports and needs, checked against what
# the sources promise:
#   1. it exports exactly the symbols lib/objlife.sym names, each with a
#      version, and nothing else (no leaked internal ol_* helpers);
#   2. every function objlife.h declares with OBJLIFE_API is exported, even
#      those the header inlines (bindings call them by name);
#   3. it needs only libc, the thread library and, optionally, the
#      unwinder configure chose: never GLib. (A sanitizer build adds the
#      sanitizer's runtime, which is allowed too.)
#   4. it is marked never to be unloaded (FLAGS_1 NODELETE): threads that
#      used it run its thread-specific data destructors when they exit,
#      even after a dlclose() of the plugin that loaded it.
# Needs nm, objdump and readelf (binutils): a missing one fails the check
# with one line naming it and its package, as for every check of make
# check (README's "Testing").
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
lib=$builddir/lib/.libs/libobjlife.so.0
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

for tool in nm objdump readelf; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..1"
		echo "not ok 1 - tests/symbols.sh: $tool not found (Debian: apt-get install binutils)"
		exit 0
	fi
done

echo "1..5"
if [ ! -f "$lib" ]; then
	echo "Bail out! $lib was not built"
	exit 0
fi

# Symbols named in the version script's global sections.
sed -e 's|/\*.*\*/||' -e '/\/\*/,/\*\//d' "$srcdir/lib/objlife.sym" |
	grep -E '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*;' | tr -d ' \t;' | sort -u >"$tmp/sym"
# Defined dynamic symbols, with their versions.
nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' | sort -u >"$tmp/exported"
sed 's/@.*//' "$tmp/exported" | sort -u >"$tmp/names"

if cmp -s "$tmp/sym" "$tmp/names"; then
	echo "ok 1 - exports exactly lib/objlife.sym ($(wc -l <"$tmp/sym") symbols)"
else
	echo "not ok 1 - exports differ from lib/objlife.sym (< sym, > exported)"
	diff "$tmp/sym" "$tmp/names" | sed 's/^/# /'
fi

if grep -v '@@\?OBJLIFE_[0-9]' "$tmp/exported" >"$tmp/unversioned"; then
	echo "not ok 2 - unversioned exports"
	sed 's/^/# /' "$tmp/unversioned"
else
	echo "ok 2 - every export carries an OBJLIFE_* version"
fi

# OBJLIFE_API declarations: the name before the first '(' of the line.
sed -n 's/^OBJLIFE_API[^(]*[ *]\([a-z_][a-z0-9_]*\)(.*/\1/p' "$srcdir/include/objlife.h" "$srcdir/include/objlife/inline.h" |
	sort -u >"$tmp/declared"
missing=$(comm -23 "$tmp/declared" "$tmp/names")
if [ -s "$tmp/declared" ] && [ -z "$missing" ]; then
	echo "ok 3 - all $(wc -l <"$tmp/declared") functions of objlife.h are exported"
else
	echo "not ok 3 - declared in objlife.h but not exported: ${missing:-(no declarations found)}"
fi

needed=$(objdump -p "$lib" | awk '$1 == "NEEDED" { print $2 }')
bad=$(printf '%s\n' "$needed" |
	grep -Ev '^(libc\.so|libpthread\.so|ld-linux.*\.so|ld-musl.*|libdw\.so|libelf\.so|libunwind.*\.so|libdl\.so)' |
	grep -Ev '^(libasan|libubsan|libtsan|liblsan|libgcc_s)\.so' || true)
if [ -z "$needed" ]; then
	echo "not ok 4 - objdump -p listed no NEEDED entry (libc at least is expected)"
elif [ -z "$bad" ]; then
	echo "ok 4 - needs only libc, threads and the unwinder: $(echo $needed)"
else
	echo "not ok 4 - needs more than libc, threads and the unwinder: $bad"
fi

if readelf -d "$lib" 2>/dev/null | grep -E 'FLAGS_1.*NODELETE' >/dev/null; then
	echo "ok 5 - marked NODELETE: never unmapped by a dlclose()"
else
	echo "not ok 5 - no FLAGS_1 NODELETE in readelf -d (linked without -z nodelete?)"
fi
