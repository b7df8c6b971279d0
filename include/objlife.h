/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objlife.h - object lifetime for C: an intrusive reference count plus a
 * per-type ops table, with one allocation path and one teardown path.
 *
 * Rules of use (objlife(7) has the long form):
 *
 *  1. Embed `struct objlife` as the FIRST member of your struct and create
 *     objects only with objlife_alloc() (the macro refuses to compile
 *     otherwise), or, in static storage, with OBJLIFE_STATIC_INIT().
 *  2. Allocation succeeds whole or fails whole. ops->init returns 0 or a
 *     negative errno; on failure the library gives the memory back itself
 *     and never calls ops->release: init undoes its own partial work, and
 *     nothing else has to.
 *  3. A successful objlife_alloc() returns the object holding one
 *     reference, owned by the caller. Every reference taken is put exactly
 *     once, and the object is touched only while a reference is held.
 *  4. There is no free: a put is the only way out. The put that drops the
 *     last reference runs ops->release exactly once, in the calling thread,
 *     with every write other threads made before their puts visible; then
 *     the library frees the memory.
 *  5. Misuse leaks, it never frees twice. The count saturates like the
 *     kernel's refcount_t: an overflow, a get on a dead object or a put
 *     below zero pins it, is reported once through the report handler,
 *     and the object is never released.
 *  6. Who owns what: callers own their references; the library owns the
 *     memory (it allocates, frees, and may cache or quarantine it); the
 *     caller owns the ops table, which outlives every object of its type.
 *
 * Every function here is thread-safe and accepts a NULL object. None
 * aborts or exits unless the environment variable OBJLIFE_DEBUG contains
 * "abort". The library prints nothing except through the report handler.
 *
 * Each declaration below states its contract: what it returns, what NULL
 * does, who holds which reference afterwards, the locks it takes. The man
 * page it names has the long text.
 *
 * This header is clean C99 (-pedantic) and C++. With GCC, Clang and MSVC
 * the get/put fast path is inlined; define OBJLIFE_NO_INLINE before
 * including it to call the exported functions instead. Everything declared
 * here is also exported from libobjlife.so.0 for bindings. Names that
 * start with objlife__ / OBJLIFE__ are internal and may change with the
 * soname: they live in <objlife/platform.h> (what the declarations need
 * first) and <objlife/inline.h> (the fast path and the compile-time
 * checks, included at the end).
 */
#ifndef OBJLIFE_H
#define OBJLIFE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>                      /* FILE, for objlife_leak_check() */
#include <string.h>                     /* memset, for OBJLIFE_DEFINE_MALLOC_ALLOC() */
#ifndef __cplusplus
# include <stdbool.h>
#endif
#include <objlife/platform.h>           /* OBJLIFE_API, <pthread.h> */

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* Types: the object header and the ops table                            */
/* ===================================================================== */

/**
 * struct objlife - the header of a managed object.
 *
 * Embed it as the first member of your struct. Its fields are private:
 * read them only through objlife_refcount() and objlife_ops_of(). The
 * layout is part of the ABI (the inline fast path touches `_count`), so it
 * changes only with the soname: sizeof is 16 on LP64 and 12 on ILP32.
 * See objlife(7).
 */
struct objlife {
	const struct objlife_ops *_ops;  /* private: the type; NULL: never set up */
	uint32_t _count;                 /* private: atomic reference count */
	uint32_t _info;                  /* private: flags and size, see lib/objlife-private.h */
};

/**
 * struct objlife_ops - one per type, normally `static const`.
 * @name:    required; used in reports.
 * @init:    optional; runs once, before objlife_alloc() returns, on zeroed
 *           memory with a count of 1; @arg is objlife_alloc()'s. Returns 0
 *           or a negative errno: on failure the library frees the memory
 *           and @release is NOT called.
 * @release: optional; undoes what @init did. Runs exactly once, on the put
 *           that drops the last reference; the library frees the memory
 *           afterwards.
 * @alloc:   optional, with @free (both or neither): returns zeroed memory
 *           of @size bytes aligned to @align, or NULL.
 * @free:    gives back exactly what @alloc returned, with the same @size.
 * @cache:   optional; keep up to this many freed objects' memory per thread
 *           for reuse (0, the default: none; above 4096 counts as 4096).
 *           See objlife_alloc(3), "The per-thread cache".
 *
 * Owned by the caller. It must outlive every object allocated with it;
 * with @cache, every thread that may still hold cached memory of it (or
 * call objlife_cache_trim() in each of them first); with @free and
 * OBJLIFE_DEBUG=poison, its dead objects' memory in the quarantine (or
 * call objlife_quarantine_flush() first).
 * See objlife(7), "The ops table".
 */
struct objlife_ops {
	const char *name;
	int  (*init)(struct objlife *obj, void *arg);
	void (*release)(struct objlife *obj);
	void *(*alloc)(const struct objlife_ops *ops, size_t size, size_t align);
	void (*free)(const struct objlife_ops *ops, void *mem, size_t size);
	unsigned cache;
};

/**
 * OBJLIFE_STATIC_INIT() - the header of an object in static storage.
 * @ops: its type's ops table.
 *
 *     static struct thing none = { .ref = OBJLIFE_STATIC_INIT(&thing_ops) };
 *
 * A static object is immortal: gets and puts on it are valid from any
 * thread and cost what they cost on an allocated object, but it is never
 * released (@ops->release may be NULL), never counted by
 * objlife_live_count() and never reported as a leak; objlife_refcount()
 * says OBJLIFE_REFCOUNT_SATURATED. objlife_ops_of() is @ops, so the
 * OBJLIFE_DEFINE_REF_FUNCS helpers and the free classes treat it like any
 * other object of the type. See objlife_alloc(3), "Static objects".
 */
#define OBJLIFE_STATIC_INIT(ops) { (ops), OBJLIFE__STATIC_COUNT, OBJLIFE__STATIC_INFO }

/* ===================================================================== */
/* Allocation                                                            */
/* ===================================================================== */

/**
 * objlife_alloc() - TYPE *objlife_alloc(TYPE, MEMBER, ops, arg)
 *
 * Allocates a zeroed TYPE, aligned as TYPE requires, and runs ops->init
 * on it. Returns it holding one reference, owned by the caller, or NULL
 * with errno set as objlife_alloc_size() does. Fails to compile unless
 * MEMBER is a `struct objlife` at offset 0 of TYPE. See objlife_alloc(3).
 */
#define objlife_alloc(TYPE, MEMBER, ops, arg) \
	((TYPE *)(void *)objlife_alloc_size((ops), sizeof(TYPE) + OBJLIFE__CHECK_HEADER(TYPE, MEMBER), \
					    OBJLIFE__ALIGNOF(TYPE), (arg)))

/**
 * objlife_alloc_size() - objlife_alloc() for bindings and run-time sizes.
 * @size:  at least sizeof(struct objlife).
 * @align: a power of two; below the header's alignment it is rounded up.
 *
 * Returns the object with one reference, owned by the caller, or NULL with
 * errno: EINVAL (NULL @ops or name, only one of alloc/free, @size too
 * small, @align not a power of two), ENOMEM, or -ret of a failing init.
 * On failure nothing stays allocated and release did not run (a failing
 * init that left references behind leaks the object instead: reported
 * once as INIT_LEAKED_REF, never counted as live). See objlife_alloc(3).
 */
OBJLIFE_API struct objlife *objlife_alloc_size(const struct objlife_ops *ops, size_t size,
					       size_t align, void *arg);

/**
 * OBJLIFE_DEFINE_MALLOC_ALLOC() - @name_ops_alloc and @name_ops_free, an
 * ops table's alloc and free over a malloc-style allocator.
 * @name:      prefix of the two static functions it defines.
 * @malloc_fn: void *malloc_fn(size_t size): uninitialised memory, or NULL.
 * @free_fn:   void free_fn(void *mem): gives back what @malloc_fn returned.
 *
 *     OBJLIFE_DEFINE_MALLOC_ALLOC(pool, pool_malloc, pool_free);
 *     static const struct objlife_ops node_ops = {
 *             .name = "node", .alloc = pool_ops_alloc, .free = pool_ops_free,
 *     };
 *
 * ops->alloc must return zeroed memory; @name_ops_alloc zeroes what @malloc_fn
 * returns, so one line serves every type that uses the allocator. An
 * allocation aligned above 2 * sizeof(void *) (what malloc guarantees
 * everywhere) fails with ENOMEM: @malloc_fn takes no alignment. The ops
 * table is unchanged: tables built against older headers keep working.
 * See objlife_alloc(3), "Allocators".
 */
#define OBJLIFE_DEFINE_MALLOC_ALLOC(name, malloc_fn, free_fn) \
	OBJLIFE__UNUSED static void *name##_ops_alloc(const struct objlife_ops *objlife__ops, \
						     size_t objlife__size, size_t objlife__align) \
	{ \
		(void)objlife__ops; \
		return objlife__align <= OBJLIFE__MALLOC_ALIGN ? \
			objlife__zeroed(malloc_fn(objlife__size), objlife__size) : (void *)0; \
	} \
	OBJLIFE__UNUSED static void name##_ops_free(const struct objlife_ops *objlife__ops, \
						    void *objlife__mem, size_t objlife__size) \
	{ \
		(void)objlife__ops; \
		(void)objlife__size; \
		free_fn(objlife__mem); \
	} \
	typedef int objlife__malloc_alloc_##name##_t /* takes the caller's ';' */

/* ===================================================================== */
/* References                                                            */
/* ===================================================================== */

/**
 * objlife_get() - take a reference.
 * Returns @obj; the caller holds one more reference on it, and must
 * already hold one (or otherwise know @obj is alive). NULL: returns NULL.
 * A get on a dead object or past OBJLIFE_REFCOUNT_MAX saturates (rule 5).
 * Lock-free. See objlife_get(3).
 */
OBJLIFE_API struct objlife *objlife_get(struct objlife *obj);

/**
 * objlife_get_unless_zero() - take a reference unless the object is dying.
 * Returns true when it took a reference (the caller must put it), false
 * when the count was zero or @obj is NULL. The lookup for a table whose
 * release removes the object under the table's lock. Lock-free.
 * See objlife_get_unless_zero(3).
 */
OBJLIFE_API OBJLIFE__WARN_UNUSED bool objlife_get_unless_zero(struct objlife *obj);

/**
 * objlife_put() - drop a reference.
 * The caller's reference is gone, and with it the right to touch @obj. The
 * put that drops the last one runs ops->release once, in the calling
 * thread, then frees the memory: never put what may be the last reference
 * while holding a lock that release takes. A put below zero saturates
 * (rule 5). NULL does nothing. Lock-free. See objlife_put(3).
 */
OBJLIFE_API void objlife_put(struct objlife *obj);

/**
 * objlife_put_mutex() - drop a reference; take @lock only if it may be the
 * last (the kernel's refcount_dec_and_mutex_lock).
 * Returns true when this put ran release (with @lock held) and freed the
 * memory; false otherwise, and for a NULL @obj. The caller's reference is
 * gone either way, and @lock is never held on return. errno is set only
 * for a NULL @lock (EINVAL), a failing pthread_mutex_lock() (its error:
 * the reference is dropped without the lock) and a robust @lock whose
 * owner died (EOWNERDEAD: taken, then left unrecoverable). Declared only
 * where there is <pthread.h> (not with MSVC). See objlife_put_mutex(3).
 */
#ifdef OBJLIFE__HAVE_PTHREAD
OBJLIFE_API bool objlife_put_mutex(struct objlife *obj, pthread_mutex_t *lock);
#endif

/**
 * struct objlife_tracker - one tracked reference, like the kernel's
 * ref_tracker. Opaque: keep a `struct objlife_tracker *` next to the
 * reference it tracks. A handle is never reused.
 */
struct objlife_tracker;

/**
 * objlife_get_tracked() - take a reference and record who holds it.
 * Returns @obj, with one more reference held, exactly as objlife_get();
 * with OBJLIFE_DEBUG=refs, *@tracker gets a tracker holding the caller's
 * stack, otherwise NULL. NULL @obj takes nothing and sets *@tracker to
 * NULL; a NULL @tracker still takes the reference and sets errno to
 * EINVAL. With refs, takes the registry and tracker locks briefly.
 * See objlife_get_tracked(3).
 */
OBJLIFE_API struct objlife *objlife_get_tracked(struct objlife *obj,
						struct objlife_tracker **tracker);

/**
 * objlife_put_tracked() - drop a reference taken by objlife_get_tracked().
 * Drops it exactly as objlife_put() (the last one releases @obj). With
 * refs, a tracker that is not one the caller holds on @obj is reported as
 * BAD_TRACKER and the count is left unchanged; stale handles are safe to
 * pass. *@tracker is left as it is. NULL @obj does nothing; a NULL
 * @tracker drops the reference and sets errno to EINVAL. With refs, takes
 * one registry lock. See objlife_put_tracked(3).
 */
OBJLIFE_API void objlife_put_tracked(struct objlife *obj, struct objlife_tracker **tracker);

/* ===================================================================== */
/* Registration: publishing objects for lookup, withdrawing them         */
/* ===================================================================== */

/*
 * The middle of an object's life, as netdev, RDMA and vfio have it:
 * allocated -> registered (found by lookups) -> withdrawn (found by none,
 * waited for until the other holders let go) -> released on the last put.
 * A table maps uint64_t keys to objects and holds one reference of its own
 * on each. Lookups take no lock; registering and withdrawing take one
 * process-wide lock briefly, never while they wait. See
 * objlife_register(3) and objlife(7), "Registration".
 */

/** struct objlife_table - a table of registered objects. Opaque. */
struct objlife_table;

/**
 * objlife_table_new() - a new, empty table. @name is copied and appears
 * in reports. Returns NULL with errno EINVAL (NULL @name) or ENOMEM.
 * See objlife_table_new(3).
 */
OBJLIFE_API struct objlife_table *objlife_table_new(const char *name);

/**
 * objlife_table_free() - free an empty table. Returns 0, -EBUSY (nothing
 * freed) while it holds objects, registered or being withdrawn, or
 * -EINVAL for NULL. See objlife_table_new(3).
 */
OBJLIFE_API int objlife_table_free(struct objlife_table *t);

/**
 * objlife_register() - publish @obj in @t under a key.
 * The table takes a reference of its own; the caller's are unchanged.
 * *@key == 0: the table picks a key no object had in it before, and
 * stores it in *@key; else that key. Returns 0, -EEXIST (another object,
 * registered or being withdrawn, has the key), -EBUSY (@obj is in a table
 * already), -EINVAL (NULL anything; a dead, dying, saturated or static
 * object), -ENOSPC (no key left to pick) or -ENOMEM; on error nothing
 * changed. The caller holds a reference. See objlife_register(3).
 */
OBJLIFE_API int objlife_register(struct objlife_table *t, struct objlife *obj, uint64_t *key);

/**
 * objlife_lookup() - a new reference to the object registered in @t under
 * @key, which the caller must put; or NULL with errno ENOENT (EINVAL for a
 * NULL @t). Never an object whose withdrawal has started, nor one being
 * released. Takes no lock. See objlife_lookup(3).
 */
OBJLIFE_API struct objlife *objlife_lookup(struct objlife_table *t, uint64_t key);

/**
 * objlife_unregister() - withdraw @obj from @t and wait for its other
 * holders. The caller holds a reference. From the call's start, lookups
 * no longer find @obj; the table's reference is dropped (once, however
 * many threads withdraw it); then it waits until the references of the
 * threads inside objlife_unregister() for @obj are the only ones left, and
 * returns 0: @obj is out of the table and may be registered again; put it
 * to release it. @timeout_ms < 0 waits as long as it takes; otherwise
 * -ETIMEDOUT when the others still hold it by then, with @obj withdrawn
 * and the caller's reference intact: call again to wait again, or put it
 * and let the last holder release it. -ENOENT: @obj is not in @t;
 * -EINVAL: NULL. After 1 s of waiting, then every 10 s, reports
 * OBJLIFE_EVENT_DRAIN_WAIT (with OBJLIFE_DEBUG=refs, with the stacks of
 * the trackers still held) and calls the table's request function, which
 * is also called when the wait starts. Takes no lock while it waits.
 * See objlife_unregister(3).
 */
OBJLIFE_API int objlife_unregister(struct objlife_table *t, struct objlife *obj, int timeout_ms);

/**
 * objlife_request_fn - asks the holders of a withdrawn object to let go.
 * @obj:      the object being withdrawn; the waiting caller holds it.
 * @waited_s: seconds waited so far: 0 when the wait starts.
 * @data:     as given to objlife_table_set_request().
 * Called on the thread in objlife_unregister(), with no library lock held.
 */
typedef void (*objlife_request_fn)(struct objlife *obj, unsigned waited_s, void *data);

/**
 * objlife_table_set_request() - call @fn, with @data, when an unregister
 * on @t starts waiting and with each DRAIN_WAIT report: nudge the holders
 * (close a client's socket, cancel its request), as vfio's request op
 * does. NULL @fn: none. Returns once calls to the earlier function on
 * other threads have returned. NULL @t does nothing.
 * See objlife_unregister(3).
 */
OBJLIFE_API void objlife_table_set_request(struct objlife_table *t, objlife_request_fn fn,
					   void *data);

/**
 * objlife_table_count() - how many objects are registered in @t now
 * (withdrawn ones not counted); 0 for NULL. See objlife_table_new(3).
 */
OBJLIFE_API size_t objlife_table_count(struct objlife_table *t);

/**
 * objlife_table_visit() - call @fn on every object registered in @t when
 * the call starts and still registered when its turn comes, holding a
 * reference during each call, with no library lock held: @fn may call
 * anything, objlife_unregister() on the object included (a shutdown that
 * withdraws every session). A non-zero return stops the visit and is
 * returned. Returns 0, -EINVAL (NULL @t or @fn) or -ENOMEM (nothing
 * visited). Objects registered during the visit are left out.
 * See objlife_table_new(3).
 */
OBJLIFE_API int objlife_table_visit(struct objlife_table *t,
				    int (*fn)(struct objlife *obj, uint64_t key, void *data),
				    void *data);

/* ===================================================================== */
/* Inspection                                                            */
/* ===================================================================== */

/** The value a count is pinned at after a misuse (see objlife(7), rule 5). */
#define OBJLIFE_REFCOUNT_SATURATED 0xc0000000u

/** The largest count a get can reach; the next get saturates. */
#define OBJLIFE_REFCOUNT_MAX 0x7fffffffu

/**
 * objlife_refcount() - the current count, for diagnostics and tests.
 * Stale as soon as it is read when other threads hold references. Returns
 * OBJLIFE_REFCOUNT_SATURATED for a saturated object and 0 for NULL. The
 * caller must hold a reference. See objlife_refcount(3).
 */
OBJLIFE_API uint32_t objlife_refcount(const struct objlife *obj);

/**
 * objlife_ops_of() - the ops table the object was allocated with; NULL for
 * NULL. Inline too: compare it with &your_ops to test an object's type,
 * with no tag of your own. See objlife_ops_of(3).
 */
OBJLIFE_API const struct objlife_ops *objlife_ops_of(const struct objlife *obj);

/* ===================================================================== */
/* Diagnostics and reports                                               */
/* ===================================================================== */

/*
 * OBJLIFE_DEBUG, a comma list read once at the first call into the library
 * that needs it: "leaks" (a registry of live objects with allocation
 * stacks, reported as LEAK at exit), "refs" (objlife_get_tracked() records
 * its holders; implies leaks), "poison" (freed objects wait in a
 * quarantine that catches late gets, puts and writes), "abort" (the
 * default handler aborts after reporting), "exitcode=N" and "help".
 * OBJLIFE_DEBUG_FILE=path appends reports to path instead of stderr.
 * Unset, they cost one predictable branch in the allocation and teardown
 * paths and nothing in get and put. See objlife(7), ENVIRONMENT.
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
	OBJLIFE_EVENT_NO_MEMORY,        /* a diagnostic ran out of memory: from now on it
	                                   sees less (objects untracked, stacks missing);
	                                   once per process and diagnostic */
	OBJLIFE_EVENT_DRAIN_WAIT        /* objlife_unregister() still waits for other
	                                   holders: after 1 s, then every 10 s */
};

/**
 * objlife_report_fn - receives one report.
 * @event:   what happened.
 * @obj:     the object concerned, or NULL; only its address may be used.
 * @message: the whole report, as the default handler writes it, without
 *           the final newline; valid only during the call.
 * @data:    as given to objlife_set_report_handler().
 *
 * Called from any thread, several at a time, with no library lock held;
 * it may call the library. It must not wait for a thread that may be
 * inside objlife_set_report_handler(). See objlife_set_report_handler(3).
 */
typedef void (*objlife_report_fn)(enum objlife_event event, const struct objlife *obj,
				  const char *message, void *data);

/**
 * objlife_set_report_handler() - route reports to @fn, with @data.
 * Process-wide; NULL restores the default handler (stderr or
 * OBJLIFE_DEBUG_FILE). Returns once every call to an earlier handler
 * running on another thread has returned: the earlier handler's data is
 * the caller's again. Holds the handler lock only to swap the handler.
 * See objlife_set_report_handler(3).
 */
OBJLIFE_API void objlife_set_report_handler(objlife_report_fn fn, void *data);

/* ===================================================================== */
/* Live objects, leak checks, caches and the quarantine                  */
/* ===================================================================== */

/**
 * objlife_live_count() - how many objects of @ops are alive now; NULL @ops
 * counts every type. Always on and cheap. Objects passed to
 * objlife_may_leak(), and those whose init failed, are not counted.
 * See objlife_live_count(3).
 */
OBJLIFE_API size_t objlife_live_count(const struct objlife_ops *ops);

/**
 * objlife_leak_check() - list the objects alive now on @out.
 * Returns how many are alive, as objlife_live_count(NULL); NULL @out
 * writes nothing and only counts. The report handler is not called. Takes
 * the registry's locks briefly, never while it writes.
 * See objlife_leak_check(3).
 */
OBJLIFE_API size_t objlife_leak_check(FILE *out);

/**
 * objlife_may_leak() - mark @obj as meant to live for the whole process:
 * left out of live counts and leak reports from now on. The caller's
 * references are unchanged. Idempotent; NULL does nothing.
 * See objlife_may_leak(3).
 */
OBJLIFE_API void objlife_may_leak(struct objlife *obj);

/**
 * objlife_cache_trim() - give back the memory cached for @ops (NULL: for
 * every type). Frees the calling thread's cached blocks now, and has other
 * threads free theirs at their next allocation or free of the type.
 * Returns how many blocks it freed on the calling thread. Live objects are
 * not affected. Takes no lock; may call ops->free. See objlife_cache_trim(3).
 */
OBJLIFE_API size_t objlife_cache_trim(const struct objlife_ops *ops);

/**
 * objlife_quarantine_flush() - give back now the memory of the dead
 * objects of @ops (NULL: of every type) waiting in the poison quarantine,
 * checking each for writes after free. Call it before a type with its own
 * allocator goes away. Returns how many objects' memory it gave back; 0
 * without OBJLIFE_DEBUG=poison. Takes the quarantine's lock briefly, never
 * while it calls ops->free. See objlife_quarantine_flush(3).
 */
OBJLIFE_API size_t objlife_quarantine_flush(const struct objlife_ops *ops);

/* ===================================================================== */
/* Typed helpers                                                         */
/* ===================================================================== */

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
 * See OBJLIFE_DEFINE_REF_FUNCS(3).
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
