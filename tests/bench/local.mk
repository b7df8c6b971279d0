# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench: the benchmark and its smoke test.
# Included by the top Makefile.am: paths are relative to the top of the tree.

# make bench [BENCH_ARGS='--json' | '--filter refpair' | '--quick' ...]:
# builds tests/bench/objlife-bench and runs it. Its peers need GObject
# (BENCH_CFLAGS/BENCH_LIBS, from configure) and a C++ compiler; the library
# never does. Plain make does not build it; make check builds it only to
# run tests/bench/smoke.sh, which checks that every case ran, not timings.
EXTRA_PROGRAMS = tests/bench/objlife-bench
tests_bench_objlife_bench_SOURCES = \
	tests/bench/objlife-bench.c \
	tests/bench/bench.h \
	tests/bench/bench-refpair.h \
	tests/bench/bench-raw.c \
	tests/bench/bench-objlife.c \
	tests/bench/bench-objlife-noinline.c \
	tests/bench/bench-mixed.c \
	tests/bench/bench-lookup.c \
	tests/bench/bench-workers.c \
	tests/bench/bench-glib.c \
	tests/bench/bench-cxx.cc
tests_bench_objlife_bench_CFLAGS = $(AM_CFLAGS) $(BENCH_CFLAGS)
# WARN_CFLAGS is C-only; the C++ peer gets the warnings both languages know.
tests_bench_objlife_bench_CXXFLAGS = -Wall -Wextra $(PTHREAD_CFLAGS)
# -no-install: a real executable rather than a libtool wrapper script, so
# that it can re-execute itself (/proc/self/exe) for the diagnostics case,
# and perf or valgrind can run it directly.
tests_bench_objlife_bench_LDFLAGS = -no-install
tests_bench_objlife_bench_LDADD = lib/libobjlife.la $(BENCH_LIBS) $(PTHREAD_LIBS)
CLEANFILES += tests/bench/objlife-bench$(EXEEXT)
EXTRA_DIST += tests/bench/smoke.sh
BENCH_ARGS =
bench:
	@test -n '$(BENCH_LIBS)' || { echo "make bench: needs gobject-2.0 (Debian: apt-get install libglib2.0-dev), found by configure"; exit 1; }
	@$(MAKE) $(AM_MAKEFLAGS) tests/bench/objlife-bench$(EXEEXT)
	tests/bench/objlife-bench$(EXEEXT) $(BENCH_ARGS)
.PHONY: bench
# make check runs the benchmark briefly (tests/bench/smoke.sh) to prove it
# builds and every case runs; it asserts no timing.
if HAVE_BENCH_DEPS
check_PROGRAMS += tests/bench/objlife-bench
TESTS += tests/bench/smoke.sh
endif
