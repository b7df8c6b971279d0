/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The allocation path and the teardown path: the only two ways an object
 * comes into being and goes away.
 *
 * objlife_alloc_size() hands out either a fully initialised object or
 * nothing: if init fails, the memory goes back here and release never
 * runs. After that the last put is the only way out, through
 * ol_release(): release exactly once, then destroy().
 *
 * Both read in one direction: this thread's record of the type
 * (thread.h) -> count the object in it -> memory from its magazine
 * (cache.h) or the allocator (memory.c) -> init; and back: release ->
 * uncount -> diagnostics -> memory to the magazine or the allocator.
 */
#include "objlife-private.h"
#include "core.h"
#include "thread.h"
#include "table.h"
#include "diag/diag.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* OBJLIFE_STATIC_INIT writes these flags from the public header. */
_Static_assert(OBJLIFE__STATIC_INFO == (OL_STATIC | OL_MAY_LEAK | OL_UNTRACKED),
	       "OBJLIFE__STATIC_INFO is not the library's static, may_leak and untracked bits");
_Static_assert(OBJLIFE__STATIC_COUNT > 1 && OBJLIFE__STATIC_COUNT < OBJLIFE_REFCOUNT_MAX,
	       "a static object's count must be live");

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

/* The last step of a teardown: the memory of a dead object (uncounted,
 * out of the registry) goes to this thread's magazine of the type (@rec,
 * or NULL for none), else to the allocator. Sizes beyond the header's
 * never fit a magazine. Always a tail call. */
static inline __attribute__((always_inline)) void give_memory(const struct objlife_ops *ops,
							      struct ol_thread_rec *rec,
							      struct objlife *obj, size_t size,
							      uint32_t info)
{
	if (ops->cache && rec)
		ol_thread_cache_free(rec, obj, size, info);
	else
		ol_mem_free(ops, obj, size, info);
}

/* destroy() for everything but its common case: a size memory.c keeps, an
 * object that was uncounted already, diagnostics on, another type than
 * one in this thread's recent table, or a thread without records. */
static __attribute__((noinline)) void destroy_unusual(struct objlife *obj)
{
	const struct objlife_ops *ops = obj->_ops;
	uint32_t info = ol_load32(&obj->_info, OL_RELAXED);
	size_t size = info >> OL_FLAG_BITS;
	unsigned diag = ol_options();
	struct ol_thread_rec *rec = ol_thread_rec(ops);

	if (info & OL_BIG)
		size = ol_big_size_forget(obj);
	/* A may_leak object was uncounted when it was marked. */
	if (!(info & OL_MAY_LEAK))
		(void)ol_thread_count(rec, ops, OL_LC_GONE);   /* cannot fail: see thread.h */
	/* Diagnostics: the registry forgets the object before its memory
	 * can be reused, and poison may keep the memory. */
	if (diag & OL_OPT_OBJECT_HOOKS) {
		if (diag & OL_OPT_LEAKS)
			ol_registry_remove(obj);
		if ((diag & OL_OPT_POISON) && ol_quarantine_put(obj, size, info))
			return;
		/* Either may have run the user's code (ops->free of an
		 * evicted object), which may have made objects of new types,
		 * and a sweep may have taken @rec: look again. */
		rec = ol_thread_rec_find(ops);
	}
	give_memory(ops, rec, obj, size, info);
}

/* The one teardown: uncounts a dead object and gives its memory back. Its
 * common case (a counted object of a type in this thread's recent table, its
 * size in the header, diagnostics off) is inline in its two callers and a
 * straight line ending in a tail call, so that the last put saves no
 * registers (but one around release); every other case is the same steps
 * in destroy_unusual(). */
static inline __attribute__((always_inline)) void destroy(struct objlife *obj)
{
	const struct objlife_ops *ops = obj->_ops;
	uint32_t info = ol_load32(&obj->_info, OL_RELAXED);
	struct ol_thread_rec *rec = ol_thread_self->recent[ol_thread_slot(ops)];

	/* The options word is read directly: an object exists, so it was
	 * read, and ol_options()'s call for an unread word would cost the
	 * last put its register saves. */
	if (ol_likely(!(info & (OL_BIG | OL_MAY_LEAK)) &&
		      !(ol_load32(&ol_options_word, OL_RELAXED) & OL_OPT_OBJECT_HOOKS) &&
		      rec->ops == ops)) {
		ol_lc_count(&rec->live, OL_LC_GONE);
		give_memory(ops, rec, obj, info >> OL_FLAG_BITS, info);
		return;
	}
	destroy_unusual(obj);
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

/* The objects whose init, and those whose release, runs on this thread,
 * innermost first, in frames on the stack of the code that calls them:
 * plain stores to thread-local lists, where a flag in the object's header
 * would cost an atomic read-modify-write per allocation (others may set
 * flags of their own meanwhile). A last put inside init (the initial
 * reference put by init itself) must not release; a put that finds a
 * count of 0 inside the object's own release is an extra put meant to
 * break a reference cycle, and the report says so. A put of the initial
 * reference on another thread while init runs (init gave away the
 * caller's reference) is not caught: see objlife(7). */
struct life_frame {
	const struct objlife *obj;
	struct life_frame *outer;
};
static TLS struct life_frame *initialising OL_THREAD_TLS_MODEL;
static TLS struct life_frame *releasing OL_THREAD_TLS_MODEL;

static bool in_frames(const struct life_frame *f, const struct objlife *obj)
{
	for (; f; f = f->outer)
		if (f->obj == obj)
			return true;
	return false;
}

bool ol_release_running(const struct objlife *obj)
{
	return in_frames(releasing, obj);
}

/* Calls @release inside a frame of the releasing list. */
static inline __attribute__((always_inline)) void release_in_frame(struct objlife *obj,
								   void (*release)(struct objlife *obj))
{
	struct life_frame frame = { obj, releasing };

	releasing = &frame;
	release(obj);
	releasing = frame.outer;
}

/* The same out of line, so that the last put of a type without release
 * pays nothing for it. */
static __attribute__((noinline)) void call_release(struct objlife *obj,
						   void (*release)(struct objlife *obj))
{
	release_in_frame(obj, release);
}

/* A static object's count came down to 1 (2^30 unbalanced puts): it is
 * never released; its count goes back to the middle. */
static __attribute__((noinline)) bool static_not_released(struct objlife *obj)
{
	ol_store32(&obj->_count, OBJLIFE__STATIC_COUNT, OL_RELAXED);
	return false;
}

/* The release itself, once nothing stands in its way but a running init. */
static inline __attribute__((always_inline)) bool release_now(struct objlife *obj)
{
	void (*release)(struct objlife *obj) = obj->_ops->release;

	if (ol_unlikely(initialising != NULL) && in_frames(initialising, obj)) {
		put_inside_init(obj);
		return false;
	}
	if (release)
		call_release(obj, release);
	/* A release that took a reference already got a GET_ON_ZERO report
	 * and a saturated count, and so did a racing get on the dead object:
	 * someone may keep the pointer, so leak. */
	return ol_load32(&obj->_count, OL_RELAXED) == 0;
}

/* A static object, or one that a table still knows (table.c decides):
 * out of line, so that the common last put keeps its registers. */
static __attribute__((noinline)) bool release_unusual(struct objlife *obj, uint32_t info)
{
	if (info & OL_STATIC)
		return static_not_released(obj);
	if (!ol_table_released(obj))
		return false;
	return release_now(obj);
}

static inline __attribute__((always_inline)) bool run_release(struct objlife *obj)
{
	uint32_t info = ol_load32(&obj->_info, OL_RELAXED);

	/* One test for the two kinds of object whose last put is not simply
	 * the end: static ones, and those a table still knows. */
	if (ol_unlikely(info & (OL_STATIC | OL_REGISTERED)))
		return release_unusual(obj, info);
	return release_now(obj);
}

bool ol_run_release(struct objlife *obj)
{
	return run_release(obj);
}

/* The last put of a common object whose type has release: release in a
 * frame of the releasing list, then the teardown, unless release took a
 * reference (see release_now()). */
static __attribute__((noinline)) void release_plain(struct objlife *obj,
						    void (*release)(struct objlife *obj))
{
	release_in_frame(obj, release);
	if (ol_load32(&obj->_count, OL_RELAXED) == 0)
		destroy(obj);
}

/* Every last put but the common one (see ol_release()). */
static __attribute__((noinline)) void release_any(struct objlife *obj)
{
	if (run_release(obj))
		destroy(obj);
}

/* The last put of the common object: one that no table knows, not
 * static, with no init running on the thread. Nothing can then stop its
 * end but a release that takes a reference, or a racing get on the dead
 * object (each reported, the count pinned): then it leaks, as in
 * release_now(). A type without release goes straight to destroy(),
 * whose common case is inline here, so that the last put saves no
 * registers; every other last put is release_any(). */
void ol_release(struct objlife *obj)
{
	const struct objlife_ops *ops = obj->_ops;
	uint32_t info = ol_load32(&obj->_info, OL_RELAXED);

	if (ol_likely(!(info & (OL_STATIC | OL_REGISTERED)) && !initialising)) {
		if (ops->release)
			release_plain(obj, ops->release);
		else if (ol_likely(ol_load32(&obj->_count, OL_RELAXED) == 0))
			destroy(obj);
		return;
	}
	release_any(obj);
}

/* Leaves @obj out of the live counts and leak listings from now on (the
 * registry's snapshot skips OL_MAY_LEAK), uncounting it once however often
 * it is called. Returns the flags before. */
static uint32_t uncount_for_good(struct objlife *obj)
{
	uint32_t old = ol_or32(&obj->_info, OL_MAY_LEAK, OL_RELAXED);

	if (!(old & (OL_MAY_LEAK | OL_POISONED)))
		(void)ol_thread_count(ol_thread_rec(obj->_ops), obj->_ops, OL_LC_GONE);
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

	(void)ol_thread_count(ol_thread_rec(ops), ops, OL_LC_GONE);
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

/* Runs ops->init on a new object inside a frame of the initialising list,
 * and gives the memory back when it fails. */
static inline __attribute__((always_inline)) struct objlife *run_init(struct objlife *obj,
								      const struct objlife_ops *ops,
								      void *arg)
{
	struct life_frame frame = { obj, initialising };
	int ret;

	initialising = &frame;
	ret = ops->init(obj, arg);
	initialising = frame.outer;
	if (ol_unlikely(ret != 0))
		return init_failed(obj, ret);
	return obj;
}

/* Every allocation but the common one (see objlife_alloc_size()): bad
 * input, ops->alloc or ops->cache, a size or an alignment malloc() does
 * not serve as is, diagnostics, a type not in this thread's recent table
 * or a thread without records. @caller: the user's code, for the
 * registry. */
static __attribute__((noinline)) struct objlife *alloc_any(const struct objlife_ops *ops,
							   size_t size, size_t align, void *arg,
							   const void *caller)
{
	struct objlife *obj = NULL;
	struct ol_thread_rec *rec;
	uint32_t flags = 0;
	uint32_t info;
	unsigned diag = ol_options();

	if (ol_unlikely(!ops_are_valid(ops) || size < sizeof(struct objlife) ||
			!is_power_of_two(align)))
		return invalid();
	if (align < OBJLIFE__ALIGNOF(struct objlife))
		align = OBJLIFE__ALIGNOF(struct objlife);

	/* This thread's record of the type, and the object counted in it:
	 * bookkeeping first, as it is the only part that can fail after the
	 * memory exists, and failing before costs nothing to undo. */
	rec = ol_thread_rec(ops);
	if (ol_unlikely(ol_thread_count(rec, ops, OL_LC_MADE) < 0)) {
		errno = ENOMEM;
		return NULL;
	}
	/* One allocation path: the type's cache, else the allocator. */
	if (ops->cache && rec)
		obj = ol_thread_cache_take(rec, size, align, &flags);
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

	obj->_ops = ops;
	ol_store32(&obj->_count, 1, OL_RELAXED);
	ol_store32(&obj->_info, info | flags, OL_RELAXED);
	/* Registered before init, so that init's own tracked gets find the
	 * object, and an object whose failed init leaked references is listed
	 * as the leak it is. */
	if (ol_unlikely(diag & OL_OPT_LEAKS))
		ol_registry_add(obj, caller);
	if (ops->init)
		return run_init(obj, ops, arg);
	return obj;
}

/* The common allocation: a valid type on the default allocator, a size
 * and an alignment that malloc() serves as is, no diagnostics (OBJLIFE_DEBUG
 * read and empty). A few tests, no call. */
static inline __attribute__((always_inline)) bool alloc_is_plain(const struct objlife_ops *ops,
								 size_t size, size_t align)
{
	return ops && ops->name && !((uintptr_t)ops->alloc | (uintptr_t)ops->free) &&
	       size - sizeof(struct objlife) <= OL_MEMSET_MAX - sizeof(struct objlife) &&
	       align <= OL_MALLOC_ALIGN && is_power_of_two(align) &&
	       !(ol_load32(&ol_options_word, OL_RELAXED) & (OL_OPT_UNREAD | OL_OPT_OBJECT_HOOKS));
}

/* A new object's header, then init: the last steps of every allocation. */
static inline __attribute__((always_inline)) struct objlife *
alloc_finish(struct objlife *obj, const struct objlife_ops *ops, uint32_t info, void *arg)
{
	obj->_ops = ops;
	ol_store32(&obj->_count, 1, OL_RELAXED);
	ol_store32(&obj->_info, info, OL_RELAXED);
	if (ops->init)
		return run_init(obj, ops, arg);
	return obj;
}

/* The common allocation once its record counted it: the memory, zeroed,
 * the header, init. Out of line, so that the tests before it save no
 * registers. */
static __attribute__((noinline)) struct objlife *alloc_plain(const struct objlife_ops *ops,
							     size_t size, void *arg)
{
	struct objlife *obj = ol_malloc_zeroed(size);

	if (ol_unlikely(!obj)) {
		errno = ENOMEM;
		return no_memory(ops);
	}
	return alloc_finish(obj, ops, (uint32_t)size << OL_FLAG_BITS, arg);
}

/* The same from the magazine of @rec, which has a block of the shape. */
static __attribute__((noinline)) struct objlife *alloc_cached(struct ol_thread_rec *rec,
							      size_t size, void *arg)
{
	uint32_t flags = rec->magazine.flags;
	struct objlife *obj = ol_cache_pop(&rec->magazine, size);

	return alloc_finish(obj, rec->ops, ((uint32_t)size << OL_FLAG_BITS) | flags, arg);
}

/* The common case takes tests, two loads for the record and a count, then
 * the memory and the header (alloc_plain(), alloc_cached()); everything
 * else is alloc_any(), whose steps these are, in its order. What a program
 * that mixes types pays per object over malloc() is this. */
struct objlife *objlife_alloc_size(const struct objlife_ops *ops, size_t size, size_t align,
				   void *arg)
{
	if (ol_likely(alloc_is_plain(ops, size, align))) {
		struct ol_thread_rec *rec = ol_thread_self->recent[ol_thread_slot(ops)];

		if (ol_likely(rec->ops == ops)) {
			if (!ops->cache) {
				ol_lc_count(&rec->live, OL_LC_MADE);
				return alloc_plain(ops, size, arg);
			}
			if (ol_cache_hit(&rec->magazine, size, align)) {
				ol_lc_count(&rec->live, OL_LC_MADE);
				return alloc_cached(rec, size, arg);
			}
			/* A busy type that outran its magazine. */
			if (rec->magazine.cap &&
			    ol_cache_empty_same_shape(&rec->magazine, size, align)) {
				ol_lc_count(&rec->live, OL_LC_MADE);
				return alloc_plain(ops, size, arg);
			}
		}
	}
	return alloc_any(ops, size, align, arg, __builtin_return_address(0));
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
	if (ol_unlikely(!obj->_ops)) {
		ol_report_never_set_up(obj, "may_leak");
		return;
	}
	old = uncount_for_good(obj);
	if (ol_unlikely(old & OL_POISONED))
		ol_poison_access(obj, "may_leak");   /* uncounted when it died */
}
