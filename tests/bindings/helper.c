/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small C library the Python tests load with ctypes: it makes objects of
 * a type defined in C (for Ref.adopt and Ref.retain), counts their init and
 * release calls, holds references on the C side, and drops references from
 * C, also from a thread Python never saw (where a release written in
 * Python must still run, once).
 */
#include <objlife.h>

#include <pthread.h>
#include <stdint.h>

struct helper_obj {
	struct objlife ref;
	int32_t value;
};

static int inits, releases;   /* the tests call in from one thread */

static int helper_init(struct objlife *obj, void *arg)
{
	(void)arg;
	((struct helper_obj *)obj)->value = 42;
	inits++;
	return 0;
}

static void helper_release(struct objlife *obj)
{
	(void)obj;
	releases++;
}

static const struct objlife_ops helper_ops = {
	.name = "c-helper",
	.init = helper_init,
	.release = helper_release,
};

int helper_inits(void);
int helper_releases(void);
void *helper_new(void);
int32_t helper_value(void *obj);
void helper_get(void *obj);
void helper_put(void *obj);
size_t helper_live_count(void);
int helper_put_in_thread(void *obj);

int helper_inits(void)
{
	return inits;
}

int helper_releases(void)
{
	return releases;
}

/* A new object with one reference, which the caller owns. */
void *helper_new(void)
{
	return objlife_alloc(struct helper_obj, ref, &helper_ops, NULL);
}

int32_t helper_value(void *obj)
{
	return ((struct helper_obj *)obj)->value;
}

/* References taken and dropped by C, on objects of any type. */
void helper_get(void *obj)
{
	objlife_get(obj);
}

void helper_put(void *obj)
{
	objlife_put(obj);
}

size_t helper_live_count(void)
{
	return objlife_live_count(&helper_ops);
}

static void *put_thread(void *obj)
{
	objlife_put(obj);
	return NULL;
}

/* Drops the caller's reference on a new thread and waits for it: 0, or
 * the error pthread_create returned (then the reference is still held). */
int helper_put_in_thread(void *obj)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, put_thread, obj);

	if (err)
		return err;
	return pthread_join(t, NULL);
}
