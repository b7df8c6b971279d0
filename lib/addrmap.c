/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A hash map from an address-sized key to an intrusive node, with
 * incremental resize: no insert ever rehashes the whole table. When the
 * table fills up, a twice larger one takes the inserts and every later
 * operation moves two buckets of the old one over, so each insert, lookup
 * and removal costs O(1) however many nodes there are. This is what keeps
 * OBJLIFE_DEBUG=leaks' cost per allocation flat with a million objects
 * alive.
 *
 * Not locked: the registry gives each shard its own map and lock. The
 * map owns only its bucket arrays (from ol_malloc); the nodes belong to
 * whoever inserted them.
 */
#include "objlife-private.h"
#include "addrmap.h"

#include <stdlib.h>

#define AMAP_MIN_BUCKETS 16u

/* Moves one not-yet-moved bucket of the old table, if any. */
static void move_one(struct ol_amap *m)
{
	struct ol_anode *node, *next;

	for (node = m->old[m->moved]; node; node = next) {
		struct ol_anode **b = &m->b[ol_amap_hash(node->key) & m->mask];

		next = node->next;
		node->next = *b;
		*b = node;
	}
	m->old[m->moved] = NULL;
	if (++m->moved > m->old_mask) {
		ol_free(m->old);
		m->old = NULL;
	}
}

static void step(struct ol_amap *m)
{
	/* Two per operation: the old table (n/2 buckets) is empty long before
	 * the new one (n buckets) fills up again. */
	if (m->old)
		move_one(m);
	if (m->old)
		move_one(m);
}

static void start_grow(struct ol_amap *m)
{
	size_t n = (m->mask + 1) * 2;
	struct ol_anode **b;

	if (n < m->mask + 1)
		return;
	b = ol_calloc(m->use, n, sizeof(*b));
	if (!b)
		return;   /* chains get longer; try again at the next insert */
	m->old = m->b;
	m->old_mask = m->mask;
	m->moved = 0;
	m->b = b;
	m->mask = n - 1;
}

int ol_amap_insert(struct ol_amap *m, struct ol_anode *node)
{
	struct ol_anode **b;

	if (!m->b) {
		m->b = ol_calloc(m->use, AMAP_MIN_BUCKETS, sizeof(*m->b));
		if (!m->b)
			return -ENOMEM;
		m->mask = AMAP_MIN_BUCKETS - 1;
	}
	step(m);
	if (!m->old && m->n > m->mask)
		start_grow(m);
	b = &m->b[ol_amap_hash(node->key) & m->mask];
	node->next = *b;
	*b = node;
	m->n++;
	return 0;
}

/* The link that points to @key's node, or NULL. */
static struct ol_anode **find_link(const struct ol_amap *m, uintptr_t key)
{
	size_t h = ol_amap_hash(key);
	struct ol_anode **link;

	if (!m->b)
		return NULL;
	for (link = &m->b[h & m->mask]; *link; link = &(*link)->next)
		if ((*link)->key == key)
			return link;
	/* Buckets below m->moved were moved already. */
	if (m->old && (h & m->old_mask) >= m->moved)
		for (link = &m->old[h & m->old_mask]; *link; link = &(*link)->next)
			if ((*link)->key == key)
				return link;
	return NULL;
}

struct ol_anode *ol_amap_find(const struct ol_amap *m, uintptr_t key)
{
	struct ol_anode **link = find_link(m, key);

	return link ? *link : NULL;
}

struct ol_anode *ol_amap_remove(struct ol_amap *m, uintptr_t key)
{
	struct ol_anode **link = find_link(m, key);
	struct ol_anode *node = NULL;

	if (link) {
		node = *link;
		*link = node->next;
		node->next = NULL;
		m->n--;
	}
	step(m);
	return node;
}

void ol_amap_free(struct ol_amap *m)
{
	ol_free(m->b);
	ol_free(m->old);
	m->b = m->old = NULL;
	m->mask = m->old_mask = m->moved = m->n = 0;
}

void ol_amap_foreach(const struct ol_amap *m, void (*fn)(struct ol_anode *node, void *data),
		     void *data)
{
	struct ol_anode *node, *next;
	size_t i;

	if (m->old)
		for (i = m->moved; i <= m->old_mask; i++)
			for (node = m->old[i]; node; node = next) {
				next = node->next;
				fn(node, data);
			}
	if (m->b)
		for (i = 0; i <= m->mask; i++)
			for (node = m->b[i]; node; node = next) {
				next = node->next;
				fn(node, data);
			}
}
