#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The ABI guard: the built libobjlife.so.0 against the committed baseline
# tests/abi/libobjlife.so.0.abi (libabigail's abidw, from the last release).
#
#   check.sh            TAP, for make check and make abi-check:
#     1. no ABI change but additions, by abidiff (its report is shown).
#        Added functions, types and trailing enumerators are fine; a
#        removed or changed function, or a changed struct objlife /
#        objlife_ops layout, is not, unless the soname moved (then the
#        baseline describes another library: regenerate it). What the
#        header inlines (the fast path's logic, not its types) is beyond
#        abidiff: a change there must move the soname by review;
#     2. released version nodes are append-only: every symbol the baseline
#        has is exported with the same version, and no symbol was added to
#        a node the baseline already has (new symbols go in a new node).
#   check.sh --update   writes the baseline from the built library
#                       (make abi-baseline), with the options that make it
#                       reproducible: no paths, no source locations.
#
# Needs abidw/abidiff (Debian: abigail-tools), objdump, readelf and nm
# (binutils). A missing tool fails the check with one line naming it and
# its package, as every check of make check does (README's "Testing").
# Without a shared library, or with one built without debug info (the
# default -g has it) or for another architecture than the baseline's,
# there is nothing to compare: the check is skipped and says why.
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
lib=$builddir/lib/.libs/libobjlife.so.0
baseline=$srcdir/tests/abi/libobjlife.so.0.abi

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

# The XML abidw writes, the same wherever the tree was built: no corpus
# path, no compilation directory, no source locations, public types only
# (those of include/) reachable from exported functions, type ids that
# depend on the types and not on their order, and translation units named
# by their base names.
dump() {
	abidw --no-corpus-path --no-comp-dir-path --no-show-locs --no-elf-needed \
		--exported-interfaces-only --type-id-style hash \
		--drop-private-types --headers-dir "$srcdir/include" "$lib" |
		sed "s|\(<abi-instr [^>]*path='\)[^']*/\([^'/]*'\)|\1\2|"
}

if [ "${1-}" = --update ]; then
	[ -f "$lib" ] || { echo "$lib: not built" >&2; exit 1; }
	command -v abidw >/dev/null 2>&1 || { echo "tests/abi/check.sh: abidw not found (Debian: apt-get install abigail-tools)" >&2; exit 1; }
	dump >"$baseline.tmp" && mv -f "$baseline.tmp" "$baseline" || exit 1
	echo "wrote $baseline: $(grep -c '<elf-symbol ' "$baseline") symbols," \
		"$(sed -n "s/.*soname='\([^']*\)'.*/\1/p" "$baseline" | head -n 1)"
	exit 0
fi

# missing TOOL PACKAGE: the check fails, naming both.
missing() {
	echo "1..1"
	echo "not ok 1 - tests/abi/check.sh: $1 not found (Debian: apt-get install $2)"
	exit 0
}
for tool in abidiff:abigail-tools objdump:binutils readelf:binutils nm:binutils; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || missing "${tool%%:*}" "${tool#*:}"
done
[ -f "$lib" ] || skip "$lib was not built (shared libraries disabled?)"
[ -f "$baseline" ] || skip "no baseline $baseline: make abi-baseline"
# The library's architecture, not the machine's: a -m32 build on x86-64
# is not comparable with an x86-64 baseline.
arch=$(sed -n "1,3s/.*architecture='\([^']*\)'.*/\1/p" "$baseline" | head -n 1)
format=$(objdump -f "$lib" 2>/dev/null | sed -n 's/.*file format \(.*\)$/\1/p' | head -n 1)
case $arch:$format in
elf-amd-x86_64:elf64-x86-64 | elf-arm-aarch64:elf64-littleaarch64 | elf-intel-80386:elf32-i386) ;;
*) skip "the baseline is for $arch, $lib is ${format:-unreadable}" ;;
esac
if ! readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info'; then
	skip "$lib has no debug info: build with -g to compare types"
fi

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
echo "1..2"

# 1. abidiff. Its exit status is a bit mask: 1 error, 2 usage error,
#    4 ABI change, 8 change that is incompatible for sure (a removed
#    function). A changed type (struct objlife growing, a member moving, a
#    parameter changing type) is only "4", so the comparison runs without
#    the additions, which are fine, and fails on anything that is left.
#    abidiff counts enumerators appended to an enum as harmless.
old_soname=$(sed -n "1,3s/.*soname='\([^']*\)'.*/\1/p" "$baseline" | head -n 1)
new_soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
abidiff --no-show-locs --no-added-syms "$baseline" "$lib" >"$tmp/diff" 2>&1
rc=$?
abidiff --no-show-locs "$baseline" "$lib" >"$tmp/all" 2>&1
rc_all=$?
if [ $((rc & 3)) -ne 0 ]; then
	echo "not ok 1 - abidiff failed to compare (exit $rc)"
	sed 's/^/# /' "$tmp/diff"
elif [ "$old_soname" != "$new_soname" ]; then
	echo "not ok 1 - the soname moved from $old_soname to $new_soname: run make abi-baseline and commit it"
elif [ $((rc & 12)) -ne 0 ]; then
	echo "not ok 1 - ABI change against $baseline without a soname bump"
	sed 's/^/# /' "$tmp/diff"
	echo "# An intended break moves the soname (configure.ac: current++, revision=0,"
	echo "# age=0), then make abi-baseline. See the README's Versioning."
elif [ $((rc_all & 4)) -ne 0 ]; then
	echo "ok 1 - $new_soname: compatible with the baseline (additions only)"
	sed 's/^/# /' "$tmp/all"
else
	echo "ok 1 - $new_soname: the same ABI as the baseline"
fi

# 2. Version nodes. symbol@@NODE (or @NODE) pairs, before and after.
sed -n "s/.*<elf-symbol name='\([^']*\)' version='\([^']*\)'.*/\1@\2/p" "$baseline" |
	sort -u >"$tmp/old"
nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' | sed 's/@@*/@/' |
	sort -u >"$tmp/new"
cut -d@ -f2 "$tmp/old" | sort -u >"$tmp/old-nodes"
: >"$tmp/bad"
comm -23 "$tmp/old" "$tmp/new" | sed 's/^/missing or moved: /' >>"$tmp/bad"
comm -13 "$tmp/old" "$tmp/new" | while read -r pair; do
	if grep -qx "${pair#*@}" "$tmp/old-nodes"; then
		echo "added to the released node ${pair#*@}: ${pair%@*} (add a new node that inherits it)"
	fi
done >>"$tmp/bad"
if [ ! -s "$tmp/old" ] || [ ! -s "$tmp/new" ]; then
	echo "not ok 2 - no versioned symbols read from $(test -s "$tmp/old" && echo "the library" || echo "$baseline")"
elif [ -s "$tmp/bad" ]; then
	echo "not ok 2 - released version nodes changed"
	sed 's/^/# /' "$tmp/bad"
	echo "# If $(sed 's/$/ /' "$tmp/old-nodes" | tr -d '\n')was never released, make abi-baseline."
else
	echo "ok 2 - released version nodes ($(tr '\n' ' ' <"$tmp/old-nodes" | sed 's/ $//')) are unchanged"
fi
