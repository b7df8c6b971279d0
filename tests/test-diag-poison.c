/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OBJLIFE_DEBUG=poison: a freed object waits in a bounded quarantine,
 * filled and marked dead. A get, put or get_unless_zero on it is reported
 * once as BAD_OBJECT and changes nothing; a write into it is reported when
 * it leaves; its memory goes back through ops->free, with its size, once
 * the quarantine overflows (1024 objects or 16 MiB), oldest first, as
 * many at once as a large object needs.
 */
#include "testutil.h"
#include "diag/spawn.h"

#include <dlfcn.h>

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

/* ---- a dlclose()d plugin's objects in the quarantine ------------------ */

/* tests/plugin/plugin.c: a type with its own allocator and one without,
 * whose ops tables, names and ops->free go with the module. */
struct plugin {
	void *handle;
	const struct objlife_ops *(*ops)(int own);
	struct objlife *(*new_obj)(int own);
	unsigned (*own_frees)(void);
};

static void plugin_open(struct plugin *p)
{
	p->handle = dlopen(PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
	if (!p->handle)
		g_error("dlopen: %s", dlerror());
	*(void **)&p->ops = dlsym(p->handle, "plugin_ops");
	*(void **)&p->new_obj = dlsym(p->handle, "plugin_new");
	*(void **)&p->own_frees = dlsym(p->handle, "plugin_own_frees");
	g_assert_nonnull(p->ops);
	g_assert_nonnull(p->new_obj);
	g_assert_nonnull(p->own_frees);
}

/* Unloads the plugin, and checks it is gone: its pages are unmapped. */
static void plugin_close(struct plugin *p)
{
	g_assert_cmpint(dlclose(p->handle), ==, 0);
	g_assert_null(dlopen(PLUGIN_PATH, RTLD_NOW | RTLD_NOLOAD));
	memset(p, 0, sizeof(*p));
}

/* Frees a quarantine's worth of tu objects: every object quarantined
 * before is evicted. */
static void churn_quarantine(void)
{
	unsigned i;

	for (i = 0; i < QUARANTINE_OBJECTS; i++)
		tu_put(tu_new(NULL));
}

static void test_unloaded_plugin_object_evicted_reports_from_copy(void)
{
	if (g_test_subprocess()) {
		struct plugin p;
		struct objlife *obj;
		char want[160];

		plugin_open(&p);
		obj = p.new_obj(0);     /* the default allocator */
		g_assert_nonnull(obj);
		objlife_put(obj);
		g_assert_cmpuint(objlife_live_count(NULL), ==, 0);
		((unsigned char *)obj)[sizeof(struct objlife)] = 0x6c;   /* written after free */
		plugin_close(&p);
		tu_events_start();
		churn_quarantine();
		/* Reported with the type's name, which went with the plugin. */
		tu_assert_one_event(OBJLIFE_EVENT_BAD_OBJECT, obj);
		snprintf(want, sizeof(want), "objlife: BAD_OBJECT: type=plugin_plain obj=%p count=0: "
			 "freed object was written after free (at offset %zu, found 0x6c)",
			 (void *)obj, sizeof(struct objlife));
		g_assert_cmpstr(tu_events.message[0], ==, want);
		return;
	}
	tu_trap_with_debug("poison");
}

static void test_flush_before_dlclose_frees_through_plugin(void)
{
	if (g_test_subprocess()) {
		enum { N = 40 };        /* more than one batch */
		struct objlife *objs[N];
		const struct objlife_ops *ops;
		struct plugin p;
		unsigned i;

		plugin_open(&p);
		ops = p.ops(1);        /* its own alloc and free */
		for (i = 0; i < N; i++) {
			objs[i] = p.new_obj(1);
			g_assert_nonnull(objs[i]);
		}
		for (i = 0; i < N; i++)
			objlife_put(objs[i]);
		g_assert_cmpuint(objlife_live_count(ops), ==, 0);
		g_assert_cmpuint(p.own_frees(), ==, 0);    /* all quarantined */
		tu_events_start();
		g_assert_cmpuint(objlife_quarantine_flush(ops), ==, N);
		g_assert_cmpuint(p.own_frees(), ==, N);
		g_assert_cmpuint(objlife_quarantine_flush(ops), ==, 0);
		plugin_close(&p);
		/* Evictions go on, and reach nothing of the plugin's. */
		churn_quarantine();
		churn_quarantine();
		g_assert_cmpuint(tu_events_count(), ==, 0);
		return;
	}
	tu_trap_with_debug("poison");
}

static void test_flush_gives_back_only_its_type(void)
{
	if (g_test_subprocess()) {
		struct objlife *own[3];
		unsigned i;

		for (i = 0; i < 3; i++) {
			own[i] = objlife_alloc_size(&own_ops, 100, 8, NULL);
			g_assert_nonnull(own[i]);
		}
		tu_put(tu_new(NULL));
		for (i = 0; i < 3; i++)
			objlife_put(own[i]);
		tu_put(tu_new(NULL));
		g_assert_cmpuint(n_freed, ==, 0);
		/* Oldest first, each through ops->free with its size. */
		g_assert_cmpuint(objlife_quarantine_flush(&own_ops), ==, 3);
		g_assert_cmpuint(n_freed, ==, 3);
		for (i = 0; i < 3; i++) {
			g_assert_true(freed[i] == own[i]);
			g_assert_cmpuint(freed_size[i], ==, 100);
		}
		/* The tu objects stayed; NULL takes them, and then nothing is left. */
		g_assert_cmpuint(objlife_quarantine_flush(&tu_ops), ==, 2);
		g_assert_cmpuint(objlife_quarantine_flush(NULL), ==, 0);
		g_assert_cmpuint(n_freed, ==, 3);
		return;
	}
	tu_trap_with_debug("poison");
}

static void test_flush_of_every_type(void)
{
	if (g_test_subprocess()) {
		struct objlife *obj = objlife_alloc_size(&own_ops, 100, 8, NULL);

		g_assert_nonnull(obj);
		objlife_put(obj);
		tu_put(tu_new(NULL));
		g_assert_cmpuint(objlife_quarantine_flush(NULL), ==, 2);
		g_assert_cmpuint(n_freed, ==, 1);
		g_assert_true(freed[0] == obj);
		/* The quarantine works on afterwards. */
		obj = objlife_alloc_size(&own_ops, 100, 8, NULL);
		g_assert_nonnull(obj);
		objlife_put(obj);
		g_assert_cmpuint(n_freed, ==, 1);
		g_assert_cmpuint(objlife_quarantine_flush(&own_ops), ==, 1);
		g_assert_cmpuint(n_freed, ==, 2);
		return;
	}
	tu_trap_with_debug("poison");
}

static void test_flush_without_poison_does_nothing(void)
{
	if (g_test_subprocess()) {
		struct objlife *obj = objlife_alloc_size(&own_ops, 100, 8, NULL);

		g_assert_nonnull(obj);
		objlife_put(obj);
		g_assert_cmpuint(n_freed, ==, 1);   /* no quarantine: freed at once */
		g_assert_cmpuint(objlife_quarantine_flush(&own_ops), ==, 0);
		g_assert_cmpuint(objlife_quarantine_flush(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug(NULL);
}

/* One freed object larger than the quarantine's room evicts as many of
 * the oldest as it takes, each through ops->free with its size. */
static void test_large_freed_object_evicts_many_oldest_first(void)
{
	if (g_test_subprocess()) {
		enum { SMALL = 512 << 10, LARGE = 15 << 20, N_SMALL = 20 };
		struct objlife *small[N_SMALL], *large;
		unsigned i;

		for (i = 0; i < N_SMALL; i++) {
			small[i] = objlife_alloc_size(&own_ops, SMALL, 8, NULL);
			g_assert_nonnull(small[i]);
		}
		large = objlife_alloc_size(&own_ops, LARGE, 8, NULL);
		g_assert_nonnull(large);
		for (i = 0; i < N_SMALL; i++)
			objlife_put(small[i]);
		g_assert_cmpuint(n_freed, ==, 0);     /* 10 MiB: all kept */
		/* 15 MiB more: all but two of the small ones must go. */
		objlife_put(large);
		g_assert_cmpuint(n_freed, ==, N_SMALL - 2);
		for (i = 0; i < N_SMALL - 2; i++) {
			g_assert_true(freed[i] == small[i]);
			g_assert_cmpuint(freed_size[i], ==, SMALL);
		}
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
	g_test_add_func("/diag/poison/unloaded-plugin-object-evicted-reports-from-copy",
			test_unloaded_plugin_object_evicted_reports_from_copy);
	g_test_add_func("/diag/poison/flush-before-dlclose-frees-through-plugin",
			test_flush_before_dlclose_frees_through_plugin);
	g_test_add_func("/diag/poison/flush-gives-back-only-its-type", test_flush_gives_back_only_its_type);
	g_test_add_func("/diag/poison/flush-of-every-type", test_flush_of_every_type);
	g_test_add_func("/diag/poison/flush-without-poison-does-nothing",
			test_flush_without_poison_does_nothing);
	g_test_add_func("/diag/poison/large-freed-object-evicts-many-oldest-first",
			test_large_freed_object_evicts_many_oldest_first);
	return g_test_run();
}
