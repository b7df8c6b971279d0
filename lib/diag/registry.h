/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * registry.c's interface: every live object, while OBJLIFE_DEBUG has
 * leaks, for the leak checks (leakcheck.c) and the trackers (tracker.c).
 */
#ifndef OBJLIFE_REGISTRY_H
#define OBJLIFE_REGISTRY_H

#include "objlife-private.h"
#include "addrmap.h"
#include "stack.h"


/* The registry is split in shards by object address, each with its own
 * lock, map of objects and tracker.c's state for those objects, so that
 * threads working on different objects rarely meet. One shard's lock is
 * never held with another's, nor with any other lock of the library. */
#define OL_REGISTRY_SHARDS 64u

struct ol_tracker;
/* One per live object, keyed by its address; owned by registry.c. */
struct ol_entry {
	struct ol_anode node;             /* key: the object's address */
	const struct ol_stack *stack;     /* where it was allocated; NULL: unknown */
	struct ol_tracker *trackers;      /* live trackers (tracker.c's list) */
	uintptr_t serial;                 /* which object at this address: new per add */
	uint32_t untracked_refs;          /* refs taken by get_tracked without a tracker */
};

/* tracker.c's part of a shard: the trackers of this shard's objects. */
struct ol_tracker_shard {
	struct ol_amap map;               /* live and recently dropped, by handle */
	struct ol_tracker *dead_head, *dead_tail; /* dropped ones, oldest first */
	unsigned ndead;
};

unsigned ol_registry_shard_of(uintptr_t key);
/* Locks @shard and returns its tracker state. */
struct ol_tracker_shard *ol_registry_lock(unsigned shard);
void ol_registry_unlock(unsigned shard);
/* @shard locked: @obj's entry, or NULL (untracked, or not an object). */
struct ol_entry *ol_registry_find(unsigned shard, const struct objlife *obj);

/* One live object, copied out for a report. */
struct ol_leak {
	const struct objlife *obj;        /* the address only */
	const struct objlife_ops *ops;
	const struct ol_stack *stack;
	uint32_t count;
	uint32_t ntrackers;
	size_t trackers;                  /* index of the first in ol_leak_set.tracker */
};
struct ol_leak_set {
	struct ol_leak *leak;
	size_t n, cap;
	const struct ol_stack **tracker;  /* the stacks of every leak's live trackers */
	size_t ntracker, tracker_cap;
	bool incomplete;                  /* out of memory while copying */
};
/* Copies every live object not marked may_leak (each shard under its
 * lock in turn). Free with ol_leak_set_free(). */
void ol_registry_snapshot(struct ol_leak_set *set);
void ol_leak_set_free(struct ol_leak_set *set);

#endif /* OBJLIFE_REGISTRY_H */
