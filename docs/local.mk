# SPDX-License-Identifier: LGPL-2.1-or-later
# Man pages (scdoc) and their checks.
# Included by the top Makefile.am: paths are relative to the top of the tree.

# Man pages: written in scdoc (docs/NAME.scd, whose first line names the
# page and its section), rendered by make. The release tarball carries the
# rendered pages, so that building from it needs no scdoc; building from
# git does. The other names of a page are listed in docs/links as one-line
# `.so` pages, which say which page each name belongs to; `make install`
# installs them as symbolic links to that page, as Debian's policy prefers,
# so that `man -l` on any installed name renders from any directory.
MAN3_PAGES = \
	docs/OBJLIFE_DEFINE_CLASS.3 \
	docs/OBJLIFE_DEFINE_FREE.3 \
	docs/OBJLIFE_DEFINE_GUARD.3 \
	docs/OBJLIFE_DEFINE_REF_FUNCS.3 \
	docs/objlife_alloc.3 \
	docs/objlife_cleanup.3 \
	docs/objlife_get.3 \
	docs/objlife_get_tracked.3 \
	docs/objlife_live_count.3 \
	docs/objlife_lookup.3 \
	docs/objlife_quarantine_flush.3 \
	docs/objlife_refcount.3 \
	docs/objlife_register.3 \
	docs/objlife_set_report_handler.3 \
	docs/objlife_table_new.3 \
	docs/objlife_unregister.3
MAN7_PAGES = docs/objlife.7
MAN1_PAGES = docs/objlife-lint.1
MAN_LINKS = \
	docs/links/OBJLIFE_CLASS.3 \
	docs/links/OBJLIFE_CLASS_INIT.3 \
	docs/links/OBJLIFE_DEFINE_CLASS_IS_COND_GUARD.3 \
	docs/links/OBJLIFE_DEFINE_CLASS_IS_GUARD.3 \
	docs/links/OBJLIFE_DEFINE_GUARD_COND.3 \
	docs/links/OBJLIFE_DEFINE_LOCK_GUARD_0.3 \
	docs/links/OBJLIFE_DEFINE_LOCK_GUARD_1.3 \
	docs/links/OBJLIFE_DEFINE_LOCK_GUARD_1_COND.3 \
	docs/links/OBJLIFE_DEFINE_MALLOC_ALLOC.3 \
	docs/links/OBJLIFE_EXTEND_CLASS.3 \
	docs/links/OBJLIFE_REFCOUNT_MAX.3 \
	docs/links/OBJLIFE_STATIC_INIT.3 \
	docs/links/OBJLIFE_REFCOUNT_SATURATED.3 \
	docs/links/objlife_acquire.3 \
	docs/links/objlife_acquire_err.3 \
	docs/links/objlife_alloc_size.3 \
	docs/links/objlife_auto.3 \
	docs/links/objlife_cache_trim.3 \
	docs/links/objlife_get_and_null.3 \
	docs/links/objlife_get_unless_zero.3 \
	docs/links/objlife_guard.3 \
	docs/links/objlife_guard_err.3 \
	docs/links/objlife_guard_is_cond.3 \
	docs/links/objlife_guard_ptr.3 \
	docs/links/objlife_leak_check.3 \
	docs/links/objlife_may_leak.3 \
	docs/links/objlife_ops_of.3 \
	docs/links/objlife_put.3 \
	docs/links/objlife_put_mutex.3 \
	docs/links/objlife_put_tracked.3 \
	docs/links/objlife_retain_and_null.3 \
	docs/links/objlife_return_ptr.3 \
	docs/links/objlife_scoped_class.3 \
	docs/links/objlife_scoped_cond_guard.3 \
	docs/links/objlife_scoped_guard.3 \
	docs/links/objlife_steal.3 \
	docs/links/objlife_table_count.3 \
	docs/links/objlife_table_free.3 \
	docs/links/objlife_table_set_request.3 \
	docs/links/objlife_table_visit.3
dist_man_MANS = $(MAN1_PAGES) $(MAN3_PAGES) $(MAN7_PAGES)
EXTRA_DIST += $(MAN1_PAGES:.1=.scd) $(MAN3_PAGES:.3=.scd) $(MAN7_PAGES:.7=.scd) $(MAN_LINKS)
install-data-hook: install-man-links
uninstall-hook: uninstall-man-links
install-man-links:
	@for link in $(MAN_LINKS); do \
		name=`basename $$link`; sec=`echo $$name | $(SED) 's/.*\.//'`; \
		target=`$(SED) -n 's|^\.so man[0-9]/||p' $(srcdir)/$$link`; \
		test -n "$$target" || { echo "$$link: no .so line" >&2; exit 1; }; \
		dir='$(DESTDIR)$(mandir)'/man$$sec; \
		echo " $(LN_S) $$target $$dir/$$name"; \
		$(MKDIR_P) "$$dir" && rm -f "$$dir/$$name" && \
		(cd "$$dir" && $(LN_S) "$$target" "$$name") || exit 1; \
	done
uninstall-man-links:
	@for link in $(MAN_LINKS); do \
		name=`basename $$link`; sec=`echo $$name | $(SED) 's/.*\.//'`; \
		rm -f '$(DESTDIR)$(mandir)'/man$$sec/$$name; \
	done

# scdoc writes its .nh (no hyphenation) before .TH, which turns hyphenation
# back on: a second .nh after .TH keeps identifiers whole. SCDOC comes from
# configure when it looks for scdoc, from PATH otherwise.
SCDOC_RENDER = $(AM_V_GEN)$(MKDIR_P) $(@D) && \
	scdoc='$(SCDOC)'; test -n "$$scdoc" || scdoc=scdoc; \
	if ! command -v "$$scdoc" >/dev/null 2>&1; then \
		echo "$@: $$scdoc not found (Debian: apt-get install scdoc):" \
		     "it builds the man pages from git; release tarballs carry them built" >&2; \
		exit 1; \
	fi; \
	"$$scdoc" <$< >$@.tmp && \
	$(AWK) '{ print } /^\.TH / { print ".nh" }' $@.tmp >$@ && rm -f $@.tmp
.scd.1:
	$(SCDOC_RENDER)
.scd.3:
	$(SCDOC_RENDER)
.scd.7:
	$(SCDOC_RENDER)
maintainer-clean-local: maintainer-clean-man
maintainer-clean-man:
	-rm -f $(MAN1_PAGES) $(MAN3_PAGES) $(MAN7_PAGES)

# Every public name has a page; every installed page renders cleanly.
EXTRA_DIST += tests/man-coverage.sh tests/man-render.sh
TESTS += tests/man-coverage.sh tests/man-render.sh

# The installed pages, as users read them.
installcheck-local: installcheck-man
# Passes only when the plan names pages and every one of them is ok: a run
# without man (its one result names the missing tool), a skipped run or one
# that stopped early fails.
installcheck-man:
	@MANDIR='$(DESTDIR)$(mandir)' top_srcdir='$(srcdir)' \
		$(SHELL) $(srcdir)/tests/man-render.sh >man-render.out; \
	rc=$$?; grep '^not ok' man-render.out; \
	plan=`$(SED) -n 's/^1\.\.\([0-9]*\).*/\1/p' man-render.out`; \
	ok=`grep -c '^ok' man-render.out`; \
	echo "installcheck-man: $$ok of $${plan:-0} installed pages render cleanly"; \
	rm -f man-render.out; \
	test $$rc -eq 0 && test "$${plan:-0}" -gt 0 && test "$$ok" -eq "$$plan"
.PHONY: maintainer-clean-man installcheck-man

# The contributors' map of the code.
EXTRA_DIST += docs/architecture.md
