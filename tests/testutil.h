/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the GTest programs: a report handler that records
 * events, a test type that counts its init and release calls, and the one
 * test-only way to preset a count (writing the private field, which only a
 * test may do).
 */
#ifndef OBJLIFE_TESTUTIL_H
#define OBJLIFE_TESTUTIL_H

#include <errno.h>
#include <fnmatch.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objlife.h"

/* GLib is used for GTest only: no other GLib API in the tests. */
#define TU_UNUSED __attribute__((unused))

/* ---- recorded reports ---------------------------------------------- */

#define TU_MAX_EVENTS 64

/* Each report whole: a leak or tracker report with its stacks is longer
 * than a line. */
struct tu_events {
	pthread_mutex_t lock;
	unsigned n;                          /* how many were reported, also past the array */
	enum objlife_event event[TU_MAX_EVENTS];
	const struct objlife *obj[TU_MAX_EVENTS];
	char *message[TU_MAX_EVENTS];        /* malloc()ed copies, freed by tu_events_start() */
};

static TU_UNUSED struct tu_events tu_events = { PTHREAD_MUTEX_INITIALIZER, 0, { 0 }, { 0 }, { 0 } };

static TU_UNUSED void tu_record(enum objlife_event event, const struct objlife *obj, const char *message,
		      void *data)
{
	struct tu_events *ev = data;

	pthread_mutex_lock(&ev->lock);
	if (ev->n < TU_MAX_EVENTS) {
		ev->event[ev->n] = event;
		ev->obj[ev->n] = obj;
		free(ev->message[ev->n]);
		ev->message[ev->n] = strdup(message);
		g_assert_nonnull(ev->message[ev->n]);
	}
	ev->n++;
	pthread_mutex_unlock(&ev->lock);
}

/* Records every report from now on, forgetting earlier ones. */
static TU_UNUSED void tu_events_start(void)
{
	unsigned i;

	pthread_mutex_lock(&tu_events.lock);
	for (i = 0; i < TU_MAX_EVENTS; i++) {
		free(tu_events.message[i]);
		tu_events.message[i] = NULL;
	}
	tu_events.n = 0;
	pthread_mutex_unlock(&tu_events.lock);
	objlife_set_report_handler(tu_record, &tu_events);
}

static TU_UNUSED unsigned tu_events_count(void)
{
	unsigned n;

	pthread_mutex_lock(&tu_events.lock);
	n = tu_events.n;
	pthread_mutex_unlock(&tu_events.lock);
	return n;
}

/* How many of the recorded events are @event (among the first
 * TU_MAX_EVENTS). */
static TU_UNUSED unsigned tu_events_count_of(enum objlife_event event)
{
	unsigned i, n = 0;

	pthread_mutex_lock(&tu_events.lock);
	for (i = 0; i < tu_events.n && i < TU_MAX_EVENTS; i++)
		n += tu_events.event[i] == event;
	pthread_mutex_unlock(&tu_events.lock);
	return n;
}

/* Asserts exactly one event was reported since tu_events_start(), of the
 * given kind and for the given object, and returns its text. */
#define tu_assert_one_event(ev, o) do { \
		g_assert_cmpuint(tu_events_count(), ==, 1); \
		g_assert_cmpint(tu_events.event[0], ==, (ev)); \
		g_assert_true(tu_events.obj[0] == (o)); \
	} while (0)

/* ---- report text ---------------------------------------------------- */

/* GLib is for GTest only here: plain C for strings. */
static TU_UNUSED bool tu_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* How often @needle occurs in @hay. */
static TU_UNUSED unsigned tu_count(const char *hay, const char *needle)
{
	unsigned n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static TU_UNUSED void tu_assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		g_error("missing \"%s\" in:\n%s", needle, hay);
}

/* Asserts that @text matches the fnmatch() @pattern; on failure the log
 * shows both. */
static TU_UNUSED void tu_assert_matches(const char *text, const char *pattern)
{
	if (fnmatch(pattern, text, 0) != 0) {
		g_test_message("\"%s\" does not match \"%s\"", text, pattern);
		g_assert_cmpstr(text, ==, pattern);
	}
}

/* Asserts that @hay contains @first, then (after it) @second. */
static TU_UNUSED void tu_assert_in_order(const char *hay, const char *first, const char *second)
{
	const char *a = strstr(hay, first);

	if (!a)
		g_error("missing \"%s\" in:\n%s", first, hay);
	if (!strstr(a + strlen(first), second))
		g_error("missing \"%s\" after \"%s\" in:\n%s", second, first, hay);
}

/* What objlife_leak_check() writes, as a string to free(); @live gets
 * what it returns. */
static TU_UNUSED char *tu_leak_check_text(size_t *live)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	g_assert_nonnull(out);
	*live = objlife_leak_check(out);
	fclose(out);
	return text;
}

/* Runs the calling test's g_test_subprocess() branch with
 * OBJLIFE_DEBUG=@debug, or unset for NULL (the library reads it once per
 * process), and asserts that the child passed and wrote nothing to stderr. */
static TU_UNUSED void tu_trap_with_debug(const char *debug)
{
	if (debug)
		setenv("OBJLIFE_DEBUG", debug, 1);
	else
		unsetenv("OBJLIFE_DEBUG");
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG");
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("");
}

/* ---- a counting test type ------------------------------------------ */

struct tu_counts {
	int inits, releases, allocs, frees;
};

struct tu_obj {
	struct objlife ref;
	struct tu_counts *counts;   /* set by init from its arg */
	int init_result;            /* what init returns */
	unsigned char payload[40];
};

static TU_UNUSED int tu_init(struct objlife *obj, void *arg)
{
	struct tu_obj *o = (struct tu_obj *)obj;
	struct tu_counts *c = arg;

	if (c)
		c->inits++;
	o->counts = c;
	return 0;
}

static TU_UNUSED void tu_release(struct objlife *obj)
{
	struct tu_obj *o = (struct tu_obj *)obj;

	if (o->counts)
		o->counts->releases++;
}

static TU_UNUSED const struct objlife_ops tu_ops = {
	.name = "tu_obj",
	.init = tu_init,
	.release = tu_release,
};

OBJLIFE_DEFINE_REF_FUNCS(tu, struct tu_obj, ref);

static TU_UNUSED struct tu_obj *tu_new(struct tu_counts *counts)
{
	struct tu_obj *o = objlife_alloc(struct tu_obj, ref, &tu_ops, counts);

	g_assert_nonnull(o);
	return o;
}

/* ---- memory for a type's own ops->alloc ------------------------------ */

/* Zeroed memory of @size bytes aligned to @align, as ops->alloc must give
 * it (posix_memalign wants at least a pointer's alignment); free() frees
 * it. NULL when there is none. */
static TU_UNUSED void *tu_zalloc(size_t size, size_t align)
{
	void *p;

	if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size))
		return NULL;
	return memset(p, 0, size);
}

/* ---- static memory for objects leaked on purpose -------------------- */

/* A saturated object is never freed. Tests that make one on purpose take
 * its memory from here (as the type's ops->alloc/free), so that a leak
 * checker sees no heap leak, and a dead object's memory stays valid for
 * the test to look at. tu_blocks_reset() starts over. */
#define TU_BLOCKS 16
static TU_UNUSED unsigned char tu_blocks[TU_BLOCKS][64] __attribute__((aligned(64)));
static TU_UNUSED unsigned tu_next_block;
static TU_UNUSED int tu_block_frees;

static TU_UNUSED void *tu_block_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops;
	g_assert_cmpuint(size, <=, sizeof(tu_blocks[0]));
	g_assert_cmpuint(align, <=, 64);
	g_assert_cmpuint(tu_next_block, <, TU_BLOCKS);
	return memset(tu_blocks[tu_next_block++], 0, sizeof(tu_blocks[0]));
}

static TU_UNUSED void tu_block_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops; (void)mem; (void)size;
	tu_block_frees++;
}

static TU_UNUSED void tu_blocks_reset(void)
{
	tu_next_block = 0;
	tu_block_frees = 0;
}

/* ---- test-only access to the private count ------------------------- */

static TU_UNUSED void tu_preset_count(struct objlife *obj, uint32_t count)
{
	g_assert_nonnull(obj);
	if (obj)   /* tells the compiler too */
		__atomic_store_n(&obj->_count, count, __ATOMIC_RELAXED);
}

#endif /* OBJLIFE_TESTUTIL_H */
