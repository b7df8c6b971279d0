/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * leakcheck.c's interface to registry.c.
 */
#ifndef OBJLIFE_LEAKCHECK_H
#define OBJLIFE_LEAKCHECK_H

#include "objlife-private.h"

/* The report at exit, called by registry.c's destructor
 * (after the program's atexit handlers, C++ static destructors and ELF
 * destructors) when "leaks" is on. */
/* Returns how many reports it made: 0 when nothing leaked. */
size_t ol_leak_report_at_exit(void);

#endif /* OBJLIFE_LEAKCHECK_H */
