#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every man page that `make install` installs, rendered the way a user reads
# it: `MANWIDTH=80 man --warnings -l` in a man3/man7 tree laid out as the
# installed one (so that the `.so man3/...` link pages resolve). One TAP
# result per page: it renders, groff and man print no warning, no line is
# wider than 80 columns, and the NAME section names the page (for a link,
# the name it was looked up by).
#
# The rendered pages come from the build tree, or from the source tree of a
# release tarball, which ships them; with MANDIR set (make installcheck),
# from MANDIR/man3 and MANDIR/man7, as installed. Without man (man-db), the
# whole test is skipped.
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}

if ! command -v man >/dev/null 2>&1; then
	echo "1..0 # SKIP man is not installed (Debian: apt-get install man-db)"
	exit 0
fi
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/man3" "$tmp/man7"

# The pages: one per docs/*.scd (its first line is "name(section) ..."),
# plus the link pages of docs/links.
: >"$tmp/list"
for scd in "$srcdir"/docs/*.scd; do
	head=$(sed -n 1p "$scd")
	name=${head%%(*}
	sec=${head#*(}
	sec=${sec%%)*}
	if [ -n "${MANDIR-}" ]; then
		set -- "$MANDIR/man$sec/$name.$sec"
	else
		set -- "$builddir/docs/$name.$sec" "$srcdir/docs/$name.$sec"
	fi
	for file in "$@"; do
		if [ -f "$file" ]; then
			cp "$file" "$tmp/man$sec/"
			break
		fi
	done
	echo "man$sec/$name.$sec $name" >>"$tmp/list"
done
for link in "$srcdir"/docs/links/*.[37]; do
	[ -f "$link" ] || continue
	base=${link##*/}
	sec=${base##*.}
	if [ -n "${MANDIR-}" ]; then
		link=$MANDIR/man$sec/$base
	fi
	[ -f "$link" ] && cp "$link" "$tmp/man$sec/"
	echo "man${base##*.}/$base ${base%.*}" >>"$tmp/list"
done

echo "1..$(wc -l <"$tmp/list")"
i=0
while read -r page name; do
	i=$((i + 1))
	if [ ! -f "$tmp/$page" ]; then
		echo "not ok $i - $page: not ${MANDIR:+installed}${MANDIR:-built (is scdoc installed?)}"
		continue
	fi
	# The C locale keeps the output ASCII, so that bytes are columns.
	(cd "$tmp" && LC_ALL=C MANWIDTH=80 MAN_KEEP_FORMATTING= \
		man --warnings -l "$page" >"$tmp/out" 2>"$tmp/err")
	rc=$?
	wide=$(awk 'length($0) > 80 { n++ } END { print n + 0 }' "$tmp/out")
	# The NAME section: from its heading to the next heading.
	named=$(sed -n '/^NAME/,/^[A-Z]/p' "$tmp/out" | sed '1d;$d' |
		tr ',' ' ' | grep -Ec "(^|[[:space:]])$name([[:space:]]|$)")
	if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
		echo "not ok $i - $page: man exited with $rc, or warned"
		sed 's/^/# /' "$tmp/err"
	elif [ ! -s "$tmp/out" ]; then
		echo "not ok $i - $page: renders as nothing"
	elif [ "$wide" -ne 0 ]; then
		echo "not ok $i - $page: $wide lines wider than 80 columns"
		awk 'length($0) > 80 { print "# " $0 }' "$tmp/out"
	elif [ "$named" -eq 0 ]; then
		echo "not ok $i - $page: its NAME section does not name $name"
		sed -n '/^NAME/,/^[A-Z]/p' "$tmp/out" | sed 's/^/# /'
	else
		echo "ok $i - $page renders at 80 columns without warnings"
	fi
done <"$tmp/list"
