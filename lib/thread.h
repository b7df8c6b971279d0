/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * thread.c's interface: this thread's record of a type.
 *
 * Every allocation and every last put starts here: the calling thread's
 * record of the object's type holds the thread's live counts of the type
 * (livecount.h) and, for a type with a cache, its magazine of freed blocks
 * (cache.h), so that one lookup serves both. The lookup of a recently
 * used type, the counting and the cache's hits are inline below; the rest (the
 * thread's map of records, making and sweeping them, the thread's exit)
 * is in thread.c.
 */
#ifndef OBJLIFE_THREAD_H
#define OBJLIFE_THREAD_H

#include "objlife-private.h"
#include "addrmap.h"
#include "cache.h"
#include "livecount.h"

/* The calling thread's record of one type. Only the owning thread writes
 * it; other threads read its counts, through livecount.c's lists. Each is
 * allocated on its own, so that a pointer to one stays valid while the
 * thread's map of them grows. */
struct ol_thread_rec {
	const struct objlife_ops *ops;   /* first: the fast path compares it */
	struct ol_lc_counter live;       /* livecount.c's counts: made, gone */
	struct ol_magazine magazine;     /* cache.c's; all zero until it makes one */
	/* thread.c's own */
	struct ol_anode node;            /* in the thread's map; key: the ops */
	struct ol_thread_rec *thread_next; /* the thread's records, newest first */
	uintptr_t mark;                  /* made + gone at the thread's last sweep */
};

/* Records found without a lookup: a thread's recently used records, one
 * per slot, by a hash of the ops (ol_thread_slot()). A program that mixes
 * a few types (a parser's objects, arrays, strings and numbers; a
 * daemon's sessions, buffers and requests) finds each type's record with
 * two loads and a compare, as it would the only one. */
#define OL_THREAD_RECENT 64

/* One thread's records. Only the owning thread reads or changes them:
 * other threads reach the records' counts through their types. Every
 * thread's is also on one list (under livecount.c's lock), so that after
 * a fork() the child still reaches the records of the threads that did
 * not come along: their counts stay in the sums, and a leak checker sees
 * them as reachable. */
struct ol_thread {
	/* first: the fast path reads it; never NULL (ol_thread_rec_none) */
	struct ol_thread_rec *recent[OL_THREAD_RECENT];
	struct ol_thread *next, **pprev; /* every thread's */
	struct ol_amap map;              /* ops -> record: all of them */
	struct ol_thread_rec *recs;      /* every record, newest first */
	size_t sweep_at;                 /* records that start the next sweep */
	unsigned hold;                   /* > 0: a record may be in use, sweep none */
};

/* The empty slot of recent[]: its ops are no type's. */
extern struct ol_thread_rec ol_thread_rec_none;

/* A thread's records before its first sweep: a thread that uses up to
 * this many types keeps a record of each for as long as it lives, and
 * never takes a lock to count or cache them after their first use. */
#define OL_THREAD_SWEEP_MIN 512

/* A thread with no records has one of these, whose recent[] holds only
 * ol_thread_rec_none, so that the fast path needs no NULL test: unborn
 * until the thread's first object, dead once it cannot have records (no
 * memory, or the thread is exiting). */
extern struct ol_thread ol_thread_unborn, ol_thread_dead;

/* initial-exec: every allocation and free reads these, and the model makes
 * that one thread-pointer-relative load instead of a __tls_get_addr() call
 * (about a tenth of an alloc+put). glibc keeps static TLS in reserve for
 * libraries loaded later with dlopen() (Python's ctypes does), and one
 * pointer fits in it; elsewhere the default model stays. */
#if defined(__GLIBC__) && defined(__ELF__)
# define OL_THREAD_TLS_MODEL __attribute__((tls_model("initial-exec")))
#else
# define OL_THREAD_TLS_MODEL
#endif
/* This thread's records: never NULL (see ol_thread_unborn). */
extern TLS struct ol_thread *ol_thread_self OL_THREAD_TLS_MODEL;

/* @ops's slot in recent[]. ops tables are pointer-aligned and often
 * neighbours in .rodata (48 bytes apart on LP64): the bits above the
 * alignment tell 21 neighbours apart, in two instructions. */
static inline unsigned ol_thread_slot(const struct objlife_ops *ops)
{
	return (unsigned)((uintptr_t)ops >> 4) & (OL_THREAD_RECENT - 1);
}

/* ol_thread_rec() for a type not in recent[]. */
struct ol_thread_rec *ol_thread_rec_slow(const struct objlife_ops *ops);

/* The calling thread's record of @ops, made at the thread's first use of
 * the type; NULL when the thread can have none (no memory, or it is
 * exiting): its objects then count in the type's shared counters and are
 * not cached. */
static inline struct ol_thread_rec *ol_thread_rec(const struct objlife_ops *ops)
{
	struct ol_thread_rec *rec = ol_thread_self->recent[ol_thread_slot(ops)];

	if (ol_likely(rec->ops == ops))
		return rec;
	return ol_thread_rec_slow(ops);
}

/* The same without making one: NULL if the thread has no record of @ops. */
struct ol_thread_rec *ol_thread_rec_find(const struct objlife_ops *ops);

/* Counts one object of @ops made or gone (@which) in @rec, the calling
 * thread's record of @ops, or NULL for none. 0, or -ENOMEM (only ever
 * when made: see ol_livecount_count_shared()). */
static inline int ol_thread_count(struct ol_thread_rec *rec, const struct objlife_ops *ops,
				  unsigned which)
{
	if (ol_likely(rec != NULL)) {
		ol_lc_count(&rec->live, which);
		return 0;
	}
	return ol_livecount_count_shared(ops, which);
}

/* Everything but a cache hit; see ol_cache_take_slow(). */
void *ol_thread_cache_take_slow(struct ol_thread_rec *rec, size_t size, size_t align,
				uint32_t *flags);
/* ol_thread_cache_free() for everything but a block that simply fits. */
void ol_thread_cache_free_slow(struct ol_thread_rec *rec, void *mem, size_t size, uint32_t info);

/* A zeroed block for an allocation of @size bytes aligned to @align from
 * @rec's magazine (a type with a cache), or NULL: the caller asks the
 * allocator. Sets the block's OL_ALIGNED in *@flags. */
static inline void *ol_thread_cache_take(struct ol_thread_rec *rec, size_t size, size_t align,
					 uint32_t *flags)
{
	uint32_t slow_flags = 0;
	void *mem;

	if (ol_likely(ol_cache_hit(&rec->magazine, size, align)))
		goto hit;
	/* Empty, of this shape, with no trim pending: the allocator's turn,
	 * without a call (a busy type that outruns its magazine). */
	if (rec->magazine.cap && ol_cache_empty_same_shape(&rec->magazine, size, align))
		return NULL;
	/* Through a variable of its own, so that the caller's can stay in a
	 * register (only this one's address is taken). */
	mem = ol_thread_cache_take_slow(rec, size, align, &slow_flags);
	*flags |= slow_flags;
	return mem;
hit:
	*flags |= rec->magazine.flags;
	return ol_cache_pop(&rec->magazine, size);
}

/* Gives back the memory of a dead object of @rec's type (uncounted, out
 * of the registry; @size at most OL_INFO_SIZE_MAX, @info the object's):
 * into @rec's magazine when it fits there, else to the allocator. A call
 * the caller can end with, so that the last put saves no registers. */
static inline void ol_thread_cache_free(struct ol_thread_rec *rec, void *mem, size_t size,
					uint32_t info)
{
	if (ol_likely(ol_cache_fits(&rec->magazine, mem, size, info))) {
		ol_cache_push(&rec->magazine, mem, info);
		return;
	}
	/* Full, with no trim pending: to the allocator, without a call. */
	if (ol_cache_full(&rec->magazine)) {
		ol_mem_free(rec->ops, mem, size, info);
		return;
	}
	ol_thread_cache_free_slow(rec, mem, size, info);
}

/* The process is exiting (diag/registry.c's last destructor, after the
 * leak report): the calling thread's records go, as at a thread's exit
 * (its later objects count in their types' shared counters). Returns true
 * when no other thread has records: none is known to be running. */
bool ol_thread_exit_process(void);

#endif /* OBJLIFE_THREAD_H */
