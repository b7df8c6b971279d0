#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs each program in $EXAMPLES and checks its exit status and, where
# tests/examples/NAME.expected exists, its standard output. One TAP result
# per example, plus one that the README's first C block is
# examples/minimal.c, so the two cannot drift apart.
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

set -- $EXAMPLES
echo "1..$(($# + 1))"
i=0
for ex in "$@"; do
	i=$((i + 1))
	name=$(basename "$ex")
	"$builddir/$ex" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	expected="$srcdir/tests/examples/$name.expected"
	if [ $rc -ne 0 ]; then
		echo "not ok $i - $ex exited with $rc"
		sed 's/^/# /' "$tmp/out" "$tmp/err"
	elif [ -f "$expected" ] && ! cmp -s "$tmp/out" "$expected"; then
		echo "not ok $i - $ex: output differs from $expected"
		diff "$expected" "$tmp/out" | sed 's/^/# /'
	else
		echo "ok $i - $ex"
	fi
done

i=$((i + 1))
sed -n '/^```c$/,/^```$/p' "$srcdir/README.md" | sed '1d;$d' | sed '/^```/,$d' >"$tmp/readme.c"
if cmp -s "$tmp/readme.c" "$srcdir/examples/minimal.c"; then
	echo "ok $i - README.md's example is examples/minimal.c"
else
	echo "not ok $i - README.md's example differs from examples/minimal.c"
	diff "$srcdir/examples/minimal.c" "$tmp/readme.c" | sed 's/^/# /'
fi
