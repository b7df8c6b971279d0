/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Release exactly once across threads, with every thread's writes visible
 * to release (DESIGN.md rule 2), and the two lookup patterns of rules 3
 * and 4 under concurrency. Threads are synchronised with pthreads only.
 */
#include "testutil.h"

#include <sched.h>

/* At least 8 threads and a million operations in every case. */
#define N_THREADS 8
#define N_PAIRS 125000

struct shared {
	struct objlife ref;
	unsigned long writes[N_THREADS];  /* each thread writes its own slot */
};

/* Results go to globals: the object is freed right after release. */
static unsigned long last_seen_total;
static int total_releases;

static void shared_release(struct objlife *obj)
{
	struct shared *s = (struct shared *)obj;
	int i;

	for (i = 0; i < N_THREADS; i++)
		last_seen_total += s->writes[i];
	__atomic_add_fetch(&total_releases, 1, __ATOMIC_RELAXED);
}

static const struct objlife_ops shared_ops = {
	.name = "shared",
	.release = shared_release,
};

struct worker {
	pthread_t thread;
	pthread_barrier_t *start;
	struct shared *obj;
	int index;
};

static void *getput_worker(void *p)
{
	struct worker *w = p;
	int i;

	pthread_barrier_wait(w->start);
	for (i = 0; i < N_PAIRS; i++) {
		objlife_get(&w->obj->ref);
		w->obj->writes[w->index]++;  /* plain write, published by the put */
		objlife_put(&w->obj->ref);
		if (i % 1024 == 0)
			sched_yield();   /* interleave with the others, not run alone */
	}
	/* Each worker owns one reference; the last one out releases. */
	objlife_put(&w->obj->ref);
	return NULL;
}

static void test_release_once_across_threads(void)
{
	pthread_barrier_t start;
	struct worker w[N_THREADS];
	struct shared *obj;
	int i, round;

	tu_events_start();
	for (round = 0; round < 2; round++) {
		total_releases = 0;
		last_seen_total = 0;
		obj = objlife_alloc(struct shared, ref, &shared_ops, NULL);
		g_assert_nonnull(obj);
		pthread_barrier_init(&start, NULL, N_THREADS);
		for (i = 1; i < N_THREADS; i++)
			objlife_get(&obj->ref);   /* one reference per worker */
		for (i = 0; i < N_THREADS; i++) {
			w[i] = (struct worker){ .start = &start, .obj = obj, .index = i };
			g_assert_cmpint(pthread_create(&w[i].thread, NULL, getput_worker, &w[i]), ==, 0);
		}
		for (i = 0; i < N_THREADS; i++)
			pthread_join(w[i].thread, NULL);
		pthread_barrier_destroy(&start);
		g_assert_cmpint(total_releases, ==, 1);
		/* Every write of every thread was visible inside release. */
		g_assert_cmpuint(last_seen_total, ==, (unsigned long)N_THREADS * N_PAIRS);
	}
	g_assert_cmpuint(objlife_live_count(&shared_ops), ==, 0);
	g_assert_cmpuint(tu_events_count(), ==, 0);
}

/* ---- lookup table: get_unless_zero, release unlinks under the lock ---- */

#define TABLE_SIZE 8
/* Per lookup thread, 7 of them: each lookup is a get and a put, so the
 * lookups alone make over a million reference operations. */
#define LOOKUPS 75000

struct entry {
	struct objlife ref;
	int key;
	int releases, frees;       /* under table.lock, and under dead.lock */
	struct entry *next_dead;
};

/* released_twice: entries whose release ran again. A lookup that takes a
 * reference on a dying entry (whose count reached 0) revives it, and its
 * put releases it a second time: every such lookup is counted here. */
static struct {
	pthread_mutex_t lock;
	struct entry *slot[TABLE_SIZE];
	int created, released, released_by_lookup, lookups_ok, lookups_done, released_twice;
} table = { PTHREAD_MUTEX_INITIALIZER, { 0 }, 0, 0, 0, 0, 0, 0 };

/* Freed entries wait here until the run is over, so that a library that
 * hands out dying entries fails the counters above instead of crashing
 * on a use after free. */
static struct {
	pthread_mutex_t lock;
	struct entry *list;
	int freed_twice;
} dead = { PTHREAD_MUTEX_INITIALIZER, NULL, 0 };

static void *entry_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops;
	return tu_zalloc(size, align);
}

static void entry_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	struct entry *e = mem;

	(void)ops; (void)size;
	pthread_mutex_lock(&dead.lock);
	if (e->frees++ == 0) {
		e->next_dead = dead.list;
		dead.list = e;
	} else {
		dead.freed_twice++;
	}
	pthread_mutex_unlock(&dead.lock);
}

/* Gives the memory back; returns how many entries were freed. */
static int bury_dead(void)
{
	int n = 0;

	while (dead.list) {
		struct entry *e = dead.list;

		dead.list = e->next_dead;
		free(e);
		n++;
	}
	return n;
}

static __thread bool in_lookup_thread;

static void entry_release_unlinks(struct objlife *obj)
{
	struct entry *e = (struct entry *)obj;

	pthread_mutex_lock(&table.lock);
	table.released_twice += e->releases++ != 0;
	if (table.slot[e->key] == e)
		table.slot[e->key] = NULL;
	table.released++;
	table.released_by_lookup += in_lookup_thread;
	pthread_mutex_unlock(&table.lock);
}

static const struct objlife_ops entry_ops = {
	.name = "entry",
	.release = entry_release_unlinks,
	.alloc = entry_alloc, .free = entry_free,
};

static void entry_release_locked(struct objlife *obj)
{
	struct entry *e = (struct entry *)obj;

	/* Runs under table.lock, taken by objlife_put_mutex(). */
	table.released_twice += e->releases++ != 0;
	if (table.slot[e->key] == e)
		table.slot[e->key] = NULL;
	table.released++;
	table.released_by_lookup += in_lookup_thread;
}

static const struct objlife_ops entry_mutex_ops = {
	.name = "entry-put-mutex",
	.release = entry_release_locked,
	.alloc = entry_alloc, .free = entry_free,
};

static bool use_put_mutex;

static struct entry *lookup(int key)
{
	struct entry *e;

	pthread_mutex_lock(&table.lock);
	e = table.slot[key];
	if (e) {
		if (use_put_mutex) {
			/* put_mutex pattern: plain get under the lock. */
			objlife_get(&e->ref);
		} else if (!objlife_get_unless_zero(&e->ref)) {
			e = NULL;      /* dying: its release waits for our lock */
		}
	}
	pthread_mutex_unlock(&table.lock);
	return e;
}

static void drop(struct entry *e)
{
	if (use_put_mutex)
		objlife_put_mutex(&e->ref, &table.lock);
	else
		objlife_put(&e->ref);
}

static struct entry *insert(int key)
{
	struct entry *e = objlife_alloc(struct entry, ref,
					use_put_mutex ? &entry_mutex_ops : &entry_ops, NULL);
	struct entry *old;

	g_assert_nonnull(e);
	e->key = key;
	pthread_mutex_lock(&table.lock);
	old = table.slot[key];
	table.slot[key] = e;            /* the table does not own a reference */
	table.created++;
	pthread_mutex_unlock(&table.lock);
	(void)old;                      /* still referenced by whoever holds it */
	return e;
}

static int churn_done;

/* Looks entries up for as long as the churn thread runs them through the
 * table, and at least LOOKUPS times. */
static void *lookup_worker(void *p)
{
	pthread_barrier_t *start = p;
	unsigned seed = (unsigned)(uintptr_t)&seed;
	int i;

	in_lookup_thread = true;
	pthread_barrier_wait(start);
	for (i = 0; i < LOOKUPS || !__atomic_load_n(&churn_done, __ATOMIC_ACQUIRE); i++) {
		struct entry *e = lookup((int)(rand_r(&seed) % TABLE_SIZE));

		if (e) {
			__atomic_add_fetch(&table.lookups_ok, 1, __ATOMIC_RELAXED);
			drop(e);
		}
	}
	__atomic_add_fetch(&table.lookups_done, i, __ATOMIC_RELAXED);
	return NULL;
}

/* Creates entries and keeps the newest HELD of them alive, dropping the
 * oldest as it goes: lookups find live entries most of the time, and
 * entries die (last put here, or in a lookup thread) while others look
 * them up. */
#define HELD (TABLE_SIZE - 1)

static void *churn_worker(void *p)
{
	pthread_barrier_t *start = p;
	struct entry *held[HELD] = { 0 };
	int i;

	pthread_barrier_wait(start);
	/* On two busy cores this thread may run alone for a while: go on until
	 * the lookups have met live entries too (bounded, so that a lookup
	 * that never succeeds fails the assertion below instead of hanging). */
	for (i = 0; i < LOOKUPS || (__atomic_load_n(&table.lookups_ok, __ATOMIC_RELAXED) < 1000 &&
				    i < 100 * LOOKUPS); i++) {
		if (held[i % HELD])
			drop(held[i % HELD]);
		held[i % HELD] = insert(i % TABLE_SIZE);
	}
	for (i = 0; i < HELD; i++)
		drop(held[i]);
	__atomic_store_n(&churn_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void run_table(bool put_mutex)
{
	pthread_barrier_t start;
	pthread_t threads[N_THREADS];
	int i, buried;

	use_put_mutex = put_mutex;
	churn_done = 0;
	memset(table.slot, 0, sizeof(table.slot));
	table.created = table.released = table.lookups_ok = table.lookups_done = 0;
	table.released_by_lookup = 0;
	table.released_twice = 0;
	dead.freed_twice = 0;
	tu_events_start();
	pthread_barrier_init(&start, NULL, N_THREADS);
	pthread_create(&threads[0], NULL, churn_worker, &start);
	for (i = 1; i < N_THREADS; i++)
		pthread_create(&threads[i], NULL, lookup_worker, &start);
	for (i = 0; i < N_THREADS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&start);

	g_assert_cmpint(table.released_twice, ==, 0);
	g_assert_cmpint(dead.freed_twice, ==, 0);
	g_assert_cmpint(table.created, >=, LOOKUPS);
	g_assert_cmpint(table.released, ==, table.created);
	buried = bury_dead();
	g_assert_cmpint(buried, ==, table.created);
	g_assert_cmpint(table.lookups_ok, >, 0);
	g_assert_cmpint(table.lookups_done, >=, (N_THREADS - 1) * LOOKUPS);
	/* How often an entry died in a lookup thread (its last put was a
	 * lookup's): the race the patterns exist for. Scheduling decides the
	 * number, so it is reported, not asserted. */
	g_test_message("%d of %d entries released by a lookup's put", table.released_by_lookup,
		       table.released);
	for (i = 0; i < TABLE_SIZE; i++)
		g_assert_null(table.slot[i]);
	g_assert_cmpuint(objlife_live_count(put_mutex ? &entry_mutex_ops : &entry_ops), ==, 0);
	g_assert_cmpuint(tu_events_count(), ==, 0);
}

static void test_table_get_unless_zero(void)
{
	run_table(false);
}

static void test_table_put_mutex(void)
{
	run_table(true);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/threads/release-once-across-threads", test_release_once_across_threads);
	g_test_add_func("/threads/table/get-unless-zero-never-returns-dying", test_table_get_unless_zero);
	g_test_add_func("/threads/table/put-mutex-never-returns-dying", test_table_put_mutex);
	return g_test_run();
}
