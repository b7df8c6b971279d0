/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objlife as a C consumer built with GCC or Clang uses it: get and put
 * inlined from <objlife.h>, allocation and the last put in the library.
 */
#include "config.h"

#include <objlife.h>
#include <stdlib.h>

#include "bench.h"

struct small {
	struct objlife ref;
	int field;
	char pad[BENCH_SMALL - sizeof(struct objlife) - sizeof(int)];
};

struct large {
	struct objlife ref;
	int field;
	char pad[BENCH_LARGE - sizeof(struct objlife) - sizeof(int)];
};

typedef char bench_assert_sizes[sizeof(struct small) == BENCH_SMALL &&
				sizeof(struct large) == BENCH_LARGE ? 1 : -1];

/* The trivial init of the lifecycle case: one field, as every candidate. */
static int small_init(struct objlife *obj, void *arg)
{
	(void)arg;
	((struct small *)obj)->field = 1;
	return 0;
}

static int large_init(struct objlife *obj, void *arg)
{
	(void)arg;
	((struct large *)obj)->field = 1;
	return 0;
}

static const struct objlife_ops small_ops = { .name = "bench-64", .init = small_init };
static const struct objlife_ops large_ops = { .name = "bench-1k", .init = large_init };
/* The same with a per-thread cache of freed objects: the final put keeps
 * the memory, the next allocation zeroes and reuses it. */
#define BENCH_CACHE 64
static const struct objlife_ops cached_small_ops = {
	.name = "bench-64-cached", .init = small_init, .cache = BENCH_CACHE,
};
static const struct objlife_ops cached_large_ops = {
	.name = "bench-1k-cached", .init = large_init, .cache = BENCH_CACHE,
};
#define REFPAIR_IMPL bench_objlife_refpair
#define REFPAIR_TYPE "bench-pair"
#include "bench-refpair.h"

/* The refpair loop on an immortal object: the header promises gets and
 * puts cost what they cost on an allocated one. */
static const struct objlife_ops static_pair_ops = { .name = "bench-pair-static" };
static struct pair_obj static_pair = { .ref = OBJLIFE_STATIC_INIT(&static_pair_ops) };

static void *static_pair_setup(size_t size)
{
	(void)size;
	return &static_pair.ref;
}

static void static_pair_teardown(void *state)
{
	(void)state;
}

const struct bench_impl bench_objlife_static_refpair = {
	static_pair_setup, pair_run, static_pair_teardown,
};

static void *size_setup(size_t size)
{
	size_t *s = malloc(sizeof(*s));

	if (s)
		*s = size;
	return s;
}

static BENCH_NOINLINE void small_run(const struct objlife_ops *ops, uint64_t n)
{
	while (n--) {
		struct small *s = objlife_alloc(struct small, ref, ops, NULL);

		if (!s)
			abort();
		bench_escape(s);
		objlife_put(&s->ref);
	}
}

static BENCH_NOINLINE void large_run(const struct objlife_ops *ops, uint64_t n)
{
	while (n--) {
		struct large *l = objlife_alloc(struct large, ref, ops, NULL);

		if (!l)
			abort();
		bench_escape(l);
		objlife_put(&l->ref);
	}
}

static BENCH_NOINLINE void lifecycle_run(void *state, uint64_t n)
{
	if (*(size_t *)state == BENCH_SMALL)
		small_run(&small_ops, n);
	else
		large_run(&large_ops, n);
}

const struct bench_impl bench_objlife_lifecycle = { size_setup, lifecycle_run, free };

static BENCH_NOINLINE void cached_lifecycle_run(void *state, uint64_t n)
{
	if (*(size_t *)state == BENCH_SMALL)
		small_run(&cached_small_ops, n);
	else
		large_run(&cached_large_ops, n);
}

/* The teardown gives the cached memory back, as a daemon's idle time or
 * memory pressure would. */
static void cached_teardown(void *state)
{
	objlife_cache_trim(*(size_t *)state == BENCH_SMALL ? &cached_small_ops : &cached_large_ops);
	free(state);
}

const struct bench_impl bench_objlife_cached_lifecycle = {
	size_setup, cached_lifecycle_run, cached_teardown,
};

void **bench_objlife_hold(size_t n)
{
	void **objs = calloc(n ? n : 1, sizeof(*objs));
	size_t i;

	if (!objs)
		return NULL;
	for (i = 0; i < n; i++) {
		objs[i] = objlife_alloc(struct small, ref, &small_ops, NULL);
		if (!objs[i]) {
			bench_objlife_unhold(objs, i);
			return NULL;
		}
	}
	return objs;
}

void bench_objlife_unhold(void **objs, size_t n)
{
	size_t i;

	if (!objs)
		return;
	for (i = 0; i < n; i++)
		objlife_put(objs[i]);
	free(objs);
}

/*
 * Many types on a thread: allocation and final put of one type, uncached
 * and cached, in a worker thread that first made and put one object of
 * each of @types other types (the case's size). The worker lives for the
 * whole case, so that its records stay as they would in a daemon; run()
 * hands it a batch and waits. The two-thread candidates have two such
 * workers, each doing the whole batch at once on the same type: the time
 * is per operation per thread, as in the contended case.
 */
struct types_worker {
	const struct objlife_ops *ops;
	struct objlife_ops *others;   /* the types it used first */
	size_t nothers;
};

struct types_state {
	struct types_worker w[BENCH_MAX_WORKERS];
	struct bench_workers *workers;
};

static void types_first(void *arg)
{
	struct types_worker *w = arg;
	size_t i;

	for (i = 0; i < w->nothers; i++) {
		struct small *s = objlife_alloc(struct small, ref, &w->others[i], NULL);

		if (!s)
			abort();
		objlife_put(&s->ref);
	}
}

static void types_batch(void *arg, uint64_t n)
{
	struct types_worker *w = arg;

	small_run(w->ops, n);
}

static void types_last(void *arg)
{
	struct types_worker *w = arg;

	objlife_cache_trim(w->ops);
}

static void *types_setup(const struct objlife_ops *ops, size_t types, unsigned nworkers)
{
	struct types_state *st = calloc(1, sizeof(*st));
	void *args[BENCH_MAX_WORKERS];
	unsigned i;
	size_t j;

	if (!st)
		return NULL;
	for (i = 0; i < nworkers; i++) {
		struct types_worker *w = &st->w[i];

		w->ops = ops;
		w->nothers = types;
		w->others = calloc(types ? types : 1, sizeof(*w->others));
		if (!w->others)
			abort();
		for (j = 0; j < types; j++)
			w->others[j].name = "bench-other";
		args[i] = w;
	}
	st->workers = bench_workers_start(nworkers, types_first, types_batch, types_last, args);
	return st;
}

static BENCH_NOINLINE void types_run(void *state, uint64_t n)
{
	struct types_state *st = state;

	bench_workers_run(st->workers, n);
}

static void types_teardown(void *state)
{
	struct types_state *st = state;
	unsigned i;

	bench_workers_stop(st->workers);
	for (i = 0; i < BENCH_MAX_WORKERS; i++)
		free(st->w[i].others);
	free(st);
}

static void *types_uncached_setup(size_t types) { return types_setup(&small_ops, types, 1); }
static void *types_cached_setup(size_t types) { return types_setup(&cached_small_ops, types, 1); }
static void *types_uncached_2t_setup(size_t types) { return types_setup(&small_ops, types, 2); }
static void *types_cached_2t_setup(size_t types) { return types_setup(&cached_small_ops, types, 2); }

const struct bench_impl bench_objlife_types_uncached = { types_uncached_setup, types_run, types_teardown };
const struct bench_impl bench_objlife_types_cached = { types_cached_setup, types_run, types_teardown };
const struct bench_impl bench_objlife_types_uncached_2t = { types_uncached_2t_setup, types_run, types_teardown };
const struct bench_impl bench_objlife_types_cached_2t = { types_cached_2t_setup, types_run, types_teardown };
