/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reports: one stable line per event, delivered to the user's handler or
 * written by the default one. The library writes nothing anywhere else.
 *
 *   objlife: UNDERFLOW: type=session obj=0x55d0c0a8e2a0 count=0: put below zero
 */
#include "objlife-private.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

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

static void default_handler(const char *text)
{
	FILE *out = ol_report_stream();

	/* One call, so that concurrent reports do not interleave mid-line. */
	fprintf(out, "%s\n", text);
	fflush(out);
	if (ol_options() & OL_OPT_ABORT)
		abort();
}

void ol_report_text(enum objlife_event event, const struct objlife *obj, const char *text)
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
		default_handler(text);
	errno = saved;
}

void ol_report_object(enum objlife_event event, const struct objlife *obj, uint32_t count,
		      const char *fmt, va_list ap)
{
	char text[512];
	int n;

	n = snprintf(text, sizeof(text), "objlife: %s: type=%s obj=%p count=%u: ",
		     ol_event_word(event), obj->_ops->name, (const void *)obj, (unsigned)count);
	if (n > 0 && (size_t)n < sizeof(text))
		vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	ol_report_text(event, obj, text);
}
