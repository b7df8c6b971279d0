/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The diagnostics out of memory: the registry, the stack depot, trackers,
 * the quarantine and report texts each failing in turn. An object is
 * never lost or corrupted: it is counted as untracked, NO_MEMORY is
 * reported once, and everything goes on working.
 *
 * This program compiles the library's sources in, to reach the hidden
 * hook ol_mem_fail_hook that fails internal allocations.
 */
#include "objlife-private.h"
#include "memfail.h"

#ifdef HAVE_VALGRIND_VALGRIND_H
# include <valgrind/valgrind.h>
#endif

static void test_registry_out_of_memory_untracks_the_object(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *a, *b, *tracked;
		size_t live;
		char *text;

		tu_events_start();
		tu_mem_fail_all(OL_MEM_REGISTRY);    /* before the registry has any memory */
		a = tu_new(&c);
		b = tu_new(&c);
		tu_mem_stop();
		/* Both objects work as ever. */
		g_assert_cmpint(c.inits, ==, 2);
		tu_get(a);
		g_assert_cmpuint(objlife_refcount(&a->ref), ==, 2);
		tu_put(a);
		/* Said once, for the first. */
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_NO_MEMORY);
		g_assert_true(tu_events.obj[0] == &a->ref);
		g_assert_true(tu_has_prefix(tu_events.message[0], "objlife: NO_MEMORY: type=tu_obj obj=0x"));
		g_assert_nonnull(strstr(tu_events.message[0], "out of memory in the leak registry; this object is not tracked"));

		/* Counted, without a site; a tracked one alongside has its site. */
		tracked = tu_new(&c);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 3);
		g_assert_nonnull(strstr(text, "objlife: LEAK: 1 x tu_obj (count 1) allocated at:\n    #0 "));
		g_assert_nonnull(strstr(text, "objlife: LEAK: 2 x tu_obj (not tracked: the registry was out of memory; no counts or site)\n"));
		free(text);

		tu_put(a);
		tu_put(b);
		tu_put(tracked);
		g_assert_cmpint(c.releases, ==, 3);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 0);
		g_assert_cmpstr(text, ==, "");
		free(text);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		return;
	}
	tu_trap_with_debug("leaks");
}

static void test_registry_out_of_memory_under_refs(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o;
		struct objlife_tracker *t;

		tu_events_start();
		tu_mem_fail_all(OL_MEM_REGISTRY);
		o = tu_new(NULL);
		tu_mem_stop();
		/* Untracked object: untracked references, plain get/put. */
		objlife_get_tracked(&o->ref, &t);
		g_assert_null(t);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
		objlife_put_tracked(&o->ref, &t);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		tu_put(o);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_stack_out_of_memory_keeps_the_object_tracked(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o;
		size_t live;
		char *text;

		tu_events_start();
		tu_mem_fail_all(OL_MEM_STACK);
		o = tu_new(NULL);
		tu_mem_stop();
		g_assert_cmpuint(tu_events_count_of(OBJLIFE_EVENT_NO_MEMORY), ==, 1);
		g_assert_nonnull(strstr(tu_events.message[0], "objlife: NO_MEMORY: out of memory for a stack"));
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 1);
		g_assert_nonnull(strstr(text, "objlife: LEAK: 1 x tu_obj (count 1) allocated at:\n"
					"    (no stack: out of memory when it was taken)\n"));
		free(text);
		tu_put(o);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("leaks");
}

static void test_stack_cache_out_of_memory_only_slows_down(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o;
		size_t live;
		char *text;

		tu_events_start();
		tu_mem_fail_all(OL_MEM_STACK_CACHE);
		o = tu_new(NULL);
		tu_mem_stop();
#ifdef RUNNING_ON_VALGRIND
		if (RUNNING_ON_VALGRIND) {
			/* No cache under Valgrind (see backtrace.c): nothing failed. */
			g_assert_cmpuint(tu_events_count(), ==, 0);
		} else
#endif
		{
			g_assert_cmpuint(tu_events_count(), ==, 1);
			g_assert_nonnull(strstr(tu_events.message[0],
						"objlife: NO_MEMORY: out of memory for a thread's stack cache"));
		}
		/* The stack is all there. */
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 1);
		g_assert_nonnull(strstr(text, "allocated at:\n    #0 "));
#ifdef HAVE_LIBDW
		/* A static function: only libdw names it. */
		g_assert_nonnull(strstr(text, " test_stack_cache_out_of_memory_only_slows_down"));
#endif
		free(text);
		tu_put(o);
		return;
	}
	tu_trap_with_debug("leaks");
}

static void test_tracker_out_of_memory_takes_an_untracked_reference(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o = tu_new(NULL);
		struct objlife_tracker *t1, *t2, *ok;

		tu_events_start();
		tu_mem_fail_all(OL_MEM_TRACKER);
		objlife_get_tracked(&o->ref, &t1);
		objlife_get_tracked(&o->ref, &t2);
		tu_mem_stop();
		g_assert_null(t1);
		g_assert_null(t2);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 3);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_NO_MEMORY);
		objlife_get_tracked(&o->ref, &ok);
		g_assert_nonnull(ok);
		/* The untracked ones drop as NULL trackers, no complaint. */
		objlife_put_tracked(&o->ref, &t1);
		objlife_put_tracked(&o->ref, &t2);
		objlife_put_tracked(&o->ref, &ok);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		/* A third NULL drop has no untracked reference left. */
		objlife_put_tracked(&o->ref, &t1);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
		g_assert_cmpuint(tu_events_count_of(OBJLIFE_EVENT_BAD_TRACKER), ==, 1);
		tu_put(o);
		return;
	}
	tu_trap_with_debug("refs");
}

/* A type whose memory goes back through ops->free, counted: what the
 * quarantine keeps is not freed yet. */
static unsigned q_frees;

static void *q_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops;
	return tu_zalloc(size, align);
}

static void q_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops; (void)size;
	q_frees++;
	free(mem);
}

static const struct objlife_ops q_ops = {
	.name = "q", .init = tu_init, .release = tu_release, .alloc = q_alloc, .free = q_free,
};

static void test_quarantine_out_of_memory_frees_directly(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *a = objlife_alloc(struct tu_obj, ref, &q_ops, &c);
		struct tu_obj *b = objlife_alloc(struct tu_obj, ref, &q_ops, &c);

		/* With memory, the quarantine would keep both (test-diag-poison's
		 * memory-goes-back-through-ops-free-on-overflow shows it). */
		g_assert_true(a && b);
		tu_events_start();
		tu_mem_fail_all(OL_MEM_QUARANTINE);
		tu_put(a);
		tu_put(b);
		tu_mem_stop();
		/* Without, the memory goes back at once. */
		g_assert_cmpuint(q_frees, ==, 2);
		g_assert_cmpint(c.releases, ==, 2);
		g_assert_cmpuint(objlife_live_count(NULL), ==, 0);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_NO_MEMORY);
		g_assert_nonnull(strstr(tu_events.message[0], "out of memory for the poison quarantine"));
		return;
	}
	tu_trap_with_debug("poison");
}

static void test_report_out_of_memory_still_reports(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o = tu_new(NULL);
		size_t live;
		char *text;

		tu_mem_fail_all(OL_MEM_REPORT);
		text = tu_leak_check_text(&live);
		tu_mem_stop();
		g_assert_cmpuint(live, ==, 1);
		/* It says what it could not do, rather than nothing. */
		g_assert_cmpstr(text, ==, "objlife: LEAK: (out of memory while listing: some objects are missing)\n");
		free(text);
		tu_put(o);
		return;
	}
	tu_trap_with_debug("leaks");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/diag/oom/registry-untracks-the-object", test_registry_out_of_memory_untracks_the_object);
	g_test_add_func("/diag/oom/registry-under-refs", test_registry_out_of_memory_under_refs);
	g_test_add_func("/diag/oom/stack-keeps-the-object-tracked", test_stack_out_of_memory_keeps_the_object_tracked);
	g_test_add_func("/diag/oom/stack-cache-only-slows-down", test_stack_cache_out_of_memory_only_slows_down);
	g_test_add_func("/diag/oom/tracker-takes-an-untracked-reference",
			test_tracker_out_of_memory_takes_an_untracked_reference);
	g_test_add_func("/diag/oom/quarantine-frees-directly", test_quarantine_out_of_memory_frees_directly);
	g_test_add_func("/diag/oom/report-text-still-reports", test_report_out_of_memory_still_reports);
	return g_test_run();
}
