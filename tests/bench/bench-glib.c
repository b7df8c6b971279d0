/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GLib's two answers: GRcBox (g_atomic_rc_box_*, a reference-counted
 * block whose header sits in front of the user's data) and GObject, with
 * the smallest type that can be defined.
 */
#include "config.h"

#include <glib-object.h>
#include <stdlib.h>

#include "bench.h"

/* ------------------------------------------------------------------ */
/* GRcBox                                                             */
/* ------------------------------------------------------------------ */

static void *rcbox_pair_setup(size_t size)
{
	(void)size;
	return g_atomic_rc_box_alloc0(BENCH_SMALL);
}

static BENCH_NOINLINE void rcbox_pair_run(void *state, uint64_t n)
{
	void *box = state;

	while (n--) {
		bench_hide(box);
		g_atomic_rc_box_acquire(box);
		g_atomic_rc_box_release(box);
	}
}

static void rcbox_pair_teardown(void *state)
{
	g_atomic_rc_box_release(state);
}

const struct bench_impl bench_grcbox_refpair = {
	rcbox_pair_setup, rcbox_pair_run, rcbox_pair_teardown,
};

static void *size_setup(size_t size)
{
	size_t *s = malloc(sizeof(*s));

	if (s)
		*s = size;
	return s;
}

static BENCH_NOINLINE void rcbox_lifecycle_run(void *state, uint64_t n)
{
	size_t size = *(size_t *)state;

	while (n--) {
		int *p = g_atomic_rc_box_alloc0(size);

		p[1] = 1;
		bench_escape(p);
		g_atomic_rc_box_release(p);
	}
}

const struct bench_impl bench_grcbox_lifecycle = { size_setup, rcbox_lifecycle_run, free };

/* ------------------------------------------------------------------ */
/* GObject: a final type with no properties, signals or private data,  */
/* whose instance (GObject's 24-byte header included) is 64 or 1024    */
/* bytes, like the other candidates' objects.                          */
/* ------------------------------------------------------------------ */

#define BENCH_TYPE_OBJ_SMALL bench_obj_small_get_type()
G_DECLARE_FINAL_TYPE(BenchObjSmall, bench_obj_small, BENCH, OBJ_SMALL, GObject)
struct _BenchObjSmall {
	GObject parent;
	int field;
	char pad[BENCH_SMALL - sizeof(GObject) - sizeof(int)];
};
G_DEFINE_TYPE(BenchObjSmall, bench_obj_small, G_TYPE_OBJECT)
static void bench_obj_small_class_init(BenchObjSmallClass *klass) { (void)klass; }
static void bench_obj_small_init(BenchObjSmall *self) { self->field = 1; }

#define BENCH_TYPE_OBJ_LARGE bench_obj_large_get_type()
G_DECLARE_FINAL_TYPE(BenchObjLarge, bench_obj_large, BENCH, OBJ_LARGE, GObject)
struct _BenchObjLarge {
	GObject parent;
	int field;
	char pad[BENCH_LARGE - sizeof(GObject) - sizeof(int)];
};
G_DEFINE_TYPE(BenchObjLarge, bench_obj_large, G_TYPE_OBJECT)
static void bench_obj_large_class_init(BenchObjLargeClass *klass) { (void)klass; }
static void bench_obj_large_init(BenchObjLarge *self) { self->field = 1; }

G_STATIC_ASSERT(sizeof(BenchObjSmall) == BENCH_SMALL);
G_STATIC_ASSERT(sizeof(BenchObjLarge) == BENCH_LARGE);

static void *gobject_pair_setup(size_t size)
{
	(void)size;
	return g_object_new(BENCH_TYPE_OBJ_SMALL, NULL);
}

static BENCH_NOINLINE void gobject_pair_run(void *state, uint64_t n)
{
	GObject *obj = state;

	while (n--) {
		bench_hide(obj);
		g_object_ref(obj);
		g_object_unref(obj);
	}
}

static void gobject_pair_teardown(void *state)
{
	g_object_unref(state);
}

const struct bench_impl bench_gobject_refpair = {
	gobject_pair_setup, gobject_pair_run, gobject_pair_teardown,
};

/* The state is the GType to instantiate. */
static void *gobject_lifecycle_setup(size_t size)
{
	GType *type = malloc(sizeof(*type));

	if (type)
		*type = size == BENCH_SMALL ? BENCH_TYPE_OBJ_SMALL : BENCH_TYPE_OBJ_LARGE;
	return type;
}

static BENCH_NOINLINE void gobject_lifecycle_run(void *state, uint64_t n)
{
	GType type = *(GType *)state;

	while (n--) {
		GObject *obj = g_object_new(type, NULL);

		bench_escape(obj);
		g_object_unref(obj);
	}
}

const struct bench_impl bench_gobject_lifecycle = {
	gobject_lifecycle_setup, gobject_lifecycle_run, free,
};
