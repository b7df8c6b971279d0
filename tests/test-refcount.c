/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The count's rules (objlife(7)): saturation on overflow, get on zero
 * and put below zero, one report per object, silence after,
 * get_unless_zero and put_mutex. Built twice: once through the header's
 * inline fast path, once (test-refcount-noinline) through the exported
 * functions, which must behave the same.
 */
#include "testutil.h"

#include <unistd.h>

#ifdef OBJLIFE_NO_INLINE
# define PATH "/refcount-exported"
#else
# define PATH "/refcount-inline"
#endif

/* A type whose memory the test owns, so that operations on a "dead"
 * object touch valid memory and can be observed. */
static int releases, frees;
static unsigned char arena[4][64] __attribute__((aligned(64)));
static unsigned arena_next;

static void *arena_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops;
	g_assert_cmpuint(size, <=, sizeof(arena[0]));
	g_assert_cmpuint(align, <=, 64);
	g_assert_cmpuint(arena_next, <, G_N_ELEMENTS(arena));
	memset(arena[arena_next], 0, sizeof(arena[0]));
	return arena[arena_next++];
}

static void arena_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops; (void)mem; (void)size;
	frees++;
}

static void count_release(struct objlife *obj)
{
	(void)obj;
	releases++;
}

static const struct objlife_ops arena_ops = {
	.name = "arena",
	.release = count_release,
	.alloc = arena_alloc,
	.free = arena_free,
};

static struct objlife *new_obj(void)
{
	struct objlife *obj;

	releases = frees = 0;
	arena_next = 0;
	tu_events_start();
	obj = objlife_alloc_size(&arena_ops, sizeof(struct objlife), 8, NULL);
	g_assert_nonnull(obj);
	return obj;
}

static void assert_report_line(const char *word, const struct objlife *obj, uint32_t count)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "objlife: %s: type=arena obj=%p count=%u: ", word,
		 (const void *)obj, (unsigned)count);
	g_assert_cmpstr(tu_events.message[0], >=, prefix);
	g_assert_true(strncmp(tu_events.message[0], prefix, strlen(prefix)) == 0);
	g_assert_null(strchr(tu_events.message[0], '\n'));
}

/* A saturated object ignores everything and reports nothing more. */
static void assert_pinned_and_silent(struct objlife *obj)
{
	unsigned before = tu_events_count();
	int i;

	for (i = 0; i < 3; i++) {
		objlife_get(obj);
		objlife_put(obj);
		objlife_put(obj);
		g_assert_true(objlife_get_unless_zero(obj));
	}
	g_assert_cmpuint(objlife_refcount(obj), ==, OBJLIFE_REFCOUNT_SATURATED);
	g_assert_cmpuint(tu_events_count(), ==, before);
	g_assert_cmpint(releases, ==, 0);
	g_assert_cmpint(frees, ==, 0);
}

static void test_overflow_saturates_and_reports_once(void)
{
	struct objlife *obj = new_obj();

	tu_preset_count(obj, OBJLIFE_REFCOUNT_MAX - 1);
	objlife_get(obj);
	g_assert_cmpuint(objlife_refcount(obj), ==, OBJLIFE_REFCOUNT_MAX);
	g_assert_cmpuint(tu_events_count(), ==, 0);
	objlife_get(obj);
	g_assert_cmpuint(objlife_refcount(obj), ==, OBJLIFE_REFCOUNT_SATURATED);
	tu_assert_one_event(OBJLIFE_EVENT_OVERFLOW, obj);
	assert_report_line("OVERFLOW", obj, OBJLIFE_REFCOUNT_MAX);
	assert_pinned_and_silent(obj);
}

static void test_get_unless_zero_overflow_saturates(void)
{
	struct objlife *obj = new_obj();

	tu_preset_count(obj, OBJLIFE_REFCOUNT_MAX);
	g_assert_true(objlife_get_unless_zero(obj));
	tu_assert_one_event(OBJLIFE_EVENT_OVERFLOW, obj);
	assert_pinned_and_silent(obj);
}

static void test_get_on_zero_saturates(void)
{
	struct objlife *obj = new_obj();

	/* The object's memory is the test's: emulate a dead object. */
	tu_preset_count(obj, 0);
	objlife_get(obj);
	tu_assert_one_event(OBJLIFE_EVENT_GET_ON_ZERO, obj);
	assert_report_line("GET_ON_ZERO", obj, 0);
	assert_pinned_and_silent(obj);
}

static void test_put_below_zero_saturates(void)
{
	struct objlife *obj = new_obj();

	tu_preset_count(obj, 0);
	objlife_put(obj);
	tu_assert_one_event(OBJLIFE_EVENT_UNDERFLOW, obj);
	assert_report_line("UNDERFLOW", obj, 0);
	assert_pinned_and_silent(obj);
}

static void test_double_put_after_release(void)
{
	struct objlife *obj = new_obj();

	objlife_put(obj);
	g_assert_cmpint(releases, ==, 1);
	g_assert_cmpint(frees, ==, 1);
	/* The arena keeps the memory: the second put is seen, not a crash. */
	objlife_put(obj);
	tu_assert_one_event(OBJLIFE_EVENT_UNDERFLOW, obj);
	g_assert_cmpint(releases, ==, 1);
	g_assert_cmpint(frees, ==, 1);
}

static void test_put_on_unreported_saturated_count(void)
{
	struct objlife *obj = new_obj();

	/* A saturated count nobody reported (memory scribbled over, say). */
	tu_preset_count(obj, OBJLIFE_REFCOUNT_SATURATED);
	objlife_put(obj);
	tu_assert_one_event(OBJLIFE_EVENT_UNDERFLOW, obj);
	g_assert_nonnull(strstr(tu_events.message[0], "saturated"));
	assert_pinned_and_silent(obj);
}

static void test_get_on_unreported_saturated_count(void)
{
	struct objlife *obj = new_obj();

	tu_preset_count(obj, OBJLIFE_REFCOUNT_SATURATED + 5);
	objlife_get(obj);
	tu_assert_one_event(OBJLIFE_EVENT_OVERFLOW, obj);
	assert_pinned_and_silent(obj);
}

static void test_get_unless_zero_on_unreported_saturated_count(void)
{
	struct objlife *obj = new_obj();

	tu_preset_count(obj, 0xffffffffu);
	g_assert_true(objlife_get_unless_zero(obj));
	tu_assert_one_event(OBJLIFE_EVENT_OVERFLOW, obj);
	assert_pinned_and_silent(obj);
}

static void test_refcount_reads_saturated_as_pinned(void)
{
	struct objlife *obj = new_obj();

	tu_preset_count(obj, OBJLIFE_REFCOUNT_SATURATED + 3);
	g_assert_cmpuint(objlife_refcount(obj), ==, OBJLIFE_REFCOUNT_SATURATED);
	tu_preset_count(obj, 1);
	objlife_put(obj);
}

/* ---- rule 4: get_unless_zero ------------------------------------------ */

static void test_get_unless_zero_takes_a_ref(void)
{
	struct objlife *obj = new_obj();

	g_assert_true(objlife_get_unless_zero(obj));
	g_assert_cmpuint(objlife_refcount(obj), ==, 2);
	objlife_put(obj);
	objlife_put(obj);
	g_assert_cmpint(releases, ==, 1);
}

static void test_get_unless_zero_fails_on_zero(void)
{
	struct objlife *obj = new_obj();

	objlife_put(obj);
	g_assert_cmpint(releases, ==, 1);
	/* Dead, but the memory is the arena's: the count reads 0. */
	g_assert_false(objlife_get_unless_zero(obj));
	g_assert_cmpuint(objlife_refcount(obj), ==, 0);
	g_assert_cmpuint(tu_events_count(), ==, 0);
}

/* ---- rule 3: put_mutex ------------------------------------------------ */

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *release_lock;   /* what release_checks_lock() tries */
static int lock_held_in_release = -1;

static void release_checks_lock(struct objlife *obj)
{
	int rc = pthread_mutex_trylock(release_lock);

	(void)obj;
	/* EBUSY: the put_mutex caller holds it. */
	lock_held_in_release = rc == EBUSY;
	if (rc == 0)
		pthread_mutex_unlock(release_lock);
	releases++;
}

static const struct objlife_ops locked_ops = {
	.name = "locked",
	.release = release_checks_lock,
	.alloc = arena_alloc,
	.free = arena_free,
};

static struct objlife *new_locked(void)
{
	releases = frees = 0;
	arena_next = 0;
	lock_held_in_release = -1;
	release_lock = &table_lock;
	tu_events_start();
	return objlife_alloc_size(&locked_ops, sizeof(struct objlife), 8, NULL);
}

static void test_put_mutex_non_last_leaves_lock_alone(void)
{
	/* In a subprocess with a time limit: a put_mutex that tried to take the
	 * lock this thread holds would deadlock, and the limit turns that into
	 * a failure instead of a hang. */
	if (g_test_subprocess()) {
		struct objlife *obj = new_locked();

		objlife_get(obj);
		pthread_mutex_lock(&table_lock);
		g_assert_false(objlife_put_mutex(obj, &table_lock));
		pthread_mutex_unlock(&table_lock);
		g_assert_cmpuint(objlife_refcount(obj), ==, 1);
		g_assert_cmpint(releases, ==, 0);
		objlife_put(obj);
		g_assert_cmpint(releases, ==, 1);
		return;
	}
	g_test_trap_subprocess(NULL, 10 * G_TIME_SPAN_SECOND, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
}

static void test_put_mutex_last_releases_under_lock(void)
{
	struct objlife *obj = new_locked();

	g_assert_true(objlife_put_mutex(obj, &table_lock));
	g_assert_cmpint(releases, ==, 1);
	g_assert_cmpint(lock_held_in_release, ==, 1);
	g_assert_cmpint(frees, ==, 1);
	/* Unlocked on return. */
	g_assert_cmpint(pthread_mutex_trylock(&table_lock), ==, 0);
	pthread_mutex_unlock(&table_lock);
}

static void test_put_mutex_null_lock_is_einval_but_puts(void)
{
	struct objlife *obj = new_locked();

	objlife_get(obj);
	errno = 0;
	g_assert_false(objlife_put_mutex(obj, NULL));
	g_assert_cmpint(errno, ==, EINVAL);
	g_assert_cmpuint(objlife_refcount(obj), ==, 1);
	g_assert_true(objlife_put_mutex(obj, NULL));
	g_assert_cmpint(releases, ==, 1);
	g_assert_cmpint(frees, ==, 1);
}

static void test_put_mutex_null_obj(void)
{
	g_assert_false(objlife_put_mutex(NULL, &table_lock));
	g_assert_cmpint(pthread_mutex_trylock(&table_lock), ==, 0);
	pthread_mutex_unlock(&table_lock);
}

static void test_put_mutex_lock_error_still_puts(void)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t checked;
	struct objlife *obj = new_locked();

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&checked, &attr);
	pthread_mutexattr_destroy(&attr);
	/* Relocking an error-checking mutex fails with EDEADLK. */
	pthread_mutex_lock(&checked);
	g_assert_true(objlife_put_mutex(obj, &checked));
	g_assert_cmpint(releases, ==, 1);
	g_assert_cmpint(frees, ==, 1);
	pthread_mutex_unlock(&checked);
	pthread_mutex_destroy(&checked);
}

static void test_put_mutex_on_saturated_count(void)
{
	struct objlife *obj = new_locked();

	tu_preset_count(obj, OBJLIFE_REFCOUNT_SATURATED);
	g_assert_false(objlife_put_mutex(obj, &table_lock));
	tu_assert_one_event(OBJLIFE_EVENT_UNDERFLOW, obj);
	g_assert_false(objlife_put_mutex(obj, &table_lock));
	g_assert_cmpuint(tu_events_count(), ==, 1);
	g_assert_cmpint(releases, ==, 0);
}

static void test_put_mutex_below_zero(void)
{
	struct objlife *obj = new_locked();

	g_assert_true(objlife_put_mutex(obj, &table_lock));
	g_assert_false(objlife_put_mutex(obj, &table_lock));
	tu_assert_one_event(OBJLIFE_EVENT_UNDERFLOW, obj);
	g_assert_cmpint(releases, ==, 1);
	g_assert_cmpint(frees, ==, 1);
}

/* A robust mutex whose owner died holding it: the next lock takes it and
 * returns EOWNERDEAD. */
static void *lock_and_exit(void *lock)
{
	g_assert_cmpint(pthread_mutex_lock(lock), ==, 0);
	return NULL;
}

static void init_owner_died(pthread_mutex_t *lock)
{
	pthread_mutexattr_t attr;
	pthread_t owner;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	g_assert_cmpint(pthread_mutex_init(lock, &attr), ==, 0);
	pthread_mutexattr_destroy(&attr);
	g_assert_cmpint(pthread_create(&owner, NULL, lock_and_exit, lock), ==, 0);
	g_assert_cmpint(pthread_join(owner, NULL), ==, 0);
}

/* Whether an owner's death is seen at all: qemu's user mode has no
 * set_robust_list, and there the mutex just stays locked (a lock would
 * wait forever). There the robust-mutex cases cannot exist, and are not
 * registered (main() says so in a TAP comment). */
static bool owner_death_is_seen(void)
{
	pthread_mutex_t probe;
	int rc;

	init_owner_died(&probe);
	rc = pthread_mutex_trylock(&probe);
	if (rc == EOWNERDEAD || rc == 0)
		pthread_mutex_unlock(&probe);
	pthread_mutex_destroy(&probe);
	return rc == EOWNERDEAD;
}

static void test_put_mutex_owner_died_releases_under_lock(void)
{
	pthread_mutex_t robust;
	struct objlife *obj;

	obj = new_locked();
	init_owner_died(&robust);
	release_lock = &robust;
	errno = 0;
	g_assert_true(objlife_put_mutex(obj, &robust));
	g_assert_cmpint(errno, ==, EOWNERDEAD);
	g_assert_cmpint(releases, ==, 1);
	g_assert_cmpint(lock_held_in_release, ==, 1);
	g_assert_cmpint(frees, ==, 1);
	pthread_mutex_destroy(&robust);
}

static void test_put_mutex_owner_died_leaves_lock_unrecoverable(void)
{
	pthread_mutex_t robust;
	struct objlife *obj;

	obj = new_locked();
	init_owner_died(&robust);
	release_lock = &robust;
	objlife_put_mutex(obj, &robust);
	/* Not held on return (EBUSY), and not marked consistent (0): the
	 * state it protects is the caller's to judge, so later locks fail.
	 * (Once: glibc's trylock leaves an unrecoverable mutex locked.) */
	g_assert_cmpint(pthread_mutex_trylock(&robust), ==, ENOTRECOVERABLE);
	pthread_mutex_destroy(&robust);
}

static void test_put_mutex_unrecoverable_lock_still_puts(void)
{
	pthread_mutex_t robust;
	struct objlife *obj;

	obj = new_locked();
	init_owner_died(&robust);
	release_lock = &robust;
	/* Left unrecoverable by its owner's death, as the test above shows. */
	g_assert_cmpint(pthread_mutex_lock(&robust), ==, EOWNERDEAD);
	pthread_mutex_unlock(&robust);
	errno = 0;
	g_assert_true(objlife_put_mutex(obj, &robust));
	g_assert_cmpint(errno, ==, ENOTRECOVERABLE);
	g_assert_cmpint(releases, ==, 1);
	g_assert_cmpint(frees, ==, 1);
	pthread_mutex_destroy(&robust);
}

/* put_mutex returns true only when release ran and the memory went back:
 * never for an object that leaks instead. */
static int put_mutex_in_init = -1;

static int init_put_mutex_own_ref(struct objlife *obj, void *arg)
{
	(void)arg;
	put_mutex_in_init = objlife_put_mutex(obj, &table_lock);
	return 0;
}

static const struct objlife_ops put_in_init_ops = {
	.name = "put-in-init",
	.init = init_put_mutex_own_ref,
	.release = count_release,
	.alloc = arena_alloc,
	.free = arena_free,
};

static void test_put_mutex_inside_init_returns_false(void)
{
	struct objlife *obj;

	releases = frees = 0;
	arena_next = 0;
	put_mutex_in_init = -1;
	tu_events_start();
	obj = objlife_alloc_size(&put_in_init_ops, sizeof(struct objlife), 8, NULL);
	g_assert_nonnull(obj);
	/* Nothing was released or freed: the object leaks, saturated. */
	g_assert_cmpint(put_mutex_in_init, ==, 0);
	g_assert_cmpint(releases, ==, 0);
	g_assert_cmpint(frees, ==, 0);
	tu_assert_one_event(OBJLIFE_EVENT_UNDERFLOW, obj);
	g_assert_cmpuint(objlife_refcount(obj), ==, OBJLIFE_REFCOUNT_SATURATED);
	g_assert_cmpint(pthread_mutex_trylock(&table_lock), ==, 0);
	pthread_mutex_unlock(&table_lock);
	objlife_may_leak(obj);
}

static void release_takes_a_ref(struct objlife *obj)
{
	objlife_get(obj);
	releases++;
}

static const struct objlife_ops resurrect_ops = {
	.name = "resurrect",
	.release = release_takes_a_ref,
	.alloc = arena_alloc,
	.free = arena_free,
};

static struct objlife *new_resurrecting(void)
{
	struct objlife *obj;

	releases = frees = 0;
	arena_next = 0;
	tu_events_start();
	obj = objlife_alloc_size(&resurrect_ops, sizeof(struct objlife), 8, NULL);
	g_assert_nonnull(obj);
	return obj;
}

static void test_put_mutex_release_taking_a_ref_returns_false(void)
{
	struct objlife *obj = new_resurrecting();

	/* release ran, but took a reference: the memory stays, leaked. */
	g_assert_false(objlife_put_mutex(obj, &table_lock));
	g_assert_cmpint(releases, ==, 1);
	g_assert_cmpint(frees, ==, 0);
	tu_assert_one_event(OBJLIFE_EVENT_GET_ON_ZERO, obj);
	g_assert_cmpint(pthread_mutex_trylock(&table_lock), ==, 0);
	pthread_mutex_unlock(&table_lock);
	objlife_may_leak(obj);
}

static void test_put_mutex_lock_error_release_taking_a_ref_returns_false(void)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t checked;
	struct objlife *obj = new_resurrecting();

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&checked, &attr);
	pthread_mutexattr_destroy(&attr);
	/* EDEADLK: the reference goes without the lock, and leaks. */
	pthread_mutex_lock(&checked);
	g_assert_false(objlife_put_mutex(obj, &checked));
	g_assert_cmpint(releases, ==, 1);
	g_assert_cmpint(frees, ==, 0);
	tu_assert_one_event(OBJLIFE_EVENT_GET_ON_ZERO, obj);
	pthread_mutex_unlock(&checked);
	pthread_mutex_destroy(&checked);
	objlife_may_leak(obj);
}

/* A lookup under the table's lock takes a reference while the last put
 * waits for that lock. */
struct put_mutex_race {
	pthread_mutex_t lock;
	struct tu_obj *obj;
	bool last;
};

static void *put_last_reference(void *p)
{
	struct put_mutex_race *r = p;

	r->last = objlife_put_mutex(&r->obj->ref, &r->lock);
	return NULL;
}

static void test_put_mutex_keeps_an_object_that_gained_a_holder_under_the_lock(void)
{
	struct put_mutex_race r = { PTHREAD_MUTEX_INITIALIZER, NULL, true };
	struct tu_counts c = { 0 };
	pthread_t thread;

	r.obj = tu_new(&c);
	/* The table's lock is held: the last put waits for it, and meanwhile a
	 * lookup under the lock takes a reference (a plain get, as rule 3
	 * allows). Whether the put saw the count at 1 and waited, or at 2, it
	 * must not release. */
	pthread_mutex_lock(&r.lock);
	g_assert_cmpint(pthread_create(&thread, NULL, put_last_reference, &r), ==, 0);
	usleep(50 * 1000);
	tu_get(r.obj);
	pthread_mutex_unlock(&r.lock);
	pthread_join(thread, NULL);
	g_assert_false(r.last);
	g_assert_cmpint(c.releases, ==, 0);
	g_assert_cmpuint(objlife_refcount(&r.obj->ref), ==, 1);
	/* The new holder's put is the last. */
	g_assert_true(objlife_put_mutex(&r.obj->ref, &r.lock));
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpint(pthread_mutex_trylock(&r.lock), ==, 0);
	pthread_mutex_unlock(&r.lock);
}

/* ---- OBJLIFE_DEBUG=abort: the default handler aborts ------------------ */

static void test_abort_option_aborts_on_misuse(void)
{
	if (g_test_subprocess()) {
		struct objlife *obj = new_obj();

		objlife_set_report_handler(NULL, NULL);
		tu_preset_count(obj, 0);
		objlife_put(obj);
		/* Not reached: the default handler aborted. */
		exit(0);
	}
	setenv("OBJLIFE_DEBUG", "abort", 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG");
	g_test_trap_assert_failed();
	g_test_trap_assert_stderr("*objlife: UNDERFLOW: type=arena obj=0x* count=0: put below zero*");
}

static void test_misuse_continues_by_default(void)
{
	if (g_test_subprocess()) {
		struct objlife *obj = new_obj();

		objlife_set_report_handler(NULL, NULL);
		tu_preset_count(obj, 0);
		objlife_put(obj);
		objlife_get(obj);
		printf("still here\n");
		exit(0);
	}
	unsetenv("OBJLIFE_DEBUG");
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stdout("still here*");
	/* One report for the object, not one per misuse. */
	g_test_trap_assert_stderr("objlife: UNDERFLOW: type=arena obj=0x* count=0: put below zero; the object will leak\n");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func(PATH "/saturate/overflow-reports-once", test_overflow_saturates_and_reports_once);
	g_test_add_func(PATH "/saturate/get-unless-zero-overflow", test_get_unless_zero_overflow_saturates);
	g_test_add_func(PATH "/saturate/get-on-zero", test_get_on_zero_saturates);
	g_test_add_func(PATH "/saturate/put-below-zero", test_put_below_zero_saturates);
	g_test_add_func(PATH "/saturate/double-put-after-release", test_double_put_after_release);
	g_test_add_func(PATH "/saturate/put-on-unreported-saturated", test_put_on_unreported_saturated_count);
	g_test_add_func(PATH "/saturate/get-on-unreported-saturated", test_get_on_unreported_saturated_count);
	g_test_add_func(PATH "/saturate/get-unless-zero-on-unreported-saturated",
			test_get_unless_zero_on_unreported_saturated_count);
	g_test_add_func(PATH "/saturate/refcount-reads-pinned", test_refcount_reads_saturated_as_pinned);
	g_test_add_func(PATH "/get-unless-zero/takes-a-ref", test_get_unless_zero_takes_a_ref);
	g_test_add_func(PATH "/get-unless-zero/fails-on-zero", test_get_unless_zero_fails_on_zero);
	g_test_add_func(PATH "/put-mutex/non-last-leaves-lock-alone", test_put_mutex_non_last_leaves_lock_alone);
	g_test_add_func(PATH "/put-mutex/last-releases-under-lock", test_put_mutex_last_releases_under_lock);
	g_test_add_func(PATH "/put-mutex/null-lock-is-einval-but-puts", test_put_mutex_null_lock_is_einval_but_puts);
	g_test_add_func(PATH "/put-mutex/null-obj", test_put_mutex_null_obj);
	g_test_add_func(PATH "/put-mutex/lock-error-still-puts", test_put_mutex_lock_error_still_puts);
	g_test_add_func(PATH "/put-mutex/saturated", test_put_mutex_on_saturated_count);
	g_test_add_func(PATH "/put-mutex/below-zero", test_put_mutex_below_zero);
	if (owner_death_is_seen()) {
		g_test_add_func(PATH "/put-mutex/owner-died/releases-under-lock",
				test_put_mutex_owner_died_releases_under_lock);
		g_test_add_func(PATH "/put-mutex/owner-died/leaves-lock-unrecoverable",
				test_put_mutex_owner_died_leaves_lock_unrecoverable);
		g_test_add_func(PATH "/put-mutex/unrecoverable-lock-still-puts",
				test_put_mutex_unrecoverable_lock_still_puts);
	} else if (!g_test_subprocess()) {
		/* Not in a subprocess trap's child: its stdout is what the
		 * parent case checks. */
		printf("# robust mutexes do not see their owner die here (qemu's user mode has no "
		       "set_robust_list): the owner-died cases are not registered\n");
	}
	g_test_add_func(PATH "/put-mutex/inside-init-returns-false", test_put_mutex_inside_init_returns_false);
	g_test_add_func(PATH "/put-mutex/release-taking-a-ref-returns-false",
			test_put_mutex_release_taking_a_ref_returns_false);
	g_test_add_func(PATH "/put-mutex/lock-error-release-taking-a-ref-returns-false",
			test_put_mutex_lock_error_release_taking_a_ref_returns_false);
	g_test_add_func(PATH "/put-mutex/holder-gained-under-the-lock-keeps-the-object",
			test_put_mutex_keeps_an_object_that_gained_a_holder_under_the_lock);
	g_test_add_func(PATH "/abort/option-aborts-on-misuse", test_abort_option_aborts_on_misuse);
	g_test_add_func(PATH "/abort/misuse-continues-by-default", test_misuse_continues_by_default);
	return g_test_run();
}
