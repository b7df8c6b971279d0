/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Always-on live counts per type, cheap enough that nobody turns them off.
 *
 * A shared atomic counter per type would add a contended read-modify-write
 * to every allocation and every last put. Instead each thread counts in its
 * record of the type (thread.c), with a plain (relaxed) load and store: no
 * bus lock, no shared cache line, no lock. This file keeps what is shared:
 * each type's record (struct ol_lc_type), the list of every thread's
 * counter of the type, and the sums.
 *
 * Reading. Each counter counts objects made and objects gone on its
 * thread, two words that only grow (and wrap: sums and differences are
 * taken modulo the word). An object may be made on one thread and go on
 * another, so no single counter is the type's; objlife_live_count() sums
 * them under lc_lock, first every "made", then (after a fence) every
 * "gone". Every "made" read is at most what had been made when the first
 * pass ended, every "gone" read at least what had gone by then, so the
 * difference is at most the number of objects alive at that moment; a
 * difference below zero (objects made and gone between the two passes on
 * threads read in the other order) is reported as 0. A single net counter
 * per thread could not tell those cases apart, and its sum could come out
 * as nearly SIZE_MAX.
 *
 * A type's shared counters collect the counts of counters that went away
 * (exited threads, records thread.c swept) and of threads that cannot
 * have records. A type with no counters left and nothing alive frees its
 * record: types made at run time, or unloaded with a plugin, cost nothing
 * once they are gone.
 *
 * At the process's exit (ol_livecount_exit()) the table of types goes too
 * once it is empty, and again each time a later object's type goes:
 * nothing of the library's is left for valgrind to call reachable.
 */
#include "livecount.h"
#include "addrmap.h"

#include <pthread.h>
#include <stdlib.h>

/* A type's shared record: how to reach every thread's counter of it, and
 * the counts of those that went away. All under lc_lock. */
struct ol_lc_type {
	struct ol_anode node;            /* in lc_types; key: the ops */
	uintptr_t shared[2];             /* OL_LC_MADE/GONE of counters gone and of
					    threads without records */
	struct ol_lc_counter *counters;  /* every thread's counter of the type */
	uintptr_t made;                  /* made_of_all()'s scratch */
};

static pthread_mutex_t lc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ol_amap lc_types = { .use = OL_MEM_LIVECOUNT };
static pthread_once_t lc_once = PTHREAD_ONCE_INIT;
/* Under lc_lock: the process is exiting; an empty table is freed. */
static bool lc_exiting;

#define type_of(n) ((struct ol_lc_type *)((char *)(n) - offsetof(struct ol_lc_type, node)))

/* lc_lock held. A type nothing refers to any more, nothing of which is
 * alive, goes: its ops may be gone for good. */
static void type_maybe_free(struct ol_lc_type *type)
{
	uintptr_t live = type->shared[OL_LC_MADE] - type->shared[OL_LC_GONE];

	/* After the exit freed the types, one made again by a late put of an
	 * object made before counts it gone only: below zero, which goes
	 * too. */
	if (type->counters || (lc_exiting ? (intptr_t)live > 0 : live != 0))
		return;
	ol_amap_remove(&lc_types, type->node.key);
	ol_free(type);
	/* Made again by the next type's insert. */
	if (lc_exiting && lc_types.n == 0)
		ol_amap_free(&lc_types);
}

static void lc_atfork_prepare(void) { pthread_mutex_lock(&lc_lock); }
static void lc_atfork_parent(void) { pthread_mutex_unlock(&lc_lock); }

static void lc_init(void)
{
	/* A fork while another thread holds lc_lock must not leave the child
	 * with a lock nobody will release. */
	ol_atfork(lc_atfork_prepare, lc_atfork_parent, lc_atfork_parent);
}

void ol_livecount_lock(void)
{
	pthread_once(&lc_once, lc_init);   /* the fork handlers, before the lock */
	pthread_mutex_lock(&lc_lock);
}

void ol_livecount_unlock(void)
{
	pthread_mutex_unlock(&lc_lock);
}

/* lc_lock held. */
static struct ol_lc_type *type_find(const struct objlife_ops *ops, bool create)
{
	struct ol_anode *node = ol_amap_find(&lc_types, (uintptr_t)ops);
	struct ol_lc_type *type;

	if (node || !create)
		return node ? type_of(node) : NULL;
	type = ol_calloc(OL_MEM_LIVECOUNT, 1, sizeof(*type));
	if (!type)
		return NULL;
	type->node.key = (uintptr_t)ops;
	if (ol_amap_insert(&lc_types, &type->node) < 0) {
		ol_free(type);
		return NULL;
	}
	return type;
}

int ol_livecount_attach(struct ol_lc_counter *c, const struct objlife_ops *ops)
{
	struct ol_lc_type *type = type_find(ops, true);

	if (!type)
		return -ENOMEM;
	c->type = type;
	c->next = type->counters;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &type->counters;
	type->counters = c;
	return 0;
}

void ol_livecount_detach(struct ol_lc_counter *c)
{
	struct ol_lc_type *type = c->type;

	type->shared[OL_LC_MADE] += ol_loadup(&c->n[OL_LC_MADE], OL_RELAXED);
	type->shared[OL_LC_GONE] += ol_loadup(&c->n[OL_LC_GONE], OL_RELAXED);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	type_maybe_free(type);
}

int ol_livecount_count_shared(const struct objlife_ops *ops, unsigned which)
{
	struct ol_lc_type *type;

	ol_livecount_lock();
	type = type_find(ops, true);
	if (type) {
		type->shared[which]++;
		type_maybe_free(type);
	}
	ol_livecount_unlock();
	return type ? 0 : -ENOMEM;
}

/* lc_lock held: one type's objects made, or gone (@which), on every
 * thread: one pass of a read. */
static uintptr_t type_sum(struct ol_lc_type *type, unsigned which)
{
	uintptr_t n = type->shared[which];
	struct ol_lc_counter *c;

	for (c = type->counters; c; c = c->next)
		n += ol_loadup(&c->n[which], OL_RELAXED);
	return n;
}

/* Made minus gone, never below zero (see the top of this file). */
static size_t live_of(uintptr_t made, uintptr_t gone)
{
	return (intptr_t)(made - gone) > 0 ? (size_t)(made - gone) : 0;
}

/* Every "gone" is read after every "made": the fence keeps the loads of
 * the second pass from being done before those of the first. */
#define between_passes() ol_fence(OL_SEQ_CST)

static void made_of_type(struct ol_anode *node, void *data)
{
	struct ol_lc_type *type = type_of(node);

	(void)data;
	type->made = type_sum(type, OL_LC_MADE);
}

/* lc_lock held: every type's first pass, in type->made. */
static void made_of_all(void)
{
	ol_amap_foreach(&lc_types, made_of_type, NULL);
	between_passes();
}

struct lc_copy {
	struct ol_type_live *t;
	size_t n, cap;
	size_t live;
	bool complete;
};

/* The second pass over one type: add it up, and copy it if asked. */
static void gone_of_type(struct ol_anode *node, void *data)
{
	struct ol_lc_type *type = type_of(node);
	struct lc_copy *c = data;
	size_t live = live_of(type->made, type_sum(type, OL_LC_GONE));

	if (!live)
		return;
	c->live += live;
	if (!c->complete)
		return;
	if (!ol_array_grow(OL_MEM_REPORT, (void **)&c->t, &c->cap, c->n + 1, sizeof(*c->t))) {
		c->complete = false;
		return;
	}
	c->t[c->n].ops = (const struct objlife_ops *)type->node.key;
	c->t[c->n].live = live;
	c->n++;
}

bool ol_livecount_types(struct ol_type_live **types, size_t *n)
{
	struct lc_copy c = { NULL, 0, 0, 0, true };

	ol_livecount_lock();
	made_of_all();
	ol_amap_foreach(&lc_types, gone_of_type, &c);
	ol_livecount_unlock();
	*types = c.t;
	*n = c.n;
	return c.complete;
}

size_t objlife_live_count(const struct objlife_ops *ops)
{
	struct ol_lc_type *type;
	size_t live = 0;

	ol_livecount_lock();
	if (!ops) {
		/* complete = false: add up, copy nothing. */
		struct lc_copy c = { NULL, 0, 0, 0, false };

		made_of_all();
		ol_amap_foreach(&lc_types, gone_of_type, &c);
		live = c.live;
	} else if ((type = type_find(ops, false)) != NULL) {
		uintptr_t made = type_sum(type, OL_LC_MADE);

		between_passes();
		live = live_of(made, type_sum(type, OL_LC_GONE));
	}
	ol_livecount_unlock();
	return live;
}

struct unused_types {
	struct ol_lc_type **t;
	size_t n, cap;
};

/* Collects the types no counter is linked to (the map may not change
 * under ol_amap_foreach()). */
static void collect_unused(struct ol_anode *node, void *data)
{
	struct ol_lc_type *type = type_of(node);
	struct unused_types *u = data;

	if (!type->counters &&
	    ol_array_grow(OL_MEM_LIVECOUNT, (void **)&u->t, &u->cap, u->n + 1, sizeof(*u->t)))
		u->t[u->n++] = type;
}

void ol_livecount_exit(void)
{
	struct unused_types u = { NULL, 0, 0 };
	size_t i;

	ol_livecount_lock();
	lc_exiting = true;
	/* A type no thread counts in any more goes, even with objects alive
	 * (the leak report, if asked for, is written already): its record is
	 * the library's, and left behind it would look like the program's
	 * leak. Objects made before and freed after count as gone in a new
	 * record, which type_maybe_free() lets go. The table goes when no
	 * type is left. */
	ol_amap_foreach(&lc_types, collect_unused, &u);
	for (i = 0; i < u.n; i++) {
		ol_amap_remove(&lc_types, u.t[i]->node.key);
		ol_free(u.t[i]);
	}
	if (lc_types.n == 0)
		ol_amap_free(&lc_types);
	ol_livecount_unlock();
	ol_free(u.t);
}
