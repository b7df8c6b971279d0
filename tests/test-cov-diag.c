/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The diagnostics end to end, in the situations the other test-diag-*
 * programs leave out: reports that group several types, sites and
 * trackers, reports longer than a line, every allocation of a leak report
 * failing in turn, tracker misuse after a release, the registry's and the
 * trackers' tables out of memory, stacks taken on a signal stack or
 * through two paths to one call site, a fork, and a quarantine that must
 * evict many objects at once.
 *
 * This program compiles the library's sources in, to reach the hidden hook
 * ol_mem_fail_hook, and links with -export-dynamic so that dladdr() names
 * its functions. Every case runs in a subprocess with OBJLIFE_DEBUG set
 * (the library reads it once per process).
 */
#include "objlife-private.h"
#include "memfail.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* ThreadSanitizer reports any allocation inside a signal handler. */
#if defined(__SANITIZE_THREAD__)
# define UNDER_TSAN 1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define UNDER_TSAN 1
# endif
#endif

/* A frame of its own, and a body of its own: GCC's identical code folding
 * would otherwise make one function of two identical ones. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
# define NOINLINE __attribute__((noinline, noipa))
#else
# define NOINLINE __attribute__((noinline))
#endif
/* After a call: the call stays a call (no tail call), so its caller is a frame. */
#define KEEP_FRAME() __asm__ volatile("")

/* Every report, whole (testutil.h's recorder keeps a line's worth). */
#define REC_MAX 8
static struct {
	unsigned n;
	enum objlife_event event[REC_MAX];
	const struct objlife *obj[REC_MAX];
	char *message[REC_MAX];
} rec;

static void rec_report(enum objlife_event event, const struct objlife *obj, const char *message, void *data)
{
	(void)data;
	if (rec.n < REC_MAX) {
		rec.event[rec.n] = event;
		rec.obj[rec.n] = obj;
		rec.message[rec.n] = strdup(message);
	}
	rec.n++;
}

static void rec_start(void)
{
	unsigned i;

	for (i = 0; i < REC_MAX; i++)
		free(rec.message[i]);
	memset(&rec, 0, sizeof(rec));
	objlife_set_report_handler(rec_report, NULL);
}

/* ---- allocation and tracker sites (exported: dladdr() names them) ------ */

struct objlife *cov_alloc_at_site_a(const struct objlife_ops *ops);
struct objlife *cov_alloc_at_site_b(const struct objlife_ops *ops);
void cov_two_allocations_on_one_line(const struct objlife_ops *ops, struct objlife **a, struct objlife **b);
struct objlife *cov_allocate_through_a_long_chain_of_calls_so_that_the_report_is_long(
	const struct objlife_ops *ops, int depth);
void cov_track_through_a_long_chain_of_calls_so_that_the_report_is_long(
	struct objlife *obj, struct objlife_tracker **t, int depth);
void cov_track_at_site_x(struct objlife *obj, struct objlife_tracker **t);
void cov_track_twice_on_one_line(struct objlife *obj, struct objlife_tracker **t1, struct objlife_tracker **t2);
void cov_track_at_site_z(struct objlife *obj, struct objlife_tracker **t);
struct objlife *cov_leaf_allocation(const struct objlife_ops *ops);
struct objlife *cov_path_one(const struct objlife_ops *ops);
struct objlife *cov_path_two(const struct objlife_ops *ops);
void cov_alloc_on_the_signal_stack(void);

static struct objlife *new_object(const struct objlife_ops *ops)
{
	struct objlife *obj = objlife_alloc_size(ops, 64, 8, NULL);

	g_assert_nonnull(obj);
	return obj;
}

NOINLINE struct objlife *cov_alloc_at_site_a(const struct objlife_ops *ops)
{
	struct objlife *obj = objlife_alloc_size(ops, 64, 8, NULL);

	KEEP_FRAME();
	return obj;
}

NOINLINE struct objlife *cov_alloc_at_site_b(const struct objlife_ops *ops)
{
	struct objlife *obj = objlife_alloc_size(ops, 64, 8, NULL);

	KEEP_FRAME();
	return obj;
}

/* Two call instructions, one source line: one site where lines are known. */
NOINLINE void cov_two_allocations_on_one_line(const struct objlife_ops *ops, struct objlife **a, struct objlife **b)
{
	*a = objlife_alloc_size(ops, 64, 8, NULL); *b = objlife_alloc_size(ops, 64, 8, NULL);
	KEEP_FRAME();
}

NOINLINE struct objlife *cov_allocate_through_a_long_chain_of_calls_so_that_the_report_is_long(
	const struct objlife_ops *ops, int depth)
{
	struct objlife *obj;

	if (depth > 0)
		obj = cov_allocate_through_a_long_chain_of_calls_so_that_the_report_is_long(ops, depth - 1);
	else
		obj = objlife_alloc_size(ops, 64, 8, NULL);
	KEEP_FRAME();
	return obj;
}

NOINLINE void cov_track_through_a_long_chain_of_calls_so_that_the_report_is_long(
	struct objlife *obj, struct objlife_tracker **t, int depth)
{
	if (depth > 0)
		cov_track_through_a_long_chain_of_calls_so_that_the_report_is_long(obj, t, depth - 1);
	else
		objlife_get_tracked(obj, t);
	KEEP_FRAME();
}

NOINLINE void cov_track_at_site_x(struct objlife *obj, struct objlife_tracker **t)
{
	objlife_get_tracked(obj, t);
	KEEP_FRAME();
}

NOINLINE void cov_track_twice_on_one_line(struct objlife *obj, struct objlife_tracker **t1, struct objlife_tracker **t2)
{
	objlife_get_tracked(obj, t1); objlife_get_tracked(obj, t2);
	KEEP_FRAME();
}

NOINLINE void cov_track_at_site_z(struct objlife *obj, struct objlife_tracker **t)
{
	objlife_get_tracked(obj, t);
	KEEP_FRAME();
}

/* ---- leak reports: grouping and order ------------------------------------ */

static const struct objlife_ops alpha_ops = { .name = "alpha" };
static const struct objlife_ops beta_ops = { .name = "beta" };
static const struct objlife_ops gamma_ops = { .name = "gamma" };

/* volatile: loops stay loops (not unrolled), so that their calls are one
 * call site, and one stack. */
static volatile int two = 2, three = 3, four = 4, many = 100;

static void test_groups_of_equal_size_are_ordered_by_type_then_site(void)
{
	if (g_test_subprocess()) {
		struct objlife *objs[6];
		size_t live;
		const char *g2, *ga, *gba, *gbb;
		char *text;
		int i;

		/* Allocated in another order than the report's. */
		objs[0] = cov_alloc_at_site_b(&beta_ops);
		objs[1] = cov_alloc_at_site_a(&beta_ops);
		objs[2] = cov_alloc_at_site_a(&alpha_ops);
		for (i = 0; i < two; i++)
			objs[3 + i] = cov_alloc_at_site_b(&gamma_ops);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 5);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: "), ==, 4);
		/* Largest first; then by type name; then by site. */
		g2 = strstr(text, "objlife: LEAK: 2 x gamma (counts 1,1) allocated at:\n    #0 cov_alloc_at_site_b");
		ga = strstr(text, "objlife: LEAK: 1 x alpha (count 1) allocated at:\n    #0 cov_alloc_at_site_a");
		gba = strstr(text, "objlife: LEAK: 1 x beta (count 1) allocated at:\n    #0 cov_alloc_at_site_a");
		gbb = strstr(text, "objlife: LEAK: 1 x beta (count 1) allocated at:\n    #0 cov_alloc_at_site_b");
		g_test_message("the report:\n%s", text);
		g_assert_true(g2 == text);
		g_assert_nonnull(ga);
		g_assert_nonnull(gba);
		g_assert_nonnull(gbb);
		g_assert_true(g2 < ga && ga < gba && gba < gbb);
		free(text);
		for (i = 0; i < 5; i++)
			objlife_put(objs[i]);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("leaks");
}

#ifdef HAVE_LIBDW
static void test_two_calls_on_one_line_are_one_site(void)
{
	if (g_test_subprocess()) {
		struct objlife *a, *b;
		size_t live;
		char *text;

		cov_two_allocations_on_one_line(&alpha_ops, &a, &b);
		objlife_get(b);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 2);
		/* The report names the line, not the byte: one group. */
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: "), ==, 1);
		g_assert_true(tu_has_prefix(text, "objlife: LEAK: 2 x alpha (counts 1,2) allocated at:\n"
					 "    #0 cov_two_allocations_on_one_line ("));
		free(text);
		objlife_put(a);
		objlife_put(b);
		objlife_put(b);
		return;
	}
	tu_trap_with_debug("leaks");
}
#endif

static void test_trackers_are_grouped_by_site(void)
{
	if (g_test_subprocess()) {
		struct objlife *obj = cov_alloc_at_site_a(&alpha_ops);
		struct objlife_tracker *x[2], *y[2], *z;
		size_t live;
		char *text;
		int i;

		for (i = 0; i < two; i++)
			cov_track_at_site_x(obj, &x[i]);       /* one stack, twice */
		cov_track_twice_on_one_line(obj, &y[0], &y[1]);
		cov_track_at_site_z(obj, &z);
		text = tu_leak_check_text(&live);
		g_test_message("the report:\n%s", text);
		g_assert_cmpuint(live, ==, 1);
		g_assert_true(tu_has_prefix(text, "objlife: LEAK: 1 x alpha (count 6) allocated at:\n"
					 "    #0 cov_alloc_at_site_a"));
		tu_assert_has(text, "\n  held by 2 trackers taken at:\n    #0 cov_track_at_site_x");
		tu_assert_has(text, "\n  held by 1 tracker taken at:\n    #0 cov_track_at_site_z");
#ifdef HAVE_LIBDW
		/* Two stacks that read the same are one site. */
		tu_assert_has(text, "\n  held by 2 trackers taken at:\n    #0 cov_track_twice_on_one_line (");
		g_assert_cmpuint(tu_count(text, "\n  held by "), ==, 3);
#else
		g_assert_cmpuint(tu_count(text, "taken at:\n    #0 cov_track_twice_on_one_line"), ==, 2);
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

#define MANY 100

static void test_more_than_64_objects_and_trackers_are_all_listed(void)
{
	if (g_test_subprocess()) {
		static struct objlife *objs[MANY];
		static struct objlife_tracker *t[MANY];
		size_t live;
		char *text;
		int i;

		for (i = 0; i < many; i++) {
			objs[i] = cov_alloc_at_site_a(&alpha_ops);
			cov_track_at_site_x(objs[i], &t[i]);
		}
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, MANY);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: "), ==, 1);
		/* Sixteen counts shown, then "...". */
		g_assert_true(tu_has_prefix(text, "objlife: LEAK: 100 x alpha (counts 2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,...) "
					 "allocated at:\n    #0 cov_alloc_at_site_a"));
		tu_assert_has(text, "\n  held by 100 trackers taken at:\n    #0 cov_track_at_site_x");
		free(text);
		for (i = 0; i < MANY; i++) {
			objlife_put_tracked(objs[i], &t[i]);
			objlife_put(objs[i]);
		}
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

/* An object whose release runs a leak check, and what it saw. */
static char *seen_in_release;
static size_t live_in_release;

static void check_from_release(struct objlife *obj)
{
	(void)obj;
	seen_in_release = tu_leak_check_text(&live_in_release);
}

static const struct objlife_ops checking_ops = { .name = "checking", .release = check_from_release };

static void test_object_being_released_is_not_listed(void)
{
	if (g_test_subprocess()) {
		struct objlife *dying = cov_alloc_at_site_a(&checking_ops);
		struct objlife *other = cov_alloc_at_site_b(&alpha_ops);

		objlife_put(dying);
		g_assert_nonnull(seen_in_release);
		/* Still counted (its memory is not back yet), but not listed: it
		 * is not a leak. */
		g_assert_cmpuint(live_in_release, ==, 2);
		g_assert_true(tu_has_prefix(seen_in_release, "objlife: LEAK: 1 x alpha (count 1) allocated at:\n"));
		g_assert_null(strstr(seen_in_release, "checking"));
		free(seen_in_release);
		objlife_put(other);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("leaks");
}

#define N_TYPES 40

static void test_untracked_objects_of_many_types_are_counted_per_type(void)
{
	if (g_test_subprocess()) {
		static struct objlife_ops types[N_TYPES];
		static char names[N_TYPES][16];
		struct objlife *objs[N_TYPES], *tracked;
		size_t live;
		char *text, line[200];
		int i;

		rec_start();
		tu_mem_fail(OL_MEM_REGISTRY, 1, true);   /* no registry at all */
		for (i = 0; i < N_TYPES; i++) {
			snprintf(names[i], sizeof(names[i]), "type%02d", i);
			types[i].name = names[i];
			objs[i] = new_object(&types[i]);
		}
		tu_mem_stop();
		/* A type whose objects all have their entry is not listed twice. */
		tracked = cov_alloc_at_site_a(&alpha_ops);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, N_TYPES + 1);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: "), ==, N_TYPES + 1);
		for (i = 0; i < N_TYPES; i++) {
			snprintf(line, sizeof(line), "objlife: LEAK: 1 x %.15s (not tracked: the registry was out of "
				 "memory; no counts or site)\n", names[i]);
			tu_assert_has(text, line);
		}
		tu_assert_has(text, "objlife: LEAK: 1 x alpha (count 1) allocated at:\n    #0 cov_alloc_at_site_a");
		g_assert_null(strstr(text, "x alpha (not tracked"));
		free(text);
		g_assert_cmpuint(rec.n, ==, 1);
		for (i = 0; i < N_TYPES; i++)
			objlife_put(objs[i]);
		objlife_put(tracked);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("leaks");
}

/* Two modules that each call their type "dup". */
static const struct objlife_ops dup_ops_1 = { .name = "dup" };
static const struct objlife_ops dup_ops_2 = { .name = "dup" };

static void test_types_that_share_a_name_are_separate_groups(void)
{
	if (g_test_subprocess()) {
		struct objlife *objs[4];
		size_t live;
		char *text;
		int i;

		/* One call site for all four: only the ops tell them apart. */
		for (i = 0; i < four; i++)
			objs[i] = cov_alloc_at_site_a(i % 2 ? &dup_ops_2 : &dup_ops_1);
		objlife_get(objs[1]);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 4);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: 2 x dup (counts "), ==, 2);
		tu_assert_has(text, "objlife: LEAK: 2 x dup (counts 1,1) allocated at:\n    #0 cov_alloc_at_site_a");
		tu_assert_has(text, "objlife: LEAK: 2 x dup (counts 1,2) allocated at:\n    #0 cov_alloc_at_site_a");
		free(text);
		objlife_put(objs[1]);
		for (i = 0; i < 4; i++)
			objlife_put(objs[i]);
		g_assert_cmpuint(objlife_live_count(&dup_ops_1) + objlife_live_count(&dup_ops_2), ==, 0);
		return;
	}
	tu_trap_with_debug("leaks");
}

/* A process that used up its thread-specific keys (PTHREAD_KEYS_MAX)
 * before its first object: no per-thread tables, no stack cache. */
static void test_without_thread_keys_objects_are_counted_and_reported(void)
{
	if (g_test_subprocess()) {
		static pthread_key_t keys[4096];
		struct objlife *objs[3];
		size_t n_keys = 0, live, i;
		char *text;

		/* No GLib call until the keys are back: it may need one. */
		while (n_keys < G_N_ELEMENTS(keys) && pthread_key_create(&keys[n_keys], NULL) == 0)
			n_keys++;
		for (i = 0; i < (size_t)three; i++)
			objs[i] = cov_alloc_at_site_a(&alpha_ops);
		for (i = 0; i < n_keys; i++)
			pthread_key_delete(keys[i]);
		g_assert_cmpuint(n_keys, <, G_N_ELEMENTS(keys));
		for (i = 0; i < 3; i++)
			g_assert_nonnull(objs[i]);

		/* Counted all the same, and every stack unwound in full. */
		g_assert_cmpuint(objlife_live_count(&alpha_ops), ==, 3);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 3);
		g_assert_true(tu_has_prefix(text, "objlife: LEAK: 3 x alpha (counts 1,1,1) allocated at:\n"
					 "    #0 cov_alloc_at_site_a"));
#ifdef HAVE_LIBDW   /* a static function: only libdw names it */
		tu_assert_has(text, "\n    #1 test_without_thread_keys_objects_are_counted_and_reported");
#endif
		free(text);
		for (i = 0; i < 3; i++)
			objlife_put(objs[i]);
		g_assert_cmpuint(objlife_live_count(&alpha_ops), ==, 0);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("leaks");
}

/* ---- leak reports out of memory ---------------------------------------- */

/* Five live objects of two types, at three sites, one site with a stack
 * deeper than 16 frames of long names (its text is longer than a line),
 * with trackers at two sites: every part of a leak report has something
 * to do, and something to allocate. */
struct rich {
	struct objlife *a[4], *b;
	struct objlife_tracker *t[3];
};

static void rich_make(struct rich *r)
{
	int i;

	for (i = 0; i < three; i++)
		r->a[i] = cov_allocate_through_a_long_chain_of_calls_so_that_the_report_is_long(&alpha_ops, 20);
	r->a[3] = cov_alloc_at_site_b(&alpha_ops);
	r->b = cov_alloc_at_site_b(&beta_ops);
	cov_track_through_a_long_chain_of_calls_so_that_the_report_is_long(r->a[1], &r->t[0], 20);
	for (i = 0; i < two; i++)
		cov_track_at_site_x(r->a[2], &r->t[1 + i]);
}

static void rich_free(struct rich *r)
{
	int i;

	objlife_put_tracked(r->a[1], &r->t[0]);
	for (i = 1; i < 3; i++)
		objlife_put_tracked(r->a[2], &r->t[i]);
	for (i = 0; i < 4; i++)
		objlife_put(r->a[i]);
	objlife_put(r->b);
}

static void test_leak_report_of_long_stacks_is_whole(void)
{
	if (g_test_subprocess()) {
		struct rich r;
		size_t live;
		char *text;

		rich_make(&r);
		text = tu_leak_check_text(&live);
		g_test_message("the report:\n%s", text);
		g_assert_cmpuint(live, ==, 5);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: "), ==, 3);
		g_assert_true(tu_has_prefix(text, "objlife: LEAK: 3 x alpha (counts 1,2,3) allocated at:\n"
					 "    #0 cov_allocate_through_a_long_chain_of_calls_so_that_the_report_is_long"));
		/* Sixteen frames of the site, then the trackers' sites in full. */
		tu_assert_in_order(text, "    #15 cov_allocate_through_a_long_chain_of_calls",
				"\n  held by ");
		tu_assert_has(text, "\n  held by 2 trackers taken at:\n    #0 cov_track_at_site_x");
		tu_assert_in_order(text, "\n  held by 1 tracker taken at:\n"
				"    #0 cov_track_through_a_long_chain_of_calls_so_that_the_report_is_long",
				"    #15 cov_track_through_a_long_chain_of_calls");
		tu_assert_in_order(text, "objlife: LEAK: 1 x alpha (count 1) allocated at:\n    #0 cov_alloc_at_site_b",
				"objlife: LEAK: 1 x beta (count 1) allocated at:\n    #0 cov_alloc_at_site_b");
		g_assert_null(strstr(text, "no memory"));
		g_assert_null(strstr(text, "\n    ...\n"));
		free(text);
		rich_free(&r);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

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
		struct rich r;
		unsigned allocations, k, i;
		size_t live;
		char *clean, *text;

		rich_make(&r);
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
		rich_free(&r);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

/* ---- the report at exit -------------------------------------------------- */

static void print_report(enum objlife_event event, const struct objlife *obj, const char *message, void *data)
{
	(void)obj; (void)data;
	printf("event=%d %.*s\n", (int)event, (int)strcspn(message, "\n"), message);
}

static void test_custom_handler_at_exit_is_not_aborted(void)
{
	if (g_test_subprocess()) {
		objlife_set_report_handler(print_report, NULL);
		cov_alloc_at_site_a(&alpha_ops);       /* leaked: reported at exit */
		return;
	}
	/* "abort" is the default handler's: a handler of the program's own
	 * gets the report, and the program exits as it meant to. */
	tu_trap_with_debug("leaks,abort");
	g_test_trap_assert_stdout("event=5 objlife: LEAK: 1 x alpha (count 1) allocated at:\n");
}

/* ---- trackers ------------------------------------------------------------- */

static void test_release_with_five_trackers_held_shows_four(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);
		struct objlife_tracker *t[5];
		int i;

		for (i = 0; i < 5; i++)
			cov_track_at_site_x(&o->ref, &t[i]);
		rec_start();
		for (i = 0; i < 6; i++)
			tu_put(o);       /* the tracked references, dropped untracked */
		g_assert_cmpint(c.releases, ==, 1);
		g_assert_cmpuint(rec.n, ==, 1);
		g_assert_cmpint(rec.event[0], ==, OBJLIFE_EVENT_BAD_TRACKER);
		tu_assert_has(rec.message[0], " count=0: released with 5 trackers still held");
		g_assert_cmpuint(tu_count(rec.message[0], "\n  tracker taken at:\n    #0 cov_track_at_site_x"), ==, 4);
		tu_assert_has(rec.message[0], "\n  ... and 1 more");
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_tracker_dropped_on_another_object_after_its_own_drop(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *a = tu_new(NULL), *b = tu_new(NULL);
		struct objlife_tracker *t, *kept;

		cov_track_at_site_x(&a->ref, &t);
		kept = t;
		objlife_put_tracked(&a->ref, &t);
		rec_start();
		objlife_put_tracked(&b->ref, &kept);
		g_assert_cmpuint(objlife_refcount(&a->ref), ==, 1);
		g_assert_cmpuint(objlife_refcount(&b->ref), ==, 1);
		g_assert_cmpuint(rec.n, ==, 1);
		g_assert_true(rec.obj[0] == &b->ref);
		tu_assert_has(rec.message[0], "type=tu_obj obj=");
		tu_assert_has(rec.message[0], ": tracker of another object (type=tu_obj obj=0x");
		tu_assert_has(rec.message[0], ", tracker already dropped); the count is unchanged");
		/* Where it was taken and first dropped, and where it came back. */
		tu_assert_in_order(rec.message[0], "\n  tracker taken at:\n    #0 cov_track_at_site_x",
				"\n  first dropped at:\n    #0 ");
		tu_assert_has(rec.message[0], "\n  dropped at:\n    #0 ");
		tu_put(a);
		tu_put(b);
		return;
	}
	tu_trap_with_debug("refs");
}

/* Objects whose memory stays this program's after release: a late call
 * on them reads nothing that is gone. */
static unsigned char blocks[8][128] __attribute__((aligned(64)));
static unsigned next_block;

static void *block_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops; (void)align;
	g_assert_cmpuint(size, <=, sizeof(blocks[0]));
	g_assert_cmpuint(next_block, <, G_N_ELEMENTS(blocks));
	return memset(blocks[next_block++], 0, sizeof(blocks[0]));
}

static void block_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops; (void)mem; (void)size;
}

static const struct objlife_ops block_ops = { .name = "block", .alloc = block_alloc, .free = block_free };

static void test_tracker_dropped_after_its_object_was_released(void)
{
	if (g_test_subprocess()) {
		struct objlife *obj = new_object(&block_ops);
		struct objlife_tracker *t;

		cov_track_at_site_x(obj, &t);
		objlife_put(obj);
		rec_start();
		objlife_put(obj);    /* the tracked reference, dropped untracked: released */
		g_assert_cmpuint(rec.n, ==, 1);
		tu_assert_has(rec.message[0], "released with 1 tracker still held");
		objlife_put_tracked(obj, &t);
		g_assert_cmpuint(rec.n, ==, 2);
		g_assert_cmpint(rec.event[1], ==, OBJLIFE_EVENT_BAD_TRACKER);
		/* The object is gone: its type and count are not read. */
		tu_assert_has(rec.message[1], "objlife: BAD_TRACKER: type=(released) obj=0x");
		tu_assert_has(rec.message[1], " count=0: tracker dropped after its object was released "
			   "(a plain put dropped its reference); the count is unchanged");
		tu_assert_has(rec.message[1], "\n  tracker taken at:\n    #0 cov_track_at_site_x");
		g_assert_null(strstr(rec.message[1], "first dropped at"));
		g_assert_cmpuint(objlife_live_count(&block_ops), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_null_object_is_no_tracked_call(void)
{
	if (g_test_subprocess()) {
		struct objlife_tracker *t = (struct objlife_tracker *)&t;   /* garbage on purpose */

		rec_start();
		errno = 0;
		g_assert_null(objlife_get_tracked(NULL, NULL));
		g_assert_cmpint(errno, ==, EINVAL);
		g_assert_null(objlife_get_tracked(NULL, &t));
		g_assert_null(t);
		objlife_put_tracked(NULL, &t);
		objlife_put_tracked(NULL, NULL);
		g_assert_cmpuint(rec.n, ==, 0);
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
		rec_start();
		g_assert_true(objlife_get_tracked(&o->ref, &t) == &o->ref);
		g_assert_null(t);                          /* no tracker on a dead object */
		objlife_put_tracked(&o->ref, &t);
		g_assert_cmpuint(rec.n, ==, 1);
		g_assert_cmpint(rec.event[0], ==, OBJLIFE_EVENT_BAD_OBJECT);
		tu_assert_has(rec.message[0], "get on a freed object (in the poison quarantine)");
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 0);
		g_assert_cmpint(c.releases, ==, 1);
		return;
	}
	tu_trap_with_debug("refs,poison");
}

static void test_tracker_table_out_of_memory_takes_an_untracked_reference(void)
{
	if (g_test_subprocess()) {
		struct tu_obj *o = tu_new(NULL);
		struct objlife_tracker *t, *ok;

		rec_start();
		/* The tracker itself, yes; the table to find it by, no. */
		tu_mem_fail(OL_MEM_TRACKER, 2, true);
		objlife_get_tracked(&o->ref, &t);
		g_assert_cmpuint(tu_mem_stop(), ==, 2);
		g_assert_null(t);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 2);
		g_assert_cmpuint(rec.n, ==, 1);
		g_assert_cmpint(rec.event[0], ==, OBJLIFE_EVENT_NO_MEMORY);
		tu_assert_has(rec.message[0], "out of memory for a tracker; this reference (and maybe later "
			   "ones) is taken untracked");
		/* With memory, trackers work; the untracked one drops silently. */
		objlife_get_tracked(&o->ref, &ok);
		g_assert_nonnull(ok);
		objlife_put_tracked(&o->ref, &ok);
		objlife_put_tracked(&o->ref, &t);
		g_assert_cmpuint(objlife_refcount(&o->ref), ==, 1);
		g_assert_cmpuint(rec.n, ==, 1);
		tu_put(o);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

static void test_registry_table_out_of_memory_untracks_the_object(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *untracked, *tracked;
		size_t live;
		char *text;

		rec_start();
		/* An entry, yes; the table to find it by, no. */
		tu_mem_fail(OL_MEM_REGISTRY, 2, true);
		untracked = tu_new(&c);
		g_assert_cmpuint(tu_mem_stop(), ==, 2);
		g_assert_cmpuint(rec.n, ==, 1);
		g_assert_cmpint(rec.event[0], ==, OBJLIFE_EVENT_NO_MEMORY);
		g_assert_true(rec.obj[0] == &untracked->ref);
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

/* ---- stacks ---------------------------------------------------------------- */

static const struct objlife_ops signalled_ops = { .name = "signalled" };
static struct objlife *signalled;

NOINLINE void cov_alloc_on_the_signal_stack(void)
{
	signalled = objlife_alloc_size(&signalled_ops, 64, 8, NULL);
	KEEP_FRAME();
}

static void on_signal(int sig)
{
	(void)sig;
	cov_alloc_on_the_signal_stack();
}

static void test_allocation_on_a_signal_stack_has_its_site(void)
{
	if (g_test_subprocess()) {
		size_t size = 256 * 1024;
		stack_t ss = { .ss_sp = malloc(size), .ss_size = size, .ss_flags = 0 }, old_ss;
		struct sigaction sa, old_sa;
		struct objlife *before;
		size_t live;
		char *text;

		/* The thread's stack is known to the capture first. */
		before = cov_alloc_at_site_a(&alpha_ops);
		g_assert_nonnull(ss.ss_sp);
		g_assert_cmpint(sigaltstack(&ss, &old_ss), ==, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_ONSTACK;
		sigemptyset(&sa.sa_mask);
		g_assert_cmpint(sigaction(SIGUSR1, &sa, &old_sa), ==, 0);
		raise(SIGUSR1);
		g_assert_cmpint(sigaction(SIGUSR1, &old_sa, NULL), ==, 0);
		g_assert_cmpint(sigaltstack(&old_ss, NULL), ==, 0);
		free(ss.ss_sp);

		g_assert_nonnull(signalled);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 2);
		tu_assert_has(text, "objlife: LEAK: 1 x signalled (count 1) allocated at:\n"
			   "    #0 cov_alloc_on_the_signal_stack");
		free(text);
		objlife_put(signalled);
		objlife_put(before);
		return;
	}
	tu_trap_with_debug("leaks");
}

static const struct objlife_ops paths_ops = { .name = "paths" };

NOINLINE struct objlife *cov_leaf_allocation(const struct objlife_ops *ops)
{
	struct objlife *obj = objlife_alloc_size(ops, 64, 8, NULL);

	KEEP_FRAME();
	return obj;
}

/* Identical functions: the leaf sits at the same depth under each. */
NOINLINE struct objlife *cov_path_one(const struct objlife_ops *ops)
{
	struct objlife *obj = cov_leaf_allocation(ops);

	KEEP_FRAME();
	return obj;
}

NOINLINE struct objlife *cov_path_two(const struct objlife_ops *ops)
{
	struct objlife *obj = cov_leaf_allocation(ops);

	KEEP_FRAME();
	return obj;
}

static void test_two_paths_to_one_site_are_told_apart(void)
{
	if (g_test_subprocess()) {
		struct objlife *objs[4];
		size_t live;
		char *text;
		int i;

		/* Alternating: each capture meets the other path's stack cached
		 * for the same call site at the same depth. */
		for (i = 0; i < two; i++) {
			objs[2 * i] = cov_path_one(&paths_ops);
			objs[2 * i + 1] = cov_path_two(&paths_ops);
		}
		text = tu_leak_check_text(&live);
		g_test_message("the report:\n%s", text);
		g_assert_cmpuint(live, ==, 4);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: 2 x paths (counts 1,1) allocated at:\n"
					  "    #0 cov_leaf_allocation"), ==, 2);
		tu_assert_has(text, "\n    #1 cov_path_one");
		tu_assert_has(text, "\n    #1 cov_path_two");
		free(text);
		for (i = 0; i < 4; i++)
			objlife_put(objs[i]);
		return;
	}
	tu_trap_with_debug("leaks");
}

/* ---- fork ------------------------------------------------------------------ */

static void test_forked_child_goes_on_diagnosing(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *kept = tu_new(&c), *freed = tu_new(&c);
		struct objlife_tracker *t;
		int status;
		pid_t pid;

		cov_track_at_site_x(&kept->ref, &t);
		tu_put(freed);                      /* the quarantine exists */
		fflush(NULL);
		pid = fork();
		g_assert_cmpint(pid, >=, 0);
		if (pid == 0) {
			/* Every lock of the library was free in the child: it
			 * allocates, tracks, frees and reports as the parent. */
			struct tu_obj *mine = tu_new(&c);
			struct objlife_tracker *m;
			bool ok;

			cov_track_at_site_x(&mine->ref, &m);
			ok = objlife_leak_check(NULL) == 2;
			objlife_put_tracked(&mine->ref, &m);
			tu_put(mine);
			objlife_put_tracked(&kept->ref, &t);
			tu_put(kept);
			ok = ok && objlife_leak_check(NULL) == 0 && c.releases == 3;
			exit(ok ? 0 : 1);
		}
		g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
		g_assert_true(WIFEXITED(status));
		g_assert_cmpint(WEXITSTATUS(status), ==, 0);
		/* The parent's objects are its own. */
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 1);
		objlife_put_tracked(&kept->ref, &t);
		tu_put(kept);
		g_assert_cmpint(c.releases, ==, 2);
		return;
	}
#ifdef UNDER_TSAN
	{
		/* The fork handlers hold every registry shard's lock (64) and
		 * more: past the 64 locks per thread that ThreadSanitizer's
		 * deadlock detector can follow (a CHECK failure, not a report). */
		const char *opts = getenv("TSAN_OPTIONS");
		char saved[1024], more[sizeof(saved) + 32];

		snprintf(saved, sizeof(saved), "%s", opts ? opts : "");
		snprintf(more, sizeof(more), "%s%sdetect_deadlocks=0", saved, opts ? ":" : "");
		setenv("TSAN_OPTIONS", more, 1);
		tu_trap_with_debug("leaks,refs,poison");
		if (opts)
			setenv("TSAN_OPTIONS", saved, 1);
		else
			unsetenv("TSAN_OPTIONS");
		return;
	}
#endif
	tu_trap_with_debug("leaks,refs,poison");
}

/* ---- the poison quarantine --------------------------------------------- */

static void *recorded_free[64];
static size_t recorded_size[64];
static unsigned n_recorded;

static void *own_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops;
	return tu_zalloc(size, align);
}

static void own_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	g_assert_cmpuint(n_recorded, <, G_N_ELEMENTS(recorded_free));
	recorded_free[n_recorded] = mem;
	recorded_size[n_recorded++] = size;
	free(mem);
}

static const struct objlife_ops own_ops = { .name = "own", .alloc = own_alloc, .free = own_free };

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
		g_assert_cmpuint(n_recorded, ==, 0);     /* 10 MiB: all kept */
		/* 15 MiB more: all but two of the small ones must go. */
		objlife_put(large);
		g_assert_cmpuint(n_recorded, ==, N_SMALL - 2);
		for (i = 0; i < N_SMALL - 2; i++) {
			g_assert_true(recorded_free[i] == small[i]);
			g_assert_cmpuint(recorded_size[i], ==, SMALL);
		}
		return;
	}
	tu_trap_with_debug("poison");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cov/leaks/groups-of-equal-size-ordered-by-type-then-site",
			test_groups_of_equal_size_are_ordered_by_type_then_site);
#ifdef HAVE_LIBDW
	/* Only libdw knows lines; without it sites are byte offsets. */
	g_test_add_func("/cov/leaks/two-calls-on-one-line-are-one-site", test_two_calls_on_one_line_are_one_site);
#endif
	g_test_add_func("/cov/leaks/trackers-grouped-by-site", test_trackers_are_grouped_by_site);
	g_test_add_func("/cov/leaks/more-than-64-objects-and-trackers-all-listed",
			test_more_than_64_objects_and_trackers_are_all_listed);
	g_test_add_func("/cov/leaks/object-being-released-is-not-listed", test_object_being_released_is_not_listed);
	g_test_add_func("/cov/leaks/untracked-objects-of-many-types-counted-per-type",
			test_untracked_objects_of_many_types_are_counted_per_type);
	g_test_add_func("/cov/leaks/types-that-share-a-name-are-separate-groups",
			test_types_that_share_a_name_are_separate_groups);
	g_test_add_func("/cov/leaks/without-thread-keys-objects-are-counted-and-reported",
			test_without_thread_keys_objects_are_counted_and_reported);
	g_test_add_func("/cov/leaks/report-of-long-stacks-is-whole", test_leak_report_of_long_stacks_is_whole);
	g_test_add_func("/cov/leaks/every-report-allocation-failing-in-turn",
			test_every_leak_report_allocation_failing_in_turn);
	g_test_add_func("/cov/leaks/custom-handler-at-exit-is-not-aborted", test_custom_handler_at_exit_is_not_aborted);
	g_test_add_func("/cov/refs/release-with-five-trackers-held-shows-four",
			test_release_with_five_trackers_held_shows_four);
	g_test_add_func("/cov/refs/dropped-on-another-object-after-its-own-drop",
			test_tracker_dropped_on_another_object_after_its_own_drop);
	g_test_add_func("/cov/refs/dropped-after-its-object-was-released",
			test_tracker_dropped_after_its_object_was_released);
	g_test_add_func("/cov/refs/null-object-is-no-tracked-call", test_null_object_is_no_tracked_call);
	g_test_add_func("/cov/refs/tracked-get-on-a-freed-object-is-one-report",
			test_tracked_get_on_a_freed_object_is_one_report);
	g_test_add_func("/cov/refs/tracker-table-out-of-memory-takes-an-untracked-reference",
			test_tracker_table_out_of_memory_takes_an_untracked_reference);
	g_test_add_func("/cov/leaks/registry-table-out-of-memory-untracks-the-object",
			test_registry_table_out_of_memory_untracks_the_object);
#ifndef UNDER_TSAN
	/* Allocating in a signal handler is not async-signal-safe, and
	 * ThreadSanitizer rightly says so: the case exists in the other builds
	 * (plain, ASan, valgrind, coverage). */
	g_test_add_func("/cov/stacks/allocation-on-a-signal-stack-has-its-site",
			test_allocation_on_a_signal_stack_has_its_site);
#endif
	g_test_add_func("/cov/stacks/two-paths-to-one-site-told-apart", test_two_paths_to_one_site_are_told_apart);
	g_test_add_func("/cov/fork/child-goes-on-diagnosing", test_forked_child_goes_on_diagnosing);
	g_test_add_func("/cov/poison/large-freed-object-evicts-many-oldest-first",
			test_large_freed_object_evicts_many_oldest_first);
	return g_test_run();
}
