#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs each program in $EXAMPLES and checks its exit status and, where
# tests/examples/NAME.expected exists, its standard output. One TAP result
# per example.
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
set -- $EXAMPLES
echo "1..$#"
i=0
for ex in "$@"; do
	i=$((i + 1))
	name=$(basename "$ex")
	out=$("$builddir/$ex" 2>&1)
	rc=$?
	expected="$srcdir/tests/examples/$name.expected"
	if [ $rc -ne 0 ]; then
		echo "not ok $i - $ex exited with $rc"
		printf '%s\n' "$out" | sed 's/^/# /'
	elif [ -f "$expected" ] && [ "$out" != "$(cat "$expected")" ]; then
		echo "not ok $i - $ex: output differs from $expected"
		printf '%s\n' "$out" | sed 's/^/# /'
	else
		echo "ok $i - $ex"
	fi
done
