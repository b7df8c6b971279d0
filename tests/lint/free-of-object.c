/* objlife-free-of-object: free() on an object from objlife_alloc() and ops->free on one from objlife_alloc_size() are reported, with the allocation as their note */
#include <objlife.h>
#include <stdlib.h>

struct item {
	struct objlife ref;
	int value;
};

static void item_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	(void)size;
	free(mem);
}
static const struct objlife_ops item_ops = { .name = "item", .free = item_free };

int make_and_drop(int v);
int make_and_drop(int v)
{
	struct item *it = objlife_alloc(struct item, ref, &item_ops, NULL); /* expect-note */

	if (!it)
		return -1;
	it->value = v;
	free(it); /* expect: objlife-free-of-object */
	return 0;
}

int make_and_drop_size(void);
int make_and_drop_size(void)
{
	struct objlife *obj;

	obj = objlife_alloc_size(&item_ops, sizeof(struct item), 8, NULL); /* expect-note */
	if (!obj)
		return -1;
	item_ops.free(&item_ops, obj, sizeof(struct item)); /* expect: objlife-free-of-object */
	return 0;
}
