/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-thread records of livecount.c, and the fast path of its
 * counting, inline: every allocation and every last put counts one object
 * made or gone, and a type with a cache finds its magazine in the same
 * record (cache.h), so that one lookup serves both. Everything else is in
 * livecount.c. Included by objlife-private.h.
 */
#ifndef OBJLIFE_LIVECOUNT_H
#define OBJLIFE_LIVECOUNT_H

#include "addrmap.h"
#include "cache.h"

struct lc_type;                 /* livecount.c's per-type record */

/* Which of a record's two counters an operation moves. */
enum { OL_LC_MADE = 0, OL_LC_GONE = 1 };

/* The calling thread's record of one type: how many objects of the type
 * this thread made and how many went away on it (two counters that only
 * grow, so that a reader can bound the live count; see livecount.c) and,
 * for a type with a cache, this thread's magazine of freed blocks. Only
 * the owning thread writes it; others read the counters under
 * livecount.c's lock. Allocated one by one, so that a pointer to one
 * stays valid while the thread's map of them grows. */
struct ol_lc_slot {
	const struct objlife_ops *ops;   /* first: the fast path compares it */
	uintptr_t n[2];                  /* atomic; indexed by OL_LC_MADE/GONE */
	struct ol_magazine magazine;     /* cache.c's; all zero until it makes one */
	/* livecount.c's own */
	struct ol_anode node;            /* in the thread's map; key: the ops */
	struct lc_type *type;
	struct ol_lc_slot *type_next, **type_pprev;  /* the type's records, under the lock */
	struct ol_lc_slot *thread_next;  /* the thread's records, newest first */
	uintptr_t mark;                  /* n[MADE] + n[GONE] at the thread's last sweep */
};

/* One thread's records. Only the owning thread reads or changes the map
 * and the list: other threads reach the records through their types.
 * Every thread's is also on one list, so that after a fork() the child
 * still reaches the records of the threads that did not come along (their
 * counts stay in the sums; a leak checker sees them as reachable). */
struct ol_lc_thread {
	struct ol_lc_thread *next, **pprev; /* every thread's, under livecount.c's lock */
	struct ol_amap map;              /* ops -> record */
	struct ol_lc_slot *slots;        /* every record, newest first */
	size_t sweep_at;                 /* records that start the next sweep */
	unsigned hold;                   /* > 0: a record may be in use, sweep none */
};

/* A thread's records before its first sweep: a thread that uses up to
 * this many types keeps a record of each for as long as it lives, and
 * never takes a lock to count or cache them after their first use. */
#define OL_LC_SWEEP_MIN 512

/* This thread's records. NULL until its first object; OL_LC_NONE once it
 * cannot have any (no memory, or the thread is exiting). */
#define OL_LC_NONE ((struct ol_lc_thread *)(uintptr_t)1)

/* initial-exec: every allocation and free reads this, and the model makes
 * that one thread-pointer-relative load instead of a __tls_get_addr() call
 * (about a tenth of an alloc+put). glibc keeps static TLS in reserve for
 * libraries loaded later with dlopen() (Python's ctypes does), and one
 * pointer fits in it; elsewhere the default model stays. */
#if defined(__GLIBC__) && defined(__ELF__)
# define OL_LC_TLS_MODEL __attribute__((tls_model("initial-exec")))
#else
# define OL_LC_TLS_MODEL
#endif
extern TLS struct ol_lc_thread *ol_lc_self OL_LC_TLS_MODEL;
/* The record used last, or NULL: a daemon mostly allocates and frees one
 * type at a time, and this finds it with one load from the thread pointer. */
extern TLS struct ol_lc_slot *ol_lc_last OL_LC_TLS_MODEL;

/* Everything but the last record's type: a lookup in the thread's map,
 * else (the thread's first object of the type, or no records) the slow
 * path under the lock. 0 or -ENOMEM; *@slot as ol_livecount_inc(). */
int ol_livecount_add_slow(const struct objlife_ops *ops, unsigned which,
			  struct ol_lc_slot **slot);

/* Counts one object made or gone (@which) in @s, this thread's record. */
static inline void ol_livecount_bump(struct ol_lc_slot *s, unsigned which)
{
	/* Only this thread writes the counter: a load and a store, atomic
	 * only so that readers never see a torn value. */
	ol_storeup(&s->n[which], ol_loadup(&s->n[which], OL_RELAXED) + 1, OL_RELAXED);
}

static inline int ol_livecount_add(const struct objlife_ops *ops, unsigned which,
				   struct ol_lc_slot **slot)
{
	struct ol_lc_slot *s = ol_lc_last;
	int ret;

	if (ol_likely(s && s->ops == ops)) {
		ol_livecount_bump(s, which);
		*slot = s;
		return 0;
	}
	/* Through a variable of its own, so that the caller's can stay in a
	 * register (only this one's address is taken). */
	ret = ol_livecount_add_slow(ops, which, &s);
	*slot = s;
	return ret;
}

/* One more object of @ops: 0 or -ENOMEM. *@slot gets this thread's record
 * of @ops, or NULL when the thread has none (no memory, or it is exiting:
 * the count went to the type's shared counters instead). */
static inline int ol_livecount_inc(const struct objlife_ops *ops, struct ol_lc_slot **slot)
{
	return ol_livecount_add(ops, OL_LC_MADE, slot);
}

/* One object fewer (after a successful inc: it cannot fail); returns the
 * record as above. */
static inline struct ol_lc_slot *ol_livecount_dec(const struct objlife_ops *ops)
{
	struct ol_lc_slot *slot;

	(void)ol_livecount_add(ops, OL_LC_GONE, &slot);
	return slot;
}

/* This thread's record of @ops, without counting anything; NULL if none. */
struct ol_lc_slot *ol_livecount_slot(const struct objlife_ops *ops);
/* Calls @fn for each record the calling thread has. @fn may call the
 * user's code (ops->free), which may allocate: records made meanwhile are
 * not visited, and none is swept away until the walk is over. */
void ol_livecount_each_slot(void (*fn)(struct ol_lc_slot *slot, void *data), void *data);
/* Between these two, the calling thread's records stay where they are
 * (no sweep frees one): for code that holds a record across the user's
 * code. They nest. */
void ol_livecount_hold(void);
void ol_livecount_unhold(void);

#endif /* OBJLIFE_LIVECOUNT_H */
