/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the benchmark's translation units share: the shape of a candidate
 * and the barriers that keep the compiler from deleting measured work.
 *
 * Each candidate lives in the translation unit that knows its library
 * (bench-raw.c, bench-objlife.c, bench-objlife-noinline.c, bench-glib.c,
 * bench-cxx.cc; bench-mixed.c holds a case's floor and objlife together,
 * so that they share the document they build); objlife-bench.c only times
 * them. Every run function is
 * out of line and does all its iterations itself, so the harness's call
 * and the clock reads are paid once per batch, not once per operation.
 */
#ifndef OBJLIFE_BENCH_H
#define OBJLIFE_BENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The compiler must believe @p is read and memory may have changed: an
 * allocation whose pointer escapes here cannot be elided, and a pointer
 * laundered by bench_hide() cannot be proven to be the same object twice. */
#define bench_escape(p) __asm__ __volatile__("" : : "r"(p) : "memory")
#define bench_hide(p)   __asm__ __volatile__("" : "+r"(p))

#define BENCH_NOINLINE __attribute__((noinline))

/*
 * One candidate of a case. @setup gets the object size the case is about
 * (0 where size does not matter) and returns the state @run works on;
 * @run does @n operations (one get+put pair, or one allocation and its
 * final put); @teardown undoes @setup. For the contended case the harness
 * calls @run from two threads at once with the same state.
 */
struct bench_impl {
	void *(*setup)(size_t size);
	void (*run)(void *state, uint64_t n);
	void (*teardown)(void *state);
};

/* The objects of the lifecycle case, as their users declare them. An
 * intrusive header (objlife 16 bytes, GObject 24) counts inside these
 * sizes; GRcBox and shared_ptr put theirs outside the user's struct. */
#define BENCH_SMALL 64
#define BENCH_LARGE 1024

/* bench-workers.c: one or two worker threads that live for a whole case.
 * Each runs @first(args[i]) once (start returns when all have), then
 * @batch(args[i], n) for every bench_workers_run(), which returns when
 * each has done its whole batch, and @last(args[i]) when stopped. @first
 * and @last may be NULL. */
#define BENCH_MAX_WORKERS 2
struct bench_workers;
struct bench_workers *bench_workers_start(unsigned n, void (*first)(void *arg),
					  void (*batch)(void *arg, uint64_t n),
					  void (*last)(void *arg), void *const args[]);
void bench_workers_run(struct bench_workers *ws, uint64_t n);
void bench_workers_stop(struct bench_workers *ws);

/* bench-raw.c: the floors. The lifecycle has two, calloc() and malloc() +
 * memset(), each with a hand-written count; the faster is the floor. */
extern const struct bench_impl bench_raw_refpair;      /* C11 atomics */
extern const struct bench_impl bench_raw_lifecycle_calloc;
extern const struct bench_impl bench_raw_lifecycle_malloc;

/* bench-objlife.c: the inline fast path of <objlife.h>. */
extern const struct bench_impl bench_objlife_refpair;
/* The same loop on an object in static storage (OBJLIFE_STATIC_INIT). */
extern const struct bench_impl bench_objlife_static_refpair;
extern const struct bench_impl bench_objlife_lifecycle;
/* The same types with a per-thread cache (ops->cache). */
extern const struct bench_impl bench_objlife_cached_lifecycle;
/* lifecycle-64 in a worker thread (two, for the -2t ones, at once) that
 * first used as many other types as the case's size says. */
extern const struct bench_impl bench_objlife_types_uncached;
extern const struct bench_impl bench_objlife_types_cached;
extern const struct bench_impl bench_objlife_types_uncached_2t;
extern const struct bench_impl bench_objlife_types_cached_2t;
/* Allocates @n live objects of the lifecycle case's 64-byte type, for the
 * registry's cost at a given population; frees them. */
void **bench_objlife_hold(size_t n);
void bench_objlife_unhold(void **objs, size_t n);

/* bench-mixed.c: a JSON parser's document of six node types, built and
 * torn down in worker threads; the case's size is the number of threads
 * (1 or 2). One operation is one node's allocation and last put. */
extern const struct bench_impl bench_mixed_floor_calloc;
extern const struct bench_impl bench_mixed_floor_malloc;
extern const struct bench_impl bench_mixed_objlife_one;
extern const struct bench_impl bench_mixed_objlife_six;
extern const struct bench_impl bench_mixed_objlife_one_cached;
extern const struct bench_impl bench_mixed_objlife_six_cached;
/* Six types whose caches hold a whole document's nodes of the type. */
extern const struct bench_impl bench_mixed_objlife_six_doc_cached;
/* The document's node count, and @counts[6] of each type (null/true/false,
 * integer, real, string, array, object). */
size_t bench_mixed_counts(size_t counts[6]);

/* bench-lookup.c: a registered object found by key, referenced and put:
 * objlife_lookup() against a hash under a pthread mutex or rwlock, in the
 * calling thread or in two worker threads (time per lookup per thread).
 * The case's size is the number of registered objects. */
extern const struct bench_impl bench_lookup_mutex;
extern const struct bench_impl bench_lookup_rwlock;
extern const struct bench_impl bench_lookup_objlife;
extern const struct bench_impl bench_lookup_mutex_2t;
extern const struct bench_impl bench_lookup_rwlock_2t;
extern const struct bench_impl bench_lookup_objlife_2t;
/* The hand-written walk and get with no lock: unsafe, for scale only. */
extern const struct bench_impl bench_lookup_unlocked;
extern const struct bench_impl bench_lookup_unlocked_2t;

/* bench-objlife-noinline.c: the same calls through the exported symbols. */
extern const struct bench_impl bench_objlife_exported_refpair;

/* bench-glib.c: GLib's GRcBox and GObject. */
extern const struct bench_impl bench_grcbox_refpair;
extern const struct bench_impl bench_grcbox_lifecycle;
extern const struct bench_impl bench_gobject_refpair;
extern const struct bench_impl bench_gobject_lifecycle;

/* bench-cxx.cc: the C++ standard library's std::shared_ptr. */
extern const struct bench_impl bench_shared_ptr_refpair;
extern const struct bench_impl bench_make_shared_lifecycle;

#ifdef __cplusplus
}
#endif

#endif /* OBJLIFE_BENCH_H */
