# SPDX-License-Identifier: LGPL-2.1-or-later
# The public headers, installed under include/.
# Included by the top Makefile.am: paths are relative to the top of the tree.

include_HEADERS = include/objlife.h
objlifeincludedir = $(includedir)/objlife
objlifeinclude_HEADERS = include/objlife/cleanup.h
