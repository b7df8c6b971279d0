# SPDX-License-Identifier: LGPL-2.1-or-later
# Bindings: C++, Python and Rust over the public API (bindings/README.md).
# Included by the top Makefile.am: paths are relative to the top of the tree.

# C++, Python and Rust over the public API (bindings/README.md). Each one's
# tests run against the library just built; none writes into the source
# tree (make distcheck's is read-only).
EXTRA_DIST += bindings/README.md

# C++: header-only, installed as <objlife/objlife.hpp>; a GTest program.
objlifeinclude_HEADERS += bindings/cxx/objlife/objlife.hpp
if ENABLE_TESTS
check_PROGRAMS += tests/test-cxx
TESTS += tests/test-cxx
tests_test_cxx_SOURCES = tests/test-cxx.cc
tests_test_cxx_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bindings/cxx
tests_test_cxx_CXXFLAGS = -std=c++17 -Wall -Wextra $(GLIB_CFLAGS) $(PTHREAD_CFLAGS)
tests_test_cxx_LDADD = $(TEST_LIBS)
endif
# What must and must not compile (tests/compile-check.sh, in tests/local.mk).
COMPILE_TESTS += \
	tests/compile/cxx-table-ok.cc \
	tests/compile/cxx-table-not-copyable.cc

# Python: a ctypes package, imported from the source tree by the unittest
# modules; a small C library makes pointers for them to adopt and retain.
BINDINGS_PY_FILES = \
	bindings/python/README.md \
	bindings/python/pyproject.toml \
	bindings/python/objlife/__init__.py \
	bindings/python/objlife/_library.py \
	tests/bindings/tap_unittest.py \
	tests/bindings/python/support.py \
	tests/bindings/python/test_c_interop.py \
	tests/bindings/python/test_library.py \
	tests/bindings/python/test_ref.py \
	tests/bindings/python/test_table.py \
	tests/bindings/python/test_type.py
EXTRA_DIST += $(BINDINGS_PY_FILES) tests/bindings/python.sh
check_LTLIBRARIES += tests/bindings/olhelper.la
tests_bindings_olhelper_la_SOURCES = tests/bindings/helper.c
tests_bindings_olhelper_la_CFLAGS = $(AM_CFLAGS)
# -rpath makes libtool build a loadable shared object, not a convenience archive.
tests_bindings_olhelper_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_bindings_olhelper_la_LIBADD = lib/libobjlife.la $(PTHREAD_LIBS)
if ENABLE_BINDING_TESTS
TESTS += tests/bindings/python.sh
endif

# Rust: cargo test --offline, with its target directory in the build tree.
BINDINGS_RUST_FILES = \
	bindings/rust/Cargo.toml \
	bindings/rust/Cargo.lock \
	bindings/rust/build.rs \
	bindings/rust/src/lib.rs \
	bindings/rust/src/sys.rs \
	bindings/rust/tests/ref.rs \
	bindings/rust/tests/table.rs
EXTRA_DIST += $(BINDINGS_RUST_FILES) tests/bindings/cargo.sh
if ENABLE_BINDING_TESTS
TESTS += tests/bindings/cargo.sh
endif
clean-local: clean-bindings
clean-bindings:
	-rm -rf bindings/rust/target
.PHONY: clean-bindings
