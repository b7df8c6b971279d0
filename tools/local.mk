# SPDX-License-Identifier: LGPL-2.1-or-later
# objlife-lint: the cleanup rules as a checker (docs/objlife-lint.scd).
# Included by the top Makefile.am: paths are relative to the top of the tree.

# tools/objlife-lint.py is the source; the installed tools/objlife-lint is
# the same script with configure's python3 and clang written in. It runs
# from the build tree as it does installed.
EXTRA_DIST += tools/objlife-lint.py
if ENABLE_LINT
bin_SCRIPTS = tools/objlife-lint
endif
CLEANFILES += tools/objlife-lint
tools/objlife-lint: $(srcdir)/tools/objlife-lint.py Makefile
	$(AM_V_GEN)$(MKDIR_P) tools && \
	$(SED) -e '1s|.*|#!$(PYTHON)|' -e 's|@VERSION[@]|$(VERSION)|g' \
		-e 's|@CLANG[@]|$(LINT_CLANG)|g' $(srcdir)/tools/objlife-lint.py >$@.tmp && \
	chmod +x $@.tmp && mv -f $@.tmp $@

# Its tests: tests/lint/*.c (LINT_CORPUS, which corpus.sh holds complete)
# is a corpus in which each file states in its first comment the behaviour
# it shows, and marks the lines where a finding (expect: RULE) or its note
# (expect-note) must be; tests/lint/cli.sh tests the command line.
LINT_CORPUS = \
	tests/lint/cleanup-h-every-macro.c \
	tests/lint/cleanup-initialized.c \
	tests/lint/cleanup-uninitialized.c \
	tests/lint/free-before-guard-assigned-before.c \
	tests/lint/free-before-guard-inner-block.c \
	tests/lint/free-before-guard-kernel-doc-fixed.c \
	tests/lint/free-before-guard-kernel-doc.c \
	tests/lint/free-before-guard-other-cleanup.c \
	tests/lint/free-before-guard-prefixed-class.c \
	tests/lint/free-before-guard-scoped-guard.c \
	tests/lint/free-of-object-put.c \
	tests/lint/free-of-object.c \
	tests/lint/glib-style-clean.c \
	tests/lint/glib-style.c \
	tests/lint/goto-in-user-macro.c \
	tests/lint/goto-with-guard.c \
	tests/lint/goto-without-cleanup.c \
	tests/lint/guard-in-case-after-label.c \
	tests/lint/guard-in-case-after-statement.c \
	tests/lint/guard-in-case-braces.c \
	tests/lint/guard-in-case-last.c \
	tests/lint/kernel-spellings-every-macro.c \
	tests/lint/systemd-style-clean.c \
	tests/lint/systemd-style.c \
	tests/lint/use-after-put-ok.c \
	tests/lint/use-after-put-reference-held.c \
	tests/lint/use-after-put.c

EXTRA_DIST += tests/lint/corpus.sh tests/lint/cli.sh $(LINT_CORPUS)
if ENABLE_LINT
TESTS += tests/lint/corpus.sh tests/lint/cli.sh
check_SCRIPTS = tools/objlife-lint
endif

# make lint: the checker over the project's own sources that use the
# cleanup helpers, with the flags they are compiled with. A silenced
# finding carries its reason in its comment.
LINT_FLAGS = -DHAVE_CONFIG_H -I$(top_builddir) -I$(top_srcdir)/include -I$(top_builddir)/lib \
	-I$(top_srcdir)/lib -I$(top_srcdir)/tests $(GLIB_CFLAGS) $(PTHREAD_CFLAGS)
if ENABLE_LINT
lint: tools/objlife-lint
	@files=`grep -l 'objlife/cleanup\.h' $(srcdir)/examples/*.c $(srcdir)/tests/*.c $(srcdir)/lib/*.c`; \
	echo "objlife-lint:" $$files; \
	./tools/objlife-lint $$files -- $(LINT_FLAGS)
else
lint:
	@echo "make lint: configure left objlife-lint out (see its summary): it needs clang and python3 (Debian: apt-get install clang python3)"; exit 1
endif
.PHONY: lint

# make installcheck (so make distcheck): the installed command finds its
# clang and reports the kernel documentation's example.
installcheck-local: installcheck-lint
installcheck-lint:
if ENABLE_LINT
	@out=`'$(DESTDIR)$(bindir)/objlife-lint' $(srcdir)/tests/lint/free-before-guard-kernel-doc.c \
		-- -I$(srcdir)/include`; rc=$$?; echo "$$out"; \
	test $$rc -eq 1 && echo "$$out" | grep -q ':17:17: warning: .*\[objlife-free-before-guard\]$$'
endif
.PHONY: installcheck-lint
