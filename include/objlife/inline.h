/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objlife/inline.h - internal: the machinery behind <objlife.h>, which
 * includes it at its end. Never include it yourself. Nothing here is API:
 * every objlife__ / OBJLIFE__ name may change with the soname. In order:
 *
 *   - compiler glue for the fast path;
 *   - compile-time checks of the layout of struct objlife;
 *   - the checks behind objlife_alloc() (alignment, header at offset 0);
 *   - the inline get, put and get_unless_zero, and the macros that send
 *     the public names to them;
 *   - the function behind a free class, for OBJLIFE_DEFINE_REF_FUNCS.
 *
 * Switches, defined before the first include of <objlife.h>:
 *
 *   OBJLIFE_NO_INLINE          public: no inline code; the public names
 *                              call the exported functions.
 *   OBJLIFE__INLINE_BODIES     the library's own sources only, together
 *                              with OBJLIFE_NO_INLINE: the inline bodies
 *                              without the macros, so that the exported
 *                              functions are these bodies.
 *   OBJLIFE__TEST_WIN_ATOMICS  tests only: the Windows (Interlocked) fast
 *                              path with mingw-w64's GCC, run under wine.
 *
 * (OBJLIFE__TEST_NO_PTHREAD, in <objlife/platform.h>, pretends that there
 * is no <pthread.h>.)
 */
/* Only through <objlife.h>, which defines OBJLIFE_H first; the #elif
 * keeps a direct include down to this one error. */
#ifndef OBJLIFE_H
# error "<objlife/inline.h> is internal: include <objlife.h> instead"
#elif !defined(OBJLIFE_INLINE_H)
#define OBJLIFE_INLINE_H

#ifdef __cplusplus
# include <type_traits>         /* std::is_same, for OBJLIFE__IS_HEADER */
extern "C" {
#endif

/* --------------------------------------------------------------------- */
/* Compiler glue                                                         */
/* --------------------------------------------------------------------- */

/* `inline` in every dialect the header supports: C99 and C++ have it,
 * MSVC's C spells it __inline. */
#if defined(_MSC_VER) && !defined(__cplusplus)
# define OBJLIFE__INLINE __inline
#else
# define OBJLIFE__INLINE inline
#endif

/* A branch hint: the slow cases of the fast path are laid out of line. */
#if defined(__GNUC__)
# define OBJLIFE__UNLIKELY(x)   __builtin_expect(!!(x), 0)
#else
# define OBJLIFE__UNLIKELY(x)   (x)
#endif

/* ThreadSanitizer does not model fences: under it, the final decrement is
 * acq_rel instead of release + acquire fence (see objlife__put_inline). */
#if defined(__SANITIZE_THREAD__)
# define OBJLIFE__TSAN 1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define OBJLIFE__TSAN 1
# endif
#endif

/* alignof in every language mode the header supports: C++11, C11, GNU C,
 * and the offset of a member after a char in plain C99. */
#if defined(__cplusplus)
# define OBJLIFE__ALIGNOF(TYPE) alignof(TYPE)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
# define OBJLIFE__ALIGNOF(TYPE) _Alignof(TYPE)
#elif defined(__GNUC__)
# define OBJLIFE__ALIGNOF(TYPE) __alignof__(TYPE)
#else
# define OBJLIFE__ALIGNOF(TYPE) offsetof(struct { char c; TYPE t; }, t)
#endif

/* --------------------------------------------------------------------- */
/* The layout of struct objlife                                          */
/* --------------------------------------------------------------------- */

/* The layout the inline fast path and the library agree on, per data
 * model, with no padding anywhere:
 *   LP64 (64-bit Unix) and LLP64 (64-bit Windows): _ops at 0, _count at 8,
 *     _info at 12; sizeof 16; aligned to 8.
 *   ILP32 (i386, 32-bit ARM and MIPS, 32-bit Windows, x32): _ops at 0,
 *     _count at 4, _info at 8; sizeof 12; aligned to 4.
 * C99 static assertions: a negative array size fails to compile. */
typedef char objlife__assert_header_size[
	sizeof(struct objlife) == (sizeof(void *) == 8 ? 16 : 12) ? 1 : -1];
typedef char objlife__assert_header_count[
	offsetof(struct objlife, _count) == sizeof(void *) ? 1 : -1];
typedef char objlife__assert_header_info[
	offsetof(struct objlife, _info) == sizeof(void *) + sizeof(uint32_t) ? 1 : -1];
typedef char objlife__assert_header_align[
	OBJLIFE__ALIGNOF(struct objlife) == OBJLIFE__ALIGNOF(void *) ? 1 : -1];

/* --------------------------------------------------------------------- */
/* The checks behind objlife_alloc()                                     */
/* --------------------------------------------------------------------- */

/* True when MEMBER of TYPE is a struct objlife. Where the compiler cannot
 * compare types, its size stands in for it; the offset check still holds. */
#if defined(__cplusplus)
# define OBJLIFE__IS_HEADER(TYPE, MEMBER) \
	(std::is_same<decltype(((TYPE *)0)->MEMBER), struct objlife>::value)
#elif defined(__GNUC__)
# define OBJLIFE__IS_HEADER(TYPE, MEMBER) \
	__builtin_types_compatible_p(__typeof__(((TYPE *)0)->MEMBER), struct objlife)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
# define OBJLIFE__IS_HEADER(TYPE, MEMBER) \
	_Generic(((TYPE *)0)->MEMBER, struct objlife: 1, default: 0)
#else
# define OBJLIFE__IS_HEADER(TYPE, MEMBER) \
	(sizeof(((TYPE *)0)->MEMBER) == sizeof(struct objlife))
#endif

/* Zero, or a compile error (a negative array size) when the header is not
 * a struct objlife at offset 0: the kernel's BUILD_BUG_ON_ZERO, in C99. */
#define OBJLIFE__CHECK_HEADER(TYPE, MEMBER) \
	(sizeof(char[(offsetof(TYPE, MEMBER) == 0 && OBJLIFE__IS_HEADER(TYPE, MEMBER)) ? 1 : -1]) - 1)

/* --------------------------------------------------------------------- */
/* Inline fast path (GCC and Clang; MSVC)                                */
/* --------------------------------------------------------------------- */

/* Slow paths for the inline code: saturation, reports and the last put.
 * Exported so that inlined callers can reach them; not public API. */
OBJLIFE_API void objlife__get_slow(struct objlife *obj, uint32_t old);
OBJLIFE_API void objlife__put_slow(struct objlife *obj, uint32_t old);
OBJLIFE_API bool objlife__get_unless_zero_slow(struct objlife *obj);

/* One unsigned compare covers each slow case. For a get: old == 0 (use
 * after free) or old >= OBJLIFE_REFCOUNT_MAX (about to overflow, or already
 * saturated). For a put: old == 1 (the last put runs release), old == 0
 * (underflow) or old above OBJLIFE_REFCOUNT_MAX (saturated). */
#define OBJLIFE__GET_IS_SLOW(old) ((uint32_t)((old) - 1u) >= OBJLIFE_REFCOUNT_MAX - 1u)
#define OBJLIFE__PUT_IS_SLOW(old) ((uint32_t)((old) - 2u) >= OBJLIFE_REFCOUNT_MAX - 1u)

/* OBJLIFE__INLINE_BODIES (the library's own sources only): the bodies,
 * without the macros below, so that the exported functions are these. */
#if defined(__GNUC__) && (!defined(OBJLIFE_NO_INLINE) || defined(OBJLIFE__INLINE_BODIES)) && \
	!defined(OBJLIFE__TEST_WIN_ATOMICS)
# define OBJLIFE__INLINE_PATH 1

#ifdef OBJLIFE__TSAN
# define OBJLIFE__PUT_ORDER __ATOMIC_ACQ_REL
#else
# define OBJLIFE__PUT_ORDER __ATOMIC_RELEASE
#endif

static inline struct objlife *objlife__get_inline(struct objlife *obj)
{
	if (obj) {
		/* Relaxed, as refcount_inc(): whoever hands out the pointer
		 * already orders access to the object. */
		uint32_t old = __atomic_fetch_add(&obj->_count, 1, __ATOMIC_RELAXED);

		if (OBJLIFE__UNLIKELY(OBJLIFE__GET_IS_SLOW(old)))
			objlife__get_slow(obj, old);
	}
	return obj;
}

static inline void objlife__put_inline(struct objlife *obj)
{
	if (obj) {
		/* Release, so that this thread's writes happen before the
		 * release callback; the last put adds an acquire fence in
		 * objlife__put_slow(). */
		uint32_t old = __atomic_fetch_sub(&obj->_count, 1, OBJLIFE__PUT_ORDER);

		if (OBJLIFE__UNLIKELY(OBJLIFE__PUT_IS_SLOW(old)))
			objlife__put_slow(obj, old);
	}
}

static inline bool objlife__get_unless_zero_inline(struct objlife *obj)
{
	uint32_t old;

	if (!obj)
		return false;
	old = __atomic_load_n(&obj->_count, __ATOMIC_RELAXED);
	do {
		/* Zero, the limit and saturated counts are decided out of line. */
		if (OBJLIFE__UNLIKELY(OBJLIFE__GET_IS_SLOW(old)))
			return objlife__get_unless_zero_slow(obj);
	} while (!__atomic_compare_exchange_n(&obj->_count, &old, old + 1, true,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

#elif defined(_WIN32) && (defined(_MSC_VER) || defined(OBJLIFE__TEST_WIN_ATOMICS)) && \
	!defined(OBJLIFE_NO_INLINE)
# define OBJLIFE__INLINE_PATH 1

/* The same fast path in the Windows compilers' spelling, since MSVC has no
 * __atomic builtins: the Interlocked intrinsics on the count, which is a
 * 32-bit long there. They are full barriers: more than the relaxed get and
 * the release put need, never less; the last put's acquire is included.
 * OBJLIFE__TEST_WIN_ATOMICS selects them with mingw-w64's GCC, so that the
 * portability matrix runs them under wine. */
#include <intrin.h>

static __inline struct objlife *objlife__get_inline(struct objlife *obj)
{
	if (obj) {
		uint32_t old = (uint32_t)_InterlockedExchangeAdd((volatile long *)&obj->_count, 1);

		if (OBJLIFE__UNLIKELY(OBJLIFE__GET_IS_SLOW(old)))
			objlife__get_slow(obj, old);
	}
	return obj;
}

static __inline void objlife__put_inline(struct objlife *obj)
{
	if (obj) {
		uint32_t old = (uint32_t)_InterlockedExchangeAdd((volatile long *)&obj->_count, -1);

		if (OBJLIFE__UNLIKELY(OBJLIFE__PUT_IS_SLOW(old)))
			objlife__put_slow(obj, old);
	}
}

static __inline bool objlife__get_unless_zero_inline(struct objlife *obj)
{
	uint32_t old, seen;

	if (!obj)
		return false;
	/* An aligned 32-bit load is atomic; relaxed is all it needs. */
	old = *(volatile uint32_t *)&obj->_count;
	for (;;) {
		/* Zero, the limit and saturated counts are decided out of line:
		 * below them old + 1 fits in a long. */
		if (OBJLIFE__UNLIKELY(OBJLIFE__GET_IS_SLOW(old)))
			return objlife__get_unless_zero_slow(obj);
		seen = (uint32_t)_InterlockedCompareExchange((volatile long *)&obj->_count,
							     (long)(old + 1), (long)old);
		if (seen == old)
			return true;
		old = seen;
	}
}

#endif /* inline fast path */

#if defined(OBJLIFE__INLINE_PATH) && !defined(OBJLIFE_NO_INLINE)
/* A function-like macro over the exported name: calls inline, while
 * `&objlife_get` still names the exported function. */
#define objlife_get(obj)             objlife__get_inline(obj)
#define objlife_put(obj)             objlife__put_inline(obj)
#define objlife_get_unless_zero(obj) objlife__get_unless_zero_inline(obj)
#endif

/* objlife_ops_of() inline, so that a type test (`objlife_ops_of(o) ==
 * &string_ops`) costs a load, not a call: the ops pointer is the type
 * tag, and a user's struct needs no tag of its own. */
static OBJLIFE__INLINE const struct objlife_ops *objlife__ops_of_inline(const struct objlife *obj)
{
	return obj ? obj->_ops : (const struct objlife_ops *)0;
}
#ifndef OBJLIFE_NO_INLINE
# define objlife_ops_of(obj) objlife__ops_of_inline(obj)
#endif

/* --------------------------------------------------------------------- */
/* Malloc-style allocators (OBJLIFE_DEFINE_MALLOC_ALLOC)                 */
/* --------------------------------------------------------------------- */

/* The alignment any malloc gives: glibc, musl and the BSDs give at least
 * this, and ops->alloc's memory is checked for the alignment asked. */
#define OBJLIFE__MALLOC_ALIGN (2 * sizeof(void *))

/* @mem zeroed (NULL stays NULL), as ops->alloc must return it. */
static OBJLIFE__INLINE void *objlife__zeroed(void *mem, size_t size)
{
	return mem ? memset(mem, 0, size) : mem;
}

/* --------------------------------------------------------------------- */
/* Objects in static storage                                             */
/* --------------------------------------------------------------------- */

/* OBJLIFE_STATIC_INIT's count: as far from 0 as from OBJLIFE_REFCOUNT_MAX,
 * so that gets and puts on a static object stay on the fast path; the
 * slow paths put it back should 2^30 unbalanced ones ever reach an end. */
#define OBJLIFE__STATIC_COUNT 0x40000000u
/* Its _info: static (never released), may_leak (never counted as live)
 * and untracked (never in the leak registry); lib/core.c checks that these
 * are the library's own flag bits. */
#define OBJLIFE__STATIC_INFO  0xc4u

/* --------------------------------------------------------------------- */
/* The function behind a free class                                      */
/* --------------------------------------------------------------------- */

/* The free class behind objlife_auto(name) / __free(name) in
 * <objlife/cleanup.h>: a function the cleanup attribute calls with a
 * pointer to the variable. It is here, not there, because
 * OBJLIFE_DEFINE_REF_FUNCS defines one: defining it needs no compiler
 * support; using it does. The value is named _T inside @free, as in the
 * kernel. */
#ifdef OBJLIFE_SHORT_NAMES
/* The kernel's name, which kernel headers define by hand (path.h:
 * `#define __free_path_put path_put`). */
# define OBJLIFE__FREE_FN(name) __free_##name
#else
# define OBJLIFE__FREE_FN(name) objlife__free_##name
#endif
#define OBJLIFE__DEFINE_FREE_FN(name, type, free) \
	OBJLIFE__UNUSED static inline void OBJLIFE__FREE_FN(name)(void *objlife__p) \
	{ OBJLIFE__UNUSED type _T = *(type *)objlife__p; free; }

#ifdef __cplusplus
}
#endif

#endif /* OBJLIFE_INLINE_H */
