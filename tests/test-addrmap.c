/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The address map (lib/addrmap.h), the hash table under the registry, the
 * trackers' table and the live counts: every node inserted is found,
 * visited once and removed once, also while the map is in the middle of
 * growing; a map that cannot grow keeps working at a longer chain per
 * bucket; a map that cannot get its first buckets says -ENOMEM and stays
 * empty and usable.
 *
 * White-box: the map is internal. This program links the library's
 * objects, for ol_amap_* and the hidden hook ol_mem_fail_hook that fails
 * the library's own allocations.
 */
#include "objlife-private.h"
#include "addrmap.h"
#include "memfail.h"

struct item {
	struct ol_anode node;
	unsigned visits;
};

/* Enough nodes for a few resizes of the first table. */
#define N_ITEMS 600
static struct item items[N_ITEMS];

static uintptr_t key_of(unsigned i)
{
	/* Object-like keys: aligned, neighbours. */
	return (uintptr_t)0x10000 + (uintptr_t)i * 64;
}

static void visit(struct ol_anode *node, void *data)
{
	((struct item *)node)->visits++;
	(*(unsigned *)data)++;
}

static void items_reset(void)
{
	unsigned i;

	memset(items, 0, sizeof(items));
	for (i = 0; i < N_ITEMS; i++)
		items[i].node.key = key_of(i);
}

static void test_insert_without_buckets_is_enomem_and_the_map_stays_usable(void)
{
	struct ol_amap m = { .use = OL_MEM_REGISTRY };
	unsigned visited = 0;

	items_reset();
	tu_mem_fail_all(OL_MEM_REGISTRY);
	g_assert_cmpint(ol_amap_insert(&m, &items[0].node), ==, -ENOMEM);
	tu_mem_stop();
	/* Not in the map, and the map still empty and usable. */
	g_assert_null(ol_amap_find(&m, key_of(0)));
	g_assert_null(ol_amap_remove(&m, key_of(0)));
	ol_amap_foreach(&m, visit, &visited);
	g_assert_cmpuint(visited, ==, 0);
	g_assert_cmpint(ol_amap_insert(&m, &items[0].node), ==, 0);
	g_assert_true(ol_amap_find(&m, key_of(0)) == &items[0].node);
	ol_amap_free(&m);
}

static void test_without_memory_to_grow_every_node_is_kept(void)
{
	struct ol_amap m = { .use = OL_MEM_TRACKER };
	unsigned i, visited = 0;

	items_reset();
	g_assert_cmpint(ol_amap_insert(&m, &items[0].node), ==, 0);
	/* The first table exists; no larger one can be had. */
	tu_mem_fail_all(OL_MEM_TRACKER);
	for (i = 1; i < N_ITEMS; i++)
		g_assert_cmpint(ol_amap_insert(&m, &items[i].node), ==, 0);
	g_assert_null(m.old);
	for (i = 0; i < N_ITEMS; i++)
		g_assert_true(ol_amap_find(&m, key_of(i)) == &items[i].node);
	ol_amap_foreach(&m, visit, &visited);
	g_assert_cmpuint(visited, ==, N_ITEMS);
	/* Memory back: the next insert grows it, and nothing is lost. */
	tu_mem_stop();
	g_assert_true(ol_amap_remove(&m, key_of(0)) == &items[0].node);
	g_assert_cmpint(ol_amap_insert(&m, &items[0].node), ==, 0);
	g_assert_nonnull(m.old);
	for (i = 0; i < N_ITEMS; i++)
		g_assert_true(ol_amap_find(&m, key_of(i)) == &items[i].node);
	for (i = 0; i < N_ITEMS; i++)
		g_assert_true(ol_amap_remove(&m, key_of(i)) == &items[i].node);
	g_assert_cmpuint(m.n, ==, 0);
	ol_amap_free(&m);
}

static void test_mid_resize_every_node_is_found_visited_and_removed_once(void)
{
	struct ol_amap m = { .use = OL_MEM_REGISTRY };
	unsigned i, n = 0, visited = 0;

	items_reset();
	/* Insert until a resize has started and has buckets left to move. */
	while (!m.old || m.moved > m.old_mask / 2) {
		g_assert_cmpuint(n, <, N_ITEMS);
		g_assert_cmpint(ol_amap_insert(&m, &items[n].node), ==, 0);
		n++;
	}
	g_assert_nonnull(m.old);
	/* Every node found and visited once, wherever it sits now. */
	for (i = 0; i < n; i++)
		g_assert_true(ol_amap_find(&m, key_of(i)) == &items[i].node);
	ol_amap_foreach(&m, visit, &visited);
	g_assert_cmpuint(visited, ==, n);
	for (i = 0; i < n; i++)
		g_assert_cmpuint(items[i].visits, ==, 1);
	/* Removals during the resize, of nodes old and new: each once. */
	for (i = 0; i < n; i += 2)
		g_assert_true(ol_amap_remove(&m, key_of(i)) == &items[i].node);
	for (i = 0; i < n; i += 2)
		g_assert_null(ol_amap_find(&m, key_of(i)));
	for (i = 1; i < n; i += 2)
		g_assert_true(ol_amap_find(&m, key_of(i)) == &items[i].node);
	g_assert_cmpuint(m.n, ==, n / 2);
	ol_amap_free(&m);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/addrmap/oom/first-insert-is-enomem-and-the-map-stays-usable",
			test_insert_without_buckets_is_enomem_and_the_map_stays_usable);
	g_test_add_func("/addrmap/oom/without-memory-to-grow-every-node-is-kept",
			test_without_memory_to_grow_every_node_is_kept);
	g_test_add_func("/addrmap/resize/every-node-found-visited-and-removed-once-mid-resize",
			test_mid_resize_every_node_is_found_visited_and_removed_once);
	return g_test_run();
}
