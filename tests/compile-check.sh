#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Compiles each snippet in $COMPILE_TESTS and checks that it compiles, or
# fails to compile for the stated reason. One TAP result per snippet and
# compiler. A snippet states its expectations in its first comment:
#
#   expect: pass | fail
#   compilers: gcc clang           (C: gcc clang; C++: g++ clang++)
#   cflags: -std=c99 -pedantic ...   (several cflags lines: one case each)
#   error: an extended regex the compiler's output must match on "fail",
#          so that a snippet cannot pass by failing for another reason
#
# A compiler that is not installed is a failure, not a skip, as for every
# check of make check (README's "Testing"): each of its cases fails with
# one line naming the compiler and its Debian package.

set -u
srcdir=${top_srcdir:-.}

# package_of COMPILER: the Debian package that provides it.
package_of() {
	case $1 in
	clang | clang++) echo clang ;;
	*) echo "$1" ;;
	esac
}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

fields() { # fields NAME FILE -> every value of "NAME:" in the first comment
	sed -n "1,/\*\//s/^[ /*]*$1:[ ]*//p" "$2"
}
field() { # field NAME FILE -> the first one
	fields "$1" "$2" | head -n 1
}

i=0
for t in $COMPILE_TESTS; do
	f=$srcdir/$t
	expect=$(field expect "$f")
	all_cflags=$(fields cflags "$f")
	[ -n "$all_cflags" ] || all_cflags=' '
	error=$(field error "$f")
	while IFS= read -r cflags; do
	for cc in $(field compilers "$f"); do
		i=$((i + 1))
		name="$t [$cc $cflags] must ${expect}"
		if ! command -v "$cc" >/dev/null 2>&1; then
			echo "not ok $i - $name: $cc not found (Debian: apt-get install $(package_of "$cc"))"
			continue
		fi
		# shellcheck disable=SC2086 # cflags are words on purpose
		"$cc" $cflags -I"$srcdir/include" -I"$srcdir/bindings/cxx" -c "$f" -o "$tmp/out.o" >"$tmp/log" 2>&1
		rc=$?
		case $expect in
		pass)
			if [ $rc -eq 0 ]; then
				echo "ok $i - $name"
			else
				echo "not ok $i - $name"
				sed 's/^/# /' "$tmp/log"
			fi ;;
		fail)
			if [ $rc -eq 0 ]; then
				echo "not ok $i - $name (it compiled)"
			elif [ -z "$error" ]; then
				echo "not ok $i - $name: a failing snippet needs an 'error:' line"
			elif ! grep -Eq -- "$error" "$tmp/log"; then
				echo "not ok $i - $name (failed, but not with /$error/)"
				sed 's/^/# /' "$tmp/log"
			else
				echo "ok $i - $name"
			fi ;;
		*)
			echo "not ok $i - $t: no 'expect: pass|fail' line" ;;
		esac
	done
	done <<CFLAGS
$all_cflags
CFLAGS
done
# The plan last: the cases were counted as they ran.
echo "1..$i"
