/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reports: the stable line, the handler receiving the same text as the
 * default handler writes, replacing a handler while reports run on other
 * threads (and across fork()), OBJLIFE_DEBUG (read once; help; unknown
 * words) and OBJLIFE_DEBUG_FILE; the text of a report (growing past a
 * line, the event words) and how a stack's frames read in it (named by a
 * symboliser, by dladdr(), or raw). Each environment case runs in a
 * subprocess, since the library reads its environment once per process.
 *
 * White-box, for the text and frame cases: they call report.c's text
 * buffer and symbolize.c's formatting, which are internal, so this program
 * links the library's objects. It links with -export-dynamic, so that
 * dladdr() names its exported function.
 */
#include "objlife-private.h"
#include "diag/symbolize.h"
#include "testutil.h"

#include <fnmatch.h>
#include <wchar.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv);

static const struct objlife_ops report_ops = {
	.name = "session", .alloc = tu_block_alloc, .free = tu_block_free,
};

/* A misuse with the default handler: one UNDERFLOW line. */
static void underflow_once(void)
{
	struct objlife *obj = objlife_alloc_size(&report_ops, 64, 8, NULL);

	g_assert_nonnull(obj);
	objlife_get(obj);
	objlife_may_leak(obj);
	tu_preset_count(obj, 0);
	objlife_put(obj);
}

static void test_default_handler_writes_one_line(void)
{
	if (g_test_subprocess()) {
		underflow_once();
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stdout("");
	g_test_trap_assert_stderr("objlife: UNDERFLOW: type=session obj=0x* count=0: put below zero; the object will leak\n");
}

static void test_handler_gets_the_same_text(void)
{
	struct objlife *obj = objlife_alloc_size(&report_ops, 64, 8, NULL);
	char expect[256];

	tu_events_start();
	tu_preset_count(obj, 0);
	objlife_put(obj);
	tu_assert_one_event(OBJLIFE_EVENT_UNDERFLOW, obj);
	snprintf(expect, sizeof(expect),
		 "objlife: UNDERFLOW: type=session obj=%p count=0: put below zero; the object will leak",
		 (void *)obj);
	g_assert_cmpstr(tu_events.message[0], ==, expect);
	objlife_may_leak(obj);
}

static int custom_calls;

static void custom_handler(enum objlife_event event, const struct objlife *obj, const char *message,
			   void *data)
{
	(void)event; (void)obj; (void)message;
	g_assert_true(data == &custom_calls);
	custom_calls++;
}

static void test_null_restores_default_handler(void)
{
	if (g_test_subprocess()) {
		objlife_set_report_handler(custom_handler, &custom_calls);
		underflow_once();
		g_assert_cmpint(custom_calls, ==, 1);
		objlife_set_report_handler(NULL, NULL);
		underflow_once();
		g_assert_cmpint(custom_calls, ==, 1);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	/* Only the second report reached stderr. */
	g_test_trap_assert_stderr("objlife: UNDERFLOW: type=session obj=0x* count=0: put below zero; the object will leak\n");
}

static void test_custom_handler_does_not_abort(void)
{
	if (g_test_subprocess()) {
		objlife_set_report_handler(custom_handler, &custom_calls);
		underflow_once();
		g_assert_cmpint(custom_calls, ==, 1);
		return;
	}
	setenv("OBJLIFE_DEBUG", "abort", 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG");
	g_test_trap_assert_passed();
}

static void test_clean_program_prints_nothing(void)
{
	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);

		tu_get(o);
		tu_put(o);
		tu_put(o);
		objlife_leak_check(NULL);
		return;
	}
	unsetenv("OBJLIFE_DEBUG");
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stdout("");
	g_test_trap_assert_stderr("");
}

static void test_help_lists_options(void)
{
	if (g_test_subprocess()) {
		g_assert_cmpuint(objlife_live_count(NULL), ==, 0);
		objlife_alloc_size(NULL, 0, 0, NULL);   /* first call: reads OBJLIFE_DEBUG */
		return;
	}
	setenv("OBJLIFE_DEBUG", "help", 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG");
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("*OBJLIFE_DEBUG is a comma-separated list of:*abort*help*OBJLIFE_DEBUG_FILE*");
}

static void test_unknown_word_warns_once(void)
{
	if (g_test_subprocess()) {
		objlife_alloc_size(NULL, 0, 0, NULL);
		objlife_alloc_size(NULL, 0, 0, NULL);
		underflow_once();
		return;
	}
	setenv("OBJLIFE_DEBUG", "bogus,,also-bogus", 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG");
	/* The program goes on, known words still apply, one warning. */
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("objlife: OBJLIFE_DEBUG: unknown option 'bogus' (valid: leaks, refs, poison, abort, exitcode=N, help)\n"
				  "objlife: UNDERFLOW: *\n");
}

static void test_debug_file_receives_reports(void)
{
	char path[] = "/tmp/objlife-report-XXXXXX";
	char buf[512] = { 0 };
	ssize_t n;
	int fd;

	if (g_test_subprocess()) {
		underflow_once();
		return;
	}
	fd = mkstemp(path);
	g_assert_cmpint(fd, >=, 0);
	setenv("OBJLIFE_DEBUG_FILE", path, 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG_FILE");
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(path);
	g_assert_cmpint(n, >, 0);
	g_assert_cmpint(fnmatch("objlife: UNDERFLOW: type=session obj=0x* count=0: *\n", buf, 0), ==, 0);
}

static void test_unopenable_debug_file_falls_back(void)
{
	if (g_test_subprocess()) {
		underflow_once();
		underflow_once();
		return;
	}
	setenv("OBJLIFE_DEBUG_FILE", "/nonexistent-dir/objlife.log", 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG_FILE");
	g_test_trap_assert_passed();
	/* Said once, then both reports on stderr. */
	g_test_trap_assert_stderr("objlife: OBJLIFE_DEBUG_FILE: cannot open '/nonexistent-dir/objlife.log' (*); reporting to stderr\n"
				  "objlife: UNDERFLOW: *\nobjlife: UNDERFLOW: *\n");
}

static void test_debug_file_fifo_without_reader_falls_back(void)
{
	char dir[] = "/tmp/objlife-fifo-XXXXXX", path[64];

	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };

		/* An open that waits for a reader is a SIGALRM, not a hang. */
		alarm(10);
		tu_put(tu_new(&c));   /* the first allocation returns */
		underflow_once();
		return;
	}
	g_assert_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	g_assert_cmpint(mkfifo(path, 0600), ==, 0);
	setenv("OBJLIFE_DEBUG_FILE", path, 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG_FILE");
	unlink(path);
	rmdir(dir);
	g_test_trap_assert_passed();
	/* The report on stderr, after one line that says why. */
	g_test_trap_assert_stderr("objlife: OBJLIFE_DEBUG_FILE: cannot open '/tmp/objlife-fifo-*/fifo' "
				  "(a FIFO that no process has open for reading); reporting to stderr\n"
				  "objlife: UNDERFLOW: type=session obj=0x* count=0: *\n");
}

static void test_empty_debug_file_reports_to_stderr(void)
{
	if (g_test_subprocess()) {
		underflow_once();
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

static void test_debug_file_is_not_created_without_reports(void)
{
	char dir[] = "/tmp/objlife-report-XXXXXX", path[64];
	bool created;

	if (g_test_subprocess()) {
		struct tu_counts c = { 0 };
		struct tu_obj *o = tu_new(&c);
		struct objlife_tracker *t;

		objlife_get_tracked(&o->ref, &t);
		objlife_put_tracked(&o->ref, &t);
		tu_put(o);
		objlife_leak_check(NULL);
		return;   /* nothing leaks: no report at exit either */
	}
	g_assert_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/reports.log", dir);
	setenv("OBJLIFE_DEBUG_FILE", path, 1);
	setenv("OBJLIFE_DEBUG", "leaks,refs,poison", 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG");
	unsetenv("OBJLIFE_DEBUG_FILE");
	created = access(path, F_OK) == 0;
	unlink(path);
	rmdir(dir);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("");
	g_assert_false(created);
}

/* ---- replacing the handler while reports run --------------------------- */

/* Objects made to saturate over and over, as many as a loop likes: a
 * saturated object is never freed, nor touched by the library again once
 * it has been reported, so its block may serve a later one. */
#define RING_BLOCKS 64
static unsigned char ring[RING_BLOCKS][64] __attribute__((aligned(64)));
static unsigned ring_next;

static void *ring_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	unsigned i = __atomic_fetch_add(&ring_next, 1, __ATOMIC_RELAXED) % RING_BLOCKS;

	(void)ops;
	g_assert_cmpuint(size, <=, sizeof(ring[0]));
	g_assert_cmpuint(align, <=, 64);
	return memset(ring[i], 0, sizeof(ring[0]));
}

static void ring_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops; (void)mem; (void)size;
	g_assert_not_reached();   /* saturated objects are never freed */
}

static const struct objlife_ops ring_ops = {
	.name = "ring", .alloc = ring_alloc, .free = ring_free,
};

/* One UNDERFLOW report; callable any number of times, from any thread,
 * while fewer than RING_BLOCKS of them run at once. */
static void report_one(void)
{
	struct objlife *obj = objlife_alloc_size(&ring_ops, 64, 8, NULL);

	g_assert_nonnull(obj);
	objlife_may_leak(obj);
	tu_preset_count(obj, 0);
	objlife_put(obj);
}

static void *report_one_thread(void *arg)
{
	(void)arg;
	report_one();
	return NULL;
}

/* A handler that is still running well after it told the test so. */
struct slow_data {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool entered;
	bool returned;        /* written as the handler's last use of its data */
};

static void slow_handler(enum objlife_event event, const struct objlife *obj, const char *message,
			 void *data)
{
	struct slow_data *d = data;

	(void)event; (void)obj; (void)message;
	pthread_mutex_lock(&d->lock);
	d->entered = true;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	usleep(200 * 1000);   /* the test replaces the handler meanwhile */
	d->returned = true;
}

static void test_replacing_waits_for_running_handler(void)
{
	struct slow_data *d = calloc(1, sizeof(*d));
	bool returned;
	pthread_t t;

	g_assert_nonnull(d);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	objlife_set_report_handler(slow_handler, d);
	g_assert_cmpint(pthread_create(&t, NULL, report_one_thread, NULL), ==, 0);
	pthread_mutex_lock(&d->lock);
	while (!d->entered)
		pthread_cond_wait(&d->cond, &d->lock);
	pthread_mutex_unlock(&d->lock);

	objlife_set_report_handler(NULL, NULL);
	/* The data is the caller's again, and freed as a program would. The
	 * report that was running on the other thread must be over: if it
	 * were not, its last write would land in freed memory (a use after
	 * free under ASan) and be missing here. */
	returned = d->returned;
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d);
	g_assert_cmpint(pthread_join(t, NULL), ==, 0);
	g_assert_true(returned);
}

static unsigned first_calls, second_calls;

static void second_handler(enum objlife_event event, const struct objlife *obj, const char *message,
			   void *data)
{
	(void)event; (void)obj; (void)message; (void)data;
	second_calls++;
}

/* Installs another handler, then reports: from inside a handler. */
static void reinstalling_handler(enum objlife_event event, const struct objlife *obj,
				 const char *message, void *data)
{
	(void)event; (void)obj; (void)message; (void)data;
	first_calls++;
	objlife_set_report_handler(second_handler, NULL);
	report_one();
}

static void test_handler_may_replace_itself_and_report(void)
{
	if (g_test_subprocess()) {
		objlife_set_report_handler(reinstalling_handler, NULL);
		report_one();
		g_assert_cmpuint(first_calls, ==, 1);
		g_assert_cmpuint(second_calls, ==, 1);   /* the report from inside */
		report_one();
		g_assert_cmpuint(first_calls, ==, 1);
		g_assert_cmpuint(second_calls, ==, 2);
		return;
	}
	/* A deadlock fails the case instead of hanging it. */
	g_test_trap_subprocess(NULL, 10 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("");
}

/* Two threads, each in the handler at once, each installing another one:
 * neither may wait for the other. */
static pthread_barrier_t both_inside;
static unsigned quiet_calls;

static void quiet_handler(enum objlife_event event, const struct objlife *obj, const char *message,
			  void *data)
{
	(void)event; (void)obj; (void)message; (void)data;
	__atomic_fetch_add(&quiet_calls, 1, __ATOMIC_RELAXED);
}

static void meeting_handler(enum objlife_event event, const struct objlife *obj, const char *message,
			    void *data)
{
	(void)event; (void)obj; (void)message; (void)data;
	pthread_barrier_wait(&both_inside);
	objlife_set_report_handler(quiet_handler, NULL);
}

static void test_handlers_replacing_on_two_threads_do_not_deadlock(void)
{
	if (g_test_subprocess()) {
		pthread_t t[2];
		int i;

		pthread_barrier_init(&both_inside, NULL, 2);
		objlife_set_report_handler(meeting_handler, NULL);
		for (i = 0; i < 2; i++)
			g_assert_cmpint(pthread_create(&t[i], NULL, report_one_thread, NULL), ==, 0);
		for (i = 0; i < 2; i++)
			g_assert_cmpint(pthread_join(t[i], NULL), ==, 0);
		report_one();
		g_assert_cmpuint(quiet_calls, ==, 1);
		return;
	}
	g_test_trap_subprocess(NULL, 10 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("");
}

/* ---- fork() while another thread reports ------------------------------ */

static unsigned counted_reports;
static bool stop_reporting;

static void counting_handler(enum objlife_event event, const struct objlife *obj, const char *message,
			     void *data)
{
	(void)event; (void)obj; (void)message;
	__atomic_fetch_add((unsigned *)data, 1, __ATOMIC_RELAXED);
}

static void *report_until_stopped(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop_reporting, __ATOMIC_RELAXED))
		report_one();
	return NULL;
}

#define FORKS 100

static void test_child_of_fork_during_reports_can_report(void)
{
	pthread_t t;
	int i;

	objlife_set_report_handler(counting_handler, &counted_reports);
	g_assert_cmpint(pthread_create(&t, NULL, report_until_stopped, NULL), ==, 0);
	while (!__atomic_load_n(&counted_reports, __ATOMIC_RELAXED))
		usleep(1000);
	for (i = 0; i < FORKS; i++) {
		pid_t pid = fork();
		int status;

		g_assert_cmpint(pid, >=, 0);
		if (pid == 0) {
			/* The child: one thread, whatever the others held. A hang
			 * is a SIGALRM, not a stuck test. */
			unsigned before = __atomic_load_n(&counted_reports, __ATOMIC_RELAXED);

			alarm(10);
			report_one();
			/* Replacing the handler waits for no call of the threads
			 * that did not come along. */
			objlife_set_report_handler(counting_handler, &counted_reports);
			report_one();
			_exit(__atomic_load_n(&counted_reports, __ATOMIC_RELAXED) == before + 2 ? 0 : 1);
		}
		g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			g_error("fork %d: the child %s %d", i, WIFEXITED(status) ? "exited with" : "died of signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
	__atomic_store_n(&stop_reporting, true, __ATOMIC_RELAXED);
	g_assert_cmpint(pthread_join(t, NULL), ==, 0);
	objlife_set_report_handler(NULL, NULL);
}

/* ---- the text of a report ----------------------------------------------- */

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

static void test_text_grows_past_the_inline_buffer(void)
{
	struct ol_text t;
	char expect[5000];
	int i;

	ol_text_init(&t);
	expect[0] = '\0';
	/* 100 pieces of 40 bytes: past 1024, then past 2048 and 4096 on the heap. */
	for (i = 0; i < 100; i++) {
		ol_text_add(&t, "%03d:abcdefghijklmnopqrstuvwxyz012345678\n", i);
		snprintf(expect + strlen(expect), sizeof(expect) - strlen(expect),
			 "%03d:abcdefghijklmnopqrstuvwxyz012345678\n", i);
	}
	g_assert_false(t.truncated);
	g_assert_cmpuint(t.len, ==, 4000);
	g_assert_cmpuint(strlen(t.buf), ==, 4000);
	g_assert_cmpstr(t.buf, ==, expect);
	g_assert_true(t.buf != t.small);
	/* Freed, it is empty and usable again. */
	ol_text_free(&t);
	g_assert_cmpuint(t.len, ==, 0);
	g_assert_cmpstr(t.buf, ==, "");
	ol_text_add(&t, "again");
	g_assert_cmpstr(t.buf, ==, "again");
	ol_text_free(&t);
}

static void test_text_takes_one_piece_larger_than_twice_the_buffer(void)
{
	struct ol_text t;
	char piece[3001];

	memset(piece, 'x', 3000);
	piece[3000] = '\0';
	ol_text_init(&t);
	ol_text_add(&t, "head:");
	ol_text_add(&t, "%s", piece);
	g_assert_cmpuint(t.len, ==, 3005);
	g_assert_true(tu_has_prefix(t.buf, "head:xxxx"));
	g_assert_cmpuint(strspn(t.buf + 5, "x"), ==, 3000);
	ol_text_free(&t);
}

static void test_text_format_error_adds_nothing(void)
{
	struct ol_text t;
	/* Not representable in the C locale: vsnprintf() fails (EILSEQ). */
	static const wchar_t bad[] = { 0xd800, 0 };

	ol_text_init(&t);
	ol_text_add(&t, "kept");
	ol_text_add(&t, "%ls", bad);
	g_assert_false(t.truncated);
	g_assert_cmpuint(t.len, ==, 4);
	g_assert_cmpstr(t.buf, ==, "kept");
	ol_text_add(&t, "+more");
	g_assert_cmpstr(t.buf, ==, "kept+more");
	ol_text_free(&t);
}

/* The word after "objlife: " in a report line. */
static void test_event_words_are_the_enum_names(void)
{
	g_assert_cmpstr(ol_event_word(OBJLIFE_EVENT_GET_ON_ZERO), ==, "GET_ON_ZERO");
	g_assert_cmpstr(ol_event_word(OBJLIFE_EVENT_BAD_TRACKER), ==, "BAD_TRACKER");
	g_assert_cmpstr(ol_event_word(OBJLIFE_EVENT_NO_MEMORY), ==, "NO_MEMORY");
	g_assert_cmpstr(ol_event_word(OBJLIFE_EVENT_DRAIN_WAIT), ==, "DRAIN_WAIT");
	/* A value from a newer header: a word all the same, never NULL. */
	g_assert_cmpstr(ol_event_word((enum objlife_event)(OBJLIFE_EVENT_DRAIN_WAIT + 1)), ==, "UNKNOWN");
}

/* ---- frames of a stack in a report ---------------------------------------- */

/* Exported (the program links with -export-dynamic): dladdr() names it. */
void report_exported_function(void);
void report_exported_function(void)
{
	__asm__ volatile("");
}

#ifdef HAVE_LIBDW
static __attribute__((noinline)) void report_static_function(void)
{
	__asm__ volatile("");
}
#endif

static int some_static_data;

/* The text ol_stack_format() makes of @n frames, with a symboliser or
 * with dladdr() only; free() it. */
static char *format_frames(bool symbolizer, void *const *frames, unsigned n)
{
	struct ol_symbolizer *sym = symbolizer ? ol_symbolizer_new() : NULL;
	const struct ol_stack *stack = ol_stack_intern(frames, n);
	struct ol_text t;
	char *text;

	if (symbolizer)
		g_assert_nonnull(sym);
	g_assert_nonnull(stack);
	ol_text_init(&t);
	ol_stack_format(&t, sym, stack);
	text = strdup(t.buf);
	ol_text_free(&t);
	ol_symbolizer_free(sym);
	return text;
}

/* Frames are return addresses: the symboliser looks one byte back. */
#define RET(fn) ((void *)((uintptr_t)(fn) + 1))

static void test_frame_outside_any_module_is_a_raw_address(void)
{
	void *frames[] = { (void *)(uintptr_t)0x1000 };
	char *text;

	text = format_frames(true, frames, 1);
	g_assert_cmpstr(text, ==, "    #0 0x1000");
	free(text);
	text = format_frames(false, frames, 1);
	g_assert_cmpstr(text, ==, "    #0 0x1000");
	free(text);
}

static void test_without_symbolizer_exported_functions_are_named(void)
{
	void *frames[] = { RET(report_exported_function), (void *)(uintptr_t)0x1000 };
	char *text = format_frames(false, frames, 2);

	/* dladdr(): the exported name, the offset from it, the module. */
	tu_assert_matches(text, "    #0 report_exported_function+0x1 (*test-report*)\n    #1 0x1000");
	free(text);
}

static void test_without_symbolizer_unnamed_addresses_show_module_and_offset(void)
{
	void *frames[] = { RET(&some_static_data) };
	char *text = format_frames(false, frames, 1);

	/* No exported symbol there: the address, the module and the offset. */
	tu_assert_matches(text, "    #0 0x* (*test-report*+0x*)");
	free(text);
}

static void test_main_ends_the_stack(void)
{
	void *frames[] = { RET(report_exported_function), RET(main), (void *)(uintptr_t)0x1000 };
	char *text;

	/* Below main() there is only the C library's start-up code. */
	text = format_frames(false, frames, 3);
	tu_assert_matches(text, "    #0 report_exported_function+0x1 (*)\n    #1 main+0x1 (*)");
	free(text);
	text = format_frames(true, frames, 3);
	tu_assert_matches(text, "    #0 report_exported_function[ +]*\n    #1 main[ +]*");
	g_assert_null(strstr(text, "#2"));
	free(text);
}

/* Only libdw names static functions: without it, the case does not exist. */
#ifdef HAVE_LIBDW
static void test_symbolizer_names_static_functions_with_their_line(void)
{
	void *frames[] = { RET(report_static_function) };
	char *text = format_frames(true, frames, 1);

	tu_assert_matches(text, "    #0 report_static_function (*test-report.c:*)");
	free(text);
}
#endif

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/report/default-handler-writes-one-line", test_default_handler_writes_one_line);
	g_test_add_func("/report/handler-gets-the-same-text", test_handler_gets_the_same_text);
	g_test_add_func("/report/null-restores-default-handler", test_null_restores_default_handler);
	g_test_add_func("/report/custom-handler-does-not-abort", test_custom_handler_does_not_abort);
	g_test_add_func("/report/clean-program-prints-nothing", test_clean_program_prints_nothing);
	g_test_add_func("/report/handler/replacing-waits-for-running-handler",
			test_replacing_waits_for_running_handler);
	g_test_add_func("/report/handler/may-replace-itself-and-report",
			test_handler_may_replace_itself_and_report);
	g_test_add_func("/report/handler/replacing-on-two-threads-does-not-deadlock",
			test_handlers_replacing_on_two_threads_do_not_deadlock);
	g_test_add_func("/report/handler/child-of-fork-during-reports-can-report",
			test_child_of_fork_during_reports_can_report);
	g_test_add_func("/report/debug/help-lists-options", test_help_lists_options);
	g_test_add_func("/report/debug/unknown-word-warns-once", test_unknown_word_warns_once);
	g_test_add_func("/report/debug-file/receives-reports", test_debug_file_receives_reports);
	g_test_add_func("/report/debug-file/unopenable-falls-back", test_unopenable_debug_file_falls_back);
	g_test_add_func("/report/debug-file/fifo-without-reader-falls-back",
			test_debug_file_fifo_without_reader_falls_back);
	g_test_add_func("/report/debug-file/not-created-without-reports",
			test_debug_file_is_not_created_without_reports);
	g_test_add_func("/report/debug-file/empty-reports-to-stderr", test_empty_debug_file_reports_to_stderr);
	g_test_add_func("/report/text/type-name-longer-than-a-line-is-cut", test_type_name_longer_than_a_line_is_cut);
	g_test_add_func("/report/text/grows-past-the-inline-buffer", test_text_grows_past_the_inline_buffer);
	g_test_add_func("/report/text/takes-one-piece-larger-than-twice-the-buffer",
			test_text_takes_one_piece_larger_than_twice_the_buffer);
	g_test_add_func("/report/text/format-error-adds-nothing", test_text_format_error_adds_nothing);
	g_test_add_func("/report/text/event-words-are-the-enum-names", test_event_words_are_the_enum_names);
	g_test_add_func("/report/frames/outside-any-module-is-a-raw-address",
			test_frame_outside_any_module_is_a_raw_address);
	g_test_add_func("/report/frames/without-symbolizer-exported-functions-are-named",
			test_without_symbolizer_exported_functions_are_named);
	g_test_add_func("/report/frames/without-symbolizer-unnamed-addresses-show-module-and-offset",
			test_without_symbolizer_unnamed_addresses_show_module_and_offset);
	g_test_add_func("/report/frames/main-ends-the-stack", test_main_ends_the_stack);
#ifdef HAVE_LIBDW
	g_test_add_func("/report/frames/symbolizer-names-static-functions-with-their-line",
			test_symbolizer_names_static_functions_with_their_line);
#endif
	return g_test_run();
}
