/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objlife/platform.h - internal: what the declarations of <objlife.h> need
 * from the compiler and the platform before they can be written. <objlife.h>
 * includes it at its top; never include it yourself.
 *
 * Nothing here is API. OBJLIFE_API marks the exported declarations and is
 * not for consumers (define OBJLIFE_STATIC when linking the static library
 * on Windows); the OBJLIFE__ names may change with the soname. The rest of
 * the machinery (layout checks, the inline fast path) is in
 * <objlife/inline.h>, which <objlife.h> includes at its end.
 */
/* Only through <objlife.h>, which defines OBJLIFE_H first; the #elif
 * keeps a direct include down to this one error. */
#ifndef OBJLIFE_H
# error "<objlife/platform.h> is internal: include <objlife.h> instead"
#elif !defined(OBJLIFE_PLATFORM_H)
#define OBJLIFE_PLATFORM_H

/* POSIX threads, for objlife_put_mutex()'s pthread_mutex_t. Windows has
 * them only through a port (mingw-w64's winpthreads, which the library is
 * built with there). Where there is none (MSVC), objlife_put_mutex() is
 * left out and the rest of the API is the same. OBJLIFE__TEST_NO_PTHREAD
 * pretends to be such a system, for the test of that case. */
#if defined(OBJLIFE__TEST_NO_PTHREAD)
#elif !defined(_WIN32) || defined(__MINGW32__) || defined(__CYGWIN__)
# define OBJLIFE__HAVE_PTHREAD 1
#elif defined(__has_include)
# if __has_include(<pthread.h>)
#  define OBJLIFE__HAVE_PTHREAD 1
# endif
#endif

#ifdef OBJLIFE__HAVE_PTHREAD
# include <pthread.h>
#endif

/* The export marker: the library is built with -fvisibility=hidden, and
 * only what carries this is exported (dllexport/dllimport on Windows,
 * nothing for a static link there). */
#if defined(_WIN32) && !defined(__CYGWIN__)
# if defined(OBJLIFE_BUILDING_LIBRARY) && defined(DLL_EXPORT)
#  define OBJLIFE_API __declspec(dllexport)
# elif defined(OBJLIFE_BUILDING_LIBRARY) || defined(OBJLIFE_STATIC)
#  define OBJLIFE_API
# else
#  define OBJLIFE_API __declspec(dllimport)
# endif
#elif defined(__GNUC__)
# define OBJLIFE_API __attribute__((visibility("default")))
#else
# define OBJLIFE_API
#endif

/* Attributes of declarations. UNUSED: the static inline helpers the
 * DEFINE macros write cost nothing and warn about nothing when not
 * called. WARN_UNUSED: a result that must be used, such as whether
 * objlife_get_unless_zero() took a reference. Nothing, where the compiler
 * has no GNU attributes. */
#if defined(__GNUC__)
# define OBJLIFE__UNUSED        __attribute__((unused))
# define OBJLIFE__WARN_UNUSED   __attribute__((warn_unused_result))
#else
# define OBJLIFE__UNUSED
# define OBJLIFE__WARN_UNUSED
#endif

#endif /* OBJLIFE_PLATFORM_H */
