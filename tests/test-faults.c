/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault injection: a realistic object whose init acquires seven resources
 * (memory, a pipe, a mutex, a child objlife object, an entry in a shared
 * table, a buffer), created with every fault point failing in turn. A
 * fault point is any acquisition the test can make fail: the test's own
 * allocations and system calls, the types' ops->alloc, and the library's
 * internal allocations (through ol_mem_fail_hook, reachable because this
 * program compiles the library's sources in).
 *
 * For every run: nothing leaks (memory, descriptors, mutexes, live
 * objects), release never runs for a failed init and exactly once for a
 * successful one, the shared table is as it was, and every fault point
 * counted in the clean run was really hit.
 *
 * And one allocation the library itself can fail: an object too large for
 * its header, when there is no memory to remember its size.
 */
#include "objlife-private.h"
#include "memfail.h"
#include "testutil.h"

#define OBJLIFE_SHORT_NAMES
#include <objlife/cleanup.h>

#include <fcntl.h>
#include <unistd.h>

/* ---- fault points ---------------------------------------------------- */

static int fault_at;        /* fail the Nth fault point of a run; 0: none */
static int fault_seen;      /* fault points passed so far in this run */
static bool faulted;        /* the run hit its fault */
static int faulted_use;     /* the library's enum ol_mem_use, or -1: the test's own */

static bool fault_point(void)
{
	if (++fault_seen != fault_at)
		return false;
	faulted = true;
	faulted_use = -1;
	return true;
}

static bool fail_internal(enum ol_mem_use use, size_t size)
{
	(void)size;
	if (!fault_point())
		return false;
	faulted_use = (int)use;
	return true;
}

/* ---- what the resources are, and their counters ---------------------- */

static int outstanding_mem, open_fds, live_mutexes;
static int conn_releases, child_inits, child_releases;

static void *t_malloc(size_t size)
{
	void *p;

	if (fault_point())
		return NULL;
	p = calloc(1, size);
	if (p)
		outstanding_mem++;
	return p;
}

static void t_free(void *p)
{
	if (p)
		outstanding_mem--;
	free(p);
}

static int t_pipe(int fds[2])
{
	if (fault_point()) {
		errno = EMFILE;
		return -1;
	}
	if (pipe(fds) < 0)
		return -1;
	open_fds += 2;
	return 0;
}

static void t_close_pipe(int *fds)
{
	close(fds[0]);
	close(fds[1]);
	open_fds -= 2;
}

static int t_mutex_init(pthread_mutex_t *m)
{
	if (fault_point())
		return EAGAIN;
	live_mutexes++;
	return pthread_mutex_init(m, NULL);
}

static void t_mutex_destroy(pthread_mutex_t *m)
{
	pthread_mutex_destroy(m);
	live_mutexes--;
}

/* The types' own allocator: a fault point, counted like the rest. */
static void *t_ops_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	void *p;

	(void)ops;
	if (fault_point() || !(p = tu_zalloc(size, align)))
		return NULL;
	outstanding_mem++;
	return p;
}

static void t_ops_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops; (void)size;
	t_free(mem);
}

/* ---- the shared table -------------------------------------------------- */

struct node {
	struct node *next;
	const void *owner;
};

static struct {
	pthread_mutex_t lock;
	struct node *head;
	int size;
} table = { PTHREAD_MUTEX_INITIALIZER, NULL, 0 };

static struct node *table_add(const void *owner)
{
	struct node *n = t_malloc(sizeof(*n));

	if (!n)
		return NULL;
	n->owner = owner;
	scoped_guard(mutex, &table.lock) {
		n->next = table.head;
		table.head = n;
		table.size++;
	}
	return n;
}

static void table_del(struct node *n)
{
	scoped_guard(mutex, &table.lock) {
		struct node **pp;

		for (pp = &table.head; *pp; pp = &(*pp)->next) {
			if (*pp == n) {
				*pp = n->next;
				table.size--;
				break;
			}
		}
	}
	t_free(n);
}

/* ---- the objects ------------------------------------------------------- */

struct child {
	struct objlife ref;
	int value;
};

static int child_init(struct objlife *obj, void *arg)
{
	(void)obj; (void)arg;
	child_inits++;
	return 0;
}

static void child_release(struct objlife *obj)
{
	(void)obj;
	child_releases++;
}

struct conn {
	struct objlife ref;
	char *name;
	int fds[2];
	pthread_mutex_t lock;
	struct child *child;
	struct node *entry;
	char *buffer;
};

/* One pair of types per run: a type's first allocation makes the library
 * allocate its bookkeeping, and that must be a fault point in every run. */
#define MAX_RUNS 128
static struct objlife_ops conn_types[MAX_RUNS], child_types[MAX_RUNS];
static struct objlife_ops *child_ops;   /* this run's */

/* Each resource has a free class, so that init unwinds with no goto. */
DEFINE_FREE(t_free, char *, if (_T) t_free(_T))
DEFINE_FREE(pipe_fds, int *, if (_T) t_close_pipe(_T))
DEFINE_FREE(mutex_fini, pthread_mutex_t *, if (_T) t_mutex_destroy(_T))
DEFINE_FREE(child_put, struct child *, if (_T) objlife_put(&_T->ref))
DEFINE_FREE(table_del, struct node *, if (_T) table_del(_T))

static int conn_init(struct objlife *obj, void *arg)
{
	struct conn *c = (struct conn *)obj;

	(void)arg;
	char *name __free(t_free) = t_malloc(32);
	if (!name)
		return -ENOMEM;
	snprintf(name, 32, "conn-%p", (void *)c);

	if (t_pipe(c->fds) < 0)
		return -errno;
	int *fds __free(pipe_fds) = c->fds;

	int err = t_mutex_init(&c->lock);
	if (err)
		return -err;
	pthread_mutex_t *lock __free(mutex_fini) = &c->lock;

	struct child *child __free(child_put) =
		objlife_alloc(struct child, ref, child_ops, NULL);
	if (!child)
		return -errno;

	struct node *entry __free(table_del) = table_add(c);
	if (!entry)
		return -ENOMEM;

	char *buffer __free(t_free) = t_malloc(4096);
	if (!buffer)
		return -ENOMEM;

	/* Everything acquired: ownership moves into the object. */
	c->buffer = no_free_ptr(buffer);
	c->entry = no_free_ptr(entry);
	c->child = no_free_ptr(child);
	retain_and_null_ptr(lock);      /* already in c->lock */
	retain_and_null_ptr(fds);       /* already in c->fds */
	c->name = no_free_ptr(name);
	return 0;
}

static void conn_release(struct objlife *obj)
{
	struct conn *c = (struct conn *)obj;

	/* The reverse of init. */
	t_free(c->buffer);
	table_del(c->entry);
	objlife_put(&c->child->ref);
	t_mutex_destroy(&c->lock);
	t_close_pipe(c->fds);
	t_free(c->name);
	conn_releases++;
}

/* ---- one run ------------------------------------------------------------ */

struct run {
	const struct objlife_ops *ops;
	bool created;
	int err;
};

/* A fresh thread per run: the library's per-thread tables are made on a
 * thread's first object, which must be a fault point in every run too. */
static void *run_thread(void *p)
{
	struct run *r = p;
	struct conn *c;

	errno = 0;
	c = objlife_alloc(struct conn, ref, r->ops, NULL);
	r->err = errno;
	r->created = c != NULL;
	if (c) {
		g_assert_nonnull(c->name);
		g_assert_cmpuint(objlife_refcount(&c->child->ref), ==, 1);
		objlife_put(&c->ref);
	}
	return NULL;
}

static int run_once(int index, int fail_at, bool *created, int *err)
{
	struct run r = { &conn_types[index], false, 0 };
	pthread_t thread;
	int table_before = table.size;

	g_assert_cmpint(index, <, MAX_RUNS);
	conn_types[index] = (struct objlife_ops){
		.name = "conn", .init = conn_init, .release = conn_release,
		.alloc = t_ops_alloc, .free = t_ops_free,
	};
	child_types[index] = (struct objlife_ops){
		.name = "child", .init = child_init, .release = child_release,
		.alloc = t_ops_alloc, .free = t_ops_free,
	};
	child_ops = &child_types[index];
	fault_at = fail_at;
	fault_seen = 0;
	faulted = false;
	faulted_use = -1;
	conn_releases = child_inits = child_releases = 0;

	ol_mem_fail_hook = fail_internal;
	g_assert_cmpint(pthread_create(&thread, NULL, run_thread, &r), ==, 0);
	pthread_join(thread, NULL);
	ol_mem_fail_hook = NULL;

	/* Nothing lost, nothing released that was not made. */
	g_assert_cmpint(outstanding_mem, ==, 0);
	g_assert_cmpint(open_fds, ==, 0);
	g_assert_cmpint(live_mutexes, ==, 0);
	g_assert_cmpint(table.size, ==, table_before);
	g_assert_cmpint(conn_releases, ==, (r.created ? 1 : 0));
	/* A child made before a later failure is put by init's unwind. */
	g_assert_cmpint(child_releases, ==, child_inits);
	g_assert_cmpuint(objlife_live_count(&conn_types[index]), ==, 0);
	g_assert_cmpuint(objlife_live_count(&child_types[index]), ==, 0);
	*created = r.created;
	*err = r.err;
	return fault_seen;
}

/* Fails each fault point in turn. With @exact, the points are those of
 * the clean run and each must be hit; otherwise (the diagnostics intern
 * stacks and allocate in chunks, so later runs need less) it goes on until
 * a run no longer reaches its fault. Returns the faults the library's own
 * bookkeeping absorbed. */
static int sweep(bool exact)
{
	bool created;
	int err, points, k, survived = 0;

	/* The first run in a process also makes the library's process-wide
	 * table of types, which every later run finds made: the points are
	 * counted on the second. */
	run_once(0, 0, &created, &err);
	points = run_once(0, 0, &created, &err);
	g_assert_true(created);
	g_assert_cmpint(points, >=, 7);
	for (k = 1; k < MAX_RUNS; k++) {
		run_once(k, k, &created, &err);
		if (!faulted) {
			/* Past the last point: only allowed when not exact. */
			g_assert_false(exact && k <= points);
			break;
		}
		if (created) {
			/* Only the library's bookkeeping may fail without failing
			 * the object: it falls back (a thread without its own
			 * counters) or leaves the object untracked. */
			g_assert_cmpint(faulted_use, >=, 0);
			survived++;
		} else {
			g_assert_true(err == ENOMEM || err == EMFILE || err == EAGAIN);
		}
		if (exact && k == points)
			break;
	}
	g_assert_cmpint(k, <, MAX_RUNS);
	g_test_message("%d fault points, %d of them absorbed by the library", k, survived);
	printf("# fault points: %d (absorbed by the library: %d)\n", exact ? points : k - 1, survived);
	return survived;
}

/* With OBJLIFE_DEBUG unset: every fault in init's resources or the types'
 * allocator fails the allocation, cleanly; a fault in the library's own
 * bookkeeping either fails it (no type record: ENOMEM) or is absorbed. */
static void test_every_fault_point_unwinds(void)
{
	sweep(true);
}

/* With the diagnostics on, their bookkeeping adds fault points; a failure
 * there must not fail or lose the object: it is untracked, and said once. */
static void test_diagnostics_faults_lose_nothing(void)
{
	if (g_test_subprocess()) {
		tu_events_start();
		/* Registry and tracker failures are absorbed and reported. */
		g_assert_cmpint(sweep(false), >, 0);
		g_assert_cmpuint(tu_events_count(), >, 0);
		return;
	}
	setenv("OBJLIFE_DEBUG", "leaks,refs", 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG");
	g_test_trap_assert_passed();
	g_test_trap_assert_stdout("*# fault points: *");
}

/* ---- an object too large for its header ------------------------------ */

static unsigned big_allocs, big_frees;
static size_t big_freed_size;

static void *big_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	void *p = tu_zalloc(size, align);

	(void)ops;
	big_allocs += p != NULL;
	return p;
}

static void big_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	big_frees++;
	big_freed_size = size;
	free(mem);
}

static const struct objlife_ops big_ops = {
	.name = "big", .init = tu_init, .release = tu_release,
	.alloc = big_alloc, .free = big_free,
};

/* Past what the header's size field holds, memory.c must remember the
 * size: without memory for that, the allocation fails cleanly. */
static void test_big_object_without_memory_for_its_size_is_enomem(void)
{
	size_t size = OL_INFO_SIZE_MAX + 1;
	struct tu_counts c = { 0 };
	struct objlife *obj;

	tu_mem_fail_all(OL_MEM_BIG_SIZE);
	errno = 0;
	obj = objlife_alloc_size(&big_ops, size, 8, &c);
	tu_mem_stop();
	g_assert_null(obj);
	g_assert_cmpint(errno, ==, ENOMEM);
	/* The memory went back, with its size; init never ran. */
	g_assert_cmpuint(big_allocs, ==, 1);
	g_assert_cmpuint(big_frees, ==, 1);
	g_assert_cmpuint(big_freed_size, ==, size);
	g_assert_cmpint(c.inits, ==, 0);
	g_assert_cmpint(c.releases, ==, 0);
	g_assert_cmpuint(objlife_live_count(&big_ops), ==, 0);

	/* With memory, the same size works and goes back with its size. */
	obj = objlife_alloc_size(&big_ops, size, 8, &c);
	g_assert_nonnull(obj);
	g_assert_cmpint(c.inits, ==, 1);
	objlife_put(obj);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpuint(big_frees, ==, 2);
	g_assert_cmpuint(big_freed_size, ==, size);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/faults/every-fault-point-unwinds", test_every_fault_point_unwinds);
	g_test_add_func("/faults/diagnostics-faults-lose-nothing", test_diagnostics_faults_lose_nothing);
	g_test_add_func("/faults/big-object-without-memory-for-its-size-is-enomem",
			test_big_object_without_memory_for_its_size_is_enomem);
	return g_test_run();
}
