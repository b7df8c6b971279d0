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
