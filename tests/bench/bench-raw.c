/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The floors: what a careful hand-written reference count and a bare
 * allocation cost, with nothing a library adds.
 *
 * refpair: a relaxed increment and a release decrement, with the acquire
 * fence on the path where the decrement would have been the last (the
 * ordering of the kernel's refcount_t and of objlife_put()).
 * lifecycle: a struct of the case's size with a uint32_t count, zeroed
 * memory, the count set to 1 and one field written (the trivial init
 * every candidate does), then the last put: one release decrement, the
 * acquire fence, free(). Zeroed memory comes two ways, each a candidate:
 * calloc(), and malloc() + memset() of the struct's constant size (which
 * the compiler inlines; bench_hide() keeps GCC from turning the pair back
 * into calloc(), as the library's allocator does). Which is faster depends on the C library: glibc
 * 2.36, for one, serves calloc() past its per-thread cache (tcache), so
 * there malloc() + memset() is what a careful user measures and writes.
 * The case's floor is whichever of the two is faster in the run.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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

/* The objects of the lifecycle case, sized as every candidate's are. */
struct raw_small {
	uint32_t count;
	int field;
	char pad[BENCH_SMALL - sizeof(uint32_t) - sizeof(int)];
};

struct raw_large {
	uint32_t count;
	int field;
	char pad[BENCH_LARGE - sizeof(uint32_t) - sizeof(int)];
};

typedef char raw_assert_sizes[sizeof(struct raw_small) == BENCH_SMALL &&
			      sizeof(struct raw_large) == BENCH_LARGE ? 1 : -1];

/* The hand-written last put, as a careful user writes it: the count is
 * the struct's first field, whatever the type. */
#define RAW_PUT(p) do { \
	if (__atomic_fetch_sub(&(p)->count, 1, __ATOMIC_RELEASE) == 1) { \
		__atomic_thread_fence(__ATOMIC_ACQUIRE); \
		free(p); \
	} \
} while (0)

/* One allocation and its last put; @type is a complete type, so that
 * sizeof is a constant and memset() is inlined as a user's would be. */
#define RAW_LIFECYCLE(type, zeroed, n) do { \
	while ((n)--) { \
		type *p = zeroed; \
		if (!p) \
			abort(); \
		p->count = 1; \
		p->field = 1; \
		bench_escape(p); \
		RAW_PUT(p); \
	} \
} while (0)

static void *raw_calloc_small(void) { return calloc(1, sizeof(struct raw_small)); }
static void *raw_calloc_large(void) { return calloc(1, sizeof(struct raw_large)); }

static void *raw_malloc_small(void)
{
	struct raw_small *p = malloc(sizeof(*p));

	bench_hide(p);
	if (p)
		memset(p, 0, sizeof(*p));
	return p;
}

static void *raw_malloc_large(void)
{
	struct raw_large *p = malloc(sizeof(*p));

	bench_hide(p);
	if (p)
		memset(p, 0, sizeof(*p));
	return p;
}

/* Lifecycle states are the object size itself, boxed. */
static void *size_setup(size_t size)
{
	size_t *s = malloc(sizeof(*s));

	if (s)
		*s = size;
	return s;
}

static BENCH_NOINLINE void raw_calloc_run(void *state, uint64_t n)
{
	if (*(size_t *)state == BENCH_SMALL)
		RAW_LIFECYCLE(struct raw_small, raw_calloc_small(), n);
	else
		RAW_LIFECYCLE(struct raw_large, raw_calloc_large(), n);
}

static BENCH_NOINLINE void raw_malloc_run(void *state, uint64_t n)
{
	if (*(size_t *)state == BENCH_SMALL)
		RAW_LIFECYCLE(struct raw_small, raw_malloc_small(), n);
	else
		RAW_LIFECYCLE(struct raw_large, raw_malloc_large(), n);
}

const struct bench_impl bench_raw_lifecycle_calloc = { size_setup, raw_calloc_run, free };
const struct bench_impl bench_raw_lifecycle_malloc = { size_setup, raw_malloc_run, free };
