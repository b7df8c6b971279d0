/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program that leaks nothing and uses the library as programs do, for
 * tests/exit-clean.sh to run under valgrind: objects of many types, with
 * and without ops->cache and ops->alloc, made and freed on several
 * threads (joined) and on the main thread, an atexit handler registered
 * before the first object and an ELF destructor of the program, both of
 * which make and free objects while the process exits. Built three
 * times: OBJLIFE_CLEAN_DEBUG is the OBJLIFE_DEBUG it runs with.
 *
 * In make check it asserts what it can see itself (every object gone,
 * nothing reported); make check-valgrind runs it under memcheck with
 * every leak kind an error, which fails it if the library keeps one
 * block at exit.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objlife.h"

#define TYPES 24
#define THREADS 4
#define ROUNDS 50

struct thing {
	struct objlife ref;
	unsigned char payload[40];
};

static void *own_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	void *p;

	(void)ops;
	if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size))
		return NULL;
	return memset(p, 0, size);
}

static void own_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	(void)size;
	free(mem);
}

/* Every third type has a cache, every fourth its own allocator. */
static struct objlife_ops types[TYPES];
static char names[TYPES][16];

static void types_init(void)
{
	unsigned i;

	for (i = 0; i < TYPES; i++) {
		snprintf(names[i], sizeof(names[i]), "type%u", i);
		types[i].name = names[i];
		types[i].cache = i % 3 == 0 ? 8 : 0;
		if (i % 4 == 0) {
			types[i].alloc = own_alloc;
			types[i].free = own_free;
		}
	}
}

/* Makes objects of every type, holds a few at once (so that magazines
 * fill), tracks a reference to each, and frees them all. */
static void churn(unsigned first)
{
	struct thing *held[4];
	unsigned r, i, k;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < TYPES; i++) {
			const struct objlife_ops *ops = &types[(first + i) % TYPES];

			for (k = 0; k < 4; k++) {
				struct objlife_tracker *tr;

				held[k] = objlife_alloc(struct thing, ref, ops, NULL);
				if (!held[k])
					abort();
				objlife_get_tracked(&held[k]->ref, &tr);
				objlife_put_tracked(&held[k]->ref, &tr);
			}
			for (k = 0; k < 4; k++)
				objlife_put(&held[k]->ref);
		}
	}
}

static void *worker(void *arg)
{
	churn((unsigned)(uintptr_t)arg);
	return NULL;
}

/* Registered before the first object: runs after the library's own
 * atexit handler (the cache's). */
static void early_atexit(void)
{
	churn(1);
}

/* The program's destructor: after every atexit handler and C++ static
 * destructor, before the library's last one. */
__attribute__((destructor)) static void late_destructor(void)
{
	struct thing *t = objlife_alloc(struct thing, ref, &types[0], NULL);

	if (!t)
		abort();
	objlife_put(&t->ref);
}

int main(void)
{
	pthread_t th[THREADS];
	unsigned i;

	/* Before the library's first use, which reads it. */
	setenv("OBJLIFE_DEBUG", OBJLIFE_CLEAN_DEBUG, 1);
	unsetenv("OBJLIFE_DEBUG_FILE");
	types_init();
	atexit(early_atexit);
	churn(0);
	for (i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i) != 0)
			abort();
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	churn(2);
	printf("1..1\n%s 1 - OBJLIFE_DEBUG=%s: every object gone before exit\n",
	       objlife_live_count(NULL) == 0 ? "ok" : "not ok", OBJLIFE_CLEAN_DEBUG);
	fflush(stdout);
	return 0;
}
