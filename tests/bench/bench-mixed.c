/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mixed case: what a JSON parser's document costs, node by node. Six
 * node types of six sizes (24 to 96 bytes: null/true/false, integer,
 * real, string, array, object), allocated in the order a parser meets
 * them, each with a trivial init (one field written), then torn down.
 *
 * The document is one fixed shape, drawn once from a seeded generator
 * (mixed_shape(), below) and the same for every candidate: an array of
 * records, each an object whose members are mostly scalars, sometimes an
 * array or a nested object. Nodes are allocated in document order (a
 * container before its contents, as a parser creates it on '{' or '['),
 * and put in the reverse order: every child before its parent, which is
 * what a recursive tree free does, and the only order in which a parent's
 * last put could put its children. The floor and objlife do the same work
 * here, in one translation unit, so that nothing but the library differs.
 *
 * Candidates:
 *   floor-calloc, floor-malloc  the same six structs written by hand: a
 *       uint32_t count first, zeroed memory (calloc(), or malloc() and an
 *       inlined memset()), the count set to 1, one field written; the
 *       last put a release decrement, the acquire fence and free().
 *   objlife-one   every node of one type (one ops table, six sizes): the
 *       library's cost without type switches, for comparison.
 *   objlife-six   six types interleaved, one ops table per node type.
 *   *-cached      the same with ops->cache = 64.
 *   objlife-six-doc-cached  six types, each with a cache that holds
 *       every node of its type in a document (ops->cache = 2048): what
 *       a parser that sizes its caches to its documents pays.
 * Each runs in worker threads that live for the whole case: one, or two
 * at once (the -2t case), each building its own documents. A run of n
 * operations is n nodes per thread (whole documents, then a first part of
 * one); the time is per node per thread.
 */
#include "config.h"

#include <objlife.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* ------------------------------------------------------------------ */
/* The document                                                       */
/* ------------------------------------------------------------------ */

enum mixed_type { LITERAL, INTEGER, REAL, STRING, ARRAY, OBJECT, N_MIXED_TYPES };

/* Nodes per document: a few hundred records of a REST response or a
 * configuration file. */
#define MIXED_NODES 4096

static unsigned char shape[MIXED_NODES];
static size_t shape_len;
static pthread_once_t shape_once = PTHREAD_ONCE_INIT;
static uint32_t shape_rng;

/* xorshift32 with a fixed seed: the same document on every machine. */
static uint32_t rnd(uint32_t below)
{
	shape_rng ^= shape_rng << 13;
	shape_rng ^= shape_rng >> 17;
	shape_rng ^= shape_rng << 5;
	return shape_rng % below;
}

static int emit(enum mixed_type t)
{
	if (shape_len == MIXED_NODES)
		return 0;
	shape[shape_len++] = (unsigned char)t;
	return 1;
}

static int object(unsigned depth);
static int array(unsigned depth);

/* A member's value: mostly strings and numbers, as in real documents. */
static int value(unsigned depth)
{
	uint32_t r = rnd(100);

	if (r < 38)
		return emit(STRING);
	if (r < 58)
		return emit(INTEGER);
	if (r < 66)
		return emit(REAL);
	if (r < 80)
		return emit(LITERAL);
	if (r < 90 && depth < 4)
		return array(depth + 1);
	if (depth < 4)
		return object(depth + 1);
	return emit(STRING);
}

static int array(unsigned depth)
{
	uint32_t n = rnd(9), i;

	if (!emit(ARRAY))
		return 0;
	for (i = 0; i < n; i++)
		if (!value(depth))
			return 0;
	return 1;
}

static int object(unsigned depth)
{
	uint32_t n = 2 + rnd(9), i;

	if (!emit(OBJECT))
		return 0;
	for (i = 0; i < n; i++)
		if (!value(depth))
			return 0;
	return 1;
}

static void mixed_shape(void)
{
	shape_rng = 0x9e3779b9u;
	/* The root array of records, until the document is full. */
	emit(ARRAY);
	while (object(1))
		;
}

/* ------------------------------------------------------------------ */
/* The floor: six structs written by hand                             */
/* ------------------------------------------------------------------ */

struct raw_head {
	uint32_t count;
	int field;
};

#define RAW_NODE(name, size) \
	struct name { struct raw_head h; char pad[(size) - sizeof(struct raw_head)]; }
RAW_NODE(raw_literal, 24);
RAW_NODE(raw_integer, 32);
RAW_NODE(raw_real, 40);
RAW_NODE(raw_string, 56);
RAW_NODE(raw_array, 72);
RAW_NODE(raw_object, 96);

/* The struct's size is a constant, so memset() is inlined. GCC turns
 * malloc() and memset() into calloc(): bench_hide() stops it, as the
 * library's own allocator does. */
#define RAW_NEW(type, use_calloc) ({ \
	struct type *p_; \
	if (use_calloc) { \
		p_ = calloc(1, sizeof(*p_)); \
	} else { \
		p_ = malloc(sizeof(*p_)); \
		bench_hide(p_); \
		if (p_) \
			memset(p_, 0, sizeof(*p_)); \
	} \
	p_ ? &p_->h : NULL; \
})

static inline struct raw_head *raw_node(enum mixed_type t, int use_calloc)
{
	switch (t) {
	case LITERAL: return RAW_NEW(raw_literal, use_calloc);
	case INTEGER: return RAW_NEW(raw_integer, use_calloc);
	case REAL:    return RAW_NEW(raw_real, use_calloc);
	case STRING:  return RAW_NEW(raw_string, use_calloc);
	case ARRAY:   return RAW_NEW(raw_array, use_calloc);
	default:      return RAW_NEW(raw_object, use_calloc);
	}
}

static inline void raw_build_and_free(void **nodes, size_t k, int use_calloc)
{
	size_t i;

	for (i = 0; i < k; i++) {
		struct raw_head *h = raw_node((enum mixed_type)shape[i], use_calloc);

		if (!h)
			abort();
		h->count = 1;
		h->field = 1;
		bench_escape(h);
		nodes[i] = h;
	}
	while (k--) {
		struct raw_head *h = nodes[k];

		if (__atomic_fetch_sub(&h->count, 1, __ATOMIC_RELEASE) == 1) {
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			free(h);
		}
	}
}

static BENCH_NOINLINE void raw_calloc_doc(void **nodes, size_t k) { raw_build_and_free(nodes, k, 1); }
static BENCH_NOINLINE void raw_malloc_doc(void **nodes, size_t k) { raw_build_and_free(nodes, k, 0); }

/* ------------------------------------------------------------------ */
/* objlife: the same six structs with its header                      */
/* ------------------------------------------------------------------ */

struct ol_head {
	struct objlife ref;
	int field;
};

#define OL_NODE(name, size) \
	struct name { struct ol_head h; char pad[(size) - sizeof(struct ol_head)]; }
OL_NODE(ol_literal, 24);
OL_NODE(ol_integer, 32);
OL_NODE(ol_real, 40);
OL_NODE(ol_string, 56);
OL_NODE(ol_array, 72);
OL_NODE(ol_object, 96);

typedef char mixed_assert_sizes[sizeof(struct raw_literal) == 24 && sizeof(struct ol_literal) == 24 &&
				sizeof(struct raw_object) == 96 && sizeof(struct ol_object) == 96 ? 1 : -1];

/* The trivial init: one field, as the floor writes it. */
static int node_init(struct objlife *obj, void *arg)
{
	(void)arg;
	((struct ol_head *)obj)->field = 1;
	return 0;
}

#define MIXED_CACHE 64
#define OPS(name_, cache_) { .name = name_, .init = node_init, .cache = cache_ }
/* One ops table per node type; [N_MIXED_TYPES] is the one type of the
 * objlife-one candidates. */
static const struct objlife_ops six_ops[N_MIXED_TYPES + 1] = {
	OPS("json-literal", 0), OPS("json-integer", 0), OPS("json-real", 0),
	OPS("json-string", 0), OPS("json-array", 0), OPS("json-object", 0),
	OPS("json-node", 0),
};
static const struct objlife_ops six_cached_ops[N_MIXED_TYPES + 1] = {
	OPS("json-literal-cached", MIXED_CACHE), OPS("json-integer-cached", MIXED_CACHE),
	OPS("json-real-cached", MIXED_CACHE), OPS("json-string-cached", MIXED_CACHE),
	OPS("json-array-cached", MIXED_CACHE), OPS("json-object-cached", MIXED_CACHE),
	OPS("json-node-cached", MIXED_CACHE),
};
/* Room for every node of a type in one document (1,701 strings at most). */
#define MIXED_DOC_CACHE 2048
static const struct objlife_ops six_doc_cached_ops[N_MIXED_TYPES + 1] = {
	OPS("json-literal-doc", MIXED_DOC_CACHE), OPS("json-integer-doc", MIXED_DOC_CACHE),
	OPS("json-real-doc", MIXED_DOC_CACHE), OPS("json-string-doc", MIXED_DOC_CACHE),
	OPS("json-array-doc", MIXED_DOC_CACHE), OPS("json-object-doc", MIXED_DOC_CACHE),
	OPS("json-node-doc", MIXED_DOC_CACHE),
};

/* @one: every node of ops[N_MIXED_TYPES]; else of ops[its type]. The
 * header is each struct's first member, so the casts are conversions. */
static inline struct objlife *ol_node(enum mixed_type t, const struct objlife_ops *ops, int one)
{
	const struct objlife_ops *o = one ? &ops[N_MIXED_TYPES] : &ops[t];

	switch (t) {
	case LITERAL: return (struct objlife *)objlife_alloc(struct ol_literal, h.ref, o, NULL);
	case INTEGER: return (struct objlife *)objlife_alloc(struct ol_integer, h.ref, o, NULL);
	case REAL:    return (struct objlife *)objlife_alloc(struct ol_real, h.ref, o, NULL);
	case STRING:  return (struct objlife *)objlife_alloc(struct ol_string, h.ref, o, NULL);
	case ARRAY:   return (struct objlife *)objlife_alloc(struct ol_array, h.ref, o, NULL);
	default:      return (struct objlife *)objlife_alloc(struct ol_object, h.ref, o, NULL);
	}
}

static inline void ol_build_and_free(void **nodes, size_t k, const struct objlife_ops *ops, int one)
{
	size_t i;

	for (i = 0; i < k; i++) {
		struct objlife *obj = ol_node((enum mixed_type)shape[i], ops, one);

		if (!obj)
			abort();
		bench_escape(obj);
		nodes[i] = obj;
	}
	while (k--)
		objlife_put(nodes[k]);
}

static BENCH_NOINLINE void ol_one_doc(void **nodes, size_t k) { ol_build_and_free(nodes, k, six_ops, 1); }
static BENCH_NOINLINE void ol_six_doc(void **nodes, size_t k) { ol_build_and_free(nodes, k, six_ops, 0); }
static BENCH_NOINLINE void ol_one_cached_doc(void **nodes, size_t k) { ol_build_and_free(nodes, k, six_cached_ops, 1); }
static BENCH_NOINLINE void ol_six_cached_doc(void **nodes, size_t k) { ol_build_and_free(nodes, k, six_cached_ops, 0); }
static BENCH_NOINLINE void ol_six_doc_cached_doc(void **nodes, size_t k) { ol_build_and_free(nodes, k, six_doc_cached_ops, 0); }

/* ------------------------------------------------------------------ */
/* Workers                                                            */
/* ------------------------------------------------------------------ */

typedef void doc_fn(void **nodes, size_t k);

struct mixed_worker {
	doc_fn *doc;
	void *nodes[MIXED_NODES];
};

struct mixed_state {
	struct mixed_worker w[BENCH_MAX_WORKERS];
	struct bench_workers *workers;
};

static void mixed_batch(void *arg, uint64_t n)
{
	struct mixed_worker *w = arg;

	while (n) {
		size_t k = n < shape_len ? (size_t)n : shape_len;

		w->doc(w->nodes, k);
		n -= k;
	}
}

/* This thread's cached memory goes back, as at any thread's exit. */
static void mixed_last(void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i <= N_MIXED_TYPES; i++) {
		objlife_cache_trim(&six_cached_ops[i]);
		objlife_cache_trim(&six_doc_cached_ops[i]);
	}
}

static void *mixed_setup(doc_fn *doc, unsigned nworkers)
{
	struct mixed_state *st = calloc(1, sizeof(*st));
	void *args[BENCH_MAX_WORKERS];
	unsigned i;

	pthread_once(&shape_once, mixed_shape);
	if (!st)
		return NULL;
	for (i = 0; i < nworkers; i++) {
		st->w[i].doc = doc;
		args[i] = &st->w[i];
	}
	st->workers = bench_workers_start(nworkers, NULL, mixed_batch, mixed_last, args);
	return st;
}

static BENCH_NOINLINE void mixed_run(void *state, uint64_t n)
{
	struct mixed_state *st = state;

	bench_workers_run(st->workers, n);
}

static void mixed_teardown(void *state)
{
	struct mixed_state *st = state;

	bench_workers_stop(st->workers);
	free(st);
}

/* The case's size is its number of threads. */
#define MIXED_IMPL(name, doc) \
	static void *name##_setup(size_t threads) { return mixed_setup(doc, threads == 2 ? 2 : 1); } \
	const struct bench_impl name = { name##_setup, mixed_run, mixed_teardown }
MIXED_IMPL(bench_mixed_floor_calloc, raw_calloc_doc);
MIXED_IMPL(bench_mixed_floor_malloc, raw_malloc_doc);
MIXED_IMPL(bench_mixed_objlife_one, ol_one_doc);
MIXED_IMPL(bench_mixed_objlife_six, ol_six_doc);
MIXED_IMPL(bench_mixed_objlife_one_cached, ol_one_cached_doc);
MIXED_IMPL(bench_mixed_objlife_six_cached, ol_six_cached_doc);
MIXED_IMPL(bench_mixed_objlife_six_doc_cached, ol_six_doc_cached_doc);

size_t bench_mixed_counts(size_t counts[6])
{
	size_t i;

	pthread_once(&shape_once, mixed_shape);
	memset(counts, 0, 6 * sizeof(*counts));
	for (i = 0; i < shape_len; i++)
		counts[shape[i]]++;
	return shape_len;
}
