/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Corners of the core that the other programs leave out: an object too
 * large for its header when there is no memory to remember its size, a
 * holder that appears under objlife_put_mutex()'s lock, a type name longer
 * than a report line, and an empty OBJLIFE_DEBUG_FILE.
 *
 * This program compiles the library's sources in, to reach the hidden hook
 * ol_mem_fail_hook that fails the library's own allocations.
 */
#include "objlife-private.h"
#include "memfail.h"

#include <unistd.h>

/* ---- an object too large for its header ---------------------------------- */

static unsigned n_allocs, n_frees;
static size_t freed_size;

static void *counting_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	void *p = tu_zalloc(size, align);

	(void)ops;
	n_allocs += p != NULL;
	return p;
}

static void counting_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	n_frees++;
	freed_size = size;
	free(mem);
}

static const struct objlife_ops big_ops = {
	.name = "big", .init = tu_init, .release = tu_release,
	.alloc = counting_alloc, .free = counting_free,
};

static void test_big_object_without_memory_for_its_size_is_enomem(void)
{
	/* Past what the header's size field holds: memory.c must remember it. */
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
	g_assert_cmpuint(n_allocs, ==, 1);
	g_assert_cmpuint(n_frees, ==, 1);
	g_assert_cmpuint(freed_size, ==, size);
	g_assert_cmpint(c.inits, ==, 0);
	g_assert_cmpint(c.releases, ==, 0);
	g_assert_cmpuint(objlife_live_count(&big_ops), ==, 0);

	/* With memory, the same size works and goes back with its size. */
	obj = objlife_alloc_size(&big_ops, size, 8, &c);
	g_assert_nonnull(obj);
	g_assert_cmpint(c.inits, ==, 1);
	objlife_put(obj);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_cmpuint(n_frees, ==, 2);
	g_assert_cmpuint(freed_size, ==, size);
}

/* ---- objlife_put_mutex(): a holder appears under the lock ---------------- */

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
	 * lookup under the lock takes a reference (a plain get, as semantic 3
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

/* ---- reports ---------------------------------------------------------------- */

static char long_name[600];
static struct objlife_ops long_name_ops = { .name = long_name, .alloc = tu_block_alloc, .free = tu_block_free };

static void test_type_name_longer_than_a_line_is_cut(void)
{
	struct objlife *obj;

	memset(long_name, 'n', sizeof(long_name) - 1);
	obj = objlife_alloc_size(&long_name_ops, 64, 8, NULL);
	g_assert_nonnull(obj);
	tu_events_start();
	tu_preset_count(obj, 0);
	objlife_put(obj);
	/* Reported all the same, as one line of the report's size: the head
	 * and as much of the name as fits. */
	tu_assert_one_event(OBJLIFE_EVENT_UNDERFLOW, obj);
	g_assert_cmpuint(strlen(tu_events.message[0]), ==, 511);
	g_assert_cmpint(strncmp(tu_events.message[0], "objlife: UNDERFLOW: type=nnnn", 29), ==, 0);
	g_assert_cmpuint(strspn(tu_events.message[0] + 25, "n"), ==, 511 - 25);
	g_assert_cmpuint(objlife_refcount(obj), ==, OBJLIFE_REFCOUNT_SATURATED);
	objlife_set_report_handler(NULL, NULL);
}

static const struct objlife_ops session_ops = { .name = "session", .alloc = tu_block_alloc, .free = tu_block_free };

static void test_empty_debug_file_reports_to_stderr(void)
{
	if (g_test_subprocess()) {
		struct objlife *obj = objlife_alloc_size(&session_ops, 64, 8, NULL);

		g_assert_nonnull(obj);
		tu_preset_count(obj, 0);
		objlife_put(obj);
		return;
	}
	setenv("OBJLIFE_DEBUG_FILE", "", 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG_FILE");
	g_test_trap_assert_passed();
	/* No file named "", and no complaint about one. */
	g_test_trap_assert_stderr("objlife: UNDERFLOW: type=session obj=0x* count=0: put below zero; "
				  "the object will leak\n");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cov/core/big-object-without-memory-for-its-size-is-enomem",
			test_big_object_without_memory_for_its_size_is_enomem);
	g_test_add_func("/cov/core/put-mutex-keeps-an-object-that-gained-a-holder-under-the-lock",
			test_put_mutex_keeps_an_object_that_gained_a_holder_under_the_lock);
	g_test_add_func("/cov/report/type-name-longer-than-a-line-is-cut", test_type_name_longer_than_a_line_is_cut);
	g_test_add_func("/cov/report/empty-debug-file-reports-to-stderr", test_empty_debug_file_reports_to_stderr);
	return g_test_run();
}
