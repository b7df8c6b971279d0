/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The diagnostics out of memory: the registry, the stack depot, trackers,
 * the quarantine and report texts each failing in turn. An object is
 * never lost or corrupted: it is counted as untracked, NO_MEMORY is
 * reported once, and everything goes on working. A leak report with any
 * one of its allocations failing is still a leak report; a report text
 * keeps what fit and ends in "..."; a report without a symboliser names
 * frames through dladdr().
 *
 * This program compiles the library's sources in, to reach the hidden
 * hook ol_mem_fail_hook that fails internal allocations, and report.c's
 * and lib/diag/'s internal functions. It links with -export-dynamic, so
 * that dladdr() names its exported functions (and diag/sites.h's).
 */
#include "objlife-private.h"
#include "diag/symbolize.h"
#include "memfail.h"
#include "diag/sites.h"

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
			/* No cache under Valgrind (see lib/diag/stack.c): nothing failed. */
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

/* ---- the registry's and the trackers' tables -------------------------- */

static void test_registry_table_out_of_memory_untracks_the_object(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *untracked, *tracked;
		size_t live;
		char *text;

		tu_events_start();
		/* An entry, yes; the table to find it by, no. */
		tu_mem_fail(OL_MEM_REGISTRY, 2, true);
		untracked = tu_new(&c);
		g_assert_cmpuint(tu_mem_stop(), ==, 2);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_NO_MEMORY);
		g_assert_true(tu_events.obj[0] == &untracked->ref);
		tracked = tu_new(&c);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 2);
		tu_assert_has(text, "objlife: LEAK: 1 x tu_obj (count 1) allocated at:\n    #0 ");
		tu_assert_has(text, "objlife: LEAK: 1 x tu_obj (not tracked: the registry was out of memory; "
			   "no counts or site)\n");
		free(text);
		tu_put(untracked);
		tu_put(tracked);
		g_assert_cmpint(c.releases, ==, 2);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("leaks");
}

static void test_tracker_table_out_of_memory_takes_an_untracked_reference(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o = tu_new(NULL);
		struct objlife_tracker *t, *ok;

		tu_events_start();
		/* The tracker itself, yes; the table to find it by, no. */
		tu_mem_fail(OL_MEM_TRACKER, 2, true);
		objlife_get_tracked(&o->ref, &t);
		g_assert_cmpuint(tu_mem_stop(), ==, 2);
		g_assert_null(t);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		g_assert_cmpint(tu_events.event[0], ==, OBJLIFE_EVENT_NO_MEMORY);
		tu_assert_has(tu_events.message[0], "out of memory for a tracker; this reference (and maybe later "
			   "ones) is taken untracked");
		/* With memory, trackers work; the untracked one drops silently. */
		objlife_get_tracked(&o->ref, &ok);
		g_assert_nonnull(ok);
		objlife_put_tracked(&o->ref, &ok);
		objlife_put_tracked(&o->ref, &t);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		tu_put(o);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

static const struct objlife_ops alpha_ops = { .name = "alpha" };
static const struct objlife_ops beta_ops = { .name = "beta" };

#define N_TYPES 40

/* Without a registry, each type's untracked objects are one line of the
 * leak report. */
static void test_untracked_objects_of_many_types_are_counted_per_type(void)
{
	if (g_test_subprocess()) {
		static struct objlife_ops types[N_TYPES];
		static char names[N_TYPES][16];
		struct objlife *objs[N_TYPES], *tracked;
		size_t live;
		char *text, line[200];
		int i;

		tu_events_start();
		tu_mem_fail(OL_MEM_REGISTRY, 1, true);   /* no registry at all */
		for (i = 0; i < N_TYPES; i++) {
			snprintf(names[i], sizeof(names[i]), "type%02d", i);
			types[i].name = names[i];
			objs[i] = objlife_alloc_size(&types[i], 64, 8, NULL);
			g_assert_nonnull(objs[i]);
		}
		tu_mem_stop();
		/* A type whose objects all have their entry is not listed twice. */
		tracked = diag_alloc_at_site_a(&alpha_ops);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, N_TYPES + 1);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: "), ==, N_TYPES + 1);
		for (i = 0; i < N_TYPES; i++) {
			snprintf(line, sizeof(line), "objlife: LEAK: 1 x %.15s (not tracked: the registry was out of "
				 "memory; no counts or site)\n", names[i]);
			tu_assert_has(text, line);
		}
		tu_assert_has(text, "objlife: LEAK: 1 x alpha (count 1) allocated at:\n    #0 diag_alloc_at_site_a");
		g_assert_null(strstr(text, "x alpha (not tracked"));
		free(text);
		g_assert_cmpuint(tu_events_count(), ==, 1);
		for (i = 0; i < N_TYPES; i++)
			objlife_put(objs[i]);
		objlife_put(tracked);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("leaks");
}

/* ---- a leak report, each of its allocations failing ------------------- */

/* What the failure of one allocation of a leak report may leave out, and
 * how the report says so. */
static const char *const degraded[] = {
	"objlife: LEAK: (out of memory while listing: some objects are missing)\n",
	"objlife: LEAK: live objects remain, but there was no memory to list them\n",
	"(counts ...) allocated at:\n",
	" trackers (no memory to list them)",
	"taken at:\n    (no memory to show the stack)",
	"\n    ...\n",
};

static void test_every_leak_report_allocation_failing_in_turn(void)
{
	if (g_test_subprocess()) {
		bool seen[G_N_ELEMENTS(degraded)] = { false };
		struct diag_rich r;
		unsigned allocations, k, i;
		size_t live;
		char *clean, *text;

		diag_rich_make(&r, &alpha_ops, &beta_ops);
		tu_mem_fail(OL_MEM_REPORT, 0, false);
		clean = tu_leak_check_text(&live);
		allocations = tu_mem_stop();
		g_assert_cmpuint(allocations, >=, 10);
		for (i = 0; i < G_N_ELEMENTS(degraded); i++)
			g_assert_null(strstr(clean, degraded[i]));
		for (k = 1; k <= allocations; k++) {
			const char *line;

			tu_mem_fail(OL_MEM_REPORT, k, false);
			text = tu_leak_check_text(&live);
			g_assert_cmpuint(tu_mem_stop(), >=, k);
			g_test_message("allocation %u failing:\n%s", k, text);
			/* Every object still counted; every report still a LEAK
			 * report, and none lost. */
			g_assert_cmpuint(live, ==, 5);
			g_assert_true(tu_has_prefix(text, "objlife: LEAK: "));
			for (line = text; (line = strstr(line, "\nobjlife: ")); line++)
				g_assert_true(tu_has_prefix(line + 1, "objlife: LEAK: "));
			for (i = 0; i < G_N_ELEMENTS(degraded); i++)
				seen[i] |= strstr(text, degraded[i]) != NULL;
			free(text);
		}
		/* Each way of saying "less" was needed by some failure. */
		for (i = 0; i < G_N_ELEMENTS(degraded); i++) {
			if (!seen[i])
				g_test_message("never seen: %s", degraded[i]);
			g_assert_true(seen[i]);
		}
		free(clean);
		diag_rich_free(&r);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

/* ---- report texts and their frames ------------------------------------ */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void test_report_text_keeps_what_fits(void)
{
	struct ol_text t;
	char piece[101];

	memset(piece, 'y', 100);
	piece[100] = '\0';
	ol_text_init(&t);
	ol_text_add(&t, "objlife: LEAK: first line\n");
	tu_mem_fail_all(OL_MEM_REPORT);
	while (!t.truncated)
		ol_text_add(&t, "%s", piece);
	tu_mem_stop();
	/* The lines that fitted, then "..." on a line of its own. */
	g_assert_true(tu_has_prefix(t.buf, "objlife: LEAK: first line\nyyyy"));
	g_assert_true(has_suffix(t.buf, "y\n    ..."));
	g_assert_cmpuint(strlen(t.buf), ==, t.len);
	g_assert_cmpuint(t.len, <, sizeof(t.small));
	g_assert_true(t.buf == t.small);
	/* Past the cut nothing is added, even once memory is back. */
	ol_text_add(&t, "later");
	g_assert_null(strstr(t.buf, "later"));
	g_assert_true(has_suffix(t.buf, "\n    ..."));
	ol_text_free(&t);
}

static void test_report_text_full_to_the_end_still_fits_the_mark(void)
{
	struct ol_text t;
	char fill[1021];

	/* 1020 of the 1024 bytes used: the "\n    ..." mark (8 bytes and the
	 * NUL) cannot follow them, so it replaces their end. */
	memset(fill, 'z', 1020);
	fill[1020] = '\0';
	ol_text_init(&t);
	ol_text_add(&t, "%s", fill);
	g_assert_cmpuint(t.len, ==, 1020);
	tu_mem_fail_all(OL_MEM_REPORT);
	ol_text_add(&t, "0123456789");
	tu_mem_stop();
	g_assert_true(t.truncated);
	g_assert_cmpuint(t.len, ==, sizeof(t.small) - 1);
	g_assert_cmpuint(strlen(t.buf), ==, t.len);
	g_assert_true(has_suffix(t.buf, "zzz\n    ..."));
	g_assert_cmpuint(strspn(t.buf, "z"), ==, sizeof(t.small) - 9);
	ol_text_free(&t);
}

static void test_report_text_on_the_heap_keeps_the_heap_text(void)
{
	struct ol_text t;
	char piece[1501];

	memset(piece, 'w', 1500);
	piece[1500] = '\0';
	ol_text_init(&t);
	ol_text_add(&t, "%s", piece);                  /* on the heap: 2048 */
	g_assert_true(t.buf != t.small);
	tu_mem_fail_all(OL_MEM_REPORT);
	ol_text_add(&t, "%s", piece);                  /* 3000 does not fit */
	tu_mem_stop();
	g_assert_true(t.truncated);
	g_assert_cmpuint(t.len, ==, 1500 + 8);
	g_assert_true(has_suffix(t.buf, "w\n    ..."));
	ol_text_free(&t);
	g_assert_true(t.buf == t.small);
}

/* Exported (the program links with -export-dynamic): dladdr() names it. */
void oom_exported_function(void);
void oom_exported_function(void)
{
	__asm__ volatile("");
}

/* Frames are return addresses: the symboliser looks one byte back. */
#define RET(fn) ((void *)((uintptr_t)(fn) + 1))

/* The text ol_stack_format() makes of @frames with @sym (NULL: none);
 * free() it. */
static char *format_with(struct ol_symbolizer *sym, void *const *frames, unsigned n)
{
	const struct ol_stack *stack = ol_stack_intern(frames, n);
	struct ol_text t;
	char *text;

	g_assert_nonnull(stack);
	ol_text_init(&t);
	ol_stack_format(&t, sym, stack);
	text = strdup(t.buf);
	ol_text_free(&t);
	return text;
}

static void test_symbolizer_falls_back_to_dladdr(void)
{
	void *frames[] = { RET(oom_exported_function) };
	struct ol_symbolizer *sym;
	char *text;

	tu_mem_fail_all(OL_MEM_REPORT);
	sym = ol_symbolizer_new();
	tu_mem_stop();
	g_assert_null(sym);
	/* What a report then does with it: dladdr()'s names. */
	text = format_with(sym, frames, 1);
	tu_assert_matches(text, "    #0 oom_exported_function+0x1 (*test-diag-oom*)");
	free(text);
	ol_symbolizer_free(sym);       /* NULL: nothing */
}

static void test_stack_in_a_cut_report_text_adds_nothing(void)
{
	void *frames[] = { RET(oom_exported_function) };
	const struct ol_stack *stack = ol_stack_intern(frames, 1);
	struct ol_text t;
	char fill[1021];
	char *before;

	memset(fill, 'v', 1020);
	fill[1020] = '\0';
	ol_text_init(&t);
	ol_text_add(&t, "%s", fill);
	tu_mem_fail_all(OL_MEM_REPORT);
	ol_text_add(&t, "%s", fill);
	g_assert_true(t.truncated);
	before = strdup(t.buf);
	ol_stack_format(&t, NULL, stack);
	tu_mem_stop();
	/* The "..." mark stays the end: no frame, no newline chopped. */
	g_assert_cmpstr(t.buf, ==, before);
	g_assert_true(has_suffix(t.buf, "\n    ..."));
	free(before);
	ol_text_free(&t);
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
	g_test_add_func("/diag/oom/report-text-keeps-what-fits", test_report_text_keeps_what_fits);
	g_test_add_func("/diag/oom/report-text-full-to-the-end-still-fits-the-mark",
			test_report_text_full_to_the_end_still_fits_the_mark);
	g_test_add_func("/diag/oom/report-text-on-the-heap-keeps-the-heap-text",
			test_report_text_on_the_heap_keeps_the_heap_text);
	g_test_add_func("/diag/oom/symbolizer-falls-back-to-dladdr", test_symbolizer_falls_back_to_dladdr);
	g_test_add_func("/diag/oom/stack-in-a-cut-report-text-adds-nothing",
			test_stack_in_a_cut_report_text_adds_nothing);
	g_test_add_func("/diag/oom/registry-table-untracks-the-object",
			test_registry_table_out_of_memory_untracks_the_object);
	g_test_add_func("/diag/oom/registry-untracked-objects-of-many-types-counted-per-type",
			test_untracked_objects_of_many_types_are_counted_per_type);
	g_test_add_func("/diag/oom/tracker-table-takes-an-untracked-reference",
			test_tracker_table_out_of_memory_takes_an_untracked_reference);
	g_test_add_func("/diag/oom/report-every-leak-report-allocation-failing-in-turn",
			test_every_leak_report_allocation_failing_in_turn);
	return g_test_run();
}
