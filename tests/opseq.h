/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An interpreter of operation sequences, run against the library and
 * against a reference model of the rules in objlife(7) at the same time, compared
 * after every step. tests/test-model.c feeds it seeded random sequences;
 * tests/fuzz/fuzz-ops.c feeds it libFuzzer's bytes.
 *
 * The model knows nothing of the implementation: per handle it keeps what
 * the rules say the count is, whether release ran, whether the memory went
 * back, and which reports are due. Objects live in an arena of the test's
 * own (through ops->alloc/free), so that misuse on a dead object touches
 * memory that stays valid and the library's answer can be observed rather
 * than crash the test.
 *
 * Uses only libc and the library: the fuzzer links no GLib.
 */
#ifndef OBJLIFE_OPSEQ_H
#define OBJLIFE_OPSEQ_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objlife.h"

#define OPSEQ_HANDLES 8
#define OPSEQ_BLOCK 64

enum opseq_op {
	OP_ALLOC,             /* arg: enum opseq_alloc */
	OP_GET,
	OP_PUT,
	OP_GET_UNLESS_ZERO,
	OP_PUT_MUTEX,
	OP_MAY_LEAK,
	OP_PRESET_NEAR_MAX,   /* test-only: count = MAX - 1, to reach overflow */
	OP_COUNT
};

enum opseq_alloc {
	ALLOC_OK,
	ALLOC_INIT_FAILS,         /* init returns -EIO */
	ALLOC_INIT_LEAKS_REF,     /* init takes a reference, then fails */
	ALLOC_INIT_PUTS_OWN,      /* init drops its own reference, succeeds */
	ALLOC_NO_MEMORY,          /* ops->alloc returns NULL */
	ALLOC_VARIANTS
};

enum opseq_state { H_EMPTY, H_LIVE, H_DEAD, H_SATURATED };

struct opseq_handle {
	enum opseq_state state;
	struct objlife *obj;
	uint32_t count;           /* model's count while H_LIVE */
	bool counted;             /* in the model's live count */
	bool freed;               /* the library gave the memory back */
	int releases, frees;      /* what the library did to this object */
};

struct opseq_block {
	struct objlife obj;
	struct opseq_handle *owner;   /* set by init, for release/free counting */
	unsigned char rest[OPSEQ_BLOCK - sizeof(struct objlife) - sizeof(void *)];
};

struct opseq {
	struct opseq_handle h[OPSEQ_HANDLES];
	struct opseq_block *arena;    /* never reused within a sequence */
	size_t arena_used, arena_size;
	size_t live_base;             /* live count before the sequence */
	size_t model_live;
	unsigned events;              /* reported by the library */
	enum objlife_event last_event;
	const struct objlife *last_event_obj;
	unsigned model_events;
	enum objlife_event model_last_event;
	const struct objlife *model_last_event_obj;
	pthread_mutex_t lock;
	struct opseq_handle *pending; /* the handle an alloc is filling */
	enum opseq_alloc variant;
	char error[512];
};

static struct opseq *opseq_current;

static void opseq_on_report(enum objlife_event event, const struct objlife *obj,
			    const char *message, void *data)
{
	struct opseq *s = data;

	(void)message;
	s->events++;
	s->last_event = event;
	s->last_event_obj = obj;
}

static void *opseq_alloc_mem(const struct objlife_ops *ops, size_t size, size_t align)
{
	struct opseq *s = opseq_current;

	(void)ops;
	if (s->variant == ALLOC_NO_MEMORY || size > OPSEQ_BLOCK || align > 16 ||
	    s->arena_used == s->arena_size)
		return NULL;
	return &s->arena[s->arena_used++];
}

static void opseq_free_mem(const struct objlife_ops *ops, void *mem, size_t size)
{
	struct opseq_block *b = mem;

	(void)ops; (void)size;
	/* An init that failed before setting owner: the pending handle. */
	if (b->owner)
		b->owner->frees++;
	else if (opseq_current->pending)
		opseq_current->pending->frees++;
}

static int opseq_init(struct objlife *obj, void *arg)
{
	struct opseq *s = arg;
	struct opseq_block *b = (struct opseq_block *)obj;

	switch (s->variant) {
	case ALLOC_INIT_FAILS:
		return -EIO;
	case ALLOC_INIT_LEAKS_REF:
		b->owner = s->pending;
		objlife_get(obj);
		return -EIO;
	case ALLOC_INIT_PUTS_OWN:
		b->owner = s->pending;
		objlife_put(obj);
		return 0;
	default:
		b->owner = s->pending;
		return 0;
	}
}

static void opseq_release(struct objlife *obj)
{
	struct opseq_block *b = (struct opseq_block *)obj;

	b->owner->releases++;
}

static const struct objlife_ops opseq_ops = {
	.name = "opseq",
	.init = opseq_init,
	.release = opseq_release,
	.alloc = opseq_alloc_mem,
	.free = opseq_free_mem,
};

static void opseq_begin(struct opseq *s, size_t max_allocs)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->arena_size = max_allocs;
	s->arena = calloc(max_allocs ? max_allocs : 1, sizeof(*s->arena));
	opseq_current = s;
	objlife_set_report_handler(opseq_on_report, s);
	s->live_base = objlife_live_count(&opseq_ops);
}

/* Ends a sequence: drops what is live, takes saturated objects out of the
 * counts, and checks the live count is back where it started. The arena
 * stays allocated (leaked objects may be pointed to) and is handed back. */
static struct opseq_block *opseq_end(struct opseq *s)
{
	int i;

	for (i = 0; i < OPSEQ_HANDLES; i++) {
		struct opseq_handle *h = &s->h[i];

		if (h->state == H_LIVE && h->count < 100) {
			while (h->count--)
				objlife_put(h->obj);
		} else if (h->state != H_EMPTY && !h->freed) {
			objlife_may_leak(h->obj);
		}
	}
	objlife_set_report_handler(NULL, NULL);
	pthread_mutex_destroy(&s->lock);
	opseq_current = NULL;
	return s->arena;
}

static const char *const opseq_op_names[OP_COUNT] = {
	"alloc", "get", "put", "get_unless_zero", "put_mutex", "may_leak", "preset_near_max",
};

static const char *const opseq_alloc_names[ALLOC_VARIANTS] = {
	"ok", "init-fails", "init-leaks-ref", "init-puts-own", "no-memory",
};

static void opseq_describe(unsigned op, unsigned handle, unsigned arg, char *buf, size_t len)
{
	op %= OP_COUNT;
	handle %= OPSEQ_HANDLES;
	if (op == OP_ALLOC)
		snprintf(buf, len, "%s(h%u, %s)", opseq_op_names[op], handle,
			 opseq_alloc_names[arg % ALLOC_VARIANTS]);
	else
		snprintf(buf, len, "%s(h%u)", opseq_op_names[op], handle);
}

__attribute__((format(printf, 2, 3)))
static bool opseq_fail(struct opseq *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return false;
}

/* The model's saturation: pin, and one report per object. */
static void model_saturate(struct opseq *s, struct opseq_handle *h, enum objlife_event event)
{
	if (h->state != H_SATURATED) {
		s->model_events++;
		s->model_last_event = event;
		s->model_last_event_obj = h->obj;
	}
	h->state = H_SATURATED;
}

static void model_last_put(struct opseq *s, struct opseq_handle *h)
{
	h->state = H_DEAD;
	h->count = 0;
	h->freed = true;
	if (h->counted)
		s->model_live--;
	h->counted = false;
}

static bool opseq_alloc_op(struct opseq *s, struct opseq_handle *h, enum opseq_alloc variant)
{
	struct objlife *obj;
	int err;

	if (h->state != H_EMPTY && !h->freed) {
		/* The handle's object is forgotten, not freed: take it out of
		 * the counts, as a long-lived object would be. */
		objlife_may_leak(h->obj);
		if (h->counted)
			s->model_live--;
	}
	memset(h, 0, sizeof(*h));
	s->variant = variant;
	s->pending = h;
	errno = 0;
	obj = objlife_alloc_size(&opseq_ops, sizeof(struct opseq_block), 8, s);
	err = errno;
	s->pending = NULL;

	switch (variant) {
	case ALLOC_OK:
		if (!obj)
			return opseq_fail(s, "alloc failed: errno %d", err);
		h->state = H_LIVE;
		h->count = 1;
		h->counted = true;
		s->model_live++;
		break;
	case ALLOC_INIT_FAILS:
		if (obj || err != EIO)
			return opseq_fail(s, "failing init: got %p, errno %d", (void *)obj, err);
		if (h->frees != 1)
			return opseq_fail(s, "failing init: memory freed %d times", h->frees);
		break;
	case ALLOC_NO_MEMORY:
		if (obj || err != ENOMEM)
			return opseq_fail(s, "no memory: got %p, errno %d", (void *)obj, err);
		break;
	case ALLOC_INIT_LEAKS_REF:
		if (obj || err != EIO)
			return opseq_fail(s, "init leaking a ref: got %p, errno %d", (void *)obj, err);
		/* Leaked on purpose: someone holds the reference init took.
		 * Never handed out, so never live: reported, not counted. */
		h->obj = &s->arena[s->arena_used - 1].obj;
		model_saturate(s, h, OBJLIFE_EVENT_INIT_LEAKED_REF);
		break;
	case ALLOC_INIT_PUTS_OWN:
		if (!obj)
			return opseq_fail(s, "init putting its own ref: alloc failed, errno %d", err);
		h->obj = obj;
		h->counted = true;
		s->model_live++;
		model_saturate(s, h, OBJLIFE_EVENT_UNDERFLOW);
		break;
	default:
		break;
	}
	if (obj)
		h->obj = obj;
	return true;
}

/* One step. Returns false with s->error set when the library and the
 * model disagree. */
static bool opseq_step(struct opseq *s, unsigned op, unsigned handle, unsigned arg)
{
	struct opseq_handle *h = &s->h[handle % OPSEQ_HANDLES];
	struct objlife *obj = h->state == H_EMPTY ? NULL : h->obj;
	int releases = h->releases, frees = h->frees;
	bool ret, want;

	switch (op % OP_COUNT) {
	case OP_ALLOC:
		if (!opseq_alloc_op(s, h, (enum opseq_alloc)(arg % ALLOC_VARIANTS)))
			return false;
		releases = h->releases;
		frees = h->frees;
		break;
	case OP_GET:
		if (objlife_get(obj) != obj)
			return opseq_fail(s, "get did not return its argument");
		if (h->state == H_LIVE && h->count == OBJLIFE_REFCOUNT_MAX)
			model_saturate(s, h, OBJLIFE_EVENT_OVERFLOW);
		else if (h->state == H_LIVE)
			h->count++;
		else if (h->state == H_DEAD)
			model_saturate(s, h, OBJLIFE_EVENT_GET_ON_ZERO);
		break;
	case OP_PUT:
		objlife_put(obj);
		if (h->state == H_LIVE && h->count == 1) {
			model_last_put(s, h);
			releases++;
			frees++;
		} else if (h->state == H_LIVE) {
			h->count--;
		} else if (h->state == H_DEAD) {
			model_saturate(s, h, OBJLIFE_EVENT_UNDERFLOW);
		}
		break;
	case OP_GET_UNLESS_ZERO:
		ret = objlife_get_unless_zero(obj);
		want = h->state == H_LIVE || h->state == H_SATURATED;
		if (ret != want)
			return opseq_fail(s, "get_unless_zero returned %d, model %d", ret, want);
		if (h->state == H_LIVE && h->count == OBJLIFE_REFCOUNT_MAX)
			model_saturate(s, h, OBJLIFE_EVENT_OVERFLOW);
		else if (h->state == H_LIVE)
			h->count++;
		break;
	case OP_PUT_MUTEX:
		ret = objlife_put_mutex(obj, &s->lock);
		want = h->state == H_LIVE && h->count == 1;
		if (ret != want)
			return opseq_fail(s, "put_mutex returned %d, model %d", ret, want);
		if (pthread_mutex_trylock(&s->lock) != 0)
			return opseq_fail(s, "put_mutex left the lock held");
		pthread_mutex_unlock(&s->lock);
		if (want) {
			model_last_put(s, h);
			releases++;
			frees++;
		} else if (h->state == H_LIVE) {
			h->count--;
		} else if (h->state == H_DEAD) {
			model_saturate(s, h, OBJLIFE_EVENT_UNDERFLOW);
		}
		break;
	case OP_MAY_LEAK:
		/* Only on memory that is the object's: on a dead one it would be
		 * a use after free the library cannot see without poison. */
		if (h->state != H_EMPTY && !h->freed) {
			objlife_may_leak(obj);
			if (h->counted)
				s->model_live--;
			h->counted = false;
		}
		break;
	case OP_PRESET_NEAR_MAX:
		if (h->state == H_LIVE) {
			__atomic_store_n(&h->obj->_count, OBJLIFE_REFCOUNT_MAX - 1, __ATOMIC_RELAXED);
			h->count = OBJLIFE_REFCOUNT_MAX - 1;
		}
		break;
	}

	/* Compare everything observable. */
	if (h->releases != releases)
		return opseq_fail(s, "release ran %d times, model %d", h->releases, releases);
	if (h->releases > 1)
		return opseq_fail(s, "release ran twice");
	if (h->frees != frees)
		return opseq_fail(s, "memory freed %d times, model %d", h->frees, frees);
	if (s->events != s->model_events)
		return opseq_fail(s, "%u reports, model %u", s->events, s->model_events);
	if (s->events && (s->last_event != s->model_last_event ||
			  s->last_event_obj != s->model_last_event_obj))
		return opseq_fail(s, "last report was event %d on %p, model event %d on %p",
				  (int)s->last_event, (const void *)s->last_event_obj,
				  (int)s->model_last_event, (const void *)s->model_last_event_obj);
	if (h->state != H_EMPTY && h->obj) {
		uint32_t count = objlife_refcount(h->obj);
		uint32_t model = h->state == H_LIVE ? h->count :
				 h->state == H_DEAD ? 0 : OBJLIFE_REFCOUNT_SATURATED;

		if (count != model)
			return opseq_fail(s, "count %#x, model %#x", count, model);
	}
	if (objlife_live_count(&opseq_ops) != s->live_base + s->model_live)
		return opseq_fail(s, "live count %zu, model %zu", objlife_live_count(&opseq_ops),
				  s->live_base + s->model_live);
	return true;
}

#endif /* OBJLIFE_OPSEQ_H */
