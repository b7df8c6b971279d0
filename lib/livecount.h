/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-thread table of livecount.c, and the fast path of its counting,
 * inline: every allocation and every last put counts one object up or
 * down, and a type with a cache finds its magazine in the same record
 * (cache.h), so that one lookup serves both. Everything else is in
 * livecount.c. Included by objlife-private.h.
 */
#ifndef OBJLIFE_LIVECOUNT_H
#define OBJLIFE_LIVECOUNT_H

#include "cache.h"

#define OL_LC_SLOTS 64          /* records per thread; a power of two */

struct lc_type;                 /* livecount.c's per-type record */

/* The calling thread's record of one type: the type's live count on this
 * thread and, for a type with a cache, this thread's magazine of freed
 * blocks. Only the owning thread writes it; other threads read the count
 * under livecount.c's lock. */
struct ol_lc_slot {
	const struct objlife_ops *ops;   /* set once, under livecount.c's lock */
	struct lc_type *type;
	uintptr_t count;                 /* atomic */
	struct ol_magazine magazine;     /* cache.c's; all zero until it makes one */
};

struct ol_lc_thread {
	struct ol_lc_thread *next, **pprev; /* every thread's, under the lock */
	struct ol_lc_slot slots[OL_LC_SLOTS];
};

/* This thread's table. NULL until its first object; OL_LC_NONE once it
 * cannot have one (no memory, or the thread is exiting). */
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
/* The record in it used last, or NULL: a daemon mostly allocates and
 * frees one type at a time, and this finds it with one load from the
 * thread pointer. */
extern TLS struct ol_lc_slot *ol_lc_last OL_LC_TLS_MODEL;

/* Everything but the last record's type: another type, the thread's first
 * object, no table. 0 or -ENOMEM; *@slot as ol_livecount_inc(). */
int ol_livecount_add_slow(const struct objlife_ops *ops, uintptr_t delta,
			  struct ol_lc_slot **slot);

/* Adds @delta to the count of @s, this thread's record. */
static inline void ol_livecount_add_slot(struct ol_lc_slot *s, uintptr_t delta)
{
	/* Only this thread writes the count: a load and a store, atomic only
	 * so that readers never see a torn value. */
	ol_storeup(&s->count, ol_loadup(&s->count, OL_RELAXED) + delta, OL_RELAXED);
}

static inline int ol_livecount_add(const struct objlife_ops *ops, uintptr_t delta,
				   struct ol_lc_slot **slot)
{
	struct ol_lc_slot *s = ol_lc_last;

	int ret;

	if (ol_likely(s && s->ops == ops)) {
		ol_livecount_add_slot(s, delta);
		*slot = s;
		return 0;
	}
	/* Through a variable of its own, so that the caller's can stay in a
	 * register (only this one's address is taken). */
	ret = ol_livecount_add_slow(ops, delta, &s);
	*slot = s;
	return ret;
}

/* One more object of @ops on this thread: 0 or -ENOMEM. *@slot gets this
 * thread's record of @ops, or NULL when the thread has none (no memory,
 * its table is full, or it is exiting: the count went to the type's shared
 * counter instead). */
static inline int ol_livecount_inc(const struct objlife_ops *ops, struct ol_lc_slot **slot)
{
	return ol_livecount_add(ops, 1, slot);
}

/* One object fewer (after a successful inc: it cannot fail); returns the
 * record as above. */
static inline struct ol_lc_slot *ol_livecount_dec(const struct objlife_ops *ops)
{
	struct ol_lc_slot *slot;

	(void)ol_livecount_add(ops, (uintptr_t)-1, &slot);
	return slot;
}

/* This thread's record of @ops, without counting anything; NULL if none. */
struct ol_lc_slot *ol_livecount_slot(const struct objlife_ops *ops);
/* Calls @fn for each type the calling thread has a record of. */
void ol_livecount_each_slot(void (*fn)(struct ol_lc_slot *slot, void *data), void *data);

#endif /* OBJLIFE_LIVECOUNT_H */
