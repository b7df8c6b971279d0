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

static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;
static objlife_report_fn handler_fn;
static void *handler_data;

static const char *const event_words[] = {
	[OBJLIFE_EVENT_GET_ON_ZERO] = "GET_ON_ZERO",
	[OBJLIFE_EVENT_OVERFLOW] = "OVERFLOW",
	[OBJLIFE_EVENT_UNDERFLOW] = "UNDERFLOW",
	[OBJLIFE_EVENT_INIT_LEAKED_REF] = "INIT_LEAKED_REF",
	[OBJLIFE_EVENT_BAD_OBJECT] = "BAD_OBJECT",
	[OBJLIFE_EVENT_LEAK] = "LEAK",
	[OBJLIFE_EVENT_BAD_TRACKER] = "BAD_TRACKER",
	[OBJLIFE_EVENT_NO_MEMORY] = "NO_MEMORY",
};

const char *ol_event_word(enum objlife_event event)
{
	if ((unsigned)event < sizeof(event_words) / sizeof(event_words[0]))
		return event_words[event];
	return "UNKNOWN";
}

void objlife_set_report_handler(objlife_report_fn fn, void *data)
{
	ol_options();
	pthread_mutex_lock(&handler_lock);
	handler_fn = fn;
	handler_data = fn ? data : NULL;
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
	objlife_report_fn fn;
	void *data;
	int saved = errno;

	/* Copy under the lock, call without it: the handler may call back
	 * into the library, or set another handler. */
	pthread_mutex_lock(&handler_lock);
	fn = handler_fn;
	data = handler_data;
	pthread_mutex_unlock(&handler_lock);
	if (fn)
		fn(event, obj, text, data);
	else
		default_handler(text, may_abort);
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

	pthread_mutex_lock(&handler_lock);
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
