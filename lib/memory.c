/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw memory for objects: the type's own allocator where ops has one, the
 * C library's otherwise, always zeroed and aligned as asked. Also the
 * record of sizes too large for the object header (over 16 MiB), which
 * ops->free must be given back exactly.
 *
 * And the library's own bookkeeping memory (ol_malloc and friends): the
 * live counts, the registry, stacks, trackers, the quarantine. It all goes
 * through one place so that a test can make any part of it fail and check
 * that no object is lost or corrupted when it does.
 */
#include "objlife-private.h"
#include "addrmap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
# include <malloc.h>
#endif

static void *aligned_zalloc(size_t size, size_t align)
{
	void *mem;

#if defined(_WIN32)
	mem = _aligned_malloc(size, align);
	if (!mem)
		return NULL;
#elif defined(HAVE_POSIX_MEMALIGN)
	if (posix_memalign(&mem, align, size) != 0)
		return NULL;
#elif defined(HAVE_ALIGNED_ALLOC)
	/* C11 wants a size that is a multiple of the alignment. */
	size_t padded = (size + align - 1) & ~(align - 1);

	if (padded < size)
		return NULL;
	mem = aligned_alloc(align, padded);
	if (!mem)
		return NULL;
#else
# error "no aligned allocator: need posix_memalign, aligned_alloc or _aligned_malloc"
#endif
	memset(mem, 0, size);
	return mem;
}

bool (*ol_mem_fail_hook)(enum ol_mem_use use, size_t size);

void *ol_malloc(enum ol_mem_use use, size_t size)
{
	if (ol_unlikely(ol_mem_fail_hook != NULL) && ol_mem_fail_hook(use, size))
		return NULL;
	return malloc(size);
}

void *ol_calloc(enum ol_mem_use use, size_t n, size_t size)
{
	if (ol_unlikely(ol_mem_fail_hook != NULL) && ol_mem_fail_hook(use, n * size))
		return NULL;
	return calloc(n, size);
}

void ol_free(void *mem)
{
	free(mem);
}

bool ol_array_grow(enum ol_mem_use use, void **array, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *a;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	a = ol_malloc(use, n * size);
	if (!a)
		return false;
	if (*array) {
		memcpy(a, *array, *cap * size);
		ol_free(*array);
	}
	*array = a;
	*cap = n;
	return true;
}

void *ol_mem_alloc(const struct objlife_ops *ops, size_t size, size_t align, uint32_t *flags)
{
	void *mem;

	if (ops->alloc) {
		mem = ops->alloc(ops, size, align);
		if (!mem) {
			errno = ENOMEM;
			return NULL;
		}
		if ((uintptr_t)mem & (align - 1)) {
			/* The type's allocator broke its contract; the object
			 * would be misaligned for its own fields. */
			ops->free(ops, mem, size);
			errno = EINVAL;
			return NULL;
		}
		return mem;
	}
	if (align <= OL_MALLOC_ALIGN) {
		if (size <= OL_MEMSET_MAX)
			mem = ol_malloc_zeroed(size);
		else
			mem = calloc(1, size);
		if (!mem)
			errno = ENOMEM;
		return mem;
	}
	mem = aligned_zalloc(size, align);
	if (!mem) {
		errno = ENOMEM;
		return NULL;
	}
	*flags |= OL_ALIGNED;
	return mem;
}

/* Sizes over OL_INFO_SIZE_MAX, by address, in the library's one hash
 * table (addrmap.h). Objects that large are few and their allocation
 * dwarfs a lock. */
struct big_size {
	struct ol_anode node;     /* key: the object's address */
	size_t size;
};

static pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t big_once = PTHREAD_ONCE_INIT;
static struct ol_amap big_sizes = { .use = OL_MEM_BIG_SIZE };

/* A fork() while another thread holds big_lock must not leave the child
 * with a lock nobody will release: the child's first big object would
 * wait for it forever. big_lock is never held with another lock. */
static void big_lock_(void) { pthread_mutex_lock(&big_lock); }
static void big_unlock_(void) { pthread_mutex_unlock(&big_lock); }

static void big_init(void)
{
	ol_atfork(big_lock_, big_unlock_, big_unlock_);
}

int ol_big_size_remember(const void *mem, size_t size)
{
	struct big_size *b;
	int ret;

	/* Here, not in forget: no size is forgotten before one is
	 * remembered, so the handlers exist before the lock is first used. */
	pthread_once(&big_once, big_init);
	b = ol_malloc(OL_MEM_BIG_SIZE, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->node.key = (uintptr_t)mem;
	b->size = size;
	pthread_mutex_lock(&big_lock);
	ret = ol_amap_insert(&big_sizes, &b->node);
	pthread_mutex_unlock(&big_lock);
	if (ret < 0)
		ol_free(b);
	return ret;
}

size_t ol_big_size_forget(const void *mem)
{
	struct ol_anode *node;
	size_t size = 0;

	pthread_mutex_lock(&big_lock);
	node = ol_amap_remove(&big_sizes, (uintptr_t)mem);
	/* The buckets go with the last big object (the next one makes them
	 * again): an allocation of that size dwarfs it, and the library
	 * keeps nothing at exit for it. */
	if (big_sizes.n == 0)
		ol_amap_free(&big_sizes);
	pthread_mutex_unlock(&big_lock);
	if (node) {
		struct big_size *b = (struct big_size *)((char *)node - offsetof(struct big_size, node));

		size = b->size;
		ol_free(b);
	}
	return size;
}
