/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The objlife candidate of the refpair case, get + put on a live object:
 * the same code in bench-objlife.c (the header's inline get/put) and in
 * bench-objlife-noinline.c (OBJLIFE_NO_INLINE: the exported functions).
 * The includer defines REFPAIR_IMPL (the candidate's name) and
 * REFPAIR_TYPE (its type's name) first.
 */
struct pair_obj {
	struct objlife ref;
	int field;
};

/* The object never reaches its last put inside the loop. */
static const struct objlife_ops pair_ops = { .name = REFPAIR_TYPE };

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

const struct bench_impl REFPAIR_IMPL = { pair_setup, pair_run, pair_teardown };
