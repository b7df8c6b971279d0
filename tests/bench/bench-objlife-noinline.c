/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objlife through its exported functions, as bindings and non-GNU
 * compilers reach it: the header's inline get/put are turned off, so each
 * call goes through the PLT into libobjlife.so.
 */
#include "config.h"

#define OBJLIFE_NO_INLINE 1
#include <objlife.h>

#include "bench.h"

struct pair_obj {
	struct objlife ref;
	int field;
};

static const struct objlife_ops pair_ops = { .name = "bench-pair-exported" };

static void *pair_setup(size_t size)
{
	(void)size;
	return objlife_alloc(struct pair_obj, ref, &pair_ops, NULL);
}

static BENCH_NOINLINE void pair_run(void *state, uint64_t n)
{
	struct objlife *obj = state;

	while (n--) {
		bench_hide(obj);
		objlife_get(obj);
		objlife_put(obj);
	}
}

static void pair_teardown(void *state)
{
	objlife_put(state);
}

const struct bench_impl bench_objlife_exported_refpair = { pair_setup, pair_run, pair_teardown };
