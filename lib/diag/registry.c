/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registry of live objects, on only when OBJLIFE_DEBUG contains
 * "leaks": for every object, where it was allocated and (with "refs") who
 * holds references to it. The header cannot grow, so the record lives in a
 * map keyed by the object's address.
 *
 * Cost per allocation and per free is O(1) however many objects live:
 *  - 64 shards by address, each with its own lock, so threads working on
 *    different objects seldom share one, and the leak report can copy one
 *    shard at a time while the others keep working;
 *  - in each shard an addrmap (incremental resize: no operation rehashes
 *    the whole table);
 *  - entries come from a per-shard free list, refilled 32 at a time, so
 *    the common case calls no allocator; they are never given back (the
 *    registry's memory is that of the peak number of live objects);
 *  - the allocation stack is an interned pointer (stack.c's depot) that
 *    stack.c's per-thread cache usually finds without unwinding.
 *
 * Who owns what: registry.c owns the entries and the shards' locks;
 * tracker.c owns the trackers, kept in the shard of the object they
 * track, under the same lock. No other lock is ever taken with a shard's.
 *
 * If memory runs out, the object is marked OL_UNTRACKED and works exactly
 * as before; NO_MEMORY is reported once, and leak reports count such
 * objects per type without a site.
 *
 * At the process's exit, after the report, the library frees what it owns
 * (library_exit(), below): valgrind's and LeakSanitizer's reports at exit
 * then show the program's memory only.
 */
#include "registry.h"
#include "diag.h"
#include "leakcheck.h"
#include "stack.h"
#include "tracker.h"
#include "livecount.h"
#include "thread.h"
#include "table.h"

#include <stdio.h>
#include <unistd.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ENTRIES_PER_CHUNK 32

/* Entries come ENTRIES_PER_CHUNK at a time. The chunks are chained from
 * their shard so that they stay reachable by their start (leak checkers
 * would otherwise see only pointers into their middle). */
struct chunk {
	struct chunk *next;
	struct ol_entry entry[ENTRIES_PER_CHUNK];
};

struct shard {
	pthread_mutex_t lock;
	struct ol_amap objects;           /* struct ol_entry by object address */
	struct ol_entry *free;            /* unused entries, chained by node.next */
	struct chunk *chunks;             /* every entry's memory */
	struct ol_tracker_shard trackers; /* tracker.c's */
	uintptr_t serials;                /* the last entry's serial */
} __attribute__((aligned(64)));       /* one cache line each: no false sharing of locks */

static struct shard shards[OL_REGISTRY_SHARDS];
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static void lock_all(void)
{
	unsigned i;

	for (i = 0; i < OL_REGISTRY_SHARDS; i++)
		pthread_mutex_lock(&shards[i].lock);
}

static void unlock_all(void)
{
	unsigned i;

	for (i = OL_REGISTRY_SHARDS; i-- > 0;)
		pthread_mutex_unlock(&shards[i].lock);
}

/* Set by registry_init(): an object was registered, so the options were
 * read and had "leaks". */
static uint32_t registry_used;   /* atomic */
/* Atomic: the process is exiting; a shard that empties is freed. */
static uint32_t registry_exiting;

static void registry_init(void)
{
	unsigned i;

	ol_store32(&registry_used, 1, OL_RELAXED);
	for (i = 0; i < OL_REGISTRY_SHARDS; i++) {
		pthread_mutex_init(&shards[i].lock, NULL);
		shards[i].objects.use = OL_MEM_REGISTRY;
		shards[i].trackers.map.use = OL_MEM_TRACKER;
	}
	/* Shards are locked in index order, and never two otherwise, so the
	 * fork handler cannot deadlock with a thread holding one. */
	ol_atfork(lock_all, unlock_all, unlock_all);
}

/*
 * The report at exit runs from the library's own destructor, so that it
 * comes after the program's exit-time teardown, which may still put
 * objects: exit() runs the atexit handlers and C++ static destructors
 * first, then the ELF destructors of the executable and of the libraries,
 * dependents before their dependencies, hence this one after those of
 * every object that links with libobjlife. (An atexit handler registered
 * at the first allocation ran before the handlers and destructors set up
 * earlier: objects they put were reported as leaks.)
 *
 * It lives here, not in leakcheck.c, because a static link takes an
 * archive member only when something refers to it: core.c's allocation
 * path refers to this file, so the destructor comes along. There it is
 * one of the program's own destructors; the lowest priority makes it run
 * after those of default priority.
 */
#if defined(__ELF__)
# define OL_LAST_DESTRUCTOR __attribute__((destructor(101)))
#else
# define OL_LAST_DESTRUCTOR __attribute__((destructor))
#endif

static void library_exit(void);

static OL_LAST_DESTRUCTOR void registry_at_exit(void)
{
	unsigned options;

	/* Only where an object was registered: a process that never needed
	 * the options does not read them now. */
	if (ol_load32(&registry_used, OL_RELAXED)) {
		options = ol_options();
		if ((options & OL_OPT_LEAKS) && ol_leak_report_at_exit() && (options & OL_OPT_EXITCODE)) {
			/* exitcode=N, as LeakSanitizer's: the exit status says
			 * there were leaks. The program's streams are flushed
			 * first, as exit() would have done after the
			 * destructors. */
			fflush(NULL);
			_exit(ol_options_exit_code());
		}
	}
	library_exit();
}

unsigned ol_registry_shard_of(uintptr_t key)
{
	/* The top bits of the product; addrmap.c uses lower ones. */
	return (unsigned)(((uint64_t)key * 0x9e3779b97f4a7c15ull) >> 58) & (OL_REGISTRY_SHARDS - 1);
}

struct ol_tracker_shard *ol_registry_lock(unsigned shard)
{
	pthread_once(&registry_once, registry_init);
	pthread_mutex_lock(&shards[shard].lock);
	return &shards[shard].trackers;
}

void ol_registry_unlock(unsigned shard)
{
	pthread_mutex_unlock(&shards[shard].lock);
}

struct ol_entry *ol_registry_find(unsigned shard, const struct objlife *obj)
{
	struct ol_anode *node = ol_amap_find(&shards[shard].objects, (uintptr_t)obj);

	return node ? (struct ol_entry *)node : NULL;
}

/* Shard locked. An unused entry, or NULL when out of memory. */
static struct ol_entry *entry_get(struct shard *sh)
{
	struct ol_entry *e = sh->free;

	if (!e) {
		struct chunk *chunk = ol_malloc(OL_MEM_REGISTRY, sizeof(*chunk));
		int i;

		if (!chunk)
			return NULL;
		chunk->next = sh->chunks;
		sh->chunks = chunk;
		for (i = ENTRIES_PER_CHUNK - 1; i >= 0; i--) {
			chunk->entry[i].node.next = sh->free ? &sh->free->node : NULL;
			sh->free = &chunk->entry[i];
		}
		e = sh->free;
	}
	sh->free = (struct ol_entry *)e->node.next;
	return e;
}

/* Shard locked. */
static void entry_put(struct shard *sh, struct ol_entry *e)
{
	e->node.next = sh->free ? &sh->free->node : NULL;
	sh->free = e;
}

/* Shard locked: a shard with no object frees its entries, its map and
 * its dropped trackers; the next object makes them again. true when it
 * was empty. */
static bool shard_maybe_free(struct shard *sh)
{
	struct chunk *c, *next;

	if (sh->objects.n != 0 || sh->trackers.map.n != sh->trackers.ndead)
		return false;
	ol_tracker_shard_free(&sh->trackers);
	for (c = sh->chunks; c; c = next) {
		next = c->next;
		ol_free(c);
	}
	sh->chunks = NULL;
	sh->free = NULL;
	ol_amap_free(&sh->objects);
	return true;
}

void ol_registry_add(struct objlife *obj, const void *caller)
{
	/* Unwinding (rarely needed: see stack.c) and interning happen
	 * before the shard's lock, which then covers a few pointer writes. */
	const struct ol_stack *stack = ol_stack_capture(caller);
	unsigned i = ol_registry_shard_of((uintptr_t)obj);
	struct shard *sh = &shards[i];
	struct ol_entry *e;

	ol_registry_lock(i);
	e = entry_get(sh);
	if (e) {
		e->node.key = (uintptr_t)obj;
		e->stack = stack;
		e->trackers = NULL;
		/* Tells a new object from a dead one that had its address:
		 * an address always falls in the same shard. */
		e->serial = ++sh->serials;
		e->untracked_refs = 0;
		if (ol_amap_insert(&sh->objects, &e->node) < 0) {
			entry_put(sh, e);
			e = NULL;
		}
	}
	ol_registry_unlock(i);
	if (!e) {
		ol_or32(&obj->_info, OL_UNTRACKED, OL_RELAXED);
		ol_report_no_memory(OL_NOMEM_REGISTRY, obj,
				    "out of memory in the leak registry; this object is not tracked "
				    "(leak reports count such objects per type, without a site)");
	}
}

void ol_registry_remove(struct objlife *obj)
{
	enum { SHOWN = 4 };
	const struct ol_stack *taken[SHOWN];
	unsigned i = ol_registry_shard_of((uintptr_t)obj);
	struct shard *sh = &shards[i];
	struct ol_tracker_shard *ts;
	struct ol_entry *e;
	unsigned held = 0;

	if (ol_load32(&obj->_info, OL_RELAXED) & OL_UNTRACKED)
		return;
	ts = ol_registry_lock(i);
	e = (struct ol_entry *)ol_amap_remove(&sh->objects, (uintptr_t)obj);
	if (e) {
		if (e->trackers)
			held = ol_tracker_orphan_all(ts, e, taken, SHOWN);
		entry_put(sh, e);
		/* An object of a destructor that ran after library_exit(). */
		if (ol_load32(&registry_exiting, OL_RELAXED))
			shard_maybe_free(sh);
	}
	ol_registry_unlock(i);

	if (held)
		ol_tracker_report_orphans(obj, held, taken, SHOWN);
}

/* ---- snapshots for reports ------------------------------------------ */

/* Shard locked: the object is alive (its memory goes back only after
 * ol_registry_remove() took this lock), so its header may be read. */
static void copy_entry(struct ol_anode *node, void *data)
{
	struct ol_leak_set *set = data;
	struct ol_entry *e = (struct ol_entry *)node;
	const struct objlife *obj = (const struct objlife *)e->node.key;
	uint32_t info = ol_load32(&obj->_info, OL_RELAXED);
	uint32_t count = objlife_refcount(obj);
	struct ol_leak *l;
	uint32_t nt;

	/* Left out: meant to live forever, or dying right now. */
	if ((info & OL_MAY_LEAK) || count == 0)
		return;
	if (!ol_array_grow(OL_MEM_REPORT, (void **)&set->leak, &set->cap, set->n + 1, sizeof(*set->leak))) {
		set->incomplete = true;
		return;
	}
	l = &set->leak[set->n++];
	l->obj = obj;
	l->ops = obj->_ops;
	l->stack = e->stack;
	l->count = count;
	l->ntrackers = 0;
	l->trackers = set->ntracker;
	if (!e->trackers)
		return;
	nt = ol_tracker_stacks(e, NULL, 0);
	if (!ol_array_grow(OL_MEM_REPORT, (void **)&set->tracker, &set->tracker_cap, set->ntracker + nt,
		  sizeof(*set->tracker))) {
		set->incomplete = true;
		return;
	}
	l->ntrackers = ol_tracker_stacks(e, set->tracker + set->ntracker, nt);
	set->ntracker += l->ntrackers;
}

void ol_registry_snapshot(struct ol_leak_set *set)
{
	unsigned i;

	memset(set, 0, sizeof(*set));
	for (i = 0; i < OL_REGISTRY_SHARDS; i++) {
		ol_registry_lock(i);
		ol_amap_foreach(&shards[i].objects, copy_entry, set);
		ol_registry_unlock(i);
	}
}

void ol_leak_set_free(struct ol_leak_set *set)
{
	ol_free(set->leak);
	ol_free(set->tracker);
	memset(set, 0, sizeof(*set));
}

/* ---- the process's exit --------------------------------------------- */

/*
 * What the library owns goes, after the report and after everything of
 * the program's that could still use it (see registry_at_exit()): the
 * calling thread's records, the empty table of types, the empty registry
 * shards, the depot, the quarantine. Each part is made again, lazily, if
 * something runs later still (a destructor of a library the program
 * loaded before this one, another thread): nothing freed here is reached
 * again without its lock, or at all.
 *
 * Kept, because another thread may still use it (the process's exit does
 * not stop them): the records of every thread that has not exited, the
 * types they count in, and the depot while such a thread or an object in
 * the registry may point into it. Kept because they are the program's:
 * the registry's entries of leaked objects and their types' records, and
 * the quarantined objects of types with their own allocator, whose
 * ops->free may be gone by now.
 */
static void library_exit(void)
{
	bool alone = ol_thread_exit_process();
	bool empty = true;
	unsigned i;

	ol_livecount_exit();
	if (ol_load32(&registry_used, OL_RELAXED)) {
		ol_store32(&registry_exiting, 1, OL_RELAXED);
		for (i = 0; i < OL_REGISTRY_SHARDS; i++) {
			ol_registry_lock(i);
			if (!shard_maybe_free(&shards[i]))
				empty = false;
			ol_registry_unlock(i);
		}
	}
	ol_table_exit();
	ol_stack_exit(alone && empty);
	ol_quarantine_exit();
}
