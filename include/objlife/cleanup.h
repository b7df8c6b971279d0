/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objlife/cleanup.h - scope-based cleanup and lock guards (GCC and Clang).
 *
 * The compiler runs the unwind: a variable marked objlife_auto(name) is
 * freed by the free class `name` when it goes out of scope, however the
 * scope is left (end of block, return, break, continue); a guard holds a
 * lock from its definition to the end of its scope. An init that acquires
 * six resources needs no goto and no unwind labels. The spellings are the
 * Linux kernel's (include/linux/cleanup.h, as of Linux 6.18), with an
 * objlife_ prefix; define OBJLIFE_SHORT_NAMES before the include for the
 * kernel's own names: then every public macro of the kernel's header
 * exists, generates the names the kernel generates (__free_<name>,
 * class_<name>_t, _constructor, _destructor, _lock_ptr, _lock_err,
 * _is_conditional), and kernel code compiles and runs unchanged. Define
 * OBJLIFE_NO_SHORT_GUARDS too when that code defines its own `mutex` or
 * `spinlock` guard: the pthread guards then keep only their pthread_ names.
 *
 * Rules of use
 *
 *  1. Cleanups run in the reverse order of the DEFINITIONS of their
 *     variables, not of the assignments. The last variable defined is the
 *     first one freed.
 *
 *  2. Define and assign in one statement, after the guard that the cleanup
 *     depends on. A variable defined `= NULL` at the top of the function and
 *     assigned later is freed in the order of its definition, which is
 *     rarely the order you need. Here the cleanup of `it` must hold
 *     list_lock:
 *
 *       Wrong: `it` was defined before the guard, so it is freed AFTER the
 *       unlock, and item_remove() touches the list without the lock:
 *
 *         struct item *it objlife_auto(item_remove) = NULL;
 *         objlife_guard(mutex)(&list_lock);
 *         it = item_add(list);
 *         if (!item_ready(it))
 *                 return -EAGAIN;        // unlock, then item_remove(it)
 *
 *       Right: defined and assigned after the guard, so it is freed first,
 *       with the lock still held:
 *
 *         objlife_guard(mutex)(&list_lock);
 *         struct item *it objlife_auto(item_remove) = item_add(list);
 *         if (!item_ready(it))
 *                 return -EAGAIN;        // item_remove(it), then unlock
 *
 *     And never leave a cleanup variable uninitialised: its cleanup would
 *     run on whatever the stack held. Definitions therefore sit in the
 *     middle of blocks: drop -Wdeclaration-after-statement for such code,
 *     as the kernel did.
 *
 *  3. Never mix goto and these helpers in one function. A goto that jumps
 *     forward over a cleanup variable's definition is refused by Clang, but
 *     GCC accepts it and then runs the cleanup on an uninitialised value.
 *     Convert the whole function, or none of it.
 *
 *     A `case` or `default` label is a jump target too: the switch jumps to
 *     it. A guard or cleanup variable defined under one label, without
 *     braces, is in scope down to the end of the switch, so the jump to any
 *     later label enters its scope past its initialisation, and leaving
 *     the switch then unlocks or frees whatever the stack held. Clang
 *     refuses it; GCC says nothing at -Wall -Wextra (only
 *     -Wjump-misses-init warns). Give such a case body its own braces:
 *
 *       Wrong: `case 2` jumps into the guard's scope; for op == 2 the
 *       guard's cleanup unlocks an uninitialised pointer:
 *
 *         switch (op) {
 *         case 1:
 *                 objlife_guard(mutex)(&stats_lock);
 *                 hits++;
 *                 break;
 *         case 2:
 *                 misses++;
 *                 break;
 *         }
 *
 *       Right: the braces end the guard's scope before the next label:
 *
 *         switch (op) {
 *         case 1: {
 *                 objlife_guard(mutex)(&stats_lock);
 *                 hits++;
 *                 break;
 *         }                                  // unlocked here
 *         case 2:
 *                 misses++;
 *                 break;
 *         }
 *
 *  4. objlife_scoped_guard() and objlife_scoped_cond_guard() are a loop
 *     that runs once: `break` and `continue` in their body leave the
 *     guard's scope (the lock is released) and go on after it; they never
 *     reach an enclosing loop. The same holds for objlife_scoped_cond_guard()'s
 *     fail statement, which runs inside that loop: `break` or `continue` as
 *     fail does nothing more than an empty statement. Use `return` or an
 *     expression (`ret = -EBUSY`) as fail. To leave an enclosing loop, set
 *     a flag and test it after the guarded block, or hold the lock with
 *     objlife_guard() in a plain block instead.
 *
 *       Wrong: meant to stop at the first busy item, but `break` only
 *       leaves the guard's loop: the busy item is counted as done and the
 *       loop goes on to the next one:
 *
 *         for (i = 0; i < n; i++) {
 *                 objlife_scoped_cond_guard(mutex_try, break, &q[i].lock)
 *                         q[i].hits++;
 *                 done++;
 *         }
 *
 *       Right: the fail statement sets a flag that the loop tests:
 *
 *         for (i = 0; i < n; i++) {
 *                 bool busy = false;
 *
 *                 objlife_scoped_cond_guard(mutex_try, busy = true, &q[i].lock)
 *                         q[i].hits++;
 *                 if (busy)
 *                         break;
 *                 done++;
 *         }
 *
 *  5. Hand ownership out with objlife_steal() (or objlife_return_ptr(),
 *     objlife_retain_and_null()): it leaves NULL behind, and free classes
 *     test for NULL, so nothing is freed. Conditional guards (trylock) are
 *     for objlife_acquire() and the scoped forms, which tell you whether
 *     the lock was taken; objlife_guard() cannot.
 *
 *  6. Cleanups do not run on longjmp(), exit() or abort(): only when the
 *     scope is left by the language's own control flow.
 *
 * Free, exit, lock and unlock expressions name the value _T, as in the
 * kernel. A conditional guard's lock expression counts as acquired when it
 * is true; with the optional cond argument its int result is named _RET and
 * cond decides. A failed acquire keeps its -errno in the guard, as an error
 * pointer in the kernel's encoding, for objlife_acquire_err(). The prefixed OBJLIFE_DEFINE_* macros are written with a
 * trailing semicolon; the kernel spellings, as in the kernel, without one.
 * Everything the DEFINE macros generate is marked unused, so defining a
 * class you do not use costs nothing and warns about nothing.
 *
 * The header needs GCC or Clang; it is clean in their GNU and strict ISO C
 * modes, and also compiles as C++, for C headers that define classes (C++
 * code proper has destructors). Names that start with objlife__ /
 * OBJLIFE__ are internal and may change.
 */
#ifndef OBJLIFE_CLEANUP_H
#define OBJLIFE_CLEANUP_H

#include <objlife.h>

#include <errno.h>          /* EBUSY, what lock_err reports for a NULL guard */
#include <stdint.h>
#include <stdlib.h>
#ifdef OBJLIFE__HAVE_PTHREAD
# include <pthread.h>
# include <unistd.h>       /* _POSIX_READER_WRITER_LOCKS, _POSIX_SPIN_LOCKS */
#elif defined(_WIN32)
# include <windows.h>      /* SRWLOCK, for the guards */
#endif

/* The whole header is the cleanup attribute; without it nothing here can
 * work. OBJLIFE__TEST_NO_CLEANUP is for the test of this message only. */
#if defined(OBJLIFE__TEST_NO_CLEANUP)
# define OBJLIFE__NO_CLEANUP 1
#elif defined(__has_attribute)
# if !__has_attribute(cleanup)
#  define OBJLIFE__NO_CLEANUP 1
# endif
#elif !defined(__GNUC__) || __GNUC__ < 4
# define OBJLIFE__NO_CLEANUP 1
#endif
#ifdef OBJLIFE__NO_CLEANUP
# error "<objlife/cleanup.h> needs a compiler with __attribute__((cleanup)) (GCC or Clang). The core API of <objlife.h> works without it: objlife_alloc, objlife_get, objlife_put, objlife_put_mutex, objlife_get_unless_zero and OBJLIFE_DEFINE_REF_FUNCS (call prefix_put yourself)."
#endif

/* Two levels, so that __COUNTER__ is expanded before it is pasted. */
#define OBJLIFE__PASTE2(a, b) a##b
#define OBJLIFE__PASTE(a, b) OBJLIFE__PASTE2(a, b)
/* A name of its own for each use: nested guards then neither shadow each
 * other (-Wshadow) nor define the same label twice. */
#define OBJLIFE__UNIQUE(prefix) OBJLIFE__PASTE(prefix, __COUNTER__)

/* ISO C forbids a stray ';' at file scope (-pedantic says so), so every
 * prefixed DEFINE macro ends with a declaration that the caller's ';'
 * completes: a typedef no one uses, named after what it ends. */
#define OBJLIFE__TAKE_SEMICOLON(kind, name) \
	typedef int objlife__##kind##_##name##_semicolon

/* The names a class generates. With OBJLIFE_SHORT_NAMES they are the
 * kernel's, because kernel headers spell them by hand (file.h writes
 * class_fd_prepare_t and its destructor itself); otherwise they stay in
 * the library's namespace. The free class's function is named the same way
 * in <objlife.h>, which picks by the same macro when it is included. */
#ifdef OBJLIFE_SHORT_NAMES
# define OBJLIFE__CLASS_NAME(name, what) class_##name##_##what
/* Again here, for a file that defined OBJLIFE_SHORT_NAMES only after it
 * had included <objlife.h>. */
# undef OBJLIFE__FREE_FN
# define OBJLIFE__FREE_FN(name) __free_##name
#else
# define OBJLIFE__CLASS_NAME(name, what) objlife__class_##name##_##what
#endif

/* Error pointers, the kernel's encoding: the last OBJLIFE__MAX_ERRNO
 * addresses stand for -1 .. -4095, which no object occupies, so a guard's
 * one pointer says "held", "not taken" (NULL) or "failed with -errno".
 * Kernel code's own ERR_PTR()/IS_ERR()/PTR_ERR() read them unchanged. */
#define OBJLIFE__MAX_ERRNO 4095
#define OBJLIFE__ERR_PTR(err) ((void *)(intptr_t)(err))
#define OBJLIFE__IS_ERR_PTR(p) \
	((uintptr_t)(p) >= (uintptr_t)-OBJLIFE__MAX_ERRNO)
/* True for NULL too: subtracting 1 wraps NULL around to the top, among
 * the error values, so one comparison says "nothing to unlock". */
#define OBJLIFE__GUARD_IS_ERR(p) \
	((uintptr_t)(p) - 1 >= (uintptr_t)-OBJLIFE__MAX_ERRNO - 1)
/* What a failed conditional acquire leaves in the guard: ERR_PTR(_RET) for
 * a -errno result, as the kernel does; NULL (read back as -EBUSY) for any
 * other failing result, such as trylock's 0 or a positive pthread error,
 * which the kernel's encoding would mistake for a held lock. */
#define OBJLIFE__FAILED_LOCK(ret) \
	((ret) < 0 && (ret) >= -OBJLIFE__MAX_ERRNO ? OBJLIFE__ERR_PTR(ret) : NULL)

/* --------------------------------------------------------------------- */
/* Ownership: free classes                                               */
/* --------------------------------------------------------------------- */

/**
 * OBJLIFE_DEFINE_FREE(name, type, free); - define the free class @name.
 *
 * @free is a statement run with the variable's value as `type _T` when a
 * variable marked objlife_auto(name) goes out of scope. Test _T for NULL
 * in it (`if (_T) thing_free(_T)`): after objlife_steal() the variable is
 * NULL, and the test is what lets the compiler drop the call entirely.
 * The generated function is static inline and marked unused.
 * Kernel spelling: DEFINE_FREE(name, type, free), without the semicolon;
 * the function is then __free_<name>, as in the kernel, so that
 * `#define __free_path_put path_put` (path.h) names a free class by hand.
 */
#define OBJLIFE_DEFINE_FREE(name, type, free_stmt) \
	OBJLIFE__DEFINE_FREE_FN(name, type, free_stmt) \
	OBJLIFE__TAKE_SEMICOLON(free, name)

/**
 * objlife_auto(name) - variable attribute: free the variable with the free
 * class @name at the end of its scope.
 *
 *   char *buf objlife_auto(free) = malloc(n);
 *   struct session *s objlife_auto(session_put) = session_new(...);
 *
 * The variable owns its value until objlife_steal() takes it out. Always
 * initialise it in the same statement (rule 2). It is marked unused: one
 * that only holds a value for the scope is not a mistake, and GCC and
 * Clang then agree.
 * Kernel spelling: __free(name).
 */
#define objlife_auto(name) OBJLIFE__UNUSED __attribute__((cleanup(OBJLIFE__FREE_FN(name))))

/* Returns its argument, but the caller must use the result: the attribute
 * cannot sit on a macro, so objlife_steal() passes through this function.
 * GCC warns even through the casts; Clang does not see through them. */
OBJLIFE__UNUSED OBJLIFE__WARN_UNUSED static inline const volatile void *
objlife__steal_result_must_be_used(const volatile void *p)
{
	return p;
}

/**
 * objlife_get_and_null(p, nullvalue) - the value of the lvalue @p, which is
 * set to @nullvalue; @p is evaluated once. For cleanup variables whose
 * "empty" value is not NULL: a file descriptor's is -1 or -EBADF.
 * Kernel spelling: __get_and_null(p, nullvalue).
 */
#define objlife_get_and_null(p, nullvalue) __extension__ ({ \
		__typeof__(p) *objlife__pp = &(p); \
		__typeof__(p) objlife__val = *objlife__pp; \
		*objlife__pp = (nullvalue); \
		objlife__val; \
	})

/**
 * objlife_steal(p) - take the value out of the cleanup variable @p.
 *
 * Returns @p's value, now owned by the caller, and leaves NULL in @p, so
 * its cleanup frees nothing. With GCC, ignoring the result is a warning
 * (it would leak). Kernel spelling: no_free_ptr(p).
 */
#define objlife_steal(p) \
	((__typeof__(p))(uintptr_t)objlife__steal_result_must_be_used( \
		objlife_get_and_null(p, NULL)))

/**
 * objlife_return_ptr(p) - `return objlife_steal(p)`: hand @p to the caller.
 * Kernel spelling: return_ptr(p).
 */
#define objlife_return_ptr(p) return objlife_steal(p)

/**
 * objlife_retain_and_null(p) - keep @p's value alive but stop its cleanup.
 *
 * For when ownership has already moved somewhere the compiler cannot see
 * (the pointer was stored in a table, a registration call took it): sets
 * @p to NULL and discards the value. Kernel spelling: retain_and_null_ptr(p).
 */
#define objlife_retain_and_null(p) ((void)objlife_get_and_null(p, NULL))

/* --------------------------------------------------------------------- */
/* Classes: a constructor and a destructor for one variable              */
/* --------------------------------------------------------------------- */

#define OBJLIFE__DEFINE_CLASS(name, type, exit_stmt, init, ...) \
	typedef type OBJLIFE__CLASS_NAME(name, t); \
	OBJLIFE__UNUSED static inline void \
	OBJLIFE__CLASS_NAME(name, destructor)(type *objlife__p) \
	{ OBJLIFE__UNUSED type _T = *objlife__p; exit_stmt; } \
	OBJLIFE__UNUSED static inline type \
	OBJLIFE__CLASS_NAME(name, constructor)(__VA_ARGS__) \
	{ type objlife__t = init; return objlife__t; }

/**
 * OBJLIFE_DEFINE_CLASS(name, type, exit, init, args...); - define a class.
 *
 * OBJLIFE_CLASS(name, var)(values) defines `type var`, initialised with the
 * expression @init, in which the parameters @args (a parameter list, `void`
 * for none) hold @values. When var goes out of scope, the statement @exit
 * runs with var's value named _T. Everything generated is static inline and
 * marked unused. Kernel spelling: DEFINE_CLASS(...), without the semicolon;
 * it generates class_<name>_t, class_<name>_constructor and
 * class_<name>_destructor.
 *
 *   OBJLIFE_DEFINE_CLASS(fd, int, if (_T >= 0) close(_T),
 *                        open(path, flags), const char *path, int flags);
 *   OBJLIFE_CLASS(fd, cfg)("/etc/app.conf", O_RDONLY);
 */
#define OBJLIFE_DEFINE_CLASS(name, type, exit_stmt, init, ...) \
	OBJLIFE__DEFINE_CLASS(name, type, exit_stmt, init, __VA_ARGS__) \
	OBJLIFE__TAKE_SEMICOLON(class, name)

/* name##ext: the type and destructor of @name, another constructor. */
#define OBJLIFE__EXTEND_CLASS(name, ext, init, ...) \
	typedef OBJLIFE__CLASS_NAME(name, t) OBJLIFE__CLASS_NAME(name##ext, t); \
	OBJLIFE__UNUSED static inline void \
	OBJLIFE__CLASS_NAME(name##ext, destructor)(OBJLIFE__CLASS_NAME(name, t) *objlife__p) \
	{ OBJLIFE__CLASS_NAME(name, destructor)(objlife__p); } \
	OBJLIFE__UNUSED static inline OBJLIFE__CLASS_NAME(name, t) \
	OBJLIFE__CLASS_NAME(name##ext, constructor)(__VA_ARGS__) \
	{ OBJLIFE__CLASS_NAME(name, t) objlife__t = init; return objlife__t; }

/**
 * OBJLIFE_EXTEND_CLASS(name, ext, init, args...); - define the class
 * name##ext: the type and exit of class @name, constructed by @init from
 * @args. Kernel spelling: EXTEND_CLASS(...), without the semicolon.
 */
#define OBJLIFE_EXTEND_CLASS(name, ext, init, ...) \
	OBJLIFE__EXTEND_CLASS(name, ext, init, __VA_ARGS__) \
	OBJLIFE__TAKE_SEMICOLON(class, name##ext)

/**
 * OBJLIFE_CLASS(name, var)(args) - define var of class @name, constructed
 * from @args, destroyed at the end of its scope. Kernel spelling: CLASS.
 */
#define OBJLIFE_CLASS(name, var) \
	OBJLIFE__CLASS_NAME(name, t) var OBJLIFE__UNUSED \
	__attribute__((cleanup(OBJLIFE__CLASS_NAME(name, destructor)))) = \
	OBJLIFE__CLASS_NAME(name, constructor)

/**
 * OBJLIFE_CLASS_INIT(name, var, init) - define var of class @name,
 * initialised with the expression @init instead of the class's
 * constructor; destroyed at the end of its scope like any other. For
 * classes whose construction is a macro (file.h's FD_PREPARE()). Kernel
 * spelling: CLASS_INIT(name, var, init).
 */
#define OBJLIFE_CLASS_INIT(name, var, init) \
	OBJLIFE__CLASS_NAME(name, t) var OBJLIFE__UNUSED \
	__attribute__((cleanup(OBJLIFE__CLASS_NAME(name, destructor)))) = (init)

/* --------------------------------------------------------------------- */
/* Guards: a class that holds a lock                                     */
/* --------------------------------------------------------------------- */

/* A guard is a class whose value holds the lock pointer: NULL or an error
 * pointer when a conditional acquire failed. Three more names per guard:
 *  - is_conditional, an enum constant, so that objlife_scoped_cond_guard()
 *    can refuse an unconditional guard at compile time and
 *    objlife_scoped_guard()'s loop condition is a constant true for
 *    unconditional guards;
 *  - lock_ptr(&var), the lock pointer or NULL when not held;
 *  - lock_err(&var), 0 when held, else the -errno (NULL reads as -EBUSY).
 * @where is how to reach the lock pointer from _T, a pointer to the class
 * value. The uintptr_t casts accept qualified pointer types without
 * -Wcast-qual noise. */
#define OBJLIFE__DEFINE_IS_COND(name, is_cond) \
	enum { OBJLIFE__CLASS_NAME(name, is_conditional) = (is_cond) }
#define OBJLIFE__DEFINE_GUARD_LOCK_PTR(name, where) \
	OBJLIFE__UNUSED static inline void * \
	OBJLIFE__CLASS_NAME(name, lock_ptr)(OBJLIFE__CLASS_NAME(name, t) *_T) \
	{ \
		void *objlife__ptr = (void *)(uintptr_t)*(where); \
		return OBJLIFE__IS_ERR_PTR(objlife__ptr) ? NULL : objlife__ptr; \
	} \
	OBJLIFE__UNUSED static inline int \
	OBJLIFE__CLASS_NAME(name, lock_err)(OBJLIFE__CLASS_NAME(name, t) *_T) \
	{ \
		uintptr_t objlife__v = (uintptr_t)*(where); \
		if (!objlife__v) \
			return -EBUSY; \
		return OBJLIFE__IS_ERR_PTR(objlife__v) ? (int)(intptr_t)objlife__v : 0; \
	}

/* lock_ptr and lock_err of name##ext are those of @name. */
#define OBJLIFE__DEFINE_GUARD_EXT_PTR(name, ext) \
	OBJLIFE__UNUSED static inline void * \
	OBJLIFE__CLASS_NAME(name##ext, lock_ptr)(OBJLIFE__CLASS_NAME(name, t) *_T) \
	{ return OBJLIFE__CLASS_NAME(name, lock_ptr)(_T); } \
	OBJLIFE__UNUSED static inline int \
	OBJLIFE__CLASS_NAME(name##ext, lock_err)(OBJLIFE__CLASS_NAME(name, t) *_T) \
	{ return OBJLIFE__CLASS_NAME(name, lock_err)(_T); }

#define OBJLIFE__DEFINE_CLASS_IS_GUARD(name) \
	OBJLIFE__DEFINE_IS_COND(name, 0); \
	OBJLIFE__DEFINE_GUARD_LOCK_PTR(name, _T)
#define OBJLIFE__DEFINE_CLASS_IS_COND_GUARD(name) \
	OBJLIFE__DEFINE_IS_COND(name, 1); \
	OBJLIFE__DEFINE_GUARD_LOCK_PTR(name, _T)

/**
 * OBJLIFE_DEFINE_CLASS_IS_GUARD(name); and
 * OBJLIFE_DEFINE_CLASS_IS_COND_GUARD(name); - make the class @name, whose
 * value is a lock pointer (NULL or an error pointer when not held), usable
 * as a guard (unconditional or conditional): they define its lock_ptr,
 * lock_err and is_conditional. For classes written by hand. Kernel
 * spellings: DEFINE_CLASS_IS_GUARD(name), DEFINE_CLASS_IS_COND_GUARD(name).
 */
#define OBJLIFE_DEFINE_CLASS_IS_GUARD(name) \
	OBJLIFE__DEFINE_CLASS_IS_GUARD(name) \
	OBJLIFE__TAKE_SEMICOLON(is_guard, name)
#define OBJLIFE_DEFINE_CLASS_IS_COND_GUARD(name) \
	OBJLIFE__DEFINE_CLASS_IS_COND_GUARD(name) \
	OBJLIFE__TAKE_SEMICOLON(is_guard, name)

#define OBJLIFE__DEFINE_GUARD(name, type, lock_stmt, unlock_stmt) \
	OBJLIFE__DEFINE_CLASS(name, type, \
			      if (!OBJLIFE__GUARD_IS_ERR(_T)) { unlock_stmt; }, \
			      __extension__ ({ lock_stmt; _T; }), type _T) \
	OBJLIFE__DEFINE_CLASS_IS_GUARD(name)

/**
 * OBJLIFE_DEFINE_GUARD(name, type, lock, unlock); - define the guard @name.
 *
 * @type is a pointer type; @lock and @unlock are statements with the
 * pointer named _T. The guard's constructor runs @lock and keeps _T; its
 * destructor runs @unlock unless _T is NULL or an error pointer.
 * Everything generated is static inline and marked unused. Kernel
 * spelling: DEFINE_GUARD(...), without the semicolon.
 *
 *   OBJLIFE_DEFINE_GUARD(mutex, pthread_mutex_t *,
 *                        pthread_mutex_lock(_T), pthread_mutex_unlock(_T));
 */
#define OBJLIFE_DEFINE_GUARD(name, type, lock_stmt, unlock_stmt) \
	OBJLIFE__DEFINE_GUARD(name, type, lock_stmt, unlock_stmt) \
	OBJLIFE__TAKE_SEMICOLON(guard, name)

/* The conditional variant name##ext of the guard @name: same type and
 * unlock; when @cond says @lock failed, the constructor keeps the failure
 * (OBJLIFE__FAILED_LOCK) instead of _T, so that nothing is unlocked and
 * lock_err tells why. The casts through uintptr_t make it C++ too. */
#define OBJLIFE__DEFINE_GUARD_COND_4(name, ext, lock_expr, cond) \
	OBJLIFE__DEFINE_IS_COND(name##ext, 1); \
	OBJLIFE__EXTEND_CLASS(name, ext, __extension__ ({ \
		void *objlife__r = (void *)(uintptr_t)_T; \
		OBJLIFE__UNUSED int _RET = (lock_expr); \
		if (_T && !(cond)) \
			objlife__r = OBJLIFE__FAILED_LOCK(_RET); \
		(OBJLIFE__CLASS_NAME(name, t))(uintptr_t)objlife__r; \
	}), OBJLIFE__CLASS_NAME(name, t) _T) \
	OBJLIFE__DEFINE_GUARD_EXT_PTR(name, ext)
#define OBJLIFE__DEFINE_GUARD_COND_3(name, ext, lock_expr) \
	OBJLIFE__DEFINE_GUARD_COND_4(name, ext, lock_expr, _RET)
/* Picks the _3 or _4 form by counting arguments; the two spare `~` keep
 * the `...` non-empty, which C before C2x requires. */
#define OBJLIFE__ARG5(a1, a2, a3, a4, a5, ...) a5
#define OBJLIFE__DEFINE_GUARD_COND(...) \
	OBJLIFE__ARG5(__VA_ARGS__, OBJLIFE__DEFINE_GUARD_COND_4, \
		      OBJLIFE__DEFINE_GUARD_COND_3, ~, ~)(__VA_ARGS__)

/**
 * OBJLIFE_DEFINE_GUARD_COND(name, ext, lock[, cond]); - define the
 * conditional guard name##ext on top of the guard @name.
 *
 * Its acquire can fail. Without @cond, the int value of the expression
 * @lock is true when the lock was taken. With @cond, that value is named
 * _RET and @cond is true when the lock was taken (`_RET == 0` for
 * functions that return 0 or -errno). When it was not, the guard holds
 * ERR_PTR(_RET) if _RET is a -errno, else NULL, and unlocks nothing;
 * objlife_acquire_err() returns that -errno, or -EBUSY for NULL. Kernel
 * spelling: DEFINE_GUARD_COND(...), without the semicolon.
 *
 *   OBJLIFE_DEFINE_GUARD_COND(mutex, _try, -pthread_mutex_trylock(_T), _RET == 0);
 *   objlife_scoped_guard(mutex_try, &lock) { ... }
 */
#define OBJLIFE_DEFINE_GUARD_COND(name, ext, ...) \
	OBJLIFE__DEFINE_GUARD_COND(name, ext, __VA_ARGS__) \
	OBJLIFE__TAKE_SEMICOLON(guard, name##ext)

/* Lock guards: the class value is a struct whose member `lock` is the lock
 * pointer, followed by the caller's own members (the saved interrupt flags
 * of spin_lock_irqsave); _T points to that struct. The member is named
 * `lock` because kernel code reads it by that name (_T->lock). */
#define OBJLIFE__DEFINE_UNLOCK_GUARD(name, type, unlock_stmt, ...) \
	typedef struct { type *lock; __VA_ARGS__ } OBJLIFE__CLASS_NAME(name, t); \
	OBJLIFE__UNUSED static inline void \
	OBJLIFE__CLASS_NAME(name, destructor)(OBJLIFE__CLASS_NAME(name, t) *_T) \
	{ if (!OBJLIFE__GUARD_IS_ERR(_T->lock)) { unlock_stmt; } } \
	OBJLIFE__DEFINE_GUARD_LOCK_PTR(name, &_T->lock)
/* The struct is zeroed whole and then given its lock pointer: an
 * initialiser list would warn about the caller's members under -Wextra,
 * and C++ before C++20 has no designated initialisers. */
#define OBJLIFE__LOCK_GUARD_DECL(name, var) \
	OBJLIFE__CLASS_NAME(name, t) var; \
	OBJLIFE__UNUSED OBJLIFE__CLASS_NAME(name, t) *_T = &var
#define OBJLIFE__LOCK_GUARD_INIT(var, l) \
	__builtin_memset(&var, 0, sizeof(var)); \
	var.lock = (l)
#define OBJLIFE__DEFINE_LOCK_GUARD_1_CTOR(name, type, lock_stmt) \
	OBJLIFE__UNUSED static inline OBJLIFE__CLASS_NAME(name, t) \
	OBJLIFE__CLASS_NAME(name, constructor)(type *objlife__l) \
	{ \
		OBJLIFE__LOCK_GUARD_DECL(name, objlife__t); \
		OBJLIFE__LOCK_GUARD_INIT(objlife__t, objlife__l); \
		lock_stmt; \
		return objlife__t; \
	}
/* No lock object (RCU): the pointer is 1, never NULL nor an error, so that
 * the guard counts as held. */
#define OBJLIFE__DEFINE_LOCK_GUARD_0_CTOR(name, lock_stmt) \
	OBJLIFE__UNUSED static inline OBJLIFE__CLASS_NAME(name, t) \
	OBJLIFE__CLASS_NAME(name, constructor)(void) \
	{ \
		OBJLIFE__LOCK_GUARD_DECL(name, objlife__t); \
		OBJLIFE__LOCK_GUARD_INIT(objlife__t, (void *)1); \
		lock_stmt; \
		return objlife__t; \
	}

/* The caller's members come as extra arguments, possibly none: the forms
 * with and without them are picked by counting, as for the _COND forms,
 * because an empty member list would leave a stray ';' in the struct. */
#define OBJLIFE__ARG6(a1, a2, a3, a4, a5, a6, ...) a6
#define OBJLIFE__LOCK_GUARD_STRUCT_M(name, type, unlock_stmt, ...) \
	OBJLIFE__DEFINE_UNLOCK_GUARD(name, type, unlock_stmt, __VA_ARGS__;)
#define OBJLIFE__LOCK_GUARD_STRUCT_0(name, type, unlock_stmt) \
	OBJLIFE__DEFINE_UNLOCK_GUARD(name, type, unlock_stmt, )
#define OBJLIFE__LOCK_GUARD_STRUCT(name, type, ...) \
	OBJLIFE__ARG6(__VA_ARGS__, OBJLIFE__LOCK_GUARD_STRUCT_M, \
		      OBJLIFE__LOCK_GUARD_STRUCT_M, OBJLIFE__LOCK_GUARD_STRUCT_M, \
		      OBJLIFE__LOCK_GUARD_STRUCT_M, OBJLIFE__LOCK_GUARD_STRUCT_0, \
		      ~)(name, type, __VA_ARGS__)

#define OBJLIFE__DEFINE_LOCK_GUARD_1(name, type, lock_stmt, ...) \
	OBJLIFE__DEFINE_IS_COND(name, 0); \
	OBJLIFE__LOCK_GUARD_STRUCT(name, type, __VA_ARGS__) \
	OBJLIFE__DEFINE_LOCK_GUARD_1_CTOR(name, type, lock_stmt)
#define OBJLIFE__DEFINE_LOCK_GUARD_0(name, lock_stmt, ...) \
	OBJLIFE__DEFINE_IS_COND(name, 0); \
	OBJLIFE__LOCK_GUARD_STRUCT(name, void, __VA_ARGS__) \
	OBJLIFE__DEFINE_LOCK_GUARD_0_CTOR(name, lock_stmt)

/**
 * OBJLIFE_DEFINE_LOCK_GUARD_1(name, type, lock, unlock[, members]); and
 * OBJLIFE_DEFINE_LOCK_GUARD_0(name, lock, unlock[, members]); - define the
 * guard @name, whose value is a struct { type *lock; members; }, for locks
 * that need more state than a pointer (`unsigned long flags`) or have no
 * object at all (_0: lock is (void *)1, the guard takes no argument).
 * @lock and @unlock are statements with a pointer to that struct named _T
 * (`_T->lock`, `_T->flags`). Kernel spellings: DEFINE_LOCK_GUARD_1(...),
 * DEFINE_LOCK_GUARD_0(...), without the semicolon.
 *
 *   OBJLIFE_DEFINE_LOCK_GUARD_1(spin_irqsave, struct spin,
 *                               spin_lock_irqsave(_T->lock, _T->flags),
 *                               spin_unlock_irqrestore(_T->lock, _T->flags),
 *                               unsigned long flags);
 */
#define OBJLIFE_DEFINE_LOCK_GUARD_1(name, type, lock_stmt, ...) \
	OBJLIFE__DEFINE_LOCK_GUARD_1(name, type, lock_stmt, __VA_ARGS__) \
	OBJLIFE__TAKE_SEMICOLON(guard, name)
#define OBJLIFE_DEFINE_LOCK_GUARD_0(name, lock_stmt, ...) \
	OBJLIFE__DEFINE_LOCK_GUARD_0(name, lock_stmt, __VA_ARGS__) \
	OBJLIFE__TAKE_SEMICOLON(guard, name)

/* The lock guard's conditional variant: a constructor that takes the type
 * of the member `lock` and keeps the failure there. */
#define OBJLIFE__DEFINE_LOCK_GUARD_1_COND_4(name, ext, lock_expr, cond) \
	OBJLIFE__DEFINE_IS_COND(name##ext, 1); \
	OBJLIFE__EXTEND_CLASS(name, ext, __extension__ ({ \
		OBJLIFE__LOCK_GUARD_DECL(name, objlife__g); \
		OBJLIFE__UNUSED int _RET; \
		OBJLIFE__LOCK_GUARD_INIT(objlife__g, objlife__l); \
		_RET = (lock_expr); \
		if (_T->lock && !(cond)) \
			_T->lock = (__typeof__(_T->lock))(uintptr_t)OBJLIFE__FAILED_LOCK(_RET); \
		objlife__g; \
	}), __typeof__(((OBJLIFE__CLASS_NAME(name, t) *)0)->lock) objlife__l) \
	OBJLIFE__DEFINE_GUARD_EXT_PTR(name, ext)
#define OBJLIFE__DEFINE_LOCK_GUARD_1_COND_3(name, ext, lock_expr) \
	OBJLIFE__DEFINE_LOCK_GUARD_1_COND_4(name, ext, lock_expr, _RET)
#define OBJLIFE__DEFINE_LOCK_GUARD_1_COND(...) \
	OBJLIFE__ARG5(__VA_ARGS__, OBJLIFE__DEFINE_LOCK_GUARD_1_COND_4, \
		      OBJLIFE__DEFINE_LOCK_GUARD_1_COND_3, ~, ~)(__VA_ARGS__)

/**
 * OBJLIFE_DEFINE_LOCK_GUARD_1_COND(name, ext, lock[, cond]); - the
 * conditional variant name##ext of the lock guard @name, with the
 * arguments and results of OBJLIFE_DEFINE_GUARD_COND(). Kernel spelling:
 * DEFINE_LOCK_GUARD_1_COND(...), without the semicolon.
 */
#define OBJLIFE_DEFINE_LOCK_GUARD_1_COND(name, ext, ...) \
	OBJLIFE__DEFINE_LOCK_GUARD_1_COND(name, ext, __VA_ARGS__) \
	OBJLIFE__TAKE_SEMICOLON(guard, name##ext)

/**
 * objlife_guard(name)(args) - hold the guard @name from here to the end of
 * the enclosing scope: `objlife_guard(mutex)(&lock);`. The variable is
 * anonymous; for a conditional guard use objlife_acquire() or the scoped
 * forms, which tell whether the lock was taken. Kernel spelling:
 * guard(name)(args).
 */
#define objlife_guard(name) OBJLIFE_CLASS(name, OBJLIFE__UNIQUE(objlife__guard_))

/**
 * objlife_acquire(name, var)(args) - hold the guard @name, possibly a
 * conditional one, in the variable @var to the end of the scope;
 * objlife_acquire_err(name, &var) is then 0 when the lock is held and the
 * acquire's -errno when it is not (-EBUSY for a plain failed trylock).
 *
 *   objlife_acquire(mutex_intr, lock)(&dev->lock);
 *   if ((err = objlife_acquire_err(mutex_intr, &lock)))
 *           return err;          // -EINTR: not held, nothing unlocked
 *
 * Kernel spellings: ACQUIRE(name, var), ACQUIRE_ERR(name, &var).
 */
#define objlife_acquire(name, var) OBJLIFE_CLASS(name, var)
#define objlife_acquire_err(name, pvar) OBJLIFE__CLASS_NAME(name, lock_err)(pvar)

/**
 * objlife_guard_ptr(name)(&var), objlife_guard_err(name)(&var) and
 * objlife_guard_is_cond(name) - the guard @name's lock_ptr function (the
 * lock pointer, NULL when not held), lock_err function, and whether it is
 * conditional (an integer constant expression). For macros built on
 * guards. Kernel spellings: __guard_ptr(name), __guard_err(name),
 * __is_cond_ptr(name).
 */
#define objlife_guard_ptr(name) OBJLIFE__CLASS_NAME(name, lock_ptr)
#define objlife_guard_err(name) OBJLIFE__CLASS_NAME(name, lock_err)
#define objlife_guard_is_cond(name) OBJLIFE__CLASS_NAME(name, is_conditional)

/* A for loop that runs its body at most once, with the guard defined in
 * the loop's init so that its scope is exactly the body:
 *  - the condition is true while the lock is held; `!is_cond ||` makes it
 *    a constant true for unconditional guards, so the compiler knows the
 *    body runs (no false -Wmaybe-uninitialized, no -Wreturn-type when the
 *    body returns);
 *  - the body is the `else` of an `if (0)` that hides a label holding
 *    `break`, and the loop's increment jumps there: reaching the end of the
 *    body, or `continue`, leaves the loop, as `break` does. */
#define OBJLIFE__SCOPED_GUARD(name, scope, label, ...) \
	for (OBJLIFE_CLASS(name, scope)(__VA_ARGS__); \
	     !objlife_guard_is_cond(name) || objlife_guard_ptr(name)(&scope); \
	     __extension__ ({ goto label; })) \
		if (0) { \
label: \
			break; \
		} else

/**
 * objlife_scoped_guard(name, args...) { body } - run body once with the
 * guard @name held; the lock is released when body is left by any path.
 *
 * For a conditional guard whose acquire failed, body is skipped. `break`
 * and `continue` in body leave body (rule 4). The compiler knows that the
 * body of an unconditional guard runs, so a function may end with a scoped
 * guard whose body returns; GCC sees it only when optimising (at -O0 the
 * cleanup's unwinding hides it and -Wreturn-type complains). Kernel
 * spelling: scoped_guard(name, args...), whose variable is named `scope`
 * as in the kernel (the body may use it); the prefixed form's variable has
 * a name of its own.
 */
#define objlife_scoped_guard(name, ...) \
	OBJLIFE__SCOPED_GUARD(name, OBJLIFE__UNIQUE(objlife__scope_), \
			      OBJLIFE__UNIQUE(objlife__label_), __VA_ARGS__)

/**
 * objlife_scoped_class(name, var, args...) { body } - run body once with
 * @var, of the guard class @name, constructed from @args; as
 * objlife_scoped_guard(), with a variable the body names. Kernel
 * spelling: scoped_class(name, var, args).
 */
#define objlife_scoped_class(name, var, ...) \
	OBJLIFE__SCOPED_GUARD(name, var, OBJLIFE__UNIQUE(objlife__label_), __VA_ARGS__)

/* Fails to compile, naming the mistake, unless the guard is conditional:
 * in C through a bit-field of negative width (C99 has no static assertion
 * in statement position), in C++ through static_assert. */
#ifdef __cplusplus
# define OBJLIFE__REQUIRE_COND_GUARD(name) \
	static_assert(objlife_guard_is_cond(name), \
		      "objlife_scoped_cond_guard_needs_a_conditional_guard")
#else
# define OBJLIFE__REQUIRE_COND_GUARD(name) \
	(void)sizeof(struct { \
		int objlife_scoped_cond_guard_needs_a_conditional_guard \
			: objlife_guard_is_cond(name) ? 1 : -1; })
#endif

/* The same loop, but a failed acquire runs @fail and then leaves. */
#define OBJLIFE__SCOPED_COND_GUARD(name, fail, scope, label, ...) \
	for (OBJLIFE_CLASS(name, scope)(__VA_ARGS__); 1; __extension__ ({ goto label; })) \
		if (!objlife_guard_ptr(name)(&scope)) { \
			OBJLIFE__REQUIRE_COND_GUARD(name); \
			fail; \
label: \
			break; \
		} else

/**
 * objlife_scoped_cond_guard(name, fail, args...) { body } - like
 * objlife_scoped_guard(), but when the acquire fails, the statement @fail
 * runs instead of body, without the lock. What @fail can be:
 *
 *  - `return -EBUSY` (any return): leaves the function, running the
 *    cleanups of the scopes it leaves;
 *  - an expression statement, such as `ret = -EBUSY`, `busy = true` or a
 *    function call: body is skipped and execution goes on after the
 *    guarded statement;
 *  - NOT `break` or `continue` to leave an enclosing loop or switch: @fail
 *    runs inside the guard's own hidden loop (rule 4), so they leave only
 *    that loop, and execution goes on after the guarded statement, just as
 *    after an expression. The kernel's scoped_cond_guard() behaves the
 *    same. Set a flag in @fail and test it after the guard instead;
 *  - not goto (rule 3).
 *
 * @fail is a macro argument: parenthesise a comma in it,
 * `(ret = -EBUSY, busy = true)`.
 *
 * Only for conditional guards: with an unconditional one it fails to
 * compile. Kernel spelling: scoped_cond_guard(name, fail, args...), whose
 * variable is named `scope`.
 */
#define objlife_scoped_cond_guard(name, fail, ...) \
	OBJLIFE__SCOPED_COND_GUARD(name, fail, OBJLIFE__UNIQUE(objlife__scope_), \
				   OBJLIFE__UNIQUE(objlife__label_), __VA_ARGS__)

/* --------------------------------------------------------------------- */
/* Ready-made free classes and guards                                    */
/* --------------------------------------------------------------------- */

/** The free class `free`: libc's free(). `char *s objlife_auto(free) = strdup(x);` */
OBJLIFE_DEFINE_FREE(free, void *, if (_T) free(_T));

/** The free class `objlife_put`: drops one reference on a struct objlife *.
 *  For your own types, OBJLIFE_DEFINE_REF_FUNCS() defines prefix_put. */
OBJLIFE_DEFINE_FREE(objlife_put, struct objlife *, if (_T) objlife_put(_T));

/** The guard `objlife_ref`: holds one more reference on a struct objlife *
 *  for the scope, so the object outlives it even if others drop theirs.
 *  `objlife_guard(objlife_ref)(&s->ref);` */
OBJLIFE_DEFINE_GUARD(objlife_ref, struct objlife *, objlife_get(_T), objlife_put(_T));

#ifdef OBJLIFE__HAVE_PTHREAD
/** The guard `pthread_mutex`: pthread_mutex_lock() / pthread_mutex_unlock()
 *  on a pthread_mutex_t *. The conditional guard `pthread_mutex_try` takes
 *  the lock only if pthread_mutex_trylock() returns 0; when it does not,
 *  objlife_acquire_err() returns its error, negated (-EBUSY). The lock's
 *  errors, which only error-checking and robust mutexes report, are not
 *  looked at: guard those with a conditional guard of your own. */
OBJLIFE_DEFINE_GUARD(pthread_mutex, pthread_mutex_t *,
		     (void)pthread_mutex_lock(_T), (void)pthread_mutex_unlock(_T));
/* Negated, so that the failure is a -errno, which the guard keeps. */
OBJLIFE_DEFINE_GUARD_COND(pthread_mutex, _try, -pthread_mutex_trylock(_T), _RET == 0);

/* Read-write locks and spinlocks are declared by <pthread.h> only in a
 * POSIX compilation environment: strict ISO modes (-std=c11) hide them
 * unless _POSIX_C_SOURCE says otherwise, and some systems lack spinlocks. */
#if !defined(__STRICT_ANSI__) || defined(_GNU_SOURCE) || \
	(defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 200112L) || \
	(defined(_XOPEN_SOURCE) && _XOPEN_SOURCE >= 600)
# define OBJLIFE__POSIX_2001 1
#endif

#if defined(OBJLIFE__POSIX_2001) && defined(_POSIX_READER_WRITER_LOCKS) && \
	_POSIX_READER_WRITER_LOCKS > 0
# define OBJLIFE__HAVE_RWLOCK 1
/** The guards `pthread_rwlock_read` and `pthread_rwlock_write`:
 *  pthread_rwlock_rdlock() or pthread_rwlock_wrlock(), then
 *  pthread_rwlock_unlock(), on a pthread_rwlock_t *. Defined where
 *  <pthread.h> declares them. */
OBJLIFE_DEFINE_GUARD(pthread_rwlock_read, pthread_rwlock_t *,
		     (void)pthread_rwlock_rdlock(_T), (void)pthread_rwlock_unlock(_T));
OBJLIFE_DEFINE_GUARD(pthread_rwlock_write, pthread_rwlock_t *,
		     (void)pthread_rwlock_wrlock(_T), (void)pthread_rwlock_unlock(_T));
#endif

#if defined(OBJLIFE__POSIX_2001) && defined(_POSIX_SPIN_LOCKS) && _POSIX_SPIN_LOCKS > 0
# define OBJLIFE__HAVE_SPINLOCK 1
/** The guard `pthread_spinlock`: pthread_spin_lock() / pthread_spin_unlock()
 *  on a pthread_spinlock_t *. Defined where the system has POSIX spinlocks. */
OBJLIFE_DEFINE_GUARD(pthread_spinlock, pthread_spinlock_t *,
		     (void)pthread_spin_lock(_T), (void)pthread_spin_unlock(_T));
#endif

/** The short names `mutex`, `mutex_try`, `rwlock_read`, `rwlock_write` and
 *  `spinlock`: the same guards. Kernel code defines guards of these names
 *  itself (mutex.h, spinlock.h): define OBJLIFE_NO_SHORT_GUARDS before the
 *  include to leave them out. */
#ifndef OBJLIFE_NO_SHORT_GUARDS
OBJLIFE_DEFINE_GUARD(mutex, pthread_mutex_t *,
		     (void)pthread_mutex_lock(_T), (void)pthread_mutex_unlock(_T));
OBJLIFE_DEFINE_GUARD_COND(mutex, _try, -pthread_mutex_trylock(_T), _RET == 0);
# ifdef OBJLIFE__HAVE_RWLOCK
OBJLIFE_DEFINE_GUARD(rwlock_read, pthread_rwlock_t *,
		     (void)pthread_rwlock_rdlock(_T), (void)pthread_rwlock_unlock(_T));
OBJLIFE_DEFINE_GUARD(rwlock_write, pthread_rwlock_t *,
		     (void)pthread_rwlock_wrlock(_T), (void)pthread_rwlock_unlock(_T));
# endif
# ifdef OBJLIFE__HAVE_SPINLOCK
OBJLIFE_DEFINE_GUARD(spinlock, pthread_spinlock_t *,
		     (void)pthread_spin_lock(_T), (void)pthread_spin_unlock(_T));
# endif
#endif /* !OBJLIFE_NO_SHORT_GUARDS */

#elif defined(_WIN32)
/** Windows without POSIX threads (no pthreads port, e.g. clang-cl): the
 *  short-named guards in Windows' spelling, on a slim reader/writer lock,
 *  so that code written with them changes only the lock's type. `mutex`
 *  holds an SRWLOCK * exclusively (AcquireSRWLockExclusive() /
 *  ReleaseSRWLockExclusive()), `mutex_try` only if
 *  TryAcquireSRWLockExclusive() succeeds; `rwlock_read` and `rwlock_write`
 *  hold it shared and exclusive. There are no pthread_ names here, as
 *  there is no pthread lock. */
#ifndef OBJLIFE_NO_SHORT_GUARDS
OBJLIFE_DEFINE_GUARD(mutex, SRWLOCK *,
		     AcquireSRWLockExclusive(_T), ReleaseSRWLockExclusive(_T));
OBJLIFE_DEFINE_GUARD_COND(mutex, _try, TryAcquireSRWLockExclusive(_T));
OBJLIFE_DEFINE_GUARD(rwlock_read, SRWLOCK *,
		     AcquireSRWLockShared(_T), ReleaseSRWLockShared(_T));
OBJLIFE_DEFINE_GUARD(rwlock_write, SRWLOCK *,
		     AcquireSRWLockExclusive(_T), ReleaseSRWLockExclusive(_T));
#endif
#endif /* OBJLIFE__HAVE_PTHREAD */

/* --------------------------------------------------------------------- */
/* The kernel's spellings                                                */
/* --------------------------------------------------------------------- */

/* Only on request: these names are short and common, and a program that
 * defines its own `guard` or `CLASS` must not break by including us. The
 * DEFINE forms end with a function definition, so that they are written
 * without a semicolon, as kernel code writes them. The scoped forms name
 * their variable `scope`, as the kernel does, because kernel code reads
 * it in the body (scope->flags). */
#ifdef OBJLIFE_SHORT_NAMES
# define DEFINE_FREE(name, type, free_stmt) OBJLIFE__DEFINE_FREE_FN(name, type, free_stmt)
# define __free(name)                   objlife_auto(name)
# define __get_and_null(p, nullvalue)   objlife_get_and_null(p, nullvalue)
# define no_free_ptr(p)                 objlife_steal(p)
# define return_ptr(p)                  objlife_return_ptr(p)
# define retain_and_null_ptr(p)         objlife_retain_and_null(p)
# define DEFINE_CLASS(name, type, exit_stmt, init, ...) \
	OBJLIFE__DEFINE_CLASS(name, type, exit_stmt, init, __VA_ARGS__)
# define EXTEND_CLASS(name, ext, init, ...) \
	OBJLIFE__EXTEND_CLASS(name, ext, init, __VA_ARGS__)
# define CLASS(name, var)               OBJLIFE_CLASS(name, var)
# define CLASS_INIT(name, var, init)    OBJLIFE_CLASS_INIT(name, var, init)
# define scoped_class(name, var, ...)   objlife_scoped_class(name, var, __VA_ARGS__)
# define DEFINE_CLASS_IS_GUARD(name)    OBJLIFE__DEFINE_CLASS_IS_GUARD(name)
# define DEFINE_CLASS_IS_COND_GUARD(name) OBJLIFE__DEFINE_CLASS_IS_COND_GUARD(name)
# define DEFINE_GUARD(name, type, lock_stmt, unlock_stmt) \
	OBJLIFE__DEFINE_GUARD(name, type, lock_stmt, unlock_stmt)
# define DEFINE_GUARD_COND(...)         OBJLIFE__DEFINE_GUARD_COND(__VA_ARGS__)
# define DEFINE_LOCK_GUARD_0(name, lock_stmt, ...) \
	OBJLIFE__DEFINE_LOCK_GUARD_0(name, lock_stmt, __VA_ARGS__)
# define DEFINE_LOCK_GUARD_1(name, type, lock_stmt, ...) \
	OBJLIFE__DEFINE_LOCK_GUARD_1(name, type, lock_stmt, __VA_ARGS__)
# define DEFINE_LOCK_GUARD_1_COND(...)  OBJLIFE__DEFINE_LOCK_GUARD_1_COND(__VA_ARGS__)
# define guard(name)                    objlife_guard(name)
# define ACQUIRE(name, var)             objlife_acquire(name, var)
# define ACQUIRE_ERR(name, pvar)        objlife_acquire_err(name, pvar)
# define __guard_ptr(name)              objlife_guard_ptr(name)
# define __guard_err(name)              objlife_guard_err(name)
# define __is_cond_ptr(name)            objlife_guard_is_cond(name)
# define scoped_guard(name, ...) \
	OBJLIFE__SCOPED_GUARD(name, scope, OBJLIFE__UNIQUE(objlife__label_), __VA_ARGS__)
# define scoped_cond_guard(name, fail, ...) \
	OBJLIFE__SCOPED_COND_GUARD(name, fail, scope, OBJLIFE__UNIQUE(objlife__label_), \
				   __VA_ARGS__)
#endif

#endif /* OBJLIFE_CLEANUP_H */
