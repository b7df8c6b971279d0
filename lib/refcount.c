/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reference count: get, put, get_unless_zero, put_mutex, and the
 * saturation rules of the kernel's refcount_t.
 *
 * The count lives in struct objlife::_count. Values 1..OBJLIFE_REFCOUNT_MAX
 * are live; 0 is dead (release ran or is running); anything with the top
 * bit set is saturated. A misuse pins the count at
 * OBJLIFE_REFCOUNT_SATURATED (0xc0000000), which is as far from 0 as from
 * the top bit, so that racing increments and decrements after the pin
 * cannot bring it back to 0 or to a live value before the next operation
 * re-pins it: a saturated object is never released or freed. It leaks,
 * which is the price of never touching freed memory twice.
 *
 * The consumer's inline fast path in objlife.h does the same arithmetic
 * and calls the objlife__*_slow functions here for every case that is not
 * a plain increment or decrement.
 *
 * With OBJLIFE_DEBUG=poison a freed object waiting in poison.c's quarantine
 * has a count with the top bit set too, so it reaches the slow paths here
 * with no cost to the fast path; OL_POISONED tells it from a saturated
 * one, and poison.c reports the access instead.
 */
#include "objlife-private.h"
#include "core.h"
#include "diag/diag.h"

#include <pthread.h>
#include <stdio.h>

static bool is_saturated(uint32_t count)
{
	return count > OBJLIFE_REFCOUNT_MAX;
}

void ol_pin_and_report(struct objlife *obj, uint32_t pin, enum objlife_event event, uint32_t seen,
		       const char *fmt, ...)
{
	uint32_t flags;
	va_list ap;

	ol_store32(&obj->_count, pin, OL_RELAXED);
	/* fetch_or makes exactly one caller the reporter, whatever the race. */
	flags = ol_or32(&obj->_info, OL_REPORTED, OL_RELAXED);
	if (flags & OL_REPORTED)
		return;
	va_start(ap, fmt);
	ol_report_object(event, obj, seen, fmt, ap);
	va_end(ap);
}

__attribute__((cold, noinline)) void ol_report_never_set_up(const struct objlife *obj,
							    const char *what)
{
	char text[256];

	snprintf(text, sizeof(text),
		 OL_OBJECT_HEADER "%s on a header that was never set up (zeroed memory, or a "
		 "struct objlife that neither objlife_alloc() nor OBJLIFE_STATIC_INIT made); "
		 "nothing changed",
		 OL_OBJECT_HEADER_ARGS(OBJLIFE_EVENT_BAD_OBJECT, "(none)", obj, 0u), what);
	ol_report_text(OBJLIFE_EVENT_BAD_OBJECT, obj, text);
}

/* A static object's count reached an end of the live range (2^30
 * unbalanced gets or puts): back to the middle, silently. */
static bool static_count_reset(struct objlife *obj)
{
	if (!(ol_load32(&obj->_info, OL_RELAXED) & OL_STATIC))
		return false;
	ol_store32(&obj->_count, OBJLIFE__STATIC_COUNT, OL_RELAXED);
	return true;
}

void objlife__get_slow(struct objlife *obj, uint32_t old)
{
	if (old == 0 && ol_unlikely(!obj->_ops)) {
		/* Never set up: undo the increment, change nothing. */
		ol_sub32(&obj->_count, 1, OL_RELAXED);
		ol_report_never_set_up(obj, "get");
		return;
	}
	if (old == OBJLIFE_REFCOUNT_MAX && static_count_reset(obj))
		return;
	/* A poisoned count looks saturated: the flag tells them apart. */
	if (is_saturated(old) && ol_unlikely(ol_is_poisoned(obj)))
		ol_poison_access(obj, "get");
	else if (old == 0)
		ol_saturate(obj, OBJLIFE_EVENT_GET_ON_ZERO, old,
			    "get on a zero count (use after free); the object will leak");
	else if (old == OBJLIFE_REFCOUNT_MAX)
		ol_saturate(obj, OBJLIFE_EVENT_OVERFLOW, old,
			    "get past the limit; the count is saturated and the object will leak");
	else
		ol_saturate(obj, OBJLIFE_EVENT_OVERFLOW, old,
			    "get on a saturated count; the object will leak");
}

void objlife__put_slow(struct objlife *obj, uint32_t old)
{
	if (old == 1) {
		/* Pairs with the release decrement of every earlier put: their
		 * writes are visible to ops->release. */
		ol_put_fence();
		ol_release(obj);
	} else if (old == 0 && ol_unlikely(!obj->_ops)) {
		ol_add32(&obj->_count, 1, OL_RELAXED);   /* undone: nothing changes */
		ol_report_never_set_up(obj, "put");
	} else if (old == 0 && ol_release_running(obj)) {
		ol_saturate(obj, OBJLIFE_EVENT_UNDERFLOW, old,
			    "put during the object's own release (a reference cycle broken with an "
			    "extra put? clear the references in one direction instead); the object "
			    "will leak");
	} else if (old == 0) {
		ol_saturate(obj, OBJLIFE_EVENT_UNDERFLOW, old, "put below zero; the object will leak");
	} else if (ol_unlikely(ol_is_poisoned(obj))) {
		ol_poison_access(obj, "put");
	} else {
		ol_saturate(obj, OBJLIFE_EVENT_UNDERFLOW, old,
			    "put on a saturated count; the object will leak");
	}
}

bool objlife__get_unless_zero_slow(struct objlife *obj)
{
	uint32_t old = ol_load32(&obj->_count, OL_RELAXED);

	for (;;) {
		if (old == 0) {
			if (ol_unlikely(!obj->_ops))
				ol_report_never_set_up(obj, "get_unless_zero");
			return false;
		}
		if (is_saturated(old) && ol_unlikely(ol_is_poisoned(obj))) {
			ol_poison_access(obj, "get_unless_zero");
			return false;
		}
		if (old >= OBJLIFE_REFCOUNT_MAX) {
			/* Saturated, or saturating now: as a get would. */
			objlife__get_slow(obj, old);
			return true;
		}
		if (ol_cas32(&obj->_count, &old, old + 1, OL_RELAXED, OL_RELAXED))
			return true;
	}
}

/* The exported functions: the header's inline code, one copy of it, for
 * bindings and consumers built with OBJLIFE_NO_INLINE or without GNU C.
 * (The header's macros of the same names are off here.) */
#ifndef OBJLIFE__INLINE_PATH
# error "libobjlife is built with a GNU C compiler (GCC, Clang): the exported get/put are objlife.h's inline code"
#endif

struct objlife *objlife_get(struct objlife *obj)
{
	return objlife__get_inline(obj);
}

void objlife_put(struct objlife *obj)
{
	objlife__put_inline(obj);
}

bool objlife_get_unless_zero(struct objlife *obj)
{
	return objlife__get_unless_zero_inline(obj);
}

uint32_t objlife_refcount(const struct objlife *obj)
{
	uint32_t count;

	if (!obj)
		return 0;
	/* A static object is never released, as a saturated one. */
	if (ol_load32(&obj->_info, OL_RELAXED) & OL_STATIC)
		return OBJLIFE_REFCOUNT_SATURATED;
	count = ol_load32(&obj->_count, OL_RELAXED);
	/* Between a racing operation and its re-pin a saturated count can be
	 * off by a few; it is still saturated. A poisoned object is dead. */
	if (!is_saturated(count))
		return count;
	return ol_is_poisoned(obj) ? 0 : OBJLIFE_REFCOUNT_SATURATED;
}

/* Drops a reference unless it is the last one: the kernel's
 * refcount_dec_not_one(). Returns true when it dropped one (or the count
 * is saturated, which nothing changes), false when the caller holds the
 * last reference. */
static bool put_unless_last(struct objlife *obj)
{
	uint32_t old = ol_load32(&obj->_count, OL_RELAXED);

	do {
		if (old == 1)
			return false;
		if (old == 0 || is_saturated(old)) {
			objlife__put_slow(obj, old);
			return true;
		}
	} while (!ol_cas32(&obj->_count, &old, old - 1, OL_PUT_ORDER, OL_RELAXED));
	return true;
}

/* The last reference is gone: release, then the memory. Returns true when
 * the memory went back; false when the object leaks instead (a put inside
 * init, or a release that took a reference). */
static bool release_last(struct objlife *obj)
{
	/* Pairs with the release decrement of every earlier put. */
	ol_put_fence();
	if (!ol_run_release(obj))
		return false;
	ol_destroy(obj);
	return true;
}

/* A put that tells whether it released and freed the object. */
static bool put_was_last(struct objlife *obj)
{
	uint32_t old = ol_sub32(&obj->_count, 1, OL_PUT_ORDER);

	if (old == 1)
		return release_last(obj);
	if (OBJLIFE__PUT_IS_SLOW(old))
		objlife__put_slow(obj, old);
	return false;
}

/* pthread_mutex_lock() returned @rc: did it take the lock? Only 0 and, for
 * a robust mutex whose owner died holding it, EOWNERDEAD. */
static bool lock_taken(int rc)
{
#ifdef EOWNERDEAD
	if (rc == EOWNERDEAD)
		return true;
#endif
	return rc == 0;
}

bool objlife_put_mutex(struct objlife *obj, pthread_mutex_t *lock)
{
	uint32_t old;
	bool destroy;
	int rc;

	if (!obj)
		return false;
	if (!lock) {
		bool freed = put_was_last(obj);

		errno = EINVAL;
		return freed;
	}
	if (put_unless_last(obj))
		return false;

	rc = pthread_mutex_lock(lock);
	if (!lock_taken(rc)) {
		/* An error-checking mutex this thread already holds, a robust
		 * one left unrecoverable, say. The reference still goes:
		 * keeping it would leak the object. */
		destroy = put_was_last(obj);
		errno = rc;
		return destroy;
	}
	/* Taken. With EOWNERDEAD its owner died holding it, and what it
	 * protects may be half-updated: only the code that knows that state
	 * can repair it and call pthread_mutex_consistent(). The library
	 * does not, so the unlock below leaves the mutex unrecoverable (every
	 * later lock fails with ENOTRECOVERABLE) instead of passing the state
	 * on as sound; the caller learns it from errno. */
	old = ol_sub32(&obj->_count, 1, OL_PUT_ORDER);
	if (old != 1) {
		/* Someone took a reference under @lock after our first look. */
		if (OBJLIFE__PUT_IS_SLOW(old))
			objlife__put_slow(obj, old);
		pthread_mutex_unlock(lock);
		if (rc)
			errno = rc;
		return false;
	}
	ol_put_fence();
	/* release runs under @lock (it may unlink the object from the table
	 * the lock protects); the memory goes back after the unlock, so the
	 * allocator is never called under the user's lock. false: the object
	 * leaks (a put inside init, or a release that took a reference), and
	 * nothing went back. */
	destroy = ol_run_release(obj);
	pthread_mutex_unlock(lock);
	if (destroy)
		ol_destroy(obj);
	if (rc)
		errno = rc;
	return destroy;
}
