/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * windows-guards - objlife.h and <objlife/cleanup.h> as a Windows compiler
 * without a pthreads port sees them (clang-cl, MSVC for the core API): no
 * <pthread.h>, the guards in Windows' spelling (on an SRWLOCK)
 * and the inline fast path on the Interlocked intrinsics.
 *
 * mingw-w64 has winpthreads and GCC's atomic builtins, so the portability
 * matrix's windows row builds this with -DOBJLIFE__TEST_NO_PTHREAD
 * -DOBJLIFE__TEST_WIN_ATOMICS, which make the headers take those paths,
 * and runs it under wine. It prints TAP and exits 0 when every case passed.
 */
#include <objlife/cleanup.h>
#include <stdio.h>
#include <string.h>

#ifdef OBJLIFE__HAVE_PTHREAD
# error "OBJLIFE__TEST_NO_PTHREAD did not take objlife.h off <pthread.h>"
#endif
#ifdef PTHREAD_MUTEX_INITIALIZER
# error "<pthread.h> was included"
#endif

static int n_cases, n_failed, case_failed;

#define CHECK(cond) do { \
		if (!(cond)) { \
			case_failed = 1; \
			printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		} \
	} while (0)

static unsigned releases;

static void count_release(struct objlife *obj)
{
	(void)obj;
	releases++;
}

static const struct objlife_ops ops = { .name = "win", .release = count_release };

static void mutex_guard_holds_srwlock_exclusively(void)
{
	SRWLOCK lock = SRWLOCK_INIT;

	{
		objlife_guard(mutex)(&lock);
		CHECK(!TryAcquireSRWLockShared(&lock));
	}
	CHECK(TryAcquireSRWLockExclusive(&lock));
	ReleaseSRWLockExclusive(&lock);
}

static void mutex_try_takes_a_free_lock_only(void)
{
	SRWLOCK lock = SRWLOCK_INIT;
	int ran = 0, failed = 0;

	objlife_scoped_cond_guard(mutex_try, failed = 1, &lock) {
		ran = 1;
		CHECK(!TryAcquireSRWLockExclusive(&lock));
	}
	CHECK(ran && !failed);
	AcquireSRWLockExclusive(&lock);
	ran = failed = 0;
	objlife_scoped_cond_guard(mutex_try, failed = 1, &lock) {
		ran = 1;
	}
	CHECK(!ran && failed);
	ReleaseSRWLockExclusive(&lock);
	CHECK(TryAcquireSRWLockExclusive(&lock));
	ReleaseSRWLockExclusive(&lock);
}

static void rwlock_guards_are_shared_and_exclusive(void)
{
	SRWLOCK lock = SRWLOCK_INIT;

	objlife_scoped_guard(rwlock_read, &lock) {
		CHECK(TryAcquireSRWLockShared(&lock));   /* readers share it */
		ReleaseSRWLockShared(&lock);
		CHECK(!TryAcquireSRWLockExclusive(&lock));
	}
	objlife_scoped_guard(rwlock_write, &lock) {
		CHECK(!TryAcquireSRWLockShared(&lock));
	}
	CHECK(TryAcquireSRWLockExclusive(&lock));
	ReleaseSRWLockExclusive(&lock);
}

static void interlocked_fast_path_counts(void)
{
	struct objlife *obj = objlife_alloc_size(&ops, sizeof(struct objlife), 1, NULL);

	releases = 0;
	CHECK(obj != NULL);
	if (!obj)
		return;
	{
		objlife_guard(objlife_ref)(obj);
		CHECK(objlife_refcount(obj) == 2);
		CHECK(objlife_get_unless_zero(obj));
		CHECK(objlife_refcount(obj) == 3);
		objlife_put(obj);
	}
	CHECK(objlife_refcount(obj) == 1);
	{
		struct objlife *held objlife_auto(objlife_put) = objlife_get(obj);

		CHECK(held == obj && objlife_refcount(obj) == 2);
	}
	CHECK(releases == 0);
	objlife_put(obj);
	CHECK(releases == 1);
}

static void run(const char *name, void (*fn)(void))
{
	case_failed = 0;
	fn();
	n_cases++;
	n_failed += case_failed;
	printf("%s %d - %s\n", case_failed ? "not ok" : "ok", n_cases, name);
	fflush(stdout);
}

int main(void)
{
	run("/windows/guard/mutex-holds-srwlock-exclusively", mutex_guard_holds_srwlock_exclusively);
	run("/windows/guard/mutex-try-takes-a-free-lock-only", mutex_try_takes_a_free_lock_only);
	run("/windows/guard/rwlock-shared-and-exclusive", rwlock_guards_are_shared_and_exclusive);
	run("/windows/inline/interlocked-fast-path", interlocked_fast_path_counts);
	printf("1..%d\n", n_cases);
	return n_failed ? 1 : 0;
}
