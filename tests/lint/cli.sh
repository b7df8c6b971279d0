#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# objlife-lint's command line (objlife-lint(1)): the form of its lines, its
# exit status, the ignore comments, --list-rules, and where it takes the
# compiler flags from (after --, or -p and compile_commands.json). TAP, one
# result per behaviour.
set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
lint=$builddir/tools/objlife-lint
case $lint in /*) ;; *) lint=$(pwd)/$lint ;; esac
inc=$srcdir/include
case $inc in /*) ;; *) inc=$(pwd)/$inc ;; esac
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 99

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	for f in out err; do [ -s "$f" ] && sed "s/^/# $f: /" "$f"; done
}
# run COMMAND...: runs it with its output in out and err, its exit status
# in status (read back by status).
run() { "$@" >out 2>err; echo $? >status; }
status() { cat status; }

# A file with one finding of objlife-cleanup-uninitialized, on line 5.
cat >uninit.c <<'C'
#include <objlife/cleanup.h>
int f(void);
int f(void)
{
	char *p objlife_auto(free);
	return 0;
}
C

run "$lint" --list-rules
rules=$(cut -d: -f1 out | tr '\n' ' ')
if [ "$(status)" = 0 ] && [ "$rules" = "objlife-free-before-guard objlife-goto-with-cleanup objlife-guard-in-case objlife-free-of-object objlife-cleanup-uninitialized objlife-use-after-put " ] &&
	! grep -qv '^objlife-[a-z-]*: [A-Za-z].*\.$' out; then
	ok "--list-rules prints the six rules, each with a sentence of why"
else
	not_ok "--list-rules prints the six rules, each with a sentence of why"
fi

run "$lint" uninit.c -- -I"$inc"
if [ "$(status)" = 1 ] && [ "$(wc -l <out)" = 1 ] &&
	grep -q '^uninit\.c:5:8: warning: .* \[objlife-cleanup-uninitialized\]$' out; then
	ok "a finding is one line FILE:LINE:COL: warning: MESSAGE [RULE], and the exit status is 1"
else
	not_ok "a finding is one line FILE:LINE:COL: warning: MESSAGE [RULE], and the exit status is 1"
fi

cat >clean.c <<'C'
#include <objlife/cleanup.h>
int f(void);
int f(void)
{
	char *p objlife_auto(free) = malloc(1);
	return p != 0;
}
C
run "$lint" clean.c -- -I"$inc"
if [ "$(status)" = 0 ] && [ ! -s out ] && [ ! -s err ]; then
	ok "a clean file prints nothing and exits with 0"
else
	not_ok "a clean file prints nothing and exits with 0"
fi

printf 'int f(void) { return 1 +; }\n' >broken.c
run "$lint" broken.c
if [ "$(status)" = 2 ] && grep -q '^broken\.c: error: ' err && grep -q '^broken\.c:1:[0-9]*: error: expected expression' err; then
	ok "a file that does not parse exits with 2, and the error names the file and clang's error"
else
	not_ok "a file that does not parse exits with 2, and the error names the file and clang's error"
fi

printf '#include "no-such-header.h"\nint x;\n' >noinc.c
run "$lint" noinc.c
if [ "$(status)" = 2 ] && grep -q "no-such-header\.h" err; then
	ok "a missing include exits with 2, naming the header"
else
	not_ok "a missing include exits with 2, naming the header"
fi

run "$lint" uninit.c broken.c -- -I"$inc"
if [ "$(status)" = 2 ] && grep -q '^uninit\.c:5:' out; then
	ok "a file that cannot be checked makes the status 2, and the others are still checked"
else
	not_ok "a file that cannot be checked makes the status 2, and the others are still checked"
fi

run "$lint" no-such-file.c
if [ "$(status)" = 2 ] && grep -q '^no-such-file\.c: error: .*no such file' err; then
	ok "a file that does not exist exits with 2, naming it"
else
	not_ok "a file that does not exist exits with 2, naming it"
fi

sed 's|objlife_auto(free);|objlife_auto(free); /* objlife-lint: ignore objlife-cleanup-uninitialized: set on every path */|' uninit.c >same-line.c
run "$lint" same-line.c -- -I"$inc"
if [ "$(status)" = 0 ] && [ ! -s out ]; then
	ok "an ignore comment on the finding's line silences its rule"
else
	not_ok "an ignore comment on the finding's line silences its rule"
fi

sed 's|^\tchar \*p objlife_auto(free);|\t/* objlife-lint: ignore objlife-cleanup-uninitialized: set on every path */\n&|' uninit.c >line-before.c
run "$lint" line-before.c -- -I"$inc"
if [ "$(status)" = 0 ] && [ ! -s out ]; then
	ok "an ignore comment on the line before the finding silences its rule"
else
	not_ok "an ignore comment on the line before the finding silences its rule"
fi

sed 's|objlife_auto(free);|objlife_auto(free); /* objlife-lint: ignore objlife-guard-in-case */|' uninit.c >other-rule.c
run "$lint" other-rule.c -- -I"$inc"
if [ "$(status)" = 1 ] && grep -q '\[objlife-cleanup-uninitialized\]' out; then
	ok "an ignore comment naming another rule silences nothing"
else
	not_ok "an ignore comment naming another rule silences nothing"
fi

# Compiles only with -DWANTED and the include path: the flags are used.
{ printf '#ifndef WANTED\n#error WANTED is not defined\n#endif\n'; cat uninit.c; } >flags.c
run "$lint" flags.c -- -I"$inc" -DWANTED
if [ "$(status)" = 1 ] && grep -q '^flags\.c:8:8: warning: .*\[objlife-cleanup-uninitialized\]' out; then
	ok "the flags after -- are those the file is compiled with"
else
	not_ok "the flags after -- are those the file is compiled with"
fi

run "$lint" flags.c -- -I"$inc" -DWANTED -fconserve-stack
if [ "$(status)" = 1 ] && grep -q '^flags\.c:8:8: warning: .*\[objlife-cleanup-uninitialized\]' out; then
	ok "flags that only GCC knows are left out, not an error"
else
	not_ok "flags that only GCC knows are left out, not an error"
fi

mkdir build
cat >build/compile_commands.json <<JSON
[
  { "directory": "$tmp/build", "file": "../flags.c",
    "arguments": ["cc", "-I$inc", "-DWANTED", "-c", "-o", "flags.o", "../flags.c"] },
  { "directory": "$tmp/build", "file": "$tmp/uninit.c",
    "command": "cc -I$inc -MD -MF uninit.d -c $tmp/uninit.c -o uninit.o" }
]
JSON
run "$lint" -p build flags.c uninit.c
if [ "$(status)" = 1 ] && grep -q '^flags\.c:8:8: .*\[objlife-cleanup-uninitialized\]' out &&
	grep -q '^uninit\.c:5:8: .*\[objlife-cleanup-uninitialized\]' out; then
	ok "-p BUILD-DIR takes each file's flags from its compile_commands.json (arguments or command)"
else
	not_ok "-p BUILD-DIR takes each file's flags from its compile_commands.json (arguments or command)"
fi

run "$lint" -p build clean.c
if [ "$(status)" = 2 ] && grep -q '^clean\.c: error: .*not in .*compile_commands\.json' err; then
	ok "with -p, a file the database does not list exits with 2, saying so"
else
	not_ok "with -p, a file the database does not list exits with 2, saying so"
fi

echo "1..$n"
