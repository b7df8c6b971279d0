# SPDX-License-Identifier: LGPL-2.1-or-later
# Portability: the matrix of the README's "Portability".
# Included by the top Makefile.am: paths are relative to the top of the tree.

# tests/portable/core-check: the core contract without GLib. Part of make
# check in every configuration (--disable-tests too), and what the cross
# rows of the matrix run under qemu-user and wine: -no-install makes it a
# real program rather than libtool's wrapper script, so they can run it.
check_PROGRAMS += tests/portable/core-check
TESTS += tests/portable/core-check
tests_portable_core_check_SOURCES = tests/portable/core-check.c
tests_portable_core_check_LDADD = lib/libobjlife.la $(PTHREAD_LIBS)
tests_portable_core_check_LDFLAGS = -no-install
# Where it checks the default report handler's OBJLIFE_DEBUG_FILE output.
CLEANFILES += core-check-reports.txt

# Parts of make check for the matrix's rows. check-ilp32 leaves out the
# ABI check, whose reference is the LP64 build's (check.sh would say SKIP
# for an elf32-i386 library, and CI counts a skip as a failure; the
# bindings' tests, which
# load the library into the 64-bit python3 and cargo, are left out by
# configure --disable-binding-tests). check-glib-free runs what needs
# neither GLib nor a host interpreter (--disable-tests, another C library).
PORTABLE_ILP32_EXCLUDED = tests/abi/check.sh
PORTABLE_GLIB_FREE_TESTS = tests/portable/core-check tests/examples.sh tests/sessiond-test
check-ilp32:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(filter-out $(PORTABLE_ILP32_EXCLUDED),$(TESTS))'
check-glib-free:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(PORTABLE_GLIB_FREE_TESTS)'

# make check-portability: the matrix of the README's "Portability", one
# TAP line per row. The rows build the distributed sources (make distdir)
# in _portability/, each in a directory of its own, never in this tree.
check-portability:
	rm -rf _portability
	$(MKDIR_P) _portability
	$(MAKE) $(AM_MAKEFLAGS) distdir distdir=_portability/src
	$(SHELL) $(top_srcdir)/tests/portable/run-matrix.sh _portability $(PORTABILITY_ROWS)
clean-local: clean-portability
clean-portability:
	-rm -rf _portability
# windows-guards.c is built by the matrix's windows row only (mingw-w64).
EXTRA_DIST += tests/portable/run-matrix.sh tests/portable/windows-guards.c tests/trs-count.sh
# .ci/deps: the package lists and their installer, which run-matrix.sh
# sources from the distributed sources, and so does the tarball's autogen.sh.
EXTRA_DIST += .ci/deps
.PHONY: check-ilp32 check-glib-free check-portability clean-portability
