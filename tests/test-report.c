/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reports: the stable line, the handler receiving the same text as the
 * default handler writes, OBJLIFE_DEBUG (read once; help; unknown words)
 * and OBJLIFE_DEBUG_FILE. Each environment case runs in a subprocess,
 * since the library reads its environment once per process.
 */
#include "testutil.h"

#include <fnmatch.h>
#include <unistd.h>

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
	g_test_trap_assert_stderr("objlife: OBJLIFE_DEBUG: unknown option 'bogus' (valid: leaks, refs, poison, abort, help)\n"
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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/report/default-handler-writes-one-line", test_default_handler_writes_one_line);
	g_test_add_func("/report/handler-gets-the-same-text", test_handler_gets_the_same_text);
	g_test_add_func("/report/null-restores-default-handler", test_null_restores_default_handler);
	g_test_add_func("/report/custom-handler-does-not-abort", test_custom_handler_does_not_abort);
	g_test_add_func("/report/clean-program-prints-nothing", test_clean_program_prints_nothing);
	g_test_add_func("/report/debug/help-lists-options", test_help_lists_options);
	g_test_add_func("/report/debug/unknown-word-warns-once", test_unknown_word_warns_once);
	g_test_add_func("/report/debug-file/receives-reports", test_debug_file_receives_reports);
	g_test_add_func("/report/debug-file/unopenable-falls-back", test_unopenable_debug_file_falls_back);
	return g_test_run();
}
