/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * addrmap.c's interface: an unlocked hash map from an address-sized key to
 * an intrusive node, O(1) per operation (incremental resize). Used by
 * registry.c, once per shard, for objects (keyed by address) and trackers
 * (keyed by handle), and by livecount.c, for types (keyed by ops) and each
 * thread's records of them. Never installed.
 */
#ifndef OBJLIFE_ADDRMAP_H
#define OBJLIFE_ADDRMAP_H

#include <stddef.h>
#include <stdint.h>

/* Embedded in whatever is mapped; the map never allocates or frees one. */
struct ol_anode {
	struct ol_anode *next;
	uintptr_t key;
};

struct ol_amap {
	struct ol_anode **b;     /* buckets; NULL until the first insert */
	size_t mask;             /* buckets - 1 */
	struct ol_anode **old;   /* the table being moved into b, or NULL */
	size_t old_mask;
	size_t moved;            /* old buckets below this one are empty */
	size_t n;                /* nodes */
	int use;                 /* enum ol_mem_use of the bucket arrays */
};

/* Fibonacci hashing: the multiply spreads pointer-aligned, neighbouring
 * keys over the high bits; the low 16 are left out (the product's low bits
 * depend only on the key's low bits, which alignment makes zero). The top
 * bits pick the registry shard, so the two never overlap in practice. */
static inline size_t ol_amap_hash(uintptr_t key)
{
	return (size_t)(((uint64_t)key * 0x9e3779b97f4a7c15ull) >> 16);
}

/* 0, or -ENOMEM when the first bucket array cannot be had (the node is
 * then not in the map). */
int ol_amap_insert(struct ol_amap *m, struct ol_anode *node);
struct ol_anode *ol_amap_find(const struct ol_amap *m, uintptr_t key);
/* Unlinks and returns @key's node, or NULL. */
struct ol_anode *ol_amap_remove(struct ol_amap *m, uintptr_t key);
/* Frees the bucket arrays: the map is empty and unused afterwards (its
 * nodes are the caller's). */
void ol_amap_free(struct ol_amap *m);
/* @fn may not change the map. */
void ol_amap_foreach(const struct ol_amap *m, void (*fn)(struct ol_anode *node, void *data),
		     void *data);

#endif /* OBJLIFE_ADDRMAP_H */
