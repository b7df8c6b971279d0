#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs the Rust binding's tests (cargo test --offline) against the library
# just built and prints TAP: one result per "test NAME ... ok|FAILED" line
# of every test binary and of the doc tests. A build that fails, or a cargo
# that fails without naming a failed test (a crash, a link error), is one
# more failed result, so the run cannot pass by running nothing.
#
# The build goes into the build tree (make distcheck's source tree is
# read-only) and links the fresh lib/.libs. $CARGO names cargo (default:
# cargo from PATH). A missing cargo (or, for a sanitizer run, rustc) is a
# failure with one line naming it and its Debian package, not a skip, as
# for every check of make check (README's "Testing"). configure
# --disable-binding-tests leaves this check out of make check instead.

set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
abs_srcdir=$(cd "$srcdir" && pwd) || exit 99
abs_builddir=$(cd "$builddir" && pwd) || exit 99
cargo=${CARGO:-cargo}

# missing TOOL PACKAGE: the check fails, naming both.
missing() {
	echo "1..1"
	echo "not ok 1 - tests/bindings/cargo.sh: $1 not found (Debian: apt-get install $2)"
	exit 0
}
command -v "$cargo" >/dev/null 2>&1 || missing "$cargo" cargo
if [ -n "${OBJLIFE_TEST_PRELOAD:-}" ]; then
	command -v rustc >/dev/null 2>&1 || missing rustc rustc
fi

CARGO_TARGET_DIR=$abs_builddir/bindings/rust/target
OBJLIFE_LIB_DIR=$abs_builddir/lib/.libs
LD_LIBRARY_PATH=$OBJLIFE_LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export CARGO_TARGET_DIR OBJLIFE_LIB_DIR LD_LIBRARY_PATH

log=$(mktemp) || exit 99
trap 'rm -f "$log"' EXIT

# Against a sanitizer build of the library (CI's ASan run; under TSan the
# bindings' tests are configured out), the test binaries need the
# sanitizer's runtime loaded first: CI names it in $OBJLIFE_TEST_PRELOAD
# and cargo's target runner preloads it. The doc
# tests are left to the plain run there: rustdoc itself, an uninstrumented
# program, does not survive a preloaded sanitizer runtime.
set -- test --offline --locked --manifest-path "$abs_srcdir/bindings/rust/Cargo.toml"
if [ -n "${OBJLIFE_TEST_PRELOAD:-}" ]; then
	host=$(rustc -vV | sed -n 's/^host: //p' | tr 'a-z-' 'A-Z_')
	eval "CARGO_TARGET_${host}_RUNNER=\"env LD_PRELOAD=$OBJLIFE_TEST_PRELOAD\""
	export "CARGO_TARGET_${host}_RUNNER"
	set -- "$@" --tests
	echo "# sanitizer run: test binaries with LD_PRELOAD=$OBJLIFE_TEST_PRELOAD, no doc tests"
fi
# --locked: the shipped Cargo.lock (format 3, which Rust 1.63's cargo reads)
# is used as is and never rewritten into the source tree.
"$cargo" "$@" >"$log" 2>&1
rc=$?

# The whole output first, as TAP comments, for the .log that make check keeps.
sed 's/^/# /' "$log"

# Both cargo and the test harness write "test NAME ... RESULT"; a doc
# test's NAME has spaces ("src/lib.rs - Ref (line 12) - compile fail").
awk -v rc="$rc" '
	/^test .* \.\.\. (ok|FAILED|ignored)$/ {
		name = $0
		sub(/^test /, "", name)
		result = name
		sub(/ \.\.\. [A-Za-z]+$/, "", name)
		sub(/^.* \.\.\. /, "", result)
		n++
		if (result == "ok")
			print "ok " n " - " name
		else if (result == "ignored")
			print "not ok " n " - " name " (ignored: a test that does not run checks nothing)"
		else {
			print "not ok " n " - " name
			failed++
		}
	}
	END {
		if (rc != 0 && !failed) {
			n++
			print "not ok " n " - cargo test exited with status " rc " without a failed test (build error or crash)"
		} else if (n == 0) {
			n++
			print "not ok " n " - cargo test ran no test"
		}
		print "1.." n
	}' "$log"
