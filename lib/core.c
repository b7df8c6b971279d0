/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The allocation path and the teardown path: the only two ways an object
 * comes into being and goes away.
 *
 * objlife_alloc_size() hands out either a fully initialised object or
 * nothing: if init fails, the memory goes back here and release never
 * runs. After that the last put is the only way out, through
 * ol_release(): release exactly once, then the memory.
 *
 * Memory comes from the type's cache (ops->cache, cache.c) or the
 * allocator, and goes back to one or the other, in these two places only.
 */
#include "objlife-private.h"

#include <limits.h>
#include <string.h>

static bool ops_are_valid(const struct objlife_ops *ops)
{
	/* alloc and free come as a pair: memory from one allocator must go
	 * back to the same one. */
	return ops && ops->name && !ops->alloc == !ops->free;
}

static bool is_power_of_two(size_t n)
{
	return n && !(n & (n - 1));
}

/* Diagnostics at teardown, while they are on: the registry forgets the
 * object before its memory can be reused, and poison may keep the memory.
 * Returns true when the quarantine took it. */
static __attribute__((noinline)) bool destroy_diag(struct objlife *obj, size_t size, uint32_t info,
						   unsigned diag)
{
	if (diag & OL_OPT_LEAKS)
		ol_registry_remove(obj);
	return (diag & OL_OPT_POISON) && ol_quarantine_put(obj, size, info);
}

/* Gives an object's memory back and uncounts it: to the type's cache, or
 * to the allocator. Every case; destroy() below is its shortcut. */
static __attribute__((noinline)) void destroy_slow(struct objlife *obj)
{
	const struct objlife_ops *ops = obj->_ops;
	uint32_t info = ol_load32(&obj->_info, OL_RELAXED);
	size_t size = info >> OL_FLAG_BITS;
	unsigned diag = ol_options();

	if (ol_unlikely(info & OL_BIG))
		size = ol_big_size_forget(obj);
	/* A may_leak object was uncounted when it was marked. */
	if (ol_likely(!(info & OL_MAY_LEAK)))
		ol_livecount_dec(ops);
	/* Diagnostics: one test of a cached word while they are off. */
	if (ol_unlikely(diag & OL_OPT_OBJECT_HOOKS) && destroy_diag(obj, size, info, diag))
		return;
	/* Uncounted and out of the registry: from here it is memory, which
	 * the cache may keep (never with poison on: see cache.c). The record
	 * is looked up now, not kept from the count above: the diagnostics
	 * may have run the user's ops->free meanwhile. None: the thread has
	 * no records (out of memory, or exiting). */
	if (ops->cache) {
		struct ol_lc_slot *slot = ol_livecount_slot(ops);

		/* Sizes beyond the header's never fit a magazine (cache.c). */
		if (slot) {
			ol_cache_give_or_free(&slot->magazine, ops, obj, size, info);
			return;
		}
	}
	ol_mem_free(ops, obj, size, info);
}

/* destroy_slow() for its commonest case, with every call in it a tail
 * call, so that the last put saves no registers (but one around release):
 * diagnostics off, a size in the header, a counted object of the type
 * this thread used last. */
static inline __attribute__((always_inline)) void destroy(struct objlife *obj)
{
	const struct objlife_ops *ops = obj->_ops;
	uint32_t info = ol_load32(&obj->_info, OL_RELAXED);
	struct ol_lc_slot *slot = ol_lc_last;

	if (ol_likely(!(info & (OL_BIG | OL_MAY_LEAK)) &&
		      !(ol_options() & OL_OPT_OBJECT_HOOKS) && slot && slot->ops == ops)) {
		size_t size = info >> OL_FLAG_BITS;

		ol_livecount_bump(slot, OL_LC_GONE);
		if (ops->cache)
			ol_cache_give_or_free(&slot->magazine, ops, obj, size, info);
		else
			ol_mem_free(ops, obj, size, info);
		return;
	}
	destroy_slow(obj);
}

void ol_destroy(struct objlife *obj)
{
	destroy(obj);
}

static __attribute__((noinline)) void put_inside_init(struct objlife *obj)
{
	/* init is still running on this object: releasing it now would free
	 * memory init is using, and undo work init has not done. */
	ol_saturate(obj, OBJLIFE_EVENT_UNDERFLOW, 1,
		    "put of the initial reference inside init; the object will leak");
}

static inline __attribute__((always_inline)) bool run_release(struct objlife *obj)
{
	const struct objlife_ops *ops = obj->_ops;

	if (ol_unlikely(ol_load32(&obj->_info, OL_RELAXED) & OL_INITIALISING)) {
		put_inside_init(obj);
		return false;
	}
	if (ops->release)
		ops->release(obj);
	/* A release that took a reference already got a GET_ON_ZERO report
	 * and a saturated count, and so did a racing get on the dead object:
	 * someone may keep the pointer, so leak. */
	return ol_load32(&obj->_count, OL_RELAXED) == 0;
}

bool ol_run_release(struct objlife *obj)
{
	return run_release(obj);
}

void ol_release(struct objlife *obj)
{
	if (run_release(obj))
		destroy(obj);
}

/* Leaves @obj out of the live counts and leak listings from now on (the
 * registry's snapshot skips OL_MAY_LEAK), uncounting it once however often
 * it is called. Returns the flags before. */
static uint32_t uncount_for_good(struct objlife *obj)
{
	uint32_t old = ol_or32(&obj->_info, OL_MAY_LEAK, OL_RELAXED);

	if (!(old & (OL_MAY_LEAK | OL_POISONED)))
		ol_livecount_dec(obj->_ops);
	return old;
}

/* init failed with @ret: give the memory back without release, unless init
 * left references behind, in which case someone may still point to it. */
static __attribute__((noinline)) struct objlife *init_failed(struct objlife *obj, int ret)
{
	int err = ret < 0 && ret != INT_MIN ? -ret : EINVAL;
	uint32_t count = ol_load32(&obj->_count, OL_ACQUIRE);

	if (count != 1) {
		ol_saturate(obj, OBJLIFE_EVENT_INIT_LEAKED_REF, count,
			    "init failed (%s) and left references behind; the object will leak",
			    strerror(err));
		/* Never handed to the caller, so never alive: reported now, as
		 * INIT_LEAKED_REF, and not again as a live object or a LEAK. */
		uncount_for_good(obj);
	} else {
		destroy(obj);
	}
	errno = err;
	return NULL;
}

static __attribute__((noinline)) struct objlife *invalid(void)
{
	errno = EINVAL;
	return NULL;
}

/* No memory (errno set) after the count went up: count it down. */
static __attribute__((noinline)) struct objlife *no_memory(const struct objlife_ops *ops)
{
	int err = errno;

	ol_livecount_dec(ops);
	errno = err;
	return NULL;
}

/* Sizes over OL_INFO_SIZE_MAX: memory.c remembers them. */
static __attribute__((noinline)) bool remember_big(const struct objlife_ops *ops,
						   struct objlife *obj, size_t size, uint32_t flags)
{
	if (ol_big_size_remember(obj, size) < 0) {
		ol_mem_free(ops, obj, size, flags);
		errno = ENOMEM;
		return false;
	}
	return true;
}

struct objlife *objlife_alloc_size(const struct objlife_ops *ops, size_t size, size_t align,
				   void *arg)
{
	struct objlife *obj = NULL;
	struct ol_lc_slot *slot;
	uint32_t flags = 0;
	uint32_t info;
	unsigned diag = ol_options();
	if (ol_unlikely(!ops_are_valid(ops) || size < sizeof(struct objlife) ||
			!is_power_of_two(align)))
		return invalid();
	if (align < OBJLIFE__ALIGNOF(struct objlife))
		align = OBJLIFE__ALIGNOF(struct objlife);

	/* Bookkeeping first: it is the only part that can fail after the
	 * memory exists, and failing before costs nothing to undo. */
	if (ol_unlikely(ol_livecount_inc(ops, &slot) < 0)) {
		errno = ENOMEM;
		return NULL;
	}
	/* One allocation path: the type's cache, else the allocator. */
	if (ops->cache && slot)
		obj = ol_cache_take(&slot->magazine, ops, size, align, &flags);
	if (!obj) {
		uint32_t mem_flags = 0;   /* its own: flags stays in a register */

		obj = ol_mem_alloc(ops, size, align, &mem_flags);
		if (ol_unlikely(!obj))
			return no_memory(ops);
		flags |= mem_flags;
	}
	if (ol_likely(size <= OL_INFO_SIZE_MAX)) {
		info = (uint32_t)size << OL_FLAG_BITS;
	} else {
		if (!remember_big(ops, obj, size, flags))
			return no_memory(ops);
		info = OL_BIG;
	}

	/* OL_INITIALISING only while an init runs: without one, nobody but
	 * this thread can reach the object before it is returned. */
	if (ops->init)
		flags |= OL_INITIALISING;
	obj->_ops = ops;
	ol_store32(&obj->_count, 1, OL_RELAXED);
	ol_store32(&obj->_info, info | flags, OL_RELAXED);
	/* Registered before init, so that init's own tracked gets find the
	 * object, and an object whose failed init leaked references is listed
	 * as the leak it is. The caller is the user's code: this function's
	 * return address. */
	if (ol_unlikely(diag & OL_OPT_LEAKS))
		ol_registry_add(obj, __builtin_return_address(0));
	if (ops->init) {
		int ret = ops->init(obj, arg);

		if (ol_unlikely(ret != 0))
			return init_failed(obj, ret);
		/* Atomic: init may have shared the object, and others may set
		 * flags of their own (may_leak) meanwhile. */
		ol_and32(&obj->_info, ~(uint32_t)OL_INITIALISING, OL_RELEASE);
	}
	return obj;
}

const struct objlife_ops *objlife_ops_of(const struct objlife *obj)
{
	return obj ? obj->_ops : NULL;
}

void objlife_may_leak(struct objlife *obj)
{
	uint32_t old;

	if (!obj)
		return;
	old = uncount_for_good(obj);
	if (ol_unlikely(old & OL_POISONED))
		ol_poison_access(obj, "may_leak");   /* uncounted when it died */
}
