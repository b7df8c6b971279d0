/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * core-check - the core contract of objlife.h, checked without GLib, so
 * that it runs wherever the library builds: musl, s390x under qemu-user,
 * Windows under wine (tests/portable/run-matrix.sh builds and runs it
 * there; the GTest suite needs GLib and covers the same rules in depth).
 *
 * It prints TAP: one line per case, the plan at the end, and "# " lines
 * saying which check failed and what the platform is. It exits 0 when every
 * case passed. Only C99, <objlife.h> and POSIX threads (winpthreads on
 * Windows) are used.
 *
 * The reference-count cases run twice: through the header's inline fast
 * path ("[inline]") and through the exported functions ("[exported]"),
 * whose names in parentheses are not expanded as the header's macros.
 *
 * Objects that are meant to be touched after their last put (a get on a
 * dead object is a use after free the library must catch) come from a
 * static pool whose free keeps the memory: the object is dead for the
 * library but still readable for the check.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
# define _POSIX_C_SOURCE 200809L   /* setenv, unsetenv */
#endif

#include <errno.h>
#include <objlife.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The alignment of TYPE, in C99 as well. */
#define ALIGNOF(TYPE) offsetof(struct { char c; TYPE t; }, t)

/* ---- TAP ----------------------------------------------------------- */

static int n_cases, n_failed, case_failed;

#define CHECK(cond) do { \
		if (!(cond)) { \
			case_failed = 1; \
			printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		} \
	} while (0)

#define CHECK_EQ(a, b) do { \
		unsigned long long check_a_ = (unsigned long long)(a), check_b_ = (unsigned long long)(b); \
		if (check_a_ != check_b_) { \
			case_failed = 1; \
			printf("# %s:%d: check failed: %s == %s (0x%llx != 0x%llx)\n", \
			       __FILE__, __LINE__, #a, #b, check_a_, check_b_); \
		} \
	} while (0)

/* ---- the two spellings of get and put ------------------------------ */

struct api {
	const char *suffix;
	struct objlife *(*get)(struct objlife *obj);
	void (*put)(struct objlife *obj);
	bool (*get_unless_zero)(struct objlife *obj);
};

static struct objlife *inline_get(struct objlife *obj) { return objlife_get(obj); }
static void inline_put(struct objlife *obj) { objlife_put(obj); }
static bool inline_get_unless_zero(struct objlife *obj) { return objlife_get_unless_zero(obj); }

static const struct api apis[] = {
	{ " [inline]", inline_get, inline_put, inline_get_unless_zero },
	{ " [exported]", (objlife_get), (objlife_put), (objlife_get_unless_zero) },
};

/* ---- recorded reports ---------------------------------------------- */

static struct {
	pthread_mutex_t lock;
	unsigned n;
	enum objlife_event event;       /* the first one */
	const struct objlife *obj;
	char message[256];
} reports = { PTHREAD_MUTEX_INITIALIZER, 0, OBJLIFE_EVENT_GET_ON_ZERO, NULL, "" };

static void record(enum objlife_event event, const struct objlife *obj, const char *message,
		   void *data)
{
	(void)data;
	pthread_mutex_lock(&reports.lock);
	if (reports.n++ == 0) {
		reports.event = event;
		reports.obj = obj;
		snprintf(reports.message, sizeof(reports.message), "%s", message);
	}
	pthread_mutex_unlock(&reports.lock);
}

/* Checks that exactly one report came, of @event for @obj, and that its
 * text starts "objlife: WORD: type=NAME obj=". */
static void check_one_report(enum objlife_event event, const char *word, const struct objlife *obj,
			     const char *type)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "objlife: %s: type=%s obj=", word, type);
	CHECK_EQ(reports.n, 1);
	CHECK_EQ(reports.event, event);
	CHECK(reports.obj == obj);
	CHECK(strncmp(reports.message, prefix, strlen(prefix)) == 0);
	if (strncmp(reports.message, prefix, strlen(prefix)) != 0)
		printf("# report: \"%s\"\n", reports.message);
}

/* ---- a counting type, with a pool that keeps freed memory ---------- */

#define POOL_SLOTS 64
#define POOL_SLOT 512            /* bytes per slot, a multiple of POOL_ALIGN */
#define POOL_ALIGN 64

static union {
	unsigned char bytes[POOL_SLOTS * POOL_SLOT + POOL_ALIGN];
	long double ld;
	void *p;
	long long ll;
} pool_mem;
static unsigned pool_used;

static struct {
	unsigned inits, releases, allocs, frees;
	void *alloc_ptr, *free_ptr;         /* the last ones */
	size_t alloc_size, free_size;
	size_t alloc_align;                 /* what the last alloc was asked for */
	int init_ret;                       /* what init returns */
	bool init_takes_ref;                /* init leaks a reference */
	bool init_saw_zeroed, init_saw_count_one;
	pthread_mutex_t *lock_in_release;   /* checked held inside release */
	bool release_saw_lock_held;
} track;

static void *pool_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	uintptr_t base = ((uintptr_t)pool_mem.bytes + POOL_ALIGN - 1) & ~(uintptr_t)(POOL_ALIGN - 1);
	unsigned char *mem;

	(void)ops;
	if (size > POOL_SLOT || align > POOL_ALIGN || pool_used == POOL_SLOTS)
		return NULL;
	mem = (unsigned char *)base + (size_t)pool_used++ * POOL_SLOT;
	memset(mem, 0, size);
	track.allocs++;
	track.alloc_ptr = mem;
	track.alloc_size = size;
	track.alloc_align = align;
	return mem;
}

/* Records the call and keeps the memory: slots are never reused. */
static void pool_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	track.frees++;
	track.free_ptr = mem;
	track.free_size = size;
}

struct thing {
	struct objlife ref;
	int payload[16];
};

static int thing_init(struct objlife *obj, void *arg)
{
	struct thing *t = (struct thing *)obj;
	size_t i;

	(void)arg;
	track.inits++;
	track.init_saw_count_one = objlife_refcount(obj) == 1;
	track.init_saw_zeroed = true;
	for (i = 0; i < sizeof(t->payload) / sizeof(t->payload[0]); i++)
		if (t->payload[i])
			track.init_saw_zeroed = false;
	if (track.init_takes_ref)
		(objlife_get)(obj);
	return track.init_ret;
}

static void thing_release(struct objlife *obj)
{
	(void)obj;
	track.releases++;
	if (track.lock_in_release)
		track.release_saw_lock_held = pthread_mutex_trylock(track.lock_in_release) == EBUSY;
}

static const struct objlife_ops thing_ops = {
	.name = "thing", .init = thing_init, .release = thing_release,
	.alloc = pool_alloc, .free = pool_free,
};
/* The library's own allocator. */
static const struct objlife_ops plain_ops = {
	.name = "plain", .init = thing_init, .release = thing_release,
};
static const struct objlife_ops other_ops = { .name = "other" };

static void reset(void)
{
	memset(&track, 0, sizeof(track));
	pthread_mutex_lock(&reports.lock);
	reports.n = 0;
	reports.obj = NULL;
	reports.message[0] = '\0';
	pthread_mutex_unlock(&reports.lock);
	objlife_set_report_handler(record, NULL);
}

static struct thing *new_thing(const struct objlife_ops *ops)
{
	struct thing *t = objlife_alloc(struct thing, ref, ops, NULL);

	CHECK(t != NULL);
	return t;
}

/* ---- cases --------------------------------------------------------- */

static void header_layout(void)
{
	unsigned one = 1;
	const char *order = *(unsigned char *)&one ? "little" : "big";
	const char *want = getenv("CORE_CHECK_BYTE_ORDER");

	printf("# sizeof(struct objlife) = %u, sizeof(void *) = %u, alignment %u, %s-endian\n",
	       (unsigned)sizeof(struct objlife), (unsigned)sizeof(void *),
	       (unsigned)ALIGNOF(struct objlife), order);
	/* 16 on LP64 and LLP64 (64-bit Windows), 12 on ILP32. */
	CHECK_EQ(sizeof(struct objlife), sizeof(void *) == 8 ? 16 : 12);
	CHECK_EQ(offsetof(struct objlife, _count), sizeof(void *));
	/* The runner says which byte order the row is meant to run on, so
	 * that a host binary run by mistake cannot pass for a cross one. */
	if (want && *want)
		CHECK(strcmp(want, order) == 0);
}

static void alloc_gives_one_zeroed_ref(void)
{
	struct thing *t;

	t = new_thing(&thing_ops);
	if (!t)
		return;
	CHECK_EQ(track.inits, 1);
	CHECK(track.init_saw_count_one);
	CHECK(track.init_saw_zeroed);
	CHECK_EQ(objlife_refcount(&t->ref), 1);
	CHECK(objlife_ops_of(&t->ref) == &thing_ops);
	CHECK(track.alloc_ptr == (void *)t);
	CHECK_EQ(track.alloc_size, sizeof(struct thing));
	CHECK_EQ(objlife_live_count(&thing_ops), 1);
	objlife_put(&t->ref);
	CHECK_EQ(track.releases, 1);
	CHECK_EQ(objlife_live_count(&thing_ops), 0);
}

static void last_put_releases_once_then_frees(const struct api *api)
{
	struct thing *t = new_thing(&thing_ops);
	int i;

	if (!t)
		return;
	for (i = 0; i < 3; i++)
		CHECK(api->get(&t->ref) == &t->ref);
	CHECK_EQ(objlife_refcount(&t->ref), 4);
	for (i = 0; i < 3; i++)
		api->put(&t->ref);
	CHECK_EQ(track.releases, 0);
	CHECK_EQ(track.frees, 0);
	api->put(&t->ref);
	CHECK_EQ(track.releases, 1);
	CHECK_EQ(track.frees, 1);
	CHECK(track.free_ptr == (void *)t);
	CHECK_EQ(track.free_size, sizeof(struct thing));
	CHECK_EQ(reports.n, 0);
}

static void null_is_safe(const struct api *api)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

	CHECK(api->get(NULL) == NULL);
	api->put(NULL);
	CHECK(!api->get_unless_zero(NULL));
	CHECK_EQ(objlife_refcount(NULL), 0);
	CHECK(objlife_ops_of(NULL) == NULL);
	CHECK(!objlife_put_mutex(NULL, &lock));
	CHECK_EQ(reports.n, 0);
	pthread_mutex_destroy(&lock);
}

static void init_failure_skips_release(void)
{
	size_t live = objlife_live_count(&thing_ops);

	track.init_ret = -ENOSPC;
	errno = 0;
	CHECK(objlife_alloc(struct thing, ref, &thing_ops, NULL) == NULL);
	CHECK_EQ(errno, ENOSPC);
	CHECK_EQ(track.inits, 1);
	CHECK_EQ(track.releases, 0);
	CHECK_EQ(track.frees, 1);
	CHECK(track.free_ptr == track.alloc_ptr);
	CHECK_EQ(track.free_size, track.alloc_size);
	CHECK_EQ(objlife_live_count(&thing_ops), live);
	CHECK_EQ(reports.n, 0);
}

static void init_positive_return_is_einval(void)
{
	track.init_ret = 1;
	errno = 0;
	CHECK(objlife_alloc(struct thing, ref, &thing_ops, NULL) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(track.releases, 0);
	CHECK_EQ(track.frees, 1);
}

static void init_leaked_ref_leaks(void)
{
	struct objlife *obj;

	track.init_ret = -EIO;
	track.init_takes_ref = true;
	errno = 0;
	CHECK(objlife_alloc(struct thing, ref, &thing_ops, NULL) == NULL);
	CHECK_EQ(errno, EIO);
	obj = (struct objlife *)track.alloc_ptr;
	CHECK_EQ(track.releases, 0);
	CHECK_EQ(track.frees, 0);          /* someone may still point to it */
	CHECK_EQ(objlife_refcount(obj), OBJLIFE_REFCOUNT_SATURATED);
	check_one_report(OBJLIFE_EVENT_INIT_LEAKED_REF, "INIT_LEAKED_REF", obj, "thing");
}

static void bad_input_is_einval(void)
{
	static const struct objlife_ops no_name = { .name = NULL };
	static const struct objlife_ops only_alloc = { .name = "a", .alloc = pool_alloc };
	static const struct objlife_ops only_free = { .name = "f", .free = pool_free };
	const struct {
		const struct objlife_ops *ops;
		size_t size, align;
	} bad[] = {
		{ NULL, 64, 8 },
		{ &no_name, 64, 8 },
		{ &only_alloc, 64, 8 },
		{ &only_free, 64, 8 },
		{ &thing_ops, sizeof(struct objlife) - 1, 8 },
		{ &thing_ops, 64, 0 },
		{ &thing_ops, 64, 3 },
		{ &thing_ops, 64, 48 },
	};
	size_t i, live = objlife_live_count(NULL);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		CHECK(objlife_alloc_size(bad[i].ops, bad[i].size, bad[i].align, NULL) == NULL);
		CHECK_EQ(errno, EINVAL);
	}
	CHECK_EQ(track.allocs, 0);
	CHECK_EQ(track.inits, 0);
	CHECK_EQ(objlife_live_count(NULL), live);
}

#if defined(__GNUC__)
struct wide {
	struct objlife ref;
	char line[64];
} __attribute__((aligned(64)));
#endif

static void alignment_is_honoured(void)
{
	size_t align;

	/* Every power of two up to a page, from the library's allocator
	 * (calloc, or the aligned path: posix_memalign, aligned_alloc or
	 * _aligned_malloc and its own free). */
	for (align = 1; align <= 4096; align *= 2) {
		struct objlife *obj = objlife_alloc_size(&plain_ops, 100, align, NULL);

		CHECK(obj != NULL);
		if (!obj)
			continue;
		if ((uintptr_t)obj % align)
			printf("# align %lu: got %p\n", (unsigned long)align, (void *)obj);
		CHECK_EQ((uintptr_t)obj % align, 0);
		CHECK_EQ((uintptr_t)obj % ALIGNOF(struct objlife), 0);
		objlife_put(obj);
	}
	CHECK_EQ(track.releases, track.inits);
#if defined(__GNUC__)
	{
		/* objlife_alloc() passes the type's own alignment on. */
		struct wide *w = objlife_alloc(struct wide, ref, &other_ops, NULL);

		CHECK(w != NULL);
		CHECK_EQ((uintptr_t)w % 64, 0);
		objlife_put(&w->ref);
	}
#endif
	/* A type's allocator is asked for the rounded-up alignment. */
	{
		struct objlife *obj;

		track.alloc_align = 0;
		obj = objlife_alloc_size(&thing_ops, 64, 1, NULL);
		CHECK(obj != NULL);
		CHECK_EQ(track.alloc_align, ALIGNOF(struct objlife));
		CHECK_EQ((uintptr_t)obj % ALIGNOF(struct objlife), 0);
		objlife_put(obj);
	}
}

static void overflow_saturates(const struct api *api)
{
	struct thing *t = new_thing(&thing_ops);
	int i;

	if (!t)
		return;
	/* A test-only shortcut past two billion gets: preset the count. */
	t->ref._count = OBJLIFE_REFCOUNT_MAX;
	api->get(&t->ref);
	CHECK_EQ(objlife_refcount(&t->ref), OBJLIFE_REFCOUNT_SATURATED);
	check_one_report(OBJLIFE_EVENT_OVERFLOW, "OVERFLOW", &t->ref, "thing");
	/* Saturated: every later operation is a silent no-op, and the object
	 * is never released. */
	for (i = 0; i < 10; i++) {
		api->put(&t->ref);
		api->get(&t->ref);
		CHECK(api->get_unless_zero(&t->ref));
	}
	for (i = 0; i < 10; i++)
		api->put(&t->ref);
	CHECK_EQ(objlife_refcount(&t->ref), OBJLIFE_REFCOUNT_SATURATED);
	CHECK_EQ(reports.n, 1);
	CHECK_EQ(track.releases, 0);
	CHECK_EQ(track.frees, 0);
}

/* An object whose last put has run: dead to the library, still memory
 * of the pool. */
static struct thing *dead_thing(void)
{
	struct thing *t = new_thing(&thing_ops);

	if (!t)
		return NULL;
	objlife_put(&t->ref);
	CHECK_EQ(track.releases, 1);
	CHECK_EQ(track.frees, 1);
	CHECK_EQ(objlife_refcount(&t->ref), 0);
	return t;
}

static void get_on_zero_saturates(const struct api *api)
{
	struct thing *t = dead_thing();

	if (!t)
		return;
	api->get(&t->ref);
	CHECK_EQ(objlife_refcount(&t->ref), OBJLIFE_REFCOUNT_SATURATED);
	check_one_report(OBJLIFE_EVENT_GET_ON_ZERO, "GET_ON_ZERO", &t->ref, "thing");
	api->put(&t->ref);
	api->put(&t->ref);
	CHECK_EQ(reports.n, 1);
	CHECK_EQ(track.releases, 1);
	CHECK_EQ(track.frees, 1);
}

static void put_below_zero_saturates(const struct api *api)
{
	struct thing *t = dead_thing();

	if (!t)
		return;
	api->put(&t->ref);
	CHECK_EQ(objlife_refcount(&t->ref), OBJLIFE_REFCOUNT_SATURATED);
	check_one_report(OBJLIFE_EVENT_UNDERFLOW, "UNDERFLOW", &t->ref, "thing");
	api->get(&t->ref);
	CHECK_EQ(reports.n, 1);
	CHECK_EQ(track.releases, 1);
	CHECK_EQ(track.frees, 1);
}

static void get_unless_zero_skips_dying(const struct api *api)
{
	struct thing *t = new_thing(&thing_ops);

	if (!t)
		return;
	CHECK(api->get_unless_zero(&t->ref));
	CHECK_EQ(objlife_refcount(&t->ref), 2);
	api->put(&t->ref);
	api->put(&t->ref);
	CHECK_EQ(track.releases, 1);
	/* Count zero (the release has run): no reference, no report. */
	CHECK(!api->get_unless_zero(&t->ref));
	CHECK_EQ(objlife_refcount(&t->ref), 0);
	CHECK_EQ(reports.n, 0);
}

static void put_mutex_locks_only_for_the_last(void)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct thing *t = new_thing(&thing_ops);

	if (!t)
		return;
	objlife_get(&t->ref);
	track.lock_in_release = &lock;
	CHECK(!objlife_put_mutex(&t->ref, &lock));    /* 2 -> 1: not the last */
	CHECK_EQ(objlife_refcount(&t->ref), 1);
	CHECK_EQ(track.releases, 0);
	CHECK_EQ(pthread_mutex_trylock(&lock), 0);    /* left unlocked */
	pthread_mutex_unlock(&lock);
	CHECK(objlife_put_mutex(&t->ref, &lock));     /* the last: release under lock */
	CHECK_EQ(track.releases, 1);
	CHECK(track.release_saw_lock_held);
	CHECK_EQ(track.frees, 1);
	CHECK_EQ(pthread_mutex_trylock(&lock), 0);    /* unlocked on return */
	pthread_mutex_unlock(&lock);
	pthread_mutex_destroy(&lock);
}

static void live_counts_per_type(void)
{
	struct thing *a[3], *b[2];
	size_t all = objlife_live_count(NULL), i;

	for (i = 0; i < 3; i++)
		a[i] = new_thing(&plain_ops);
	for (i = 0; i < 2; i++)
		b[i] = objlife_alloc(struct thing, ref, &other_ops, NULL);
	CHECK_EQ(objlife_live_count(&plain_ops), 3);
	CHECK_EQ(objlife_live_count(&other_ops), 2);
	CHECK_EQ(objlife_live_count(NULL), all + 5);
	CHECK_EQ(objlife_leak_check(NULL), all + 5);
	/* Meant to live for the whole process: left out of the counts. */
	objlife_may_leak(&a[0]->ref);
	CHECK_EQ(objlife_live_count(&plain_ops), 2);
	CHECK_EQ(objlife_live_count(NULL), all + 4);
	for (i = 0; i < 3; i++)
		objlife_put(&a[i]->ref);
	for (i = 0; i < 2; i++)
		objlife_put(&b[i]->ref);
	CHECK_EQ(objlife_live_count(&plain_ops), 0);
	CHECK_EQ(objlife_live_count(&other_ops), 0);
	CHECK_EQ(objlife_live_count(NULL), all);
}

/* ---- threads ------------------------------------------------------- */

#define N_THREADS 4
#define ROUNDS 20000

struct race {
	const struct api *api;
	struct thing *t;
	pthread_mutex_t lock;
	struct thing *made;               /* allocated by a thread, put by main */
};

static void *hammer(void *p)
{
	struct race *r = p;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		r->api->get(&r->t->ref);
		if (i % 3 == 0) {
			if (r->api->get_unless_zero(&r->t->ref))
				r->api->put(&r->t->ref);
		}
		r->api->put(&r->t->ref);
	}
	/* The last put of the run may be this thread's. */
	r->api->put(&r->t->ref);
	return NULL;
}

static void threads_release_once(const struct api *api)
{
	struct race r;
	pthread_t th[N_THREADS];
	int i, started = 0;

	memset(&r, 0, sizeof(r));
	r.api = api;
	r.t = new_thing(&plain_ops);
	if (!r.t)
		return;
	for (i = 1; i < N_THREADS; i++)
		objlife_get(&r.t->ref);           /* one reference per thread */
	for (i = 0; i < N_THREADS; i++)
		if (pthread_create(&th[i], NULL, hammer, &r) == 0)
			started++;
	CHECK_EQ(started, N_THREADS);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(track.releases, 1);
	CHECK_EQ(objlife_live_count(&plain_ops), 0);
	CHECK_EQ(reports.n, 0);
}

static void *make_one(void *p)
{
	struct race *r = p;

	r->made = objlife_alloc(struct thing, ref, &other_ops, NULL);
	return NULL;
}

static void live_count_across_threads(void)
{
	struct race r;
	pthread_t th;

	memset(&r, 0, sizeof(r));
	CHECK_EQ(pthread_create(&th, NULL, make_one, &r), 0);
	pthread_join(th, NULL);
	CHECK(r.made != NULL);
	CHECK_EQ(objlife_live_count(&other_ops), 1);
	objlife_put(&r.made->ref);       /* freed on another thread than made on */
	CHECK_EQ(objlife_live_count(&other_ops), 0);
}

/* ---- the default handler and OBJLIFE_DEBUG_FILE -------------------- */

#define REPORT_FILE "core-check-reports.txt"

static void default_handler_writes_debug_file(void)
{
	struct thing *t;
	char line[256] = "";
	FILE *f;

	objlife_set_report_handler(NULL, NULL);
	t = dead_thing();
	if (!t)
		return;
	objlife_put(&t->ref);             /* UNDERFLOW, through the default handler */
	objlife_set_report_handler(record, NULL);
	f = fopen(REPORT_FILE, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	CHECK(strncmp(line, "objlife: UNDERFLOW: type=thing obj=", 35) == 0);
	if (strncmp(line, "objlife: UNDERFLOW: type=thing obj=", 35) != 0)
		printf("# %s: \"%s\"\n", REPORT_FILE, line);
}

/* ---- main ---------------------------------------------------------- */

static void run(const char *name, void (*fn)(void))
{
	reset();
	case_failed = 0;
	fn();
	n_cases++;
	n_failed += case_failed;
	printf("%s %d - %s\n", case_failed ? "not ok" : "ok", n_cases, name);
	fflush(stdout);
}

static void run_api(const char *name, void (*fn)(const struct api *))
{
	size_t i;

	for (i = 0; i < sizeof(apis) / sizeof(apis[0]); i++) {
		reset();
		case_failed = 0;
		fn(&apis[i]);
		n_cases++;
		n_failed += case_failed;
		printf("%s %d - %s%s\n", case_failed ? "not ok" : "ok", n_cases, name, apis[i].suffix);
		fflush(stdout);
	}
}

int main(void)
{
	/* The library reads its environment once, at the first call: set it
	 * before. Reports go to a file of ours; no debug option is on. */
	remove(REPORT_FILE);
#ifdef _WIN32
	_putenv("OBJLIFE_DEBUG=");
	_putenv("OBJLIFE_DEBUG_FILE=" REPORT_FILE);
#else
	unsetenv("OBJLIFE_DEBUG");
	setenv("OBJLIFE_DEBUG_FILE", REPORT_FILE, 1);
#endif

	run("/portable/header-layout", header_layout);
	run("/portable/alloc/one-zeroed-reference", alloc_gives_one_zeroed_ref);
	run("/portable/alloc/init-failure-skips-release", init_failure_skips_release);
	run("/portable/alloc/init-positive-return-is-einval", init_positive_return_is_einval);
	run("/portable/alloc/init-leaked-ref-leaks", init_leaked_ref_leaks);
	run("/portable/alloc/bad-input-is-einval", bad_input_is_einval);
	run("/portable/alloc/alignment-is-honoured", alignment_is_honoured);
	run_api("/portable/ref/last-put-releases-once-then-frees", last_put_releases_once_then_frees);
	run_api("/portable/ref/null-is-safe", null_is_safe);
	run_api("/portable/ref/overflow-saturates", overflow_saturates);
	run_api("/portable/ref/get-on-zero-saturates", get_on_zero_saturates);
	run_api("/portable/ref/put-below-zero-saturates", put_below_zero_saturates);
	run_api("/portable/ref/get-unless-zero-skips-dying", get_unless_zero_skips_dying);
	run("/portable/ref/put-mutex-locks-only-for-the-last", put_mutex_locks_only_for_the_last);
	run("/portable/live/counts-per-type", live_counts_per_type);
	run("/portable/live/count-across-threads", live_count_across_threads);
	run_api("/portable/threads/release-once", threads_release_once);
	run("/portable/report/default-handler-writes-debug-file", default_handler_writes_debug_file);

	printf("1..%d\n", n_cases);
	return n_failed ? 1 : 0;
}
