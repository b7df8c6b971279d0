/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Always-on live counts per type: right for every ops (a name is enough),
 * across threads (allocated on one, freed on another), after threads exit,
 * and for more types than a thread's table holds.
 */
#include "testutil.h"

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
	g_test_add_func("/livecount/leak-check-lists-types", test_leak_check_lists_types);
	return g_test_run();
}
