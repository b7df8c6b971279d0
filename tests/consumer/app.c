/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The consumer that the CMake and Meson projects of this directory build
 * against the installed libobjlife: the core API, <objlife/cleanup.h> and
 * the library's own thread dependency. CONSUMER names the build system. */
#define _POSIX_C_SOURCE 200809L     /* strdup() under -std=c11 */
#include <errno.h>
#include <objlife.h>
#include <objlife/cleanup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CONSUMER
# define CONSUMER "consumer"
#endif

struct job {
	struct objlife ref;
	char *name;
};

static int job_init(struct objlife *obj, void *arg)
{
	struct job *j = (struct job *)obj;
	char *name objlife_auto(free) = strdup(arg);

	if (!name)
		return -ENOMEM;
	j->name = objlife_steal(name);
	return 0;
}

static void job_release(struct objlife *obj)
{
	free(((struct job *)obj)->name);
}

static const struct objlife_ops job_ops = {
	.name = "job", .init = job_init, .release = job_release,
};

OBJLIFE_DEFINE_REF_FUNCS(job, struct job, ref);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
	int ok = 0;

	{
		struct job *j objlife_auto(job_put) =
			objlife_alloc(struct job, ref, &job_ops, (void *)"build");

		objlife_scoped_guard(mutex, &lock)
			ok = j && strcmp(j->name, "build") == 0 && objlife_refcount(&j->ref) == 1;
	}
	if (!ok || objlife_live_count(&job_ops) != 0 || objlife_leak_check(NULL) != 0)
		return 1;
	printf("%s: ok\n", CONSUMER);
	return 0;
}
