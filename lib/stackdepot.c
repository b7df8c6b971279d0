/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The stack depot: every distinct stack is stored once, as the kernel's
 * lib/stackdepot.c does for KASAN, page_owner and ref_tracker. A program
 * allocates from a few hundred places, not from a few million, so the
 * registry keeps one pointer per object instead of sixteen frames, and
 * reports group objects by comparing pointers.
 *
 * Stacks are immutable and never freed: a pointer to one stays valid for
 * the life of the process, and may be read without a lock. The memory
 * this costs grows with the number of distinct allocation and tracker
 * sites, not with the number of objects.
 *
 * One lock, taken only when backtrace.c's per-thread cache misses: the
 * allocation path normally finds its stack without coming here.
 */
#include "objlife-private.h"

#include <pthread.h>
#include <string.h>

#define DEPOT_MIN_BUCKETS 256u

static pthread_mutex_t depot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ol_stack **depot;      /* hash buckets, under depot_lock */
static size_t depot_mask;            /* buckets - 1 */
static size_t depot_count;
static pthread_once_t depot_once = PTHREAD_ONCE_INIT;

/* A fork while another thread holds depot_lock must not leave the child
 * with a lock nobody will release. depot_lock nests inside no other lock
 * of the library, so it needs no place in a common order. */
static void depot_lock_(void) { pthread_mutex_lock(&depot_lock); }
static void depot_unlock_(void) { pthread_mutex_unlock(&depot_lock); }

static void depot_init(void)
{
	ol_atfork(depot_lock_, depot_unlock_, depot_unlock_);
}

static uint32_t hash_frames(void *const *frames, unsigned depth)
{
	uint64_t h = 0xcbf29ce484222325ull ^ depth;
	unsigned i;

	for (i = 0; i < depth; i++) {
		h ^= (uintptr_t)frames[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return (uint32_t)(h ^ h >> 32);
}

/* depot_lock held. Doubles the table; on no memory keeps the old one
 * (chains get longer, nothing is lost). Rare: the table only grows with
 * the number of distinct stacks. */
static void depot_grow(void)
{
	size_t n = depot ? (depot_mask + 1) * 2 : DEPOT_MIN_BUCKETS;
	struct ol_stack **b = ol_calloc(OL_MEM_STACK, n, sizeof(*b));
	size_t i;

	if (!b)
		return;
	if (depot) {
		for (i = 0; i <= depot_mask; i++) {
			struct ol_stack *s = depot[i], *next;

			for (; s; s = next) {
				next = s->next;
				s->next = b[s->hash & (n - 1)];
				b[s->hash & (n - 1)] = s;
			}
		}
		ol_free(depot);
	}
	depot = b;
	depot_mask = n - 1;
}

const struct ol_stack *ol_stack_intern(void *const *frames, unsigned depth)
{
	struct ol_stack *s = NULL;
	uint32_t hash;

	if (depth > OL_STACK_DEPTH)
		depth = OL_STACK_DEPTH;
	hash = hash_frames(frames, depth);
	pthread_once(&depot_once, depot_init);
	pthread_mutex_lock(&depot_lock);
	if (!depot || depot_count > depot_mask)
		depot_grow();
	if (depot) {
		for (s = depot[hash & depot_mask]; s; s = s->next)
			if (s->hash == hash && s->depth == depth &&
			    !memcmp(s->frames, frames, depth * sizeof(frames[0])))
				break;
	}
	if (!s && depot) {
		s = ol_malloc(OL_MEM_STACK, sizeof(*s) + depth * sizeof(frames[0]));
		if (s) {
			s->hash = hash;
			s->depth = depth;
			memcpy(s->frames, frames, depth * sizeof(frames[0]));
			s->next = depot[hash & depot_mask];
			depot[hash & depot_mask] = s;
			depot_count++;
		}
	}
	pthread_mutex_unlock(&depot_lock);
	if (!s)
		ol_report_no_memory(OL_NOMEM_STACK, NULL,
				    "out of memory for a stack; some reports will lack allocation or tracker stacks");
	return s;
}
