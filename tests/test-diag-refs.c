/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OBJLIFE_DEBUG=refs: objlife_get_tracked()/objlife_put_tracked(). A leaked
 * tracked reference names its holder; a tracker dropped twice, on another
 * object, or never taken is reported as BAD_TRACKER and leaves the count
 * alone; a NULL tracker pointer is EINVAL but keeps the reference
 * semantics; with refs off the calls are plain get/put. A leak report
 * groups an object's trackers by site; a release with trackers held shows
 * the first four; a tracker dropped after its object was released does
 * not read the object; a tracked call on NULL or on a freed object is
 * not a tracker.
 */
#include "config.h"
#include "testutil.h"
#include "diag/spawn.h"
#include "diag/sites.h"

/* ---- the helper program ------------------------------------------------ */

static void test_leaked_tracker_names_its_holder(void)
{
	struct diag_run r = diag_spawn("lifecycle", "leak-tracker", "refs", NULL);

	g_test_message("the report:\n%s", r.err);   /* for the test log */
	g_assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	g_assert_cmpuint(tu_count(r.err, "objlife: LEAK: "), ==, 1);
	tu_assert_in_order(r.err, "objlife: LEAK: 1 x session (count 1) allocated at:\n"
			     "    #0 session_new", "\n  held by 1 tracker taken at:\n    #0 hold_session");
#ifdef HAVE_EXECINFO_H   /* without backtrace(), a stack is its first frame */
	tu_assert_in_order(r.err, "    #0 hold_session", "\n    #1 mode_leak_tracker");
#endif
	diag_run_free(&r);
}

static void test_double_drop_is_reported_and_count_unchanged(void)
{
	struct diag_run r = diag_spawn("lifecycle", "double-drop", "refs", NULL);

	g_test_message("the report:\n%s", r.err);   /* for the test log */
	g_assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	g_assert_cmpstr(r.out, ==, "taken: count=2\ndropped: count=1\ndropped again: count=1\nlive=0\n");
	g_assert_cmpuint(tu_count(r.err, "objlife: "), ==, 1);
	g_assert_true(tu_has_prefix(r.err, "objlife: BAD_TRACKER: type=session obj=0x"));
	tu_assert_has(r.err, " count=1: tracker dropped twice; the count is unchanged\n");
	/* Both ends, and the second drop. */
	tu_assert_in_order(r.err, "  tracker taken at:\n    #0 take_ref", "  first dropped at:\n    #0 drop_ref");
	tu_assert_in_order(r.err, "  first dropped at:", "  dropped again at:\n    #0 drop_ref_again");
#ifdef HAVE_LIBDW
	tu_assert_has(r.err, "lifecycle.c:");
#endif
	diag_run_free(&r);
}

static void test_tracker_of_another_object_is_reported(void)
{
	struct diag_run r = diag_spawn("lifecycle", "other-object", "refs", NULL);

	g_assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	/* a kept the tracked reference, b its own: neither count moved. */
	g_assert_cmpstr(r.out, ==, "a=2 b=1\nlive=0\n");
	g_assert_cmpuint(tu_count(r.err, "objlife: "), ==, 1);
	tu_assert_has(r.err, "tracker of another object (type=session obj=0x");
	tu_assert_in_order(r.err, "  tracker taken at:\n    #0 take_ref", "  dropped at:\n    #0 drop_ref");
	diag_run_free(&r);
}

/* ---- in-process -------------------------------------------------------- */

static void test_refs_off_is_plain_get_put(void)
{
	/* This process has no OBJLIFE_DEBUG (the suite's environment). */
	if (g_test_subprocess()) {
		struct tu_obj *o = tu_new(NULL);
		struct objlife_tracker *t = (struct objlife_tracker *)&t;   /* garbage on purpose */

		tu_events_start();
		g_assert_true(objlife_get_tracked(&o->ref, &t) == &o->ref);
		g_assert_null(t);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
		objlife_put_tracked(&o->ref, &t);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
		/* A NULL tracker pointer: EINVAL, and the reference moves all the same. */
		errno = 0;
		objlife_get_tracked(&o->ref, NULL);
		g_assert_cmpint(errno, ==, EINVAL);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
		errno = 0;
		objlife_put_tracked(&o->ref, NULL);
		g_assert_cmpint(errno, ==, EINVAL);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
		g_assert_cmpuint(tu_events_count(), ==, 0);
		tu_put(o);
		g_assert_cmpuint(objlife_live_count(&tu_ops), ==, 0);
		/* NULL object: nothing, and the tracker is cleared. */
		t = (struct objlife_tracker *)&t;
		g_assert_null(objlife_get_tracked(NULL, &t));
		g_assert_null(t);
		objlife_put_tracked(NULL, &t);
		return;
	}
	tu_trap_with_debug(NULL);
}

static void test_tracked_get_and_put_pair_up(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);
		struct objlife_tracker *t1, *t2;

		tu_events_start();
		objlife_get_tracked(&o->ref, &t1);
		objlife_get_tracked(&o->ref, &t2);
		g_assert_nonnull(t1);
		g_assert_nonnull(t2);
		g_assert_true(t1 != t2);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 3);
		/* In any order. */
		objlife_put_tracked(&o->ref, &t1);
		objlife_put_tracked(&o->ref, &t2);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
		g_assert_cmpuint(tu_events_count(), ==, 0);
		tu_put(o);
		g_assert_cmpint(c.releases, ==, 1);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_null_tracker_pointer_is_einval_and_reported(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o = tu_new(NULL);

		tu_events_start();
		errno = 0;
		g_assert_true(objlife_get_tracked(&o->ref, NULL) == &o->ref);
		g_assert_cmpint(errno, ==, EINVAL);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
		errno = 0;
		objlife_put_tracked(&o->ref, NULL);
		g_assert_cmpint(errno, ==, EINVAL);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
		g_assert_cmpuint(tu_events_count(), ==, 2);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_BAD_TRACKER);
		g_assert_true(tu_has_prefix(tu_events.message[0], "objlife: BAD_TRACKER: type=tu_obj obj=0x"));
		g_assert_nonnull(strstr(tu_events.message[0], "count=2: NULL tracker pointer; the reference is taken, untracked\n  taken at:\n    #0 "));
		g_assert_nonnull(strstr(tu_events.message[1], "count=2: NULL tracker pointer; the reference is dropped, untracked\n  dropped at:\n    #0 "));
		tu_put(o);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_unknown_handle_is_reported_and_count_unchanged(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o = tu_new(NULL);
		struct objlife_tracker *never = (struct objlife_tracker *)(uintptr_t)0x12345;
		struct objlife_tracker *even = (struct objlife_tracker *)(uintptr_t)0x1000;
		struct objlife_tracker *none = NULL;

		objlife_get(&o->ref);
		tu_events_start();
		objlife_put_tracked(&o->ref, &never);
		objlife_put_tracked(&o->ref, &even);
		/* NULL: an untracked reference, and this object has none. */
		objlife_put_tracked(&o->ref, &none);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
		g_assert_cmpuint(tu_events_count(), ==, 3);
		g_assert_nonnull(strstr(tu_events.message[0], "unknown tracker (never taken, or dropped long ago); the count is unchanged"));
		g_assert_nonnull(strstr(tu_events.message[1], "not a tracker handle; the count is unchanged"));
		g_assert_nonnull(strstr(tu_events.message[2], "NULL tracker and no untracked reference to drop"));
		tu_put(o);
		tu_put(o);
		g_assert_cmpuint(objlife_live_count(&tu_ops), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_dropped_handles_are_never_reused(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o = tu_new(NULL);
		struct objlife_tracker *first, *t;
		int i;

		objlife_get_tracked(&o->ref, &first);
		objlife_put_tracked(&o->ref, &first);
		/* Many trackers later (past the kept dropped ones), the old
		 * handle still names no live tracker, even on the same object. */
		for (i = 0; i < 10000; i++) {
			objlife_get_tracked(&o->ref, &t);
			g_assert_true(t != first);
			objlife_put_tracked(&o->ref, &t);
		}
		objlife_get_tracked(&o->ref, &t);
		tu_events_start();
		objlife_put_tracked(&o->ref, &first);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_nonnull(strstr(tu_events.message[0], "unknown tracker"));
		objlife_put_tracked(&o->ref, &t);
		tu_put(o);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_release_with_a_tracker_held_is_reported(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);
		struct objlife_tracker *t;

		objlife_get_tracked(&o->ref, &t);
		tu_events_start();
		/* The tracked reference dropped by a plain put. */
		tu_put(o);
		tu_put(o);
		g_assert_cmpint(c.releases, ==, 1);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_BAD_TRACKER);
		g_assert_nonnull(strstr(tu_events.message[0], "count=0: released with 1 tracker still held"));
		g_assert_nonnull(strstr(tu_events.message[0], "\n  tracker taken at:\n    #0 "));
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_untracked_object_in_refs_mode(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o = tu_new(NULL);
		struct objlife_tracker *t;

		/* may_leak changes nothing for trackers, and nothing leaks. */
		objlife_may_leak(&o->ref);
		tu_events_start();
		objlife_get_tracked(&o->ref, &t);
		g_assert_nonnull(t);
		objlife_put_tracked(&o->ref, &t);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
		g_assert_cmpuint(tu_events_count(), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

/* A type made at run time (ops and name on the heap): one object of it
 * is tracked, dropped and released, then the type is freed, as its owner
 * may once its last object is gone. Its name is scribbled over first, so
 * that a read of it shows even without AddressSanitizer. Returns the
 * dropped tracker's handle, now stale. */
static struct objlife_tracker *stale_handle_of_freed_type(const char *type_name)
{
	struct objlife_ops *ops = calloc(1, sizeof(*ops));
	char *name = strdup(type_name);
	struct objlife_tracker *t;
	struct objlife *obj;

	g_assert_nonnull(ops);
	g_assert_nonnull(name);
	ops->name = name;
	obj = objlife_alloc_size(ops, sizeof(struct objlife) + 16, 8, NULL);
	g_assert_nonnull(obj);
	objlife_get_tracked(obj, &t);
	g_assert_nonnull(t);
	objlife_put_tracked(obj, &t);
	objlife_put(obj);
	g_assert_cmpuint(objlife_live_count(ops), ==, 0);
	memset(name, 'x', strlen(name));
	free(name);
	free(ops);
	return t;
}

static void test_stale_handle_survives_type_gone(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o = tu_new(NULL);
		struct objlife_tracker *stale = stale_handle_of_freed_type("runtime_type");

		objlife_get(&o->ref);
		tu_events_start();
		objlife_put_tracked(&o->ref, &stale);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
		tu_assert_one_event(OBJLIFE_EVENT_BAD_TRACKER, &o->ref);
		g_assert_true(tu_has_prefix(tu_events.message[0], "objlife: BAD_TRACKER: type=tu_obj obj=0x"));
		tu_assert_has(tu_events.message[0], " count=2: tracker of another object (type=runtime_type obj=0x");
		tu_assert_has(tu_events.message[0], ", tracker already dropped); the count is unchanged\n");
		tu_put(o);
		tu_put(o);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_stale_handle_long_type_name_is_shortened(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o = tu_new(NULL);
		struct objlife_tracker *stale =
			stale_handle_of_freed_type("a_type_name_of_well_over_thirty_one_characters");

		objlife_get(&o->ref);
		tu_events_start();
		objlife_put_tracked(&o->ref, &stale);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
		tu_assert_one_event(OBJLIFE_EVENT_BAD_TRACKER, &o->ref);
		/* The first 28 characters, and "..." for the rest. */
		tu_assert_has(tu_events.message[0], "tracker of another object (type=a_type_name_of_well_over_thi... obj=0x");
		tu_put(o);
		tu_put(o);
		return;
	}
	tu_trap_with_debug("refs");
}

/* Objects from testutil's static blocks: after tu_blocks_reset() the next
 * object takes the released one's address, as an allocator may. */
static const struct objlife_ops block_ops = {
	.name = "block", .alloc = tu_block_alloc, .free = tu_block_free,
};

static void test_stale_handle_on_reused_address_names_live_object(void)
{
	if (g_test_subprocess()) {
		struct objlife *old = objlife_alloc_size(&block_ops, 32, 8, NULL), *obj;
		struct objlife_tracker *t;

		g_assert_nonnull(old);
		objlife_get_tracked(old, &t);
		objlife_put(old);
		tu_events_start();
		objlife_put(old);    /* the tracked reference, by a plain put: released */
		tu_assert_one_event(OBJLIFE_EVENT_BAD_TRACKER, old);
		g_assert_cmpint(tu_block_frees, ==, 1);
		tu_blocks_reset();
		obj = objlife_alloc_size(&block_ops, 32, 8, NULL);
		g_assert_true(obj == old);
		tu_events_start();
		objlife_put_tracked(obj, &t);
		/* The new object is alive, with its one reference. */
		g_assert_cmpuint(objlife_refcount(obj), ==, 1);
		tu_assert_one_event(OBJLIFE_EVENT_BAD_TRACKER, obj);
		g_assert_true(tu_has_prefix(tu_events.message[0], "objlife: BAD_TRACKER: type=block obj=0x"));
		tu_assert_has(tu_events.message[0], " count=1: tracker of an earlier object at this address "
			      "(type=block, released while the tracker was held); the count is unchanged\n");
		g_assert_null(strstr(tu_events.message[0], "(released)"));
		objlife_put(obj);
		g_assert_cmpuint(objlife_live_count(&block_ops), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_dropped_handle_on_reused_address_names_live_object(void)
{
	if (g_test_subprocess()) {
		struct objlife *old = objlife_alloc_size(&block_ops, 32, 8, NULL), *obj;
		struct objlife_tracker *t;

		g_assert_nonnull(old);
		objlife_get_tracked(old, &t);
		objlife_put_tracked(old, &t);
		objlife_put(old);
		tu_blocks_reset();
		obj = objlife_alloc_size(&block_ops, 32, 8, NULL);
		g_assert_true(obj == old);
		objlife_get(obj);
		tu_events_start();
		objlife_put_tracked(obj, &t);
		g_assert_cmpuint(objlife_refcount(obj), ==, 2);
		tu_assert_one_event(OBJLIFE_EVENT_BAD_TRACKER, obj);
		g_assert_true(tu_has_prefix(tu_events.message[0], "objlife: BAD_TRACKER: type=block obj=0x"));
		tu_assert_has(tu_events.message[0], " count=2: tracker of an earlier object at this address "
			      "(type=block, released, tracker already dropped); the count is unchanged\n");
		objlife_put(obj);
		objlife_put(obj);
		g_assert_cmpuint(objlife_live_count(&block_ops), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_dropped_handle_after_release_says_released(void)
{
	if (g_test_subprocess()) {
		struct objlife *old = objlife_alloc_size(&block_ops, 32, 8, NULL);
		struct objlife_tracker *t;

		g_assert_nonnull(old);
		objlife_get_tracked(old, &t);
		objlife_put_tracked(old, &t);
		objlife_put(old);
		tu_events_start();
		/* Nothing lives there: the dead header is not read. */
		objlife_put_tracked(old, &t);
		tu_assert_one_event(OBJLIFE_EVENT_BAD_TRACKER, old);
		g_assert_true(tu_has_prefix(tu_events.message[0], "objlife: BAD_TRACKER: type=(released) obj=0x"));
		tu_assert_has(tu_events.message[0], " count=0: tracker dropped twice, and its object was "
			      "released since; the count is unchanged\n");
		return;
	}
	tu_trap_with_debug("refs");
}

#define N_THREADS 8
#define ROUNDS 5000

static void *take_and_drop(void *p)
{
	struct tu_obj *o = p;
	struct objlife_tracker *t[4];
	int i, k;

	for (i = 0; i < ROUNDS; i++) {
		for (k = 0; k < 4; k++)
			objlife_get_tracked(&o->ref, &t[k]);
		for (k = 3; k >= 0; k--)
			objlife_put_tracked(&o->ref, &t[k]);
	}
	return NULL;
}

static void test_trackers_under_8_threads(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);
		pthread_t th[N_THREADS];
		int i;

		tu_events_start();
		for (i = 0; i < N_THREADS; i++)
			pthread_create(&th[i], NULL, take_and_drop, o);
		for (i = 0; i < N_THREADS; i++)
			pthread_join(th[i], NULL);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
		g_assert_cmpuint(tu_events_count(), ==, 0);
		tu_put(o);
		g_assert_cmpint(c.releases, ==, 1);
		return;
	}
	tu_trap_with_debug("refs");
}

/* ---- trackers in reports -------------------------------------------------- */

static const struct objlife_ops alpha_ops = { .name = "alpha" };

/* volatile: loops stay loops (not unrolled), so that their calls are one
 * call site, and one stack. */
static volatile int two = 2;

static void test_trackers_are_grouped_by_site(void)
{
	if (g_test_subprocess()) {
		struct objlife *obj = diag_alloc_at_site_a(&alpha_ops);
		struct objlife_tracker *x[2], *y[2], *z;
		size_t live;
		char *text;
		int i;

		for (i = 0; i < two; i++)
			diag_track_at_site_x(obj, &x[i]);       /* one stack, twice */
		diag_track_twice_on_one_line(obj, &y[0], &y[1]);
		diag_track_at_site_z(obj, &z);
		text = tu_leak_check_text(&live);
		g_test_message("the report:\n%s", text);
		g_assert_cmpuint(live, ==, 1);
		g_assert_true(tu_has_prefix(text, "objlife: LEAK: 1 x alpha (count 6) allocated at:\n"
					 "    #0 diag_alloc_at_site_a"));
		tu_assert_has(text, "\n  held by 2 trackers taken at:\n    #0 diag_track_at_site_x");
		tu_assert_has(text, "\n  held by 1 tracker taken at:\n    #0 diag_track_at_site_z");
#ifdef HAVE_LIBDW
		/* Two stacks that read the same are one site. */
		tu_assert_has(text, "\n  held by 2 trackers taken at:\n    #0 diag_track_twice_on_one_line (");
		g_assert_cmpuint(tu_count(text, "\n  held by "), ==, 3);
#else
		g_assert_cmpuint(tu_count(text, "taken at:\n    #0 diag_track_twice_on_one_line"), ==, 2);
		g_assert_cmpuint(tu_count(text, "\n  held by "), ==, 4);
#endif
		free(text);
		for (i = 0; i < 2; i++) {
			objlife_put_tracked(obj, &x[i]);
			objlife_put_tracked(obj, &y[i]);
		}
		objlife_put_tracked(obj, &z);
		objlife_put(obj);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_release_with_five_trackers_held_shows_four(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);
		struct objlife_tracker *t[5];
		int i;

		for (i = 0; i < 5; i++)
			diag_track_at_site_x(&o->ref, &t[i]);
		tu_events_start();
		for (i = 0; i < 6; i++)
			tu_put(o);       /* the tracked references, dropped untracked */
		g_assert_cmpint(c.releases, ==, 1);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_BAD_TRACKER);
		tu_assert_has(tu_events.message[0], " count=0: released with 5 trackers still held");
		g_assert_cmpuint(tu_count(tu_events.message[0], "\n  tracker taken at:\n    #0 diag_track_at_site_x"), ==, 4);
		tu_assert_has(tu_events.message[0], "\n  ... and 1 more");
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_tracker_dropped_on_another_object_after_its_own_drop(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *a = tu_new(NULL), *b = tu_new(NULL);
		struct objlife_tracker *t, *kept;

		diag_track_at_site_x(&a->ref, &t);
		kept = t;
		objlife_put_tracked(&a->ref, &t);
		tu_events_start();
		objlife_put_tracked(&b->ref, &kept);
		g_assert_cmpuint(objlife_refcount(&a->ref), ==, 1);
		g_assert_cmpuint(objlife_refcount(&b->ref), ==, 1);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_true(tu_events.obj[0] == &b->ref);
		tu_assert_has(tu_events.message[0], "type=tu_obj obj=");
		tu_assert_has(tu_events.message[0], ": tracker of another object (type=tu_obj obj=0x");
		tu_assert_has(tu_events.message[0], ", tracker already dropped); the count is unchanged");
		/* Where it was taken and first dropped, and where it came back. */
		tu_assert_in_order(tu_events.message[0], "\n  tracker taken at:\n    #0 diag_track_at_site_x",
				"\n  first dropped at:\n    #0 ");
		tu_assert_has(tu_events.message[0], "\n  dropped at:\n    #0 ");
		tu_put(a);
		tu_put(b);
		return;
	}
	tu_trap_with_debug("refs");
}

/* The object's memory stays this program's after release (block_ops): a
 * late call on it reads nothing that is gone. */
static void test_tracker_dropped_after_its_object_was_released(void)
{
	if (g_test_subprocess()) {
		struct objlife *obj = objlife_alloc_size(&block_ops, 32, 8, NULL);
		struct objlife_tracker *t;

		g_assert_nonnull(obj);
		diag_track_at_site_x(obj, &t);
		objlife_put(obj);
		tu_events_start();
		objlife_put(obj);    /* the tracked reference, dropped untracked: released */
		g_assert_cmpuint(tu_events_count(), ==, 1);
		tu_assert_has(tu_events.message[0], "released with 1 tracker still held");
		objlife_put_tracked(obj, &t);
		g_assert_cmpuint(tu_events_count(), ==, 2);
		g_assert_cmpint(tu_events.event[1], ==, OBJLIFE_EVENT_BAD_TRACKER);
		/* The object is gone: its type and count are not read. */
		tu_assert_has(tu_events.message[1], "objlife: BAD_TRACKER: type=(released) obj=0x");
		tu_assert_has(tu_events.message[1], " count=0: tracker dropped after its object was released "
			   "(a plain put dropped its reference); the count is unchanged");
		tu_assert_has(tu_events.message[1], "\n  tracker taken at:\n    #0 diag_track_at_site_x");
		g_assert_null(strstr(tu_events.message[1], "first dropped at"));
		g_assert_cmpuint(objlife_live_count(&block_ops), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_null_object_is_no_tracked_call(void)
{
	if (g_test_subprocess()) {
		struct objlife_tracker *t = (struct objlife_tracker *)&t;   /* garbage on purpose */

		tu_events_start();
		errno = 0;
		g_assert_null(objlife_get_tracked(NULL, NULL));
		g_assert_cmpint(errno, ==, EINVAL);
		g_assert_null(objlife_get_tracked(NULL, &t));
		g_assert_null(t);
		objlife_put_tracked(NULL, &t);
		objlife_put_tracked(NULL, NULL);
		g_assert_cmpuint(tu_events_count(), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_tracked_get_on_a_freed_object_is_one_report(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);
		struct objlife_tracker *t = (struct objlife_tracker *)&t;

		tu_put(o);                                 /* in the quarantine */
		tu_events_start();
		g_assert_true(objlife_get_tracked(&o->ref, &t) == &o->ref);
		g_assert_null(t);                          /* no tracker on a dead object */
		objlife_put_tracked(&o->ref, &t);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_BAD_OBJECT);
		tu_assert_has(tu_events.message[0], "get on a freed object (in the poison quarantine)");
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 0);
		g_assert_cmpint(c.releases, ==, 1);
		return;
	}
	tu_trap_with_debug("refs,poison");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/diag/refs/leaked-tracker-names-its-holder", test_leaked_tracker_names_its_holder);
	g_test_add_func("/diag/refs/double-drop-reported-count-unchanged",
			test_double_drop_is_reported_and_count_unchanged);
	g_test_add_func("/diag/refs/tracker-of-another-object-reported", test_tracker_of_another_object_is_reported);
	g_test_add_func("/diag/refs/off-is-plain-get-put", test_refs_off_is_plain_get_put);
	g_test_add_func("/diag/refs/get-and-put-pair-up", test_tracked_get_and_put_pair_up);
	g_test_add_func("/diag/refs/null-tracker-pointer-is-einval", test_null_tracker_pointer_is_einval_and_reported);
	g_test_add_func("/diag/refs/unknown-handle-count-unchanged", test_unknown_handle_is_reported_and_count_unchanged);
	g_test_add_func("/diag/refs/dropped-handles-never-reused", test_dropped_handles_are_never_reused);
	g_test_add_func("/diag/refs/release-with-tracker-held-reported", test_release_with_a_tracker_held_is_reported);
	g_test_add_func("/diag/refs/may-leak-object-still-tracked", test_untracked_object_in_refs_mode);
	g_test_add_func("/diag/refs/under-8-threads", test_trackers_under_8_threads);
	g_test_add_func("/diag/refs/stale-handle-survives-type-gone", test_stale_handle_survives_type_gone);
	g_test_add_func("/diag/refs/stale-handle-long-type-name-shortened",
			test_stale_handle_long_type_name_is_shortened);
	g_test_add_func("/diag/refs/stale-handle-on-reused-address-names-live-object",
			test_stale_handle_on_reused_address_names_live_object);
	g_test_add_func("/diag/refs/dropped-handle-on-reused-address-names-live-object",
			test_dropped_handle_on_reused_address_names_live_object);
	g_test_add_func("/diag/refs/dropped-handle-after-release-says-released",
			test_dropped_handle_after_release_says_released);
	g_test_add_func("/diag/refs/leak-report-groups-trackers-by-site", test_trackers_are_grouped_by_site);
	g_test_add_func("/diag/refs/release-with-five-trackers-held-shows-four",
			test_release_with_five_trackers_held_shows_four);
	g_test_add_func("/diag/refs/dropped-on-another-object-after-its-own-drop",
			test_tracker_dropped_on_another_object_after_its_own_drop);
	g_test_add_func("/diag/refs/dropped-after-its-object-was-released",
			test_tracker_dropped_after_its_object_was_released);
	g_test_add_func("/diag/refs/null-object-is-no-tracked-call", test_null_object_is_no_tracked_call);
	g_test_add_func("/diag/refs/tracked-get-on-a-freed-object-is-one-report",
			test_tracked_get_on_a_freed_object_is_one_report);
	return g_test_run();
}
