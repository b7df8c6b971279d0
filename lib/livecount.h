/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * livecount.c's interface: live counts per type, shared by every thread.
 *
 * A thread counts the objects of a type it makes and frees in its own
 * record of the type (thread.h), in a counter that livecount.c links into
 * the type's list; objlife_live_count() sums them. A thread without
 * records (no memory, or exiting) counts in the type's shared counters
 * instead, under livecount.c's lock.
 */
#ifndef OBJLIFE_LIVECOUNT_H
#define OBJLIFE_LIVECOUNT_H

#include "objlife-private.h"

/* Which of a counter's two words an operation moves. */
enum { OL_LC_MADE = 0, OL_LC_GONE = 1 };

struct ol_lc_type;               /* livecount.c's per-type record */

/* One thread's counts of one type: objects made and objects gone on the
 * thread, two words that only grow (so that a reader can bound the live
 * count: see livecount.c). Only the owning thread writes them; readers
 * sum them under livecount.c's lock, through the type's list. */
struct ol_lc_counter {
	uintptr_t n[2];                        /* atomic; by OL_LC_MADE/GONE */
	struct ol_lc_type *type;               /* the rest is livecount.c's */
	struct ol_lc_counter *next, **pprev;   /* the type's counters */
};

/* Counts one object made or gone (@which) in @c, the calling thread's. */
static inline void ol_lc_count(struct ol_lc_counter *c, unsigned which)
{
	/* Only this thread writes the word: a load and a store, atomic only
	 * so that readers never see a torn value. */
	ol_storeup(&c->n[which], ol_loadup(&c->n[which], OL_RELAXED) + 1, OL_RELAXED);
}

/* livecount.c's lock: the types, their lists of counters, and (for
 * thread.c) the list of every thread's records. Its fork handlers are
 * registered before it is first taken. Never held while the user's code
 * runs, nor while another lock of the library is taken. */
void ol_livecount_lock(void);
void ol_livecount_unlock(void);
/* Lock held: links @c, the zeroed counter of a new record, into @ops's
 * type (made at its first use). 0, or -ENOMEM (not linked). */
int ol_livecount_attach(struct ol_lc_counter *c, const struct objlife_ops *ops);
/* Lock held: @c's counts go into its type's shared counters and @c leaves
 * the type (its record is going away). */
void ol_livecount_detach(struct ol_lc_counter *c);
/* No counter to count in: counts in @ops's shared counters, under the
 * lock. 0, or -ENOMEM when the type's record could not be made (only
 * ever for OL_LC_MADE: an object that exists has a type record). */
int ol_livecount_count_shared(const struct objlife_ops *ops, unsigned which);

/* One type's live count, copied out for a listing. */
struct ol_type_live {
	const struct objlife_ops *ops;
	size_t live;
};
/* Copies every type with live objects, with its count, into *@types (an
 * array of *@n, to ol_free()); the counts are taken under the lock, which
 * is not held when this returns, so that the caller may write them
 * anywhere. false when memory ran out: some types are missing. */
bool ol_livecount_types(struct ol_type_live **types, size_t *n);

/* The process is exiting (diag/registry.c's last destructor): the table
 * of types goes once it is empty, now and whenever it becomes empty
 * again; a later use makes it again. */
void ol_livecount_exit(void);

#endif /* OBJLIFE_LIVECOUNT_H */
