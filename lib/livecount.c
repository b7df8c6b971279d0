/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Always-on live counts per type, cheap enough that nobody turns them off.
 *
 * A shared atomic counter per type would add a contended read-modify-write
 * to every allocation and every last put. Instead each thread keeps its
 * own counters, in a small open-addressed table keyed by the ops pointer,
 * and updates them with a plain (relaxed) load and store: no bus lock, no
 * shared cache line. objlife_live_count() sums all threads' counters under
 * lc_lock. An object allocated on one thread and freed on another adds +1
 * to the first and -1 to the second; counters are unsigned and wrap, so
 * the sum is right whatever each part is.
 *
 * The slow paths (a thread's first object of a type, a full table, a
 * thread that could not get a table, a thread that has exited) fall back
 * to the type's shared atomic counter, which also collects the counts of
 * exited threads.
 *
 * The same per-thread record of a type holds the thread's cache of freed
 * blocks of that type (cache.c), so that a cached allocation finds both
 * with one lookup; the thread's exit gives the cache back.
 */
#include "objlife-private.h"

#include <pthread.h>
#include <stdlib.h>

#define LC_TYPE_BUCKETS 64   /* type hash; a power of two */

struct lc_type {
	struct lc_type *next;            /* bucket chain, under lc_lock */
	const struct objlife_ops *ops;
	uintptr_t shared;                /* atomic */
	uintptr_t sum;                   /* scratch for ol_livecount_foreach(), under lc_lock */
};

static pthread_mutex_t lc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lc_type *lc_types[LC_TYPE_BUCKETS];
static struct ol_lc_thread *lc_threads;
static pthread_once_t lc_once = PTHREAD_ONCE_INIT;
static pthread_key_t lc_key;
static bool lc_key_ok;

/* The per-thread tables (struct ol_lc_thread) are in livecount.h, with
 * the fast path of the counting. */
TLS struct ol_lc_thread *ol_lc_self OL_LC_TLS_MODEL;
TLS struct ol_lc_slot *ol_lc_last OL_LC_TLS_MODEL;

static struct ol_lc_slot *slot_find(struct ol_lc_thread *t, const struct objlife_ops *ops)
{
	unsigned i = ol_ops_hash(ops, OL_LC_SLOTS - 1);
	unsigned n;

	for (n = 0; n < OL_LC_SLOTS; n++, i = (i + 1) & (OL_LC_SLOTS - 1)) {
		if (t->slots[i].ops == ops)
			return &t->slots[i];
		if (!t->slots[i].ops)
			return NULL;
	}
	return NULL;
}

/* Gives the exiting thread's caches back, then folds its counters into the
 * types' shared counters. */
static void thread_exit(void *p)
{
	struct ol_lc_thread *t = p;
	unsigned i;

	/* Objects freed from here on (by ops->free, or by later destructors
	 * of this thread) count shared and are not cached. */
	ol_lc_self = OL_LC_NONE;
	ol_lc_last = NULL;
	/* With no lock held: ops->free is the user's code. */
	for (i = 0; i < OL_LC_SLOTS; i++)
		if (t->slots[i].ops)
			ol_cache_close(&t->slots[i].magazine, t->slots[i].ops);
	pthread_mutex_lock(&lc_lock);
	for (i = 0; i < OL_LC_SLOTS; i++) {
		if (t->slots[i].ops)
			ol_addup(&t->slots[i].type->shared,
				 ol_loadup(&t->slots[i].count, OL_RELAXED), OL_RELAXED);
	}
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	pthread_mutex_unlock(&lc_lock);
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
	struct lc_type **bucket = &lc_types[ol_ops_hash(ops, LC_TYPE_BUCKETS - 1)];
	struct lc_type *type;

	for (type = *bucket; type; type = type->next)
		if (type->ops == ops)
			return type;
	if (!create)
		return NULL;
	type = ol_calloc(OL_MEM_LIVECOUNT, 1, sizeof(*type));
	if (!type)
		return NULL;
	type->ops = ops;
	type->next = *bucket;
	*bucket = type;
	return type;
}

/* lc_lock held. This thread's table, made on first use. */
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
	t->next = lc_threads;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = &lc_threads;
	lc_threads = t;
	ol_lc_self = t;
	return t;
}

/* lc_lock held. */
static struct ol_lc_slot *slot_insert(struct ol_lc_thread *t, struct lc_type *type)
{
	unsigned i = ol_ops_hash(type->ops, OL_LC_SLOTS - 1);
	unsigned n;

	for (n = 0; n < OL_LC_SLOTS; n++, i = (i + 1) & (OL_LC_SLOTS - 1)) {
		if (!t->slots[i].ops) {
			t->slots[i].type = type;
			t->slots[i].ops = type->ops;
			return &t->slots[i];
		}
	}
	return NULL;
}

/* The thread's first object of @ops (a slot to make), or a thread with no
 * table: under lc_lock. */
static int add_slow(const struct objlife_ops *ops, uintptr_t delta, struct ol_lc_slot **slot)
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
		s = slot_find(t, ops);
	if (t && !s)
		s = slot_insert(t, type);
	if (s) {
		ol_livecount_add_slot(s, delta);
		ol_lc_last = s;
	} else {
		ol_addup(&type->shared, delta, OL_RELAXED);
	}
	pthread_mutex_unlock(&lc_lock);
	*slot = s;
	return 0;
}

/* Another type than the last one, or no table yet: a search of the
 * table, without a lock (only this thread inserts into it), then the slow
 * path under the lock. */
int ol_livecount_add_slow(const struct objlife_ops *ops, uintptr_t delta,
			  struct ol_lc_slot **slot)
{
	struct ol_lc_thread *t = ol_lc_self;
	struct ol_lc_slot *s;

	if ((uintptr_t)t > (uintptr_t)OL_LC_NONE && (s = slot_find(t, ops)) != NULL) {
		ol_lc_last = s;
		ol_livecount_add_slot(s, delta);
		*slot = s;
		return 0;
	}
	return add_slow(ops, delta, slot);
}

struct ol_lc_slot *ol_livecount_slot(const struct objlife_ops *ops)
{
	struct ol_lc_thread *t = ol_lc_self;

	if ((uintptr_t)t <= (uintptr_t)OL_LC_NONE)
		return NULL;
	if (ol_lc_last && ol_lc_last->ops == ops)
		return ol_lc_last;
	return slot_find(t, ops);
}

void ol_livecount_each_slot(void (*fn)(struct ol_lc_slot *slot, void *data), void *data)
{
	struct ol_lc_thread *t = ol_lc_self;
	unsigned i;

	if ((uintptr_t)t <= (uintptr_t)OL_LC_NONE)
		return;
	for (i = 0; i < OL_LC_SLOTS; i++)
		if (t->slots[i].ops)
			fn(&t->slots[i], data);
}

/* lc_lock held: every type's live count, in type->sum. */
static void sum_all(void)
{
	struct ol_lc_thread *t;
	unsigned b, i;

	for (b = 0; b < LC_TYPE_BUCKETS; b++) {
		struct lc_type *type;

		for (type = lc_types[b]; type; type = type->next)
			type->sum = ol_loadup(&type->shared, OL_RELAXED);
	}
	for (t = lc_threads; t; t = t->next)
		for (i = 0; i < OL_LC_SLOTS; i++)
			if (t->slots[i].ops)
				t->slots[i].type->sum += ol_loadup(&t->slots[i].count, OL_RELAXED);
}

void ol_livecount_foreach(ol_type_fn fn, void *data)
{
	unsigned b;

	pthread_mutex_lock(&lc_lock);
	sum_all();
	for (b = 0; b < LC_TYPE_BUCKETS; b++) {
		struct lc_type *type;

		for (type = lc_types[b]; type; type = type->next)
			if (type->sum)
				fn(type->ops, (size_t)type->sum, data);
	}
	pthread_mutex_unlock(&lc_lock);
}

static void add_live(const struct objlife_ops *ops, size_t live, void *data)
{
	(void)ops;
	*(size_t *)data += live;
}

size_t objlife_live_count(const struct objlife_ops *ops)
{
	struct lc_type *type;
	size_t live = 0;

	if (!ops) {
		ol_livecount_foreach(add_live, &live);
		return live;
	}
	pthread_mutex_lock(&lc_lock);
	type = type_find(ops, false);
	if (type) {
		struct ol_lc_thread *t;
		uintptr_t sum = ol_loadup(&type->shared, OL_RELAXED);

		for (t = lc_threads; t; t = t->next) {
			struct ol_lc_slot *s = slot_find(t, ops);

			if (s)
				sum += ol_loadup(&s->count, OL_RELAXED);
		}
		live = (size_t)sum;
	}
	pthread_mutex_unlock(&lc_lock);
	return live;
}
