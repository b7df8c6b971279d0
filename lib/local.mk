# SPDX-License-Identifier: LGPL-2.1-or-later
# The library: libobjlife.la, the convenience library the white-box tests link, its pkg-config and CMake files.
# Included by the top Makefile.am: paths are relative to the top of the tree.


# Every source of the library is compiled once, into the convenience
# library lib/libobjlife-internal.la (as libkmod does): libobjlife.la is
# made of its objects, and the white-box tests link it, so that they reach
# the hidden ol_* functions and test the very objects that are shipped.
noinst_LTLIBRARIES = lib/libobjlife-internal.la
lib_libobjlife_internal_la_SOURCES = \
	lib/objlife-private.h \
	lib/atomic.h \
	lib/addrmap.h \
	lib/addrmap.c \
	lib/memory.c \
	lib/options.c \
	lib/report.c \
	lib/core.h \
	lib/core.c \
	lib/refcount.c \
	lib/thread.h \
	lib/thread.c \
	lib/livecount.h \
	lib/livecount.c \
	lib/cache.h \
	lib/cache.c \
	lib/table.h \
	lib/table.c \
	lib/diag/diag.h \
	lib/diag/registry.h \
	lib/diag/registry.c \
	lib/diag/tracker.h \
	lib/diag/tracker.c \
	lib/diag/leakcheck.h \
	lib/diag/leakcheck.c \
	lib/diag/poison.c \
	lib/diag/stack.h \
	lib/diag/stack.c \
	lib/diag/symbolize.h \
	lib/diag/symbolize.c
lib_libobjlife_internal_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib -DOBJLIFE_BUILDING_LIBRARY
lib_libobjlife_internal_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(FRAME_POINTER_CFLAGS) $(LIBDW_CFLAGS)
lib_libobjlife_internal_la_LIBADD = $(PTHREAD_LIBS) $(LIBDW_LIBS) $(BACKTRACE_LIBS) $(DL_LIBS)

lib_LTLIBRARIES = lib/libobjlife.la
lib_libobjlife_la_SOURCES =
lib_libobjlife_la_LIBADD = lib/libobjlife-internal.la
lib_libobjlife_la_LDFLAGS = -no-undefined \
	-version-info $(LT_CURRENT):$(LT_REVISION):$(LT_AGE)
EXTRA_lib_libobjlife_la_DEPENDENCIES = $(top_srcdir)/lib/objlife.sym
if HAVE_VERSION_SCRIPT
lib_libobjlife_la_LDFLAGS += -Wl,--version-script=$(top_srcdir)/lib/objlife.sym
endif
# Never unloaded: a thread that used the library runs its thread-specific
# data destructors at exit, even after a dlclose() of the plugin that
# brought the library in (see objlife(7), "Plugins").
if HAVE_Z_NODELETE
lib_libobjlife_la_LDFLAGS += -Wl,-z,nodelete
endif
EXTRA_DIST += lib/objlife.sym

pkgconfig_DATA = lib/objlife.pc
DISTCLEANFILES += lib/objlife.pc
EXTRA_DIST += lib/objlife.pc.in

# The CMake package configuration, generated at make time with this
# installation's paths: find_package(objlife CONFIG) -> objlife::objlife.
cmakeconfigdir = $(libdir)/cmake/objlife
cmakeconfig_DATA = cmake/objlifeConfig.cmake cmake/objlifeConfigVersion.cmake
CLEANFILES += $(cmakeconfig_DATA)
EXTRA_DIST += cmake/objlifeConfig.cmake.in cmake/objlifeConfigVersion.cmake.in
cmake/objlifeConfig.cmake cmake/objlifeConfigVersion.cmake: Makefile
	$(AM_V_GEN)$(MKDIR_P) cmake && \
	ptr=`echo | $(CC) $(CPPFLAGS) $(CFLAGS) -dM -E - 2>/dev/null | \
		$(SED) -n 's/^#define __SIZEOF_POINTER__ //p'`; \
	$(SED) -e 's|@libdir[@]|$(libdir)|g' -e 's|@includedir[@]|$(includedir)|g' \
		-e 's|@VERSION[@]|$(VERSION)|g' -e "s|@SIZEOF_VOID_P[@]|$$ptr|g" \
		$(srcdir)/$@.in >$@.tmp && mv -f $@.tmp $@
cmake/objlifeConfig.cmake: $(srcdir)/cmake/objlifeConfig.cmake.in
cmake/objlifeConfigVersion.cmake: $(srcdir)/cmake/objlifeConfigVersion.cmake.in
