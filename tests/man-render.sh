#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every man page that `make install` installs, rendered the way a user reads
# it: `MANWIDTH=80 man --warnings -l PATH`, run from a directory that is not
# the man tree (a `.so` request would resolve against the current directory,
# which is why `make install` installs the other names of a page as symbolic
# links). One TAP result per page: it renders, groff and man print no
# warning, no line is wider than 80 columns, and the NAME section names the
# page (for a link, the name it was looked up by).
#
# The rendered pages come from the build tree, or from the source tree of a
# release tarball, which ships them, laid out in a man1/man3/man7 tree with the
# links made as `make install` makes them; with MANDIR set (make
# installcheck), the installed files themselves. Without man (man-db), the
# test fails with one line naming it and its package, as every check of
# make check does when its tool is missing (README's "Testing").
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}

if ! command -v man >/dev/null 2>&1; then
	echo "1..1"
	echo "not ok 1 - tests/man-render.sh: man not found (Debian: apt-get install man-db)"
	exit 0
fi
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/man1" "$tmp/man3" "$tmp/man7" "$tmp/elsewhere"
if [ -n "${MANDIR-}" ]; then
	case $MANDIR in
	/*) mandir=$MANDIR ;;
	*) mandir=$(pwd)/$MANDIR ;;
	esac
else
	mandir=$tmp
fi

# The pages: one per docs/*.scd (its first line is "name(section) ..."),
# plus the link pages of docs/links.
: >"$tmp/list"
for scd in "$srcdir"/docs/*.scd; do
	head=$(sed -n 1p "$scd")
	name=${head%%(*}
	sec=${head#*(}
	sec=${sec%%)*}
	if [ -z "${MANDIR-}" ]; then
		for file in "$builddir/docs/$name.$sec" "$srcdir/docs/$name.$sec"; do
			if [ -f "$file" ]; then
				cp "$file" "$tmp/man$sec/"
				break
			fi
		done
	fi
	echo "man$sec/$name.$sec $name" >>"$tmp/list"
done
for link in "$srcdir"/docs/links/*.[37]; do
	[ -f "$link" ] || continue
	base=${link##*/}
	sec=${base##*.}
	if [ -z "${MANDIR-}" ]; then
		target=$(sed -n 's|^\.so man[0-9]/||p' "$link")
		[ -n "$target" ] && ln -s "$target" "$tmp/man$sec/$base"
	elif [ -e "$MANDIR/man$sec/$base" ] && [ ! -L "$MANDIR/man$sec/$base" ]; then
		echo "man$sec/$base: installed as a file, not as a link" >>"$tmp/not-links"
	fi
	echo "man$sec/$base ${base%.*}" >>"$tmp/list"
done

echo "1..$(wc -l <"$tmp/list")"
i=0
while read -r page name; do
	i=$((i + 1))
	if [ -f "$tmp/not-links" ] && grep -q "^$page:" "$tmp/not-links"; then
		echo "not ok $i - $page: installed as a file, not as a symbolic link"
		continue
	fi
	if [ ! -f "$mandir/$page" ]; then
		if [ -n "${MANDIR-}" ]; then
			echo "not ok $i - $page: not installed in $MANDIR"
		else
			echo "not ok $i - $page: not built (is scdoc installed?)"
		fi
		continue
	fi
	# The C locale keeps the output ASCII, so that bytes are columns.
	(cd "$tmp/elsewhere" && LC_ALL=C MANWIDTH=80 MAN_KEEP_FORMATTING= \
		man --warnings -l "$mandir/$page" >"$tmp/out" 2>"$tmp/err")
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
