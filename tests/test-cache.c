/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ops->cache: a type's freed objects' memory kept per thread for reuse.
 * Reuse happens (same memory, zeroed) up to the cap, only for blocks of
 * the same size and alignment; memory from ops->alloc goes back through
 * ops->free with its size, when objlife_cache_trim() asks (at once in the
 * calling thread, at their next use in the others), when a thread exits,
 * and after a failed init; cached blocks are never live objects; poison
 * turns caching off; leak reports stay right.
 *
 * Each case has a type of its own, with an allocator that counts: every
 * thread's cache persists across cases in one process.
 */
#include "testutil.h"

#include <stdint.h>
#include <unistd.h>

/* A type whose memory comes from ops->alloc and goes back through
 * ops->free, counted. ops is the first member, so the callbacks find the
 * counters from the ops pointer they are given. */
struct counted {
	struct objlife_ops ops;
	unsigned allocs, frees;        /* atomic */
	size_t bytes_in, bytes_out;    /* atomic */
	size_t last_free_size;         /* atomic */
};

static void *counted_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	struct counted *c = (struct counted *)(uintptr_t)ops;
	void *mem = tu_zalloc(size, align);

	if (!mem)
		return NULL;
	__atomic_add_fetch(&c->allocs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->bytes_in, size, __ATOMIC_RELAXED);
	return mem;
}

static void counted_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	struct counted *c = (struct counted *)(uintptr_t)ops;

	__atomic_add_fetch(&c->frees, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->bytes_out, size, __ATOMIC_RELAXED);
	__atomic_store_n(&c->last_free_size, size, __ATOMIC_RELAXED);
	free(mem);
}

static unsigned allocs_of(struct counted *c)
{
	return __atomic_load_n(&c->allocs, __ATOMIC_RELAXED);
}

static unsigned frees_of(struct counted *c)
{
	return __atomic_load_n(&c->frees, __ATOMIC_RELAXED);
}

/* Everything ops->alloc gave went back through ops->free, with the sizes
 * it was asked for. */
static void assert_all_given_back(struct counted *c)
{
	g_assert_cmpuint(frees_of(c), ==, allocs_of(c));
	g_assert_cmpuint(__atomic_load_n(&c->bytes_out, __ATOMIC_RELAXED), ==,
			 __atomic_load_n(&c->bytes_in, __ATOMIC_RELAXED));
}

#define COUNTED(type_name, cap) \
	{ { .name = type_name, .alloc = counted_alloc, .free = counted_free, .cache = cap }, \
	  0, 0, 0, 0, 0 }

#define PAYLOAD 48

struct item {
	struct objlife ref;
	unsigned char payload[PAYLOAD];
};

static struct item *item_new(const struct objlife_ops *ops)
{
	struct item *it = objlife_alloc(struct item, ref, ops, NULL);

	if (!it)
		g_error("objlife_alloc: %s", strerror(errno));
	return it;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- reuse ----------------------------------------------------------- */

static void test_reuse_gives_the_same_memory_zeroed(void)
{
	static const struct objlife_ops ops = { .name = "reuse", .cache = 4 };
	struct item *a = item_new(&ops), *b;

	memset(a->payload, 0xa5, sizeof(a->payload));
	objlife_put(&a->ref);
	b = item_new(&ops);
	g_assert_true(b == a);
	/* objlife_alloc()'s contract holds for reused memory: zeroed, one
	 * reference, the type's header. */
	g_assert_true(all_zero(b->payload, sizeof(b->payload)));
	g_assert_cmpuint(objlife_refcount(&b->ref), ==, 1);
	g_assert_true(objlife_ops_of(&b->ref) == &ops);
	objlife_put(&b->ref);
	g_assert_cmpuint(objlife_cache_trim(&ops), ==, 1);
}

/* Every size class of the zeroing: reused memory is all zero past the
 * header, whatever the size. */
static void test_reuse_zeroes_every_size(void)
{
	static const struct objlife_ops ops = { .name = "reuse-sizes", .cache = 2 };
	static const size_t sizes[] = { 16, 24, 32, 40, 48, 64, 80, 100, 200, 272, 300, 1000 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t size = sizes[i], hdr = sizeof(struct objlife);
		struct objlife *a = objlife_alloc_size(&ops, size, 8, NULL), *b;

		g_assert_nonnull(a);
		memset((char *)a + hdr, 0x5a, size - hdr);
		objlife_put(a);
		b = objlife_alloc_size(&ops, size, 8, NULL);
		g_assert_true(b == a);
		g_assert_true(all_zero((unsigned char *)b + hdr, size - hdr));
		objlife_put(b);
		/* Empty again: the next size becomes the cache's shape. */
		g_assert_cmpuint(objlife_cache_trim(&ops), ==, 1);
	}
}

static int init_sets_payload(struct objlife *obj, void *arg)
{
	struct item *it = (struct item *)obj;

	/* Sees zeroed memory every time, cached or not. */
	g_assert_true(all_zero(it->payload, sizeof(it->payload)));
	it->payload[0] = 1;
	(*(int *)arg)++;
	return 0;
}

static int releases_seen;

static void release_counts(struct objlife *obj)
{
	(void)obj;
	releases_seen++;
}

static void test_init_and_release_run_on_reused_memory(void)
{
	static const struct objlife_ops ops = {
		.name = "reuse-init", .init = init_sets_payload, .release = release_counts, .cache = 2,
	};
	int inits = 0, i;

	releases_seen = 0;
	for (i = 0; i < 10; i++) {
		struct item *it = objlife_alloc(struct item, ref, &ops, &inits);

		g_assert_nonnull(it);
		g_assert_cmpint(it->payload[0], ==, 1);
		memset(it->payload, 0xff, sizeof(it->payload));
		objlife_put(&it->ref);
	}
	g_assert_cmpint(inits, ==, 10);
	g_assert_cmpint(releases_seen, ==, 10);
	objlife_cache_trim(&ops);
}

static void test_type_without_cache_frees_at_once(void)
{
	static struct counted c = COUNTED("no-cache", 0);
	int i;

	for (i = 0; i < 5; i++)
		objlife_put(&item_new(&c.ops)->ref);
	g_assert_cmpuint(allocs_of(&c), ==, 5);
	assert_all_given_back(&c);
	g_assert_cmpuint(objlife_cache_trim(&c.ops), ==, 0);
}

/* ---- the cap and the shape ------------------------------------------- */

static void test_cap_is_respected(void)
{
	static struct counted c = COUNTED("cap", 3);
	struct item *it[5];
	int i;

	for (i = 0; i < 5; i++)
		it[i] = item_new(&c.ops);
	g_assert_cmpuint(allocs_of(&c), ==, 5);
	for (i = 0; i < 5; i++)
		objlife_put(&it[i]->ref);
	/* Three kept, the two beyond the cap given back at their put. */
	g_assert_cmpuint(frees_of(&c), ==, 2);

	for (i = 0; i < 5; i++)
		it[i] = item_new(&c.ops);
	/* Three came from the cache, two from the allocator. */
	g_assert_cmpuint(allocs_of(&c), ==, 7);
	for (i = 0; i < 5; i++)
		objlife_put(&it[i]->ref);
	g_assert_cmpuint(frees_of(&c), ==, 4);
	g_assert_cmpuint(objlife_cache_trim(&c.ops), ==, 3);
	assert_all_given_back(&c);
}

static void test_other_sizes_are_not_mixed(void)
{
	static struct counted c = COUNTED("sizes", 4);
	struct objlife *small, *big, *again;

	small = objlife_alloc_size(&c.ops, 64, 8, NULL);
	g_assert_nonnull(small);
	objlife_put(small);
	g_assert_cmpuint(frees_of(&c), ==, 0);

	/* A 64-byte block is cached; a 128-byte object does not get it. */
	big = objlife_alloc_size(&c.ops, 128, 8, NULL);
	g_assert_nonnull(big);
	g_assert_true(big != small);
	g_assert_cmpuint(allocs_of(&c), ==, 2);
	/* Nor does its memory join the 64-byte ones: back with its size. */
	objlife_put(big);
	g_assert_cmpuint(frees_of(&c), ==, 1);
	g_assert_cmpuint(__atomic_load_n(&c.last_free_size, __ATOMIC_RELAXED), ==, 128);

	again = objlife_alloc_size(&c.ops, 64, 8, NULL);
	g_assert_true(again == small);
	objlife_put(again);
	g_assert_cmpuint(objlife_cache_trim(&c.ops), ==, 1);
	g_assert_cmpuint(__atomic_load_n(&c.last_free_size, __ATOMIC_RELAXED), ==, 64);
	assert_all_given_back(&c);
}

static void test_huge_objects_are_never_cached(void)
{
	static struct counted c = COUNTED("huge", 4);
	size_t huge = (size_t)16 << 20;   /* one past the header's size limit */
	int i;

	for (i = 0; i < 2; i++) {
		struct objlife *obj = objlife_alloc_size(&c.ops, huge, 8, NULL);

		g_assert_nonnull(obj);
		objlife_put(obj);
		g_assert_cmpuint(__atomic_load_n(&c.last_free_size, __ATOMIC_RELAXED), ==, huge);
	}
	g_assert_cmpuint(allocs_of(&c), ==, 2);
	assert_all_given_back(&c);
	g_assert_cmpuint(objlife_cache_trim(&c.ops), ==, 0);
}

static void test_alignment_is_honoured(void)
{
	static struct counted c = COUNTED("aligned", 8);
	struct objlife *o[4];
	int round, i;

	/* Blocks of an 8-aligned shape never serve a 256-aligned request, and
	 * whatever serves it is aligned. */
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 4; i++) {
			size_t align = i % 2 ? 256 : 8;

			o[i] = objlife_alloc_size(&c.ops, 64, align, NULL);
			g_assert_nonnull(o[i]);
			g_assert_cmpuint((uintptr_t)o[i] % align, ==, 0);
		}
		for (i = 0; i < 4; i++)
			objlife_put(o[i]);
	}
	objlife_cache_trim(&c.ops);
	assert_all_given_back(&c);
}

/* ---- memory goes back ----------------------------------------------- */

static void test_trim_frees_now(void)
{
	static struct counted c = COUNTED("trim", 8);
	static struct counted d = COUNTED("trim-other", 8);
	struct item *it[5], *other;
	int i;

	for (i = 0; i < 5; i++)
		it[i] = item_new(&c.ops);
	other = item_new(&d.ops);
	for (i = 0; i < 5; i++)
		objlife_put(&it[i]->ref);
	objlife_put(&other->ref);
	g_assert_cmpuint(frees_of(&c), ==, 0);

	/* One type: its blocks only. */
	g_assert_cmpuint(objlife_cache_trim(&c.ops), ==, 5);
	g_assert_cmpuint(frees_of(&c), ==, 5);
	g_assert_cmpuint(frees_of(&d), ==, 0);
	g_assert_cmpuint(objlife_cache_trim(&c.ops), ==, 0);

	/* NULL: every type. */
	g_assert_cmpuint(objlife_cache_trim(NULL), ==, 1);
	g_assert_cmpuint(frees_of(&d), ==, 1);
	assert_all_given_back(&c);
	assert_all_given_back(&d);

	/* Caching goes on after a trim. */
	it[0] = item_new(&c.ops);
	objlife_put(&it[0]->ref);
	g_assert_cmpuint(frees_of(&c), ==, 5);
	g_assert_cmpuint(objlife_cache_trim(&c.ops), ==, 1);
}

/* A trim of one type leaves the other types' caches alone, on this
 * thread and on others. Types share the trim's buckets (64 of them), so
 * one of these may lose its block early; most keep it. */
static void test_trim_of_one_type_keeps_the_others(void)
{
	static const struct objlife_ops trimmed = { .name = "trimmed", .cache = 2 };
	static const struct objlife_ops kept[7] = {
		{ .name = "kept", .cache = 2 }, { .name = "kept", .cache = 2 },
		{ .name = "kept", .cache = 2 }, { .name = "kept", .cache = 2 },
		{ .name = "kept", .cache = 2 }, { .name = "kept", .cache = 2 },
		{ .name = "kept", .cache = 2 },
	};
	struct item *was[7], *it;
	int i, reused = 0;

	for (i = 0; i < 7; i++) {
		was[i] = item_new(&kept[i]);
		objlife_put(&was[i]->ref);
	}
	objlife_put(&item_new(&trimmed)->ref);
	g_assert_cmpuint(objlife_cache_trim(&trimmed), ==, 1);
	for (i = 0; i < 7; i++) {
		it = item_new(&kept[i]);
		reused += it == was[i];
		objlife_put(&it->ref);
	}
	g_assert_cmpint(reused, >=, 5);
	g_assert_cmpuint(objlife_cache_trim(NULL), ==, 7);
}

struct worker {
	struct counted *c;
	unsigned n;
	pthread_barrier_t *cached, *trimmed;
};

/* Fills its cache, waits for a trim elsewhere, then uses the type once. */
static void *cache_then_touch(void *p)
{
	struct worker *w = p;
	struct item **it = calloc(w->n, sizeof(*it));
	unsigned i;

	g_assert_nonnull(it);
	for (i = 0; i < w->n; i++)
		it[i] = item_new(&w->c->ops);
	for (i = 0; i < w->n; i++)
		objlife_put(&it[i]->ref);
	free(it);
	pthread_barrier_wait(w->cached);
	pthread_barrier_wait(w->trimmed);
	/* The next allocation frees what the thread had cached. */
	objlife_put(&item_new(&w->c->ops)->ref);
	pthread_barrier_wait(w->cached);
	pthread_barrier_wait(w->trimmed);
	return NULL;
}

static void test_trim_reaches_other_threads_at_their_next_use(void)
{
	static struct counted c = COUNTED("trim-threads", 16);
	pthread_barrier_t cached, trimmed;
	struct worker w = { &c, 6, &cached, &trimmed };
	pthread_t t;

	pthread_barrier_init(&cached, NULL, 2);
	pthread_barrier_init(&trimmed, NULL, 2);
	pthread_create(&t, NULL, cache_then_touch, &w);
	pthread_barrier_wait(&cached);
	g_assert_cmpuint(frees_of(&c), ==, 0);
	/* Nothing of the type is cached here: nothing freed now. */
	g_assert_cmpuint(objlife_cache_trim(&c.ops), ==, 0);
	g_assert_cmpuint(frees_of(&c), ==, 0);
	pthread_barrier_wait(&trimmed);
	pthread_barrier_wait(&cached);
	/* The worker allocated once since: its six blocks went back, and
	 * the one it just put is cached. */
	g_assert_cmpuint(frees_of(&c), ==, 6);
	pthread_barrier_wait(&trimmed);
	pthread_join(t, NULL);
	/* Its exit gave the last one back. */
	assert_all_given_back(&c);
	pthread_barrier_destroy(&cached);
	pthread_barrier_destroy(&trimmed);
}

static void *cache_and_exit(void *p)
{
	struct worker *w = p;
	struct item **it = calloc(w->n, sizeof(*it));
	unsigned i;

	g_assert_nonnull(it);
	for (i = 0; i < w->n; i++)
		it[i] = item_new(&w->c->ops);
	for (i = 0; i < w->n; i++)
		objlife_put(&it[i]->ref);
	free(it);
	g_assert_cmpuint(frees_of(w->c), ==, 0);
	return NULL;
}

static void test_thread_exit_gives_memory_back(void)
{
	static struct counted c = COUNTED("thread-exit", 8);
	struct worker w = { &c, 5, NULL, NULL };
	pthread_t t;

	pthread_create(&t, NULL, cache_and_exit, &w);
	pthread_join(t, NULL);
	g_assert_cmpuint(allocs_of(&c), ==, 5);
	assert_all_given_back(&c);
}

static int fail_if_asked(struct objlife *obj, void *arg)
{
	(void)obj;
	return arg ? -EIO : 0;
}

static void test_failed_init_keeps_no_memory_lost(void)
{
	static struct counted c = COUNTED("init-fails", 4);
	static const char fail[] = "fail";
	struct item *a, *b;

	c.ops.init = fail_if_asked;
	a = objlife_alloc(struct item, ref, &c.ops, NULL);
	g_assert_nonnull(a);
	objlife_put(&a->ref);
	g_assert_cmpuint(allocs_of(&c), ==, 1);

	/* The cached block serves the failing allocation and returns to the
	 * cache: no release, no new memory, nothing lost. */
	errno = 0;
	g_assert_null(objlife_alloc(struct item, ref, &c.ops, (void *)fail));
	g_assert_cmpint(errno, ==, EIO);
	g_assert_cmpuint(objlife_live_count(&c.ops), ==, 0);
	b = objlife_alloc(struct item, ref, &c.ops, NULL);
	g_assert_true(b == a);
	g_assert_cmpuint(allocs_of(&c), ==, 1);
	objlife_put(&b->ref);
	g_assert_cmpuint(objlife_cache_trim(&c.ops), ==, 1);
	assert_all_given_back(&c);
}

static struct counted exit_known = COUNTED("exit-known", 8);
static struct counted exit_new = COUNTED("exit-new", 8);

/* Registered before the type's first use, so it runs after the cache's
 * own exit handler: the exiting thread's cache is given back by then, and
 * it caches nothing more, of a type it had cached or of a new one. */
static void after_the_cache_closed(void)
{
	if (frees_of(&exit_known) != allocs_of(&exit_known)) {
		printf("cached memory not given back at exit\n");
		fflush(stdout);
		_exit(1);
	}
	objlife_put(&item_new(&exit_known.ops)->ref);
	objlife_put(&item_new(&exit_new.ops)->ref);
	if (frees_of(&exit_known) != allocs_of(&exit_known) ||
	    frees_of(&exit_new) != allocs_of(&exit_new)) {
		printf("memory cached after the exit\n");
		fflush(stdout);
		_exit(2);
	}
	printf("all given back at exit\n");
	fflush(stdout);
}

static void test_exit_gives_memory_back_and_stops_caching(void)
{
	if (g_test_subprocess()) {
		struct item *it[3];
		int i;

		atexit(after_the_cache_closed);
		for (i = 0; i < 3; i++)
			it[i] = item_new(&exit_known.ops);
		for (i = 0; i < 3; i++)
			objlife_put(&it[i]->ref);
		g_assert_cmpuint(frees_of(&exit_known), ==, 0);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stdout("*all given back at exit*");
	g_test_trap_assert_stderr("");
}

/* ---- diagnostics see objects, never cached memory ------------------- */

static void test_may_leak_object_freed_after_all_is_cached(void)
{
	static const struct objlife_ops ops = { .name = "may-leak-cached", .cache = 2 };
	struct item *forever = item_new(&ops), *again;

	objlife_may_leak(&forever->ref);
	g_assert_cmpuint(objlife_live_count(&ops), ==, 0);
	/* Uncounted since may_leak: its last put neither counts it down
	 * again nor loses the memory. */
	objlife_put(&forever->ref);
	g_assert_cmpuint(objlife_live_count(&ops), ==, 0);
	again = item_new(&ops);
	g_assert_true(again == forever);
	g_assert_cmpuint(objlife_live_count(&ops), ==, 1);
	objlife_put(&again->ref);
	g_assert_cmpuint(objlife_live_count(&ops), ==, 0);
	g_assert_cmpuint(objlife_cache_trim(&ops), ==, 1);
}

static void test_live_counts_leave_cached_blocks_out(void)
{
	static const struct objlife_ops ops = { .name = "counted-live", .cache = 8 };
	size_t all = objlife_live_count(NULL);
	struct item *it[4];
	int i;

	for (i = 0; i < 4; i++)
		it[i] = item_new(&ops);
	g_assert_cmpuint(objlife_live_count(&ops), ==, 4);
	for (i = 0; i < 3; i++)
		objlife_put(&it[i]->ref);
	/* Three blocks cached, one object alive. */
	g_assert_cmpuint(objlife_live_count(&ops), ==, 1);
	g_assert_cmpuint(objlife_live_count(NULL), ==, all + 1);
	g_assert_cmpuint(objlife_leak_check(NULL), ==, all + 1);
	objlife_put(&it[3]->ref);
	g_assert_cmpuint(objlife_live_count(&ops), ==, 0);
	/* Reused blocks count again as objects, and only while alive. */
	it[0] = item_new(&ops);
	g_assert_cmpuint(objlife_live_count(&ops), ==, 1);
	objlife_put(&it[0]->ref);
	g_assert_cmpuint(objlife_live_count(&ops), ==, 0);
	g_assert_cmpuint(objlife_cache_trim(&ops), ==, 4);
	g_assert_cmpuint(objlife_live_count(NULL), ==, all);
}

static void test_poison_turns_caching_off(void)
{
	if (g_test_subprocess()) {
		static struct counted c = COUNTED("poisoned", 8);
		struct item *it, *prev = NULL;
		int i;

		for (i = 0; i < 4; i++) {
			it = item_new(&c.ops);
			/* The freed one waits in the quarantine, never here. */
			g_assert_true(it != prev);
			prev = it;
			objlife_put(&it->ref);
		}
		g_assert_cmpuint(allocs_of(&c), ==, 4);
		/* Quarantined, not cached: nothing to trim, and the memory is
		 * still poison's (ops->free runs at eviction). */
		g_assert_cmpuint(objlife_cache_trim(NULL), ==, 0);
		g_assert_cmpuint(frees_of(&c), ==, 0);
		/* A late put is still caught. */
		tu_events_start();
		objlife_put(&prev->ref);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_BAD_OBJECT);
		return;
	}
	tu_trap_with_debug("poison");
}

/* How many objects of type @name a leak listing lists: the sum of its
 * groups' "N x name" (one group per allocation site). */
static size_t leaks_listed(const char *text, const char *name)
{
	const char *p = text;
	size_t n = 0;

	while ((p = strstr(p, "objlife: LEAK: ")) != NULL) {
		char *end;
		unsigned long k = strtoul(p + strlen("objlife: LEAK: "), &end, 10);

		if (tu_has_prefix(end, " x ") && tu_has_prefix(end + 3, name) &&
		    end[3 + strlen(name)] == ' ')
			n += k;
		p = end;
	}
	return n;
}

static void test_leak_reports_leave_cached_blocks_out(void)
{
	if (g_test_subprocess()) {
		static const struct objlife_ops ops = { .name = "cached-leak", .cache = 8 };
		struct item *it[3], *reused;
		size_t live;
		char *text;
		int i;

		for (i = 0; i < 3; i++)
			it[i] = item_new(&ops);
		objlife_put(&it[0]->ref);
		objlife_put(&it[1]->ref);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 1);
		g_assert_nonnull(strstr(text, "objlife: LEAK: 1 x cached-leak (count 1) allocated at:"));
		g_assert_cmpuint(leaks_listed(text, "cached-leak"), ==, 1);
		free(text);

		/* Reused memory is a new object: registered again, and
		 * forgotten again at its last put. */
		reused = item_new(&ops);
		g_assert_true(reused == it[1]);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 2);
		g_assert_cmpuint(leaks_listed(text, "cached-leak"), ==, 2);
		free(text);
		objlife_put(&reused->ref);
		objlife_put(&it[2]->ref);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 0);
		g_assert_cmpstr(text, ==, "");
		free(text);
		return;   /* three blocks cached: no LEAK at exit */
	}
	tu_trap_with_debug("leaks");
}

/* ---- many threads ---------------------------------------------------- */

#define THREADS 8
#define ROUNDS 2000
#define EXCHANGE 16

struct churn {
	struct counted *c;
	struct item **exchange;        /* EXCHANGE slots, atomic */
	pthread_barrier_t *start;
	unsigned seed;
};

/* Allocates a few, puts some at once, and swaps others through a shared
 * table, so that objects are freed by other threads than their own. */
static void *churn(void *p)
{
	struct churn *ch = p;
	unsigned seed = ch->seed;
	int r;

	pthread_barrier_wait(ch->start);
	for (r = 0; r < ROUNDS; r++) {
		struct item *it[4];
		unsigned n = 1 + (seed = seed * 1103515245u + 12345u) % 4, i;

		for (i = 0; i < n; i++) {
			it[i] = item_new(&ch->c->ops);
			g_assert_true(all_zero(it[i]->payload, sizeof(it[i]->payload)));
			memset(it[i]->payload, (int)i + 1, sizeof(it[i]->payload));
		}
		for (i = 0; i < n; i++) {
			if ((seed >> (8 + i)) & 1) {
				unsigned slot = (seed >> 16) % EXCHANGE;
				struct item *old = __atomic_exchange_n(&ch->exchange[slot], it[i],
								       __ATOMIC_ACQ_REL);

				if (old)
					objlife_put(&old->ref);
			} else {
				objlife_put(&it[i]->ref);
			}
		}
		if (r % 500 == 0)
			objlife_cache_trim(r % 1000 ? &ch->c->ops : NULL);
	}
	return NULL;
}

static void test_many_threads_give_everything_back(void)
{
	static struct counted c = COUNTED("many-threads", 16);
	static struct item *exchange[EXCHANGE];
	struct churn ch[THREADS];
	pthread_barrier_t start;
	pthread_t t[THREADS];
	int i;

	pthread_barrier_init(&start, NULL, THREADS);
	for (i = 0; i < THREADS; i++) {
		ch[i] = (struct churn){ &c, exchange, &start, 7u * (unsigned)i + 1u };
		pthread_create(&t[i], NULL, churn, &ch[i]);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < EXCHANGE; i++)
		if (exchange[i])
			objlife_put(&exchange[i]->ref);
	g_assert_cmpuint(objlife_live_count(&c.ops), ==, 0);
	/* The threads' exits gave their caches back; this thread never
	 * allocated the type, so it cached nothing of it. */
	g_assert_cmpuint(objlife_cache_trim(&c.ops), ==, 0);
	assert_all_given_back(&c);
	g_assert_cmpuint(allocs_of(&c), >, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cache/reuse-gives-the-same-memory-zeroed",
			test_reuse_gives_the_same_memory_zeroed);
	g_test_add_func("/cache/reuse-zeroes-every-size", test_reuse_zeroes_every_size);
	g_test_add_func("/cache/init-and-release-run-on-reused-memory",
			test_init_and_release_run_on_reused_memory);
	g_test_add_func("/cache/type-without-cache-frees-at-once", test_type_without_cache_frees_at_once);
	g_test_add_func("/cache/cap-is-respected", test_cap_is_respected);
	g_test_add_func("/cache/other-sizes-are-not-mixed", test_other_sizes_are_not_mixed);
	g_test_add_func("/cache/huge-objects-are-never-cached", test_huge_objects_are_never_cached);
	g_test_add_func("/cache/alignment-is-honoured", test_alignment_is_honoured);
	g_test_add_func("/cache/trim-frees-now", test_trim_frees_now);
	g_test_add_func("/cache/trim-of-one-type-keeps-the-others", test_trim_of_one_type_keeps_the_others);
	g_test_add_func("/cache/trim-reaches-other-threads-at-their-next-use",
			test_trim_reaches_other_threads_at_their_next_use);
	g_test_add_func("/cache/thread-exit-gives-memory-back", test_thread_exit_gives_memory_back);
	g_test_add_func("/cache/failed-init-keeps-no-memory-lost", test_failed_init_keeps_no_memory_lost);
	g_test_add_func("/cache/exit-gives-memory-back-and-stops-caching",
			test_exit_gives_memory_back_and_stops_caching);
	g_test_add_func("/cache/may-leak-object-freed-after-all-is-cached",
			test_may_leak_object_freed_after_all_is_cached);
	g_test_add_func("/cache/live-counts-leave-cached-blocks-out",
			test_live_counts_leave_cached_blocks_out);
	g_test_add_func("/cache/poison-turns-caching-off", test_poison_turns_caching_off);
	g_test_add_func("/cache/leak-reports-leave-cached-blocks-out",
			test_leak_reports_leave_cached_blocks_out);
	g_test_add_func("/cache/many-threads-give-everything-back",
			test_many_threads_give_everything_back);
	return g_test_run();
}
