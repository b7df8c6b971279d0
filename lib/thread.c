/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * This thread's record of a type: where an allocation and a last put find
 * what they need of the type on the calling thread, with no lock and no
 * shared cache line. A record holds the thread's live counts of the type
 * (livecount.c sums them) and its magazine of freed blocks (cache.c).
 *
 * Finding one. A recently used record is two loads from the thread
 * pointer (thread.h, inline: a small table of them, by a hash of the
 * ops, so that a program that mixes types finds each one there); any
 * other is in the thread's own hash map, which grows with the number of
 * types: a thread that uses a thousand types pays what a thread that uses
 * three does. The thread's first object of a
 * type makes its record, under livecount.c's lock, which links the
 * record's counter into the type's list, through which readers find it.
 *
 * Memory stays bounded when types come and go (a binding that makes types
 * at run time, a plugin that is unloaded): when a thread's map has doubled
 * since its last sweep, the thread folds the counts of every record that
 * was not used since the previous sweep into its type's shared counters
 * and frees the record. A record that is in use (one in the recent
 * table, one whose magazine holds blocks, any while hold() is in force)
 * stays.
 *
 * A thread's exit gives its cached blocks back and folds its counts into
 * the types' shared counters (a thread-specific data destructor); the
 * process's exit gives back the cached blocks of the thread that runs the
 * atexit handlers and tells the others (an atexit handler).
 */
#include "thread.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_once_t thread_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;
static bool thread_key_ok;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
/* Every thread's records, under livecount.c's lock. */
static struct ol_thread *threads;

struct ol_thread_rec ol_thread_rec_none;
struct ol_thread ol_thread_unborn = { .recent = { [0 ... OL_THREAD_RECENT - 1] = &ol_thread_rec_none } };
struct ol_thread ol_thread_dead = { .recent = { [0 ... OL_THREAD_RECENT - 1] = &ol_thread_rec_none } };
TLS struct ol_thread *ol_thread_self OL_THREAD_TLS_MODEL = &ol_thread_unborn;

#define rec_of(n) ((struct ol_thread_rec *)((char *)(n) - offsetof(struct ol_thread_rec, node)))

static struct ol_thread *thread_now(void)
{
	struct ol_thread *t = ol_thread_self;

	return t != &ol_thread_unborn && t != &ol_thread_dead ? t : NULL;
}

/* Between these two, the calling thread's records stay where they are (no
 * sweep frees one): around code that holds a record across the user's
 * code (ops->free may allocate objects of new types). They nest. */
static void hold(struct ol_thread *t)
{
	if (t)
		t->hold++;
}

static void unhold(struct ol_thread *t)
{
	/* The thread may have lost its records meanwhile (it is exiting):
	 * then there is nothing to hold. */
	if (t && t == thread_now() && t->hold)
		t->hold--;
}

static struct ol_thread_rec *rec_find(struct ol_thread *t, const struct objlife_ops *ops)
{
	struct ol_anode *node = ol_amap_find(&t->map, (uintptr_t)ops);

	return node ? rec_of(node) : NULL;
}

/* Gives the exiting thread's cached blocks back, then folds its counts
 * into the types' shared counters. */
static void thread_exit(void *p)
{
	struct ol_thread *t = p;
	struct ol_thread_rec *r, *next;

	/* Objects made or freed from here on (by ops->free, or by later
	 * destructors of this thread) count shared and are not cached. */
	ol_thread_self = &ol_thread_dead;
	/* With no lock held: ops->free is the user's code. */
	for (r = t->recs; r; r = r->thread_next)
		ol_cache_close(&r->magazine, r->ops);
	ol_livecount_lock();
	for (r = t->recs; r; r = r->thread_next)
		ol_livecount_detach(&r->live);
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	ol_livecount_unlock();
	for (r = t->recs; r; r = next) {
		next = r->thread_next;
		ol_free(r);
	}
	ol_amap_free(&t->map);
	ol_free(t);
}

static void thread_init(void)
{
	thread_key_ok = pthread_key_create(&thread_key, thread_exit) == 0;
}

/* livecount.c's lock held. This thread's records, made on first use. */
static struct ol_thread *thread_get(void)
{
	struct ol_thread *t = ol_thread_self;
	unsigned i;

	if (t != &ol_thread_unborn)
		return t == &ol_thread_dead ? NULL : t;
	t = thread_key_ok ? ol_calloc(OL_MEM_LIVECOUNT, 1, sizeof(*t)) : NULL;
	if (t && pthread_setspecific(thread_key, t) != 0) {
		ol_free(t);
		t = NULL;
	}
	if (!t) {
		ol_thread_self = &ol_thread_dead;
		return NULL;
	}
	for (i = 0; i < OL_THREAD_RECENT; i++)
		t->recent[i] = &ol_thread_rec_none;
	t->map.use = OL_MEM_LIVECOUNT;
	t->sweep_at = OL_THREAD_SWEEP_MIN;
	t->next = threads;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = &threads;
	threads = t;
	ol_thread_self = t;
	return t;
}

/* livecount.c's lock held. Frees the records of @t that were not used
 * since the last sweep (their counts did not move) and hold no cached
 * blocks; marks the others. Then the next sweep comes when the map has
 * doubled again, so that sweeping costs O(1) per record made. */
static void sweep(struct ol_thread *t)
{
	struct ol_thread_rec **link = &t->recs, *r;

	if (t->hold)
		return;
	while ((r = *link) != NULL) {
		uintptr_t used = ol_loadup(&r->live.n[OL_LC_MADE], OL_RELAXED) +
				 ol_loadup(&r->live.n[OL_LC_GONE], OL_RELAXED);

		/* Records in recent[] stay: the fast path may hold one. */
		if (used != r->mark || t->recent[ol_thread_slot(r->ops)] == r || r->magazine.n) {
			r->mark = used;
			link = &r->thread_next;
			continue;
		}
		*link = r->thread_next;
		ol_amap_remove(&t->map, (uintptr_t)r->ops);
		/* Empty: closing it frees its array, and calls no ops->free. */
		ol_cache_close(&r->magazine, r->ops);
		ol_livecount_detach(&r->live);
		ol_free(r);
	}
	t->sweep_at = t->map.n * 2 > OL_THREAD_SWEEP_MIN ? t->map.n * 2 : OL_THREAD_SWEEP_MIN;
}

/* livecount.c's lock held. A new record of @ops for @t, or NULL (no
 * memory: the caller counts shared). */
static struct ol_thread_rec *rec_new(struct ol_thread *t, const struct objlife_ops *ops)
{
	struct ol_thread_rec *r;

	if (t->map.n >= t->sweep_at)
		sweep(t);
	r = ol_calloc(OL_MEM_LIVECOUNT, 1, sizeof(*r));
	if (!r)
		return NULL;
	r->ops = ops;
	r->node.key = (uintptr_t)ops;
	if (ol_amap_insert(&t->map, &r->node) < 0) {
		ol_free(r);
		return NULL;
	}
	if (ol_livecount_attach(&r->live, ops) < 0) {
		ol_amap_remove(&t->map, r->node.key);
		ol_free(r);
		return NULL;
	}
	r->thread_next = t->recs;
	t->recs = r;
	return r;
}

struct ol_thread_rec *ol_thread_rec_slow(const struct objlife_ops *ops)
{
	struct ol_thread *t = thread_now();
	struct ol_thread_rec *r = NULL;

	/* Another type than the last one: a lookup in this thread's map
	 * (only this thread changes it: no lock). */
	if (t && (r = rec_find(t, ops)) != NULL) {
		t->recent[ol_thread_slot(ops)] = r;
		return r;
	}
	/* The thread's first object of the type, or a thread with no
	 * records yet. */
	if (ol_thread_self == &ol_thread_dead)
		return NULL;
	pthread_once(&thread_once, thread_init);
	ol_livecount_lock();
	t = thread_get();
	if (t)
		r = rec_new(t, ops);
	ol_livecount_unlock();
	if (r)
		t->recent[ol_thread_slot(ops)] = r;
	return r;
}

struct ol_thread_rec *ol_thread_rec_find(const struct objlife_ops *ops)
{
	struct ol_thread *t = thread_now();

	if (!t)
		return NULL;
	if (t->recent[ol_thread_slot(ops)]->ops == ops)
		return t->recent[ol_thread_slot(ops)];
	return rec_find(t, ops);
}

/* Calls @fn for each record the calling thread has, holding them: @fn may
 * call the user's code (ops->free), which may allocate; records made
 * meanwhile are not visited. */
static void each_rec(void (*fn)(struct ol_thread_rec *rec, void *data), void *data)
{
	struct ol_thread *t = thread_now();
	struct ol_thread_rec *r;

	if (!t)
		return;
	/* Records made by @fn's callees go in at the head: not visited. */
	hold(t);
	for (r = t->recs; r; r = r->thread_next)
		fn(r, data);
	unhold(t);
}

/* ---- the cache's slow paths, with the records held -------------------- */

static void close_rec(struct ol_thread_rec *rec, void *data)
{
	(void)data;
	ol_cache_close(&rec->magazine, rec->ops);
}

/* Registered at the thread's first magazine, so that it runs after the
 * atexit handlers the program registers later, which may still free
 * objects; those registered earlier free theirs uncached, which is only
 * slower. Unlike the leak report (registry.c), it must not wait for the
 * library's destructor: the blocks go back through ops->free, the
 * program's code, which by then may have torn down what it uses (a C++
 * allocator object, say). */
static void cache_at_exit(void)
{
	ol_cache_shut();
	each_rec(close_rec, NULL);
}

static void cache_exit_init(void)
{
	atexit(cache_at_exit);
}

void *ol_thread_cache_take_slow(struct ol_thread_rec *rec, size_t size, size_t align,
				uint32_t *flags)
{
	struct ol_magazine *m = &rec->magazine;
	struct ol_thread *t;
	void *mem;

	/* Empty, or another shape, with no trim to catch up with: nothing
	 * is freed, so no hold (the common miss of a busy type). */
	if (ol_likely(m->cap && m->seen == ol_load32(&ol_cache_trims, OL_RELAXED)))
		return ol_cache_take_slow(m, rec->ops, size, align, flags);
	if (!m->block)
		pthread_once(&exit_once, cache_exit_init);
	/* A trim to catch up with frees blocks through ops->free. */
	t = thread_now();
	hold(t);
	mem = ol_cache_take_slow(m, rec->ops, size, align, flags);
	unhold(t);
	return mem;
}

void ol_thread_cache_free_slow(struct ol_thread_rec *rec, void *mem, size_t size, uint32_t info)
{
	struct ol_magazine *m = &rec->magazine;
	const struct objlife_ops *ops = rec->ops;
	struct ol_thread *t;
	bool kept;

	/* Full, another shape, or no magazine, with no trim to catch up
	 * with: the block goes back to the allocator at once. */
	if (ol_likely(!m->cap || m->seen == ol_load32(&ol_cache_trims, OL_RELAXED))) {
		ol_mem_free(ops, mem, size, info);
		return;
	}
	t = thread_now();
	hold(t);
	kept = ol_cache_give_slow(m, ops, mem, size, info);
	unhold(t);
	if (!kept)
		ol_mem_free(ops, mem, size, info);
}

/* This thread's magazine, after ol_cache_trim_later(): it catches up now. */
static void trim_rec(struct ol_thread_rec *rec, void *data)
{
	size_t *freed = data;

	if (rec->magazine.cap)
		*freed += ol_cache_catch_up(&rec->magazine, rec->ops);
}

size_t objlife_cache_trim(const struct objlife_ops *ops)
{
	struct ol_thread_rec *rec;
	size_t freed = 0;

	/* Others first: they start freeing while this thread does. */
	ol_cache_trim_later(ops);
	if (!ops) {
		each_rec(trim_rec, &freed);
		return freed;
	}
	if (ops->cache && (rec = ol_thread_rec_find(ops)) != NULL) {
		struct ol_thread *t = thread_now();

		hold(t);
		trim_rec(rec, &freed);
		unhold(t);
	}
	return freed;
}

/* ---- the process's exit ------------------------------------------------ */

/* From the library's last destructor (diag/registry.c), after the
 * program's atexit handlers, C++ static destructors and ELF destructors:
 * the thread that runs it never runs its thread-specific data destructor
 * (exit() does not), so its records go here, as at a thread's exit.
 * Their magazines are empty already (cache_at_exit()): no ops->free runs.
 * Objects this thread makes later (a destructor that runs later still)
 * count in their types' shared counters, as an exiting thread's do. */
bool ol_thread_exit_process(void)
{
	struct ol_thread *t = thread_now();
	bool alone;

	if (t) {
		/* No destructor of the key may free them again. */
		if (thread_key_ok)
			pthread_setspecific(thread_key, NULL);
		thread_exit(t);
	}
	/* Every other thread that had records and exited took them off the
	 * list; one still on it may still run, so what it may reach stays. */
	ol_livecount_lock();
	alone = threads == NULL;
	ol_livecount_unlock();
	return alone;
}
