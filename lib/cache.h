/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cache.c's interface: magazines of freed blocks (ops->cache), and the
 * fast paths of taking a block from one and giving a block to one, inline:
 * they are the whole cost of a cached allocation and free besides the
 * counting. Everything else (making a magazine, trims, closing one) is in
 * cache.c. A magazine belongs to one thread, which keeps it in its record
 * of the type (thread.h); nothing here knows about threads.
 */
#ifndef OBJLIFE_CACHE_H
#define OBJLIFE_CACHE_H

#include "objlife-private.h"

#include <string.h>

/* One thread's freed blocks of one type, all of one shape, kept in the
 * thread's record of the type (thread.h) so that the lookup that counts
 * the object finds them too. Only the owning thread touches it. A
 * magazine with no room (cap 0) was not made yet (block NULL) or is off
 * (block OL_MAGAZINE_OFF): poison is on, the thread or the process is
 * exiting, or there was no memory for it. */
struct ol_magazine {
	void **block;             /* cap of them, n in use */
	unsigned n, cap;
	uint32_t size;            /* of every block in it, <= OL_INFO_SIZE_MAX */
	uint32_t flags;           /* every block's OL_ALIGNED */
	size_t align;             /* every block's address is a multiple of this */
	uint32_t seen;            /* ol_cache_trims when this thread last looked */
	uint32_t gen;             /* its type's trim generation then */
};
#define OL_MAGAZINE_OFF ((void **)(uintptr_t)1)

/* Moves at every objlife_cache_trim() and at exit: one load, of a line
 * only trims write, tells a thread whether to look closer. */
extern uint32_t ol_cache_trims;

/* Everything but a hit: no magazine yet, a trim to catch up with, another
 * shape, empty. A zeroed block of @size bytes aligned to @align from @m,
 * a magazine of @ops, or NULL (the caller asks the allocator); sets the
 * block's OL_ALIGNED in *@flags. May free blocks (ops->free). */
void *ol_cache_take_slow(struct ol_magazine *m, const struct objlife_ops *ops, size_t size,
			 size_t align, uint32_t *flags);
/* Everything but a block that simply fits: keeps @mem, a dead object's
 * memory of @size bytes (@info its object's), in @m, a magazine of @ops,
 * or returns false (the caller frees it). May free blocks (ops->free). */
bool ol_cache_give_slow(struct ol_magazine *m, const struct objlife_ops *ops, void *mem,
			size_t size, uint32_t info);

/* Zeroes a cached block of @size bytes for reuse, but for its header,
 * which the allocation path writes whole. */
static inline void ol_cache_zero(void *mem, size_t size)
{
	ol_zero((char *)mem + sizeof(struct objlife), size - sizeof(struct objlife));
}

/* The calling thread's magazine @m has a block for an allocation of
 * @size bytes aligned to @align, and no trim is pending. */
static inline bool ol_cache_hit(const struct ol_magazine *m, size_t size, size_t align)
{
	return m->n != 0 && m->size == size && align <= m->align &&
	       m->seen == ol_load32(&ol_cache_trims, OL_RELAXED);
}

/* @m (a made magazine) is empty, its shape serves @size and @align, and no
 * trim is pending: the allocation is the allocator's, and nothing in @m
 * changes. */
static inline bool ol_cache_empty_same_shape(const struct ol_magazine *m, size_t size,
					     size_t align)
{
	return m->n == 0 && m->size == size && align <= m->align &&
	       m->seen == ol_load32(&ol_cache_trims, OL_RELAXED);
}

/* @m is made and full, and no trim is pending: a freed block goes to the
 * allocator. */
static inline bool ol_cache_full(const struct ol_magazine *m)
{
	return m->cap && m->n == m->cap && m->seen == ol_load32(&ol_cache_trims, OL_RELAXED);
}

/* After ol_cache_hit(): the block, zeroed; its OL_ALIGNED is m->flags. */
static inline void *ol_cache_pop(struct ol_magazine *m, size_t size)
{
	void *mem = m->block[--m->n];

	/* objlife_alloc()'s contract: zeroed, as fresh memory is. */
	ol_cache_zero(mem, size);
	return mem;
}

/* A freed block of @size bytes (@info its object's) goes into the calling
 * thread's magazine @m: there is room, it has the magazine's shape, no
 * trim is pending. The first block of an empty magazine sets the
 * allocator path (OL_ALIGNED) that all its blocks share. */
static inline bool ol_cache_fits(const struct ol_magazine *m, const void *mem, size_t size,
				 uint32_t info)
{
	return m->n < m->cap && m->size == size && !((uintptr_t)mem & (m->align - 1)) &&
	       ((info & OL_ALIGNED) == m->flags || m->n == 0) &&
	       m->seen == ol_load32(&ol_cache_trims, OL_RELAXED);
}

/* After ol_cache_fits(). */
static inline void ol_cache_push(struct ol_magazine *m, void *mem, uint32_t info)
{
	m->flags = info & OL_ALIGNED;
	m->block[m->n++] = mem;
}

/* A trim of @ops (NULL: of every type) happened since @m last looked: its
 * blocks go back now. Returns how many. Calls ops->free. */
size_t ol_cache_catch_up(struct ol_magazine *m, const struct objlife_ops *ops);
/* Tells every thread to give back its cached blocks of @ops, or of every
 * type for NULL, at its next cached allocation or free of the type. */
void ol_cache_trim_later(const struct objlife_ops *ops);
/* The process is exiting: no magazine is made from now on, and every
 * thread's blocks go back at its next cached allocation or free. */
void ol_cache_shut(void);
/* The owning thread is exiting, or the process: frees the blocks in @m
 * and its array; it caches nothing from now on. Calls ops->free. */
void ol_cache_close(struct ol_magazine *m, const struct objlife_ops *ops);

#endif /* OBJLIFE_CACHE_H */
