/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ops->cache: per-thread caches of freed objects' memory. A type that is
 * allocated and freed at a high rate skips the allocator: the last put
 * keeps the block, the next allocation of the type on that thread zeroes
 * it and hands it out again. The allocation path stays one path (take
 * from the cache, else from the allocator) and so does the teardown path
 * (give to the cache, else to the allocator).
 *
 * Each thread has, per type with a cache that it allocates, a magazine: a
 * stack of up to ops->cache blocks of one shape, kept in the thread's
 * record of the type (thread.c), so that one lookup finds the live count
 * and the magazine. Only the owning thread touches a magazine: no lock and
 * no atomic read-modify-write on the hot path, which is inline in
 * cache.h. This file knows magazines, not threads: thread.c decides when
 * a thread's magazines are closed.
 *
 * One shape per magazine: a size and an alignment. A magazine takes the
 * shape of the thread's allocations of its type, at the first one and
 * again whenever it is empty and asked for another. A freed block goes in
 * when it has that size, an address with that alignment and came the same
 * way from the default allocator (OL_ALIGNED); otherwise, or when the
 * magazine is full, it goes back to the allocator as it would without a
 * cache. A thread that frees a type it never allocates (the consumer of a
 * producer) caches none of it: its magazine would only fill up. Sizes
 * above OL_INFO_SIZE_MAX are never cached: their size lives in memory.c's
 * list, not in the header.
 *
 * Memory goes back, always the way it came (ol_mem_free(): ops->free for
 * a type with its own allocator):
 *  - when a thread exits: thread.c's thread destructor calls
 *    ol_cache_close() for each of its magazines;
 *  - on objlife_cache_trim(): the calling thread's blocks at once; other
 *    threads' at their next allocation or free of the type, when they see
 *    that the type's trim generation moved (a relaxed load of a word that
 *    only trims write: a shared, read-mostly cache line);
 *  - at exit (thread.c's atexit handler, ol_cache_shut()): the thread
 *    that runs the atexit handlers frees its blocks and caches nothing
 *    more, the others are told as by a trim, and no thread starts a
 *    magazine afterwards.
 *
 * Diagnostics: a cached block is memory, not an object. It was uncounted
 * and left the registry before it got here, so live counts and leak
 * reports never include it. With OBJLIFE_DEBUG=poison nothing is cached:
 * every freed object goes to the quarantine, so that a late access is
 * caught there instead of landing in a reused block.
 */
#include "cache.h"

#include <string.h>

#define CACHE_MAX 4096u       /* ops->cache above this counts as this */
#define TRIM_BUCKETS 64u      /* trim generations, by type; a power of two */

/* A trim moves ol_cache_trims, which every cached take and give compare
 * with their magazine's copy, and its type's generation here (NULL and the
 * exit move all), which a magazine that saw ol_cache_trims move compares
 * with its own: its blocks go back when its type's moved. Types share a
 * bucket: a trim may empty another type's magazines too, which is only
 * early. Written only by trims and the exit, each from the start of a
 * cache line of its own. */
uint32_t ol_cache_trims __attribute__((aligned(64)));
static uint32_t trim_gen[TRIM_BUCKETS] __attribute__((aligned(64)));
static uint32_t closed;      /* atomic: at exit, no new magazines */

/* ops tables are pointer-aligned and often neighbours: the bits above the
 * alignment are mixed down. */
static unsigned bucket_of(const struct objlife_ops *ops)
{
	uintptr_t h = (uintptr_t)ops;

	h ^= h >> 4 ^ h >> 11 ^ h >> 17;
	return (unsigned)h & (TRIM_BUCKETS - 1);
}

/* Frees every block in @m; returns how many. One at a time, so that an
 * ops->free that allocates or frees objects of the type finds the
 * magazine consistent. */
static size_t drain(struct ol_magazine *m, const struct objlife_ops *ops)
{
	size_t n = 0;

	while (m->n) {
		size_t size = m->size;
		void *mem = m->block[--m->n];

		ol_mem_free(ops, mem, size, m->flags);
		n++;
	}
	return n;
}

/* Some trim happened since this thread last looked (or this is a new
 * magazine): if it was of this type, the blocks go back. Returns how many. */
size_t ol_cache_catch_up(struct ol_magazine *m, const struct objlife_ops *ops)
{
	uint32_t gen;

	/* Acquire: pairs with the trim's release, so that the generation
	 * moved before the word is seen moved too. */
	m->seen = ol_load32(&ol_cache_trims, OL_ACQUIRE);
	gen = ol_load32(&trim_gen[bucket_of(ops)], OL_RELAXED);
	if (gen == m->gen)
		return 0;
	m->gen = gen;
	return drain(m, ops);
}

void ol_cache_trim_later(const struct objlife_ops *ops)
{
	unsigned i;

	/* The generations before the word that sends threads to look at
	 * them (release: see ol_cache_catch_up()). */
	for (i = 0; i < TRIM_BUCKETS; i++)
		if (!ops || i == bucket_of(ops))
			ol_add32(&trim_gen[i], 1, OL_RELAXED);
	ol_add32(&ol_cache_trims, 1, OL_RELEASE);
}

void ol_cache_shut(void)
{
	ol_store32(&closed, 1, OL_RELAXED);
	ol_cache_trim_later(NULL);
}

/* The shape of the allocations a magazine serves; false for a size that
 * is never cached (it does not fit the header). */
static bool set_shape(struct ol_magazine *m, size_t size, size_t align)
{
	if (size > OL_INFO_SIZE_MAX)
		return false;
	m->size = (uint32_t)size;
	m->align = align;
	return true;
}

/* The thread's first cached allocation of the type. */
static void magazine_new(struct ol_magazine *m, const struct objlife_ops *ops, size_t size,
			 size_t align)
{
	unsigned cap = ops->cache < CACHE_MAX ? ops->cache : CACHE_MAX;

	if (!set_shape(m, size, align))
		return;      /* this one is not cached; a later one may be */
	if ((ol_options() & OL_OPT_POISON) || ol_load32(&closed, OL_RELAXED)) {
		m->block = OL_MAGAZINE_OFF;
		return;
	}
	m->block = ol_malloc(OL_MEM_CACHE, cap * sizeof(m->block[0]));
	if (!m->block) {
		/* Caching is an optimisation: without memory for it this
		 * thread allocates this type uncached, silently. */
		m->block = OL_MAGAZINE_OFF;
		return;
	}
	m->flags = 0;
	m->n = 0;
	m->cap = cap;
	ol_cache_catch_up(m, ops);   /* empty: only takes the current generation */
}

void *ol_cache_take_slow(struct ol_magazine *m, const struct objlife_ops *ops, size_t size,
			 size_t align, uint32_t *flags)
{
	if (!m->cap) {
		if (!m->block)
			magazine_new(m, ops, size, align);
		return NULL;
	}
	if (m->seen != ol_load32(&ol_cache_trims, OL_RELAXED)) {
		ol_cache_catch_up(m, ops);
		if (ol_cache_hit(m, size, align)) {
			*flags |= m->flags;
			return ol_cache_pop(m, size);
		}
	}
	/* Empty, and asked for another shape: take that one. */
	if (!m->n)
		set_shape(m, size, align);
	return NULL;
}

bool ol_cache_give_slow(struct ol_magazine *m, const struct objlife_ops *ops, void *mem,
			size_t size, uint32_t info)
{
	if (!m->cap)
		return false;
	if (m->seen != ol_load32(&ol_cache_trims, OL_RELAXED)) {
		ol_cache_catch_up(m, ops);
		if (ol_cache_fits(m, mem, size, info)) {
			ol_cache_push(m, mem, info);
			return true;
		}
	}
	return false;   /* full, or another shape */
}

void ol_cache_close(struct ol_magazine *m, const struct objlife_ops *ops)
{
	void **block = m->block;

	if (m->cap) {
		drain(m, ops);
		ol_free(block);
	}
	m->cap = 0;
	m->block = OL_MAGAZINE_OFF;
}
