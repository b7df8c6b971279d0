/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program that does not link libobjlife loads it only through a plugin
 * (tests/plugin/plugin.c), which a worker thread uses; the plugin is
 * dlclose()d while the worker still runs, then the worker exits. Its
 * thread-specific data (libobjlife's per-thread tables) is destroyed at
 * that exit by libobjlife's destructors: libobjlife must still be mapped
 * (it is linked -z nodelete). The process must get to its end and exit 0.
 *
 * Plain C and TAP, no GLib: GLib must not be what keeps anything loaded.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

struct objlife;

static struct objlife *(*plugin_new)(int own);
static void (*plugin_put)(struct objlife *obj);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int used, unloaded, failed;

static void *worker(void *arg)
{
	int i;

	(void)arg;
	/* Both types: the thread's tables get records of each. */
	for (i = 0; i < 100; i++) {
		struct objlife *obj = plugin_new(i & 1);

		if (!obj)
			failed = 1;
		plugin_put(obj);
	}
	pthread_mutex_lock(&lock);
	used = 1;
	pthread_cond_broadcast(&cond);
	while (!unloaded)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;   /* the thread's destructors run now */
}

int main(void)
{
	pthread_t th;
	void *plugin;

	printf("1..3\n");
	/* Not linked: the library is not in the program's scope. */
	if (dlsym(RTLD_DEFAULT, "objlife_alloc_size")) {
		printf("Bail out! the program itself links libobjlife\n");
		return 1;
	}
	plugin = dlopen(PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
	if (!plugin) {
		printf("Bail out! %s\n", dlerror());
		return 1;
	}
	*(void **)&plugin_new = dlsym(plugin, "plugin_new");
	*(void **)&plugin_put = dlsym(plugin, "plugin_put");
	if (!plugin_new || !plugin_put) {
		printf("Bail out! the plugin lacks plugin_new or plugin_put\n");
		return 1;
	}
	if (pthread_create(&th, NULL, worker, NULL) != 0) {
		printf("Bail out! pthread_create failed\n");
		return 1;
	}
	pthread_mutex_lock(&lock);
	while (!used)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	printf("%sok 1 - a worker thread allocates and frees through the plugin\n", failed ? "not " : "");

	dlclose(plugin);
	printf("%sok 2 - the plugin is unloaded by dlclose\n",
	       dlopen(PLUGIN_PATH, RTLD_NOW | RTLD_NOLOAD) ? "not " : "");
	fflush(stdout);

	pthread_mutex_lock(&lock);
	unloaded = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(th, NULL);
	printf("ok 3 - the worker exits after the unload, and its thread data is destroyed\n");
	return 0;
}
