/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OBJLIFE_DEBUG=poison: a freed object waits in a bounded quarantine,
 * filled and marked dead. A get, put or get_unless_zero on it is reported
 * once as BAD_OBJECT and changes nothing; a write into it is reported when
 * it leaves; its memory goes back through ops->free, with its size, once
 * the quarantine overflows (1024 objects or 16 MiB).
 */
#include "testutil.h"
#include "diag/spawn.h"

#define QUARANTINE_OBJECTS 1024

static void test_put_after_free_is_reported_and_changes_nothing(void)
{
	struct diag_run r = diag_spawn("lifecycle", "put-after-free", "poison", NULL);

	/* No crash, no corruption: the program runs to its end. */
	g_assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	g_assert_cmpstr(r.out, ==, "get_unless_zero=0 count=0\n");
	/* Put, get and get_unless_zero all hit it; one report per object. */
	g_assert_cmpuint(tu_count(r.err, "objlife: "), ==, 1);
	g_assert_true(tu_has_prefix(r.err, "objlife: BAD_OBJECT: type=session obj=0x"));
	tu_assert_has(r.err, " count=0: put on a freed object (in the poison quarantine); nothing changed\n");
	diag_run_free(&r);
}

static void test_write_after_free_is_reported_on_eviction(void)
{
	struct diag_run r = diag_spawn("lifecycle", "write-after-free", "poison", NULL);

	g_assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	g_assert_cmpstr(r.out, ==, "done\n");
	g_assert_cmpuint(tu_count(r.err, "objlife: "), ==, 1);
	/* struct session: the header (16 bytes on LP64, 12 on ILP32), then
	 * peer[], written "late". */
	{
		char want[128];

		snprintf(want, sizeof(want),
			 "freed object was written after free (at offset %zu, found 0x6c)",
			 sizeof(struct objlife));
		tu_assert_has(r.err, want);
	}
	diag_run_free(&r);
}

static void test_each_access_is_caught_in_process(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);
		struct objlife *obj = &o->ref;
		size_t i;

		tu_events_start();
		objlife_put(obj);
		g_assert_cmpint(c.releases, ==, 1);
		g_assert_cmpuint(objlife_live_count(&tu_ops), ==, 0);
		/* Dead and filled, the ops pointer kept for reports. */
		g_assert_cmpuint(objlife_refcount(obj), ==, 0);
		g_assert_true(objlife_ops_of(obj) == &tu_ops);
		for (i = sizeof(struct objlife); i < sizeof(*o); i++)
			g_assert_cmpuint(((unsigned char *)o)[i], ==, 0x6b);

		g_assert_false(objlife_get_unless_zero(obj));
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_BAD_OBJECT);
		g_assert_true(tu_events.obj[0] == obj);
		g_assert_nonnull(strstr(tu_events.message[0], "get_unless_zero on a freed object"));
		/* Later accesses: silent, and still nothing changes. */
		objlife_get(obj);
		objlife_put(obj);
		objlife_put(obj);
		g_assert_false(objlife_put_mutex(obj, NULL));
		objlife_may_leak(obj);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpuint(objlife_refcount(obj), ==, 0);
		g_assert_cmpint(c.releases, ==, 1);
		g_assert_cmpuint(objlife_live_count(NULL), ==, 0);
		for (i = sizeof(struct objlife); i < sizeof(*o); i++)
			g_assert_cmpuint(((unsigned char *)o)[i], ==, 0x6b);
		return;
	}
	tu_trap_with_debug("poison");
}

/* A type with its own allocator that records what comes back. */
static void *freed[2 * QUARANTINE_OBJECTS];
static size_t freed_size[2 * QUARANTINE_OBJECTS];
static unsigned n_freed;

static void *own_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops;
	return tu_zalloc(size, align);
}

static void own_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	freed[n_freed] = mem;
	freed_size[n_freed++] = size;
	free(mem);
}

static const struct objlife_ops own_ops = { .name = "own", .alloc = own_alloc, .free = own_free };

static void test_memory_goes_back_through_ops_free_on_overflow(void)
{
	if (g_test_subprocess()) {
		static struct objlife *objs[QUARANTINE_OBJECTS + 10];
		unsigned i;

		for (i = 0; i < QUARANTINE_OBJECTS + 10; i++) {
			objs[i] = objlife_alloc_size(&own_ops, 100, 8, NULL);
			g_assert_nonnull(objs[i]);
		}
		for (i = 0; i < QUARANTINE_OBJECTS; i++)
			objlife_put(objs[i]);
		/* All quarantined, none given back yet. */
		g_assert_cmpuint(n_freed, ==, 0);
		for (; i < QUARANTINE_OBJECTS + 10; i++)
			objlife_put(objs[i]);
		/* Oldest first, each with the size it was allocated with. */
		g_assert_cmpuint(n_freed, ==, 10);
		for (i = 0; i < 10; i++) {
			g_assert_true(freed[i] == objs[i]);
			g_assert_cmpuint(freed_size[i], ==, 100);
		}
		return;
	}
	tu_trap_with_debug("poison");
}

static void test_quarantine_is_bounded_by_bytes(void)
{
	if (g_test_subprocess()) {
		enum { BIG = 5 << 20 };      /* four of them pass 16 MiB */
		struct objlife *objs[4];
		unsigned i;

		for (i = 0; i < 4; i++) {
			objs[i] = objlife_alloc_size(&own_ops, BIG, 8, NULL);
			g_assert_nonnull(objs[i]);
		}
		for (i = 0; i < 3; i++)
			objlife_put(objs[i]);
		g_assert_cmpuint(n_freed, ==, 0);
		objlife_put(objs[3]);
		g_assert_cmpuint(n_freed, ==, 1);
		g_assert_true(freed[0] == objs[0]);
		g_assert_cmpuint(freed_size[0], ==, BIG);
		return;
	}
	tu_trap_with_debug("poison");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/diag/poison/put-after-free-reported-changes-nothing",
			test_put_after_free_is_reported_and_changes_nothing);
	g_test_add_func("/diag/poison/write-after-free-reported-on-eviction",
			test_write_after_free_is_reported_on_eviction);
	g_test_add_func("/diag/poison/each-access-caught", test_each_access_is_caught_in_process);
	g_test_add_func("/diag/poison/memory-back-through-ops-free-on-overflow",
			test_memory_goes_back_through_ops_free_on_overflow);
	g_test_add_func("/diag/poison/bounded-by-bytes", test_quarantine_is_bounded_by_bytes);
	return g_test_run();
}
