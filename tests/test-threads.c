/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Release exactly once across threads, with every thread's writes visible
 * to release, and the two lookup patterns (objlife_put_mutex() and
 * objlife_get_unless_zero(), see objlife_get(3)) under concurrency. Threads are synchronised with pthreads only.
 */
#include "config.h"

#include "testutil.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
	unsigned releases;         /* under table.lock */
};

/* released_twice: entries whose release ran again. A lookup that takes a
 * reference on a dying entry (whose count reached 0) revives it, and its
 * put releases it a second time: every such lookup is counted here. */
static struct {
	pthread_mutex_t lock;
	struct entry *slot[TABLE_SIZE];
	int created, released, released_by_lookup, lookups_ok, lookups_done, released_twice;
} table = { PTHREAD_MUTEX_INITIALIZER, { 0 }, 0, 0, 0, 0, 0, 0 };

/* Freed entries wait here until the run is over, their release count
 * filled with DEAD_BYTE and, under AddressSanitizer or valgrind,
 * the whole entry made inaccessible: a library that hands out a dying
 * entry is then reported as a use after free by the sanitizers, and in a
 * plain build fails the counters (released_twice; freed twice, written
 * after free) instead of crashing on reused memory. The header and the
 * key stay, so that a plain build's revived entry can still be put. */
#define DEAD_BYTE 0x6b
#define DEAD_FROM offsetof(struct entry, releases)
#if defined(__SANITIZE_ADDRESS__)
# define UNDER_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define UNDER_ASAN 1
# endif
#endif
#ifdef HAVE_VALGRIND_VALGRIND_H
# include <valgrind/valgrind.h>
# define under_valgrind() RUNNING_ON_VALGRIND
#else
# define under_valgrind() 0
#endif
#if defined(UNDER_ASAN)
# include <sanitizer/asan_interface.h>
# define dead_lock_away(p, n) ASAN_POISON_MEMORY_REGION(p, n)
# define dead_bring_back(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#elif defined(HAVE_VALGRIND_VALGRIND_H)
# include <valgrind/memcheck.h>
# define dead_lock_away(p, n) VALGRIND_MAKE_MEM_NOACCESS(p, n)
# define dead_bring_back(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)
#else
# define dead_lock_away(p, n) ((void)(p), (void)(n))
# define dead_bring_back(p, n) ((void)(p), (void)(n))
#endif

static struct {
	pthread_mutex_t lock;
	void **mem;
	size_t n, cap;
} dead = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0 };

static void *entry_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops;
	return tu_zalloc(size, align);
}

static void entry_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	g_assert_cmpuint(size, ==, sizeof(struct entry));
	memset((char *)mem + DEAD_FROM, DEAD_BYTE, size - DEAD_FROM);
	dead_lock_away(mem, size);
	pthread_mutex_lock(&dead.lock);
	if (dead.n == dead.cap) {
		dead.cap = dead.cap ? 2 * dead.cap : 4096;
		dead.mem = realloc(dead.mem, dead.cap * sizeof(*dead.mem));
		g_assert_nonnull(dead.mem);
	}
	dead.mem[dead.n++] = mem;
	pthread_mutex_unlock(&dead.lock);
}

static int cmp_address(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return (x > y) - (x < y);
}

struct burial {
	int buried, freed_twice, written_after_free;
};

/* Gives the memory back once each; counts what went wrong meanwhile. */
static struct burial bury_dead(void)
{
	struct burial r = { 0, 0, 0 };
	size_t i, j;

	qsort(dead.mem, dead.n, sizeof(*dead.mem), cmp_address);
	for (i = 0; i < dead.n; i++) {
		unsigned char *p = dead.mem[i];

		if (i > 0 && dead.mem[i] == dead.mem[i - 1]) {
			r.freed_twice++;
			continue;
		}
		dead_bring_back(p, sizeof(struct entry));
		for (j = DEAD_FROM; j < sizeof(struct entry); j++)
			if (p[j] != DEAD_BYTE) {
				r.written_after_free++;
				break;
			}
		free(p);
		r.buried++;
	}
	free(dead.mem);
	dead.mem = NULL;
	dead.n = dead.cap = 0;
	return r;
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
	struct burial dead_entries;
	int i;

	use_put_mutex = put_mutex;
	churn_done = 0;
	memset(table.slot, 0, sizeof(table.slot));
	table.created = table.released = table.lookups_ok = table.lookups_done = 0;
	table.released_by_lookup = 0;
	table.released_twice = 0;
	tu_events_start();
	pthread_barrier_init(&start, NULL, N_THREADS);
	pthread_create(&threads[0], NULL, churn_worker, &start);
	for (i = 1; i < N_THREADS; i++)
		pthread_create(&threads[i], NULL, lookup_worker, &start);
	for (i = 0; i < N_THREADS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&start);

	g_assert_cmpint(table.released_twice, ==, 0);
	g_assert_cmpint(table.created, >=, LOOKUPS);
	g_assert_cmpint(table.released, ==, table.created);
	dead_entries = bury_dead();
	g_assert_cmpint(dead_entries.freed_twice, ==, 0);
	g_assert_cmpint(dead_entries.written_after_free, ==, 0);
	g_assert_cmpint(dead_entries.buried, ==, table.created);
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

/* ---- fork while another thread allocates big objects ---------------- */

/* Sizes from 16 MiB on do not fit the object header: the library keeps
 * them in a locked list, which a fork must not leave locked in the child. */
#define BIG_SIZE ((size_t)16 << 20)
#define FORKS 50
/* How long a child may take; the limit turns a hang into a failure. */
#define CHILD_LIMIT_MS 10000
/* Big objects the churning thread keeps alive, putting the oldest: each
 * put then finds its size at the far end of the list, so that the list's
 * lock is held for much of the time, as in a program with many. Fewer
 * where 4 GiB of address space is all there is. */
#define BIG_KEPT (sizeof(void *) == 8 ? 256 : 32)

/* The churning thread's objects come from regions it maps once and reuses
 * (only it allocates and frees them, so they need no lock): a round is
 * then mostly the library's own work, not mmap's. Fresh anonymous pages
 * are zero, and only the header's page is ever written, which a region
 * gets back zeroed. The children do not inherit the regions, so that
 * after a fork the thread's writes to them are not copy-on-write faults,
 * which would keep it out of the library's code around the forks. */
static struct {
	void *region[BIG_KEPT + 1];
	unsigned n;                   /* free regions, on top of the array */
} big_pool;

static void *big_pool_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops;
	g_assert_cmpuint(size, ==, BIG_SIZE);
	g_assert_cmpuint(align, <=, 4096);
	return big_pool.n ? big_pool.region[--big_pool.n] : NULL;
}

static void big_pool_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	g_assert_cmpuint(size, ==, BIG_SIZE);
	memset(mem, 0, 4096);
	big_pool.region[big_pool.n++] = mem;
}

static void big_pool_open(void)
{
	unsigned i;

	for (i = 0; i < G_N_ELEMENTS(big_pool.region); i++) {
		void *mem = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		g_assert_true(mem != MAP_FAILED);
		g_assert_cmpint(madvise(mem, BIG_SIZE, MADV_DONTFORK), ==, 0);
		big_pool.region[i] = mem;
	}
	big_pool.n = G_N_ELEMENTS(big_pool.region);
}

static void big_pool_close(void)
{
	g_assert_cmpuint(big_pool.n, ==, G_N_ELEMENTS(big_pool.region));
	while (big_pool.n)
		g_assert_cmpint(munmap(big_pool.region[--big_pool.n], BIG_SIZE), ==, 0);
}

static const struct objlife_ops big_pooled_ops = {
	.name = "big-pooled", .alloc = big_pool_alloc, .free = big_pool_free,
};
/* The children's: the C library's allocator. */
static const struct objlife_ops big_ops = { .name = "big" };
static int big_stop;
static unsigned long big_rounds;

static void *big_churn(void *p)
{
	pthread_barrier_t *start = p;
	struct objlife *kept[BIG_KEPT];
	unsigned long n;

	for (n = 0; n < BIG_KEPT; n++) {
		kept[n] = objlife_alloc_size(&big_pooled_ops, BIG_SIZE, 8, NULL);
		g_assert_nonnull(kept[n]);
	}
	pthread_barrier_wait(start);
	for (n = 0; !__atomic_load_n(&big_stop, __ATOMIC_ACQUIRE); n++) {
		objlife_put(kept[n % BIG_KEPT]);
		kept[n % BIG_KEPT] = objlife_alloc_size(&big_pooled_ops, BIG_SIZE, 8, NULL);
		g_assert_nonnull(kept[n % BIG_KEPT]);
	}
	big_rounds = n;
	for (n = 0; n < BIG_KEPT; n++)
		objlife_put(kept[n]);
	return NULL;
}

/* The child's whole life: one big object, made and freed. */
static void big_child(void)
{
	struct objlife *obj = objlife_alloc_size(&big_ops, BIG_SIZE, 8, NULL);

	if (!obj)
		_exit(2);
	objlife_put(obj);
	_exit(objlife_live_count(&big_ops) == 0 ? 0 : 3);
}

/* Waits up to CHILD_LIMIT_MS for @pid; kills it past that. Returns its
 * wait status, or -1 when it hung. */
static int wait_bounded(pid_t pid)
{
	const struct timespec tick = { 0, 1000000 };   /* 1 ms */
	int status, ms;

	for (ms = 0; ms < CHILD_LIMIT_MS; ms++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		g_assert_cmpint(r, !=, -1);
		if (r == pid)
			return status;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	return -1;
}

static void test_fork_while_big_objects_churn(void)
{
	pthread_barrier_t start;
	pthread_t churn;
	int i, status = 0;

	big_stop = 0;
	big_pool_open();
	pthread_barrier_init(&start, NULL, 2);
	g_assert_cmpint(pthread_create(&churn, NULL, big_churn, &start), ==, 0);
	pthread_barrier_wait(&start);
	/* Up to the first child that hangs or fails: one is a failure. */
	for (i = 0; i < FORKS && status == 0; i++) {
		pid_t pid = fork();

		g_assert_cmpint(pid, !=, -1);
		if (pid == 0)
			big_child();
		status = wait_bounded(pid);
	}
	__atomic_store_n(&big_stop, 1, __ATOMIC_RELEASE);
	pthread_join(churn, NULL);
	pthread_barrier_destroy(&start);
	big_pool_close();
	g_test_message("%lu big objects made and freed during %d forks", big_rounds, i);
	g_assert_cmpint(status, !=, -1);          /* -1: the child hung */
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_assert_cmpint(i, ==, FORKS);
	g_assert_cmpuint(objlife_live_count(&big_pooled_ops), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/threads/release-once-across-threads", test_release_once_across_threads);
	g_test_add_func("/threads/table/get-unless-zero-never-returns-dying", test_table_get_unless_zero);
	g_test_add_func("/threads/table/put-mutex-never-returns-dying", test_table_put_mutex);
	/* Under memcheck the first child of this case did not finish within
	 * CHILD_LIMIT_MS (memcheck runs a child of a process with 4 GiB of
	 * mappings, here the pool, very slowly): a bounded wait cannot tell
	 * that from a hang, so the case runs in the other builds only (plain,
	 * ASan, TSan, the matrix), and says so here. */
	if (!under_valgrind())
		g_test_add_func("/threads/fork/child-allocates-big-while-a-thread-does",
				test_fork_while_big_objects_churn);
	else if (!g_test_subprocess())
		printf("# under valgrind: /threads/fork/child-allocates-big-while-a-thread-does "
		       "is not registered\n");
	return g_test_run();
}
