# SPDX-License-Identifier: LGPL-2.1-or-later
# Tests: GTest programs and shell checks, each printing TAP (see the README's "Testing").
# Included by the top Makefile.am: paths are relative to the top of the tree.


LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_COMPILER =
# Shell checks have their own compiler, so that check-valgrind wraps only
# the test programs.
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(SHELL)
# Every test finds the build tree's tools and headers the same way.
AM_TESTS_ENVIRONMENT = \
	export top_srcdir='$(top_srcdir)' top_builddir='$(top_builddir)' \
	CC='$(CC)' \
	COMPILE_TESTS='$(COMPILE_TESTS)' EXAMPLES='$(EXAMPLES)' \
	G_DEBUG=fatal-criticals MALLOC_PERTURB_=165; $(EXTRA_TEST_ENV)

TEST_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
TEST_LIBS = lib/libobjlife.la $(GLIB_LIBS) $(PTHREAD_LIBS)
# White-box tests reach the library's hidden ol_* functions (its internal
# headers, its fault-injection hook) by linking the convenience library
# whose objects libobjlife.so is made of.
WHITEBOX_CPPFLAGS = $(AM_CPPFLAGS) -DOBJLIFE_BUILDING_LIBRARY -I$(top_srcdir)/lib
WHITEBOX_LIBS = lib/libobjlife-internal.la $(GLIB_LIBS) $(PTHREAD_LIBS)

EXTRA_DIST += tests/testutil.h tests/compile-check.sh tests/examples/minimal.expected

# GTest programs: each case is its own TAP result.
GTEST_PROGS =
if ENABLE_TESTS
GTEST_PROGS += \
	tests/test-core \
	tests/test-refcount \
	tests/test-refcount-noinline \
	tests/test-threads \
	tests/test-table \
	tests/test-livecount \
	tests/test-cache \
	tests/test-report \
	tests/test-model \
	tests/test-misuse \
	tests/test-faults \
	tests/test-diag-leaks \
	tests/test-diag-refs \
	tests/test-diag-poison \
	tests/test-diag-oom \
	tests/test-addrmap \
	tests/test-stackdepot

tests_test_core_SOURCES = tests/test-core.c tests/testutil.h
tests_test_core_CFLAGS = $(TEST_CFLAGS)
tests_test_core_LDADD = $(TEST_LIBS)

tests_test_refcount_SOURCES = tests/test-refcount.c tests/testutil.h
tests_test_refcount_CFLAGS = $(TEST_CFLAGS)
tests_test_refcount_LDADD = $(TEST_LIBS)

# The same cases through the exported functions instead of the inline path.
tests_test_refcount_noinline_SOURCES = tests/test-refcount.c tests/testutil.h
tests_test_refcount_noinline_CPPFLAGS = $(AM_CPPFLAGS) -DOBJLIFE_NO_INLINE
tests_test_refcount_noinline_CFLAGS = $(TEST_CFLAGS)
tests_test_refcount_noinline_LDADD = $(TEST_LIBS)

tests_test_threads_SOURCES = tests/test-threads.c tests/testutil.h
tests_test_threads_CFLAGS = $(TEST_CFLAGS)
tests_test_threads_LDADD = $(TEST_LIBS)

# White-box: fails the library's own allocations (tests/memfail.h).
# -export-dynamic: a tracker stack names a test function through dladdr()
# when there is no debug information to read.
tests_test_table_SOURCES = tests/test-table.c tests/testutil.h tests/memfail.h
tests_test_table_CPPFLAGS = $(WHITEBOX_CPPFLAGS)
tests_test_table_CFLAGS = $(TEST_CFLAGS)
tests_test_table_LDFLAGS = -export-dynamic
tests_test_table_LDADD = $(WHITEBOX_LIBS)

# White-box: holds livecount.c's lock.
tests_test_livecount_SOURCES = tests/test-livecount.c tests/testutil.h
tests_test_livecount_CPPFLAGS = $(WHITEBOX_CPPFLAGS)
tests_test_livecount_CFLAGS = $(TEST_CFLAGS) -Wno-declaration-after-statement
tests_test_livecount_LDADD = $(WHITEBOX_LIBS)

tests_test_cache_SOURCES = tests/test-cache.c tests/testutil.h
tests_test_cache_CFLAGS = $(TEST_CFLAGS)
tests_test_cache_LDADD = $(TEST_LIBS)

# White-box: the text and the frames of a report are report.c's and
# lib/diag/symbolize.c's internals; -export-dynamic, for dladdr() to name a function.
tests_test_report_SOURCES = tests/test-report.c tests/testutil.h
tests_test_report_CPPFLAGS = $(WHITEBOX_CPPFLAGS)
tests_test_report_CFLAGS = $(TEST_CFLAGS) $(LIBDW_CFLAGS)
tests_test_report_LDADD = $(WHITEBOX_LIBS)
tests_test_report_LDFLAGS = -export-dynamic

tests_test_misuse_SOURCES = tests/test-misuse.c tests/testutil.h
tests_test_misuse_CFLAGS = $(TEST_CFLAGS)
tests_test_misuse_LDADD = $(TEST_LIBS)

# White-box: fault injection through the hidden ol_mem_fail_hook.
tests_test_faults_SOURCES = tests/test-faults.c tests/testutil.h tests/memfail.h
tests_test_faults_CPPFLAGS = $(WHITEBOX_CPPFLAGS)
tests_test_faults_CFLAGS = $(TEST_CFLAGS) -Wno-declaration-after-statement
tests_test_faults_LDADD = $(WHITEBOX_LIBS)

tests_test_model_SOURCES = tests/test-model.c tests/opseq.h tests/testutil.h
tests_test_model_CFLAGS = $(TEST_CFLAGS)
tests_test_model_LDADD = $(TEST_LIBS)

# The library keeps frame pointers: an unwinder that follows them walks
# through its frames to the caller. Built with frame pointers itself.
GTEST_PROGS += tests/test-frame-pointers
tests_test_frame_pointers_SOURCES = tests/test-frame-pointers.c tests/testutil.h
tests_test_frame_pointers_CFLAGS = $(TEST_CFLAGS) -fno-omit-frame-pointer
tests_test_frame_pointers_LDADD = $(TEST_LIBS)
if HAVE_FRAME_POINTERS
tests_test_frame_pointers_CPPFLAGS = $(AM_CPPFLAGS) -DOBJLIFE_TEST_FRAME_POINTERS
endif

# Where the tests that dlopen() tests/plugin/plugin.la (built below) find it.
PLUGIN_CPPFLAGS = -DPLUGIN_PATH='"$(abs_top_builddir)/tests/plugin/.libs/plugin.so"'

# OBJLIFE_DEBUG diagnostics. tests/diag/lifecycle is not a test
# but a program with lifecycle bugs that the tests run with OBJLIFE_DEBUG
# set: its functions must appear by name in stacks (no inlining, no tail
# calls, exported symbols for the dladdr() fallback).
check_PROGRAMS += tests/diag/lifecycle
tests_diag_lifecycle_SOURCES = tests/diag/lifecycle.c
tests_diag_lifecycle_CFLAGS = $(AM_CFLAGS) -g -O0 -fno-omit-frame-pointer -fno-optimize-sibling-calls -fno-inline
tests_diag_lifecycle_LDADD = lib/libobjlife.la
tests_diag_lifecycle_LDFLAGS = -no-install -export-dynamic
DIAG_TEST_CFLAGS = $(TEST_CFLAGS) -fno-optimize-sibling-calls

# tests/diag/inlined leaks from functions inlined into others, as an
# optimised build inlines them: -O2, and debug information for the
# report to name each inlined function with its line; no tail calls, so
# that the functions outside the inlined code are frames of their own.
check_PROGRAMS += tests/diag/inlined
tests_diag_inlined_SOURCES = tests/diag/inlined.c
tests_diag_inlined_CFLAGS = $(AM_CFLAGS) -g -O2 -fno-omit-frame-pointer -fno-optimize-sibling-calls
tests_diag_inlined_LDADD = lib/libobjlife.la
tests_diag_inlined_LDFLAGS = -no-install -export-dynamic

tests_test_diag_leaks_SOURCES = tests/test-diag-leaks.c tests/diag/spawn.h tests/diag/sites.h tests/testutil.h
tests_test_diag_leaks_CFLAGS = $(DIAG_TEST_CFLAGS)
tests_test_diag_leaks_LDADD = $(TEST_LIBS)
tests_test_diag_leaks_LDFLAGS = -export-dynamic
EXTRA_tests_test_diag_leaks_DEPENDENCIES = tests/diag/lifecycle$(EXEEXT) tests/diag/inlined$(EXEEXT)

tests_test_diag_refs_SOURCES = tests/test-diag-refs.c tests/diag/spawn.h tests/diag/sites.h tests/testutil.h
tests_test_diag_refs_CFLAGS = $(DIAG_TEST_CFLAGS)
tests_test_diag_refs_LDADD = $(TEST_LIBS)
tests_test_diag_refs_LDFLAGS = -export-dynamic
EXTRA_tests_test_diag_refs_DEPENDENCIES = tests/diag/lifecycle$(EXEEXT)

tests_test_diag_poison_SOURCES = tests/test-diag-poison.c tests/diag/spawn.h tests/testutil.h
tests_test_diag_poison_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGIN_CPPFLAGS)
tests_test_diag_poison_CFLAGS = $(DIAG_TEST_CFLAGS)
tests_test_diag_poison_LDADD = $(TEST_LIBS) $(DL_LIBS)
EXTRA_tests_test_diag_poison_DEPENDENCIES = tests/diag/lifecycle$(EXEEXT) tests/plugin/plugin.la

# White-box: fails the library's internal allocations through the hidden
# ol_mem_fail_hook; -export-dynamic, for dladdr() to name its functions.
tests_test_diag_oom_SOURCES = tests/test-diag-oom.c tests/testutil.h tests/memfail.h tests/diag/sites.h
tests_test_diag_oom_CPPFLAGS = $(WHITEBOX_CPPFLAGS)
tests_test_diag_oom_CFLAGS = $(DIAG_TEST_CFLAGS) $(LIBDW_CFLAGS)
tests_test_diag_oom_LDADD = $(WHITEBOX_LIBS)
tests_test_diag_oom_LDFLAGS = -export-dynamic

# White-box: the address map under the registry, the trackers and the live counts.
tests_test_addrmap_SOURCES = tests/test-addrmap.c tests/testutil.h tests/memfail.h
tests_test_addrmap_CPPFLAGS = $(WHITEBOX_CPPFLAGS)
tests_test_addrmap_CFLAGS = $(TEST_CFLAGS)
tests_test_addrmap_LDADD = $(WHITEBOX_LIBS)

# White-box: the stack depot that interns every allocation's and tracker's stack.
tests_test_stackdepot_SOURCES = tests/test-stackdepot.c tests/testutil.h tests/memfail.h
tests_test_stackdepot_CPPFLAGS = $(WHITEBOX_CPPFLAGS)
tests_test_stackdepot_CFLAGS = $(TEST_CFLAGS)
tests_test_stackdepot_LDADD = $(WHITEBOX_LIBS)
endif
check_PROGRAMS += $(GTEST_PROGS)
TESTS += $(GTEST_PROGS)

# Snippets compiled by tests/compile-check.sh: each states in its first
# comment whether it must compile, with which compilers and flags.
COMPILE_TESTS = \
	tests/compile/alloc-offset-ok.c \
	tests/compile/alloc-offset-nonzero.c \
	tests/compile/alloc-member-not-header.c \
	tests/compile/header-c99-pedantic.c \
	tests/compile/header-cxx.cc \
	tests/compile/header-cxx-bad-member.cc \
	tests/compile/cxx-ref-ok.cc \
	tests/compile/cxx-ref-not-standard-layout.cc \
	tests/compile/header-internal-direct.c \
	tests/compile/header-inline-switches.c
# --- cleanup compile snippets: begin ---
COMPILE_TESTS += \
	tests/compile/cleanup-header-clean.c \
	tests/compile/cleanup-pedantic.c \
	tests/compile/cleanup-pedantic-kernel-macros.c \
	tests/compile/cleanup-no-short-guards.c \
	tests/compile/cleanup-short-guards-collide.c \
	tests/compile/cleanup-lock-guards-cxx.cc \
	tests/compile/cleanup-unused-defs.c \
	tests/compile/cleanup-kernel-spellings.c \
	tests/compile/cleanup-scoped-guard-return.c \
	tests/compile/cleanup-cxx.cc \
	tests/compile/cleanup-short-names-off.c \
	tests/compile/cleanup-cond-guard-unconditional.c \
	tests/compile/cleanup-cond-guard-unconditional-cxx.cc \
	tests/compile/cleanup-steal-ignored.c \
	tests/compile/cleanup-no-cleanup-attribute.c \
	tests/compile/cleanup-guard-case-braces.c \
	tests/compile/cleanup-guard-case-jump.c
# --- cleanup compile snippets: end ---
EXTRA_DIST += $(COMPILE_TESTS)
TESTS += tests/compile-check.sh

# Kernel code on the kernel spellings: stubs, the kernel's own kind of
# DEFINE lines, kernel-style functions and their cases, built and run with
# gcc and clang by the script.
KERNEL_STYLE_FILES = \
	tests/kernel-style/linux.h \
	tests/kernel-style/linux.c \
	tests/kernel-style/drivers.h \
	tests/kernel-style/drivers.c \
	tests/kernel-style/test-kernel-style.c
EXTRA_DIST += tests/kernel-style.sh $(KERNEL_STYLE_FILES)
TESTS += tests/kernel-style.sh

# --- cleanup tests: begin ---
if ENABLE_TESTS
GTEST_PROGS += tests/test-cleanup tests/test-cleanup-short tests/test-cleanup-resources

tests_test_cleanup_SOURCES = tests/test-cleanup.c tests/testutil.h
tests_test_cleanup_CFLAGS = $(TEST_CFLAGS)
tests_test_cleanup_LDADD = $(TEST_LIBS)

# The same cases with OBJLIFE_SHORT_NAMES: the prefixed spellings work when
# the generated names are the kernel's.
tests_test_cleanup_short_SOURCES = tests/test-cleanup.c tests/testutil.h
tests_test_cleanup_short_CPPFLAGS = $(AM_CPPFLAGS) -DOBJLIFE_SHORT_NAMES
tests_test_cleanup_short_CFLAGS = $(TEST_CFLAGS)
tests_test_cleanup_short_LDADD = $(TEST_LIBS)

# Code written with cleanup helpers defines each variable where it acquires
# the resource, after statements (as the kernel does).
tests_test_cleanup_resources_SOURCES = tests/test-cleanup-resources.c tests/testutil.h
tests_test_cleanup_resources_CFLAGS = $(TEST_CFLAGS) -Wno-declaration-after-statement
tests_test_cleanup_resources_LDADD = $(TEST_LIBS)
endif
# --- cleanup tests: end ---

# A plugin linked with libobjlife, dlopen()ed by the tests: a program that
# gets libobjlife only through it, whose worker thread outlives its
# dlclose(); and the poison quarantine holding a dlclose()d plugin's
# objects (test-diag-poison).
if ENABLE_TESTS
check_LTLIBRARIES += tests/plugin/plugin.la
tests_plugin_plugin_la_SOURCES = tests/plugin/plugin.c
tests_plugin_plugin_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_plugin_plugin_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_plugin_plugin_la_LIBADD = lib/libobjlife.la $(PTHREAD_LIBS)

# Links neither libobjlife nor GLib: only the plugin brings libobjlife in.
check_PROGRAMS += tests/test-plugin-unload
TESTS += tests/test-plugin-unload
tests_test_plugin_unload_SOURCES = tests/test-plugin-unload.c
tests_test_plugin_unload_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGIN_CPPFLAGS)
tests_test_plugin_unload_CFLAGS = $(AM_CFLAGS)
tests_test_plugin_unload_LDADD = $(DL_LIBS) $(PTHREAD_LIBS)
tests_test_plugin_unload_LDFLAGS = -no-install
EXTRA_tests_test_plugin_unload_DEPENDENCIES = tests/plugin/plugin.la
endif

# What the built library exports and links against.
EXTRA_DIST += tests/symbols.sh
TESTS += tests/symbols.sh

# Every private header of the library compiles on its own.
EXTRA_DIST += tests/private-headers.sh
TESTS += tests/private-headers.sh


# The ABI guard: the built library against tests/abi/libobjlife.so.0.abi
# (abidiff). make abi-baseline rewrites the baseline, for a release or a
# soname bump; commit it.
EXTRA_DIST += tests/abi/check.sh tests/abi/libobjlife.so.0.abi
TESTS += tests/abi/check.sh
abi-check: lib/libobjlife.la
	@top_srcdir='$(srcdir)' top_builddir='$(builddir)' $(SHELL) $(srcdir)/tests/abi/check.sh
abi-baseline: lib/libobjlife.la
	@top_srcdir='$(srcdir)' top_builddir='$(builddir)' $(SHELL) $(srcdir)/tests/abi/check.sh --update
.PHONY: abi-check abi-baseline

# A program that leaks nothing, using the library from several threads,
# an early atexit handler and a late destructor, in each OBJLIFE_DEBUG
# mode: under make check-valgrind (every leak kind an error) it shows that
# the library frees what it owns at exit.
if ENABLE_TESTS
EXIT_CLEAN_PROGS = tests/exit-clean tests/exit-clean-leaks tests/exit-clean-poison
check_PROGRAMS += $(EXIT_CLEAN_PROGS)
TESTS += $(EXIT_CLEAN_PROGS)
tests_exit_clean_SOURCES = tests/exit/clean.c
tests_exit_clean_CPPFLAGS = $(AM_CPPFLAGS) -DOBJLIFE_CLEAN_DEBUG='""'
tests_exit_clean_LDADD = lib/libobjlife.la $(PTHREAD_LIBS)
tests_exit_clean_leaks_SOURCES = tests/exit/clean.c
tests_exit_clean_leaks_CPPFLAGS = $(AM_CPPFLAGS) -DOBJLIFE_CLEAN_DEBUG='"leaks,refs"'
tests_exit_clean_leaks_LDADD = lib/libobjlife.la $(PTHREAD_LIBS)
tests_exit_clean_poison_SOURCES = tests/exit/clean.c
tests_exit_clean_poison_CPPFLAGS = $(AM_CPPFLAGS) -DOBJLIFE_CLEAN_DEBUG='"poison"'
tests_exit_clean_poison_LDADD = lib/libobjlife.la $(PTHREAD_LIBS)
endif
