# SPDX-License-Identifier: LGPL-2.1-or-later
# The public headers, installed under include/.
# Included by the top Makefile.am: paths are relative to the top of the tree.

include_HEADERS = include/objlife.h
objlifeincludedir = $(includedir)/objlife
# inline.h and platform.h are internal: <objlife.h> includes them, and
# they refuse to be included on their own.
objlifeinclude_HEADERS = include/objlife/cleanup.h \
	include/objlife/inline.h \
	include/objlife/platform.h
