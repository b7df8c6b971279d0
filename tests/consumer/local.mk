# SPDX-License-Identifier: LGPL-2.1-or-later
# Consumers of the installed library, run by make installcheck.
# Included by the top Makefile.am: paths are relative to the top of the tree.

# Consumers of the installed library (make installcheck, so make
# distcheck): C and C++ through pkg-config, CMake through the package
# configuration and through pkg_check_modules, Meson through
# dependency(). make installcheck CONSUMERS='...' runs fewer.
CONSUMERS = c c++ cmake-config cmake-pkg-config meson
EXTRA_DIST += \
	tests/consumer/run.sh \
	tests/consumer/consumer.c \
	tests/consumer/consumer.cc \
	tests/consumer/app.c \
	tests/consumer/CMakeLists.txt \
	tests/consumer/meson.build
installcheck-local: installcheck-consumers
installcheck-consumers:
	@srcdir='$(srcdir)/tests/consumer' prefix='$(prefix)' libdir='$(libdir)' \
	pkgconfigdir='$(pkgconfigdir)' DESTDIR='$(DESTDIR)' \
	CC='$(CC)' CFLAGS='$(CFLAGS)' CXX='$(CXX)' CXXFLAGS='$(CXXFLAGS)' PKG_CONFIG='$(PKG_CONFIG)' \
	CMAKE='$(CMAKE)' MESON='$(MESON)' NINJA='$(NINJA)' \
	$(SHELL) $(srcdir)/tests/consumer/run.sh $(CONSUMERS)
clean-local: clean-consumers
clean-consumers:
	-rm -rf consumers.tmp
.PHONY: installcheck-consumers clean-consumers
