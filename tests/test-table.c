/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Registration: tables that publish objects for lookup, and the
 * withdrawal that waits for the other holders (objlife_register(3),
 * objlife_lookup(3), objlife_unregister(3), objlife_table_new(3)).
 * Threads are synchronised with pthreads only.
 *
 * This program links the library's objects directly, to reach the hidden
 * hook ol_mem_fail_hook that fails the library's own allocations: out of
 * memory, registration changes nothing and lookups go on.
 */
#include "objlife-private.h"
#include "memfail.h"
#include "testutil.h"

#include <inttypes.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_VALGRIND_VALGRIND_H
# include <valgrind/valgrind.h>
# define under_valgrind() RUNNING_ON_VALGRIND
#else
# define under_valgrind() 0
#endif

static struct objlife_table *new_table(const char *name)
{
	struct objlife_table *t = objlife_table_new(name);

	g_assert_nonnull(t);
	return t;
}

static uint64_t register_new(struct objlife_table *t, struct tu_obj *o)
{
	uint64_t key = 0;

	g_assert_cmpint(objlife_register(t, &o->ref, &key), ==, 0);
	g_assert_cmpuint(key, !=, 0);
	return key;
}

/* Withdraws @o, which the caller holds, waiting as long as it takes, and
 * drops the caller's reference. */
static void withdraw_and_put(struct objlife_table *t, struct tu_obj *o)
{
	g_assert_cmpint(objlife_unregister(t, &o->ref, -1), ==, 0);
	tu_put(o);
}

/* A new object, registered, owned by the table alone. */
static uint64_t register_owned(struct objlife_table *t, struct tu_counts *c)
{
	struct tu_obj *o = tu_new(c);
	uint64_t key = register_new(t, o);

	tu_put(o);
	return key;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- tables ---------------------------------------------------------- */

static void test_new_needs_a_name(void)
{
	errno = 0;
	g_assert_null(objlife_table_new(NULL));
	g_assert_cmpint(errno, ==, EINVAL);
}

/* The name shows in reports (here the misuse report, which names the
 * table) as it was given, whatever becomes of the caller's string. */
static void test_new_copies_the_name(void)
{
	if (g_test_subprocess()) {
		char name[] = "sessions";
		struct objlife_table *t = new_table(name);
		struct tu_obj *o = tu_new(NULL);

		memcpy(name, "XXXXXXXX", 8);
		register_new(t, o);
		tu_events_start();
		tu_put(o);
		tu_put(o);                               /* the table's */
		tu_assert_one_event(OBJLIFE_EVENT_UNDERFLOW, &o->ref);
		tu_assert_has(tu_events.message[0], "table \"sessions\"");
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
}

static void test_free_refuses_a_table_that_holds_objects(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	uint64_t key = register_new(t, o);
	struct objlife *found;

	g_assert_cmpint(objlife_table_free(t), ==, -EBUSY);
	/* Nothing was freed: the table still works. */
	found = objlife_lookup(t, key);
	g_assert_true(found == &o->ref);
	objlife_put(found);
	withdraw_and_put(t, o);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
	g_assert_cmpint(objlife_table_free(NULL), ==, -EINVAL);
}

static void test_free_refuses_while_a_withdrawal_is_pending(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);

	register_new(t, o);
	tu_get(o);                               /* another holder */
	g_assert_cmpint(objlife_unregister(t, &o->ref, 0), ==, -ETIMEDOUT);
	g_assert_cmpuint(objlife_table_count(t), ==, 0);
	g_assert_cmpint(objlife_table_free(t), ==, -EBUSY);
	tu_put(o);
	withdraw_and_put(t, o);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static void test_count_counts_registered_objects(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *a = tu_new(&c), *b = tu_new(&c);

	g_assert_cmpuint(objlife_table_count(NULL), ==, 0);
	g_assert_cmpuint(objlife_table_count(t), ==, 0);
	register_new(t, a);
	register_new(t, b);
	g_assert_cmpuint(objlife_table_count(t), ==, 2);
	tu_get(a);
	g_assert_cmpint(objlife_unregister(t, &a->ref, 0), ==, -ETIMEDOUT);
	/* Withdrawn objects are not counted, even while waited for. */
	g_assert_cmpuint(objlife_table_count(t), ==, 1);
	tu_put(a);
	withdraw_and_put(t, a);
	withdraw_and_put(t, b);
	g_assert_cmpuint(objlife_table_count(t), ==, 0);
	g_assert_cmpint(c.releases, ==, 2);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

/* ---- register -------------------------------------------------------- */

static void test_register_takes_a_reference_of_its_own(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	uint64_t key = register_new(t, o);
	struct objlife *found;

	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
	/* The caller's reference may go: the table keeps the object. */
	tu_put(o);
	g_assert_cmpint(c.releases, ==, 0);
	found = objlife_lookup(t, key);
	g_assert_true(found == &o->ref);
	withdraw_and_put(t, o);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static void test_register_picks_keys_never_used_before(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *a = tu_new(&c), *b = tu_new(&c), *d = tu_new(&c);
	uint64_t ka, kb, kd = 100;

	ka = register_new(t, a);
	kb = register_new(t, b);
	g_assert_cmpuint(ka, ==, 1);
	g_assert_cmpuint(kb, ==, 2);
	withdraw_and_put(t, b);
	/* A withdrawn object's key is not picked again... */
	b = tu_new(&c);
	kb = register_new(t, b);
	g_assert_cmpuint(kb, ==, 3);
	/* ...nor one chosen by the caller. */
	g_assert_cmpint(objlife_register(t, &d->ref, &kd), ==, 0);
	g_assert_cmpuint(kd, ==, 100);
	withdraw_and_put(t, d);
	d = tu_new(&c);
	g_assert_cmpuint(register_new(t, d), ==, 101);
	withdraw_and_put(t, a);
	withdraw_and_put(t, b);
	withdraw_and_put(t, d);
	g_assert_cmpint(c.releases, ==, 5);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static void test_register_refuses_a_key_in_use(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *a = tu_new(&c), *b = tu_new(&c);
	uint64_t key = 7, other = 7;

	g_assert_cmpint(objlife_register(t, &a->ref, &key), ==, 0);
	g_assert_cmpint(objlife_register(t, &b->ref, &other), ==, -EEXIST);
	g_assert_cmpuint(objlife_refcount(&b->ref), ==, 1);
	/* While a is being withdrawn, its key is still taken. */
	tu_get(a);
	g_assert_cmpint(objlife_unregister(t, &a->ref, 0), ==, -ETIMEDOUT);
	g_assert_cmpint(objlife_register(t, &b->ref, &other), ==, -EEXIST);
	tu_put(a);
	withdraw_and_put(t, a);
	/* Free again once the withdrawal is over. */
	g_assert_cmpint(objlife_register(t, &b->ref, &other), ==, 0);
	withdraw_and_put(t, b);
	g_assert_cmpint(c.releases, ==, 2);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static void test_register_one_table_at_a_time(void)
{
	struct objlife_table *t = new_table("t"), *u = new_table("u");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	uint64_t key = 0;

	register_new(t, o);
	g_assert_cmpint(objlife_register(t, &o->ref, &key), ==, -EBUSY);
	g_assert_cmpint(objlife_register(u, &o->ref, &key), ==, -EBUSY);
	g_assert_cmpuint(key, ==, 0);
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
	g_assert_cmpint(objlife_unregister(u, &o->ref, -1), ==, -ENOENT);
	g_assert_cmpint(objlife_unregister(t, &o->ref, -1), ==, 0);
	/* Out of t, it may go into u. */
	register_new(u, o);
	withdraw_and_put(u, o);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
	g_assert_cmpint(objlife_table_free(u), ==, 0);
}

static const struct objlife_ops static_ops = { .name = "static" };
static struct { struct objlife ref; } static_obj = { OBJLIFE_STATIC_INIT(&static_ops) };

static void test_register_refuses_bad_input(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	uint64_t key = 0;

	g_assert_cmpint(objlife_register(NULL, &o->ref, &key), ==, -EINVAL);
	g_assert_cmpint(objlife_register(t, NULL, &key), ==, -EINVAL);
	g_assert_cmpint(objlife_register(t, &o->ref, NULL), ==, -EINVAL);
	/* Static objects never die, so they could never be withdrawn. */
	g_assert_cmpint(objlife_register(t, &static_obj.ref, &key), ==, -EINVAL);
	g_assert_cmpuint(key, ==, 0);
	g_assert_cmpuint(objlife_table_count(t), ==, 0);
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
	tu_put(o);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

/* Dead and saturated objects: their memory comes from testutil's static
 * blocks, so that a dead one can still be looked at. */
static const struct objlife_ops block_ops = {
	.name = "block", .alloc = tu_block_alloc, .free = tu_block_free,
};

static void test_register_refuses_dead_and_saturated_objects(void)
{
	if (g_test_subprocess()) {
		struct objlife_table *t = new_table("t");
		struct objlife *dead = objlife_alloc_size(&block_ops, 32, 8, NULL);
		struct objlife *pinned = objlife_alloc_size(&block_ops, 32, 8, NULL);
		struct objlife zeroed;
		uint64_t key = 0;

		g_assert_nonnull(dead);
		g_assert_nonnull(pinned);
		objlife_put(dead);                        /* released, count 0 */
		tu_events_start();
		g_assert_cmpint(objlife_register(t, dead, &key), ==, -EINVAL);
		objlife_put(pinned);
		objlife_put(pinned);                      /* UNDERFLOW: saturated */
		g_assert_cmpuint(objlife_refcount(pinned), ==, OBJLIFE_REFCOUNT_SATURATED);
		g_assert_cmpint(objlife_register(t, pinned, &key), ==, -EINVAL);
		/* A header that was never set up is reported, as a get is. */
		memset(&zeroed, 0, sizeof(zeroed));
		tu_events_start();
		g_assert_cmpint(objlife_register(t, &zeroed, &key), ==, -EINVAL);
		tu_assert_one_event(OBJLIFE_EVENT_BAD_OBJECT, &zeroed);
		g_assert_cmpuint(key, ==, 0);
		g_assert_cmpuint(objlife_table_count(t), ==, 0);
		g_assert_cmpint(objlife_table_free(t), ==, 0);
		return;
	}
	tu_trap_with_debug(NULL);
}

static void test_register_reports_no_key_left(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *a = tu_new(&c), *b = tu_new(&c);
	uint64_t key = UINT64_MAX, next = 0;

	g_assert_cmpint(objlife_register(t, &a->ref, &key), ==, 0);
	g_assert_cmpint(objlife_register(t, &b->ref, &next), ==, -ENOSPC);
	g_assert_cmpuint(next, ==, 0);
	/* Keys the caller picks still work. */
	next = 5;
	g_assert_cmpint(objlife_register(t, &b->ref, &next), ==, 0);
	withdraw_and_put(t, a);
	withdraw_and_put(t, b);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static void test_register_grows_and_shrinks_the_table(void)
{
	enum { N = 5000 };
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	static struct tu_obj *o[N];
	uint64_t i;

	for (i = 0; i < N; i++) {
		o[i] = tu_new(&c);
		g_assert_cmpuint(register_new(t, o[i]), ==, i + 1);
	}
	g_assert_cmpuint(objlife_table_count(t), ==, N);
	for (i = 0; i < N; i++) {
		struct objlife *found = objlife_lookup(t, i + 1);

		g_assert_true(found == &o[i]->ref);
		objlife_put(found);
	}
	/* Withdrawn in turn, every other object stays found. */
	for (i = 0; i < N; i++) {
		withdraw_and_put(t, o[i]);
		if (i + 1 < N) {
			struct objlife *found = objlife_lookup(t, N);

			g_assert_true(found == &o[N - 1]->ref);
			objlife_put(found);
		}
		g_assert_null(objlife_lookup(t, i + 1));
	}
	g_assert_cmpint(c.releases, ==, N);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

/* ---- lookup ---------------------------------------------------------- */

static void test_lookup_returns_a_new_reference(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	uint64_t key = register_new(t, o);
	struct objlife *found = objlife_lookup(t, key);

	g_assert_true(found == &o->ref);
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 3);
	objlife_put(found);
	withdraw_and_put(t, o);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static void test_lookup_of_an_unknown_key_is_enoent(void)
{
	struct objlife_table *t = new_table("t");

	errno = 0;
	g_assert_null(objlife_lookup(t, 1));
	g_assert_cmpint(errno, ==, ENOENT);
	errno = 0;
	g_assert_null(objlife_lookup(t, 0));
	g_assert_cmpint(errno, ==, ENOENT);
	errno = 0;
	g_assert_null(objlife_lookup(NULL, 1));
	g_assert_cmpint(errno, ==, EINVAL);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static void test_lookup_fails_once_withdrawal_started(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	uint64_t key = register_new(t, o);

	tu_get(o);                               /* another holder */
	g_assert_cmpint(objlife_unregister(t, &o->ref, 0), ==, -ETIMEDOUT);
	errno = 0;
	g_assert_null(objlife_lookup(t, key));
	g_assert_cmpint(errno, ==, ENOENT);
	tu_put(o);
	withdraw_and_put(t, o);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

/* ---- unregister ------------------------------------------------------ */

static void test_unregister_of_an_object_not_in_the_table(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);

	g_assert_cmpint(objlife_unregister(t, &o->ref, -1), ==, -ENOENT);
	g_assert_cmpint(objlife_unregister(NULL, &o->ref, -1), ==, -EINVAL);
	g_assert_cmpint(objlife_unregister(t, NULL, -1), ==, -EINVAL);
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
	tu_put(o);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static void test_unregister_leaves_the_callers_reference(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);

	register_new(t, o);
	g_assert_cmpint(objlife_unregister(t, &o->ref, -1), ==, 0);
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
	g_assert_cmpint(c.releases, ==, 0);
	/* It is out of the table: a second unregister finds nothing. */
	g_assert_cmpint(objlife_unregister(t, &o->ref, -1), ==, -ENOENT);
	tu_put(o);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static void test_unregister_times_out_and_waits_again(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	uint64_t start;

	register_new(t, o);
	tu_get(o);                               /* another holder */
	start = now_us();
	g_assert_cmpint(objlife_unregister(t, &o->ref, 30), ==, -ETIMEDOUT);
	g_assert_cmpuint(now_us() - start, >=, 30000);
	/* The caller's reference is intact, the table's is gone, once. */
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
	g_assert_cmpint(objlife_unregister(t, &o->ref, 0), ==, -ETIMEDOUT);
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
	tu_put(o);
	g_assert_cmpint(objlife_unregister(t, &o->ref, 0), ==, 0);
	tu_put(o);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static void test_unregister_gives_up_and_the_last_holder_releases(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	struct tu_obj *holder;

	register_new(t, o);
	holder = tu_get(o);
	g_assert_cmpint(objlife_unregister(t, &o->ref, 0), ==, -ETIMEDOUT);
	tu_put(o);                               /* the withdrawing side gives up */
	g_assert_cmpint(c.releases, ==, 0);
	tu_put(holder);                          /* the last holder releases */
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpuint(objlife_live_count(&tu_ops), ==, 0);
	/* The registration ended with the object. */
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static void test_unregister_then_register_again(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	uint64_t k1 = register_new(t, o), k2;
	struct objlife *found;

	g_assert_cmpint(objlife_unregister(t, &o->ref, -1), ==, 0);
	k2 = register_new(t, o);
	g_assert_cmpuint(k2, !=, k1);
	found = objlife_lookup(t, k2);
	g_assert_true(found == &o->ref);
	objlife_put(found);
	withdraw_and_put(t, o);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

/* Threads that hold a reference and let go on a signal. */
struct holder {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct objlife *obj;
	struct objlife_tracker *tracker;
	bool tracked;
	unsigned hold_ms;                /* let go after this long, or... */
	bool go;                         /* ...when this is set */
	uint64_t let_go_us;              /* when it put */
};

/* Exported (the program links with -export-dynamic), so that the tracker
 * stack names it with or without debug information. */
void holder_takes_its_reference(struct holder *h);
__attribute__((noinline)) void holder_takes_its_reference(struct holder *h)
{
	if (h->tracked)
		(void)objlife_get_tracked(h->obj, &h->tracker);
	else
		objlife_get(h->obj);
	__asm__ volatile("" ::: "memory");      /* not a tail call: keeps its frame */
}

static void *holder_thread(void *p)
{
	struct holder *h = p;

	pthread_mutex_lock(&h->lock);
	if (h->hold_ms) {
		pthread_mutex_unlock(&h->lock);
		usleep(h->hold_ms * 1000u);
		pthread_mutex_lock(&h->lock);
	} else {
		while (!h->go)
			pthread_cond_wait(&h->cond, &h->lock);
	}
	h->let_go_us = now_us();
	pthread_mutex_unlock(&h->lock);
	if (h->tracked)
		objlife_put_tracked(h->obj, &h->tracker);
	else
		objlife_put(h->obj);
	return NULL;
}

static void holder_start(struct holder *h, struct objlife *obj, unsigned hold_ms, bool tracked)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	h->obj = obj;
	h->hold_ms = hold_ms;
	h->tracked = tracked;
	holder_takes_its_reference(h);           /* before unregister starts */
	g_assert_cmpint(pthread_create(&h->thread, NULL, holder_thread, h), ==, 0);
}

static void holder_let_go(struct holder *h)
{
	pthread_mutex_lock(&h->lock);
	h->go = true;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

static uint64_t holder_join(struct holder *h)
{
	pthread_join(h->thread, NULL);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	return h->let_go_us;
}

struct requests {
	pthread_mutex_t lock;
	unsigned calls;
	unsigned waited[8];
	struct objlife *obj[8];
};

static void record_request(struct objlife *obj, unsigned waited_s, void *data)
{
	struct requests *r = data;

	pthread_mutex_lock(&r->lock);
	if (r->calls < 8) {
		r->waited[r->calls] = waited_s;
		r->obj[r->calls] = obj;
	}
	r->calls++;
	pthread_mutex_unlock(&r->lock);
}

/* A holder keeps its tracked reference for 1.5 s: unregister returns
 * after it lets go, one DRAIN_WAIT report (at 1 s) names the table and
 * the holder's stack, and the request function ran at the start and with
 * the report. */
static void test_unregister_waits_reports_and_requests(void)
{
	if (g_test_subprocess()) {
		struct objlife_table *t = new_table("sessions");
		struct requests req = { PTHREAD_MUTEX_INITIALIZER, 0, { 0 }, { 0 } };
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);
		struct holder h;
		uint64_t returned, let_go;
		const char *text;

		register_new(t, o);
		objlife_table_set_request(t, record_request, &req);
		holder_start(&h, &o->ref, 1500, true);
		tu_events_start();
		g_assert_cmpint(objlife_unregister(t, &o->ref, -1), ==, 0);
		returned = now_us();
		let_go = holder_join(&h);
		g_assert_cmpuint(returned, >=, let_go);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);

		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_DRAIN_WAIT);
		g_assert_true(tu_events.obj[0] == &o->ref);
		text = tu_events.message[0];
		g_test_message("%s", text);
		g_assert_true(tu_has_prefix(text, "objlife: DRAIN_WAIT: type=tu_obj obj=0x"));
		tu_assert_has(text, " count=2: unregister from table \"sessions\" has waited 1 s for 1 other reference\n");
		tu_assert_in_order(text, "held by a tracker taken at:", "holder_takes_its_reference");

		g_assert_cmpuint(req.calls, ==, 2);
		g_assert_cmpuint(req.waited[0], ==, 0);
		g_assert_cmpuint(req.waited[1], ==, 1);
		g_assert_true(req.obj[0] == &o->ref && req.obj[1] == &o->ref);
		tu_put(o);
		g_assert_cmpint(c.releases, ==, 1);
		g_assert_cmpint(objlife_table_free(t), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

/* Without refs, the report says what it can: who holds is not known. */
static void test_unregister_report_without_trackers(void)
{
	if (g_test_subprocess()) {
		struct objlife_table *t = new_table("sessions");
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);
		struct holder h;

		register_new(t, o);
		holder_start(&h, &o->ref, 1100, false);
		tu_events_start();
		g_assert_cmpint(objlife_unregister(t, &o->ref, -1), ==, 0);
		holder_join(&h);
		tu_assert_one_event(OBJLIFE_EVENT_DRAIN_WAIT, &o->ref);
		tu_assert_matches(tu_events.message[0],
				  "objlife: DRAIN_WAIT: type=tu_obj obj=0x* count=2: unregister from table "
				  "\"sessions\" has waited 1 s for 1 other reference");
		tu_put(o);
		g_assert_cmpint(objlife_table_free(t), ==, 0);
		return;
	}
	tu_trap_with_debug(NULL);
}

/* The waiter wakes soon after the last other put: within 10 ms at the
 * median of several tries (polling tops out at 4 ms). Under valgrind,
 * which runs one thread at a time, only the order is checked. */
static void test_unregister_wakes_soon_after_the_last_put(void)
{
	enum { TRIES = 7 };
	uint64_t delay[TRIES];
	unsigned i, j;

	for (i = 0; i < TRIES; i++) {
		struct objlife_table *t = new_table("t");
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);
		struct holder h;
		uint64_t returned;

		register_new(t, o);
		holder_start(&h, &o->ref, 20 + 7 * i, false);
		g_assert_cmpint(objlife_unregister(t, &o->ref, -1), ==, 0);
		returned = now_us();
		delay[i] = returned - holder_join(&h);
		g_assert_cmpuint(returned, >=, h.let_go_us);
		tu_put(o);
		g_assert_cmpint(objlife_table_free(t), ==, 0);
	}
	for (i = 1; i < TRIES; i++)
		for (j = i; j > 0 && delay[j - 1] > delay[j]; j--) {
			uint64_t d = delay[j];

			delay[j] = delay[j - 1];
			delay[j - 1] = d;
		}
	g_test_message("median wake-up after the last put: %" PRIu64 " us", delay[TRIES / 2]);
	if (!under_valgrind())
		g_assert_cmpuint(delay[TRIES / 2], <, 10000);
}

struct withdrawer {
	pthread_t thread;
	struct objlife_table *t;
	struct objlife *obj;
	int ret;
};

static void *withdraw_thread(void *p)
{
	struct withdrawer *w = p;

	w->ret = objlife_unregister(w->t, w->obj, -1);
	return NULL;
}

static void test_unregister_by_two_threads_at_once(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	struct withdrawer w[2];
	struct holder h;
	int i;

	register_new(t, o);
	holder_start(&h, &o->ref, 0, false);
	/* Each withdrawer holds one reference: the caller's, and one more. */
	w[0].obj = &o->ref;
	w[1].obj = objlife_get(&o->ref);
	for (i = 0; i < 2; i++) {
		w[i].t = t;
		g_assert_cmpint(pthread_create(&w[i].thread, NULL, withdraw_thread, &w[i]), ==, 0);
	}
	/* Both wait for the holder; the table's reference went once:
	 * 2 withdrawers + the holder. */
	while (objlife_refcount(&o->ref) != 3)
		usleep(1000);
	usleep(20000);
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 3);
	g_assert_cmpint(c.releases, ==, 0);
	holder_let_go(&h);
	holder_join(&h);
	for (i = 0; i < 2; i++) {
		pthread_join(w[i].thread, NULL);
		g_assert_cmpint(w[i].ret, ==, 0);
	}
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
	objlife_put(w[1].obj);
	g_assert_cmpint(objlife_unregister(t, &o->ref, -1), ==, -ENOENT);
	tu_put(o);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

/* A put of the table's reference by someone who did not hold it: the
 * object stays published, so it must not be freed under the lookups. */
static void test_put_of_the_tables_reference_is_reported(void)
{
	if (g_test_subprocess()) {
		struct objlife_table *t = new_table("sessions");
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);
		uint64_t key = register_new(t, o);
		struct objlife *found;

		tu_events_start();
		tu_put(o);
		tu_put(o);                               /* one too many */
		tu_assert_one_event(OBJLIFE_EVENT_UNDERFLOW, &o->ref);
		tu_assert_matches(tu_events.message[0],
				  "objlife: UNDERFLOW: type=tu_obj obj=0x* count=0: put of a reference "
				  "the caller did not hold: the object is still registered in table "
				  "\"sessions\"; the object will leak");
		g_assert_cmpint(c.releases, ==, 0);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, OBJLIFE_REFCOUNT_SATURATED);
		/* Pinned, so a lookup still finds live memory. */
		found = objlife_lookup(t, key);
		g_assert_true(found == &o->ref);
		objlife_put(found);
		g_assert_cmpint(objlife_table_free(t), ==, -EBUSY);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
}

/* ---- the request function -------------------------------------------- */

struct slow_request {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool inside, leave;
	unsigned calls;
	struct holder *holder;           /* let go when asked */
};

static void nudge(struct objlife *obj, unsigned waited_s, void *data)
{
	struct slow_request *r = data;

	(void)obj;
	(void)waited_s;
	pthread_mutex_lock(&r->lock);
	r->calls++;
	r->inside = true;
	pthread_cond_broadcast(&r->cond);
	while (!r->leave)
		pthread_cond_wait(&r->cond, &r->lock);
	r->inside = false;
	pthread_mutex_unlock(&r->lock);
	if (r->holder)
		holder_let_go(r->holder);
}

static void test_request_nudges_the_holder(void)
{
	struct objlife_table *t = new_table("t");
	struct slow_request r = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, true,
				  0, NULL };
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	struct holder h;

	register_new(t, o);
	holder_start(&h, &o->ref, 0, false);
	r.holder = &h;
	objlife_table_set_request(t, nudge, &r);
	/* Only the request lets the holder go. */
	g_assert_cmpint(objlife_unregister(t, &o->ref, -1), ==, 0);
	holder_join(&h);
	g_assert_cmpuint(r.calls, ==, 1);
	/* NULL: no request any more. */
	objlife_table_set_request(t, NULL, NULL);
	register_new(t, o);
	tu_get(o);
	g_assert_cmpint(objlife_unregister(t, &o->ref, 5), ==, -ETIMEDOUT);
	g_assert_cmpuint(r.calls, ==, 1);
	tu_put(o);
	withdraw_and_put(t, o);
	objlife_table_set_request(NULL, nudge, &r);   /* does nothing */
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

struct setter {
	pthread_t thread;
	struct objlife_table *t;
	struct slow_request *r;
	bool returned;
};

static void *set_request_thread(void *p)
{
	struct setter *s = p;

	objlife_table_set_request(s->t, NULL, NULL);
	pthread_mutex_lock(&s->r->lock);
	s->returned = true;
	/* Returned only once the running call had left. */
	g_assert_false(s->r->inside);
	pthread_mutex_unlock(&s->r->lock);
	return NULL;
}

static void *unregister_thread(void *p)
{
	struct withdrawer *w = p;

	w->ret = objlife_unregister(w->t, w->obj, 50);
	return NULL;
}

static void test_set_request_waits_for_a_running_call(void)
{
	struct objlife_table *t = new_table("t");
	struct slow_request r = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false,
				  0, NULL };
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	struct withdrawer w = { .t = t, .obj = &o->ref };
	struct setter s = { .t = t, .r = &r };

	register_new(t, o);
	tu_get(o);                                   /* keeps unregister waiting */
	objlife_table_set_request(t, nudge, &r);
	g_assert_cmpint(pthread_create(&w.thread, NULL, unregister_thread, &w), ==, 0);
	pthread_mutex_lock(&r.lock);
	while (!r.inside)
		pthread_cond_wait(&r.cond, &r.lock);
	pthread_mutex_unlock(&r.lock);
	g_assert_cmpint(pthread_create(&s.thread, NULL, set_request_thread, &s), ==, 0);
	usleep(20000);
	pthread_mutex_lock(&r.lock);
	g_assert_false(s.returned);                  /* still inside the call */
	r.leave = true;
	pthread_cond_broadcast(&r.cond);
	pthread_mutex_unlock(&r.lock);
	pthread_join(s.thread, NULL);
	pthread_join(w.thread, NULL);
	g_assert_true(s.returned);
	g_assert_cmpint(w.ret, ==, -ETIMEDOUT);
	tu_put(o);
	withdraw_and_put(t, o);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

/* ---- visit ----------------------------------------------------------- */

struct visit {
	struct objlife_table *t;
	unsigned seen;
	uint64_t keys;
	int stop_after;
};

static int withdraw_visited(struct objlife *obj, uint64_t key, void *data)
{
	struct visit *v = data;

	v->seen++;
	v->keys += key;
	/* The visit's reference is held: the wait is for the caller's. */
	g_assert_cmpuint(objlife_refcount(obj), >=, 2);
	objlife_get(obj);
	g_assert_cmpint(objlife_unregister(v->t, obj, 10), ==, -ETIMEDOUT);
	objlife_put(obj);
	return 0;
}

static void test_visit_may_withdraw_every_object(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct visit v = { t, 0, 0, 0 };
	int i;

	for (i = 0; i < 5; i++) {
		struct tu_obj *o = tu_new(&c);

		register_new(t, o);
		tu_put(o);                        /* the table owns them */
	}
	/* The visitor's unregister waits for the visit's own reference and
	 * times out: shows that the visit holds one and no lock. */
	g_assert_cmpint(objlife_table_visit(t, withdraw_visited, &v), ==, 0);
	g_assert_cmpuint(v.seen, ==, 5);
	g_assert_cmpuint(v.keys, ==, 1 + 2 + 3 + 4 + 5);
	g_assert_cmpuint(objlife_table_count(t), ==, 0);
	/* Every visit reference was the last: released with it. */
	g_assert_cmpint(c.releases, ==, 5);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static int withdraw_and_wait(struct objlife *obj, uint64_t key, void *data)
{
	struct visit *v = data;

	(void)key;
	v->seen++;
	return objlife_unregister(v->t, obj, -1);
}

static void test_visit_for_a_shutdown(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct visit v = { t, 0, 0, 0 };
	int i;

	for (i = 0; i < 5; i++) {
		struct tu_obj *o = tu_new(&c);

		register_new(t, o);
		tu_put(o);
	}
	g_assert_cmpint(objlife_table_visit(t, withdraw_and_wait, &v), ==, 0);
	g_assert_cmpuint(v.seen, ==, 5);
	g_assert_cmpint(c.releases, ==, 5);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

static int stop_at_second(struct objlife *obj, uint64_t key, void *data)
{
	struct visit *v = data;

	(void)obj;
	(void)key;
	return ++v->seen == 2 ? 42 : 0;
}

static int never_called(struct objlife *obj, uint64_t key, void *data)
{
	(void)obj;
	(void)key;
	(void)data;
	g_assert_not_reached();
	return 0;
}

static void test_visit_stops_at_a_non_zero_return(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o[4];
	struct visit v = { t, 0, 0, 0 };
	int i;

	g_assert_cmpint(objlife_table_visit(t, never_called, NULL), ==, 0);
	for (i = 0; i < 4; i++) {
		o[i] = tu_new(&c);
		register_new(t, o[i]);
	}
	g_assert_cmpint(objlife_table_visit(t, stop_at_second, &v), ==, 42);
	g_assert_cmpuint(v.seen, ==, 2);
	g_assert_cmpint(objlife_table_visit(NULL, stop_at_second, &v), ==, -EINVAL);
	g_assert_cmpint(objlife_table_visit(t, NULL, &v), ==, -EINVAL);
	for (i = 0; i < 4; i++) {
		g_assert_cmpuint(objlife_refcount(&o[i]->ref), ==, 2);
		withdraw_and_put(t, o[i]);
	}
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

/* ---- out of memory ---------------------------------------------------- */

static void test_new_out_of_memory(void)
{
	tu_mem_fail_all(OL_MEM_TABLE);
	errno = 0;
	g_assert_null(objlife_table_new("t"));
	g_assert_cmpint(errno, ==, ENOMEM);
	tu_mem_stop();
}

/* Each of the library's allocations in a registration fails in turn:
 * the first registration of a table (its buckets, the node slab, the
 * map of registrations) and the one that grows it. Each either succeeds
 * or fails with -ENOMEM having changed nothing. */
static void register_with_failure_at(struct objlife_table *t, struct tu_counts *c, unsigned nth,
				     unsigned *failed)
{
	struct tu_obj *o = tu_new(c);
	size_t before = objlife_table_count(t);
	uint64_t key = 0;
	int err;

	tu_mem_fail(OL_MEM_TABLE, nth, false);
	err = objlife_register(t, &o->ref, &key);
	tu_mem_stop();
	if (err == 0) {
		struct objlife *found = objlife_lookup(t, key);

		g_assert_true(found == &o->ref);
		objlife_put(found);
		g_assert_cmpuint(objlife_table_count(t), ==, before + 1);
		tu_put(o);                           /* the table keeps it */
		return;
	}
	(*failed)++;
	g_assert_cmpint(err, ==, -ENOMEM);
	g_assert_cmpuint(key, ==, 0);
	g_assert_cmpuint(objlife_table_count(t), ==, before);
	g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
	/* Not half in: it can go into the table now. */
	key = 0;
	g_assert_cmpint(objlife_register(t, &o->ref, &key), ==, 0);
	tu_put(o);
}

static int withdraw_each(struct objlife *obj, uint64_t key, void *data)
{
	(void)key;
	return objlife_unregister(data, obj, -1);
}

static void test_register_out_of_memory_changes_nothing(void)
{
	unsigned nth, i, failed = 0;

	for (nth = 1; nth <= 8; nth++) {
		struct objlife_table *t = new_table("t");
		struct tu_counts c = { 0 };

		/* The first registration: buckets, map, slab. */
		register_with_failure_at(t, &c, nth, &failed);
		/* Up to the growth from 16 buckets, then the growth itself,
		 * which may fail and leave longer chains. */
		for (i = objlife_table_count(t); i < 16; i++)
			register_owned(t, &c);
		register_with_failure_at(t, &c, nth, &failed);
		g_assert_cmpuint(objlife_table_count(t), ==, 17);
		for (i = 1; i <= 17; i++) {
			struct objlife *found = objlife_lookup(t, i);

			if (found)
				objlife_put(found);
		}
		g_assert_cmpint(objlife_table_visit(t, withdraw_each, t), ==, 0);
		g_assert_cmpint(c.releases, ==, 17);
		g_assert_cmpint(objlife_table_free(t), ==, 0);
	}
	g_assert_cmpuint(failed, >, 0);
	g_assert_cmpuint(objlife_live_count(&tu_ops), ==, 0);
}

static void test_visit_out_of_memory_visits_nothing(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };

	register_owned(t, &c);
	tu_mem_fail_all(OL_MEM_TABLE);
	g_assert_cmpint(objlife_table_visit(t, never_called, NULL), ==, -ENOMEM);
	tu_mem_stop();
	g_assert_cmpint(objlife_table_visit(t, withdraw_each, t), ==, 0);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

struct lonely {
	struct objlife_table *t;
	uint64_t key;
	bool found;
};

static void *lookup_without_a_record(void *p)
{
	struct lonely *l = p;
	struct objlife *obj;

	/* This thread's first lookup: no memory for its reader record. */
	tu_mem_fail_all(OL_MEM_TABLE);
	obj = objlife_lookup(l->t, l->key);
	tu_mem_stop();
	l->found = obj != NULL;
	objlife_put(obj);
	/* Without a record for good: under the tables lock, as ever. */
	obj = objlife_lookup(l->t, l->key);
	l->found = l->found && obj != NULL;
	objlife_put(obj);
	return NULL;
}

static void test_lookup_without_memory_for_a_reader_record(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct lonely l = { t, 0, false };
	pthread_t thread;

	l.key = register_owned(t, &c);
	g_assert_cmpint(pthread_create(&thread, NULL, lookup_without_a_record, &l), ==, 0);
	pthread_join(thread, NULL);
	g_assert_true(l.found);
	g_assert_cmpint(objlife_table_visit(t, withdraw_each, t), ==, 0);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

/* ---- threads and fork() ---------------------------------------------- */

struct looker {
	pthread_t thread;
	struct objlife_table *t;
	uint64_t key;
	unsigned stop;                   /* atomic */
	unsigned long found;
};

static void *look_thread(void *p)
{
	struct looker *l = p;

	while (!__atomic_load_n(&l->stop, __ATOMIC_RELAXED)) {
		struct objlife *obj = objlife_lookup(l->t, l->key);

		if (obj) {
			l->found++;
			objlife_put(obj);
		}
	}
	return NULL;
}

/* Threads that looked up and exited leave nothing a later withdrawal
 * waits for (their reader records go with them). */
static void test_threads_that_looked_up_and_exited(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	struct looker l[4];
	int i;

	for (i = 0; i < 4; i++) {
		memset(&l[i], 0, sizeof(l[i]));
		l[i].t = t;
		l[i].key = register_owned(t, &c);
		g_assert_cmpint(pthread_create(&l[i].thread, NULL, look_thread, &l[i]), ==, 0);
	}
	usleep(10000);
	for (i = 0; i < 4; i++) {
		__atomic_store_n(&l[i].stop, 1, __ATOMIC_RELAXED);
		pthread_join(l[i].thread, NULL);
		g_assert_cmpuint(l[i].found, >, 0);
	}
	register_new(t, o);
	withdraw_and_put(t, o);
	for (i = 0; i < 4; i++) {
		struct objlife *obj = objlife_lookup(t, l[i].key);

		g_assert_nonnull(obj);
		g_assert_cmpint(objlife_unregister(t, obj, -1), ==, 0);
		objlife_put(obj);
	}
	g_assert_cmpint(c.releases, ==, 5);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

/* fork() while other threads look up: the child has only the forking
 * thread, and its tables work (no wait for a reader that did not come
 * along). */
static void test_fork_while_threads_look_up(void)
{
	struct objlife_table *t = new_table("t");
	struct tu_counts c = { 0 };
	struct tu_obj *o = tu_new(&c);
	struct looker l[2];
	int i, round, status;
	uint64_t mine;

	for (i = 0; i < 2; i++) {
		memset(&l[i], 0, sizeof(l[i]));
		l[i].t = t;
		l[i].key = register_owned(t, &c);
		g_assert_cmpint(pthread_create(&l[i].thread, NULL, look_thread, &l[i]), ==, 0);
	}
	/* The child withdraws an object no looker holds; the lookers were
	 * in the middle of lookups when it was forked. */
	mine = register_new(t, o);
	for (round = 0; round < 20; round++) {
		pid_t pid = fork();

		g_assert_cmpint(pid, >=, 0);
		if (pid == 0) {
			struct objlife *obj = objlife_lookup(t, mine);
			uint64_t key = 0;
			int ok = obj != NULL;

			/* Its lookup's and the parent's reference (copied). */
			ok = ok && objlife_refcount(obj) == 3;
			ok = ok && objlife_unregister(t, obj, 0) == -ETIMEDOUT;
			objlife_put(&o->ref);
			ok = ok && objlife_unregister(t, obj, 1000) == 0;
			ok = ok && objlife_register(t, obj, &key) == 0 && key > mine;
			ok = ok && objlife_unregister(t, obj, 1000) == 0;
			_exit(ok ? 0 : 1);
		}
		g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
		g_assert_true(WIFEXITED(status));
		g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	}
	for (i = 0; i < 2; i++) {
		struct objlife *obj;

		__atomic_store_n(&l[i].stop, 1, __ATOMIC_RELAXED);
		pthread_join(l[i].thread, NULL);
		obj = objlife_lookup(t, l[i].key);
		g_assert_nonnull(obj);
		g_assert_cmpint(objlife_unregister(t, obj, -1), ==, 0);
		objlife_put(obj);
	}
	withdraw_and_put(t, o);
	g_assert_cmpint(c.releases, ==, 3);
	g_assert_cmpint(objlife_table_free(t), ==, 0);
}

/* ---- the race ----------------------------------------------------------- */

/* 8 threads look up random recent keys while 2 threads register new
 * objects and withdraw old ones, all the time. Keys are picked by the
 * table and never come back, so each key's state only moves forward.
 * A lookup that starts once the withdrawal is visibly under way (its
 * request function ran, or unregister returned) must fail; an object a
 * lookup returned is never withdrawn or released while held; every
 * withdrawal returns 0 and every release runs once. */
#define RACE_LOOKERS 8
#define RACE_WRITERS 2
#define RACE_LOOKUPS 125000          /* per looker: a million in all */
#define RACE_LIVE 32                 /* objects each writer keeps registered */
#define RACE_WITHDRAWALS 1000        /* at least, in all, while lookups run... */
#define RACE_WITHDRAWALS_VALGRIND 200 /* ...or under valgrind, one thread at a time */
#define RACE_KEYS (1u << 20)         /* keys the state arrays can follow */

enum { KEY_UNUSED, KEY_REGISTERED, KEY_WITHDRAWING, KEY_WITHDRAWN, KEY_RELEASED };

struct race_obj {
	struct objlife ref;
	uint64_t key;
	unsigned withdrawn;              /* atomic: unregister returned 0 */
	unsigned released;               /* atomic */
};

static struct {
	struct objlife_table *t;
	unsigned char state[RACE_KEYS];  /* atomic, by key */
	unsigned char releases[RACE_KEYS];
	uint64_t newest;                 /* atomic: the newest key registered */
	unsigned long withdrawals;       /* atomic */
	unsigned long min_withdrawals;
	unsigned writers_running;        /* atomic */
	unsigned long found, missed, bad;
	pthread_mutex_t lock;
	pthread_barrier_t start;
} race;

static void race_release(struct objlife *obj)
{
	struct race_obj *o = (struct race_obj *)obj;

	g_assert_cmpuint(__atomic_fetch_add(&o->released, 1, __ATOMIC_SEQ_CST), ==, 0);
	__atomic_fetch_add(&race.releases[o->key], 1, __ATOMIC_RELAXED);
	__atomic_store_n(&race.state[o->key], KEY_RELEASED, __ATOMIC_SEQ_CST);
}

static const struct objlife_ops race_ops = { .name = "race", .release = race_release };

/* The wait started: the object is withdrawn, for every lookup from now. */
static void race_request(struct objlife *obj, unsigned waited_s, void *data)
{
	struct race_obj *o = (struct race_obj *)obj;

	(void)waited_s;
	(void)data;
	__atomic_store_n(&race.state[o->key], KEY_WITHDRAWING, __ATOMIC_SEQ_CST);
}

static void *race_writer(void *p)
{
	struct race_obj *live[RACE_LIVE] = { 0 };
	unsigned i = 0;
	unsigned long rounds = 0;

	(void)p;
	pthread_barrier_wait(&race.start);
	/* Until the lookers are done (a writer that ran out of keys stops
	 * too, leaving the lookers to miss). */
	while (__atomic_load_n(&race.writers_running, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&race.newest, __ATOMIC_RELAXED) < RACE_KEYS - 2 * RACE_LIVE) {
		struct race_obj *o = live[i];

		if (o) {
			g_assert_cmpint(objlife_unregister(race.t, &o->ref, -1), ==, 0);
			__atomic_store_n(&race.state[o->key], KEY_WITHDRAWN, __ATOMIC_SEQ_CST);
			__atomic_store_n(&o->withdrawn, 1, __ATOMIC_SEQ_CST);
			__atomic_fetch_add(&race.withdrawals, 1, __ATOMIC_RELAXED);
			g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
			objlife_put(&o->ref);             /* released here */
		}
		o = objlife_alloc(struct race_obj, ref, &race_ops, NULL);
		g_assert_nonnull(o);
		{
			uint64_t key = 0;

			/* The table picks the key: the next one, as the
			 * test's lock orders registrations. The object
			 * knows it before anyone can find it. */
			pthread_mutex_lock(&race.lock);
			o->key = race.newest + 1;
			g_assert_cmpint(objlife_register(race.t, &o->ref, &key), ==, 0);
			g_assert_cmpuint(key, ==, o->key);
			__atomic_store_n(&race.state[key], KEY_REGISTERED, __ATOMIC_SEQ_CST);
			__atomic_store_n(&race.newest, key, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&race.lock);
		}
		live[i] = o;
		i = (i + 1) % RACE_LIVE;
		rounds++;
	}
	for (i = 0; i < RACE_LIVE; i++) {
		if (live[i]) {
			g_assert_cmpint(objlife_unregister(race.t, &live[i]->ref, -1), ==, 0);
			objlife_put(&live[i]->ref);
		}
	}
	g_test_message("writer: %lu registrations", rounds);
	return NULL;
}

static void *race_looker(void *p)
{
	unsigned seed = (unsigned)(uintptr_t)p * 2654435761u + 1;
	unsigned long found = 0, missed = 0, bad = 0;
	unsigned long n;

	pthread_barrier_wait(&race.start);
	for (n = 0; n < RACE_LOOKUPS; n++) {
		uint64_t newest = __atomic_load_n(&race.newest, __ATOMIC_RELAXED);
		uint64_t span = 2 * RACE_LIVE * RACE_WRITERS, key;
		unsigned char before;
		struct race_obj *o;

		/* Paced: the churn is spread over the lookups, each
		 * thousandth of them coming after its share of withdrawals. */
		if (n % (RACE_LOOKUPS / 1000) == 0)
			while (__atomic_load_n(&race.withdrawals, __ATOMIC_RELAXED) <
			       race.min_withdrawals * (n / (RACE_LOOKUPS / 1000)) / 1000)
				usleep(100);
		seed = seed * 1103515245u + 12345u;
		key = newest > span ? newest - (seed >> 8) % span : 1 + (seed >> 8) % span;
		before = __atomic_load_n(&race.state[key], __ATOMIC_SEQ_CST);
		o = (struct race_obj *)objlife_lookup(race.t, key);
		if (!o) {
			missed++;
			continue;
		}
		found++;
		/* Not withdrawn before this lookup started; not withdrawn or
		 * released while held. */
		if (before >= KEY_WITHDRAWING || o->key != key ||
		    __atomic_load_n(&o->withdrawn, __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&o->released, __ATOMIC_SEQ_CST))
			bad++;
		objlife_put(&o->ref);
	}
	pthread_mutex_lock(&race.lock);
	race.found += found;
	race.missed += missed;
	race.bad += bad;
	pthread_mutex_unlock(&race.lock);
	return NULL;
}

static void test_race_lookups_never_see_withdrawn_objects(void)
{
	pthread_t lookers[RACE_LOOKERS], writers[RACE_WRITERS];
	uint64_t k;
	int i;

	memset(&race, 0, sizeof(race));
	pthread_mutex_init(&race.lock, NULL);
	pthread_barrier_init(&race.start, NULL, RACE_LOOKERS + RACE_WRITERS);
	race.t = new_table("race");
	objlife_table_set_request(race.t, race_request, NULL);
	race.writers_running = 1;
	race.min_withdrawals = under_valgrind() ? RACE_WITHDRAWALS_VALGRIND : RACE_WITHDRAWALS;
	for (i = 0; i < RACE_WRITERS; i++)
		g_assert_cmpint(pthread_create(&writers[i], NULL, race_writer, NULL), ==, 0);
	for (i = 0; i < RACE_LOOKERS; i++)
		g_assert_cmpint(pthread_create(&lookers[i], NULL, race_looker,
					       (void *)(uintptr_t)(i + 1)), ==, 0);
	for (i = 0; i < RACE_LOOKERS; i++)
		pthread_join(lookers[i], NULL);
	__atomic_store_n(&race.writers_running, 0, __ATOMIC_RELAXED);
	for (i = 0; i < RACE_WRITERS; i++)
		pthread_join(writers[i], NULL);

	g_test_message("%lu lookups found an object, %lu missed; %lu withdrawals, newest key %" PRIu64,
		       race.found, race.missed, race.withdrawals, race.newest);
	g_assert_cmpuint(race.found + race.missed, ==, (unsigned long)RACE_LOOKERS * RACE_LOOKUPS);
	g_assert_cmpuint(race.withdrawals, >=, race.min_withdrawals);
	g_assert_cmpuint(race.bad, ==, 0);
	g_assert_cmpuint(race.found, >, 0);
	for (k = 1; k <= race.newest; k++) {
		g_assert_cmpuint(race.releases[k], ==, 1);
		g_assert_cmpuint(race.state[k], ==, KEY_RELEASED);
	}
	g_assert_cmpuint(objlife_table_count(race.t), ==, 0);
	g_assert_cmpuint(objlife_live_count(&race_ops), ==, 0);
	g_assert_cmpint(objlife_table_free(race.t), ==, 0);
	pthread_barrier_destroy(&race.start);
	pthread_mutex_destroy(&race.lock);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/table/new/needs-a-name", test_new_needs_a_name);
	g_test_add_func("/table/new/copies-the-name", test_new_copies_the_name);
	g_test_add_func("/table/free/refuses-a-table-that-holds-objects",
			test_free_refuses_a_table_that_holds_objects);
	g_test_add_func("/table/free/refuses-while-a-withdrawal-is-pending",
			test_free_refuses_while_a_withdrawal_is_pending);
	g_test_add_func("/table/count/counts-registered-objects", test_count_counts_registered_objects);

	g_test_add_func("/table/register/takes-a-reference-of-its-own",
			test_register_takes_a_reference_of_its_own);
	g_test_add_func("/table/register/picks-keys-never-used-before",
			test_register_picks_keys_never_used_before);
	g_test_add_func("/table/register/refuses-a-key-in-use", test_register_refuses_a_key_in_use);
	g_test_add_func("/table/register/one-table-at-a-time", test_register_one_table_at_a_time);
	g_test_add_func("/table/register/refuses-bad-input", test_register_refuses_bad_input);
	g_test_add_func("/table/register/refuses-dead-and-saturated-objects",
			test_register_refuses_dead_and_saturated_objects);
	g_test_add_func("/table/register/reports-no-key-left", test_register_reports_no_key_left);
	g_test_add_func("/table/register/grows-and-shrinks-the-table",
			test_register_grows_and_shrinks_the_table);

	g_test_add_func("/table/lookup/returns-a-new-reference", test_lookup_returns_a_new_reference);
	g_test_add_func("/table/lookup/unknown-key-is-enoent", test_lookup_of_an_unknown_key_is_enoent);
	g_test_add_func("/table/lookup/fails-once-withdrawal-started",
			test_lookup_fails_once_withdrawal_started);

	g_test_add_func("/table/unregister/object-not-in-the-table",
			test_unregister_of_an_object_not_in_the_table);
	g_test_add_func("/table/unregister/leaves-the-callers-reference",
			test_unregister_leaves_the_callers_reference);
	g_test_add_func("/table/unregister/times-out-and-waits-again",
			test_unregister_times_out_and_waits_again);
	g_test_add_func("/table/unregister/gives-up-and-the-last-holder-releases",
			test_unregister_gives_up_and_the_last_holder_releases);
	g_test_add_func("/table/unregister/then-register-again", test_unregister_then_register_again);
	g_test_add_func("/table/unregister/waits-reports-and-requests",
			test_unregister_waits_reports_and_requests);
	g_test_add_func("/table/unregister/report-without-trackers",
			test_unregister_report_without_trackers);
	g_test_add_func("/table/unregister/wakes-soon-after-the-last-put",
			test_unregister_wakes_soon_after_the_last_put);
	g_test_add_func("/table/unregister/by-two-threads-at-once", test_unregister_by_two_threads_at_once);
	g_test_add_func("/table/misuse/put-of-the-tables-reference-is-reported",
			test_put_of_the_tables_reference_is_reported);

	g_test_add_func("/table/request/nudges-the-holder", test_request_nudges_the_holder);
	g_test_add_func("/table/request/set-waits-for-a-running-call",
			test_set_request_waits_for_a_running_call);

	g_test_add_func("/table/visit/may-withdraw-every-object", test_visit_may_withdraw_every_object);
	g_test_add_func("/table/visit/for-a-shutdown", test_visit_for_a_shutdown);
	g_test_add_func("/table/visit/stops-at-a-non-zero-return", test_visit_stops_at_a_non_zero_return);

	g_test_add_func("/table/oom/new", test_new_out_of_memory);
	g_test_add_func("/table/oom/register-changes-nothing", test_register_out_of_memory_changes_nothing);
	g_test_add_func("/table/oom/visit-visits-nothing", test_visit_out_of_memory_visits_nothing);
	g_test_add_func("/table/oom/lookup-without-a-reader-record",
			test_lookup_without_memory_for_a_reader_record);

	g_test_add_func("/table/threads/looked-up-and-exited", test_threads_that_looked_up_and_exited);
	/* Memcheck checks a forked child for leaks at its _exit(), and this
	 * child holds the parent's table and objects, which it cannot free
	 * (the threads that use them did not come along): the case runs in
	 * the other builds (plain, ASan, TSan, the matrix), and says so here. */
	if (!under_valgrind())
		g_test_add_func("/table/fork/while-threads-look-up", test_fork_while_threads_look_up);
	else if (!g_test_subprocess())
		printf("# under valgrind: /table/fork/while-threads-look-up is not registered\n");
	g_test_add_func("/table/race/lookups-never-see-withdrawn-objects",
			test_race_lookups_never_see_withdrawn_objects);
	return g_test_run();
}
