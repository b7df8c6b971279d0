/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's atomics: GCC's __atomic builtins, the idiom the public
 * header's inline get and put use too (the header stays C99 and C++, so
 * the object header's fields are plain uint32_t). The library needs GNU C
 * in any case; one spelling everywhere means one memory model to read.
 */
#ifndef OBJLIFE_ATOMIC_H
#define OBJLIFE_ATOMIC_H

#include <stdint.h>

#define OL_RELAXED __ATOMIC_RELAXED
#define OL_ACQUIRE __ATOMIC_ACQUIRE
#define OL_RELEASE __ATOMIC_RELEASE
#define OL_ACQ_REL __ATOMIC_ACQ_REL
#define OL_SEQ_CST __ATOMIC_SEQ_CST

/* Type-generic, as the builtins are; the names say the width meant:
 * 32: the object header's count and info; up: address-sized counters. */
#define ol_load32(p, o)           __atomic_load_n(p, o)
#define ol_store32(p, v, o)       __atomic_store_n(p, v, o)
#define ol_add32(p, v, o)         __atomic_fetch_add(p, v, o)
#define ol_sub32(p, v, o)         __atomic_fetch_sub(p, v, o)
#define ol_or32(p, v, o)          __atomic_fetch_or(p, v, o)
#define ol_and32(p, v, o)         __atomic_fetch_and(p, v, o)
/* Weak: callers loop. *@exp gets the value seen when it fails. */
#define ol_cas32(p, exp, v, s, f) \
	__atomic_compare_exchange_n(p, exp, v, 1, s, f)
#define ol_loadup(p, o)           __atomic_load_n(p, o)
#define ol_storeup(p, v, o)       __atomic_store_n(p, v, o)
#define ol_addup(p, v, o)         __atomic_fetch_add(p, v, o)
#define ol_fence(o)               __atomic_thread_fence(o)

/* The final decrement: release, then an acquire fence once it hit zero
 * (refcount_t's ordering). ThreadSanitizer does not model fences, so under
 * it the decrement itself is acq_rel, as in the header's inline put. */
#ifdef OBJLIFE__TSAN
# define OL_PUT_ORDER OL_ACQ_REL
# define ol_put_fence() ((void)0)
#else
# define OL_PUT_ORDER OL_RELEASE
# define ol_put_fence() ol_fence(OL_ACQUIRE)
#endif

#endif /* OBJLIFE_ATOMIC_H */
