# SPDX-License-Identifier: LGPL-2.1-or-later
# Examples, built and run by make check (tests/examples.sh).
# Included by the top Makefile.am: paths are relative to the top of the tree.

# Programs under examples/, built and run by make check (tests/examples.sh).
EXAMPLES = examples/minimal
check_PROGRAMS += $(EXAMPLES)
examples_minimal_SOURCES = examples/minimal.c
examples_minimal_LDADD = lib/libobjlife.la

# Examples: unwind.c prints the same unwind done with goto and with
# libobjlife (tests/examples.sh compares it with its .expected file);
# sessiond is a TCP line server, driven by tests/sessiond-test.
EXAMPLES += examples/unwind
examples_unwind_SOURCES = examples/unwind.c
examples_unwind_CFLAGS = $(AM_CFLAGS) -Wno-declaration-after-statement
examples_unwind_LDADD = lib/libobjlife.la
EXTRA_DIST += tests/examples/unwind.expected

check_PROGRAMS += examples/sessiond tests/sessiond-test
examples_sessiond_SOURCES = examples/sessiond.c
examples_sessiond_CFLAGS = $(AM_CFLAGS) -Wno-declaration-after-statement
examples_sessiond_LDADD = lib/libobjlife.la $(PTHREAD_LIBS)
# The test drives the program over TCP, and compiles sessiond.c in as well
# (its main() renamed) for the cases that hold a session themselves.
tests_sessiond_test_SOURCES = tests/sessiond-test.c
tests_sessiond_test_CFLAGS = $(AM_CFLAGS) -Wno-declaration-after-statement
tests_sessiond_test_LDADD = lib/libobjlife.la $(PTHREAD_LIBS)
TESTS += tests/sessiond-test


EXTRA_DIST += tests/examples.sh
TESTS += tests/examples.sh

