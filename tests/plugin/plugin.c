/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A plugin, as a program would dlopen() one: a shared module linked with
 * libobjlife that defines two types, one with its own allocator and one
 * with the default one. Their ops tables, names and functions are the
 * module's: they are gone once it is dlclose()d. The tests reach it by
 * dlsym() only.
 */
#include <stdlib.h>
#include <string.h>

#include "objlife.h"

#define PLUGIN_API __attribute__((visibility("default")))

struct plugin_obj {
	struct objlife ref;
	unsigned char payload[48];
};

PLUGIN_API const struct objlife_ops *plugin_ops(int own);
PLUGIN_API struct objlife *plugin_new(int own);
PLUGIN_API void plugin_put(struct objlife *obj);
PLUGIN_API unsigned plugin_own_frees(void);

static unsigned own_frees;

static void *own_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	void *p;

	(void)ops;
	if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size))
		return NULL;
	return memset(p, 0, size);
}

static void own_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	(void)size;
	own_frees++;
	free(mem);
}

static const struct objlife_ops own_ops = {
	.name = "plugin_own", .alloc = own_alloc, .free = own_free,
};
static const struct objlife_ops plain_ops = { .name = "plugin_plain" };

/* The type with its own allocator (@own), or the one without. */
PLUGIN_API const struct objlife_ops *plugin_ops(int own)
{
	return own ? &own_ops : &plain_ops;
}

/* A new object of that type, with one reference; NULL with errno. */
PLUGIN_API struct objlife *plugin_new(int own)
{
	struct plugin_obj *o = objlife_alloc(struct plugin_obj, ref, plugin_ops(own), NULL);

	return o ? &o->ref : NULL;
}

PLUGIN_API void plugin_put(struct objlife *obj)
{
	objlife_put(obj);
}

/* How many blocks own_free() has given back. */
PLUGIN_API unsigned plugin_own_frees(void)
{
	return own_frees;
}
