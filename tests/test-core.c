/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The allocation path and the teardown path, as objlife(7) states them:
 * what init sees, what happens when it fails, release exactly once, bad
 * input, alignment, the type's own allocator.
 */
#include "testutil.h"

#include <stdalign.h>

/* ---- a type whose init can be told to fail -------------------------- */

struct failing {
	struct objlife ref;
	int fail_with;            /* init's return value */
	int extra_refs;           /* references init takes and leaves behind */
	bool put_initial;         /* init drops the reference it was given */
	unsigned char seen_zero;  /* init saw zeroed memory */
	uint32_t seen_count;      /* the count init saw */
	unsigned char tail[100];
};

struct failing_arg {
	int fail_with;
	int extra_refs;
	bool put_initial;
	int inits, releases;
	struct objlife *obj;      /* what init was given */
};

static int failing_init(struct objlife *obj, void *data)
{
	struct failing *f = (struct failing *)obj;
	struct failing_arg *arg = data;
	size_t i;
	bool zero = true;

	for (i = sizeof(f->ref); i < sizeof(*f); i++)
		zero &= ((unsigned char *)f)[i] == 0;
	arg->inits++;
	arg->obj = obj;
	f->seen_zero = zero;
	f->seen_count = objlife_refcount(obj);
	for (i = 0; i < (size_t)arg->extra_refs; i++)
		objlife_get(obj);
	if (arg->put_initial)
		objlife_put(obj);
	return arg->fail_with;
}

/* Counted in a global: init's arg is gone by the time release runs. */
static int failing_releases;

static void failing_release_counting(struct objlife *obj)
{
	(void)obj;
	failing_releases++;
}

static const struct objlife_ops failing_ops = {
	.name = "failing",
	.init = failing_init,
	.release = failing_release_counting,
};

/* ---- a type with its own allocator ----------------------------------- */

struct pool_stats {
	int allocs, frees;
	void *last_mem;
	size_t last_alloc_size, last_free_size, last_align;
	bool misalign;            /* hand out misaligned memory */
	bool fail;                /* return NULL */
};
static struct pool_stats pool;

static void *pool_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	unsigned char *mem;

	(void)ops;
	pool.last_alloc_size = size;
	pool.last_align = align;
	if (pool.fail)
		return NULL;
	if (posix_memalign((void **)&mem, align < 64 ? 64 : align, size + 64))
		return NULL;
	memset(mem, 0, size + 64);
	pool.allocs++;
	/* A misaligned pointer still has to be given back as handed out. */
	pool.last_mem = pool.misalign ? mem + 1 : mem;
	return pool.last_mem;
}

static void pool_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	g_assert_true(mem == pool.last_mem);
	pool.last_free_size = size;
	pool.frees++;
	free(pool.misalign ? (unsigned char *)mem - 1 : mem);
}

static const struct objlife_ops pool_ops = {
	.name = "pooled",
	.init = failing_init,
	.release = failing_release_counting,
	.alloc = pool_alloc,
	.free = pool_free,
};

/* The library leaks a saturated object on purpose; the test owns the
 * memory (pool_alloc) and gives it back once nothing uses it. */
static void forget_leaked(struct objlife *obj)
{
	objlife_may_leak(obj);
	free(obj);
}

static void reset(void)
{
	memset(&pool, 0, sizeof(pool));
	failing_releases = 0;
	tu_events_start();
}

/* ---- rule 1: init --------------------------------------------------- */

static void test_init_sees_zeroed_memory_and_one_ref(void)
{
	struct failing_arg arg = { 0 };
	struct failing *f;

	reset();
	f = objlife_alloc(struct failing, ref, &failing_ops, &arg);
	g_assert_nonnull(f);
	g_assert_cmpint(arg.inits, ==, 1);
	g_assert_true(arg.obj == &f->ref);
	g_assert_true(f->seen_zero);
	g_assert_cmpuint(f->seen_count, ==, 1);
	g_assert_cmpuint(objlife_refcount(&f->ref), ==, 1);
	g_assert_true(objlife_ops_of(&f->ref) == &failing_ops);
	objlife_put(&f->ref);
	g_assert_cmpint(failing_releases, ==, 1);
	g_assert_cmpuint(tu_events_count(), ==, 0);
}

/* Every size the library zeroes without a call, and past it, on both
 * common paths (the default allocator, and a cached type's magazine): the
 * previous object of the size is dirtied by its release, so that memory
 * handed out again (as malloc() and the magazine do, last in, first out)
 * shows any byte the zeroing missed. The magazine is emptied before each
 * size, so that the size's first object gives it that shape and the next
 * two come from it. */
static size_t dirty_size;          /* the size of the objects of this round */
static size_t dirty_dirt_seen;     /* non-zero bytes init saw, all rounds */
static unsigned dirty_inits;

static int dirty_init(struct objlife *obj, void *arg)
{
	const unsigned char *p = (const unsigned char *)obj;
	size_t i;

	(void)arg;
	for (i = sizeof(*obj); i < dirty_size; i++)
		dirty_dirt_seen += p[i] != 0;
	dirty_inits++;
	return 0;
}

static void dirty_release(struct objlife *obj)
{
	/* All but the header, which the teardown still reads. */
	memset((unsigned char *)obj + sizeof(*obj), 0xa5, dirty_size - sizeof(*obj));
}

static void test_init_sees_zeroed_memory_of_every_size(void)
{
	static const struct objlife_ops plain = {
		.name = "dirty", .init = dirty_init, .release = dirty_release,
	};
	static const struct objlife_ops cached = {
		.name = "dirty-cached", .init = dirty_init, .release = dirty_release, .cache = 4,
	};
	const struct objlife_ops *types[] = { &plain, &cached };
	size_t t, round;

	reset();
	dirty_dirt_seen = 0;
	dirty_inits = 0;
	for (t = 0; t < G_N_ELEMENTS(types); t++) {
		for (dirty_size = sizeof(struct objlife); dirty_size <= 600; dirty_size++) {
			/* A magazine takes a new shape only when empty. */
			objlife_cache_trim(types[t]);
			/* The first object of a size dirties memory for the
			 * second and the third. */
			for (round = 0; round < 3; round++) {
				struct objlife *obj = objlife_alloc_size(types[t], dirty_size, 8, NULL);

				g_assert_nonnull(obj);
				g_assert_cmpuint(objlife_refcount(obj), ==, 1);
				g_assert_true(objlife_ops_of(obj) == types[t]);
				objlife_put(obj);
			}
		}
		objlife_cache_trim(types[t]);
	}
	g_assert_cmpuint(dirty_inits, ==, 2 * 3 * (600 - sizeof(struct objlife) + 1));
	g_assert_cmpuint(dirty_dirt_seen, ==, 0);
	g_assert_cmpuint(objlife_live_count(&plain), ==, 0);
	g_assert_cmpuint(objlife_live_count(&cached), ==, 0);
	g_assert_cmpuint(tu_events_count(), ==, 0);
}

static void test_init_failure_skips_release(void)
{
	struct failing_arg arg = { .fail_with = -EBADF };
	struct failing *f;
	size_t live = objlife_live_count(&failing_ops);

	reset();
	errno = 0;
	f = objlife_alloc(struct failing, ref, &failing_ops, &arg);
	g_assert_null(f);
	g_assert_cmpint(errno, ==, EBADF);
	g_assert_cmpint(arg.inits, ==, 1);
	g_assert_cmpint(failing_releases, ==, 0);
	g_assert_cmpuint(objlife_live_count(&failing_ops), ==, live);
	g_assert_cmpuint(tu_events_count(), ==, 0);
}

static void test_init_failure_frees_through_ops_free(void)
{
	struct failing_arg arg = { .fail_with = -ENOSPC };
	struct failing *f;

	reset();
	f = objlife_alloc(struct failing, ref, &pool_ops, &arg);
	g_assert_null(f);
	g_assert_cmpint(errno, ==, ENOSPC);
	g_assert_cmpint(pool.allocs, ==, 1);
	g_assert_cmpint(pool.frees, ==, 1);
	/* The size freed is the size that was asked for. */
	g_assert_cmpuint(pool.last_alloc_size, ==, sizeof(struct failing));
	g_assert_cmpuint(pool.last_free_size, ==, sizeof(struct failing));
	g_assert_cmpint(failing_releases, ==, 0);
}

static void test_init_positive_return_is_einval(void)
{
	struct failing_arg arg = { .fail_with = 7 };

	reset();
	g_assert_null(objlife_alloc(struct failing, ref, &failing_ops, &arg));
	g_assert_cmpint(errno, ==, EINVAL);
	g_assert_cmpint(failing_releases, ==, 0);
}

static void test_init_failure_with_leaked_refs_leaks(void)
{
	struct failing_arg arg = { .fail_with = -EIO, .extra_refs = 2 };
	struct failing *f;

	reset();
	f = objlife_alloc(struct failing, ref, &pool_ops, &arg);
	g_assert_null(f);
	g_assert_cmpint(errno, ==, EIO);
	/* Someone may still point to it: not freed, never released, pinned. */
	g_assert_cmpint(pool.frees, ==, 0);
	g_assert_cmpint(failing_releases, ==, 0);
	g_assert_cmpuint(objlife_refcount(arg.obj), ==, OBJLIFE_REFCOUNT_SATURATED);
	tu_assert_one_event(OBJLIFE_EVENT_INIT_LEAKED_REF, arg.obj);
	g_assert_nonnull(strstr(tu_events.message[0], "objlife: INIT_LEAKED_REF: type=pooled obj="));
	g_assert_nonnull(strstr(tu_events.message[0], "count=3: "));
	/* Later puts by whoever holds those references change nothing. */
	objlife_put(arg.obj);
	objlife_put(arg.obj);
	g_assert_cmpint(failing_releases, ==, 0);
	g_assert_cmpint(pool.frees, ==, 0);
	g_assert_cmpuint(tu_events_count(), ==, 1);
	forget_leaked(arg.obj);
}

/* The object of a failed init was never handed out: reported once, as
 * INIT_LEAKED_REF, it is not a live object and not a leak. */
static void test_init_failure_with_leaked_refs_is_not_live(void)
{
	struct failing_arg arg = { .fail_with = -EIO, .extra_refs = 1 };
	size_t live = objlife_live_count(&pool_ops);
	size_t all = objlife_leak_check(NULL);

	reset();
	g_assert_null(objlife_alloc(struct failing, ref, &pool_ops, &arg));
	tu_assert_one_event(OBJLIFE_EVENT_INIT_LEAKED_REF, arg.obj);
	g_assert_cmpuint(objlife_live_count(&pool_ops), ==, live);
	g_assert_cmpuint(objlife_live_count(NULL), ==, all);
	g_assert_cmpuint(objlife_leak_check(NULL), ==, all);
	forget_leaked(arg.obj);
	/* Marking it afterwards uncounts nothing more. */
	g_assert_cmpuint(objlife_live_count(&pool_ops), ==, live);
}

static void test_init_failure_with_leaked_refs_is_no_leak_with_registry(void)
{
	if (g_test_subprocess()) {
		struct failing_arg arg = { .fail_with = -EIO, .extra_refs = 1 };
		size_t all = objlife_live_count(NULL), listed;
		char *text;

		reset();
		g_assert_null(objlife_alloc(struct failing, ref, &pool_ops, &arg));
		tu_assert_one_event(OBJLIFE_EVENT_INIT_LEAKED_REF, arg.obj);
		text = tu_leak_check_text(&listed);
		g_assert_cmpuint(listed, ==, all);
		g_assert_null(strstr(text, "pooled"));
		free(text);
		/* Nor at exit: the default handler would write it to stderr.
		 * The memory stays (pool.last_mem), as the registry keeps it. */
		objlife_set_report_handler(NULL, NULL);
		return;
	}
	tu_trap_with_debug("leaks");
}

static void test_init_putting_its_own_ref_is_reported(void)
{
	struct failing_arg arg = { .put_initial = true };
	struct failing *f;

	reset();
	f = objlife_alloc(struct failing, ref, &pool_ops, &arg);
	/* init succeeded, but the object must not be released under init. */
	g_assert_nonnull(f);
	g_assert_cmpint(failing_releases, ==, 0);
	g_assert_cmpint(pool.frees, ==, 0);
	tu_assert_one_event(OBJLIFE_EVENT_UNDERFLOW, &f->ref);
	g_assert_nonnull(strstr(tu_events.message[0], "inside init"));
	g_assert_cmpuint(objlife_refcount(&f->ref), ==, OBJLIFE_REFCOUNT_SATURATED);
	objlife_put(&f->ref);
	g_assert_cmpint(failing_releases, ==, 0);
	g_assert_cmpuint(tu_events_count(), ==, 1);
	forget_leaked(&f->ref);
}

static void test_init_failing_after_putting_its_ref(void)
{
	struct failing_arg arg = { .put_initial = true, .fail_with = -EAGAIN };

	reset();
	g_assert_null(objlife_alloc(struct failing, ref, &pool_ops, &arg));
	g_assert_cmpint(errno, ==, EAGAIN);
	g_assert_cmpint(failing_releases, ==, 0);
	/* Leaked, reported once: the first misuse is the one that counts. */
	g_assert_cmpint(pool.frees, ==, 0);
	tu_assert_one_event(OBJLIFE_EVENT_UNDERFLOW, arg.obj);
	forget_leaked(arg.obj);
}

static void test_init_extra_refs_on_success_are_kept(void)
{
	struct failing_arg arg = { .extra_refs = 1 };
	struct failing *f;

	reset();
	f = objlife_alloc(struct failing, ref, &failing_ops, &arg);
	g_assert_nonnull(f);
	g_assert_cmpuint(objlife_refcount(&f->ref), ==, 2);
	objlife_put(&f->ref);
	g_assert_cmpint(failing_releases, ==, 0);
	objlife_put(&f->ref);
	g_assert_cmpint(failing_releases, ==, 1);
}

/* ---- rule 2: release exactly once ---------------------------------- */

static void test_release_runs_once_on_last_put(void)
{
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);

	reset();
	g_assert_true(tu_get(o) == o);
	tu_get(o);
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 3);
	tu_put(o);
	tu_put(o);
	g_assert_cmpint(c.releases, ==, 0);
	tu_put(o);
	g_assert_cmpint(c.inits, ==, 1);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpuint(tu_events_count(), ==, 0);
}

static void test_release_frees_through_ops_free(void)
{
	struct failing_arg arg = { 0 };
	struct failing *f;

	reset();
	f = objlife_alloc(struct failing, ref, &pool_ops, &arg);
	g_assert_nonnull(f);
	g_assert_cmpint(pool.allocs, ==, 1);
	objlife_put(&f->ref);
	g_assert_cmpint(failing_releases, ==, 1);
	g_assert_cmpint(pool.frees, ==, 1);
	g_assert_cmpuint(pool.last_free_size, ==, sizeof(struct failing));
}

/* A release that takes a reference resurrects nothing: the get is reported
 * and the memory is kept, since someone may now hold the pointer. */
static struct objlife *resurrected;

static void resurrecting_release(struct objlife *obj)
{
	resurrected = objlife_get(obj);
}

static const struct objlife_ops resurrect_ops = {
	.name = "resurrect",
	.release = resurrecting_release,
	.alloc = pool_alloc,
	.free = pool_free,
};

static void test_release_taking_a_ref_leaks(void)
{
	struct objlife *obj;

	reset();
	obj = objlife_alloc_size(&resurrect_ops, sizeof(struct objlife), 8, NULL);
	g_assert_nonnull(obj);
	objlife_put(obj);
	g_assert_true(resurrected == obj);
	g_assert_cmpint(pool.frees, ==, 0);
	tu_assert_one_event(OBJLIFE_EVENT_GET_ON_ZERO, obj);
	objlife_put(resurrected);
	g_assert_cmpint(pool.frees, ==, 0);
	g_assert_cmpuint(tu_events_count(), ==, 1);
	forget_leaked(resurrected);
}

static void test_name_only_ops_is_valid(void)
{
	static const struct objlife_ops name_only = { .name = "plain" };
	struct objlife *obj;

	reset();
	obj = objlife_alloc_size(&name_only, 64, 8, NULL);
	g_assert_nonnull(obj);
	g_assert_cmpuint(objlife_live_count(&name_only), ==, 1);
	objlife_put(obj);
	g_assert_cmpuint(objlife_live_count(&name_only), ==, 0);
}

static void test_null_is_safe(void)
{
	reset();
	g_assert_null(objlife_get(NULL));
	objlife_put(NULL);
	g_assert_false(objlife_get_unless_zero(NULL));
	g_assert_cmpuint(objlife_refcount(NULL), ==, 0);
	g_assert_null(objlife_ops_of(NULL));
	objlife_may_leak(NULL);
	g_assert_null(tu_get(NULL));
	tu_put(NULL);
	g_assert_false(tu_get_unless_zero(NULL));
	g_assert_cmpuint(tu_events_count(), ==, 0);
}

/* ---- rule 7: bad input ---------------------------------------------- */

static void *never_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops; (void)size; (void)align;
	g_assert_not_reached();
	return NULL;
}

static void never_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops; (void)mem; (void)size;
	g_assert_not_reached();
}

static int never_init(struct objlife *obj, void *arg)
{
	(void)obj; (void)arg;
	g_assert_not_reached();
	return 0;
}

static void assert_einval(const struct objlife_ops *ops, size_t size, size_t align)
{
	size_t live = objlife_live_count(NULL);

	errno = 0;
	g_assert_null(objlife_alloc_size(ops, size, align, NULL));
	g_assert_cmpint(errno, ==, EINVAL);
	g_assert_cmpuint(objlife_live_count(NULL), ==, live);
}

static void test_bad_input_is_einval(void)
{
	static const struct objlife_ops ok = { .name = "ok", .init = never_init };
	static const struct objlife_ops no_name = { .init = never_init };
	static const struct objlife_ops only_alloc = { .name = "a", .init = never_init, .alloc = never_alloc };
	static const struct objlife_ops only_free = { .name = "f", .init = never_init, .free = never_free };

	reset();
	assert_einval(NULL, 64, 8);
	assert_einval(&no_name, 64, 8);
	assert_einval(&only_alloc, 64, 8);
	assert_einval(&only_free, 64, 8);
	assert_einval(&ok, sizeof(struct objlife) - 1, 8);
	assert_einval(&ok, 0, 8);
	assert_einval(&ok, 64, 0);
	assert_einval(&ok, 64, 3);
	assert_einval(&ok, 64, 24);
	assert_einval(&ok, 64, SIZE_MAX);
	g_assert_cmpuint(tu_events_count(), ==, 0);
}

static void test_ops_alloc_failure_is_enomem(void)
{
	struct failing_arg arg = { 0 };
	size_t live = objlife_live_count(&pool_ops);

	reset();
	pool.fail = true;
	g_assert_null(objlife_alloc(struct failing, ref, &pool_ops, &arg));
	g_assert_cmpint(errno, ==, ENOMEM);
	g_assert_cmpint(arg.inits, ==, 0);
	g_assert_cmpuint(objlife_live_count(&pool_ops), ==, live);
}

static void test_default_alloc_failure_is_enomem(void)
{
	static const struct objlife_ops huge = { .name = "huge", .init = never_init };
	/* More than the address space holds, and calloc and posix_memalign
	 * refuse: half of it on LP64; on ILP32, where a process can have
	 * half of it, just past PTRDIFF_MAX, which C libraries refuse. (Not
	 * more on LP64: valgrind flags sizes that look negative.) */
	size_t size = sizeof(void *) == 8 ? SIZE_MAX / 2 : (size_t)PTRDIFF_MAX + 1;

	reset();
	g_assert_null(objlife_alloc_size(&huge, size, 8, NULL));
	g_assert_cmpint(errno, ==, ENOMEM);
	g_assert_null(objlife_alloc_size(&huge, size, 4096, NULL));
	g_assert_cmpint(errno, ==, ENOMEM);
	g_assert_cmpuint(objlife_live_count(&huge), ==, 0);
}

static void test_misaligned_ops_alloc_is_einval(void)
{
	struct failing_arg arg = { 0 };

	reset();
	pool.misalign = true;
	g_assert_null(objlife_alloc(struct failing, ref, &pool_ops, &arg));
	g_assert_cmpint(errno, ==, EINVAL);
	/* Given back, exactly as handed out. */
	g_assert_cmpint(pool.allocs, ==, 1);
	g_assert_cmpint(pool.frees, ==, 1);
	g_assert_cmpint(arg.inits, ==, 0);
}

/* ---- alignment ------------------------------------------------------ */

struct cacheline {
	alignas(64) struct objlife ref;
	unsigned char data[10];
};

static void test_alignment_above_max_align_t(void)
{
	static const struct objlife_ops ops = { .name = "cacheline" };
	struct cacheline *objs[16];
	size_t i;

	reset();
	g_assert_cmpuint(alignof(struct cacheline), ==, 64);
	for (i = 0; i < G_N_ELEMENTS(objs); i++) {
		size_t j;

		objs[i] = objlife_alloc(struct cacheline, ref, &ops, NULL);
		g_assert_nonnull(objs[i]);
		g_assert_cmpuint((uintptr_t)objs[i] % 64, ==, 0);
		for (j = 0; j < sizeof(objs[i]->data); j++)
			g_assert_cmpuint(objs[i]->data[j], ==, 0);
	}
	for (i = 0; i < G_N_ELEMENTS(objs); i++)
		objlife_put(&objs[i]->ref);
	g_assert_cmpuint(objlife_live_count(&ops), ==, 0);
}

static void test_alignment_powers_of_two_up_to_page(void)
{
	static const struct objlife_ops ops = { .name = "aligned" };
	size_t align;

	reset();
	for (align = 1; align <= 4096; align *= 2) {
		struct objlife *obj = objlife_alloc_size(&ops, 100, align, NULL);
		size_t want = align < alignof(struct objlife) ? alignof(struct objlife) : align;

		g_assert_nonnull(obj);
		g_assert_cmpuint((uintptr_t)obj % want, ==, 0);
		objlife_put(obj);
	}
}

static void test_ops_alloc_gets_rounded_alignment(void)
{
	struct failing_arg arg = { 0 };
	struct objlife *obj;

	reset();
	obj = objlife_alloc_size(&pool_ops, sizeof(struct failing), 1, &arg);
	g_assert_nonnull(obj);
	g_assert_cmpuint(pool.last_align, ==, alignof(struct objlife));
	objlife_put(obj);
}

/* Sizes too large for the header keep their exact size for ops->free. */
static void test_big_object_frees_with_its_size(void)
{
	struct failing_arg arg = { 0 };
	size_t size = (size_t)32 << 20;
	struct objlife *obj;

	reset();
	obj = objlife_alloc_size(&pool_ops, size, 64, &arg);
	g_assert_nonnull(obj);
	g_assert_cmpuint(pool.last_alloc_size, ==, size);
	objlife_put(obj);
	g_assert_cmpint(pool.frees, ==, 1);
	g_assert_cmpuint(pool.last_free_size, ==, size);
	g_assert_cmpint(failing_releases, ==, 1);
}

struct bare {
	struct objlife ref;
};

static const struct objlife_ops bare_ops = {
	.name = "bare", .alloc = pool_alloc, .free = pool_free,
};

/* objlife.h asserts the layout at compile time; this is what an object
 * costs at run time: the header, and nothing the library adds around it. */
static void test_header_is_16_bytes_on_lp64(void)
{
	size_t expect = sizeof(void *) == 8 ? 16 : 12;
	struct bare *b;

	g_assert_cmpuint(sizeof(struct objlife), ==, expect);
	memset(&pool, 0, sizeof(pool));
	b = objlife_alloc(struct bare, ref, &bare_ops, NULL);
	g_assert_nonnull(b);
	g_assert_cmpuint(pool.last_alloc_size, ==, expect);
	g_assert_cmpuint(pool.last_align, ==, alignof(void *));
	objlife_put(&b->ref);
	g_assert_cmpuint(pool.last_free_size, ==, expect);
	g_assert_cmpint(pool.frees, ==, 1);
}

/* ---- typed helpers and may_leak ------------------------------------- */

static void test_ref_funcs_are_typed(void)
{
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);

	g_assert_true(tu_get(o) == o);
	g_assert_true(tu_get_unless_zero(o));
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 3);
	tu_put(o);
	tu_put(o);
	tu_put(o);
	g_assert_cmpint(c.releases, ==, 1);
}

static void test_may_leak_uncounts_once(void)
{
	static const struct objlife_ops ops = { .name = "forever" };
	struct objlife *a = objlife_alloc_size(&ops, 32, 8, NULL);
	struct objlife *b = objlife_alloc_size(&ops, 32, 8, NULL);

	g_assert_cmpuint(objlife_live_count(&ops), ==, 2);
	objlife_may_leak(a);
	objlife_may_leak(a);
	g_assert_cmpuint(objlife_live_count(&ops), ==, 1);
	/* Its references still work, and freeing it does not uncount twice. */
	objlife_get(a);
	objlife_put(a);
	objlife_put(a);
	g_assert_cmpuint(objlife_live_count(&ops), ==, 1);
	objlife_put(b);
	g_assert_cmpuint(objlife_live_count(&ops), ==, 0);
}

/* ---- objects in static storage (OBJLIFE_STATIC_INIT) ------------------ */

static int static_releases;
static void static_release(struct objlife *obj)
{
	(void)obj;
	static_releases++;
}

struct constant {
	struct objlife ref;
	int value;
};
static const struct objlife_ops constant_ops = { .name = "constant", .release = static_release };
static const struct objlife_ops norelease_ops = { .name = "norelease" };   /* no release at all */

static struct constant answer = { .ref = OBJLIFE_STATIC_INIT(&constant_ops), .value = 42 };
static struct constant nothing = { .ref = OBJLIFE_STATIC_INIT(&norelease_ops), .value = 0 };

static void test_static_gets_and_puts_never_release(void)
{
	int i;

	static_releases = 0;
	tu_events_start();
	for (i = 0; i < 1000; i++)
		objlife_get(&answer.ref);
	for (i = 0; i < 1000; i++)
		objlife_put(&answer.ref);
	/* More puts than gets: the object was never the caller's to free. */
	objlife_put(&answer.ref);
	objlife_put(&answer.ref);
	g_assert_true(objlife_get_unless_zero(&answer.ref));
	objlife_put(&answer.ref);
	g_assert_cmpint(static_releases, ==, 0);
	g_assert_cmpuint(tu_events_count(), ==, 0);
	g_assert_cmpuint(objlife_refcount(&answer.ref), ==, OBJLIFE_REFCOUNT_SATURATED);
	g_assert_cmpint(answer.value, ==, 42);
	objlife_set_report_handler(NULL, NULL);
}

static void test_static_without_release_is_valid(void)
{
	tu_events_start();
	objlife_get(&nothing.ref);
	objlife_put(&nothing.ref);
	objlife_put(&nothing.ref);
	g_assert_cmpuint(tu_events_count(), ==, 0);
	g_assert_true(objlife_ops_of(&nothing.ref) == &norelease_ops);
	objlife_set_report_handler(NULL, NULL);
}

/* 2^30 unbalanced gets or puts reach an end of the live range: the count
 * goes back to the middle, with no report and no release. */
static void test_static_count_ends_go_back_to_the_middle(void)
{
	static struct constant edge = { .ref = OBJLIFE_STATIC_INIT(&constant_ops), .value = 1 };

	static_releases = 0;
	tu_events_start();
	tu_preset_count(&edge.ref, OBJLIFE_REFCOUNT_MAX);
	objlife_get(&edge.ref);
	g_assert_cmpuint(tu_events_count(), ==, 0);
	objlife_get(&edge.ref);
	objlife_put(&edge.ref);
	tu_preset_count(&edge.ref, 1);
	objlife_put(&edge.ref);
	g_assert_cmpint(static_releases, ==, 0);
	objlife_put(&edge.ref);
	objlife_get(&edge.ref);
	g_assert_cmpuint(tu_events_count(), ==, 0);
	tu_preset_count(&edge.ref, OBJLIFE_REFCOUNT_MAX);
	g_assert_true(objlife_get_unless_zero(&edge.ref));
	g_assert_cmpuint(tu_events_count(), ==, 0);
	g_assert_cmpint(static_releases, ==, 0);
	g_assert_cmpuint(objlife_refcount(&edge.ref), ==, OBJLIFE_REFCOUNT_SATURATED);
	objlife_set_report_handler(NULL, NULL);
}

static void test_static_is_never_live_nor_a_leak(void)
{
	if (g_test_subprocess()) {
		size_t live;
		char *text;

		objlife_get(&answer.ref);
		objlife_may_leak(&answer.ref);   /* nothing to uncount */
		g_assert_cmpuint(objlife_live_count(&constant_ops), ==, 0);
		g_assert_cmpuint(objlife_live_count(NULL), ==, 0);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 0);
		free(text);
		/* Still held at exit: no report at exit either (stderr empty). */
		return;
	}
	tu_trap_with_debug("leaks");
}

static void test_static_put_mutex_never_releases(void)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

	static_releases = 0;
	g_assert_false(objlife_put_mutex(&answer.ref, &lock));
	g_assert_cmpint(static_releases, ==, 0);
	g_assert_cmpint(pthread_mutex_trylock(&lock), ==, 0);   /* not left locked */
	pthread_mutex_unlock(&lock);
}

#define STATIC_THREADS 4
static void *static_hammer(void *p)
{
	int i;

	(void)p;
	for (i = 0; i < 100000; i++) {
		objlife_get(&answer.ref);
		objlife_put(&answer.ref);
	}
	return NULL;
}

static void test_static_shared_by_threads(void)
{
	pthread_t t[STATIC_THREADS];
	int i;

	static_releases = 0;
	tu_events_start();
	for (i = 0; i < STATIC_THREADS; i++)
		g_assert_cmpint(pthread_create(&t[i], NULL, static_hammer, NULL), ==, 0);
	for (i = 0; i < STATIC_THREADS; i++)
		pthread_join(t[i], NULL);
	g_assert_cmpint(static_releases, ==, 0);
	g_assert_cmpuint(tu_events_count(), ==, 0);
	objlife_set_report_handler(NULL, NULL);
}

/* ---- the ops pointer is the type tag ------------------------------------ */

static const struct objlife_ops string_ops = { .name = "string" };
static const struct objlife_ops number_ops = { .name = "number" };

static bool is_string(const struct objlife *o)
{
	return objlife_ops_of(o) == &string_ops;
}

static void test_ops_of_is_the_type_tag(void)
{
	struct objlife *s = objlife_alloc_size(&string_ops, 32, 8, NULL);
	struct objlife *n = objlife_alloc_size(&number_ops, 32, 8, NULL);
	static struct objlife constant_string = OBJLIFE_STATIC_INIT(&string_ops);

	g_assert_true(is_string(s));
	g_assert_false(is_string(n));
	g_assert_true(is_string(&constant_string));
	g_assert_false(is_string(NULL));
	/* The exported function says the same as the inline one. */
	g_assert_true((objlife_ops_of)(s) == &string_ops);
	g_assert_true((objlife_ops_of)(NULL) == NULL);
	objlife_put(s);
	objlife_put(n);
}

/* ---- malloc-style allocators (OBJLIFE_DEFINE_MALLOC_ALLOC) ------------ */

static int arena_mallocs, arena_frees;
static void *arena_last;

/* A project's own malloc: uninitialised memory, here filled with garbage
 * so that an unzeroed byte would show. */
static void *arena_malloc(size_t size)
{
	void *p = malloc(size);

	if (p) {
		memset(p, 0xa5, size);
		arena_mallocs++;
		arena_last = p;
	}
	return p;
}

static void arena_free(void *p)
{
	g_assert_true(p == arena_last);
	arena_frees++;
	free(p);
}

OBJLIFE_DEFINE_MALLOC_ALLOC(arena, arena_malloc, arena_free);

struct pooled {
	struct objlife ref;
	unsigned char payload[40];
};

static int pooled_init(struct objlife *obj, void *arg)
{
	struct pooled *p = (struct pooled *)(void *)obj;
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(p->payload); i++)
		if (p->payload[i])
			return -EILSEQ;   /* init must see zeroed memory */
	return 0;
}

static const struct objlife_ops pooled_ops = {
	.name = "pooled", .init = pooled_init, .alloc = arena_ops_alloc, .free = arena_ops_free,
};

static void test_malloc_style_allocator_memory_is_zeroed(void)
{
	struct pooled *p;

	arena_mallocs = arena_frees = 0;
	p = objlife_alloc(struct pooled, ref, &pooled_ops, NULL);
	g_assert_nonnull(p);
	g_assert_cmpint(arena_mallocs, ==, 1);
	objlife_put(&p->ref);
	g_assert_cmpint(arena_frees, ==, 1);
}

struct pooled_wide {
	struct objlife ref;
	alignas(64) unsigned char line[64];
};

static void test_malloc_style_allocator_refuses_over_alignment(void)
{
	arena_mallocs = arena_frees = 0;
	errno = 0;
	g_assert_null(objlife_alloc(struct pooled_wide, ref, &pooled_ops, NULL));
	g_assert_cmpint(errno, ==, ENOMEM);
	g_assert_cmpint(arena_mallocs, ==, 0);
	g_assert_cmpint(arena_frees, ==, 0);
	g_assert_cmpuint(objlife_live_count(&pooled_ops), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/core/init/sees-zeroed-memory-and-one-ref", test_init_sees_zeroed_memory_and_one_ref);
	g_test_add_func("/core/init/sees-zeroed-memory-of-every-size",
			test_init_sees_zeroed_memory_of_every_size);
	g_test_add_func("/core/init/failure-skips-release", test_init_failure_skips_release);
	g_test_add_func("/core/init/failure-frees-through-ops-free", test_init_failure_frees_through_ops_free);
	g_test_add_func("/core/init/positive-return-is-einval", test_init_positive_return_is_einval);
	g_test_add_func("/core/init/failure-with-leaked-refs-leaks", test_init_failure_with_leaked_refs_leaks);
	g_test_add_func("/core/init/failure-with-leaked-refs-is-not-live",
			test_init_failure_with_leaked_refs_is_not_live);
	g_test_add_func("/core/init/failure-with-leaked-refs-is-no-leak-with-registry",
			test_init_failure_with_leaked_refs_is_no_leak_with_registry);
	g_test_add_func("/core/init/putting-its-own-ref-is-reported", test_init_putting_its_own_ref_is_reported);
	g_test_add_func("/core/init/failing-after-putting-its-ref", test_init_failing_after_putting_its_ref);
	g_test_add_func("/core/init/extra-refs-on-success-are-kept", test_init_extra_refs_on_success_are_kept);
	g_test_add_func("/core/release/runs-once-on-last-put", test_release_runs_once_on_last_put);
	g_test_add_func("/core/release/frees-through-ops-free", test_release_frees_through_ops_free);
	g_test_add_func("/core/release/taking-a-ref-leaks", test_release_taking_a_ref_leaks);
	g_test_add_func("/core/ops/name-only-is-valid", test_name_only_ops_is_valid);
	g_test_add_func("/core/null-is-safe", test_null_is_safe);
	g_test_add_func("/core/bad-input/einval", test_bad_input_is_einval);
	g_test_add_func("/core/alloc/ops-alloc-failure-is-enomem", test_ops_alloc_failure_is_enomem);
	g_test_add_func("/core/alloc/default-alloc-failure-is-enomem", test_default_alloc_failure_is_enomem);
	g_test_add_func("/core/alloc/misaligned-ops-alloc-is-einval", test_misaligned_ops_alloc_is_einval);
	g_test_add_func("/core/alloc/big-object-frees-with-its-size", test_big_object_frees_with_its_size);
	g_test_add_func("/core/align/above-max-align-t", test_alignment_above_max_align_t);
	g_test_add_func("/core/align/powers-of-two-up-to-page", test_alignment_powers_of_two_up_to_page);
	g_test_add_func("/core/align/ops-alloc-gets-rounded-alignment", test_ops_alloc_gets_rounded_alignment);
	g_test_add_func("/core/header/size", test_header_is_16_bytes_on_lp64);
	g_test_add_func("/core/ref-funcs/typed", test_ref_funcs_are_typed);
	g_test_add_func("/core/may-leak/uncounts-once", test_may_leak_uncounts_once);
	g_test_add_func("/core/static/gets-and-puts-never-release", test_static_gets_and_puts_never_release);
	g_test_add_func("/core/static/without-release-is-valid", test_static_without_release_is_valid);
	g_test_add_func("/core/static/count-ends-go-back-to-the-middle",
			test_static_count_ends_go_back_to_the_middle);
	g_test_add_func("/core/static/is-never-live-nor-a-leak", test_static_is_never_live_nor_a_leak);
	g_test_add_func("/core/static/put-mutex-never-releases", test_static_put_mutex_never_releases);
	g_test_add_func("/core/static/shared-by-threads", test_static_shared_by_threads);
	g_test_add_func("/core/ops-of/is-the-type-tag", test_ops_of_is_the_type_tag);
	g_test_add_func("/core/alloc/malloc-style-allocator-memory-is-zeroed",
			test_malloc_style_allocator_memory_is_zeroed);
	g_test_add_func("/core/alloc/malloc-style-allocator-refuses-over-alignment",
			test_malloc_style_allocator_refuses_over_alignment);
	return g_test_run();
}
