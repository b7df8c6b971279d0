/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Always-on live counts per type, cheap enough that nobody turns them off.
 *
 * A shared atomic counter per type would add a contended read-modify-write
 * to every allocation and every last put. Instead each thread keeps a
 * record per type it uses (struct ol_lc_slot, livecount.h) and counts in
 * it with a plain (relaxed) load and store: no bus lock, no shared cache
 * line, no lock. The thread finds its record of a type through the record
 * it used last, else through a hash map of its own that grows with the
 * number of types: a thread that uses a thousand types pays what a thread
 * that uses three does.
 *
 * Reading. Each record counts objects made and objects gone on its thread,
 * two counters that only grow (and wrap: sums and differences are taken
 * modulo the word). An object may be made on one thread and go on another,
 * so no single counter is the type's; objlife_live_count() sums them
 * under lc_lock, first every "made", then (after a fence) every "gone".
 * Every "made" read is at most what had been made when the first pass
 * ended, every "gone" read at least what had gone by then, so the
 * difference is at most the number of objects alive at that moment; a
 * difference below zero (objects made and gone between the two passes on
 * threads read in the other order) is reported as 0. A single net counter
 * per thread could not tell those cases apart, and its sum could come out
 * as nearly SIZE_MAX.
 *
 * The slow path (a thread's first object of a type) takes lc_lock to find
 * or make the type's shared record (struct lc_type) and links the new
 * record into the type's list, through which readers find it. The type's
 * shared counters collect the counts of records that went away (exited
 * threads, swept records) and of threads that cannot have records.
 *
 * Memory stays bounded when types come and go (a binding that makes types
 * at run time, a plugin that is unloaded): when a thread's map has doubled
 * since its last sweep, the thread folds the counts of every record that
 * was not used since the previous sweep into its type's shared counters
 * and frees the record; a type with no records left and nothing alive
 * frees its shared record too. A record that is in use (the last one, one
 * whose magazine holds blocks, any while ol_livecount_hold() is in force)
 * stays.
 *
 * The same per-thread record of a type holds the thread's cache of freed
 * blocks of that type (cache.c), so that a cached allocation finds both
 * with one lookup; the thread's exit gives the cache back.
 */
#include "objlife-private.h"

#include <pthread.h>
#include <stdlib.h>

/* A type's shared record: how to reach every thread's record of it, and
 * the counts of those that went away. All under lc_lock. */
struct lc_type {
	struct ol_anode node;            /* in lc_types; key: the ops */
	uintptr_t shared[2];             /* OL_LC_MADE/GONE of records gone and of
					    threads without records */
	struct ol_lc_slot *slots;        /* every thread's record of the type */
	uintptr_t made, gone;            /* ol_livecount_foreach()'s scratch */
};

static pthread_mutex_t lc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ol_amap lc_types = { .use = OL_MEM_LIVECOUNT };
static struct ol_lc_thread *lc_threads;
static pthread_once_t lc_once = PTHREAD_ONCE_INIT;
static pthread_key_t lc_key;
static bool lc_key_ok;

/* The per-thread records (struct ol_lc_slot) are in livecount.h, with the
 * fast path of the counting. */
TLS struct ol_lc_thread *ol_lc_self OL_LC_TLS_MODEL;
TLS struct ol_lc_slot *ol_lc_last OL_LC_TLS_MODEL;

#define slot_of(n) ((struct ol_lc_slot *)((char *)(n) - offsetof(struct ol_lc_slot, node)))
#define type_of(n) ((struct lc_type *)((char *)(n) - offsetof(struct lc_type, node)))

static struct ol_lc_thread *thread_now(void)
{
	struct ol_lc_thread *t = ol_lc_self;

	return (uintptr_t)t > (uintptr_t)OL_LC_NONE ? t : NULL;
}

static struct ol_lc_slot *slot_find(struct ol_lc_thread *t, const struct objlife_ops *ops)
{
	struct ol_anode *node = ol_amap_find(&t->map, (uintptr_t)ops);

	return node ? slot_of(node) : NULL;
}

/* lc_lock held. A type nothing refers to any more, nothing of which is
 * alive, goes: its ops may be gone for good. */
static void type_maybe_free(struct lc_type *type)
{
	if (type->slots || type->shared[OL_LC_MADE] != type->shared[OL_LC_GONE])
		return;
	ol_amap_remove(&lc_types, type->node.key);
	ol_free(type);
}

/* lc_lock held. @s leaves its type: its counts go to the type's shared
 * counters, then the record is unlinked (the caller frees it). */
static void slot_fold(struct ol_lc_slot *s)
{
	struct lc_type *type = s->type;

	type->shared[OL_LC_MADE] += ol_loadup(&s->n[OL_LC_MADE], OL_RELAXED);
	type->shared[OL_LC_GONE] += ol_loadup(&s->n[OL_LC_GONE], OL_RELAXED);
	*s->type_pprev = s->type_next;
	if (s->type_next)
		s->type_next->type_pprev = s->type_pprev;
	type_maybe_free(type);
}

/* Gives the exiting thread's caches back, then folds its counters into the
 * types' shared counters. */
static void thread_exit(void *p)
{
	struct ol_lc_thread *t = p;
	struct ol_lc_slot *s, *next;

	/* Objects made or freed from here on (by ops->free, or by later
	 * destructors of this thread) count shared and are not cached. */
	ol_lc_self = OL_LC_NONE;
	ol_lc_last = NULL;
	/* With no lock held: ops->free is the user's code. */
	for (s = t->slots; s; s = s->thread_next)
		ol_cache_close(&s->magazine, s->ops);
	pthread_mutex_lock(&lc_lock);
	for (s = t->slots; s; s = s->thread_next)
		slot_fold(s);
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	pthread_mutex_unlock(&lc_lock);
	for (s = t->slots; s; s = next) {
		next = s->thread_next;
		ol_free(s);
	}
	ol_amap_free(&t->map);
	ol_free(t);
}

static void lc_atfork_prepare(void) { pthread_mutex_lock(&lc_lock); }
static void lc_atfork_parent(void) { pthread_mutex_unlock(&lc_lock); }

static void lc_init(void)
{
	lc_key_ok = pthread_key_create(&lc_key, thread_exit) == 0;
	/* A fork while another thread holds lc_lock must not leave the child
	 * with a lock nobody will release. */
	ol_atfork(lc_atfork_prepare, lc_atfork_parent, lc_atfork_parent);
}

/* lc_lock held. */
static struct lc_type *type_find(const struct objlife_ops *ops, bool create)
{
	struct ol_anode *node = ol_amap_find(&lc_types, (uintptr_t)ops);
	struct lc_type *type;

	if (node || !create)
		return node ? type_of(node) : NULL;
	type = ol_calloc(OL_MEM_LIVECOUNT, 1, sizeof(*type));
	if (!type)
		return NULL;
	type->node.key = (uintptr_t)ops;
	if (ol_amap_insert(&lc_types, &type->node) < 0) {
		ol_free(type);
		return NULL;
	}
	return type;
}

/* lc_lock held. This thread's records, made on first use. */
static struct ol_lc_thread *thread_table(void)
{
	struct ol_lc_thread *t = ol_lc_self;

	if (t)
		return t == OL_LC_NONE ? NULL : t;
	t = lc_key_ok ? ol_calloc(OL_MEM_LIVECOUNT, 1, sizeof(*t)) : NULL;
	if (t && pthread_setspecific(lc_key, t) != 0) {
		ol_free(t);
		t = NULL;
	}
	if (!t) {
		ol_lc_self = OL_LC_NONE;
		return NULL;
	}
	t->map.use = OL_MEM_LIVECOUNT;
	t->sweep_at = OL_LC_SWEEP_MIN;
	t->next = lc_threads;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = &lc_threads;
	lc_threads = t;
	ol_lc_self = t;
	return t;
}

/* lc_lock held. Frees the records of @t that were not used since the last
 * sweep (their counters did not move) and hold no cached blocks; marks
 * the others. Then the next sweep comes when the map has doubled again,
 * so that sweeping costs O(1) per record made. */
static void sweep(struct ol_lc_thread *t)
{
	struct ol_lc_slot **link = &t->slots, *s;

	if (t->hold)
		return;
	while ((s = *link) != NULL) {
		uintptr_t used = ol_loadup(&s->n[OL_LC_MADE], OL_RELAXED) +
				 ol_loadup(&s->n[OL_LC_GONE], OL_RELAXED);

		if (used != s->mark || s == ol_lc_last || s->magazine.n) {
			s->mark = used;
			link = &s->thread_next;
			continue;
		}
		*link = s->thread_next;
		ol_amap_remove(&t->map, (uintptr_t)s->ops);
		/* Empty: closing it frees its array, and calls no ops->free. */
		ol_cache_close(&s->magazine, s->ops);
		slot_fold(s);
		ol_free(s);
	}
	t->sweep_at = t->map.n * 2 > OL_LC_SWEEP_MIN ? t->map.n * 2 : OL_LC_SWEEP_MIN;
}

/* lc_lock held. A new record of @type for this thread, or NULL (no
 * memory: the caller counts shared). */
static struct ol_lc_slot *slot_insert(struct ol_lc_thread *t, struct lc_type *type)
{
	struct ol_lc_slot *s;

	if (t->map.n >= t->sweep_at)
		sweep(t);
	s = ol_calloc(OL_MEM_LIVECOUNT, 1, sizeof(*s));
	if (!s)
		return NULL;
	s->ops = (const struct objlife_ops *)type->node.key;
	s->node.key = type->node.key;
	if (ol_amap_insert(&t->map, &s->node) < 0) {
		ol_free(s);
		return NULL;
	}
	s->type = type;
	s->type_next = type->slots;
	if (s->type_next)
		s->type_next->type_pprev = &s->type_next;
	s->type_pprev = &type->slots;
	type->slots = s;
	s->thread_next = t->slots;
	t->slots = s;
	return s;
}

/* The thread's first object of @ops (a record to make), or a thread with
 * no records: under lc_lock. */
static int add_locked(const struct objlife_ops *ops, unsigned which, struct ol_lc_slot **slot)
{
	struct lc_type *type;
	struct ol_lc_thread *t;
	struct ol_lc_slot *s = NULL;

	pthread_once(&lc_once, lc_init);
	pthread_mutex_lock(&lc_lock);
	type = type_find(ops, true);
	if (!type) {
		pthread_mutex_unlock(&lc_lock);
		*slot = NULL;
		return -ENOMEM;
	}
	t = thread_table();
	if (t)
		s = slot_insert(t, type);
	if (s) {
		ol_livecount_bump(s, which);
		ol_lc_last = s;
	} else {
		type->shared[which]++;
		type_maybe_free(type);
	}
	pthread_mutex_unlock(&lc_lock);
	*slot = s;
	return 0;
}

/* Another type than the last one: a lookup in this thread's map (only
 * this thread changes it: no lock), else the slow path. */
int ol_livecount_add_slow(const struct objlife_ops *ops, unsigned which,
			  struct ol_lc_slot **slot)
{
	struct ol_lc_thread *t = thread_now();
	struct ol_lc_slot *s;

	if (t && (s = slot_find(t, ops)) != NULL) {
		ol_lc_last = s;
		ol_livecount_bump(s, which);
		*slot = s;
		return 0;
	}
	return add_locked(ops, which, slot);
}

struct ol_lc_slot *ol_livecount_slot(const struct objlife_ops *ops)
{
	struct ol_lc_thread *t = thread_now();

	if (!t)
		return NULL;
	if (ol_lc_last && ol_lc_last->ops == ops)
		return ol_lc_last;
	return slot_find(t, ops);
}

void ol_livecount_hold(void)
{
	struct ol_lc_thread *t = thread_now();

	if (t)
		t->hold++;
}

void ol_livecount_unhold(void)
{
	/* The thread may have lost its records meanwhile (it is exiting):
	 * then there is nothing to hold. */
	struct ol_lc_thread *t = thread_now();

	if (t && t->hold)
		t->hold--;
}

void ol_livecount_each_slot(void (*fn)(struct ol_lc_slot *slot, void *data), void *data)
{
	struct ol_lc_thread *t = thread_now();
	struct ol_lc_slot *s;

	if (!t)
		return;
	/* Records made by @fn's callees go in at the head: not visited. */
	t->hold++;
	for (s = t->slots; s; s = s->thread_next)
		fn(s, data);
	t->hold--;
}

/* lc_lock held: one type's objects made, or gone (@which), on every
 * thread: one pass of a read. */
static uintptr_t type_sum(struct lc_type *type, unsigned which)
{
	uintptr_t n = type->shared[which];
	struct ol_lc_slot *s;

	for (s = type->slots; s; s = s->type_next)
		n += ol_loadup(&s->n[which], OL_RELAXED);
	return n;
}

/* Made minus gone, never below zero (see the top of this file). */
static size_t live_of(uintptr_t made, uintptr_t gone)
{
	return (intptr_t)(made - gone) > 0 ? (size_t)(made - gone) : 0;
}

/* Every "gone" is read after every "made": the fence keeps the loads of
 * the second pass from being done before those of the first. */
#define between_passes() ol_fence(OL_SEQ_CST)

static void made_of_type(struct ol_anode *node, void *data)
{
	struct lc_type *type = type_of(node);

	(void)data;
	type->made = type_sum(type, OL_LC_MADE);
}

/* lc_lock held: every type's first pass, in type->made. */
static void made_of_all(void)
{
	ol_amap_foreach(&lc_types, made_of_type, NULL);
	between_passes();
}

struct lc_copy {
	struct ol_type_live *t;
	size_t n, cap;
	size_t live;
	bool complete;
};

/* The second pass over one type: add it up, and copy it if asked. */
static void gone_of_type(struct ol_anode *node, void *data)
{
	struct lc_type *type = type_of(node);
	struct lc_copy *c = data;
	size_t live = live_of(type->made, type_sum(type, OL_LC_GONE));

	if (!live)
		return;
	c->live += live;
	if (!c->complete)
		return;
	if (!ol_array_grow(OL_MEM_REPORT, (void **)&c->t, &c->cap, c->n + 1, sizeof(*c->t))) {
		c->complete = false;
		return;
	}
	c->t[c->n].ops = (const struct objlife_ops *)type->node.key;
	c->t[c->n].live = live;
	c->n++;
}

bool ol_livecount_types(struct ol_type_live **types, size_t *n)
{
	struct lc_copy c = { NULL, 0, 0, 0, true };

	pthread_once(&lc_once, lc_init);   /* the fork handlers, before the lock */
	pthread_mutex_lock(&lc_lock);
	made_of_all();
	ol_amap_foreach(&lc_types, gone_of_type, &c);
	pthread_mutex_unlock(&lc_lock);
	*types = c.t;
	*n = c.n;
	return c.complete;
}

size_t objlife_live_count(const struct objlife_ops *ops)
{
	struct lc_type *type;
	size_t live = 0;

	pthread_once(&lc_once, lc_init);   /* the fork handlers, before the lock */
	pthread_mutex_lock(&lc_lock);
	if (!ops) {
		/* complete = false: add up, copy nothing. */
		struct lc_copy c = { NULL, 0, 0, 0, false };

		made_of_all();
		ol_amap_foreach(&lc_types, gone_of_type, &c);
		live = c.live;
	} else if ((type = type_find(ops, false)) != NULL) {
		uintptr_t made = type_sum(type, OL_LC_MADE);

		between_passes();
		live = live_of(made, type_sum(type, OL_LC_GONE));
	}
	pthread_mutex_unlock(&lc_lock);
	return live;
}
