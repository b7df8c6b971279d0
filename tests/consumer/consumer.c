/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Built by make installcheck with nothing but `pkg-config --cflags --libs
 * objlife`: proves the installed header, library and .pc work together. */
#include <errno.h>
#include <objlife.h>
#include <stdio.h>

struct thing {
	struct objlife ref;
	int value;
};

static int released;

static int thing_init(struct objlife *obj, void *arg)
{
	((struct thing *)obj)->value = *(int *)arg;
	return 0;
}

static void thing_release(struct objlife *obj)
{
	(void)obj;
	released++;
}

static const struct objlife_ops thing_ops = {
	.name = "thing", .init = thing_init, .release = thing_release,
};

OBJLIFE_DEFINE_REF_FUNCS(thing, struct thing, ref);

int main(void)
{
	int value = 42;
	struct thing *t = objlife_alloc(struct thing, ref, &thing_ops, &value);

	if (!t || t->value != 42 || objlife_refcount(&t->ref) != 1)
		return 1;
	thing_get(t);
	thing_put(t);
	thing_put(t);
	if (released != 1 || objlife_live_count(&thing_ops) != 0)
		return 1;
	errno = 0;
	if (objlife_alloc_size(NULL, 64, 8, NULL) || errno != EINVAL)
		return 1;
	puts("consumer-c: ok");
	return 0;
}
