/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <objlife/cleanup.h>, behaviour by behaviour: free classes and their
 * order, handing ownership out, classes, guards on every ready-made lock,
 * the scoped forms and what break/continue do in them, conditional guards,
 * and the two-step lesson of the kernel's documentation. Lock states are
 * observed (trylock from here or from a probe thread), never assumed.
 * Threads are synchronised with pthreads only.
 */
#include "testutil.h"

#include <objlife/cleanup.h>

#if defined(__GLIBC__)
# include <malloc.h>
#endif

/* ---- a log of what ran, in order ------------------------------------- */

static char run_log[512];

static void log_add(const char *what, int n)
{
	size_t len = strlen(run_log);

	g_assert_cmpuint(len + 32, <, sizeof(run_log));
	snprintf(run_log + len, sizeof(run_log) - len, "%s%s:%d", len ? " " : "", what, n);
}

static void log_reset(void)
{
	run_log[0] = '\0';
}

/* ---- lock probes ------------------------------------------------------ */

/* POSIX: trylock on a locked non-recursive mutex fails with EBUSY even for
 * its owner, so this thread can ask. A successful probe is undone. */
static bool mutex_is_held(pthread_mutex_t *m)
{
	int rc = pthread_mutex_trylock(m);

	if (rc == 0) {
		pthread_mutex_unlock(m);
		return false;
	}
	g_assert_cmpint(rc, ==, EBUSY);
	return true;
}

/* Read-write locks answer their owner with EDEADLK or EBUSY as they like,
 * so they are probed from another thread. */
struct rw_probe {
	pthread_rwlock_t *lock;
	bool write;
	int rc;
};

static void *rw_probe_thread(void *p)
{
	struct rw_probe *probe = p;

	probe->rc = probe->write ? pthread_rwlock_trywrlock(probe->lock)
				 : pthread_rwlock_tryrdlock(probe->lock);
	if (probe->rc == 0)
		pthread_rwlock_unlock(probe->lock);
	return NULL;
}

/* Returns what a try{rd,wr}lock from another thread returns now. */
static int rw_probe(pthread_rwlock_t *lock, bool write)
{
	struct rw_probe probe = { lock, write, -1 };
	pthread_t t;

	g_assert_cmpint(pthread_create(&t, NULL, rw_probe_thread, &probe), ==, 0);
	g_assert_cmpint(pthread_join(t, NULL), ==, 0);
	return probe.rc;
}

/* ---- a counted thing and its free class ------------------------------ */

struct thing {
	int id;
};

static int things_live;

static struct thing *thing_new(int id)
{
	struct thing *t = malloc(sizeof(*t));

	g_assert_nonnull(t);
	t->id = id;
	things_live++;
	return t;
}

static void thing_free(struct thing *t)
{
	log_add("free", t->id);
	things_live--;
	free(t);
}

OBJLIFE_DEFINE_FREE(thing, struct thing *, if (_T) thing_free(_T));

/* ---- free classes ----------------------------------------------------- */

static void test_free_runs_at_scope_end(void)
{
	log_reset();
	{
		struct thing *t objlife_auto(thing) = thing_new(1);

		g_assert_cmpint(t->id, ==, 1);
		g_assert_cmpint(things_live, ==, 1);
		g_assert_cmpstr(run_log, ==, "");
	}
	g_assert_cmpint(things_live, ==, 0);
	g_assert_cmpstr(run_log, ==, "free:1");
}

static int leave_by_return(bool early)
{
	struct thing *t objlife_auto(thing) = thing_new(7);

	if (early)
		return t->id;
	log_add("late", t->id);
	return 0;
}

static void test_free_runs_on_every_exit(void)
{
	int i;

	log_reset();
	g_assert_cmpint(leave_by_return(true), ==, 7);
	g_assert_cmpint(leave_by_return(false), ==, 0);
	/* Iteration 1 continues, iteration 2 breaks: each frees its own. */
	for (i = 0; i < 5; i++) {
		struct thing *t objlife_auto(thing) = thing_new(10 + i);

		if (i == 1)
			continue;
		if (i == 2)
			break;
		log_add("body", t->id);
	}
	g_assert_cmpint(things_live, ==, 0);
	g_assert_cmpstr(run_log, ==, "free:7 late:7 free:7 body:10 free:10 free:11 free:12");
}

static void test_free_lifo_order(void)
{
	log_reset();
	{
		struct thing *a objlife_auto(thing) = thing_new(1);
		struct thing *b objlife_auto(thing) = thing_new(2);
		struct thing *c objlife_auto(thing) = thing_new(3);
		struct thing *d objlife_auto(thing) = thing_new(4);

		g_assert_cmpint(a->id + b->id + c->id + d->id, ==, 10);
	}
	g_assert_cmpstr(run_log, ==, "free:4 free:3 free:2 free:1");
	g_assert_cmpint(things_live, ==, 0);
}

/* The ready-made class `free`: libc's free. Where glibc's allocator is the
 * one in use, mallinfo2() shows the bytes come and go. Where a checker has
 * replaced it (valgrind, ASan), the same code is checked by the checker: a
 * cleanup that did not free is a definite leak, a cleanup that ran after
 * objlife_steal() is a double free, and either fails the run. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
# define in_use() mallinfo2().uordblks
#else
# define in_use() ((size_t)0)
#endif
static void *volatile escape;

static void test_free_class_libc_free(void)
{
	size_t before = in_use();
	bool observable;
	char *kept;

	{
		char *big objlife_auto(free) = malloc(64 * 1024);

		g_assert_nonnull(big);
		memset(big, 1, 64 * 1024);
		escape = big;                  /* or the compiler may elide the malloc */
		observable = in_use() >= before + 64 * 1024;
	}
	escape = NULL;
	if (observable)
		g_assert_cmpuint(in_use(), <, before + 1024);
	else
		g_test_message("malloc is not glibc's here: the leak checker checks the free");
	{
		char *s objlife_auto(free) = malloc(64 * 1024);

		g_assert_nonnull(s);
		memcpy(s, "kept", 5);
		kept = objlife_steal(s);
	}
	/* Stolen: still allocated and readable after the scope. */
	if (observable)
		g_assert_cmpuint(in_use(), >=, before + 64 * 1024);
	g_assert_cmpstr(kept, ==, "kept");
	free(kept);
}

/* The ready-made class `objlife_put`. */
/* A static object (OBJLIFE_STATIC_INIT) under the free class of
 * OBJLIFE_DEFINE_REF_FUNCS: each scope's put is a put like any other, and
 * never releases it. */
static int static_releases;
static void count_static_release(struct objlife *obj)
{
	(void)obj;
	static_releases++;
}

struct constant {
	struct objlife ref;
	int value;
};
static const struct objlife_ops constant_ops = { .name = "constant", .release = count_static_release };
OBJLIFE_DEFINE_REF_FUNCS(constant, struct constant, ref);
static struct constant answer = { .ref = OBJLIFE_STATIC_INIT(&constant_ops), .value = 42 };

static void test_free_class_on_a_static_object(void)
{
	int i;

	static_releases = 0;
	tu_events_start();
	for (i = 0; i < 3; i++) {
		objlife_auto(constant_put) struct constant *c = constant_get(&answer);

		g_assert_cmpint(c->value, ==, 42);
		g_assert_true(constant_get_unless_zero(c));
		constant_put(c);
	}
	g_assert_cmpint(static_releases, ==, 0);
	g_assert_cmpuint(tu_events_count(), ==, 0);
	g_assert_cmpuint(objlife_refcount(&answer.ref), ==, OBJLIFE_REFCOUNT_SATURATED);
	objlife_set_report_handler(NULL, NULL);
}

static void test_free_class_objlife_put(void)
{
	struct tu_counts counts = { 0 };
	struct tu_obj *o = tu_new(&counts);

	{
		struct objlife *extra objlife_auto(objlife_put) = objlife_get(&o->ref);

		g_assert_true(extra == &o->ref);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
	}
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
	g_assert_cmpint(counts.releases, ==, 0);
	{
		struct objlife *last objlife_auto(objlife_put) = &o->ref;

		g_assert_cmpuint(objlife_live_count(&tu_ops), ==, 1);
		(void)last;
	}
	g_assert_cmpint(counts.releases, ==, 1);
	g_assert_cmpuint(objlife_live_count(&tu_ops), ==, 0);
}

/* The class prefix_put that OBJLIFE_DEFINE_REF_FUNCS(tu, ...) defines in
 * testutil.h. */
static void test_free_class_from_ref_funcs(void)
{
	struct tu_counts counts = { 0 };

	{
		struct tu_obj *o objlife_auto(tu_put) = tu_new(&counts);
		struct tu_obj *again objlife_auto(tu_put) = tu_get(o);

		g_assert_cmpuint(objlife_refcount(&again->ref), ==, 2);
		g_assert_cmpint(counts.releases, ==, 0);
	}
	g_assert_cmpint(counts.inits, ==, 1);
	g_assert_cmpint(counts.releases, ==, 1);
	g_assert_cmpuint(objlife_live_count(&tu_ops), ==, 0);
}

/* ---- handing ownership out -------------------------------------------- */

static struct thing *make_thing_steal(int id, struct thing **seen_after)
{
	struct thing *t objlife_auto(thing) = thing_new(id);
	struct thing *out = objlife_steal(t);

	/* objlife-lint: ignore objlife-use-after-put: reads the NULL that the steal leaves */
	*seen_after = t;
	return out;
}

static void test_steal_hands_out_and_suppresses(void)
{
	struct thing *seen = (struct thing *)&seen;
	struct thing *t;

	log_reset();
	t = make_thing_steal(5, &seen);
	g_assert_null(seen);               /* the variable was left NULL */
	g_assert_nonnull(t);
	g_assert_cmpint(t->id, ==, 5);     /* and nothing was freed */
	g_assert_cmpint(things_live, ==, 1);
	g_assert_cmpstr(run_log, ==, "");
	thing_free(t);
}

static void test_steal_evaluates_once(void)
{
	struct thing *arr[2] = { NULL, NULL };
	struct thing *got;
	int i = 0;

	log_reset();
	{
		struct thing *t objlife_auto(thing) = thing_new(1);

		arr[0] = objlife_steal(t);
	}
	got = objlife_steal(arr[i++]);
	g_assert_cmpint(i, ==, 1);
	g_assert_null(arr[0]);
	g_assert_cmpint(got->id, ==, 1);
	g_assert_cmpstr(run_log, ==, "");
	thing_free(got);
}

static struct thing *make_thing_return_ptr(int id, bool fail)
{
	struct thing *t objlife_auto(thing) = thing_new(id);

	if (fail)
		return NULL;
	objlife_return_ptr(t);
}

static void test_steal_return_ptr(void)
{
	struct thing *t;

	log_reset();
	g_assert_null(make_thing_return_ptr(1, true));
	g_assert_cmpstr(run_log, ==, "free:1");
	t = make_thing_return_ptr(2, false);
	g_assert_nonnull(t);
	g_assert_cmpint(t->id, ==, 2);
	g_assert_cmpstr(run_log, ==, "free:1");
	g_assert_cmpint(things_live, ==, 1);
	thing_free(t);
}

static struct thing *registry[4];

static void test_steal_retain_and_null(void)
{
	log_reset();
	{
		struct thing *t objlife_auto(thing) = thing_new(3);

		registry[0] = t;               /* the registry owns it now */
		objlife_retain_and_null(t);
		g_assert_null(t);
	}
	g_assert_cmpstr(run_log, ==, "");
	g_assert_cmpint(things_live, ==, 1);
	g_assert_cmpint(registry[0]->id, ==, 3);
	thing_free(registry[0]);
	registry[0] = NULL;
}

/* ---- classes ---------------------------------------------------------- */

struct tag {
	const char *name;
	int n;
};

static struct tag tag_make(const char *name, int n)
{
	struct tag t = { name, n };

	log_add(name, n);
	return t;
}

static void tag_exit(struct tag t)
{
	char what[32];

	snprintf(what, sizeof(what), "exit-%s", t.name);
	log_add(what, t.n);
}

OBJLIFE_DEFINE_CLASS(tag, struct tag, tag_exit(_T), tag_make(name, n), const char *name, int n);

static int counter_value;

OBJLIFE_DEFINE_CLASS(counter, int *, (*_T)--, (counter_value++, &counter_value), void);

static void test_class_ctor_and_dtor(void)
{
	log_reset();
	{
		OBJLIFE_CLASS(tag, a)("a", 1);
		OBJLIFE_CLASS(tag, b)("b", 2);

		g_assert_cmpstr(a.name, ==, "a");
		g_assert_cmpint(b.n, ==, 2);
		g_assert_cmpstr(run_log, ==, "a:1 b:2");
		b.n = 20;                      /* the destructor sees the value at scope end */
	}
	g_assert_cmpstr(run_log, ==, "a:1 b:2 exit-b:20 exit-a:1");
}

static void test_class_without_args(void)
{
	counter_value = 0;
	{
		OBJLIFE_CLASS(counter, c)();

		g_assert_true(c == &counter_value);
		g_assert_cmpint(counter_value, ==, 1);
	}
	g_assert_cmpint(counter_value, ==, 0);
}

/* ---- guards ----------------------------------------------------------- */

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void test_guard_holds_for_scope(void)
{
	{
		objlife_guard(mutex)(&lock_a);

		g_assert_true(mutex_is_held(&lock_a));
		g_assert_false(mutex_is_held(&lock_b));
	}
	g_assert_false(mutex_is_held(&lock_a));
}

/* A guard that logs, to see the order of nested locks. */
struct logged_lock {
	int id;
	bool held;
};

OBJLIFE_DEFINE_GUARD(logged, struct logged_lock *,
		     (log_add("lock", _T->id), _T->held = true),
		     (log_add("unlock", _T->id), _T->held = false));

static void test_guard_nested(void)
{
	struct logged_lock l1 = { 1, false }, l2 = { 2, false }, l3 = { 3, false };

	log_reset();
	{
		objlife_guard(logged)(&l1);
		objlife_guard(logged)(&l2);

		objlife_scoped_guard(logged, &l3) {
			/* Same-named scoped guards nest without shadowing. */
			objlife_scoped_guard(mutex, &lock_a) {
				objlife_scoped_guard(mutex, &lock_b) {
					g_assert_true(mutex_is_held(&lock_a));
					g_assert_true(mutex_is_held(&lock_b));
				}
				g_assert_false(mutex_is_held(&lock_b));
				g_assert_true(mutex_is_held(&lock_a));
			}
			g_assert_true(l1.held && l2.held && l3.held);
		}
		g_assert_false(l3.held);
		g_assert_true(l1.held && l2.held);
	}
	g_assert_false(l1.held || l2.held);
	g_assert_false(mutex_is_held(&lock_a) || mutex_is_held(&lock_b));
	g_assert_cmpstr(run_log, ==, "lock:1 lock:2 lock:3 unlock:3 unlock:2 unlock:1");
}

/* ---- the two-step lesson ---------------------------------------------- */

/* A list whose add and remove both require list_lock. remove records
 * whether it was called with the lock held. */
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static int list_len;
static int removes;
static bool remove_saw_lock_held;

static struct thing *item_alloc_add(int id)
{
	g_assert_true(mutex_is_held(&list_lock));
	list_len++;
	return thing_new(id);
}

static void item_remove_free(struct thing *t)
{
	remove_saw_lock_held = mutex_is_held(&list_lock);
	removes++;
	list_len--;
	thing_free(t);
}

OBJLIFE_DEFINE_FREE(item_remove, struct thing *, if (_T) item_remove_free(_T));

/* Wrong order: the variable is defined before the guard, so its cleanup
 * runs after the unlock. */
static int add_then_fail_defined_early(void)
{
	/* objlife-lint: ignore objlife-free-before-guard: this case shows that order's effect */
	struct thing *it objlife_auto(item_remove) = NULL;
	objlife_guard(mutex)(&list_lock);

	it = item_alloc_add(1);
	if (it->id == 1)
		return -EAGAIN;                /* unlock, then remove */
	return 0;
}

/* Right order: defined and assigned after the guard, so its cleanup runs
 * first, under the lock. */
static int add_then_fail_defined_after(void)
{
	objlife_guard(mutex)(&list_lock);
	struct thing *it objlife_auto(item_remove) = item_alloc_add(1);

	if (it->id == 1)
		return -EAGAIN;                /* remove, then unlock */
	return 0;
}

static void test_two_step_defined_early_frees_unlocked(void)
{
	removes = 0;
	remove_saw_lock_held = true;
	g_assert_cmpint(add_then_fail_defined_early(), ==, -EAGAIN);
	g_assert_cmpint(removes, ==, 1);
	g_assert_false(remove_saw_lock_held);
	g_assert_cmpint(list_len, ==, 0);
	g_assert_false(mutex_is_held(&list_lock));
}

static void test_two_step_defined_after_frees_locked(void)
{
	removes = 0;
	remove_saw_lock_held = false;
	g_assert_cmpint(add_then_fail_defined_after(), ==, -EAGAIN);
	g_assert_cmpint(removes, ==, 1);
	g_assert_true(remove_saw_lock_held);
	g_assert_cmpint(list_len, ==, 0);
	g_assert_false(mutex_is_held(&list_lock));
}

/* ---- the objlife_ref guard -------------------------------------------- */

static void test_guard_objlife_ref(void)
{
	struct tu_counts counts = { 0 };
	struct tu_obj *o = tu_new(&counts);

	{
		objlife_guard(objlife_ref)(&o->ref);

		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
	}
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);

	/* The scope's reference keeps the object alive after its owner's
	 * put, and is the one that releases it. */
	objlife_scoped_guard(objlife_ref, &o->ref) {
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
		tu_put(o);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
		g_assert_cmpint(counts.releases, ==, 0);
	}
	g_assert_cmpint(counts.releases, ==, 1);
	g_assert_cmpuint(objlife_live_count(&tu_ops), ==, 0);
}

/* ---- read-write locks and spinlocks ---------------------------------- */

static void test_guard_rwlock_read(void)
{
	pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

	{
		objlife_guard(rwlock_read)(&rw);

		g_assert_cmpint(rw_probe(&rw, false), ==, 0);     /* readers share */
		g_assert_cmpint(rw_probe(&rw, true), ==, EBUSY);  /* writers wait */
	}
	g_assert_cmpint(rw_probe(&rw, true), ==, 0);
	pthread_rwlock_destroy(&rw);
}

static void test_guard_rwlock_write(void)
{
	pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

	objlife_scoped_guard(rwlock_write, &rw) {
		g_assert_cmpint(rw_probe(&rw, false), ==, EBUSY);
		g_assert_cmpint(rw_probe(&rw, true), ==, EBUSY);
	}
	g_assert_cmpint(rw_probe(&rw, false), ==, 0);
	g_assert_cmpint(rw_probe(&rw, true), ==, 0);
	pthread_rwlock_destroy(&rw);
}

static void test_guard_spinlock(void)
{
#if defined(_POSIX_SPIN_LOCKS) && _POSIX_SPIN_LOCKS > 0
	pthread_spinlock_t spin;

	g_assert_cmpint(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE), ==, 0);
	{
		objlife_guard(spinlock)(&spin);

		g_assert_cmpint(pthread_spin_trylock(&spin), ==, EBUSY);
	}
	g_assert_cmpint(pthread_spin_trylock(&spin), ==, 0);
	pthread_spin_unlock(&spin);
	pthread_spin_destroy(&spin);
#else
	g_test_skip("no POSIX spinlocks here");
#endif
}

/* ---- scoped guards ---------------------------------------------------- */

static void test_scoped_guard_body_once_locked(void)
{
	int runs = 0;

	objlife_scoped_guard(mutex, &lock_a) {
		runs++;
		g_assert_true(mutex_is_held(&lock_a));
	}
	g_assert_cmpint(runs, ==, 1);
	g_assert_false(mutex_is_held(&lock_a));
}

static void test_scoped_guard_break_leaves_guard(void)
{
	int iterations = 0, after_guard = 0, body_ends = 0, i;

	for (i = 0; i < 5; i++) {
		iterations++;
		objlife_scoped_guard(mutex, &lock_a) {
			g_assert_true(mutex_is_held(&lock_a));
			if (i == 1 || i == 3)
				break;         /* leaves the guard, not the for */
			body_ends++;
		}
		/* Reached after a break too, with the lock released. */
		g_assert_false(mutex_is_held(&lock_a));
		after_guard++;
	}
	g_assert_cmpint(iterations, ==, 5);
	g_assert_cmpint(after_guard, ==, 5);
	g_assert_cmpint(body_ends, ==, 3);
}

static void test_scoped_guard_continue_leaves_guard(void)
{
	int iterations = 0, after_guard = 0, body_ends = 0, i;

	for (i = 0; i < 5; i++) {
		iterations++;
		objlife_scoped_guard(mutex, &lock_a) {
			if (i == 2)
				continue;      /* leaves the guard; the for goes on after it */
			body_ends++;
		}
		g_assert_false(mutex_is_held(&lock_a));
		after_guard++;
	}
	g_assert_cmpint(iterations, ==, 5);
	g_assert_cmpint(after_guard, ==, 5);
	g_assert_cmpint(body_ends, ==, 4);
}

static int return_from_scoped_guard(int x)
{
	objlife_scoped_guard(mutex, &lock_a) {
		if (x > 0)
			return x;
	}
	return -1;
}

static void test_scoped_guard_return_releases(void)
{
	g_assert_cmpint(return_from_scoped_guard(3), ==, 3);
	g_assert_false(mutex_is_held(&lock_a));
	g_assert_cmpint(return_from_scoped_guard(0), ==, -1);
	g_assert_false(mutex_is_held(&lock_a));
}

/* ---- conditional guards ----------------------------------------------- */

/* Holds a mutex in another thread until told to let go. */
struct holder {
	pthread_mutex_t *target;
	pthread_mutex_t sync;
	pthread_cond_t cond;
	bool holding, let_go;
	int unlock_rc;
	pthread_t thread;
};

static void *holder_thread(void *p)
{
	struct holder *h = p;

	g_assert_cmpint(pthread_mutex_lock(h->target), ==, 0);
	pthread_mutex_lock(&h->sync);
	h->holding = true;
	pthread_cond_broadcast(&h->cond);
	while (!h->let_go)
		pthread_cond_wait(&h->cond, &h->sync);
	pthread_mutex_unlock(&h->sync);
	h->unlock_rc = pthread_mutex_unlock(h->target);
	return NULL;
}

static void holder_start(struct holder *h, pthread_mutex_t *target)
{
	memset(h, 0, sizeof(*h));
	h->target = target;
	h->unlock_rc = -1;
	pthread_mutex_init(&h->sync, NULL);
	pthread_cond_init(&h->cond, NULL);
	g_assert_cmpint(pthread_create(&h->thread, NULL, holder_thread, h), ==, 0);
	pthread_mutex_lock(&h->sync);
	while (!h->holding)
		pthread_cond_wait(&h->cond, &h->sync);
	pthread_mutex_unlock(&h->sync);
}

/* Returns what the holder's own unlock returned. */
static int holder_stop(struct holder *h)
{
	pthread_mutex_lock(&h->sync);
	h->let_go = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->sync);
	g_assert_cmpint(pthread_join(h->thread, NULL), ==, 0);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->sync);
	return h->unlock_rc;
}

/* An error-checking mutex answers a second lock by its owner with EDEADLK,
 * which tells whether this very thread holds it. */
static void errorcheck_mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	g_assert_cmpint(pthread_mutex_init(m, &attr), ==, 0);
	pthread_mutexattr_destroy(&attr);
}

static int try_with_cond_guard(pthread_mutex_t *m, bool *ran)
{
	objlife_scoped_cond_guard(mutex_try, return -EBUSY, m) {
		*ran = true;
		g_assert_cmpint(pthread_mutex_lock(m), ==, EDEADLK);  /* held by us */
		return 0;
	}
	g_assert_not_reached();
	return -1;
}

static void test_cond_guard_acquires_free_lock(void)
{
	pthread_mutex_t m;
	bool ran = false;
	int runs = 0;

	errorcheck_mutex_init(&m);
	objlife_scoped_guard(mutex_try, &m) {
		runs++;
		/* Held by this thread: a second lock is EDEADLK on this type. */
		g_assert_cmpint(pthread_mutex_lock(&m), ==, EDEADLK);
	}
	g_assert_cmpint(runs, ==, 1);
	g_assert_false(mutex_is_held(&m));                     /* released */

	g_assert_cmpint(try_with_cond_guard(&m, &ran), ==, 0);
	g_assert_true(ran);
	g_assert_false(mutex_is_held(&m));
	pthread_mutex_destroy(&m);
}

static void test_cond_guard_fails_when_held_elsewhere(void)
{
	struct holder h;
	pthread_mutex_t m;
	bool ran = false, failed = false;
	int after = 0;

	errorcheck_mutex_init(&m);
	holder_start(&h, &m);

	objlife_scoped_guard(mutex_try, &m) {
		ran = true;
	}
	g_assert_false(ran);

	g_assert_cmpint(try_with_cond_guard(&m, &ran), ==, -EBUSY);
	g_assert_false(ran);

	/* A fail statement that does not leave: the body is skipped and the
	 * code after the guard runs. */
	objlife_scoped_cond_guard(mutex_try, failed = true, &m) {
		ran = true;
	}
	after++;
	g_assert_true(failed);
	g_assert_false(ran);
	g_assert_cmpint(after, ==, 1);

	{
		objlife_guard(mutex_try)(&m);  /* anonymous: fails silently */
	}

	/* The holder still has it, and its own unlock works. */
	g_assert_true(mutex_is_held(&m));
	g_assert_cmpint(holder_stop(&h), ==, 0);
	g_assert_false(mutex_is_held(&m));
	pthread_mutex_destroy(&m);
}

/* A lock with return codes, to see what _RET and cond decide. */
struct fake_lock {
	int next_rc;      /* what the next try returns */
	int locks, unlocks;
};

static int fake_try(struct fake_lock *l)
{
	if (l->next_rc == 0)
		l->locks++;
	return l->next_rc;
}

static bool fake_try_bool(struct fake_lock *l)
{
	return fake_try(l) == 0;
}

OBJLIFE_DEFINE_GUARD(fake, struct fake_lock *, _T->locks++, _T->unlocks++);
/* Taken when the try returned 0 or 7: cond sees the result as _RET. */
OBJLIFE_DEFINE_GUARD_COND(fake, _rc, fake_try(_T), _RET == 0 || _RET == 7);
/* Without cond, a true result means taken. */
OBJLIFE_DEFINE_GUARD_COND(fake, _bool, fake_try_bool(_T));

static void test_cond_guard_ret_and_cond(void)
{
	struct fake_lock l = { 0, 0, 0 };
	int runs = 0;

	l.next_rc = -EAGAIN;
	objlife_scoped_guard(fake_rc, &l)
		runs++;
	g_assert_cmpint(runs, ==, 0);
	g_assert_cmpint(l.unlocks, ==, 0);    /* not taken: nothing unlocked */

	l.next_rc = 0;
	objlife_scoped_guard(fake_rc, &l)
		runs++;
	g_assert_cmpint(runs, ==, 1);
	g_assert_cmpint(l.locks, ==, 1);
	g_assert_cmpint(l.unlocks, ==, 1);

	l.next_rc = 7;                        /* cond accepts it */
	objlife_scoped_guard(fake_rc, &l)
		runs++;
	g_assert_cmpint(runs, ==, 2);
	g_assert_cmpint(l.unlocks, ==, 2);

	l.next_rc = 1;
	objlife_scoped_guard(fake_bool, &l)
		runs++;
	g_assert_cmpint(runs, ==, 2);
	g_assert_cmpint(l.unlocks, ==, 2);

	l.next_rc = 0;
	objlife_scoped_guard(fake_bool, &l)
		runs++;
	g_assert_cmpint(runs, ==, 3);
	g_assert_cmpint(l.unlocks, ==, 3);

	/* The base guard always takes it. */
	{
		objlife_guard(fake)(&l);

		g_assert_cmpint(l.locks, ==, 3);
	}
	g_assert_cmpint(l.unlocks, ==, 4);
}

/* objlife_scoped_cond_guard()'s fail statement runs inside the guard's own
 * hidden loop, as in the kernel's scoped_cond_guard(): `break` or
 * `continue` as fail leaves only that loop, so an enclosing loop goes on
 * with the rest of its iteration and with the next one, exactly as after
 * an expression statement. Only `return` (or a flag tested afterwards)
 * gets out of the enclosing loop. */
static int count_until_busy(struct fake_lock *l, int *iterations, int *bodies)
{
	for (int i = 0; i < 3; i++) {
		objlife_scoped_cond_guard(fake_rc, return -EBUSY, l)
			(*bodies)++;
		(*iterations)++;
	}
	return 0;
}

static void test_cond_guard_break_fail_stays_in_loop(void)
{
	struct fake_lock l = { -EAGAIN, 0, 0 };   /* every try fails */
	int iterations = 0, bodies = 0, fails = 0, i;

	for (i = 0; i < 3; i++) {
		objlife_scoped_cond_guard(fake_rc, break, &l)
			bodies++;
		iterations++;                     /* reached although fail said break */
	}
	g_assert_cmpint(i, ==, 3);
	g_assert_cmpint(iterations, ==, 3);

	for (i = 0; i < 3; i++) {
		objlife_scoped_cond_guard(fake_rc, continue, &l)
			bodies++;
		iterations++;                     /* reached although fail said continue */
	}
	g_assert_cmpint(i, ==, 3);
	g_assert_cmpint(iterations, ==, 6);

	/* The same as an expression statement for fail. */
	for (i = 0; i < 3; i++) {
		objlife_scoped_cond_guard(fake_rc, fails++, &l)
			bodies++;
		iterations++;
	}
	g_assert_cmpint(fails, ==, 3);
	g_assert_cmpint(iterations, ==, 9);

	/* return is what leaves the enclosing loop. */
	iterations = 0;
	g_assert_cmpint(count_until_busy(&l, &iterations, &bodies), ==, -EBUSY);
	g_assert_cmpint(iterations, ==, 0);

	g_assert_cmpint(bodies, ==, 0);
	g_assert_cmpint(l.locks, ==, 0);
	g_assert_cmpint(l.unlocks, ==, 0);
}

/* ---- acquire: a conditional guard that says why it failed ------------- */

static void test_acquire_err_is_the_errno_of_the_failed_acquire(void)
{
	struct fake_lock l = { -EINTR, 0, 0 };

	{
		objlife_acquire(fake_rc, held)(&l);

		g_assert_cmpint(objlife_acquire_err(fake_rc, &held), ==, -EINTR);
		g_assert_null(objlife_guard_ptr(fake_rc)(&held));
	}
	g_assert_cmpint(l.unlocks, ==, 0);    /* an error is not unlocked */
}

static void test_acquire_err_is_ebusy_for_a_failure_without_errno(void)
{
	struct fake_lock l = { 5, 0, 0 };     /* positive: not a -errno */

	{
		objlife_acquire(fake_bool, held)(&l);

		g_assert_cmpint(objlife_acquire_err(fake_bool, &held), ==, -EBUSY);
	}
	{
		objlife_acquire(fake_rc, held)(&l);

		g_assert_cmpint(objlife_acquire_err(fake_rc, &held), ==, -EBUSY);
	}
	g_assert_cmpint(l.unlocks, ==, 0);
}

static void test_acquire_err_is_zero_and_unlocks_when_taken(void)
{
	struct fake_lock l = { 0, 0, 0 };

	{
		objlife_acquire(fake_rc, held)(&l);

		g_assert_cmpint(objlife_acquire_err(fake_rc, &held), ==, 0);
		g_assert_true(objlife_guard_ptr(fake_rc)(&held) == &l);
		g_assert_cmpint(l.unlocks, ==, 0);
	}
	g_assert_cmpint(l.unlocks, ==, 1);
}

static void test_acquire_pthread_mutex_try_busy_is_ebusy(void)
{
	struct holder h;
	pthread_mutex_t m;

	errorcheck_mutex_init(&m);
	holder_start(&h, &m);
	{
		objlife_acquire(pthread_mutex_try, held)(&m);

		g_assert_cmpint(objlife_acquire_err(pthread_mutex_try, &held), ==, -EBUSY);
	}
	g_assert_true(mutex_is_held(&m));     /* the holder's, untouched */
	g_assert_cmpint(holder_stop(&h), ==, 0);
	pthread_mutex_destroy(&m);
}

static void test_guard_is_cond_tells_conditional_guards(void)
{
	g_assert_cmpint(objlife_guard_is_cond(fake), ==, 0);
	g_assert_cmpint(objlife_guard_is_cond(fake_rc), ==, 1);
	g_assert_cmpint(objlife_guard_is_cond(mutex_try), ==, 1);
}

/* ---- the pthread_ names of the ready-made guards ---------------------- */

static void test_guard_pthread_mutex_is_the_mutex_guard(void)
{
	pthread_mutex_t m;

	errorcheck_mutex_init(&m);
	{
		objlife_guard(pthread_mutex)(&m);

		g_assert_cmpint(pthread_mutex_lock(&m), ==, EDEADLK);
	}
	g_assert_false(mutex_is_held(&m));
	objlife_scoped_guard(pthread_mutex_try, &m)
		g_assert_cmpint(pthread_mutex_lock(&m), ==, EDEADLK);
	g_assert_false(mutex_is_held(&m));
	pthread_mutex_destroy(&m);
}

static void test_guard_pthread_rwlock_read_and_write(void)
{
	pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

	{
		objlife_guard(pthread_rwlock_write)(&rw);

		g_assert_cmpint(rw_probe(&rw, false), ==, EBUSY);
	}
	{
		objlife_guard(pthread_rwlock_read)(&rw);

		g_assert_cmpint(rw_probe(&rw, true), ==, EBUSY);
	}
	g_assert_cmpint(rw_probe(&rw, true), ==, 0);
	pthread_rwlock_destroy(&rw);
}

static void test_guard_pthread_spinlock(void)
{
#if defined(_POSIX_SPIN_LOCKS) && _POSIX_SPIN_LOCKS > 0
	pthread_spinlock_t spin;

	g_assert_cmpint(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE), ==, 0);
	{
		objlife_guard(pthread_spinlock)(&spin);

		g_assert_cmpint(pthread_spin_trylock(&spin), ==, EBUSY);
	}
	g_assert_cmpint(pthread_spin_trylock(&spin), ==, 0);
	pthread_spin_unlock(&spin);
	pthread_spin_destroy(&spin);
#else
	g_test_skip("no POSIX spinlocks here");
#endif
}

/* ---- lock guards: a struct with the lock and members of its own ------- */

struct irq_lock {
	int locked;
	unsigned long saved;      /* what the last unlock restored */
};

static unsigned long irq_lock_save(struct irq_lock *l)
{
	l->locked = 1;
	return 0x42;
}

static int irq_lock_try(struct irq_lock *l, unsigned long *flags)
{
	if (l->locked)
		return -EAGAIN;
	*flags = irq_lock_save(l);
	return 0;
}

static void irq_lock_restore(struct irq_lock *l, unsigned long flags)
{
	l->locked = 0;
	l->saved = flags;
}

OBJLIFE_DEFINE_LOCK_GUARD_1(irq_lock, struct irq_lock, _T->flags = irq_lock_save(_T->lock),
			    irq_lock_restore(_T->lock, _T->flags), unsigned long flags);
OBJLIFE_DEFINE_LOCK_GUARD_1_COND(irq_lock, _try, irq_lock_try(_T->lock, &_T->flags), _RET == 0);

static int section_depth;
OBJLIFE_DEFINE_LOCK_GUARD_0(section, section_depth++, section_depth--);

static void test_lock_guard_1_keeps_its_members_for_the_unlock(void)
{
	struct irq_lock l = { 0, 0 };

	objlife_scoped_class(irq_lock, held, &l) {
		g_assert_true(held.lock == &l);
		g_assert_cmpuint(held.flags, ==, 0x42);
		g_assert_cmpint(l.locked, ==, 1);
	}
	g_assert_cmpint(l.locked, ==, 0);
	g_assert_cmpuint(l.saved, ==, 0x42);
}

static void test_lock_guard_1_cond_keeps_the_errno_and_unlocks_nothing(void)
{
	struct irq_lock l = { 1, 0 };         /* already held */

	{
		objlife_acquire(irq_lock_try, held)(&l);

		g_assert_cmpint(objlife_acquire_err(irq_lock_try, &held), ==, -EAGAIN);
	}
	g_assert_cmpint(l.locked, ==, 1);
	g_assert_cmpuint(l.saved, ==, 0);     /* no restore ran */

	l.locked = 0;
	{
		objlife_acquire(irq_lock_try, held)(&l);

		g_assert_cmpint(objlife_acquire_err(irq_lock_try, &held), ==, 0);
	}
	g_assert_cmpint(l.locked, ==, 0);
	g_assert_cmpuint(l.saved, ==, 0x42);
}

static void test_lock_guard_0_takes_no_argument(void)
{
	{
		objlife_guard(section)();
		objlife_guard(section)();

		g_assert_cmpint(section_depth, ==, 2);
	}
	g_assert_cmpint(section_depth, ==, 0);
}

/* ---- classes: extended, initialised by hand; get_and_null ------------- */

OBJLIFE_DEFINE_CLASS(noted, int, log_add("exit", _T), n, int n);
OBJLIFE_EXTEND_CLASS(noted, _doubled, 2 * n, int n);

static void test_extend_class_constructs_its_way_and_exits_the_base_way(void)
{
	log_reset();
	{
		OBJLIFE_CLASS(noted_doubled, v)(4);

		g_assert_cmpint(v, ==, 8);
	}
	g_assert_cmpstr(run_log, ==, "exit:8");
}

static void test_class_init_takes_any_initialiser_and_still_exits(void)
{
	log_reset();
	{
		OBJLIFE_CLASS_INIT(noted, v, 3 + 4);

		g_assert_cmpint(v, ==, 7);
	}
	g_assert_cmpstr(run_log, ==, "exit:7");
}

static void test_get_and_null_leaves_the_given_empty_value(void)
{
	log_reset();
	{
		OBJLIFE_CLASS(noted, fd)(5);
		int taken = objlife_get_and_null(fd, -1);

		g_assert_cmpint(taken, ==, 5);
		g_assert_cmpint(fd, ==, -1);
	}
	g_assert_cmpstr(run_log, ==, "exit:-1");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cleanup/free/runs-at-scope-end", test_free_runs_at_scope_end);
	g_test_add_func("/cleanup/free/runs-on-return-break-continue", test_free_runs_on_every_exit);
	g_test_add_func("/cleanup/free/reverse-order-of-definition", test_free_lifo_order);
	g_test_add_func("/cleanup/free/class-free-is-libc-free", test_free_class_libc_free);
	g_test_add_func("/cleanup/free/class-objlife-put-drops-one-ref", test_free_class_objlife_put);
	g_test_add_func("/cleanup/free/class-of-ref-funcs-on-a-static-object",
			test_free_class_on_a_static_object);
	g_test_add_func("/cleanup/free/class-from-ref-funcs", test_free_class_from_ref_funcs);
	g_test_add_func("/cleanup/steal/hands-out-and-suppresses-cleanup", test_steal_hands_out_and_suppresses);
	g_test_add_func("/cleanup/steal/evaluates-its-argument-once", test_steal_evaluates_once);
	g_test_add_func("/cleanup/steal/return-ptr", test_steal_return_ptr);
	g_test_add_func("/cleanup/steal/retain-and-null", test_steal_retain_and_null);
	g_test_add_func("/cleanup/class/ctor-and-dtor", test_class_ctor_and_dtor);
	g_test_add_func("/cleanup/class/no-args", test_class_without_args);
	g_test_add_func("/cleanup/guard/holds-for-scope", test_guard_holds_for_scope);
	g_test_add_func("/cleanup/guard/nested", test_guard_nested);
	g_test_add_func("/cleanup/guard/two-step-lesson/defined-early-frees-unlocked",
			test_two_step_defined_early_frees_unlocked);
	g_test_add_func("/cleanup/guard/two-step-lesson/defined-after-guard-frees-locked",
			test_two_step_defined_after_frees_locked);
	g_test_add_func("/cleanup/guard/objlife-ref-holds-one-ref", test_guard_objlife_ref);
	g_test_add_func("/cleanup/guard/rwlock-read", test_guard_rwlock_read);
	g_test_add_func("/cleanup/guard/rwlock-write", test_guard_rwlock_write);
	g_test_add_func("/cleanup/guard/spinlock", test_guard_spinlock);
	g_test_add_func("/cleanup/scoped-guard/body-runs-once-locked", test_scoped_guard_body_once_locked);
	g_test_add_func("/cleanup/scoped-guard/break-leaves-guard-not-loop", test_scoped_guard_break_leaves_guard);
	g_test_add_func("/cleanup/scoped-guard/continue-leaves-guard-not-loop",
			test_scoped_guard_continue_leaves_guard);
	g_test_add_func("/cleanup/scoped-guard/return-releases", test_scoped_guard_return_releases);
	g_test_add_func("/cleanup/cond-guard/mutex-try-takes-free-lock", test_cond_guard_acquires_free_lock);
	g_test_add_func("/cleanup/cond-guard/mutex-try-fails-when-held-elsewhere",
			test_cond_guard_fails_when_held_elsewhere);
	g_test_add_func("/cleanup/cond-guard/ret-and-cond-decide", test_cond_guard_ret_and_cond);
	g_test_add_func("/cleanup/cond-guard/break-as-fail-does-not-leave-enclosing-loop",
			test_cond_guard_break_fail_stays_in_loop);
	g_test_add_func("/cleanup/acquire/err-is-the-errno-of-the-failed-acquire",
			test_acquire_err_is_the_errno_of_the_failed_acquire);
	g_test_add_func("/cleanup/acquire/err-is-ebusy-for-a-failure-without-errno",
			test_acquire_err_is_ebusy_for_a_failure_without_errno);
	g_test_add_func("/cleanup/acquire/err-is-zero-and-unlocks-when-taken",
			test_acquire_err_is_zero_and_unlocks_when_taken);
	g_test_add_func("/cleanup/acquire/pthread-mutex-try-busy-is-ebusy",
			test_acquire_pthread_mutex_try_busy_is_ebusy);
	g_test_add_func("/cleanup/acquire/guard-is-cond-tells-conditional-guards",
			test_guard_is_cond_tells_conditional_guards);
	g_test_add_func("/cleanup/guard/pthread-mutex-is-the-mutex-guard",
			test_guard_pthread_mutex_is_the_mutex_guard);
	g_test_add_func("/cleanup/guard/pthread-rwlock-read-and-write", test_guard_pthread_rwlock_read_and_write);
	g_test_add_func("/cleanup/guard/pthread-spinlock", test_guard_pthread_spinlock);
	g_test_add_func("/cleanup/lock-guard/1-keeps-its-members-for-the-unlock",
			test_lock_guard_1_keeps_its_members_for_the_unlock);
	g_test_add_func("/cleanup/lock-guard/1-cond-keeps-the-errno-and-unlocks-nothing",
			test_lock_guard_1_cond_keeps_the_errno_and_unlocks_nothing);
	g_test_add_func("/cleanup/lock-guard/0-takes-no-argument", test_lock_guard_0_takes_no_argument);
	g_test_add_func("/cleanup/class/extend-class-exits-the-base-way",
			test_extend_class_constructs_its_way_and_exits_the_base_way);
	g_test_add_func("/cleanup/class/class-init-still-exits",
			test_class_init_takes_any_initialiser_and_still_exits);
	g_test_add_func("/cleanup/steal/get-and-null-leaves-the-given-empty-value",
			test_get_and_null_leaves_the_given_empty_value);
	return g_test_run();
}
