/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lookup cases: find a registered object by key and take a reference,
 * then put it. objlife_lookup() against the hand-written pattern it
 * replaces (a hash table under a pthread mutex, objlife_get() under the
 * lock) and the same under a pthread rwlock taken for reading.
 *
 * One world per table size, shared by the candidates: the same objects,
 * registered in an objlife table and in the hand-written hash (whose
 * nodes, buckets and hash function are the ones a careful C programmer
 * would write). Each thread looks up its own 1,000 keys, spread evenly
 * over the table, in turn: the cost of the structure at that size, not of
 * the memory system's misses on a million random objects.
 */
#include "bench.h"
#include "objlife.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#define HOT_KEYS 1000

struct lookup_obj {
	struct objlife ref;
	uint64_t key;
	char payload[40];
};

static const struct objlife_ops lookup_ops = { .name = "bench-lookup" };

/* ---- the hand-written table ---------------------------------------- */

struct hnode {
	uint64_t key;
	struct objlife *obj;
	struct hnode *next;
};

struct htable {
	struct hnode **b;
	unsigned shift;
	struct hnode *nodes;
	pthread_mutex_t mutex;
	pthread_rwlock_t rwlock;
};

static size_t hbucket(const struct htable *h, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> h->shift);
}

static bool htable_init(struct htable *h, struct lookup_obj **objs, size_t n)
{
	unsigned log = 4;
	size_t i;

	while (((size_t)1 << log) < n)
		log++;
	h->shift = 64 - log;
	h->b = calloc((size_t)1 << log, sizeof(*h->b));
	h->nodes = calloc(n, sizeof(*h->nodes));
	if (!h->b || !h->nodes)
		return false;
	for (i = 0; i < n; i++) {
		struct hnode *nd = &h->nodes[i];
		size_t b;

		nd->key = objs[i]->key;
		nd->obj = &objs[i]->ref;
		b = hbucket(h, nd->key);
		nd->next = h->b[b];
		h->b[b] = nd;
	}
	pthread_mutex_init(&h->mutex, NULL);
	pthread_rwlock_init(&h->rwlock, NULL);
	return true;
}

static struct objlife *hfind(const struct htable *h, uint64_t key)
{
	struct hnode *nd;

	for (nd = h->b[hbucket(h, key)]; nd; nd = nd->next)
		if (nd->key == key)
			return nd->obj;
	return NULL;
}

/* ---- one world per size -------------------------------------------- */

struct world {
	size_t n;
	unsigned users;
	struct lookup_obj **objs;
	struct objlife_table *table;
	struct htable h;
	uint64_t hot[2][HOT_KEYS];       /* each thread's keys */
	struct world *next;
};

static pthread_mutex_t worlds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct world *worlds;

static struct world *world_new(size_t n)
{
	struct world *w = calloc(1, sizeof(*w));
	size_t i, t;

	if (!w || !(w->objs = calloc(n, sizeof(*w->objs))))
		abort();
	w->n = n;
	w->table = objlife_table_new("bench");
	if (!w->table)
		abort();
	for (i = 0; i < n; i++) {
		struct lookup_obj *o = objlife_alloc(struct lookup_obj, ref, &lookup_ops, NULL);
		uint64_t key = 0;

		if (!o || objlife_register(w->table, &o->ref, &key) != 0)
			abort();
		o->key = key;
		w->objs[i] = o;
	}
	if (!htable_init(&w->h, w->objs, n))
		abort();
	/* Each thread's keys evenly spread over its half of the objects:
	 * never the same object, nor (but at the middle) a neighbour. */
	for (t = 0; t < 2; t++)
		for (i = 0; i < HOT_KEYS; i++)
			w->hot[t][i] = w->objs[t * (n / 2) + (n / 2 >= HOT_KEYS ? i * (n / 2 / HOT_KEYS)
									    : i % (n / 2))]->key;
	return w;
}

static void world_free(struct world *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (objlife_unregister(w->table, &w->objs[i]->ref, -1) != 0)
			abort();
		objlife_put(&w->objs[i]->ref);
	}
	if (objlife_table_free(w->table) != 0)
		abort();
	pthread_mutex_destroy(&w->h.mutex);
	pthread_rwlock_destroy(&w->h.rwlock);
	free(w->h.b);
	free(w->h.nodes);
	free(w->objs);
	free(w);
}

static struct world *world_get(size_t n)
{
	struct world *w;

	pthread_mutex_lock(&worlds_lock);
	for (w = worlds; w && w->n != n; w = w->next)
		;
	if (!w) {
		w = world_new(n);
		w->next = worlds;
		worlds = w;
	}
	w->users++;
	pthread_mutex_unlock(&worlds_lock);
	return w;
}

static void world_put(struct world *w)
{
	struct world **pp;

	pthread_mutex_lock(&worlds_lock);
	if (--w->users == 0) {
		for (pp = &worlds; *pp != w; pp = &(*pp)->next)
			;
		*pp = w->next;
		world_free(w);
	}
	pthread_mutex_unlock(&worlds_lock);
}

/* ---- the three lookups, n times over a thread's keys ---------------- */

typedef void lookup_fn(struct world *w, const uint64_t *hot, uint64_t n);

static BENCH_NOINLINE void by_mutex(struct world *w, const uint64_t *hot, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		struct objlife *obj;

		pthread_mutex_lock(&w->h.mutex);
		obj = objlife_get(hfind(&w->h, hot[i % HOT_KEYS]));
		pthread_mutex_unlock(&w->h.mutex);
		bench_escape(obj);
		objlife_put(obj);
	}
}

static BENCH_NOINLINE void by_rwlock(struct world *w, const uint64_t *hot, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		struct objlife *obj;

		pthread_rwlock_rdlock(&w->h.rwlock);
		obj = objlife_get(hfind(&w->h, hot[i % HOT_KEYS]));
		pthread_rwlock_unlock(&w->h.rwlock);
		bench_escape(obj);
		objlife_put(obj);
	}
}

/* The same walk and reference with no lock at all: unsafe against a
 * concurrent withdrawal, so no program can use it, but nothing is written
 * that another thread reads. Its two-thread time against its one-thread
 * time is what this machine gives any lookup that shares nothing. */
static BENCH_NOINLINE void by_nothing(struct world *w, const uint64_t *hot, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		struct objlife *obj = objlife_get(hfind(&w->h, hot[i % HOT_KEYS]));

		bench_escape(obj);
		objlife_put(obj);
	}
}

static BENCH_NOINLINE void by_objlife(struct world *w, const uint64_t *hot, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		struct objlife *obj = objlife_lookup(w->table, hot[i % HOT_KEYS]);

		bench_escape(obj);
		objlife_put(obj);
	}
}

/* ---- one thread, or two workers that live for the whole case -------- */

struct lookup_state;

struct lookup_worker {
	struct lookup_state *st;
	unsigned index;                  /* which keys */
};

struct lookup_state {
	struct world *w;
	lookup_fn *fn;
	struct lookup_worker worker[BENCH_MAX_WORKERS];
	struct bench_workers *workers;   /* NULL: the calling thread looks up */
};

static void lookup_batch(void *arg, uint64_t n)
{
	struct lookup_worker *wk = arg;

	wk->st->fn(wk->st->w, wk->st->w->hot[wk->index], n);
}

static void *lookup_setup(size_t n, lookup_fn *fn, unsigned nworkers)
{
	struct lookup_state *st = calloc(1, sizeof(*st));
	void *args[BENCH_MAX_WORKERS];
	unsigned i;

	if (!st)
		return NULL;
	st->w = world_get(n);
	st->fn = fn;
	for (i = 0; i < nworkers; i++) {
		st->worker[i].st = st;
		st->worker[i].index = i;
		args[i] = &st->worker[i];
	}
	if (nworkers)
		st->workers = bench_workers_start(nworkers, NULL, lookup_batch, NULL, args);
	return st;
}

static BENCH_NOINLINE void lookup_run(void *state, uint64_t n)
{
	struct lookup_state *st = state;

	if (st->workers)
		bench_workers_run(st->workers, n);
	else if (n)
		st->fn(st->w, st->w->hot[0], n);
}

static void lookup_teardown(void *state)
{
	struct lookup_state *st = state;

	if (st->workers)
		bench_workers_stop(st->workers);
	world_put(st->w);
	free(st);
}

/* The case's size is the number of registered objects. */
#define LOOKUP_IMPL(name, fn, nworkers) \
	static void *name##_setup(size_t n) { return lookup_setup(n, fn, nworkers); } \
	const struct bench_impl name = { name##_setup, lookup_run, lookup_teardown }
LOOKUP_IMPL(bench_lookup_mutex, by_mutex, 0);
LOOKUP_IMPL(bench_lookup_rwlock, by_rwlock, 0);
LOOKUP_IMPL(bench_lookup_objlife, by_objlife, 0);
LOOKUP_IMPL(bench_lookup_mutex_2t, by_mutex, 2);
LOOKUP_IMPL(bench_lookup_rwlock_2t, by_rwlock, 2);
LOOKUP_IMPL(bench_lookup_objlife_2t, by_objlife, 2);
LOOKUP_IMPL(bench_lookup_unlocked, by_nothing, 0);
LOOKUP_IMPL(bench_lookup_unlocked_2t, by_nothing, 2);
