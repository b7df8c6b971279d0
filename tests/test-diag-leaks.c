/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OBJLIFE_DEBUG=leaks: the report at exit names the type, the counts and
 * the allocating function; objlife_leak_check() groups by type and site;
 * may_leak objects stay out; the registry stays right under 8 threads;
 * "abort" and an unset OBJLIFE_DEBUG behave as documented; the report at
 * exit sees the objects the program's destructors and early atexit
 * handlers put as gone.
 *
 * Programs with a named leak are tests/diag/lifecycle, run as a
 * subprocess; in-process cases run under g_test_trap_subprocess() with
 * OBJLIFE_DEBUG set before the trap (the library reads it once).
 */
#include "config.h"
#include "testutil.h"
#include "diag/spawn.h"

#include <signal.h>

/* ---- reports of the helper program ------------------------------------ */

static void test_exit_report_names_type_count_and_function(void)
{
	struct diag_run r = diag_spawn("lifecycle", "leak-three", "leaks", NULL);

	g_test_message("the report:\n%s", r.err);   /* for the test log */
	g_assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	g_assert_cmpstr(r.out, ==, "");
	/* One group: the three leaked sessions, not the one freed. */
	g_assert_cmpuint(tu_count(r.err, "objlife: LEAK: "), ==, 1);
	/* Frames read "#N function (file:line)" with libdw, "#N function+0xoff
	 * (module)" with dladdr(): the names are what both have. */
	g_assert_nonnull(strstr(r.err, "objlife: LEAK: 3 x session (counts 1,1,2) allocated at:\n"
				"    #0 session_new"));
#ifdef HAVE_EXECINFO_H   /* without backtrace(), a stack is its first frame */
	tu_assert_in_order(r.err, "    #0 session_new", "\n    #1 leak_three_sessions");
	tu_assert_in_order(r.err, "    #1 leak_three_sessions", "\n    #2 mode_leak_three");
#endif
#ifdef HAVE_LIBDW
	tu_assert_in_order(r.err, "    #0 session_new (", "lifecycle.c:");
#endif
	/* Stacks stop at main(). */
	g_assert_null(strstr(r.err, "__libc_start"));
	diag_run_free(&r);
}

static void test_exit_report_goes_to_debug_file(void)
{
	char path[] = "/tmp/objlife-diag-XXXXXX";
	int fd = mkstemp(path);
	struct diag_run r;
	char *text;

	g_assert_cmpint(fd, >=, 0);
	r = diag_spawn("lifecycle", "leak-three", "leaks", path);
	g_assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	g_assert_cmpstr(r.err, ==, "");
	text = diag_slurp(fdopen(fd, "r"));
	unlink(path);
	g_assert_true(tu_has_prefix(text, "objlife: LEAK: 3 x session (counts 1,1,2) allocated at:\n"));
	tu_assert_has(text, "    #0 session_new");
	free(text);
	diag_run_free(&r);
}

static void test_unset_debug_prints_nothing_for_a_clean_program(void)
{
	struct diag_run r = diag_spawn("lifecycle", "clean", NULL, NULL);

	g_assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	g_assert_cmpstr(r.out, ==, "live=0\n");
	g_assert_cmpstr(r.err, ==, "");
	diag_run_free(&r);
}

static void test_all_checks_print_nothing_for_a_clean_program(void)
{
	struct diag_run r = diag_spawn("lifecycle", "clean", "leaks,refs,poison", NULL);

	g_assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	g_assert_cmpstr(r.out, ==, "live=0\n");
	g_assert_cmpstr(r.err, ==, "");
	diag_run_free(&r);
}

static void test_unset_debug_reports_no_leaks(void)
{
	struct diag_run r = diag_spawn("lifecycle", "leak-three", NULL, NULL);

	/* Leaking is not a misuse: without "leaks" nobody says anything. */
	g_assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	g_assert_cmpstr(r.err, ==, "");
	diag_run_free(&r);
}

static void test_abort_turns_a_misuse_into_sigabrt(void)
{
	struct diag_run r = diag_spawn("lifecycle", "underflow", "abort", NULL);

	g_assert_true(WIFSIGNALED(r.status));
	g_assert_cmpint(WTERMSIG(r.status), ==, SIGABRT);
	g_assert_true(tu_has_prefix(r.err, "objlife: UNDERFLOW: type=session obj=0x"));
	g_assert_cmpstr(r.out, ==, "");
	diag_run_free(&r);

	/* The same for a tracker dropped twice. */
	r = diag_spawn("lifecycle", "double-drop", "refs,abort", NULL);
	g_assert_true(WIFSIGNALED(r.status));
	g_assert_cmpint(WTERMSIG(r.status), ==, SIGABRT);
	g_assert_true(tu_has_prefix(r.err, "objlife: BAD_TRACKER: type=session"));
	g_assert_cmpstr(r.out, ==, "taken: count=2\ndropped: count=1\n");
	diag_run_free(&r);
}

static void test_without_abort_a_misuse_goes_on(void)
{
	struct diag_run r = diag_spawn("lifecycle", "underflow", "leaks", NULL);

	g_assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	g_assert_cmpstr(r.out, ==, "still running, count=saturated\n");
	g_assert_cmpuint(tu_count(r.err, "objlife: UNDERFLOW: type=session"), ==, 1);
	/* The saturated object leaks, and the report at exit says so. */
	tu_assert_has(r.err, "objlife: LEAK: 1 x session (count saturated) allocated at:\n"
			"    #0 session_new");
	diag_run_free(&r);
}

static void test_abort_waits_for_the_whole_leak_report(void)
{
	struct diag_run r = diag_spawn("lifecycle", "leak-three", "leaks,abort", NULL);

	g_assert_true(WIFSIGNALED(r.status));
	g_assert_cmpint(WTERMSIG(r.status), ==, SIGABRT);
	tu_assert_in_order(r.err, "objlife: LEAK: 3 x session", "    #0 session_new");
	g_assert_cmpuint(tu_count(r.err, "objlife: LEAK: "), ==, 1);
	diag_run_free(&r);
}

/* ---- in-process: leak_check and may_leak ------------------------------- */

static const struct objlife_ops site_ops = { .name = "site" };

/* Exported (this program links with -export-dynamic), so that dladdr()
 * names them too. */
struct objlife *alloc_at_site_a(void);
struct objlife *alloc_at_site_b(void);

__attribute__((noinline)) struct objlife *alloc_at_site_a(void)
{
	struct objlife *obj = objlife_alloc_size(&site_ops, 64, 8, NULL);

	g_assert_nonnull(obj);
	__asm__ volatile("");   /* no tail call: this function is a frame */
	return obj;
}

__attribute__((noinline)) struct objlife *alloc_at_site_b(void)
{
	struct objlife *obj = objlife_alloc_size(&site_ops, 64, 8, NULL);

	g_assert_nonnull(obj);
	__asm__ volatile("");
	return obj;
}

/* volatile: loops stay loops, so that their calls are one call site (and
 * one stack), with dladdr() too, which shows byte offsets, not lines. */
static volatile int two = 2;

static void test_leak_check_groups_by_type_and_site(void)
{
	if (g_test_subprocess()) {
		struct objlife *a[2], *a1, *a2, *b;
		size_t live;
		char *text;
		int i;

		for (i = 0; i < two; i++)
			a[i] = alloc_at_site_a();   /* one call site */
		a1 = a[0];
		a2 = a[1];
		b = alloc_at_site_b();

		objlife_get(a2);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 3);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: "), ==, 2);
		/* Largest group first. */
		g_assert_true(tu_has_prefix(text, "objlife: LEAK: 2 x site (counts 1,2) allocated at:\n"));
		tu_assert_in_order(text, "2 x site", "alloc_at_site_a");
		tu_assert_in_order(text, "objlife: LEAK: 1 x site (count 1) allocated at:\n", "alloc_at_site_b");
		free(text);
		/* NULL writes nothing and still counts. */
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 3);

		objlife_put(a1);
		objlife_put(a2);
		objlife_put(a2);
		objlife_put(b);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 0);
		g_assert_cmpstr(text, ==, "");
		free(text);
		return;
	}
	/* Nothing left for the report at exit. */
	tu_trap_with_debug("leaks");
}

static void test_may_leak_is_left_out(void)
{
	if (g_test_subprocess()) {
		struct objlife *forever = alloc_at_site_a(), *leaked = alloc_at_site_b();
		size_t live;
		char *text;

		objlife_may_leak(forever);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 1);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: "), ==, 1);
		tu_assert_has(text, "alloc_at_site_b");
		g_assert_null(strstr(text, "alloc_at_site_a"));
		free(text);
		(void)leaked;
		return;   /* the report at exit lists the leaked one only */
	}
	setenv("OBJLIFE_DEBUG", "leaks", 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG");
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("objlife: LEAK: 1 x site (count 1) allocated at:\n    #0 alloc_at_site_b*");
	g_test_trap_assert_stderr_unmatched("*alloc_at_site_a*");
}

static struct objlife *the_b;

/* Prints what it is given, at exit, where the parent can see it. */
static void print_report(enum objlife_event event, const struct objlife *obj, const char *message,
			 void *data)
{
	(void)data;
	printf("event=%d obj=%s first-line=%.*s\n", (int)event,
	       !obj ? "none" : obj == the_b ? "b" : "other", (int)strcspn(message, "\n"), message);
}

static void test_exit_report_goes_through_the_handler(void)
{
	if (g_test_subprocess()) {
		int i;

		objlife_set_report_handler(print_report, NULL);
		for (i = 0; i < two; i++)
			alloc_at_site_a();   /* one site (and stack) */
		the_b = alloc_at_site_b();
		return;
	}
	tu_trap_with_debug("leaks");
	/* One report per group; a group of one names its object. */
	g_test_trap_assert_stdout("event=5 obj=none first-line=objlife: LEAK: 2 x site (counts 1,1) allocated at:\n"
				  "event=5 obj=b first-line=objlife: LEAK: 1 x site (count 1) allocated at:\n");
}

/* ---- the report at exit comes after the program's teardown ------------- */

/* Put by this program's own destructor, when one is set. */
static struct objlife *put_by_destructor;

__attribute__((destructor)) static void program_destructor(void)
{
	if (put_by_destructor)
		objlife_put(put_by_destructor);
}

static void test_object_put_by_a_destructor_is_not_reported(void)
{
	if (g_test_subprocess()) {
		put_by_destructor = alloc_at_site_a();
		return;
	}
	/* "abort": a LEAK reported at exit would kill the child. */
	tu_trap_with_debug("leaks,abort");
}

static struct objlife *put_by_atexit;

static void put_at_exit(void)
{
	objlife_put(put_by_atexit);
}

static void test_object_put_by_an_early_atexit_handler_is_not_reported(void)
{
	if (g_test_subprocess()) {
		g_assert_cmpint(atexit(put_at_exit), ==, 0);   /* before the first allocation */
		put_by_atexit = alloc_at_site_a();
		return;
	}
	tu_trap_with_debug("leaks,abort");
}

static void test_object_left_after_teardown_is_reported(void)
{
	if (g_test_subprocess()) {
		put_by_destructor = alloc_at_site_a();
		alloc_at_site_b();   /* leaked: nobody puts it */
		return;
	}
	setenv("OBJLIFE_DEBUG", "leaks", 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG");
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("objlife: LEAK: 1 x site (count 1) allocated at:\n    #0 alloc_at_site_b*");
	g_test_trap_assert_stderr_unmatched("*alloc_at_site_a*");
}

/* ---- the registry under 8 threads --------------------------------------- */

#define N_THREADS 8
#define PER_THREAD 20000

static const struct objlife_ops busy_ops = { .name = "busy" };

struct worker {
	pthread_barrier_t *start;
	struct objlife **mine;       /* this thread's allocations */
	struct objlife **theirs;     /* another thread's, to put */
	size_t kept;                 /* how many of mine it keeps alive */
};

static void *worker(void *p)
{
	struct worker *w = p;
	size_t i;

	pthread_barrier_wait(w->start);
	for (i = 0; i < PER_THREAD; i++) {
		w->mine[i] = objlife_alloc_size(&busy_ops, 48, 8, NULL);
		g_assert_nonnull(w->mine[i]);
		/* Churn: a short-lived object between the kept ones. */
		objlife_put(objlife_alloc_size(&busy_ops, 48, 8, NULL));
	}
	/* Every third of mine is dropped here; the rest stay for the check. */
	for (i = 0; i < PER_THREAD; i += 3) {
		objlife_put(w->mine[i]);
		w->mine[i] = NULL;
	}
	return NULL;
}

static void *put_all(void *p)
{
	struct worker *w = p;
	size_t i;

	pthread_barrier_wait(w->start);
	for (i = 0; i < PER_THREAD; i++)
		if (w->theirs[i])
			objlife_put(w->theirs[i]);
	return NULL;
}

static size_t sum_groups(const char *text)
{
	size_t sum = 0;
	const char *p = text;

	while ((p = strstr(p, "objlife: LEAK: "))) {
		p += strlen("objlife: LEAK: ");
		sum += strtoul(p, NULL, 10);
	}
	return sum;
}

static void test_registry_under_8_threads(void)
{
	if (g_test_subprocess()) {
		static struct objlife *objs[N_THREADS][PER_THREAD];
		struct worker w[N_THREADS];
		pthread_barrier_t start;
		pthread_t t[N_THREADS];
		size_t i, live, expect = 0;
		char *text;

		pthread_barrier_init(&start, NULL, N_THREADS);
		for (i = 0; i < N_THREADS; i++) {
			w[i] = (struct worker){ &start, objs[i], objs[(i + 1) % N_THREADS], 0 };
			pthread_create(&t[i], NULL, worker, &w[i]);
		}
		for (i = 0; i < N_THREADS; i++)
			pthread_join(t[i], NULL);
		for (i = 0; i < N_THREADS; i++)
			for (size_t k = 0; k < PER_THREAD; k++)
				expect += objs[i][k] != NULL;
		g_assert_cmpuint(expect, ==, N_THREADS * (PER_THREAD - (PER_THREAD + 2) / 3));

		/* Every live object is listed, once: the groups add up. */
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, expect);
		g_assert_cmpuint(objlife_live_count(&busy_ops), ==, expect);
		g_assert_cmpuint(sum_groups(text), ==, expect);
		free(text);

		/* Each thread frees its neighbour's, concurrently. */
		for (i = 0; i < N_THREADS; i++)
			pthread_create(&t[i], NULL, put_all, &w[i]);
		for (i = 0; i < N_THREADS; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&start);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 0);
		g_assert_cmpstr(text, ==, "");
		free(text);
		return;
	}
	tu_trap_with_debug("leaks");
}

/* ---- exitcode=N --------------------------------------------------------- */

static bool exited_with(const struct diag_run *r, int code)
{
	return WIFEXITED(r->status) && WEXITSTATUS(r->status) == code;
}

/* Leaks at exit: the report, then exit status N. */
static void test_exitcode_leaks_exit_with_it(void)
{
	struct diag_run r = diag_spawn("lifecycle", "leak-three", "exitcode=23", NULL);

	g_assert_true(exited_with(&r, 23));
	/* exitcode implies leaks: the report is the usual one. */
	tu_assert_has(r.err, "objlife: LEAK: 3 x session (counts 1,1,2) allocated at:\n");
	diag_run_free(&r);
}

static void test_exitcode_clean_program_exits_zero(void)
{
	struct diag_run r = diag_spawn("lifecycle", "clean", "exitcode=23", NULL);

	g_assert_true(exited_with(&r, 0));
	g_assert_cmpstr(r.out, ==, "live=0\n");
	g_assert_cmpstr(r.err, ==, "");
	diag_run_free(&r);
}

/* A misuse is reported and the program goes on (no abort); the object it
 * saturated leaks, so the exit status says so. */
static void test_exitcode_does_not_abort_on_misuse(void)
{
	struct diag_run r = diag_spawn("lifecycle", "underflow", "exitcode=7", NULL);

	g_assert_true(exited_with(&r, 7));
	g_assert_cmpstr(r.out, ==, "still running, count=saturated\n");
	tu_assert_in_order(r.err, "objlife: UNDERFLOW: ", "objlife: LEAK: ");
	diag_run_free(&r);
}

/* The program's buffered output is written before the status is set. */
static void test_exitcode_flushes_output(void)
{
	struct diag_run r = diag_spawn("lifecycle", "leak-unflushed", "exitcode=9", NULL);

	g_assert_true(exited_with(&r, 9));
	g_assert_cmpstr(r.out, ==, "unflushed");
	diag_run_free(&r);
}

/* exitcode with a number out of range is said once and ignored, leaks
 * included: the program runs as without it. */
static void test_exitcode_out_of_range_is_ignored(void)
{
	struct diag_run r = diag_spawn("lifecycle", "leak-three", "exitcode=256", NULL);

	g_assert_true(exited_with(&r, 0));
	g_assert_cmpstr(r.err, ==, "objlife: OBJLIFE_DEBUG: 'exitcode=256' ignored: exitcode wants a "
			"number from 0 to 255\n");
	diag_run_free(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/diag/leaks/exit-report-names-type-count-and-function",
			test_exit_report_names_type_count_and_function);
	g_test_add_func("/diag/leaks/exit-report-goes-to-debug-file", test_exit_report_goes_to_debug_file);
	g_test_add_func("/diag/leaks/unset-reports-no-leaks", test_unset_debug_reports_no_leaks);
	g_test_add_func("/diag/leaks/exitcode/leaks-exit-with-it", test_exitcode_leaks_exit_with_it);
	g_test_add_func("/diag/leaks/exitcode/clean-program-exits-zero", test_exitcode_clean_program_exits_zero);
	g_test_add_func("/diag/leaks/exitcode/does-not-abort-on-misuse", test_exitcode_does_not_abort_on_misuse);
	g_test_add_func("/diag/leaks/exitcode/flushes-output", test_exitcode_flushes_output);
	g_test_add_func("/diag/leaks/exitcode/out-of-range-is-ignored", test_exitcode_out_of_range_is_ignored);
	g_test_add_func("/diag/clean/unset-prints-nothing", test_unset_debug_prints_nothing_for_a_clean_program);
	g_test_add_func("/diag/clean/all-checks-print-nothing", test_all_checks_print_nothing_for_a_clean_program);
	g_test_add_func("/diag/abort/misuse-is-sigabrt", test_abort_turns_a_misuse_into_sigabrt);
	g_test_add_func("/diag/abort/without-it-the-program-goes-on", test_without_abort_a_misuse_goes_on);
	g_test_add_func("/diag/abort/after-the-whole-leak-report", test_abort_waits_for_the_whole_leak_report);
	g_test_add_func("/diag/leaks/leak-check-groups-by-type-and-site", test_leak_check_groups_by_type_and_site);
	g_test_add_func("/diag/leaks/may-leak-is-left-out", test_may_leak_is_left_out);
	g_test_add_func("/diag/leaks/exit-report-goes-through-the-handler", test_exit_report_goes_through_the_handler);
	g_test_add_func("/diag/leaks/registry-under-8-threads", test_registry_under_8_threads);
	g_test_add_func("/diag/leaks/exit/object-put-by-a-destructor-is-not-reported",
			test_object_put_by_a_destructor_is_not_reported);
	g_test_add_func("/diag/leaks/exit/object-put-by-an-early-atexit-handler-is-not-reported",
			test_object_put_by_an_early_atexit_handler_is_not_reported);
	g_test_add_func("/diag/leaks/exit/object-left-after-teardown-is-reported",
			test_object_left_after_teardown_is_reported);
	return g_test_run();
}
