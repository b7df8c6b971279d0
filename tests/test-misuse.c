/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The misuse matrix, after the kernel's LKDTM refcount cases. Each row is
 * one misuse (or a correct use that must stay silent), run three ways:
 *
 *   /misuse/NAME/report    in this process with a recording handler: which
 *                          event, how often, how many times release ran;
 *   /misuse/NAME/continues in a subprocess with the default handler: the
 *                          process goes on, one line on stderr;
 *   /misuse/NAME/aborts    in a subprocess with OBJLIFE_DEBUG=abort:
 *                          SIGABRT after the report (rows with an event).
 *
 * Objects live in the test's own memory (ops->alloc/free), so touching a
 * dead object is a defined operation whose outcome can be checked.
 */
#include "testutil.h"

#include <signal.h>
#include <sys/wait.h>

#define NO_EVENT ((enum objlife_event)-1)

static int releases;
static void count_release(struct objlife *obj)
{
	(void)obj;
	releases++;
}

static int put_own_ref_init(struct objlife *obj, void *arg)
{
	(void)arg;
	objlife_put(obj);
	return 0;
}

static int leak_ref_then_fail_init(struct objlife *obj, void *arg)
{
	(void)arg;
	objlife_get(obj);
	return -EPROTO;
}

static const struct objlife_ops matrix_ops = {
	.name = "matrix", .release = count_release, .alloc = tu_block_alloc, .free = tu_block_free,
};
static const struct objlife_ops put_in_init_ops = {
	.name = "matrix", .init = put_own_ref_init, .release = count_release,
	.alloc = tu_block_alloc, .free = tu_block_free,
};
static const struct objlife_ops leak_in_init_ops = {
	.name = "matrix", .init = leak_ref_then_fail_init, .release = count_release,
	.alloc = tu_block_alloc, .free = tu_block_free,
};

/* A release that puts its own object once more: the extra put meant to
 * break a reference cycle. */
static void put_again_release(struct objlife *obj)
{
	releases++;
	objlife_put(obj);
}

static const struct objlife_ops put_in_release_ops = {
	.name = "matrix", .release = put_again_release, .alloc = tu_block_alloc, .free = tu_block_free,
};

/* Headers that no allocation set up: zeroed memory. */
static struct objlife never_set_up[4];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct objlife *fresh(void)
{
	struct objlife *obj = objlife_alloc_size(&matrix_ops, 64, 8, NULL);

	g_assert_nonnull(obj);
	return obj;
}

/* Each row returns the object the event (if any) must name. */
static struct objlife *row_get_on_zero(void)
{
	struct objlife *obj = fresh();

	objlife_put(obj);           /* released and freed: count 0 */
	objlife_get(obj);
	return obj;
}

static struct objlife *row_overflow(void)
{
	struct objlife *obj = fresh();

	tu_preset_count(obj, OBJLIFE_REFCOUNT_MAX);
	objlife_get(obj);
	return obj;
}

static struct objlife *row_put_below_zero(void)
{
	struct objlife *obj = fresh();

	tu_preset_count(obj, 0);    /* a count that is already wrong */
	objlife_put(obj);
	return obj;
}

static struct objlife *row_get_on_saturated(void)
{
	struct objlife *obj = row_overflow();

	objlife_get(obj);           /* silent: one event per object */
	objlife_get(obj);
	return obj;
}

static struct objlife *row_put_on_saturated(void)
{
	struct objlife *obj = row_overflow();

	objlife_put(obj);
	objlife_put(obj);
	return obj;
}

static struct objlife *row_double_put(void)
{
	struct objlife *obj = fresh();

	objlife_put(obj);
	objlife_put(obj);
	return obj;
}

static struct objlife *row_put_in_init(void)
{
	struct objlife *obj = objlife_alloc_size(&put_in_init_ops, 64, 8, NULL);

	g_assert_nonnull(obj);
	return obj;
}

static struct objlife *row_init_leaks_ref(void)
{
	g_assert_null(objlife_alloc_size(&leak_in_init_ops, 64, 8, NULL));
	g_assert_cmpint(errno, ==, EPROTO);
	return (struct objlife *)(void *)tu_blocks[tu_next_block - 1];
}

static struct objlife *row_get_unless_zero_on_dead(void)
{
	struct objlife *obj = fresh();

	objlife_put(obj);
	g_assert_false(objlife_get_unless_zero(obj));
	return obj;
}

static struct objlife *row_put_mutex_last(void)
{
	struct objlife *obj = fresh();

	g_assert_true(objlife_put_mutex(obj, &lock));
	return obj;
}

static struct objlife *row_put_mutex_not_last(void)
{
	struct objlife *obj = fresh();

	objlife_get(obj);
	g_assert_false(objlife_put_mutex(obj, &lock));
	g_assert_cmpuint(objlife_refcount(obj), ==, 1);
	return obj;
}

static struct objlife *row_put_mutex_on_dead(void)
{
	struct objlife *obj = fresh();

	g_assert_true(objlife_put_mutex(obj, &lock));
	g_assert_false(objlife_put_mutex(obj, &lock));
	return obj;
}

static struct objlife *row_put_during_release(void)
{
	struct objlife *obj = objlife_alloc_size(&put_in_release_ops, 64, 8, NULL);

	g_assert_nonnull(obj);
	objlife_put(obj);
	return obj;
}

static struct objlife *row_get_never_set_up(void)
{
	struct objlife *obj = &never_set_up[0];

	memset(obj, 0, sizeof(*obj));
	objlife_get(obj);
	return obj;
}

static struct objlife *row_put_never_set_up(void)
{
	struct objlife *obj = &never_set_up[1];

	memset(obj, 0, sizeof(*obj));
	objlife_put(obj);
	return obj;
}

static struct objlife *row_get_unless_zero_never_set_up(void)
{
	struct objlife *obj = &never_set_up[2];

	memset(obj, 0, sizeof(*obj));
	g_assert_false(objlife_get_unless_zero(obj));
	return obj;
}

static struct objlife *row_may_leak_never_set_up(void)
{
	struct objlife *obj = &never_set_up[3];

	memset(obj, 0, sizeof(*obj));
	objlife_may_leak(obj);
	return obj;
}

struct row {
	const char *name;
	struct objlife *(*run)(void);
	enum objlife_event event;   /* NO_EVENT: a correct use */
	int releases;               /* how often release ran: 0 or 1, never 2 */
	uint32_t count_after;       /* the count once the row ran */
	const char *text;           /* part of the report line */
	const char *type;           /* the report's type=; NULL: "matrix" */
	bool leaks;                 /* release ran, but the memory is kept */
};

static const struct row rows[] = {
	{ "get-on-zero", row_get_on_zero, OBJLIFE_EVENT_GET_ON_ZERO, 1,
	  OBJLIFE_REFCOUNT_SATURATED, "count=0: get on a zero count", NULL, false },
	{ "increment-past-limit", row_overflow, OBJLIFE_EVENT_OVERFLOW, 0,
	  OBJLIFE_REFCOUNT_SATURATED, "count=2147483647: get past the limit", NULL, false },
	{ "put-below-zero", row_put_below_zero, OBJLIFE_EVENT_UNDERFLOW, 0,
	  OBJLIFE_REFCOUNT_SATURATED, "count=0: put below zero", NULL, false },
	{ "get-on-saturated", row_get_on_saturated, OBJLIFE_EVENT_OVERFLOW, 0,
	  OBJLIFE_REFCOUNT_SATURATED, "get past the limit", NULL, false },
	{ "put-on-saturated", row_put_on_saturated, OBJLIFE_EVENT_OVERFLOW, 0,
	  OBJLIFE_REFCOUNT_SATURATED, "get past the limit", NULL, false },
	{ "double-put", row_double_put, OBJLIFE_EVENT_UNDERFLOW, 1,
	  OBJLIFE_REFCOUNT_SATURATED, "count=0: put below zero", NULL, false },
	{ "put-inside-init", row_put_in_init, OBJLIFE_EVENT_UNDERFLOW, 0,
	  OBJLIFE_REFCOUNT_SATURATED, "count=1: put of the initial reference inside init", NULL, false },
	{ "failed-init-leaks-ref", row_init_leaks_ref, OBJLIFE_EVENT_INIT_LEAKED_REF, 0,
	  OBJLIFE_REFCOUNT_SATURATED, "count=2: init failed (Protocol error) and left references behind", NULL, false },
	{ "get-unless-zero-on-dead", row_get_unless_zero_on_dead, NO_EVENT, 1, 0, NULL, NULL, false },
	{ "put-mutex-last", row_put_mutex_last, NO_EVENT, 1, 0, NULL, NULL, false },
	{ "put-mutex-not-last", row_put_mutex_not_last, NO_EVENT, 0, 1, NULL, NULL, false },
	{ "put-mutex-on-dead", row_put_mutex_on_dead, OBJLIFE_EVENT_UNDERFLOW, 1,
	  OBJLIFE_REFCOUNT_SATURATED, "count=0: put below zero", NULL, false },
	{ "put-during-own-release", row_put_during_release, OBJLIFE_EVENT_UNDERFLOW, 1,
	  OBJLIFE_REFCOUNT_SATURATED, "count=0: put during the object's own release", NULL, true },
	/* A header never set up: reported, and nothing changes (its count
	 * stays 0, nothing is released or freed). */
	{ "get-on-never-set-up", row_get_never_set_up, OBJLIFE_EVENT_BAD_OBJECT, 0, 0,
	  "count=0: get on a header that was never set up", "(none)", false },
	{ "put-on-never-set-up", row_put_never_set_up, OBJLIFE_EVENT_BAD_OBJECT, 0, 0,
	  "count=0: put on a header that was never set up", "(none)", false },
	{ "get-unless-zero-on-never-set-up", row_get_unless_zero_never_set_up,
	  OBJLIFE_EVENT_BAD_OBJECT, 0, 0, "count=0: get_unless_zero on a header that was never set up",
	  "(none)", false },
	{ "may-leak-on-never-set-up", row_may_leak_never_set_up, OBJLIFE_EVENT_BAD_OBJECT, 0, 0,
	  "count=0: may_leak on a header that was never set up", "(none)", false },
};

static void reset(void)
{
	releases = 0;
	tu_blocks_reset();
}

static void test_report(gconstpointer data)
{
	const struct row *row = data;
	struct objlife *obj;

	reset();
	tu_events_start();
	obj = row->run();
	if (row->event == NO_EVENT) {
		g_assert_cmpuint(tu_events_count(), ==, 0);
	} else {
		tu_assert_one_event(row->event, obj);
		g_assert_nonnull(strstr(tu_events.message[0], row->text));
	}
	g_assert_cmpint(releases, ==, row->releases);
	/* The memory goes back exactly when release ran: a saturated object
	 * is never freed, a released one once. */
	g_assert_cmpint(tu_block_frees, ==, row->leaks ? 0 : row->releases);
	g_assert_cmpuint(objlife_refcount(obj), ==, row->count_after);
	if (row->type == NULL)
		g_assert_true(objlife_ops_of(obj) != NULL);
	else
		g_assert_null(objlife_ops_of(obj));   /* the header is as it was */
	objlife_set_report_handler(NULL, NULL);
}

/* The child of the next two cases: run the row, then say so. */
static void run_row_in_child(const struct row *row)
{
	reset();
	row->run();
	printf("continued after %s\n", row->name);
	fflush(stdout);
}

static void test_continues(gconstpointer data)
{
	const struct row *row = data;
	char pattern[256];

	if (g_test_subprocess()) {
		run_row_in_child(row);
		return;
	}
	unsetenv("OBJLIFE_DEBUG");
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stdout("continued after *");
	if (row->event == NO_EVENT) {
		g_test_trap_assert_stderr("");
	} else {
		snprintf(pattern, sizeof(pattern), "objlife: * type=%s obj=0x* %s*\n",
			 row->type ? row->type : "matrix", row->text);
		g_test_trap_assert_stderr(pattern);
	}
}

static void test_aborts(gconstpointer data)
{
	const struct row *row = data;
	char pattern[256];

	if (g_test_subprocess()) {
		run_row_in_child(row);
		return;
	}
	setenv("OBJLIFE_DEBUG", "abort", 1);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG");
	g_test_trap_assert_failed();
	g_test_trap_assert_stdout_unmatched("*continued after*");
	snprintf(pattern, sizeof(pattern), "objlife: * type=%s obj=0x* %s*\n",
		 row->type ? row->type : "matrix", row->text);
	g_test_trap_assert_stderr(pattern);
}

/* A correct use with abort set must not abort. */
static void test_correct_use_does_not_abort(void)
{
	if (g_test_subprocess()) {
		size_t i;

		for (i = 0; i < G_N_ELEMENTS(rows); i++)
			if (rows[i].event == NO_EVENT)
				run_row_in_child(&rows[i]);
		return;
	}
	tu_trap_with_debug("abort");
}

int main(int argc, char **argv)
{
	size_t i;

	g_test_init(&argc, &argv, NULL);
	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		char path[128];

		snprintf(path, sizeof(path), "/misuse/%s/report", rows[i].name);
		g_test_add_data_func(path, &rows[i], test_report);
		snprintf(path, sizeof(path), "/misuse/%s/continues", rows[i].name);
		g_test_add_data_func(path, &rows[i], test_continues);
		if (rows[i].event != NO_EVENT) {
			snprintf(path, sizeof(path), "/misuse/%s/aborts", rows[i].name);
			g_test_add_data_func(path, &rows[i], test_aborts);
		}
	}
	g_test_add_func("/misuse/correct-use-does-not-abort", test_correct_use_does_not_abort);
	return g_test_run();
}
