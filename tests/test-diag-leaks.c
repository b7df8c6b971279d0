/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OBJLIFE_DEBUG=leaks: the report at exit names the type, the counts and
 * the allocating function; objlife_leak_check() groups by type and site;
 * may_leak objects stay out; the registry stays right under 8 threads;
 * "abort" and an unset OBJLIFE_DEBUG behave as documented; the report at
 * exit sees the objects the program's destructors and early atexit
 * handlers put as gone. Groups are ordered (largest, then type name, then
 * site) and whole however many objects, trackers or frames they hold; an
 * object being released is not a leak; types that share a name stay
 * apart; a stack taken on a signal stack, or through one of two paths to
 * one call site, is the right one; a process without thread keys and a
 * forked child go on counting and reporting. With libdw, a function
 * inlined by an optimised build is a frame of its own, at its own line.
 *
 * Programs with a named leak are tests/diag/lifecycle and
 * tests/diag/inlined, run as a subprocess; in-process cases run under
 * g_test_trap_subprocess() with OBJLIFE_DEBUG set before the trap (the
 * library reads it once).
 */
#include "config.h"
#include "testutil.h"
#include "diag/spawn.h"
#include "diag/sites.h"

#include <signal.h>

/* ThreadSanitizer reports any allocation inside a signal handler. */
#if defined(__SANITIZE_THREAD__)
# define UNDER_TSAN 1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define UNDER_TSAN 1
# endif
#endif

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

/* ---- inlined functions (tests/diag/inlined, built with -O2) ------------- */

#ifdef HAVE_LIBDW
/* Runs tests/diag/inlined @mode with OBJLIFE_DEBUG=leaks. */
static struct diag_run run_inlined(const char *mode)
{
	struct diag_run r = diag_spawn("inlined", mode, "leaks", NULL);

	g_test_message("the report:\n%s\nthe lines:\n%s", r.err, r.out);   /* for the test log */
	g_assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	return r;
}

/* The line @name that tests/diag/inlined printed ("name=line"): where in
 * its source a call the report must name is. */
static int printed_line(const char *out, const char *name)
{
	char key[64];
	const char *p;
	int line;

	snprintf(key, sizeof(key), "%s=", name);
	for (p = out; (p = strstr(p, key)) && p != out && p[-1] != ' ' && p[-1] != '\n'; p++)
		;
	g_assert_nonnull(p);
	line = atoi(p + strlen(key));
	g_assert_cmpint(line, >, 0);
	return line;
}

static void test_inlined_function_is_a_frame_of_its_own_inlined_into_its_caller(void)
{
	struct diag_run r = run_inlined("one-level");
	int alloc = printed_line(r.out, "alloc"), call = printed_line(r.out, "call");
	char *want = g_strdup_printf("objlife: LEAK: 1 x config (count 1) allocated at:\n"
				     "    #0 build_config (*inlined.c:%d) (inlined into load_config)\n"
				     "    #1 load_config (*inlined.c:%d)\n"
				     "    #2 mode_one_level (*inlined.c:*)\n"
				     "    #3 main (*inlined.c:*)\n",
				     alloc, call);

	/* The line of the allocation is build_config()'s; load_config()'s
	 * frame is at the line that calls build_config(); the frames after
	 * are numbered on. */
	tu_assert_matches(r.err, want);
	g_free(want);
	diag_run_free(&r);
}

static void test_two_levels_of_inlining_are_two_inlined_frames(void)
{
	struct diag_run r = run_inlined("two-levels");
	int alloc = printed_line(r.out, "alloc"), inner_call = printed_line(r.out, "inner-call"),
	    outer_call = printed_line(r.out, "outer-call");
	char *want = g_strdup_printf("objlife: LEAK: 1 x config (count 1) allocated at:\n"
				     "    #0 new_entry (*inlined.c:%d) (inlined into parse_entry)\n"
				     "    #1 parse_entry (*inlined.c:%d) (inlined into load_entries)\n"
				     "    #2 load_entries (*inlined.c:%d)\n"
				     "    #3 mode_two_levels (*inlined.c:*)\n"
				     "    #4 main (*inlined.c:*)\n",
				     alloc, inner_call, outer_call);

	/* new_entry() inlined into parse_entry(), itself inlined into
	 * load_entries(): each at its own line, innermost first, as gdb shows. */
	tu_assert_matches(r.err, want);
	g_free(want);
	diag_run_free(&r);
}

static void test_two_inlined_calls_in_one_caller_are_two_sites(void)
{
	struct diag_run r = run_inlined("two-calls");
	int alloc = printed_line(r.out, "alloc"), call[2] = { printed_line(r.out, "call"),
							       printed_line(r.out, "second-call") };
	int i;

	/* The same inlined code, inlined twice into one function: the two
	 * copies differ by the line of the call, so they are two sites, each
	 * at its own call. */
	g_assert_cmpuint(tu_count(r.err, "objlife: LEAK: 1 x config (count 1) allocated at:\n"), ==, 2);
	for (i = 0; i < 2; i++) {
		char *want = g_strdup_printf("*LEAK: 1 x config (count 1) allocated at:\n"
					     "    #0 build_config (*inlined.c:%d) (inlined into load_two_configs)\n"
					     "    #1 load_two_configs (*inlined.c:%d)\n"
					     "    #2 mode_two_calls (*",
					     alloc, call[i]);

		tu_assert_matches(r.err, want);
		g_free(want);
	}
	diag_run_free(&r);
}

static void test_function_not_inlined_in_an_optimised_build_is_one_frame(void)
{
	struct diag_run r = run_inlined("not-inlined");
	int alloc = printed_line(r.out, "alloc");
	char *want = g_strdup_printf("objlife: LEAK: 1 x config (count 1) allocated at:\n"
				     "    #0 open_store (*inlined.c:%d)\n"
				     "    #1 mode_not_inlined (*inlined.c:*)\n"
				     "    #2 main (*inlined.c:*)\n",
				     alloc);

	/* Nothing inlined at the allocation: the frames read as they always did. */
	tu_assert_matches(r.err, want);
	g_assert_null(strstr(r.err, "inlined into"));
	g_free(want);
	diag_run_free(&r);
}
#endif

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

/* ---- leak reports: grouping, order, what is listed ----------------------- */

static const struct objlife_ops alpha_ops = { .name = "alpha" };
static const struct objlife_ops beta_ops = { .name = "beta" };
static const struct objlife_ops gamma_ops = { .name = "gamma" };

/* volatile, as two above. */
static volatile int three = 3, four = 4, many = 100;

static void test_groups_of_equal_size_are_ordered_by_type_then_site(void)
{
	if (g_test_subprocess()) {
		struct objlife *objs[6];
		size_t live;
		const char *g2, *ga, *gba, *gbb;
		char *text;
		int i;

		/* Allocated in another order than the report's. */
		objs[0] = diag_alloc_at_site_b(&beta_ops);
		objs[1] = diag_alloc_at_site_a(&beta_ops);
		objs[2] = diag_alloc_at_site_a(&alpha_ops);
		for (i = 0; i < two; i++)
			objs[3 + i] = diag_alloc_at_site_b(&gamma_ops);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 5);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: "), ==, 4);
		/* Largest first; then by type name; then by site. */
		g2 = strstr(text, "objlife: LEAK: 2 x gamma (counts 1,1) allocated at:\n    #0 diag_alloc_at_site_b");
		ga = strstr(text, "objlife: LEAK: 1 x alpha (count 1) allocated at:\n    #0 diag_alloc_at_site_a");
		gba = strstr(text, "objlife: LEAK: 1 x beta (count 1) allocated at:\n    #0 diag_alloc_at_site_a");
		gbb = strstr(text, "objlife: LEAK: 1 x beta (count 1) allocated at:\n    #0 diag_alloc_at_site_b");
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

		diag_two_allocations_on_one_line(&alpha_ops, &a, &b);
		objlife_get(b);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 2);
		/* The report names the line, not the byte: one group. */
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: "), ==, 1);
		g_assert_true(tu_has_prefix(text, "objlife: LEAK: 2 x alpha (counts 1,2) allocated at:\n"
					 "    #0 diag_two_allocations_on_one_line ("));
		free(text);
		objlife_put(a);
		objlife_put(b);
		objlife_put(b);
		return;
	}
	tu_trap_with_debug("leaks");
}
#endif

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
			objs[i] = diag_alloc_at_site_a(&alpha_ops);
			diag_track_at_site_x(objs[i], &t[i]);
		}
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, MANY);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: "), ==, 1);
		/* Sixteen counts shown, then "...". */
		g_assert_true(tu_has_prefix(text, "objlife: LEAK: 100 x alpha (counts 2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,...) "
					 "allocated at:\n    #0 diag_alloc_at_site_a"));
		tu_assert_has(text, "\n  held by 100 trackers taken at:\n    #0 diag_track_at_site_x");
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
		struct objlife *dying = diag_alloc_at_site_a(&checking_ops);
		struct objlife *other = diag_alloc_at_site_b(&alpha_ops);

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
			objs[i] = diag_alloc_at_site_a(i % 2 ? &dup_ops_2 : &dup_ops_1);
		objlife_get(objs[1]);
		text = tu_leak_check_text(&live);
		g_assert_cmpuint(live, ==, 4);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: 2 x dup (counts "), ==, 2);
		tu_assert_has(text, "objlife: LEAK: 2 x dup (counts 1,1) allocated at:\n    #0 diag_alloc_at_site_a");
		tu_assert_has(text, "objlife: LEAK: 2 x dup (counts 1,2) allocated at:\n    #0 diag_alloc_at_site_a");
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
			objs[i] = diag_alloc_at_site_a(&alpha_ops);
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
					 "    #0 diag_alloc_at_site_a"));
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

/* The report of five live objects (struct diag_rich) at sites with
 * stacks deeper than 16 frames and longer than a line: whole, nothing
 * cut. */
static void test_leak_report_of_long_stacks_is_whole(void)
{
	if (g_test_subprocess()) {
		struct diag_rich r;
		size_t live;
		char *text;

		diag_rich_make(&r, &alpha_ops, &beta_ops);
		text = tu_leak_check_text(&live);
		g_test_message("the report:\n%s", text);
		g_assert_cmpuint(live, ==, 5);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: "), ==, 3);
		g_assert_true(tu_has_prefix(text, "objlife: LEAK: 3 x alpha (counts 1,2,3) allocated at:\n"
					 "    #0 diag_allocate_through_a_long_chain_of_calls_so_that_the_report_is_long"));
		/* Sixteen frames of the site, then the trackers' sites in full. */
		tu_assert_in_order(text, "    #15 diag_allocate_through_a_long_chain_of_calls",
				"\n  held by ");
		tu_assert_has(text, "\n  held by 2 trackers taken at:\n    #0 diag_track_at_site_x");
		tu_assert_in_order(text, "\n  held by 1 tracker taken at:\n"
				"    #0 diag_track_through_a_long_chain_of_calls_so_that_the_report_is_long",
				"    #15 diag_track_through_a_long_chain_of_calls");
		tu_assert_in_order(text, "objlife: LEAK: 1 x alpha (count 1) allocated at:\n    #0 diag_alloc_at_site_b",
				"objlife: LEAK: 1 x beta (count 1) allocated at:\n    #0 diag_alloc_at_site_b");
		g_assert_null(strstr(text, "no memory"));
		g_assert_null(strstr(text, "\n    ...\n"));
		free(text);
		diag_rich_free(&r);
		g_assert_cmpuint(objlife_leak_check(NULL), ==, 0);
		return;
	}
	tu_trap_with_debug("refs");
}

/* ---- the report at exit, through a handler of the program's own ------------ */

/* Prints each report's first line, at exit, where the parent can see it. */
static void print_first_line(enum objlife_event event, const struct objlife *obj, const char *message, void *data)
{
	(void)obj; (void)data;
	printf("event=%d %.*s\n", (int)event, (int)strcspn(message, "\n"), message);
}

static void test_custom_handler_at_exit_is_not_aborted(void)
{
	if (g_test_subprocess()) {
		objlife_set_report_handler(print_first_line, NULL);
		diag_alloc_at_site_a(&alpha_ops);       /* leaked: reported at exit */
		return;
	}
	/* "abort" is the default handler's: a handler of the program's own
	 * gets the report, and the program exits as it meant to. */
	tu_trap_with_debug("leaks,abort");
	g_test_trap_assert_stdout("event=5 objlife: LEAK: 1 x alpha (count 1) allocated at:\n");
}

/* ---- the stacks of the report ------------------------------------------------ */

/* Exported, as the sites of diag/sites.h. */
void diag_alloc_on_the_signal_stack(void);
struct objlife *diag_leaf_allocation(const struct objlife_ops *ops);
struct objlife *diag_path_one(const struct objlife_ops *ops);
struct objlife *diag_path_two(const struct objlife_ops *ops);

static const struct objlife_ops signalled_ops = { .name = "signalled" };
static struct objlife *signalled;

NOINLINE void diag_alloc_on_the_signal_stack(void)
{
	signalled = objlife_alloc_size(&signalled_ops, 64, 8, NULL);
	KEEP_FRAME();
}

static void on_signal(int sig)
{
	(void)sig;
	diag_alloc_on_the_signal_stack();
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
		before = diag_alloc_at_site_a(&alpha_ops);
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
			   "    #0 diag_alloc_on_the_signal_stack");
		free(text);
		objlife_put(signalled);
		objlife_put(before);
		return;
	}
	tu_trap_with_debug("leaks");
}

static const struct objlife_ops paths_ops = { .name = "paths" };

NOINLINE struct objlife *diag_leaf_allocation(const struct objlife_ops *ops)
{
	struct objlife *obj = objlife_alloc_size(ops, 64, 8, NULL);

	KEEP_FRAME();
	return obj;
}

/* Identical functions: the leaf sits at the same depth under each. */
NOINLINE struct objlife *diag_path_one(const struct objlife_ops *ops)
{
	struct objlife *obj = diag_leaf_allocation(ops);

	KEEP_FRAME();
	return obj;
}

NOINLINE struct objlife *diag_path_two(const struct objlife_ops *ops)
{
	struct objlife *obj = diag_leaf_allocation(ops);

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
			objs[2 * i] = diag_path_one(&paths_ops);
			objs[2 * i + 1] = diag_path_two(&paths_ops);
		}
		text = tu_leak_check_text(&live);
		g_test_message("the report:\n%s", text);
		g_assert_cmpuint(live, ==, 4);
		g_assert_cmpuint(tu_count(text, "objlife: LEAK: 2 x paths (counts 1,1) allocated at:\n"
					  "    #0 diag_leaf_allocation"), ==, 2);
		tu_assert_has(text, "\n    #1 diag_path_one");
		tu_assert_has(text, "\n    #1 diag_path_two");
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

		diag_track_at_site_x(&kept->ref, &t);
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

			diag_track_at_site_x(&mine->ref, &m);
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
	g_test_add_func("/diag/leaks/report/groups-of-equal-size-ordered-by-type-then-site",
			test_groups_of_equal_size_are_ordered_by_type_then_site);
#ifdef HAVE_LIBDW
	/* Only libdw knows lines; without it sites are byte offsets. */
	g_test_add_func("/diag/leaks/report/two-calls-on-one-line-are-one-site",
			test_two_calls_on_one_line_are_one_site);
#endif
#ifdef HAVE_LIBDW
	/* Inlined calls are in DWARF, which only libdw reads. */
	g_test_add_func("/diag/leaks/inline/inlined-function-is-a-frame-of-its-own-inlined-into-its-caller",
			test_inlined_function_is_a_frame_of_its_own_inlined_into_its_caller);
	g_test_add_func("/diag/leaks/inline/two-levels-of-inlining-are-two-inlined-frames",
			test_two_levels_of_inlining_are_two_inlined_frames);
	g_test_add_func("/diag/leaks/inline/two-inlined-calls-in-one-caller-are-two-sites",
			test_two_inlined_calls_in_one_caller_are_two_sites);
	g_test_add_func("/diag/leaks/inline/function-not-inlined-in-an-optimised-build-is-one-frame",
			test_function_not_inlined_in_an_optimised_build_is_one_frame);
#else
	printf("# built without libdw: frames have no lines and inlined functions no frames of "
	       "their own; the /diag/leaks/inline/ cases are not registered\n");
#endif
	g_test_add_func("/diag/leaks/report/more-than-64-objects-and-trackers-all-listed",
			test_more_than_64_objects_and_trackers_are_all_listed);
	g_test_add_func("/diag/leaks/report/object-being-released-is-not-listed",
			test_object_being_released_is_not_listed);
	g_test_add_func("/diag/leaks/report/types-that-share-a-name-are-separate-groups",
			test_types_that_share_a_name_are_separate_groups);
	g_test_add_func("/diag/leaks/report/long-stacks-are-whole", test_leak_report_of_long_stacks_is_whole);
	g_test_add_func("/diag/leaks/without-thread-keys-objects-are-counted-and-reported",
			test_without_thread_keys_objects_are_counted_and_reported);
	g_test_add_func("/diag/abort/custom-handler-at-exit-is-not-aborted", test_custom_handler_at_exit_is_not_aborted);
#ifndef UNDER_TSAN
	/* Allocating in a signal handler is not async-signal-safe, and
	 * ThreadSanitizer rightly says so: the case exists in the other builds
	 * (plain, ASan, valgrind, coverage). */
	g_test_add_func("/diag/leaks/stacks/allocation-on-a-signal-stack-has-its-site",
			test_allocation_on_a_signal_stack_has_its_site);
#endif
	g_test_add_func("/diag/leaks/stacks/two-paths-to-one-site-are-told-apart",
			test_two_paths_to_one_site_are_told_apart);
	g_test_add_func("/diag/leaks/fork/child-goes-on-diagnosing", test_forked_child_goes_on_diagnosing);
	return g_test_run();
}
