/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An init that acquires six resources with <objlife/cleanup.h> and no goto,
 * written in the kernel's spellings (OBJLIFE_SHORT_NAMES): memory, a pipe,
 * a mutex, a child objlife object, an entry in a shared table, a second
 * buffer. Any step can be told to fail; every failure must give back
 * exactly what was acquired before it, in reverse order, and leak nothing:
 * open fds, live children, the table's size, allocations and the log of
 * releases say so (and ASan/valgrind, when the suite runs under them).
 */
#define OBJLIFE_SHORT_NAMES
#include "testutil.h"

#include <fcntl.h>
#include <unistd.h>

#include <objlife/cleanup.h>

enum step { STEP_MEMORY = 1, STEP_PIPE, STEP_MUTEX, STEP_CHILD, STEP_TABLE, STEP_BUFFER, N_STEPS = STEP_BUFFER };

static const char *const step_name[N_STEPS + 1] = {
	NULL, "memory", "pipe", "mutex", "child", "table", "buffer",
};

/* ---- failure injection and the release log ---------------------------- */

static int fail_at;          /* the step that fails; 0: none */
static int steps_reached;    /* how many steps were attempted */

static bool injected_failure(enum step s)
{
	steps_reached++;
	return (int)s == fail_at;
}

static char release_log[128];

static void log_release(enum step s)
{
	size_t len = strlen(release_log);

	snprintf(release_log + len, sizeof(release_log) - len, "%s%s", len ? " " : "", step_name[s]);
}

static int allocations_live;  /* the two blocks of memory */

/* ---- the resources ----------------------------------------------------- */

struct child {
	struct objlife ref;
	int id;
};

static int child_init(struct objlife *obj, void *arg)
{
	(void)obj;
	(void)arg;
	return injected_failure(STEP_CHILD) ? -ENOMEM : 0;
}

static void child_release(struct objlife *obj)
{
	(void)obj;
	log_release(STEP_CHILD);
}

static const struct objlife_ops child_ops = {
	.name = "child",
	.init = child_init,
	.release = child_release,
};

OBJLIFE_DEFINE_REF_FUNCS(child, struct child, ref);

struct server {
	int fds[2];
	pthread_mutex_t lock;
	struct child *child;
	char *buffer;
};

/* The shared table: a fixed array under its own lock. */
#define TABLE_SLOTS 4
static struct {
	pthread_mutex_t lock;
	struct server *slot[TABLE_SLOTS];
	int size;
} table = { PTHREAD_MUTEX_INITIALIZER, { NULL }, 0 };

static int table_size(void)
{
	guard(mutex)(&table.lock);
	return table.size;
}

/* Each acquire returns the resource, or NULL when its step fails. */

static struct server *memory_get(void)
{
	struct server *s;

	if (injected_failure(STEP_MEMORY))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s)
		allocations_live++;
	return s;
}

static void memory_put(struct server *s)
{
	allocations_live--;
	free(s);
	log_release(STEP_MEMORY);
}

static int *pipe_open(struct server *s)
{
	if (injected_failure(STEP_PIPE) || pipe(s->fds) < 0)
		return NULL;
	return s->fds;
}

static void pipe_close(int *fds)
{
	close(fds[0]);
	close(fds[1]);
	log_release(STEP_PIPE);
}

static pthread_mutex_t *mutex_make(struct server *s)
{
	if (injected_failure(STEP_MUTEX) || pthread_mutex_init(&s->lock, NULL) != 0)
		return NULL;
	return &s->lock;
}

static void mutex_unmake(pthread_mutex_t *lock)
{
	pthread_mutex_destroy(lock);
	log_release(STEP_MUTEX);
}

static struct child *child_new(void)
{
	return objlife_alloc(struct child, ref, &child_ops, NULL);
}

static struct server *table_add(struct server *s)
{
	int i;

	if (injected_failure(STEP_TABLE))
		return NULL;
	guard(mutex)(&table.lock);
	for (i = 0; i < TABLE_SLOTS; i++) {
		if (!table.slot[i]) {
			table.slot[i] = s;
			table.size++;
			return s;
		}
	}
	return NULL;
}

static void table_remove(struct server *s)
{
	int i;

	scoped_guard(mutex, &table.lock) {
		for (i = 0; i < TABLE_SLOTS; i++) {
			if (table.slot[i] == s) {
				table.slot[i] = NULL;
				table.size--;
			}
		}
	}
	log_release(STEP_TABLE);
}

static char *buffer_get(void)
{
	char *b;

	if (injected_failure(STEP_BUFFER))
		return NULL;
	b = malloc(256);
	if (b)
		allocations_live++;
	return b;
}

static void buffer_put(char *b)
{
	allocations_live--;
	free(b);
	log_release(STEP_BUFFER);
}

/* The free classes: each tests for NULL, so a stolen variable is free. */
DEFINE_FREE(memory, struct server *, if (_T) memory_put(_T))
DEFINE_FREE(pipe, int *, if (_T) pipe_close(_T))
DEFINE_FREE(mutex, pthread_mutex_t *, if (_T) mutex_unmake(_T))
DEFINE_FREE(table, struct server *, if (_T) table_remove(_T))
DEFINE_FREE(buffer, char *, if (_T) buffer_put(_T))

/* ---- the init under test: no goto, no unwind labels --------------------- */

static struct server *server_new(void)
{
	struct server *s __free(memory) = memory_get();
	if (!s)
		return NULL;
	int *fds __free(pipe) = pipe_open(s);
	if (!fds)
		return NULL;
	pthread_mutex_t *lock __free(mutex) = mutex_make(s);
	if (!lock)
		return NULL;
	struct child *child __free(child_put) = child_new();
	if (!child)
		return NULL;
	struct server *entry __free(table) = table_add(s);
	if (!entry)
		return NULL;
	char *buffer __free(buffer) = buffer_get();
	if (!buffer)
		return NULL;

	/* Everything acquired: the server owns it from here. */
	s->child = no_free_ptr(child);
	s->buffer = no_free_ptr(buffer);
	retain_and_null_ptr(entry);    /* the table points at s until destroy */
	retain_and_null_ptr(lock);     /* lives inside s */
	retain_and_null_ptr(fds);
	return_ptr(s);
}

/* The teardown, in reverse order of server_new(). */
static void server_destroy(struct server *s)
{
	buffer_put(s->buffer);
	table_remove(s);
	child_put(s->child);
	mutex_unmake(&s->lock);
	pipe_close(s->fds);
	memory_put(s);
}

/* ---- counting what is held ---------------------------------------------- */

static int open_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

struct held {
	int fds, children, table, allocations;
};

static struct held held_now(void)
{
	struct held h = { open_fds(), (int)objlife_live_count(&child_ops), table_size(),
			  allocations_live };

	return h;
}

/* The log a failure at @step must leave: the steps before it, last first. */
static void expected_unwind(int step, char *buf, size_t size)
{
	int s;

	buf[0] = '\0';
	for (s = step - 1; s >= 1; s--) {
		size_t len = strlen(buf);

		snprintf(buf + len, size - len, "%s%s", len ? " " : "", step_name[s]);
	}
}

/* ---- tests -------------------------------------------------------------- */

static void test_failure_unwinds(gconstpointer data)
{
	int step = GPOINTER_TO_INT(data);
	struct held before = held_now(), after;
	char expected[128];

	release_log[0] = '\0';
	fail_at = step;
	steps_reached = 0;
	g_assert_null(server_new());
	fail_at = 0;

	g_assert_cmpint(steps_reached, ==, step);   /* nothing ran after the failure */
	expected_unwind(step, expected, sizeof(expected));
	g_assert_cmpstr(release_log, ==, expected);
	after = held_now();
	g_assert_cmpint(after.fds, ==, before.fds);
	g_assert_cmpint(after.children, ==, 0);
	g_assert_cmpint(after.table, ==, 0);
	g_assert_cmpint(after.allocations, ==, 0);
	g_assert_cmpint(before.children + before.table + before.allocations, ==, 0);
}

static void test_success_then_teardown(void)
{
	struct held before = held_now(), during, after;
	struct server *s;

	release_log[0] = '\0';
	steps_reached = 0;
	s = server_new();
	g_assert_nonnull(s);
	g_assert_cmpint(steps_reached, ==, N_STEPS);
	g_assert_cmpstr(release_log, ==, "");        /* no cleanup ran */

	during = held_now();
	g_assert_cmpint(during.fds, ==, before.fds + 2);
	g_assert_cmpint(during.children, ==, 1);
	g_assert_cmpint(during.table, ==, 1);
	g_assert_cmpint(during.allocations, ==, 2);
	g_assert_cmpuint(objlife_refcount(&s->child->ref), ==, 1);
	g_assert_cmpint(write(s->fds[1], "x", 1), ==, 1);  /* the pipe works */
	g_assert_cmpint(pthread_mutex_trylock(&s->lock), ==, 0);
	pthread_mutex_unlock(&s->lock);

	server_destroy(s);
	g_assert_cmpstr(release_log, ==, "buffer table child mutex pipe memory");
	after = held_now();
	g_assert_cmpint(after.fds, ==, before.fds);
	g_assert_cmpint(after.children + after.table + after.allocations, ==, 0);
}

int main(int argc, char **argv)
{
	int step;

	g_test_init(&argc, &argv, NULL);
	for (step = 1; step <= N_STEPS; step++) {
		char path[64];   /* GTest copies it */

		snprintf(path, sizeof(path), "/cleanup/init/six-resources/fail-at-%d-%s",
			 step, step_name[step]);
		g_test_add_data_func(path, GINT_TO_POINTER(step), test_failure_unwinds);
	}
	g_test_add_func("/cleanup/init/six-resources/success-then-teardown", test_success_then_teardown);
	return g_test_run();
}
