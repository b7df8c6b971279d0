/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tracker.c's interface to registry.c: the trackers of an object that is
 * going away.
 */
#ifndef OBJLIFE_TRACKER_H
#define OBJLIFE_TRACKER_H

#include "objlife-private.h"
#include "registry.h"


/* Registry shard locked, @entry just removed (its object is released):
 * marks its live trackers dropped. Returns how many there were and copies
 * up to @max of their stacks to @taken. */
unsigned ol_tracker_orphan_all(struct ol_tracker_shard *ts, struct ol_entry *entry,
			       const struct ol_stack **taken, unsigned max);
/* No lock held: reports BAD_TRACKER for @obj, released with @held
 * trackers still held, listing the first @shown of @taken. */
void ol_tracker_report_orphans(const struct objlife *obj, unsigned held,
			       const struct ol_stack *const *taken, unsigned shown);
/* Registry shard locked: copies the stacks of up to @max of @entry's live
 * trackers to @out and returns how many it has (which may be more). */
uint32_t ol_tracker_stacks(const struct ol_entry *entry, const struct ol_stack **out,
			   uint32_t max);
/* Registry shard locked, no live tracker in it (no object): frees the
 * dropped ones and the map, at the process's exit. A stale handle given
 * later is then reported as one that was never taken. */
void ol_tracker_shard_free(struct ol_tracker_shard *ts);

#endif /* OBJLIFE_TRACKER_H */
