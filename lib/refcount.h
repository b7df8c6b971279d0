/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Atomic primitives of the library: C11 <stdatomic.h> where the compiler
 * has it, GCC's __atomic builtins otherwise. The object header's fields are
 * plain uint32_t (the public header must stay C99 and C++), so the C11
 * spelling views them as _Atomic of the same size and representation.
 */
#ifndef OBJLIFE_REFCOUNT_H
#define OBJLIFE_REFCOUNT_H

#include <stdint.h>

#if defined(HAVE_STDATOMIC_H) && !defined(__STDC_NO_ATOMICS__)
# include <stdatomic.h>
# define OL_RELAXED memory_order_relaxed
# define OL_ACQUIRE memory_order_acquire
# define OL_RELEASE memory_order_release
# define OL_ACQ_REL memory_order_acq_rel
# define OL_A32(p)  ((_Atomic uint32_t *)(uintptr_t)(p))
# define OL_AUP(p)  ((_Atomic uintptr_t *)(uintptr_t)(p))
# define OL_APTR(p) ((void *_Atomic *)(uintptr_t)(p))
# define ol_load32(p, o)           atomic_load_explicit(OL_A32(p), o)
# define ol_store32(p, v, o)       atomic_store_explicit(OL_A32(p), v, o)
# define ol_add32(p, v, o)         atomic_fetch_add_explicit(OL_A32(p), v, o)
# define ol_sub32(p, v, o)         atomic_fetch_sub_explicit(OL_A32(p), v, o)
# define ol_or32(p, v, o)          atomic_fetch_or_explicit(OL_A32(p), v, o)
# define ol_and32(p, v, o)         atomic_fetch_and_explicit(OL_A32(p), v, o)
# define ol_cas32(p, exp, v, s, f) atomic_compare_exchange_weak_explicit(OL_A32(p), exp, v, s, f)
# define ol_loadup(p, o)           atomic_load_explicit(OL_AUP(p), o)
# define ol_storeup(p, v, o)       atomic_store_explicit(OL_AUP(p), v, o)
# define ol_addup(p, v, o)         atomic_fetch_add_explicit(OL_AUP(p), v, o)
# define ol_fence_acquire()        atomic_thread_fence(memory_order_acquire)
#else
# define OL_RELAXED __ATOMIC_RELAXED
# define OL_ACQUIRE __ATOMIC_ACQUIRE
# define OL_RELEASE __ATOMIC_RELEASE
# define OL_ACQ_REL __ATOMIC_ACQ_REL
# define ol_load32(p, o)           __atomic_load_n(p, o)
# define ol_store32(p, v, o)       __atomic_store_n(p, v, o)
# define ol_add32(p, v, o)         __atomic_fetch_add(p, v, o)
# define ol_sub32(p, v, o)         __atomic_fetch_sub(p, v, o)
# define ol_or32(p, v, o)          __atomic_fetch_or(p, v, o)
# define ol_and32(p, v, o)         __atomic_fetch_and(p, v, o)
# define ol_cas32(p, exp, v, s, f) __atomic_compare_exchange_n(p, exp, v, 1, s, f)
# define ol_loadup(p, o)           __atomic_load_n(p, o)
# define ol_storeup(p, v, o)       __atomic_store_n(p, v, o)
# define ol_addup(p, v, o)         __atomic_fetch_add(p, v, o)
# define ol_fence_acquire()        __atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif

/* The final decrement: release, then an acquire fence once it hit zero
 * (refcount_t's ordering). ThreadSanitizer does not model fences, so under
 * it the decrement itself is acq_rel, as in the header's inline put. */
#ifdef OBJLIFE__TSAN
# define OL_PUT_ORDER OL_ACQ_REL
# define ol_put_fence() ((void)0)
#else
# define OL_PUT_ORDER OL_RELEASE
# define ol_put_fence() ol_fence_acquire()
#endif

#endif /* OBJLIFE_REFCOUNT_H */
