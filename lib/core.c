/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The allocation path and the teardown path: the only two ways an object
 * comes into being and goes away.
 *
 * objlife_alloc_size() hands out either a fully initialised object or
 * nothing: if init fails, the memory goes back here and release never
 * runs. After that the last put is the only way out, through
 * ol_release(): release exactly once, then the memory.
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

size_t ol_object_size(const struct objlife *obj)
{
	uint32_t info = ol_load32(&obj->_info, OL_RELAXED);

	if (info & OL_BIG)
		return ol_big_size_lookup(obj);
	return info >> OL_FLAG_BITS;
}

void ol_destroy(struct objlife *obj)
{
	const struct objlife_ops *ops = obj->_ops;
	uint32_t info = ol_load32(&obj->_info, OL_RELAXED);
	size_t size = info & OL_BIG ? ol_big_size_forget(obj) : info >> OL_FLAG_BITS;
	unsigned diag = ol_options_now();

	if (!(info & OL_MAY_LEAK))
		ol_livecount_dec(ops);
	/* Diagnostics: one test of a cached word while they are off. The
	 * registry forgets the object before its memory can be reused. */
	if (ol_unlikely(diag & OL_OPT_OBJECT_HOOKS)) {
		if (diag & OL_OPT_LEAKS)
			ol_registry_remove(obj);
		if ((diag & OL_OPT_POISON) && ol_quarantine_put(obj, size, info))
			return;
	}
	ol_mem_free(ops, obj, size, info);
}

bool ol_run_release(struct objlife *obj)
{
	const struct objlife_ops *ops = obj->_ops;

	if (ol_load32(&obj->_info, OL_RELAXED) & OL_INITIALISING) {
		/* init is still running on this object: releasing it now would
		 * free memory init is using, and undo work init has not done. */
		ol_saturate(obj, OBJLIFE_EVENT_UNDERFLOW, 1,
			    "put of the initial reference inside init; the object will leak");
		return false;
	}
	if (ops->release)
		ops->release(obj);
	/* A release that took a reference already got a GET_ON_ZERO report
	 * and a saturated count: someone may keep the pointer, so leak. */
	return ol_load32(&obj->_count, OL_RELAXED) == 0;
}

void ol_release(struct objlife *obj)
{
	if (ol_run_release(obj))
		ol_destroy(obj);
}

/* init failed with @ret: give the memory back without release, unless init
 * left references behind, in which case someone may still point to it. */
static struct objlife *init_failed(struct objlife *obj, int ret)
{
	int err = ret < 0 && ret != INT_MIN ? -ret : EINVAL;
	uint32_t count = ol_load32(&obj->_count, OL_ACQUIRE);

	if (count != 1) {
		ol_saturate(obj, OBJLIFE_EVENT_INIT_LEAKED_REF, count,
			    "init failed (%s) and left references behind; the object will leak",
			    strerror(err));
	} else {
		ol_destroy(obj);
	}
	errno = err;
	return NULL;
}

struct objlife *objlife_alloc_size(const struct objlife_ops *ops, size_t size, size_t align,
				   void *arg)
{
	struct objlife *obj;
	uint32_t flags = 0;
	uint32_t info;
	unsigned diag = ol_options();

	if (!ops_are_valid(ops) || size < sizeof(struct objlife) || !is_power_of_two(align)) {
		errno = EINVAL;
		return NULL;
	}
	if (align < OBJLIFE__ALIGNOF(struct objlife))
		align = OBJLIFE__ALIGNOF(struct objlife);

	/* Bookkeeping first: it is the only part that can fail after the
	 * memory exists, and failing before costs nothing to undo. */
	if (ol_livecount_inc(ops) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	obj = ol_mem_alloc(ops, size, align, &flags);
	if (!obj) {
		int err = errno;

		ol_livecount_dec(ops);
		errno = err;
		return NULL;
	}
	if (size > OL_INFO_SIZE_MAX) {
		if (ol_big_size_remember(obj, size) < 0) {
			ol_mem_free(ops, obj, size, flags);
			ol_livecount_dec(ops);
			errno = ENOMEM;
			return NULL;
		}
		info = OL_BIG;
	} else {
		info = (uint32_t)size << OL_FLAG_BITS;
	}

	obj->_ops = ops;
	ol_store32(&obj->_count, 1, OL_RELAXED);
	ol_store32(&obj->_info, info | flags | OL_INITIALISING, OL_RELAXED);
	/* Registered before init, so that init's own tracked gets find the
	 * object, and an object whose failed init leaked references is listed
	 * as the leak it is. The caller is the user's code: this function's
	 * return address. */
	if (ol_unlikely(diag & OL_OPT_LEAKS))
		ol_registry_add(obj, __builtin_return_address(0));
	if (ops->init) {
		int ret = ops->init(obj, arg);

		if (ret != 0)
			return init_failed(obj, ret);
	}
	ol_and32(&obj->_info, ~(uint32_t)OL_INITIALISING, OL_RELEASE);
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
	/* Uncount once, however often it is called. */
	old = ol_or32(&obj->_info, OL_MAY_LEAK, OL_RELAXED);
	if (ol_unlikely(old & OL_POISONED))
		ol_poison_access(obj, "may_leak");   /* uncounted when it died */
	else if (!(old & OL_MAY_LEAK))
		ol_livecount_dec(obj->_ops);
}
