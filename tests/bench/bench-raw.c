/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The floors: what a hand-rolled reference count and a bare allocation
 * cost, with nothing a library adds.
 *
 * refpair: a relaxed increment and a release decrement, with the acquire
 * fence on the path where the decrement would have been the last (the
 * ordering of the kernel's refcount_t and of objlife_put()).
 * lifecycle: calloc, one field written (the trivial init every candidate
 * does), free.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "bench.h"

struct raw_obj {
	atomic_uint count;
	int field;
};

static void raw_put(struct raw_obj *o)
{
	if (atomic_fetch_sub_explicit(&o->count, 1, memory_order_release) == 1) {
		atomic_thread_fence(memory_order_acquire);
		free(o);
	}
}

static void *raw_refpair_setup(size_t size)
{
	struct raw_obj *o = calloc(1, sizeof(*o));

	(void)size;
	if (o)
		atomic_init(&o->count, 1);
	return o;
}

static BENCH_NOINLINE void raw_refpair_run(void *state, uint64_t n)
{
	struct raw_obj *o = state;

	while (n--) {
		bench_hide(o);
		atomic_fetch_add_explicit(&o->count, 1, memory_order_relaxed);
		raw_put(o);
	}
}

static void raw_refpair_teardown(void *state)
{
	raw_put(state);
}

const struct bench_impl bench_raw_refpair = {
	raw_refpair_setup, raw_refpair_run, raw_refpair_teardown,
};

/* Lifecycle states are the object size itself, boxed. */
static void *size_setup(size_t size)
{
	size_t *s = malloc(sizeof(*s));

	if (s)
		*s = size;
	return s;
}

static BENCH_NOINLINE void raw_lifecycle_run(void *state, uint64_t n)
{
	size_t size = *(size_t *)state;

	while (n--) {
		int *p = calloc(1, size);

		if (!p)
			abort();
		p[1] = 1;
		bench_escape(p);
		free(p);
	}
}

const struct bench_impl bench_raw_lifecycle = {
	size_setup, raw_lifecycle_run, free,
};
