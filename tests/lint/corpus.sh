#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# objlife-lint over its corpus, tests/lint/*.c. Each file is one behaviour:
# its first line is a comment that says what the checker does with it, and
# the lines where it must report carry a marker comment:
#   expect: RULE     a warning of RULE on this line
#   expect-note      a note on this line
# A file without markers must be reported clean. One TAP result per file:
# the findings are exactly the marked ones, at those lines. The corpus is
# checked in one run, with the flags it would be compiled with.
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
lint=$builddir/tools/objlife-lint
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

files=$(ls "$srcdir"/tests/lint/*.c)
# shellcheck disable=SC2086 # a list of paths without blanks
"$lint" $files -- -I"$srcdir/include" -I"$srcdir/tests/lint" -D_GNU_SOURCE >"$tmp/out" 2>"$tmp/err"
rc=$?

n=$(echo "$files" | wc -l)
echo "1..$((n + 2))"
i=0
any=no
for f in $files; do
	i=$((i + 1))
	what=$(sed -n '1s|^/\* *\(.*\) \*/$|\1|p' "$f")
	[ -n "$what" ] || what="${f##*/} (no first-line comment)"
	awk '{
		if (match($0, /expect: [a-z-]+/)) print NR, substr($0, RSTART + 8, RLENGTH - 8)
		if (index($0, "expect-note")) print NR, "note"
	}' "$f" | sort >"$tmp/expected"
	grep -F "$f:" "$tmp/out" | awk -F: '
		/: warning: / { n = split($0, w, "["); r = w[n]; sub(/\].*/, "", r); print $2, r; next }
		/: note: / { print $2, "note" }' | sort >"$tmp/actual"
	[ -s "$tmp/expected" ] && any=yes
	if grep -F "$f:" "$tmp/err" >"$tmp/errors"; then
		echo "not ok $i - $what: could not be checked"
		sed 's/^/# /' "$tmp/errors"
	elif cmp -s "$tmp/expected" "$tmp/actual"; then
		echo "ok $i - $what"
	else
		echo "not ok $i - $what"
		echo "# expected (line rule):"
		sed 's/^/#   /' "$tmp/expected"
		echo "# reported:"
		grep -F "$f:" "$tmp/out" | sed 's/^/#   /'
	fi
done
i=$((i + 1))
want=0
[ "$any" = yes ] && want=1
if [ "$rc" -eq "$want" ]; then
	echo "ok $i - the exit status is $want when some file of the corpus has findings"
else
	echo "not ok $i - the exit status is $rc, not $want"
	sed 's/^/# /' "$tmp/err"
fi
i=$((i + 1))
: >"$tmp/unlisted"
for f in $files; do
	grep -q "[[:space:]]tests/lint/${f##*/}\([[:space:]]\|$\)" "$srcdir/tools/local.mk" ||
		echo "tests/lint/${f##*/}" >>"$tmp/unlisted"
done
if [ -s "$tmp/unlisted" ]; then
	echo "not ok $i - tools/local.mk's LINT_CORPUS lists every file of the corpus (for the tarball)"
	sed 's/^/# not listed: /' "$tmp/unlisted"
else
	echo "ok $i - tools/local.mk's LINT_CORPUS lists every file of the corpus (for the tarball)"
fi
