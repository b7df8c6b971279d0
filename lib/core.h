/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The core's interface between its two files: core.c (allocation and
 * teardown) and refcount.c (gets and puts, and what they report). Also
 * used by the diagnostics to pin a count they report on.
 */
#ifndef OBJLIFE_CORE_H
#define OBJLIFE_CORE_H

#include "objlife-private.h"

/* core.c. The last reference is gone (count 0, acquire fence done): runs
 * ops->release and returns true when the memory may be freed; false when
 * the object must leak (init still running, or release took a reference). */
bool ol_run_release(struct objlife *obj);
/* core.c. Gives a dead object's memory back and uncounts it. */
void ol_destroy(struct objlife *obj);
/* core.c. ol_run_release() then ol_destroy(). */
void ol_release(struct objlife *obj);

/* core.c. Whether @obj's release is running on the calling thread (an
 * outer frame of the caller). */
bool ol_release_running(const struct objlife *obj);

/* refcount.c. Pins @obj's count at @pin and reports @event, unless an
 * event was already reported for @obj: one per object. @seen is the count
 * observed by the failing operation. */
void ol_pin_and_report(struct objlife *obj, uint32_t pin, enum objlife_event event, uint32_t seen,
		       const char *fmt, ...) OL_PRINTF(5, 6);
/* Saturation, as refcount_t's: the object leaks from now on. */
#define ol_saturate(obj, event, seen, ...) \
	ol_pin_and_report(obj, OBJLIFE_REFCOUNT_SATURATED, event, seen, __VA_ARGS__)

/* refcount.c. A get, put, get_unless_zero or may_leak (@what) on a header
 * that was never set up (NULL ops: zeroed memory, a struct objlife on the
 * stack that no allocation made): BAD_OBJECT; the caller changes nothing. */
void ol_report_never_set_up(const struct objlife *obj, const char *what);

#endif /* OBJLIFE_CORE_H */
