/* objlife-free-of-object: an object dropped with objlife_put(), a malloc()ed buffer freed, and free() in the type's own free callback are clean */
#include <objlife.h>
#include <stdlib.h>

struct item {
	struct objlife ref;
	char *label;
};

static void item_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	(void)size;
	free(mem);
}
static const struct objlife_ops item_ops = { .name = "item", .free = item_free };

int make_and_put(void);
int make_and_put(void)
{
	struct item *it = objlife_alloc(struct item, ref, &item_ops, NULL);
	char *buf = malloc(16);

	free(buf);
	if (!it)
		return -1;
	objlife_put(&it->ref);
	return 0;
}
