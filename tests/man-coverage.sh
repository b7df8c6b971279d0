#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every public name has a man page, and the pages hang together. TAP, one
# result per name, then one per rule:
#   - each function in lib/objlife.sym (objlife__* excepted: not API) is
#     the name of a page, docs/NAME.scd or a link docs/links/NAME.3;
#   - so is each function-like macro that <objlife.h> and
#     <objlife/cleanup.h> define (as the preprocessor sees them, so nothing
#     is missed); each object-like one, each kernel spelling that
#     OBJLIFE_SHORT_NAMES adds, each ready-made free class and guard, each
#     enum objlife_event value and each OBJLIFE_DEBUG word that
#     lib/options.c accepts is at least mentioned in the pages;
#   - a link page points to a page whose NAME section lists the link;
#   - every objlife page a page refers to, as name(section), exists;
#   - section 3 pages have NAME, SYNOPSIS, DESCRIPTION and SEE ALSO;
#   - docs/local.mk installs every page and link.
set -u
srcdir=${top_srcdir:-.}
CC=${CC:-cc}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
docs=$srcdir/docs

# Page names (NAME SECTION SOURCE), from the sources and the links.
: >"$tmp/pages"
for scd in "$docs"/*.scd; do
	head=$(sed -n 1p "$scd")
	sec=${head#*(}
	echo "${head%%(*} ${sec%%)*} $scd" >>"$tmp/pages"
done
for link in "$docs"/links/*.[37]; do
	[ -f "$link" ] || continue
	base=${link##*/}
	echo "${base%.*} ${base##*.} $link" >>"$tmp/pages"
done
cut -d' ' -f1 "$tmp/pages" | sort -u >"$tmp/names"

# The text of every page, with scdoc's escapes removed: what a reader sees.
cat "$docs"/*.scd | sed 's/\\//g' >"$tmp/text"

: >"$tmp/results"
result() {      # result OK|FAIL DESCRIPTION [DETAILS-FILE]
	printf '%s\t%s\n' "$1" "$2" >>"$tmp/results"
	if [ $# -gt 2 ] && [ -s "$3" ]; then
		sed 's/^/\t# /' "$3" >>"$tmp/results"
	fi
}
has_page() { grep -qx "$1" "$tmp/names"; }
mentioned() { grep -qw -- "$1" "$tmp/text"; }

# 1. Exported functions.
sed -e 's|/\*.*\*/||' -e '/\/\*/,/\*\//d' "$srcdir/lib/objlife.sym" |
	sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);.*/\1/p' |
	grep -v '^objlife__' | sort -u >"$tmp/symbols"
while read -r sym; do
	if has_page "$sym"; then
		result OK "symbol $sym has a man page"
	else
		result FAIL "symbol $sym (lib/objlife.sym) has no man page: add docs/$sym.scd or a link in docs/links"
	fi
done <"$tmp/symbols"

# 2. Macros, as the preprocessor defines them, without and with the
#    kernel's spellings. Include guards (*_H) and internal names are not API.
macros() {
	printf '#include <objlife/cleanup.h>\n' |
		$CC -E -dM "$@" -I"$srcdir/include" -x c - 2>"$tmp/cc-err" |
		sed -n 's/^#define \([A-Za-z_][A-Za-z0-9_]*\)\(.\).*/\1\2/p' | sort -u
}
macros >"$tmp/macros"
if [ ! -s "$tmp/macros" ]; then
	result FAIL "the headers preprocess with $CC" "$tmp/cc-err"
fi
macros -DOBJLIFE_SHORT_NAMES >"$tmp/macros-short"
public='^\(objlife_\|OBJLIFE_\)'
internal='^\(objlife__\|OBJLIFE__\)\|_H.$'
grep "$public" "$tmp/macros" | grep -v "$internal" | grep '($' | sed 's/.$//' >"$tmp/fn-macros"
grep "$public" "$tmp/macros" | grep -v "$internal" | grep -v '($' | sed 's/.$//' >"$tmp/obj-macros"
comm -13 "$tmp/macros" "$tmp/macros-short" | sed 's/.$//' |
	grep -vx 'OBJLIFE_SHORT_NAMES' >"$tmp/short-macros"
while read -r m; do
	if has_page "$m"; then
		result OK "macro $m has a man page"
	else
		result FAIL "macro $m has no man page: add docs/$m.scd or a link in docs/links"
	fi
done <"$tmp/fn-macros"
for list in obj-macros short-macros; do
	while read -r m; do
		if mentioned "$m"; then
			result OK "macro $m is documented"
		else
			result FAIL "macro $m is not mentioned in any man page"
		fi
	done <"$tmp/$list"
done
if [ ! -s "$tmp/short-macros" ]; then
	result FAIL "OBJLIFE_SHORT_NAMES defines the kernel's spellings"
fi

# 3. Ready-made free classes and guards, events, OBJLIFE_DEBUG words.
sed -n 's/^OBJLIFE_DEFINE_\(FREE\|GUARD\)(\([a-z_]*\),.*/\2/p;
	s/^OBJLIFE_DEFINE_GUARD_COND(\([a-z_]*\), *\([a-z_]*\),.*/\1\2/p' \
	"$srcdir/include/objlife/cleanup.h" | sort -u >"$tmp/ready"
grep -o 'OBJLIFE_EVENT_[A-Z_]*' "$srcdir/include/objlife.h" | sort -u >"$tmp/events"
sed 's/^OBJLIFE_EVENT_//' "$tmp/events" >"$tmp/event-words"
sed -n 's/^[[:space:]]*{ "\([a-z]*\)",.*/\1/p' "$srcdir/lib/options.c" >"$tmp/debug-words"
for list in ready events event-words debug-words; do
	: >"$tmp/missing"
	while read -r w; do
		mentioned "$w" || echo "$w" >>"$tmp/missing"
	done <"$tmp/$list"
	n=$(wc -l <"$tmp/$list")
	case $list in
	ready) what="ready-made free classes and guards of cleanup.h" ;;
	events) what="enum objlife_event values" ;;
	event-words) what="report event words" ;;
	debug-words) what="OBJLIFE_DEBUG words of lib/options.c" ;;
	esac
	if [ "$n" -eq 0 ]; then
		result FAIL "found no $what"
	elif [ -s "$tmp/missing" ]; then
		result FAIL "$what not mentioned in any man page:" "$tmp/missing"
	else
		result OK "all $n $what are documented"
	fi
done

# 4. Links point to a page that names them.
: >"$tmp/bad"
for link in "$docs"/links/*.[37]; do
	[ -f "$link" ] || continue
	base=${link##*/}
	target=$(sed -n 's|^\.so man[0-9]/\(.*\)\.[0-9]$|\1|p' "$link")
	scd=$docs/$target.scd
	if [ -z "$target" ] || [ ! -f "$scd" ]; then
		echo "$base: '$(cat "$link")' does not point to a page of docs/" >>"$tmp/bad"
	elif ! sed -n '/^# NAME/,/^# /p' "$scd" | sed 's/\\//g' | tr ',' ' ' |
		grep -qw -- "${base%.*}"; then
		echo "$base: the NAME section of $target does not list ${base%.*}" >>"$tmp/bad"
	fi
done
if [ -s "$tmp/bad" ]; then
	result FAIL "link pages point to pages that name them" "$tmp/bad"
else
	result OK "every link page points to a page that names it"
fi

# 5. Cross-references to objlife pages exist.
grep -o '\*\(objlife\|OBJLIFE\)[A-Za-z0-9_]*\*([0-9])' "$tmp/text" | tr -d '*' | sort -u |
	while read -r ref; do
		name=${ref%%(*}
		sec=${ref#*(}
		sec=${sec%)}
		grep -q "^$name $sec " "$tmp/pages" || echo "$ref"
	done >"$tmp/bad"
if [ -s "$tmp/bad" ]; then
	result FAIL "references to pages that do not exist" "$tmp/bad"
else
	result OK "every objlife page referred to exists"
fi

# 6. The sections of a library page.
: >"$tmp/bad"
for scd in "$docs"/*.scd; do
	sed -n 1p "$scd" | grep -q '(3)' || continue
	for s in NAME SYNOPSIS DESCRIPTION 'SEE ALSO'; do
		grep -qx "# $s" "$scd" || echo "${scd##*/}: no $s section" >>"$tmp/bad"
	done
done
if [ -s "$tmp/bad" ]; then
	result FAIL "section 3 pages have NAME, SYNOPSIS, DESCRIPTION, SEE ALSO" "$tmp/bad"
else
	result OK "section 3 pages have NAME, SYNOPSIS, DESCRIPTION and SEE ALSO"
fi

# 7. docs/local.mk installs every page and every link.
: >"$tmp/bad"
while read -r name sec src; do
	case $src in
	*.scd) file=docs/$name.$sec ;;
	*) file=docs/links/$name.$sec ;;
	esac
	grep -q "[[:space:]]$file\([[:space:]]\|$\)" "$srcdir/docs/local.mk" || echo "$file" >>"$tmp/bad"
done <"$tmp/pages"
if [ -s "$tmp/bad" ]; then
	result FAIL "docs/local.mk does not install:" "$tmp/bad"
else
	result OK "docs/local.mk installs all $(wc -l <"$tmp/pages") pages and links"
fi

echo "1..$(grep -c '^[A-Z]' "$tmp/results")"
awk -F '\t' '
	/^\t#/ { sub(/^\t/, ""); print; next }
	{ n++; print ($1 == "OK" ? "ok " : "not ok ") n " - " $2 }
' "$tmp/results"
