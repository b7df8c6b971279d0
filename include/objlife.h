/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objlife.h - object lifetime for C: an intrusive reference count plus a
 * per-type ops table, with one allocation path and one teardown path.
 *
 * The rules, in short (objlife(7) has the long form):
 *
 *  - Embed `struct objlife` as the FIRST member of your struct and allocate
 *    it with objlife_alloc(). The macro refuses to compile otherwise.
 *  - ops->init either succeeds (returns 0) or fails (returns -errno). On
 *    failure the library gives the memory back itself and never calls
 *    ops->release: init must undo its own partial work, and nothing else
 *    has to.
 *  - After a successful allocation there is no free. Drop references with
 *    objlife_put(); the put that drops the last one runs ops->release
 *    exactly once, then the library frees the memory.
 *  - The count saturates like the kernel's refcount_t: an overflow, a get on
 *    a dead object or a put below zero pins it, is reported once through
 *    the report handler, and the object leaks instead of being freed twice.
 *
 * Every function here is thread-safe. None aborts or exits unless the
 * environment variable OBJLIFE_DEBUG contains "abort". The library prints
 * nothing except through the report handler.
 *
 * This header is clean C99 (-pedantic) and C++. With GCC and Clang (and
 * MSVC, with its Interlocked intrinsics) the get/put fast path is inlined;
 * define OBJLIFE_NO_INLINE before including it to call the exported
 * functions instead. Everything declared here is also
 * exported from libobjlife.so.0 for bindings. Names that start with
 * objlife__ / OBJLIFE__ are internal: they exist for the inline code and may
 * change with the soname. They live in <objlife/platform.h> (what the
 * declarations need first) and <objlife/inline.h> (the fast path and the
 * compile-time checks, included at the end).
 */
#ifndef OBJLIFE_H
#define OBJLIFE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#ifndef __cplusplus
# include <stdbool.h>
#endif
/* Internal, needed before the declarations: OBJLIFE_API, the attributes
 * and <pthread.h> where there is one. */
#include <objlife/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --------------------------------------------------------------------- */
/* The object header and the ops table                                   */
/* --------------------------------------------------------------------- */

/**
 * struct objlife - the header of a managed object.
 *
 * Embed it as the first member of your struct. Its fields are private:
 * read them only through objlife_refcount() and objlife_ops_of(). The
 * layout is part of the ABI (the inline fast path touches `_count`), so it
 * changes only with the soname. sizeof is 16 on LP64 and 12 on ILP32.
 */
struct objlife {
	const struct objlife_ops *_ops;  /* private: the type, never NULL */
	uint32_t _count;                 /* private: atomic reference count */
	uint32_t _info;                  /* private: flags and size, see lib/objlife-private.h */
};

/**
 * struct objlife_ops - one per type, normally `static const`.
 * @name:    required; used in reports.
 * @init:    optional; runs once, right after allocation, on zeroed memory
 *           with a count of 1. Return 0, or a negative errno: on failure
 *           the library frees the memory and @release is NOT called, so
 *           init undoes its own partial work. @arg is objlife_alloc()'s.
 * @release: optional; undoes what @init did. Runs exactly once, on the put
 *           that drops the last reference; the library frees the memory
 *           afterwards. Writes made by other threads before their puts are
 *           visible here.
 * @alloc:   optional, with @free (both or neither): returns zeroed memory
 *           of @size bytes aligned to @align, or NULL.
 * @free:    gives back exactly what @alloc returned, with the same @size.
 * @cache:   optional; keep up to this many freed objects' memory per thread
 *           for reuse (0, the default: none; above 4096 counts as 4096).
 *           The put that frees an object keeps its memory in the freeing
 *           thread's cache of the type, and the next allocation of the type
 *           on that thread with the same size (and an alignment the block
 *           has) takes it from there instead of the allocator, zeroed as
 *           always. init and release run exactly as without a cache. A
 *           cached block is not an object: live counts and leak reports
 *           never include it. A thread caches only types it allocates, one
 *           size at a time, below 16 MiB. The memory goes back
 *           (through @free where set, with the size @alloc was asked for)
 *           when the thread exits, when objlife_cache_trim() asks, and at
 *           exit. Nothing is cached while OBJLIFE_DEBUG contains "poison":
 *           freed objects go to its quarantine.
 *
 * The ops table must outlive every object allocated with it and, with a
 * cache, every thread that may still hold cached memory of it (or call
 * objlife_cache_trim() in each of them first). With @free set and
 * OBJLIFE_DEBUG containing "poison", it (and @free) must also outlive the
 * dead objects' memory in the poison quarantine: call
 * objlife_quarantine_flush() before it goes. Nothing else the library
 * keeps about a dead object refers to the table or its name.
 */
struct objlife_ops {
	const char *name;
	int  (*init)(struct objlife *obj, void *arg);
	void (*release)(struct objlife *obj);
	void *(*alloc)(const struct objlife_ops *ops, size_t size, size_t align);
	void (*free)(const struct objlife_ops *ops, void *mem, size_t size);
	unsigned cache;
};

/** The value a count is pinned at after a misuse (see objlife(7), rule 5). */
#define OBJLIFE_REFCOUNT_SATURATED 0xc0000000u

/** The largest count a get can reach; the next get saturates. */
#define OBJLIFE_REFCOUNT_MAX 0x7fffffffu

/* --------------------------------------------------------------------- */
/* Allocation                                                            */
/* --------------------------------------------------------------------- */

/**
 * objlife_alloc_size() - allocate and initialise a managed object.
 * @ops:   the type; must stay valid while any object of it lives.
 * @size:  bytes, at least sizeof(struct objlife).
 * @align: a power of two; values below the header's alignment are rounded
 *         up, any power of two the allocator can satisfy is honoured.
 * @arg:   passed to ops->init.
 *
 * Returns the object with one reference, owned by the caller, or NULL with
 * errno set: EINVAL for bad input (NULL @ops or name, only one of
 * alloc/free, @size too small, @align not a power of two), ENOMEM, or
 * -ret of a failing init (a positive ret counts as -EINVAL). On failure
 * nothing stays allocated and release was not called, except when a
 * failing init left references behind: the object then leaks, saturated,
 * reported once as INIT_LEAKED_REF and never counted as live (it is left
 * out of objlife_live_count() and leak reports, as a may_leak object). objlife_alloc() is
 * the type-checked spelling; this one is for bindings.
 */
OBJLIFE_API struct objlife *objlife_alloc_size(const struct objlife_ops *ops, size_t size,
					       size_t align, void *arg);

/**
 * objlife_alloc() - TYPE *objlife_alloc(TYPE, MEMBER, ops, arg)
 *
 * Allocates a zeroed TYPE aligned to its alignment, runs ops->init and
 * returns it with one reference, or NULL with errno (as
 * objlife_alloc_size()). Fails to compile unless MEMBER is a
 * `struct objlife` at offset 0 of TYPE.
 */
#define objlife_alloc(TYPE, MEMBER, ops, arg) \
	((TYPE *)(void *)objlife_alloc_size((ops), sizeof(TYPE) + OBJLIFE__CHECK_HEADER(TYPE, MEMBER), \
					    OBJLIFE__ALIGNOF(TYPE), (arg)))

/* --------------------------------------------------------------------- */
/* References                                                            */
/* --------------------------------------------------------------------- */

/**
 * objlife_get() - take a reference.
 * Returns @obj, which the caller now holds one more reference on. NULL does
 * nothing and returns NULL. A get on a zero count (use after free) or past
 * OBJLIFE_REFCOUNT_MAX saturates the count and reports it once.
 */
OBJLIFE_API struct objlife *objlife_get(struct objlife *obj);

/**
 * objlife_get_unless_zero() - take a reference unless the count is zero.
 * Returns true when a reference was taken (the caller must put it), false
 * when the object is already dying or @obj is NULL. This is the lookup that
 * pairs with a release that removes the object from the table under the
 * table's lock. On a saturated object it returns true and changes nothing.
 */
OBJLIFE_API OBJLIFE__WARN_UNUSED bool objlife_get_unless_zero(struct objlife *obj);

/**
 * objlife_put() - drop a reference.
 * The put that drops the last reference runs ops->release once, then frees
 * the memory: the caller must not touch @obj afterwards. NULL does nothing.
 * A put below zero saturates the count and reports it once.
 */
OBJLIFE_API void objlife_put(struct objlife *obj);

/**
 * objlife_put_mutex() - drop a reference; take @lock only if it is the last.
 * Like the kernel's refcount_dec_and_mutex_lock. If the count is above 1,
 * drops the reference without touching @lock and returns false. Otherwise
 * locks @lock and drops it: if that was the last reference, runs
 * ops->release with @lock held, unlocks, frees and returns true; if another
 * holder appeared meanwhile, unlocks and returns false. @lock is never held
 * on return. A table that takes plain objlife_get() under @lock therefore
 * never hands out a dying object. true means exactly that release ran and
 * the memory went back: a last put that leaks the object instead (a put
 * of the initial reference inside ops->init, or a release that took a
 * reference; both reported) returns false. NULL @obj returns false. A
 * NULL @lock sets errno to EINVAL and drops the reference as objlife_put()
 * would, returning whether that released and freed the object.
 *
 * When pthread_mutex_lock(@lock) fails (EDEADLK, ENOTRECOVERABLE, ...), the
 * reference is still dropped, without the lock (release, if it runs, runs
 * unlocked), and errno is set to that error. A robust @lock whose owner
 * died holding it (EOWNERDEAD) is taken: the call goes on as with a plain
 * lock, release included, but does not call pthread_mutex_consistent(),
 * since only the caller can judge the state the dead owner left. It
 * unlocks it inconsistent, which makes it unrecoverable (every later lock
 * fails with ENOTRECOVERABLE), and sets errno to EOWNERDEAD. errno is left
 * alone otherwise. Declared where there is <pthread.h>:
 * everywhere but a Windows compiler without a pthreads port (MSVC).
 */
#ifdef OBJLIFE__HAVE_PTHREAD
OBJLIFE_API bool objlife_put_mutex(struct objlife *obj, pthread_mutex_t *lock);
#endif

/**
 * objlife_refcount() - the current count, for diagnostics and tests.
 * Stale as soon as it is read when other threads hold references. Returns
 * OBJLIFE_REFCOUNT_SATURATED for a saturated object and 0 for NULL.
 */
OBJLIFE_API uint32_t objlife_refcount(const struct objlife *obj);

/** objlife_ops_of() - the ops the object was allocated with; NULL for NULL. */
OBJLIFE_API const struct objlife_ops *objlife_ops_of(const struct objlife *obj);

/* --------------------------------------------------------------------- */
/* Diagnostics                                                           */
/* --------------------------------------------------------------------- */

/*
 * OBJLIFE_DEBUG, a comma list read once at the first call into the library
 * (with secure_getenv where there is one):
 *
 *   leaks   a registry of live objects, each with its allocation stack. At
 *           exit the objects still alive are reported as LEAK, one report
 *           per type and allocation site. The report runs from the
 *           library's own destructor, after the program's teardown: its
 *           atexit handlers, C++ static destructors and destructor
 *           functions, and those of the libraries that depend on
 *           libobjlife, so objects they put are not reported (in a static
 *           link, after destructors of default priority; see objlife(7)),
 *           e.g.
 *             objlife: LEAK: 3 x session (counts 1,1,2) allocated at:
 *                 #0 session_new (src/session.c:42)
 *                 #1 accept_client (src/server.c:118)
 *           Frames are symbolised when reported, with file:line where
 *           debug info exists ("function+0xoff (libfoo.so)" otherwise).
 *           A function that tail-calls objlife_alloc() has no frame of its
 *           own; build with -fno-omit-frame-pointer
 *           -fno-optimize-sibling-calls (or -O0) for exact stacks.
 *   refs    objlife_get_tracked()/objlife_put_tracked() record the stack of
 *           every holder; a leaked object's report lists the trackers still
 *           held. Implies leaks.
 *   poison  freed objects wait in a quarantine (the last 1024 objects or
 *           16 MiB) with their memory filled with 0x6b and their count
 *           marked dead, so that a get, put or get_unless_zero on them is
 *           reported as BAD_OBJECT and changes nothing; a write into one is
 *           reported when it leaves the quarantine. It cannot catch an
 *           access after the memory went back to the allocator, nor plain
 *           reads of the object's fields.
 *   abort   the default report handler aborts after reporting.
 *   help    print the options to stderr.
 *
 * OBJLIFE_DEBUG_FILE=path appends reports to path instead of stderr. It is
 * opened (and created) at the first report the default handler writes, so
 * a program that reports nothing creates no file; the open never blocks. If
 * it cannot be opened (a FIFO that no process reads, say), reports go to
 * stderr, after one line saying so. With OBJLIFE_DEBUG
 * unset, all of this costs one predictable branch in the allocation and
 * teardown paths and nothing in get and put.
 */

/** enum objlife_event - what the report handler is told about. */
enum objlife_event {
	OBJLIFE_EVENT_GET_ON_ZERO,      /* get on a dead object: use after free */
	OBJLIFE_EVENT_OVERFLOW,         /* count saturated: object will leak */
	OBJLIFE_EVENT_UNDERFLOW,        /* put below zero, or on a saturated count */
	OBJLIFE_EVENT_INIT_LEAKED_REF,  /* failed init left references behind */
	OBJLIFE_EVENT_BAD_OBJECT,       /* not a live objlife object (debug checks) */
	OBJLIFE_EVENT_LEAK,             /* object still alive at a leak check */
	OBJLIFE_EVENT_BAD_TRACKER,      /* tracker dropped twice, or on another object */
	OBJLIFE_EVENT_NO_MEMORY         /* a diagnostic ran out of memory: from now on it
	                                   sees less (objects untracked, stacks missing);
	                                   once per process and diagnostic */
};

/**
 * objlife_report_fn - receives one report.
 * @event:   what happened.
 * @obj:     the object concerned; NULL for reports about no single object
 *           (a LEAK group of several objects, say). Only its address may
 *           be used: it may be dead or leaked.
 * @message: the whole report, exactly the text the default handler writes
 *           (without the final newline), e.g.
 *           "objlife: UNDERFLOW: type=session obj=0x55d0c0a8e2a0 count=0: put below zero".
 *           LEAK and BAD_TRACKER reports go on with indented lines of
 *           stack frames, separated by '\n'. Valid only during the call.
 * @data:    as given to objlife_set_report_handler().
 *
 * It may be called from any thread, several at a time, with no library lock
 * held. It may call any function of the library, including ones that report
 * (the report comes back to it, or to the handler installed meanwhile) and
 * objlife_set_report_handler(). It must not wait for a thread that may be
 * inside objlife_set_report_handler(), which waits for it in turn (so: no
 * lock that such a thread holds around that call).
 */
typedef void (*objlife_report_fn)(enum objlife_event event, const struct objlife *obj,
				  const char *message, void *data);

/**
 * objlife_set_report_handler() - route reports to @fn.
 * NULL restores the default handler, which writes each report as one line
 * to stderr (or OBJLIFE_DEBUG_FILE) and aborts afterwards when
 * OBJLIFE_DEBUG contains "abort"; @data is then ignored. The handler is
 * process-wide; reports that start after the call go to @fn with @data.
 *
 * Returns nothing, and not before every call to an earlier handler that
 * was running on another thread has returned: from then on the earlier
 * handler's data is the caller's again, to free. Called from inside a
 * handler, it does not wait for that thread's own call (which is still
 * running), nor for the calls of threads that are themselves waiting here
 * from inside a handler (they would wait for each other). Thread-safe: the
 * handler lock is held only to swap the handler, not while waiting.
 */
OBJLIFE_API void objlife_set_report_handler(objlife_report_fn fn, void *data);

/**
 * objlife_live_count() - how many objects of @ops are alive now.
 * NULL counts every type. Always on and cheap (per-thread counters, summed
 * here). Objects passed to objlife_may_leak() are not counted, nor are
 * objects whose init failed, even those leaked as INIT_LEAKED_REF.
 */
OBJLIFE_API size_t objlife_live_count(const struct objlife_ops *ops);

/**
 * objlife_cache_trim() - give cached memory back now (see objlife_ops.cache).
 * @ops: the type whose cached memory goes back; NULL: every type's.
 *
 * Frees the calling thread's cached blocks of @ops at once, each through
 * ops->free where the type has its own allocator, and makes every other
 * thread free its cached blocks of @ops at its next allocation or free of
 * that type (a thread that never touches the type again keeps them until
 * it exits). Returns how many blocks it freed now, on the calling thread.
 * Live objects are not affected, and caching goes on afterwards.
 * Thread-safe; takes no lock, and may call ops->free.
 */
OBJLIFE_API size_t objlife_cache_trim(const struct objlife_ops *ops);

/**
 * objlife_leak_check() - report the objects alive now.
 * Writes one LEAK group per type to @out (per type and allocation site,
 * with the counts, the allocation stack and the trackers still held, when
 * OBJLIFE_DEBUG contains "leaks"), in the form of the report lines; NULL
 * @out writes nothing. The report handler is not called: this is a listing
 * on demand, not an event. Returns how many objects are alive, as
 * objlife_live_count(NULL) does. Objects passed to objlife_may_leak(), and
 * those whose init failed, are left out of both. Takes the registry's locks briefly, never while it
 * writes; while other threads allocate, the listing is a snapshot.
 */
OBJLIFE_API size_t objlife_leak_check(FILE *out);

/**
 * objlife_quarantine_flush() - give back the memory of dead objects now.
 * @ops: the type whose dead objects' memory goes back; NULL: every type's.
 *
 * With OBJLIFE_DEBUG containing "poison", freed objects wait in a
 * quarantine before their memory goes back. This gives back, oldest first,
 * the memory of every quarantined object of @ops (through ops->free where
 * the type has its own allocator), checking each for writes after free as
 * its eviction would (reported as BAD_OBJECT). Call it before a type with
 * its own allocator goes away, e.g. before dlclose() of the plugin that
 * defines it: its quarantined memory must go back through its ops->free.
 * Returns how many objects' memory it gave back; 0 without "poison".
 * Objects of @ops freed by other threads during the call may stay. Live
 * objects and the caller's references are not affected. Thread-safe; takes
 * the quarantine's lock briefly, never while it calls ops->free.
 */
OBJLIFE_API size_t objlife_quarantine_flush(const struct objlife_ops *ops);

/**
 * objlife_may_leak() - mark @obj as meant to live for the whole process.
 * It is left out of objlife_live_count(), objlife_leak_check() and the
 * report at exit from now on; its references work as before. Idempotent;
 * NULL does nothing. The caller's references are unchanged.
 */
OBJLIFE_API void objlife_may_leak(struct objlife *obj);

/**
 * struct objlife_tracker - one tracked reference, like the kernel's
 * ref_tracker. Opaque: callers keep a `struct objlife_tracker *` next to
 * the reference it tracks and never look inside. A handle is never reused,
 * so an old one is recognised for what it is.
 */
struct objlife_tracker;

/**
 * objlife_get_tracked() - take a reference and record who holds it.
 * @obj:     as objlife_get(); NULL takes nothing and sets *@tracker to NULL.
 * @tracker: where the tracker's handle goes; pass it to objlife_put_tracked()
 *           with the same @obj when the reference is dropped.
 *
 * Returns @obj, which the caller now holds one more reference on, exactly
 * as objlife_get(). With OBJLIFE_DEBUG containing "refs", *@tracker gets a
 * new tracker that remembers the caller's stack; an object leaked with it
 * lists that stack in its LEAK report. Otherwise (refs off, no memory for
 * a tracker, an object the registry could not track) *@tracker is set to
 * NULL and the reference is an untracked one.
 *
 * A NULL @tracker is a caller bug: the reference is still taken, errno is
 * set to EINVAL and, with refs on, BAD_TRACKER is reported. Thread-safe;
 * with refs on it takes the registry and tracker locks briefly.
 */
OBJLIFE_API struct objlife *objlife_get_tracked(struct objlife *obj,
						struct objlife_tracker **tracker);

/**
 * objlife_put_tracked() - drop a reference taken by objlife_get_tracked().
 * @obj:     as objlife_put(); NULL does nothing.
 * @tracker: the handle objlife_get_tracked() stored. It is left as it is:
 *           a dropped tracker stays recognisable, so a second drop through
 *           it is caught.
 *
 * Drops the reference exactly as objlife_put() (the last one runs release
 * and frees @obj). With refs on the tracker is checked first: one already
 * dropped, one taken on another object, or a handle that was never a
 * tracker is reported as BAD_TRACKER, with the stacks of where it was
 * taken and dropped, and the count is left unchanged, since the caller
 * does not hold the reference it means to drop. A NULL *@tracker drops one
 * of the object's untracked references (those objlife_get_tracked() could
 * not track); if it has none, that is reported the same way and the count
 * is left unchanged. With refs off it is objlife_put(). A NULL @tracker
 * drops the reference as objlife_put() and sets errno to EINVAL (reported
 * with refs on). Handles are checked, never dereferenced: a stale one is
 * safe to pass, even once the object it was taken on and that object's
 * type (its ops table and name) are gone; a report about a dropped tracker
 * names the old object's type from a copy (up to 31 characters). A
 * tracker of a released object passed with a new object at the same
 * address is told apart: the report names the new object, with its own
 * type and count, and says the tracker was an earlier object's. Thread-
 * safe; with refs on it takes one registry lock.
 */
OBJLIFE_API void objlife_put_tracked(struct objlife *obj, struct objlife_tracker **tracker);

/* --------------------------------------------------------------------- */
/* Typed helpers                                                         */
/* --------------------------------------------------------------------- */

/**
 * OBJLIFE_DEFINE_REF_FUNCS(prefix, TYPE, MEMBER); - typed get/put helpers.
 *
 * Defines static inline, NULL-safe helpers (marked unused, so defining them
 * costs nothing):
 *   TYPE *prefix_get(TYPE *)            takes a reference, returns its argument
 *   void  prefix_put(TYPE *)            drops one
 *   bool  prefix_get_unless_zero(TYPE *)
 * and the free class prefix_put, so that with <objlife/cleanup.h>
 *   struct session *s objlife_auto(session_put) = session_new(...);
 * puts the reference when s goes out of scope. Write it with a semicolon.
 */
#define OBJLIFE_DEFINE_REF_FUNCS(prefix, TYPE, MEMBER) \
	OBJLIFE__UNUSED static inline TYPE *prefix##_get(TYPE *p) \
	{ if (p) objlife_get(&p->MEMBER); return p; } \
	OBJLIFE__UNUSED static inline void prefix##_put(TYPE *p) \
	{ if (p) objlife_put(&p->MEMBER); } \
	OBJLIFE__UNUSED static inline bool prefix##_get_unless_zero(TYPE *p) \
	{ return p ? objlife_get_unless_zero(&p->MEMBER) : false; } \
	OBJLIFE__DEFINE_FREE_FN(prefix##_put, TYPE *, if (_T) prefix##_put(_T)) \
	typedef TYPE objlife__ref_funcs_##prefix##_t /* takes the caller's ';' */

#ifdef __cplusplus
}
#endif

/* The machinery: compiler glue, layout checks, the inline fast path. */
#include <objlife/inline.h>

#endif /* OBJLIFE_H */
