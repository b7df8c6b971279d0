# SPDX-License-Identifier: LGPL-2.1-or-later
# Reliability: valgrind, fuzzing, coverage (see the README's "Testing").
# Included by the top Makefile.am: paths are relative to the top of the tree.
# As for make check, a target whose tool is missing fails at once with one
# line naming the tool and its Debian package. make fuzz first links a
# trivial libFuzzer program, so that a missing runtime is named as such.

# make check-valgrind: every test program under memcheck. The shell
# checks (.sh) are left out: memcheck does not wrap them, so they would
# only repeat make check. GLib's own suppressions come from its installed
# prefix, found through pkg-config; tests/valgrind.supp holds the
# harness's own (none of it libobjlife's). A memcheck error or a leak of
# any kind, still reachable included, fails the test: the library frees
# what it owns at exit, and a block it kept would show up here as the
# program's.
VALGRIND = valgrind
VALGRIND_SUPPRESSIONS = `$(PKG_CONFIG) --variable=prefix glib-2.0`/share/glib-2.0/valgrind/glib.supp
VALGRIND_FLAGS = --tool=memcheck --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=all --errors-for-leak-kinds=all \
	--suppressions=$(abs_top_srcdir)/tests/valgrind.supp \
	--track-origins=yes --num-callers=30 --quiet
EXTRA_DIST += tests/valgrind.supp tests/valgrind-leak-kinds.sh
check-valgrind:
	@command -v $(VALGRIND) >/dev/null 2>&1 || { echo "make check-valgrind: $(VALGRIND) not found (Debian: apt-get install valgrind)"; exit 1; }
	@supp=$(VALGRIND_SUPPRESSIONS); test -f "$$supp" || { echo "make check-valgrind: $$supp not found (Debian: apt-get install libglib2.0-dev)"; exit 1; }; \
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(filter-out %.sh,$(TESTS))' \
		LOG_COMPILER="$(SHELL) $(abs_top_srcdir)/tests/valgrind-leak-kinds.sh $(LIBTOOL) --mode=execute $(VALGRIND) $(VALGRIND_FLAGS) --suppressions=$$supp" \
		EXTRA_TEST_ENV="export G_SLICE=always-malloc;"

# make fuzz [FUZZ_SECONDS=60]: the libFuzzer harness over the library's
# sources, with AddressSanitizer and UndefinedBehaviorSanitizer, starting
# from the committed seed corpus; new inputs go to tests/fuzz/work.
FUZZ_SECONDS = 60
FUZZ_FLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
FUZZ_SRCS = $(top_srcdir)/tests/fuzz/fuzz-ops.c $(filter %.c,$(addprefix $(top_srcdir)/,$(lib_libobjlife_internal_la_SOURCES)))
FUZZ_CORPUS = \
	tests/fuzz/corpus/double-put \
	tests/fuzz/corpus/get-on-zero \
	tests/fuzz/corpus/init-failures \
	tests/fuzz/corpus/lifecycle \
	tests/fuzz/corpus/may-leak \
	tests/fuzz/corpus/overflow \
	tests/fuzz/corpus/put-mutex \
	tests/fuzz/corpus/table
EXTRA_DIST += tests/fuzz/fuzz-ops.c tests/opseq.h $(FUZZ_CORPUS)
tests/fuzz/fuzz-ops: $(FUZZ_SRCS) $(top_srcdir)/tests/opseq.h config.h
	@test -n "$(CLANG)" || { echo "make fuzz: clang not found (Debian: apt-get install clang)"; exit 1; }
	@$(MKDIR_P) tests/fuzz
	@echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' | \
		$(CLANG) -fsanitize=fuzzer -x c -o tests/fuzz/probe - >/dev/null 2>&1 || { \
		v=`$(CLANG) -dumpversion | sed 's/\..*//'`; \
		echo "make fuzz: clang's libFuzzer runtime not found (Debian: apt-get install libclang-rt-$$v-dev)"; exit 1; }; \
		rm -f tests/fuzz/probe
	$(AM_V_CCLD)$(CLANG) $(FUZZ_FLAGS) -DHAVE_CONFIG_H -I$(top_builddir) -I$(top_srcdir)/include \
		-I$(top_srcdir)/lib -I$(top_srcdir)/tests $(PTHREAD_CFLAGS) $(LIBDW_CFLAGS) -o $@ $(FUZZ_SRCS) \
		$(lib_libobjlife_internal_la_LIBADD)
fuzz: tests/fuzz/fuzz-ops
	@$(MKDIR_P) tests/fuzz/work
	./tests/fuzz/fuzz-ops -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		tests/fuzz/work $(top_srcdir)/tests/fuzz/corpus
CLEANFILES += tests/fuzz/fuzz-ops

# make coverage: a -O0 build with gcov in _coverage/ (a copy of the
# distributed sources, so it works beside an in-tree build), make check
# there, and line and branch coverage of lib/ as the last two lines. The
# HTML report is in _coverage/html/index.html.
LCOV_FLAGS = --quiet --rc lcov_branch_coverage=1
coverage:
	@test -n "`command -v lcov`" || { echo "make coverage: lcov not found (Debian: apt-get install lcov)"; exit 1; }
	rm -rf _coverage
	$(MKDIR_P) _coverage
	$(MAKE) $(AM_MAKEFLAGS) distdir distdir=_coverage/src
	cd _coverage/src && ./configure --quiet CFLAGS="-O0 -g --coverage" \
		LDFLAGS="--coverage" && $(MAKE) $(AM_MAKEFLAGS) check
	lcov $(LCOV_FLAGS) --capture --directory _coverage/src/lib --base-directory _coverage/src \
		--output-file _coverage/all.info
	lcov $(LCOV_FLAGS) --extract _coverage/all.info "$(abs_builddir)/_coverage/src/lib/*" \
		--output-file _coverage/lib.info
	genhtml $(LCOV_FLAGS) --branch-coverage --output-directory _coverage/html _coverage/lib.info
	@lcov --rc lcov_branch_coverage=1 --summary _coverage/lib.info 2>&1 | \
		$(AWK) '/lines\.*:/ { l = $$2 } /branches\.*:/ { b = $$2 } END { print "lines: " l; print "branches: " b }'
clean-local: clean-coverage
clean-coverage:
	-rm -rf _coverage tests/fuzz/work

.PHONY: check-valgrind fuzz coverage clean-coverage
