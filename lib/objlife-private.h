/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private declarations shared by the library's files. Never installed.
 *
 * Internal functions that cross files are named ol_*: hidden by
 * -fvisibility=hidden in the shared library, and prefixed so they cannot
 * collide with a user's symbols in a static link.
 */
#ifndef OBJLIFE_PRIVATE_H
#define OBJLIFE_PRIVATE_H

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The library is the out-of-line implementation: no inline shadows of the
 * exported names, but the header's inline bodies, which the exported
 * get/put/get_unless_zero are (refcount.c). */
#define OBJLIFE_NO_INLINE 1
#define OBJLIFE__INLINE_BODIES 1
#include "objlife.h"
#include "atomic.h"
#include "addrmap.h"

#if !defined(__GNUC__)
# error "libobjlife is built with GCC or Clang (its consumers need not be)"
#endif

#define ol_likely(x)   __builtin_expect(!!(x), 1)
#define ol_unlikely(x) __builtin_expect(!!(x), 0)
/* mingw-w64 checks printf formats against msvcrt's printf (no %zu) unless
 * its own C99 printf is in use, which config.h's _GNU_SOURCE turns on. */
#ifdef __MINGW_PRINTF_FORMAT
# define OL_PRINTF(f, a) __attribute__((format(__MINGW_PRINTF_FORMAT, f, a)))
#else
# define OL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif

/* Handlers that keep the library's locks consistent across fork(). Windows
 * has no fork (winpthreads' pthread_atfork() is a macro that drops its
 * arguments): the handlers are only named there, so they count as used. */
#ifdef _WIN32
# define ol_atfork(prepare, parent, child) ((void)(prepare), (void)(parent), (void)(child))
#else
# define ol_atfork(prepare, parent, child) ((void)pthread_atfork(prepare, parent, child))
#endif

/* The library's locks and their fork handlers. Each prepare handler takes
 * its lock and the parent and child handlers release it, so that a child
 * never inherits a lock held by a thread it does not have. Each registers
 * its handlers (in a pthread_once) before its lock is first taken, and
 * none of them is held while another lock of the library is taken: the
 * registry's shards are taken together only by their own handler, in
 * index order.
 *
 *   lock                 file          handlers (prepare / parent, child)
 *   big_lock             memory.c      big_lock_ / big_unlock_
 *   depot_lock           stackdepot.c  depot_lock_ / depot_unlock_
 *   shards[0..63].lock   registry.c    lock_all / unlock_all
 *   q_lock               poison.c      q_lock_ / q_unlock_
 *   lc_lock              livecount.c   lc_atfork_prepare / lc_atfork_parent
 *                                      (it also guards thread.c's list of threads)
 *   stream_lock          options.c     stream_lock_take / stream_lock_drop
 *   handler_lock         report.c      handler_lock_prepare / handler_lock_parent,
 *                                      handler_lock_child (which also forgets
 *                                      the handler calls of other threads)
 *
 * The pthread_once controls (options.c, stackdepot.c, registry.c,
 * poison.c, livecount.c, thread.c, backtrace.c, memory.c) need no handler
 * with glibc, which restarts in the child a once whose routine a fork
 * interrupted. (Where the C library does not, a fork during the first
 * call of one of these routines can leave the child waiting on it.)
 * cache.c and thread.c have no lock of their own: a thread's records and
 * magazines are its own. */

/* ------------------------------------------------------------------ */
/* struct objlife::_info: flags in the low byte, the size above them. */
/* ------------------------------------------------------------------ */

enum {
	OL_INITIALISING = 1u << 0, /* ops->init runs: the last put must not release */
	OL_REPORTED     = 1u << 1, /* a misuse was reported: later ones are silent */
	OL_MAY_LEAK     = 1u << 2, /* left out of live counts and leak reports */
	OL_BIG          = 1u << 3, /* size did not fit here: memory.c keeps it */
	OL_ALIGNED      = 1u << 4, /* default allocator took the over-aligned path */
	OL_POISONED     = 1u << 5, /* freed, waiting in poison.c's quarantine */
	OL_UNTRACKED    = 1u << 6, /* leaks is on, but the registry had no memory for it */
};
#define OL_FLAG_BITS 8u
#define OL_FLAG_MASK ((1u << OL_FLAG_BITS) - 1u)
/* Sizes up to this are kept in _info; larger ones by memory.c. */
#define OL_INFO_SIZE_MAX ((size_t)(UINT32_MAX >> OL_FLAG_BITS))

/* ------------------------------------------------------------------ */
/* core.c: the teardown path                                          */
/* ------------------------------------------------------------------ */

/* The last reference is gone (count 0, acquire fence done): runs
 * ops->release and returns true when the memory may be freed; false when
 * the object must leak (init still running, or release took a reference). */
bool ol_run_release(struct objlife *obj);
/* Gives an object's memory back and uncounts it. */
void ol_destroy(struct objlife *obj);
/* ol_run_release() then ol_destroy(). */
void ol_release(struct objlife *obj);

/* ------------------------------------------------------------------ */
/* refcount.c: saturation                                             */
/* ------------------------------------------------------------------ */

/* Pins @obj's count at @pin and reports @event, unless an event was
 * already reported for @obj: one per object. @seen is the count observed
 * by the failing operation. */
void ol_pin_and_report(struct objlife *obj, uint32_t pin, enum objlife_event event, uint32_t seen,
		       const char *fmt, ...) OL_PRINTF(5, 6);
/* Saturation, as refcount_t's: the object leaks from now on. */
#define ol_saturate(obj, event, seen, ...) \
	ol_pin_and_report(obj, OBJLIFE_REFCOUNT_SATURATED, event, seen, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* memory.c: raw memory, and the library's own bookkeeping memory     */
/* ------------------------------------------------------------------ */

/* Who asks for internal memory: lets a fault-injection test fail one
 * user's allocations only. */
enum ol_mem_use {
	OL_MEM_LIVECOUNT,   /* livecount.c's type records; thread.c's records and maps */
	OL_MEM_BIG_SIZE,    /* memory.c's record of sizes over OL_INFO_SIZE_MAX */
	OL_MEM_REGISTRY,    /* registry.c's buckets and entries */
	OL_MEM_STACK,       /* stackdepot.c's interned stacks */
	OL_MEM_TRACKER,     /* tracker.c's trackers and their table */
	OL_MEM_QUARANTINE,  /* poison.c's ring of freed objects */
	OL_MEM_REPORT,      /* report texts longer than a line */
	OL_MEM_STACK_CACHE, /* backtrace.c's per-thread stack caches */
	OL_MEM_CACHE,       /* cache.c's magazines of freed blocks */
};
/* Every allocation the library makes for itself goes through these three,
 * so that one hook can fail them. NULL on failure, errno untouched by the
 * hook. ol_free(NULL) does nothing. */
void *ol_malloc(enum ol_mem_use use, size_t size);
void *ol_calloc(enum ol_mem_use use, size_t n, size_t size);
void ol_free(void *mem);
/* Makes the array *@array of *@cap elements of @size bytes hold at least
 * @need, doubling (from 64); false, with the array as it was, when memory
 * for @use runs out. */
bool ol_array_grow(enum ol_mem_use use, void **array, size_t *cap, size_t need, size_t size);
/* Fault injection for tests that link the library's sources: when set and
 * it returns true, the allocation fails. Not reachable through the shared
 * library (hidden). */
extern bool (*ol_mem_fail_hook)(enum ol_mem_use use, size_t size);

/* Zeroed, aligned memory from ops->alloc or the default allocator. Sets
 * OL_ALIGNED in *@flags when the default allocator's aligned path served
 * it. Returns NULL with errno: ENOMEM, or EINVAL when ops->alloc returned
 * memory that is not aligned as asked (after giving it back). */
void *ol_mem_alloc(const struct objlife_ops *ops, size_t size, size_t align, uint32_t *flags);
/* Gives memory back the way it came. */
void ol_mem_free(const struct objlife_ops *ops, void *mem, size_t size, uint32_t flags);
/* Sizes above OL_INFO_SIZE_MAX: remembered per address. */
int ol_big_size_remember(const void *mem, size_t size);   /* 0 or -ENOMEM */
size_t ol_big_size_forget(const void *mem);               /* returns the size */

/* ------------------------------------------------------------------ */
/* report.c: reports                                                  */
/* ------------------------------------------------------------------ */

const char *ol_event_word(enum objlife_event event);

/* The stable start of a report about one object (the line format of
 * objlife(7) and the README), as a format and its arguments:
 * printf(OL_OBJECT_HEADER "%s", OL_OBJECT_HEADER_ARGS(...), text). */
#define OL_OBJECT_HEADER "objlife: %s: type=%s obj=%p count=%u: "
#define OL_OBJECT_HEADER_ARGS(event, type, obj, count) \
	ol_event_word(event), (type), (const void *)(obj), (unsigned)(count)

/* A growing text for multi-line reports. Never fails: past an allocation
 * failure it keeps what fits in the inline buffer and ends with "...". */
struct ol_text {
	char *buf;        /* small, or from ol_malloc */
	size_t len, cap;
	bool truncated;
	char small[1024];
};
void ol_text_init(struct ol_text *t);
void ol_text_add(struct ol_text *t, const char *fmt, ...) OL_PRINTF(2, 3);
void ol_text_free(struct ol_text *t);
/* A type's name, copied for reports about objects that may outlive their
 * ops table (a dead object's tracker, a quarantined object): the first
 * OL_TYPE_KEPT - 1 bytes, ending in "..." when cut. */
#define OL_TYPE_KEPT 32u
void ol_type_copy(char dst[OL_TYPE_KEPT], const char *name);
/* Formats "objlife: WORD: type=T obj=P count=N: text" and delivers it. */
void ol_report_object(enum objlife_event event, const struct objlife *obj, uint32_t count,
		      const char *fmt, va_list ap) OL_PRINTF(4, 0);
/* Delivers a whole, already formatted report. */
void ol_report_text(enum objlife_event event, const struct objlife *obj, const char *text);
/* The same, but the default handler does not abort after it: for a report
 * in several parts (the LEAK groups at exit), followed by
 * ol_report_abort_if_asked() once the last part is out. */
void ol_report_part(enum objlife_event event, const struct objlife *obj, const char *text);
void ol_report_abort_if_asked(void);
/* OBJLIFE_EVENT_NO_MEMORY, once per process and @what: an internal
 * allocation failed, @obj (may be NULL) carries on with less checking. */
void ol_report_no_memory(unsigned what, const struct objlife *obj, const char *text);
enum {
	OL_NOMEM_REGISTRY = 1u << 0,
	OL_NOMEM_STACK = 1u << 1,
	OL_NOMEM_TRACKER = 1u << 2,
	OL_NOMEM_QUARANTINE = 1u << 3,
	OL_NOMEM_STACK_CACHE = 1u << 4,
};
/* Which OL_NOMEM_* were reported so far. */
unsigned ol_report_no_memory_seen(void);

/* ------------------------------------------------------------------ */
/* options.c: OBJLIFE_DEBUG, read once                                */
/* ------------------------------------------------------------------ */

enum {
	OL_OPT_ABORT = 1u << 0,
	OL_OPT_LEAKS = 1u << 1,   /* registry.c, leakcheck.c, stacks */
	OL_OPT_REFS = 1u << 2,    /* tracker.c; implies OL_OPT_LEAKS */
	OL_OPT_POISON = 1u << 3,  /* poison.c */
	OL_OPT_EXITCODE = 1u << 4, /* exitcode=N: leaks at exit exit with N (implies leaks) */
	OL_OPT_UNREAD = 1u << 31, /* options.c's word only: OBJLIFE_DEBUG not read yet */
};
/* What the allocation and teardown paths look at: one test of one cached
 * word each, so that unset diagnostics cost one predictable branch. */
#define OL_OPT_OBJECT_HOOKS (OL_OPT_LEAKS | OL_OPT_POISON)
/* The options word: OL_OPT_UNREAD until the first ol_options(). */
extern unsigned ol_options_word;
/* Reads OBJLIFE_DEBUG (once, however many threads ask) and returns the
 * flags. */
unsigned ol_options_read(void);
/* The OL_OPT_* flags. One load and one test once they are read: the hot
 * paths call it freely. */
static inline unsigned ol_options(void)
{
	unsigned options = ol_load32(&ol_options_word, OL_ACQUIRE);

	return ol_likely(!(options & OL_OPT_UNREAD)) ? options : ol_options_read();
}
/* exitcode=N's N, when OL_OPT_EXITCODE is set. */
int ol_options_exit_code(void);
/* Where the default handler writes: OBJLIFE_DEBUG_FILE, or stderr. The
 * file is opened by the first call, without blocking; when that fails,
 * stderr, after one line saying so. */
FILE *ol_report_stream(void);

/* ------------------------------------------------------------------ */
/* stackdepot.c: stacks, stored once however often they recur         */
/* ------------------------------------------------------------------ */

#define OL_STACK_DEPTH 16   /* frames kept per stack */

/* An interned stack: immutable once made and never freed, so a pointer to
 * one may be kept anywhere, copied without a lock, and compared for
 * equality (equal pointers, equal stacks). frames[0] is the innermost
 * user frame: the return address into the code that called the library. */
struct ol_stack {
	struct ol_stack *next;      /* depot hash chain, under the depot lock */
	uint32_t hash;
	uint32_t depth;
	void *frames[];
};
/* The interned copy of @frames; NULL only when out of memory. */
const struct ol_stack *ol_stack_intern(void *const *frames, unsigned depth);

/* ------------------------------------------------------------------ */
/* backtrace.c: capture (cheap, at every allocation) and symbolise    */
/* ------------------------------------------------------------------ */

/* The stack of the user's code that called the library's public entry
 * point, whose return address is @caller (__builtin_return_address(0) in
 * that entry point): frames above it, the library's own, are left out.
 * NULL when out of memory. Takes the depot lock at most. */
const struct ol_stack *ol_stack_capture(const void *caller);

/* Symbolising is slow (files, DWARF): one session per report. */
struct ol_symbolizer;
struct ol_symbolizer *ol_symbolizer_new(void);   /* NULL: raw addresses only */
void ol_symbolizer_free(struct ol_symbolizer *sym);
/* Appends "    #N function (file:line)" lines, one per frame; for a NULL
 * @stack one line saying there is none. */
void ol_stack_format(struct ol_text *t, struct ol_symbolizer *sym, const struct ol_stack *stack);
/* What backtrace.c was built with, for the help text. */
const char *ol_backtrace_method(void);

/* ------------------------------------------------------------------ */
/* registry.c: live objects, when OBJLIFE_DEBUG has leaks             */
/* ------------------------------------------------------------------ */

/* The registry is split in shards by object address, each with its own
 * lock, map of objects and tracker.c's state for those objects, so that
 * threads working on different objects rarely meet. One shard's lock is
 * never held with another's, nor with any other lock of the library. */
#define OL_REGISTRY_SHARDS 64u

struct ol_tracker;
/* One per live object, keyed by its address; owned by registry.c. */
struct ol_entry {
	struct ol_anode node;             /* key: the object's address */
	const struct ol_stack *stack;     /* where it was allocated; NULL: unknown */
	struct ol_tracker *trackers;      /* live trackers (tracker.c's list) */
	uintptr_t serial;                 /* which object at this address: new per add */
	uint32_t untracked_refs;          /* refs taken by get_tracked without a tracker */
};

/* tracker.c's part of a shard: the trackers of this shard's objects. */
struct ol_tracker_shard {
	struct ol_amap map;               /* live and recently dropped, by handle */
	struct ol_tracker *dead_head, *dead_tail; /* dropped ones, oldest first */
	unsigned ndead;
};

/* Records a new object (count 1, before init). On no memory marks it
 * OL_UNTRACKED and reports that once; the object works as ever. */
void ol_registry_add(struct objlife *obj, const void *caller);
/* The object is dying (release ran): forgets it. Trackers still held on
 * it are reported as BAD_TRACKER. */
void ol_registry_remove(struct objlife *obj);

unsigned ol_registry_shard_of(uintptr_t key);
/* Locks @shard and returns its tracker state. */
struct ol_tracker_shard *ol_registry_lock(unsigned shard);
void ol_registry_unlock(unsigned shard);
/* @shard locked: @obj's entry, or NULL (untracked, or not an object). */
struct ol_entry *ol_registry_find(unsigned shard, const struct objlife *obj);

/* One live object, copied out for a report. */
struct ol_leak {
	const struct objlife *obj;        /* the address only */
	const struct objlife_ops *ops;
	const struct ol_stack *stack;
	uint32_t count;
	uint32_t ntrackers;
	size_t trackers;                  /* index of the first in ol_leak_set.tracker */
};
struct ol_leak_set {
	struct ol_leak *leak;
	size_t n, cap;
	const struct ol_stack **tracker;  /* the stacks of every leak's live trackers */
	size_t ntracker, tracker_cap;
	bool incomplete;                  /* out of memory while copying */
};
/* Copies every live object not marked may_leak (each shard under its
 * lock in turn). Free with ol_leak_set_free(). */
void ol_registry_snapshot(struct ol_leak_set *set);
void ol_leak_set_free(struct ol_leak_set *set);

/* leakcheck.c: the report at exit, called by registry.c's destructor
 * (after the program's atexit handlers, C++ static destructors and ELF
 * destructors) when "leaks" is on. */
/* Returns how many reports it made: 0 when nothing leaked. */
size_t ol_leak_report_at_exit(void);

/* ------------------------------------------------------------------ */
/* tracker.c: reference trackers, when OBJLIFE_DEBUG has refs         */
/* ------------------------------------------------------------------ */

/* Registry shard locked, @entry just removed (its object is released):
 * marks its live trackers dropped. Returns how many there were and copies
 * up to @max of their stacks to @taken. */
unsigned ol_tracker_orphan_all(struct ol_tracker_shard *ts, struct ol_entry *entry,
			       const struct ol_stack **taken, unsigned max);
/* No lock held: reports BAD_TRACKER for @obj, released with @held
 * trackers still held, listing the first @shown of @taken. */
void ol_tracker_report_orphans(const struct objlife *obj, unsigned held,
			       const struct ol_stack *const *taken, unsigned shown);
/* Registry shard locked: copies the stacks of up to @max of @entry's live
 * trackers to @out and returns how many it has (which may be more). */
uint32_t ol_tracker_stacks(const struct ol_entry *entry, const struct ol_stack **out,
			   uint32_t max);

/* ------------------------------------------------------------------ */
/* poison.c: the quarantine of freed objects                          */
/* ------------------------------------------------------------------ */

/* Takes the dead object (release ran, uncounted, out of the registry)
 * into the quarantine. Returns false when it cannot (no memory): the
 * caller frees it as usual. */
bool ol_quarantine_put(struct objlife *obj, size_t size, uint32_t info);
/* A get, put or get_unless_zero (@what) reached a quarantined object:
 * reports BAD_OBJECT once per object and restores the dead count. */
void ol_poison_access(struct objlife *obj, const char *what);
static inline bool ol_is_poisoned(const struct objlife *obj)
{
	return ol_load32(&obj->_info, OL_RELAXED) & OL_POISONED;
}

#endif /* OBJLIFE_PRIVATE_H */
