/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Stacks for the diagnostics: captured as raw return addresses whenever an
 * object is allocated (OBJLIFE_DEBUG=leaks) or a tracked reference taken
 * or dropped (refs), and stored once each in the depot. symbolize.c turns
 * them into names when a report is written.
 *
 * Capture: glibc's backtrace() (<execinfo.h>): in libc, so nothing to
 * link, and it unwinds with the DWARF CFI of the libgcc unwinder, so it
 * works in code built without frame pointers (the distributions' default).
 * libunwind's unw_backtrace() measured no faster here, and would be one
 * more dependency. Without execinfo.h (musl), a stack is the one frame the
 * public entry point knows: its own return address.
 *
 * Unwinding costs about 10 ns per frame, several times an allocation's
 * whole cost. Most allocations come from a few sites through a few paths,
 * so each thread caches, per (return address into the user's code, depth
 * of the stack), the last stack seen there together with the stack slots
 * that held its return addresses. A capture whose slots still hold the
 * same return addresses is the same stack: each frame's return address
 * fixes the next frame's code, and with it where the next return address
 * sits (for fixed-size frames; a frame with alloca could in theory leave a
 * stale copy that matches). So a hit costs up to OL_STACK_DEPTH loads, not
 * an unwind. The cache reads only the calling thread's own stack, between
 * its frame and the stack's top (from pthread_getattr_np()); without that,
 * under Valgrind (which would flag the scan's reads of padding), or on
 * another stack (sigaltstack, coroutines), every capture unwinds.
 *
 * The depot: every distinct stack is stored once, as the kernel's
 * lib/stackdepot.c does for KASAN, page_owner and ref_tracker. A program
 * allocates from a few hundred places, not from a few million, so the
 * registry keeps one pointer per object instead of sixteen frames, and
 * reports group objects by comparing pointers. Stacks are immutable and
 * never freed: a pointer to one stays valid for the life of the process,
 * and may be read without a lock. The memory this costs grows with the
 * number of distinct allocation and tracker sites, not with the number of
 * objects. One lock, taken only when the per-thread cache misses.
 *
 * At the process's exit (ol_stack_exit(), from registry.c's destructor)
 * the depot is freed when nothing can point into it any more: the
 * registry is empty and no thread but the exiting one has a cache. A
 * stack interned later goes into a new depot.
 */
#include "stack.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_EXECINFO_H
# include <execinfo.h>
#endif
#ifdef HAVE_VALGRIND_VALGRIND_H
# include <valgrind/valgrind.h>
#endif

/* The library's frames above the user's code: capture, registry or
 * tracker, the public entry point; more than enough. */
#define SKIP_MAX 8
#define CACHE_SLOTS 64    /* per thread; a power of two */

#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 5)
/* The cache reads other frames' stack slots, which AddressSanitizer would
 * take for overflows of their locals. */
# define OL_NO_ASAN __attribute__((no_sanitize_address))
#else
# define OL_NO_ASAN
#endif

/* ---- capture ------------------------------------------------------- */

struct cache_slot {
	const void *caller;              /* frames[0] of the stack */
	uintptr_t depth;                 /* stack top - frame address at capture */
	const struct ol_stack *stack;
	uint32_t off[OL_STACK_DEPTH];    /* word offsets, from the frame address, of
					    the slots holding stack->frames[] */
};

struct capture_thread {
	uintptr_t lo, hi;                /* this thread's stack */
	struct cache_slot slot[CACHE_SLOTS];
};

/* NULL until the thread's first capture; NO_CACHE when it cannot have one. */
#define NO_CACHE ((struct capture_thread *)(uintptr_t)1)
static TLS struct capture_thread *cap_self;
/* Atomic: threads with a cache, whose slots point into the depot. */
static uint32_t cap_live;
#if defined(HAVE_PTHREAD_GETATTR_NP)
static pthread_key_t cap_key;
static bool cap_key_ok;
static pthread_once_t cap_once = PTHREAD_ONCE_INIT;

static void cap_thread_exit(void *p)
{
	ol_free(p);
	cap_self = NO_CACHE;
	ol_sub32(&cap_live, 1, OL_RELEASE);
}

static void cap_init(void)
{
	cap_key_ok = pthread_key_create(&cap_key, cap_thread_exit) == 0;
}
#endif

static struct capture_thread *cap_thread(void)
{
	struct capture_thread *t = cap_self;

	if (ol_likely(t != NULL))
		return t == NO_CACHE ? NULL : t;
	cap_self = NO_CACHE;
#if defined(HAVE_PTHREAD_GETATTR_NP)
# ifdef RUNNING_ON_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return NULL;
# endif
	pthread_once(&cap_once, cap_init);
	if (!cap_key_ok)
		return NULL;
	t = ol_calloc(OL_MEM_STACK_CACHE, 1, sizeof(*t));
	if (!t) {
		ol_report_no_memory(OL_NOMEM_STACK_CACHE, NULL,
				    "out of memory for a thread's stack cache; that thread unwinds "
				    "at every allocation (slower, nothing is lost)");
		return NULL;
	}
	{
		pthread_attr_t attr;
		void *addr;
		size_t size;

		if (pthread_getattr_np(pthread_self(), &attr) != 0) {
			ol_free(t);
			return NULL;
		}
		if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
			t->lo = (uintptr_t)addr;
			t->hi = (uintptr_t)addr + size;
		}
		pthread_attr_destroy(&attr);
	}
	if (!t->hi || pthread_setspecific(cap_key, t) != 0) {
		ol_free(t);
		return NULL;
	}
	ol_add32(&cap_live, 1, OL_RELAXED);
	cap_self = t;
	return t;
#else
	return NULL;
#endif
}

static unsigned slot_index(const void *caller, uintptr_t depth)
{
	uint64_t h = ((uintptr_t)caller ^ depth << 20) * 0x9e3779b97f4a7c15ull;

	return (unsigned)(h >> 40) & (CACHE_SLOTS - 1);
}

/* Frame 0 is the key; the others must sit where they sat. */
OL_NO_ASAN static bool slot_matches(const uintptr_t *fa, const struct cache_slot *s)
{
	unsigned i;

	for (i = 1; i < s->stack->depth; i++)
		if (fa[s->off[i]] != (uintptr_t)s->stack->frames[i])
			return false;
	return true;
}

/* Finds, going up from @fa, the slot of each of @stack's return addresses
 * in turn. False if one is not on the stack (then this stack is not
 * cached). */
OL_NO_ASAN static bool slot_record(struct cache_slot *s, const uintptr_t *fa, uintptr_t hi,
				   const struct ol_stack *stack)
{
	const uintptr_t *p = fa, *end = (const uintptr_t *)hi;
	unsigned i;

	for (i = 0; i < stack->depth; i++) {
		while (p < end && *p != (uintptr_t)stack->frames[i])
			p++;
		if (p >= end)
			return false;
		s->off[i] = (uint32_t)(p - fa);
		p++;
	}
	return true;
}

/* Unwinds and keeps the frames from @caller on. */
static const struct ol_stack *unwind(const void *caller)
{
	void *raw[OL_STACK_DEPTH + SKIP_MAX];
	void *const *frames = (void *const *)&caller;
	unsigned depth = 1;
#ifdef HAVE_EXECINFO_H
	int n = backtrace(raw, (int)(sizeof(raw) / sizeof(raw[0])));
	int i;

	for (i = 0; i < n && i <= SKIP_MAX; i++) {
		if (raw[i] == caller) {
			frames = raw + i;
			depth = (unsigned)(n - i);
			break;
		}
	}
#else
	(void)raw;
#endif
	return ol_stack_intern(frames, depth);
}

__attribute__((noinline)) const struct ol_stack *ol_stack_capture(const void *caller)
{
	/* Offsets are taken from this function's own frame, which has the
	 * same layout at every call. */
	const uintptr_t *fa = __builtin_frame_address(0);
	struct capture_thread *t = cap_thread();
	const struct ol_stack *stack;
	struct cache_slot *s = NULL;
	uintptr_t depth = 0;

	if (t && (uintptr_t)fa >= t->lo && (uintptr_t)fa < t->hi) {
		depth = t->hi - (uintptr_t)fa;
		s = &t->slot[slot_index(caller, depth)];
		if (s->stack && s->caller == caller && s->depth == depth && slot_matches(fa, s))
			return s->stack;
	}
	stack = unwind(caller);
	if (s && stack) {
		if (slot_record(s, fa, t->hi, stack)) {
			s->caller = caller;
			s->depth = depth;
			s->stack = stack;
		} else {
			s->stack = NULL;
		}
	}
	return stack;
}

/* ---- the depot ------------------------------------------------------ */

static pthread_mutex_t depot_lock = PTHREAD_MUTEX_INITIALIZER;
/* Stacks by hash (addrmap.h); stacks whose hashes are equal hang off the
 * first one's collide list. Under depot_lock. */
static struct ol_amap depot = { .use = OL_MEM_STACK };
static pthread_once_t depot_once = PTHREAD_ONCE_INIT;

#define stack_of(n) ((struct ol_stack *)((char *)(n) - offsetof(struct ol_stack, node)))

/* A fork while another thread holds depot_lock must not leave the child
 * with a lock nobody will release. depot_lock is never held with another
 * lock of the library. */
static void depot_lock_(void) { pthread_mutex_lock(&depot_lock); }
static void depot_unlock_(void) { pthread_mutex_unlock(&depot_lock); }

static void depot_init(void)
{
	ol_atfork(depot_lock_, depot_unlock_, depot_unlock_);
}

static uintptr_t hash_frames(void *const *frames, unsigned depth)
{
	uint64_t h = 0xcbf29ce484222325ull ^ depth;
	unsigned i;

	for (i = 0; i < depth; i++) {
		h ^= (uintptr_t)frames[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return (uintptr_t)(h ^ h >> 32);
}

static bool same_stack(const struct ol_stack *s, void *const *frames, unsigned depth)
{
	return s->depth == depth && !memcmp(s->frames, frames, depth * sizeof(frames[0]));
}

const struct ol_stack *ol_stack_intern(void *const *frames, unsigned depth)
{
	struct ol_stack *first = NULL, *s = NULL;
	struct ol_anode *node;
	uintptr_t hash;

	if (depth > OL_STACK_DEPTH)
		depth = OL_STACK_DEPTH;
	hash = hash_frames(frames, depth);
	pthread_once(&depot_once, depot_init);
	pthread_mutex_lock(&depot_lock);
	node = ol_amap_find(&depot, hash);
	if (node) {
		first = stack_of(node);
		for (s = first; s && !same_stack(s, frames, depth); s = s->collide)
			;
	}
	if (!s) {
		s = ol_malloc(OL_MEM_STACK, sizeof(*s) + depth * sizeof(frames[0]));
		if (s) {
			s->node.key = hash;
			s->depth = depth;
			memcpy(s->frames, frames, depth * sizeof(frames[0]));
			s->collide = NULL;
			if (first) {
				s->collide = first->collide;
				first->collide = s;
			} else if (ol_amap_insert(&depot, &s->node) < 0) {
				ol_free(s);
				s = NULL;
			}
		}
	}
	pthread_mutex_unlock(&depot_lock);
	if (!s)
		ol_report_no_memory(OL_NOMEM_STACK, NULL,
				    "out of memory for a stack; some reports will lack allocation or tracker stacks");
	return s;
}

/* One stack and those of its hash (depot_lock held). */
static void stack_free(struct ol_anode *node, void *data)
{
	struct ol_stack *s = stack_of(node), *next;

	(void)data;
	for (; s; s = next) {
		next = s->collide;
		ol_free(s);
	}
}

void ol_stack_exit(bool unused)
{
	struct capture_thread *t = cap_self;

	/* The calling thread's cache: it never runs the key's destructor
	 * (exit() does not), and from now on it unwinds every capture. */
	cap_self = NO_CACHE;
	if (t != NULL && t != NO_CACHE) {
#if defined(HAVE_PTHREAD_GETATTR_NP)
		pthread_setspecific(cap_key, NULL);
#endif
		ol_free(t);
		ol_sub32(&cap_live, 1, OL_RELEASE);
	}
	/* Another thread's cache may hand out any stack: all stay. */
	if (!unused || ol_load32(&cap_live, OL_ACQUIRE) != 0)
		return;
	pthread_once(&depot_once, depot_init);
	pthread_mutex_lock(&depot_lock);
	/* The foreach reads each node's next before calling stack_free(). */
	ol_amap_foreach(&depot, stack_free, NULL);
	ol_amap_free(&depot);
	pthread_mutex_unlock(&depot_lock);
}
