/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objlife_leak_check(): the objects alive now, one LEAK group per type.
 */
#include "objlife-private.h"

#include <stdio.h>

struct listing {
	FILE *out;
	size_t live;
};

static void list_type(const struct objlife_ops *ops, size_t live, void *data)
{
	struct listing *l = data;

	l->live += live;
	if (l->out)
		fprintf(l->out, "objlife: %s: %zu x %s (OBJLIFE_DEBUG=leaks adds counts and allocation sites)\n",
			ol_event_word(OBJLIFE_EVENT_LEAK), live, ops->name);
}

size_t objlife_leak_check(FILE *out)
{
	struct listing l = { out, 0 };

	ol_options();
	ol_livecount_foreach(list_type, &l);
	if (out)
		fflush(out);
	return l.live;
}
