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

/* The library is the out-of-line implementation: no inline shadows. */
#define OBJLIFE_NO_INLINE 1
#include "objlife.h"
#include "refcount.h"

#if !defined(__GNUC__)
# error "libobjlife is built with GCC or Clang (its consumers need not be)"
#endif

#define ol_likely(x)   __builtin_expect(!!(x), 1)
#define ol_unlikely(x) __builtin_expect(!!(x), 0)
#define OL_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ------------------------------------------------------------------ */
/* struct objlife::_info: flags in the low byte, the size above them. */
/* ------------------------------------------------------------------ */

enum {
	OL_INITIALISING = 1u << 0, /* ops->init runs: the last put must not release */
	OL_REPORTED     = 1u << 1, /* a misuse was reported: later ones are silent */
	OL_MAY_LEAK     = 1u << 2, /* left out of live counts and leak reports */
	OL_BIG          = 1u << 3, /* size did not fit here: memory.c keeps it */
	OL_ALIGNED      = 1u << 4, /* default allocator took the over-aligned path */
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

/* Pins @obj's count at OBJLIFE_REFCOUNT_SATURATED and reports @event,
 * unless an event was already reported for @obj: one per object. @seen is
 * the count observed by the failing operation. */
void ol_saturate(struct objlife *obj, enum objlife_event event, uint32_t seen,
		 const char *fmt, ...) OL_PRINTF(4, 5);

/* ------------------------------------------------------------------ */
/* memory.c: raw memory                                               */
/* ------------------------------------------------------------------ */

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
size_t ol_big_size_lookup(const void *mem);

/* The size an object was allocated with. */
size_t ol_object_size(const struct objlife *obj);

/* ------------------------------------------------------------------ */
/* livecount.c: always-on per-type live counts                        */
/* ------------------------------------------------------------------ */

int ol_livecount_inc(const struct objlife_ops *ops);  /* 0 or -ENOMEM */
void ol_livecount_dec(const struct objlife_ops *ops); /* after a successful inc */

/* Calls @fn for every type with live objects, with lc's lock held: @fn
 * must not allocate or free objlife objects. */
typedef void (*ol_type_fn)(const struct objlife_ops *ops, size_t live, void *data);
void ol_livecount_foreach(ol_type_fn fn, void *data);

/* ------------------------------------------------------------------ */
/* report.c: reports                                                  */
/* ------------------------------------------------------------------ */

const char *ol_event_word(enum objlife_event event);
/* Formats "objlife: WORD: type=T obj=P count=N: text" and delivers it. */
void ol_report_object(enum objlife_event event, const struct objlife *obj, uint32_t count,
		      const char *fmt, va_list ap) OL_PRINTF(4, 0);
/* Delivers a whole, already formatted report. */
void ol_report_text(enum objlife_event event, const struct objlife *obj, const char *text);

/* ------------------------------------------------------------------ */
/* options.c: OBJLIFE_DEBUG, read once                                */
/* ------------------------------------------------------------------ */

enum {
	OL_OPT_ABORT = 1u << 0,
};
unsigned ol_options(void);
/* Where the default handler writes: OBJLIFE_DEBUG_FILE, or stderr. */
FILE *ol_report_stream(void);

#endif /* OBJLIFE_PRIVATE_H */
