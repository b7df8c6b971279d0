/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The diagnostics as the core sees them: the hooks core.c and refcount.c
 * call, and only while OBJLIFE_DEBUG asks for them (ol_options(): one
 * test of one word on each path). Everything else of lib/diag/ is
 * reached from these, from the public diagnostics functions
 * (objlife_get_tracked(), objlife_leak_check(), objlife_quarantine_flush())
 * and from the report at exit.
 */
#ifndef OBJLIFE_DIAG_H
#define OBJLIFE_DIAG_H

#include "objlife-private.h"

/* leaks (registry.c). A new object (count 1, before init) is recorded
 * with the stack of the user's code that called @caller's entry point. On
 * no memory marks it OL_UNTRACKED and reports that once; the object works
 * as ever. */
void ol_registry_add(struct objlife *obj, const void *caller);
/* leaks (registry.c). The object is dying (release ran): forgets it.
 * Trackers still held on it are reported as BAD_TRACKER. */
void ol_registry_remove(struct objlife *obj);

/* poison (poison.c). Takes the dead object (release ran, uncounted, out
 * of the registry) into the quarantine. Returns false when it cannot (no
 * memory): the caller frees it as usual. */
bool ol_quarantine_put(struct objlife *obj, size_t size, uint32_t info);
/* poison (poison.c). A get, put, get_unless_zero or may_leak (@what)
 * reached a quarantined object: reports BAD_OBJECT once per object and
 * restores the dead count. */
void ol_poison_access(struct objlife *obj, const char *what);
/* poison (poison.c). The process is exiting: the quarantined memory of
 * the default allocator goes back (its fill checked), and the ring with
 * it when nothing else is left in it. */
void ol_quarantine_exit(void);
static inline bool ol_is_poisoned(const struct objlife *obj)
{
	return ol_load32(&obj->_info, OL_RELAXED) & OL_POISONED;
}

/* refs (tracker.c). Adds to @t the stacks of the trackers still held on
 * @obj, one "held by a tracker taken at:" block each (up to 16), or a
 * line saying there is none. Takes the registry shard's lock briefly. */
void ol_tracker_format_held(struct ol_text *t, const struct objlife *obj);

/* How stacks are captured and symbolised here, for OBJLIFE_DEBUG=help
 * (symbolize.c). */
const char *ol_backtrace_method(void);

#endif /* OBJLIFE_DIAG_H */
