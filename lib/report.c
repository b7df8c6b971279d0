/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reports: one stable line per event, delivered to the user's handler or
 * written by the default one. The library writes nothing anywhere else.
 *
 *   objlife: UNDERFLOW: type=session obj=0x55d0c0a8e2a0 count=0: put below zero
 *
 * Reports with stacks (LEAK, BAD_TRACKER) are several lines: the first in
 * that form, then indented frames. The handler gets them whole, as one
 * text, and the default handler writes them with one call.
 */
#include "objlife-private.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The handler, and the calls to it in flight. A call copies the handler
 * under handler_lock and runs it without the lock (the handler may call
 * back into the library), but first links a record of itself into
 * in_flight, stamped with the handler's generation; it unlinks it when the
 * handler returns. objlife_set_report_handler() installs the new handler
 * under a new generation, then waits on handler_done until no call to an
 * older one is left on another thread, so that its caller may free the old
 * data when it returns. Two exceptions keep that wait from deadlocking:
 * the calling thread's own calls (a handler that installs another one
 * waits for no call of its own thread), and, for a caller that is inside
 * a handler itself, calls whose thread is waiting here from inside a
 * handler too (two handlers that each install a handler must not wait for
 * each other). Calls to the default handler are not recorded: it has no
 * data to free.
 */
struct call {
	struct call *next;
	pthread_t thread;
	uint64_t gen;         /* the generation of the handler it calls */
	bool waiting;         /* its thread waits in objlife_set_report_handler() */
};

static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t handler_done = PTHREAD_COND_INITIALIZER;
static objlife_report_fn handler_fn;
static void *handler_data;
static uint64_t handler_gen;
static struct call *in_flight;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static void handler_lock_prepare(void)
{
	pthread_mutex_lock(&handler_lock);
}

static void handler_lock_parent(void)
{
	pthread_mutex_unlock(&handler_lock);
}

/* Only the forking thread lives on in the child: the calls of the others
 * will never end, and nobody waits on the condition any more. */
static void handler_lock_child(void)
{
	struct call **p = &in_flight;

	while (*p) {
		if (pthread_equal((*p)->thread, pthread_self()))
			p = &(*p)->next;
		else
			*p = (*p)->next;
	}
	pthread_cond_init(&handler_done, NULL);
	pthread_mutex_unlock(&handler_lock);
}

static void handler_init(void)
{
	ol_atfork(handler_lock_prepare, handler_lock_parent, handler_lock_child);
}

static void lock_handler(void)
{
	pthread_once(&handler_once, handler_init);
	pthread_mutex_lock(&handler_lock);
}

/* handler_lock held: marks the calling thread's calls as waiting, or no
 * longer waiting. Returns whether it has any. */
static bool mark_own_calls(bool waiting)
{
	struct call *c;
	bool any = false;

	for (c = in_flight; c; c = c->next)
		if (pthread_equal(c->thread, pthread_self())) {
			c->waiting = waiting;
			any = true;
		}
	return any;
}

/* handler_lock held: whether a call to a handler older than @gen runs on
 * another thread; for a caller @inside a handler, on another thread that
 * is not itself waiting in objlife_set_report_handler() from a handler.
 * (A caller outside any handler has no call that anyone waits for: it
 * cannot close a cycle, and waits for every older call.) */
static bool older_call_running(uint64_t gen, bool inside)
{
	struct call *c;

	for (c = in_flight; c; c = c->next)
		if (c->gen < gen && !(inside && c->waiting) &&
		    !pthread_equal(c->thread, pthread_self()))
			return true;
	return false;
}

static const char *const event_words[] = {
	[OBJLIFE_EVENT_GET_ON_ZERO] = "GET_ON_ZERO",
	[OBJLIFE_EVENT_OVERFLOW] = "OVERFLOW",
	[OBJLIFE_EVENT_UNDERFLOW] = "UNDERFLOW",
	[OBJLIFE_EVENT_INIT_LEAKED_REF] = "INIT_LEAKED_REF",
	[OBJLIFE_EVENT_BAD_OBJECT] = "BAD_OBJECT",
	[OBJLIFE_EVENT_LEAK] = "LEAK",
	[OBJLIFE_EVENT_BAD_TRACKER] = "BAD_TRACKER",
	[OBJLIFE_EVENT_NO_MEMORY] = "NO_MEMORY",
	[OBJLIFE_EVENT_DRAIN_WAIT] = "DRAIN_WAIT",
};

const char *ol_event_word(enum objlife_event event)
{
	if ((unsigned)event < sizeof(event_words) / sizeof(event_words[0]))
		return event_words[event];
	return "UNKNOWN";
}

void objlife_set_report_handler(objlife_report_fn fn, void *data)
{
	uint64_t gen;
	bool inside;

	ol_options();
	lock_handler();
	handler_fn = fn;
	handler_data = fn ? data : NULL;
	gen = ++handler_gen;
	/* Threads waiting here from a handler re-check: this one may be one
	 * they must no longer wait for. */
	inside = mark_own_calls(true);
	if (inside)
		pthread_cond_broadcast(&handler_done);
	while (older_call_running(gen, inside))
		pthread_cond_wait(&handler_done, &handler_lock);
	if (inside)
		mark_own_calls(false);
	pthread_mutex_unlock(&handler_lock);
}

static void default_handler(const char *text, bool may_abort)
{
	FILE *out = ol_report_stream();

	/* One call, so that concurrent reports do not interleave mid-line. */
	fprintf(out, "%s\n", text);
	fflush(out);
	if (may_abort && (ol_options() & OL_OPT_ABORT))
		abort();
}

static void deliver(enum objlife_event event, const struct objlife *obj, const char *text,
		    bool may_abort)
{
	struct call self, **p;
	objlife_report_fn fn;
	void *data;
	int saved = errno;

	/* Copy under the lock, call without it: the handler may call back
	 * into the library, or set another handler. */
	lock_handler();
	fn = handler_fn;
	data = handler_data;
	if (fn) {
		self.thread = pthread_self();
		self.gen = handler_gen;
		self.waiting = false;
		self.next = in_flight;
		in_flight = &self;
	}
	pthread_mutex_unlock(&handler_lock);
	if (!fn) {
		default_handler(text, may_abort);
		errno = saved;
		return;
	}
	fn(event, obj, text, data);
	lock_handler();
	for (p = &in_flight; *p != &self; p = &(*p)->next)
		;
	*p = self.next;
	pthread_cond_broadcast(&handler_done);
	pthread_mutex_unlock(&handler_lock);
	errno = saved;
}

void ol_report_text(enum objlife_event event, const struct objlife *obj, const char *text)
{
	deliver(event, obj, text, true);
}

void ol_report_part(enum objlife_event event, const struct objlife *obj, const char *text)
{
	deliver(event, obj, text, false);
}

void ol_report_abort_if_asked(void)
{
	bool custom;

	lock_handler();
	custom = handler_fn != NULL;
	pthread_mutex_unlock(&handler_lock);
	/* "abort" is the default handler's behaviour, as for single reports. */
	if (!custom && (ol_options() & OL_OPT_ABORT))
		abort();
}

static unsigned no_memory_seen;

void ol_report_no_memory(unsigned what, const struct objlife *obj, const char *text)
{
	char line[512];

	/* Once per kind: a process short of memory would otherwise report at
	 * every allocation, and allocate to do so. */
	if (ol_or32(&no_memory_seen, what, OL_RELAXED) & what)
		return;
	if (obj)
		snprintf(line, sizeof(line), OL_OBJECT_HEADER "%s",
			 OL_OBJECT_HEADER_ARGS(OBJLIFE_EVENT_NO_MEMORY, obj->_ops->name, obj,
					       objlife_refcount(obj)), text);
	else
		snprintf(line, sizeof(line), "objlife: %s: %s",
			 ol_event_word(OBJLIFE_EVENT_NO_MEMORY), text);
	ol_report_text(OBJLIFE_EVENT_NO_MEMORY, obj, line);
}

unsigned ol_report_no_memory_seen(void)
{
	return ol_load32(&no_memory_seen, OL_RELAXED);
}

/* ---- texts of several lines ---------------------------------------- */

void ol_text_init(struct ol_text *t)
{
	t->buf = t->small;
	t->len = 0;
	t->cap = sizeof(t->small);
	t->truncated = false;
	t->small[0] = '\0';
}

static bool text_grow(struct ol_text *t, size_t need)
{
	size_t cap = t->cap;
	char *buf;

	while (cap < need)
		cap *= 2;
	buf = ol_malloc(OL_MEM_REPORT, cap);
	if (!buf)
		return false;
	memcpy(buf, t->buf, t->len + 1);
	if (t->buf != t->small)
		ol_free(t->buf);
	t->buf = buf;
	t->cap = cap;
	return true;
}

void ol_text_add(struct ol_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->truncated)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= t->cap - t->len) {
		if (!text_grow(t, t->len + (size_t)n + 1)) {
			/* Keep what fits and say so: a report is never lost
			 * to a failed allocation. */
			static const char more[] = "\n    ...";

			t->truncated = true;
			if (t->len + sizeof(more) > t->cap)
				t->len = t->cap - sizeof(more);
			memcpy(t->buf + t->len, more, sizeof(more));
			t->len += sizeof(more) - 1;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
	}
	t->len += (size_t)n;
}

void ol_text_free(struct ol_text *t)
{
	if (t->buf != t->small)
		ol_free(t->buf);
	ol_text_init(t);
}

void ol_type_copy(char dst[OL_TYPE_KEPT], const char *name)
{
	size_t len = strlen(name);

	if (len < OL_TYPE_KEPT) {
		memcpy(dst, name, len + 1);
	} else {
		memcpy(dst, name, OL_TYPE_KEPT - 4);
		memcpy(dst + OL_TYPE_KEPT - 4, "...", 4);
	}
}

void ol_report_object(enum objlife_event event, const struct objlife *obj, uint32_t count,
		      const char *fmt, va_list ap)
{
	char text[512];
	int n;

	n = snprintf(text, sizeof(text), OL_OBJECT_HEADER,
		     OL_OBJECT_HEADER_ARGS(event, obj->_ops->name, obj, count));
	if (n > 0 && (size_t)n < sizeof(text))
		vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	ol_report_text(event, obj, text);
}
