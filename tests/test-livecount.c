/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Always-on live counts per type: right for every ops (a name is enough),
 * across threads (allocated on one, freed on another), after threads exit,
 * and for more types than a thread's table holds. A thread that uses many
 * types pays per allocation what a thread that uses one does, and types
 * that come and go cost no memory once they are gone.
 *
 * This program compiles the library's sources in, to hold the library's
 * lock from a test (through the internal allocation hook, which runs with
 * it held) and show who waits for it.
 */
#include "objlife-private.h"
#include "thread.h"
#include "testutil.h"

#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/* The sanitizers' allocator replaces malloc's, and answers this instead
 * of mallinfo2() (declared here: GCC installs no header for it). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

static const struct objlife_ops type_a = { .name = "a" };
static const struct objlife_ops type_b = { .name = "b" };

static struct objlife *alloc_of(const struct objlife_ops *ops)
{
	struct objlife *obj = objlife_alloc_size(ops, sizeof(struct objlife) + 8, 8, NULL);

	g_assert_nonnull(obj);
	return obj;
}

static void test_counts_per_type(void)
{
	struct objlife *a[3], *b;
	size_t all = objlife_live_count(NULL);
	int i;

	for (i = 0; i < 3; i++)
		a[i] = alloc_of(&type_a);
	b = alloc_of(&type_b);
	g_assert_cmpuint(objlife_live_count(&type_a), ==, 3);
	g_assert_cmpuint(objlife_live_count(&type_b), ==, 1);
	g_assert_cmpuint(objlife_live_count(NULL), ==, all + 4);
	/* A get does not make another object. */
	objlife_get(b);
	g_assert_cmpuint(objlife_live_count(&type_b), ==, 1);
	objlife_put(b);
	objlife_put(b);
	for (i = 0; i < 3; i++)
		objlife_put(a[i]);
	g_assert_cmpuint(objlife_live_count(&type_a), ==, 0);
	g_assert_cmpuint(objlife_live_count(&type_b), ==, 0);
	g_assert_cmpuint(objlife_live_count(NULL), ==, all);
}

static void test_unknown_type_counts_zero(void)
{
	static const struct objlife_ops never_used = { .name = "never" };

	g_assert_cmpuint(objlife_live_count(&never_used), ==, 0);
}

#define BATCH 1000

struct batch {
	struct objlife *obj[BATCH];
};

static void *alloc_batch(void *p)
{
	struct batch *b = p;
	int i;

	for (i = 0; i < BATCH; i++)
		b->obj[i] = alloc_of(&type_a);
	return NULL;
}

static void *free_batch(void *p)
{
	struct batch *b = p;
	int i;

	for (i = 0; i < BATCH; i++)
		objlife_put(b->obj[i]);
	return NULL;
}

/* Allocated in threads that exit before anything is freed, freed in
 * another thread that exits too: the exited threads' counters are kept. */
static void test_counts_survive_thread_exit(void)
{
	static struct batch batches[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, alloc_batch, &batches[i]);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	g_assert_cmpuint(objlife_live_count(&type_a), ==, 4 * BATCH);

	/* Half freed by one thread, half by this one. */
	pthread_create(&t[0], NULL, free_batch, &batches[0]);
	pthread_create(&t[1], NULL, free_batch, &batches[1]);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	g_assert_cmpuint(objlife_live_count(&type_a), ==, 2 * BATCH);
	free_batch(&batches[2]);
	free_batch(&batches[3]);
	g_assert_cmpuint(objlife_live_count(&type_a), ==, 0);
}

/* Readers sum while writers work: the count never goes out of range. */
struct churn {
	pthread_barrier_t *start;
	volatile int *stop;
};

static void *churn(void *p)
{
	struct churn *c = p;
	int n = 0;

	pthread_barrier_wait(c->start);
	while (!__atomic_load_n(c->stop, __ATOMIC_RELAXED) || n < 1000) {
		struct objlife *obj = alloc_of(&type_b);

		objlife_put(obj);
		n++;
	}
	return NULL;
}

static void test_reads_while_threads_churn(void)
{
	pthread_barrier_t start;
	volatile int stop = 0;
	struct churn c = { &start, &stop };
	pthread_t t[3];
	int i;

	pthread_barrier_init(&start, NULL, 4);
	for (i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, churn, &c);
	pthread_barrier_wait(&start);
	for (i = 0; i < 2000; i++) {
		size_t n = objlife_live_count(&type_b);

		/* At most one object per churning thread is alive at a time. */
		g_assert_cmpuint(n, <=, 3);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	g_assert_cmpuint(objlife_live_count(&type_b), ==, 0);
}

/* More types than one thread's table has slots: the rest still count. */
static void test_many_types(void)
{
	enum { N = 200 };
	static struct objlife_ops ops[N];
	static char names[N][16];
	struct objlife *obj[N];
	size_t all = objlife_live_count(NULL);
	int i;

	for (i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "many-%d", i);
		ops[i].name = names[i];
		obj[i] = alloc_of(&ops[i]);
		obj[i] = objlife_get(obj[i]);
	}
	for (i = 0; i < N; i++)
		g_assert_cmpuint(objlife_live_count(&ops[i]), ==, 1);
	g_assert_cmpuint(objlife_live_count(NULL), ==, all + N);
	for (i = 0; i < N; i++) {
		objlife_put(obj[i]);
		objlife_put(obj[i]);
		g_assert_cmpuint(objlife_live_count(&ops[i]), ==, 0);
	}
	g_assert_cmpuint(objlife_live_count(NULL), ==, all);
}

static void *many_types_in_thread(void *p)
{
	(void)p;
	test_many_types();
	return NULL;
}

static void test_many_types_in_a_thread(void)
{
	pthread_t t;

	pthread_create(&t, NULL, many_types_in_thread, NULL);
	pthread_join(t, NULL);
	g_assert_cmpuint(objlife_live_count(NULL), ==, 0);
}

/* ---- an object made on one thread and freed on another ---------------- */

#define RING 4

struct handoff {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct objlife *ring[RING];
	unsigned head, tail;        /* made ring[tail % RING], freed ring[head % RING] */
	unsigned total;
};

static void *produce(void *p)
{
	struct handoff *h = p;
	unsigned i;

	for (i = 0; i < h->total; i++) {
		struct objlife *obj = alloc_of(&type_a);

		pthread_mutex_lock(&h->lock);
		while (h->tail - h->head == RING)
			pthread_cond_wait(&h->cond, &h->lock);
		h->ring[h->tail++ % RING] = obj;
		pthread_cond_broadcast(&h->cond);
		pthread_mutex_unlock(&h->lock);
	}
	return NULL;
}

static void *consume(void *p)
{
	struct handoff *h = p;
	unsigned i;

	for (i = 0; i < h->total; i++) {
		struct objlife *obj;

		pthread_mutex_lock(&h->lock);
		while (h->tail == h->head)
			pthread_cond_wait(&h->cond, &h->lock);
		obj = h->ring[h->head++ % RING];
		pthread_cond_broadcast(&h->cond);
		pthread_mutex_unlock(&h->lock);
		objlife_put(obj);
	}
	return NULL;
}

/* One thread makes every object, another frees it, a third counts: the
 * counts never go below zero (nearly SIZE_MAX, unsigned) nor above what
 * can be alive at once: the ring, one being made, one being freed. */
static void test_count_bounded_across_threads(void)
{
	struct handoff h = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { NULL }, 0, 0, 200000 };
	size_t all = objlife_live_count(NULL), max = 0, max_all = 0;
	pthread_t producer, consumer;
	unsigned reads = 0;

	g_assert_cmpuint(objlife_live_count(&type_a), ==, 0);
	pthread_create(&producer, NULL, produce, &h);
	pthread_create(&consumer, NULL, consume, &h);
	for (;;) {
		size_t n = objlife_live_count(&type_a), n_all = objlife_live_count(NULL);
		bool done;

		max = n > max ? n : max;
		max_all = n_all > max_all ? n_all : max_all;
		reads++;
		pthread_mutex_lock(&h.lock);
		done = h.head == h.total;
		pthread_mutex_unlock(&h.lock);
		if (done)
			break;
	}
	pthread_join(producer, NULL);
	pthread_join(consumer, NULL);
	g_test_message("%u reads, at most %zu live", reads, max);
	g_assert_cmpuint(max, <=, RING + 2);
	g_assert_cmpuint(max_all, <=, all + RING + 2);
	g_assert_cmpuint(objlife_live_count(&type_a), ==, 0);
	g_assert_cmpuint(objlife_live_count(NULL), ==, all);
}

/* ---- many types on one thread --------------------------------------- */

/* Types made at run time, as a binding makes them: ops and names on the
 * heap, one object of each made and put, then the ops freed. All of them
 * are alive together, so that each has an address of its own. */
static void use_runtime_types(unsigned n)
{
	struct runtime_type {
		struct objlife_ops ops;
		char name[24];
	} *types = calloc(n, sizeof(*types));
	unsigned i;

	g_assert_nonnull(types);
	for (i = 0; i < n; i++) {
		snprintf(types[i].name, sizeof(types[i].name), "runtime-%u", i);
		types[i].ops.name = types[i].name;
		objlife_put(alloc_of(&types[i].ops));
	}
	free(types);
}

static unsigned counted_allocs, counted_frees;

static void *counted_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops;
	counted_allocs++;
	return tu_zalloc(size, align);
}

static void counted_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	(void)size;
	counted_frees++;
	free(mem);
}

static const struct objlife_ops cached_type = {
	.name = "cached", .cache = 8, .alloc = counted_alloc, .free = counted_free,
};

static void *cache_after_types(void *p)
{
	unsigned i;

	use_runtime_types(GPOINTER_TO_UINT(p));
	counted_allocs = counted_frees = 0;
	for (i = 0; i < 100; i++)
		objlife_put(alloc_of(&cached_type));
	/* One block, made once, reused 99 times, kept by the cache. */
	g_assert_cmpuint(counted_allocs, ==, 1);
	g_assert_cmpuint(counted_frees, ==, 0);
	g_assert_cmpuint(objlife_cache_trim(&cached_type), ==, 1);
	g_assert_cmpuint(counted_frees, ==, 1);
	return NULL;
}

/* ops->cache serves a thread however many types it used before. */
static void test_cache_after_many_types(void)
{
	static const unsigned before[] = { 0, 64, 1000 };
	unsigned i;

	for (i = 0; i < G_N_ELEMENTS(before); i++) {
		pthread_t t;

		pthread_create(&t, NULL, cache_after_types, GUINT_TO_POINTER(before[i]));
		pthread_join(t, NULL);
	}
	g_assert_cmpuint(objlife_live_count(&cached_type), ==, 0);
}

/* The library's lock held by another thread, through the allocation hook,
 * which runs under it when a thread makes the record of a type new to it. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool armed, inside, release;
} blocker = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, false };

static bool block_in_hook(enum ol_mem_use use, size_t size)
{
	(void)size;
	if (use != OL_MEM_LIVECOUNT)
		return false;
	pthread_mutex_lock(&blocker.lock);
	if (blocker.armed) {
		blocker.armed = false;
		blocker.inside = true;
		pthread_cond_broadcast(&blocker.cond);
		while (!blocker.release)
			pthread_cond_wait(&blocker.cond, &blocker.lock);
	}
	pthread_mutex_unlock(&blocker.lock);
	return false;
}

static void *first_use_of_a_type(void *p)
{
	static const struct objlife_ops fresh = { .name = "fresh" };

	(void)p;
	objlife_put(alloc_of(&fresh));
	return NULL;
}

#define KNOWN_TYPES 200

struct known {
	struct objlife_ops ops[KNOWN_TYPES];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool used, go, done;
};

static void *alloc_known_types(void *p)
{
	struct known *k = p;
	unsigned i, round;

	for (i = 0; i < KNOWN_TYPES; i++)
		objlife_put(alloc_of(&k->ops[i]));
	pthread_mutex_lock(&k->lock);
	k->used = true;
	pthread_cond_broadcast(&k->cond);
	while (!k->go)
		pthread_cond_wait(&k->cond, &k->lock);
	pthread_mutex_unlock(&k->lock);
	for (round = 0; round < 10; round++)
		for (i = 0; i < KNOWN_TYPES; i++)
			objlife_put(alloc_of(&k->ops[i]));
	pthread_mutex_lock(&k->lock);
	k->done = true;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

/* A thread allocates and frees the 200 types it already used while
 * another thread holds the library's lock: none of it waits. */
static void test_known_types_never_wait_for_the_lock(void)
{
	static struct known k = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	pthread_t worker, holder;
	struct timespec deadline;
	bool done;
	int i;

	for (i = 0; i < KNOWN_TYPES; i++)
		k.ops[i].name = "known";
	pthread_create(&worker, NULL, alloc_known_types, &k);
	pthread_mutex_lock(&k.lock);
	while (!k.used)
		pthread_cond_wait(&k.cond, &k.lock);
	pthread_mutex_unlock(&k.lock);

	ol_mem_fail_hook = block_in_hook;
	blocker.armed = true;
	pthread_create(&holder, NULL, first_use_of_a_type, NULL);
	pthread_mutex_lock(&blocker.lock);
	while (!blocker.inside)
		pthread_cond_wait(&blocker.cond, &blocker.lock);
	pthread_mutex_unlock(&blocker.lock);

	/* The lock is held now, until blocker.release. */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	pthread_mutex_lock(&k.lock);
	k.go = true;
	pthread_cond_broadcast(&k.cond);
	while (!k.done && pthread_cond_timedwait(&k.cond, &k.lock, &deadline) == 0)
		;
	done = k.done;
	pthread_mutex_unlock(&k.lock);

	pthread_mutex_lock(&blocker.lock);
	blocker.release = true;
	pthread_cond_broadcast(&blocker.cond);
	pthread_mutex_unlock(&blocker.lock);
	pthread_join(holder, NULL);
	pthread_join(worker, NULL);
	ol_mem_fail_hook = NULL;
	g_assert_true(done);
	for (i = 0; i < KNOWN_TYPES; i++)
		g_assert_cmpuint(objlife_live_count(&k.ops[i]), ==, 0);
}

/* Bytes the process has allocated and not freed. */
static size_t heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

struct come_and_go {
	size_t records;      /* the thread's records at the end */
	long long growth;    /* heap growth over the second batch of types */
};

static void *types_come_and_go(void *p)
{
	struct come_and_go *r = p;
	size_t before;

	/* Past the first sweeps: the records are as many as they get. */
	use_runtime_types(4 * OL_THREAD_SWEEP_MIN);
	before = heap_in_use();
	use_runtime_types(20000);
	r->growth = (long long)heap_in_use() - (long long)before;
	r->records = ol_thread_self->map.n;
	return NULL;
}

/* 20,000 types made and gone on a thread that lives on: the library keeps
 * a bounded number of records (those of the types used lately), not one per
 * type that ever was. */
static void test_gone_types_cost_no_memory(void)
{
	struct come_and_go r = { 0, 0 };
	pthread_t t;

	pthread_create(&t, NULL, types_come_and_go, &r);
	pthread_join(t, NULL);
	g_test_message("%zu records at the end; heap grew by %lld bytes over 20,000 types",
		       r.records, r.growth);
	g_assert_cmpuint(r.records, <=, 2 * OL_THREAD_SWEEP_MIN);
	/* Records come and go between sweeps: at most the records of one
	 * sweep's worth of types, far below 20,000 types' worth. */
	g_assert_cmpint(r.growth, <, (long long)(2 * OL_THREAD_SWEEP_MIN * sizeof(struct ol_thread_rec) * 2));
}

/* ---- listings --------------------------------------------------------- */

static ssize_t write_and_allocate(void *cookie, const char *buf, size_t len)
{
	static const struct objlife_ops new_to_thread = { .name = "made-while-writing" };
	GString *text = cookie;

	/* A stream that makes objects, of a type new to the thread, and asks
	 * for counts: what a logging library may do inside a write. */
	objlife_put(alloc_of(&new_to_thread));
	(void)objlife_live_count(NULL);
	g_string_append_len(text, buf, (gssize)len);
	return (ssize_t)len;
}

/* The listing is written with no lock of the library held. */
static void test_leak_check_writes_with_no_lock_held(void)
{
	if (g_test_subprocess()) {
		static const cookie_io_functions_t io = { .write = write_and_allocate };
		struct objlife *a = alloc_of(&type_a);
		GString *text = g_string_new(NULL);
		FILE *out = fopencookie(text, "w", io);

		g_assert_nonnull(out);
		setvbuf(out, NULL, _IONBF, 0);   /* every fprintf writes */
		g_assert_cmpuint(objlife_leak_check(out), ==, 1);
		fclose(out);
		tu_assert_has(text->str, "objlife: LEAK: 1 x a ");
		g_string_free(text, TRUE);
		objlife_put(a);
		return;
	}
	/* A deadlock fails the case instead of hanging the run. */
	g_test_trap_subprocess(NULL, 10 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
}

static void test_leak_check_lists_types(void)
{
	struct objlife *a = alloc_of(&type_a), *b1 = alloc_of(&type_b), *b2 = alloc_of(&type_b);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	g_assert_cmpuint(objlife_leak_check(NULL), ==, 3);
	g_assert_cmpuint(objlife_leak_check(out), ==, 3);
	fclose(out);
	g_assert_nonnull(strstr(text, "objlife: LEAK: 1 x a "));
	g_assert_nonnull(strstr(text, "objlife: LEAK: 2 x b "));
	free(text);
	objlife_put(a);
	objlife_put(b1);
	objlife_put(b2);
	g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/livecount/per-type", test_counts_per_type);
	g_test_add_func("/livecount/unknown-type-is-zero", test_unknown_type_counts_zero);
	g_test_add_func("/livecount/survives-thread-exit", test_counts_survive_thread_exit);
	g_test_add_func("/livecount/reads-while-threads-churn", test_reads_while_threads_churn);
	g_test_add_func("/livecount/many-types", test_many_types);
	g_test_add_func("/livecount/many-types-in-a-thread", test_many_types_in_a_thread);
	g_test_add_func("/livecount/count-bounded-across-threads", test_count_bounded_across_threads);
	g_test_add_func("/livecount/cache-after-many-types", test_cache_after_many_types);
	g_test_add_func("/livecount/known-types-never-wait-for-the-lock",
			test_known_types_never_wait_for_the_lock);
	g_test_add_func("/livecount/gone-types-cost-no-memory", test_gone_types_cost_no_memory);
	g_test_add_func("/livecount/leak-check-lists-types", test_leak_check_lists_types);
	g_test_add_func("/livecount/leak-check-writes-with-no-lock-held",
			test_leak_check_writes_with_no_lock_held);
	return g_test_run();
}
