#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Kernel code on <objlife/cleanup.h>: builds tests/kernel-style/ (kernel
# stubs, the kernel's own kind of guard and class definitions, functions
# written as kernel code is written, and the cases that run them) with gcc
# and with clang, unoptimised and optimised, at -Wall -Wextra -Werror, and
# runs each build. One TAP result per case and build, and one per build
# that must compile. A compiler that is not installed is a failure, as for
# every check of make check (README's "Testing"): its builds fail with one
# line naming it and its Debian package.

set -u
srcdir=${top_srcdir:-.}
dir=$srcdir/tests/kernel-style
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

i=0
for cc in gcc clang; do
	for opt in -O0 -O2; do
		build="$cc $opt"
		i=$((i + 1))
		if ! command -v "$cc" >/dev/null 2>&1; then
			echo "not ok $i - kernel-style code builds [$build]: $cc not found (Debian: apt-get install $cc)"
			continue
		fi
		if ! "$cc" -std=gnu11 $opt -Wall -Wextra -Werror -I"$srcdir/include" \
			"$dir/linux.c" "$dir/drivers.c" "$dir/test-kernel-style.c" \
			-o "$tmp/kstyle" >"$tmp/log" 2>&1; then
			echo "not ok $i - kernel-style code builds [$build]"
			sed 's/^/# /' "$tmp/log"
			continue
		fi
		echo "ok $i - kernel-style code builds [$build]"
		"$tmp/kstyle" >"$tmp/out" 2>&1
		rc=$?
		# Renumber the program's results into this one sequence.
		while IFS= read -r line; do
			case $line in
			"ok "*|"not ok "*)
				i=$((i + 1))
				status=${line%%ok *}ok
				name=${line#* - }
				echo "$status $i - $name [$build]" ;;
			1..*) ;;
			*) echo "$line" ;;
			esac
		done <"$tmp/out"
		if [ $rc -ne 0 ] && ! grep -q '^not ok' "$tmp/out"; then
			i=$((i + 1))
			echo "not ok $i - the [$build] run exited with $rc"
		fi
	done
done
echo "1..$i"
