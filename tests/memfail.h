/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Failing the library's own allocations, for the test programs that
 * compile the library's sources in and so reach the hidden hook
 * ol_mem_fail_hook: the allocations of one use are counted, and the nth of
 * them fails, or every one from the nth on.
 */
#ifndef OBJLIFE_TESTS_MEMFAIL_H
#define OBJLIFE_TESTS_MEMFAIL_H

#include "objlife-private.h"
#include "testutil.h"

static struct {
	bool on;
	enum ol_mem_use use;
	size_t min_size;      /* smaller allocations are neither counted nor failed */
	unsigned seen;        /* allocations of @use since tu_mem_fail() */
	unsigned fail_at;     /* the first to fail (1-based); 0: none, only counted */
	bool fail_rest;       /* and every later one too */
} tu_mem;

static TU_UNUSED bool tu_mem_hook(enum ol_mem_use use, size_t size)
{
	if (!tu_mem.on || use != tu_mem.use || size < tu_mem.min_size)
		return false;
	tu_mem.seen++;
	if (!tu_mem.fail_at || tu_mem.seen < tu_mem.fail_at)
		return false;
	return tu_mem.seen == tu_mem.fail_at || tu_mem.fail_rest;
}

/* From now on, allocation @fail_at of @use fails, and with @fail_rest every
 * later one too. Set tu_mem.min_size afterwards to spare small ones. */
static TU_UNUSED void tu_mem_fail(enum ol_mem_use use, unsigned fail_at, bool fail_rest)
{
	tu_mem.use = use;
	tu_mem.min_size = 0;
	tu_mem.seen = 0;
	tu_mem.fail_at = fail_at;
	tu_mem.fail_rest = fail_rest;
	tu_mem.on = true;
	ol_mem_fail_hook = tu_mem_hook;
}

/* Every allocation of @use fails from now on. */
static TU_UNUSED void tu_mem_fail_all(enum ol_mem_use use)
{
	tu_mem_fail(use, 1, true);
}

/* Stops failing; returns how many allocations of the use were seen. */
static TU_UNUSED unsigned tu_mem_stop(void)
{
	tu_mem.on = false;
	ol_mem_fail_hook = NULL;
	return tu_mem.seen;
}

#endif /* OBJLIFE_TESTS_MEMFAIL_H */
