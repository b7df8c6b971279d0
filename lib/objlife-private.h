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
#include <stdlib.h>
#ifdef _WIN32
# include <malloc.h>
#endif

/* The library is the out-of-line implementation: no inline shadows of the
 * exported names, but the header's inline bodies, which the exported
 * get/put/get_unless_zero are (refcount.c). */
#define OBJLIFE_NO_INLINE 1
#define OBJLIFE__INLINE_BODIES 1
#include "objlife.h"
#include "atomic.h"

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

/* The library's locks and their fork handlers are listed, with the order
 * rules, in docs/architecture.md ("Locks and fork()"): every lock is a
 * leaf, and each file registers its handlers before its lock is first
 * taken. Keep that table in step when adding a lock. */

/* ------------------------------------------------------------------ */
/* struct objlife::_info: flags in the low byte, the size above them. */
/* ------------------------------------------------------------------ */

enum {
	OL_REGISTERED   = 1u << 0, /* in a table (table.c), registered or withdrawn */
	OL_REPORTED     = 1u << 1, /* a misuse was reported: later ones are silent */
	OL_MAY_LEAK     = 1u << 2, /* left out of live counts and leak reports */
	OL_BIG          = 1u << 3, /* size did not fit here: memory.c keeps it */
	OL_ALIGNED      = 1u << 4, /* default allocator took the over-aligned path */
	OL_POISONED     = 1u << 5, /* freed, waiting in poison.c's quarantine */
	OL_UNTRACKED    = 1u << 6, /* leaks is on, but the registry had no memory for it */
	OL_STATIC       = 1u << 7, /* OBJLIFE_STATIC_INIT: never released (with
				      OL_MAY_LEAK and OL_UNTRACKED) */
};
#define OL_FLAG_BITS 8u
#define OL_FLAG_MASK ((1u << OL_FLAG_BITS) - 1u)
/* Sizes up to this are kept in _info; larger ones by memory.c. */
#define OL_INFO_SIZE_MAX ((size_t)(UINT32_MAX >> OL_FLAG_BITS))

/* ------------------------------------------------------------------ */
/* memory.c: raw memory, and the library's own bookkeeping memory     */
/* ------------------------------------------------------------------ */

/* Who asks for internal memory: lets a fault-injection test fail one
 * user's allocations only. */
enum ol_mem_use {
	OL_MEM_LIVECOUNT,   /* livecount.c's type records; thread.c's records and maps */
	OL_MEM_BIG_SIZE,    /* memory.c's record of sizes over OL_INFO_SIZE_MAX */
	OL_MEM_REGISTRY,    /* registry.c's buckets and entries */
	OL_MEM_STACK,       /* diag/stack.c's interned stacks */
	OL_MEM_TRACKER,     /* tracker.c's trackers and their table */
	OL_MEM_QUARANTINE,  /* poison.c's ring of freed objects */
	OL_MEM_REPORT,      /* report texts longer than a line */
	OL_MEM_STACK_CACHE, /* diag/stack.c's per-thread stack caches */
	OL_MEM_CACHE,       /* cache.c's magazines of freed blocks */
	OL_MEM_TABLE,       /* table.c's tables, registrations, nodes, readers */
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

/* The default allocator (no ops->alloc). Alignments the C library's
 * malloc() already gives every allocation: */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
# define OL_MALLOC_ALIGN _Alignof(max_align_t)
#else
# define OL_MALLOC_ALIGN (2 * sizeof(void *))
#endif
/* Up to this size malloc() and zeroing beat calloc(): glibc's calloc()
 * skips the per-thread cache that malloc() takes small blocks from (16
 * against 11 ns for 64 bytes, 24 against 16 for 1 KiB, x86-64, glibc
 * 2.36). Above it calloc() can know that fresh pages are zero already. */
#define OL_MEMSET_MAX 4096

/* Zeroes @n bytes at @p. The sizes objects mostly have (8 to 256 bytes)
 * take no call and no loop but a short one: stores of 8, 16 or 32 bytes
 * that may overlap, as memset() does inside. */
static inline __attribute__((always_inline)) void ol_zero(void *p, size_t n)
{
	char *c = (char *)p;
	size_t off;

	if (n >= 16 && n <= 32) {
		__builtin_memset(c, 0, 16);
		__builtin_memset(c + n - 16, 0, 16);
	} else if (n > 32 && n <= 64) {
		__builtin_memset(c, 0, 32);
		__builtin_memset(c + n - 32, 0, 32);
	} else if (n > 64 && n <= 256) {
		for (off = 0; off + 32 < n; off += 32)
			__builtin_memset(c + off, 0, 32);
		__builtin_memset(c + n - 32, 0, 32);
	} else if (n >= 8 && n < 16) {
		__builtin_memset(c, 0, 8);
		__builtin_memset(c + n - 8, 0, 8);
	} else {
		__builtin_memset(c, 0, n);
	}
}

/* The default allocator's zeroed memory up to OL_MEMSET_MAX: malloc()
 * and ol_zero(), or NULL (errno set by malloc()). */
static inline __attribute__((always_inline)) void *ol_malloc_zeroed(size_t size)
{
	void *mem = malloc(size);

	if (mem) {
		/* Compilers turn malloc() and zeroing back into calloc(),
		 * which is slower here: not this time. */
		__asm__("" : "+r"(mem));
		ol_zero(mem, size);
	}
	return mem;
}

/* Zeroed, aligned memory from ops->alloc or the default allocator. Sets
 * OL_ALIGNED in *@flags when the default allocator's aligned path served
 * it. Returns NULL with errno: ENOMEM, or EINVAL when ops->alloc returned
 * memory that is not aligned as asked (after giving it back). */
void *ol_mem_alloc(const struct objlife_ops *ops, size_t size, size_t align, uint32_t *flags);
/* Gives memory back the way it came. Inline: it ends every teardown, and
 * is a tail call to free() for most of them. */
static inline void ol_mem_free(const struct objlife_ops *ops, void *mem, size_t size,
			       uint32_t flags)
{
	if (ops->free) {
		ops->free(ops, mem, size);
		return;
	}
#ifdef _WIN32
	if (flags & OL_ALIGNED) {
		_aligned_free(mem);
		return;
	}
#else
	(void)flags;
#endif
	free(mem);
}
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

#endif /* OBJLIFE_PRIVATE_H */
