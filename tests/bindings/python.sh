#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs the Python binding's unittest modules (tests/bindings/python) against
# the library just built and prints TAP, one result per test case (see
# tap_unittest.py). The package is imported from the source tree, no
# install needed; -B and PYTHONDONTWRITEBYTECODE keep __pycache__ out of
# it (make distcheck's source tree is read-only). $PYTHON names the
# interpreter (default: python3 from PATH). A missing interpreter is a
# failure with one line naming it and its Debian package, not a skip, as
# for every check of make check (README's "Testing"). configure
# --disable-binding-tests leaves this check out of make check instead.

set -u
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
abs_srcdir=$(cd "$srcdir" && pwd) || exit 99
abs_builddir=$(cd "$builddir" && pwd) || exit 99
python=${PYTHON:-python3}

if ! command -v "$python" >/dev/null 2>&1; then
	echo "1..1"
	echo "not ok 1 - tests/bindings/python.sh: $python not found (Debian: apt-get install python3)"
	exit 0
fi

OBJLIFE_LIBRARY=$abs_builddir/lib/.libs/libobjlife.so.0
OBJLIFE_TEST_HELPER=$abs_builddir/tests/bindings/.libs/olhelper.so
PYTHONPATH=$abs_srcdir/bindings/python${PYTHONPATH:+:$PYTHONPATH}
PYTHONDONTWRITEBYTECODE=1
# The helper's own dependency on libobjlife.so.0 resolves to the copy
# OBJLIFE_LIBRARY loaded (same soname); this covers loading it first.
LD_LIBRARY_PATH=$abs_builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export OBJLIFE_LIBRARY OBJLIFE_TEST_HELPER PYTHONPATH PYTHONDONTWRITEBYTECODE LD_LIBRARY_PATH

echo "# $("$python" --version 2>&1) ($(command -v "$python"))"
# Against a sanitizer build of the library (CI's ASan run; under TSan the
# bindings' tests are configured out), the interpreter needs the
# sanitizer's runtime loaded first; CI names it in $OBJLIFE_TEST_PRELOAD. The interpreter's own allocations at exit are not
# ours to report: leak detection stays with the C tests.
if [ -n "${OBJLIFE_TEST_PRELOAD:-}" ]; then
	LD_PRELOAD=$OBJLIFE_TEST_PRELOAD
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export LD_PRELOAD ASAN_OPTIONS
	echo "# sanitizer run: LD_PRELOAD=$LD_PRELOAD"
fi
exec "$python" -B "$abs_srcdir/tests/bindings/tap_unittest.py" "$abs_srcdir/tests/bindings/python"
