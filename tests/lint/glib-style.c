/* GLib's spellings (g_autofree, g_autoptr and a GMutexLocker-style lock, with stand-ins for its macros): a placeholder assigned after the locker and a g_autofree without initialiser are reported */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define g_autofree __attribute__((cleanup(g_autoptr_cleanup_generic_gfree)))
static inline void g_autoptr_cleanup_generic_gfree(void *p)
{
	free(*(void **)p);
}
#define G_DEFINE_AUTOPTR_CLEANUP_FUNC(Type, func) \
	typedef Type *_GLIB_AUTOPTR_##Type; \
	static inline void glib_autoptr_cleanup_##Type(Type **p) { if (*p) func(*p); }
#define g_autoptr(Type) __attribute__((cleanup(glib_autoptr_cleanup_##Type))) _GLIB_AUTOPTR_##Type

typedef pthread_mutex_t GMutexLocker;
static inline GMutexLocker *g_mutex_locker_new(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	return m;
}
static inline void g_mutex_locker_free(GMutexLocker *l)
{
	pthread_mutex_unlock(l);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMutexLocker, g_mutex_locker_free)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

size_t placeholder(const char *s);
size_t placeholder(const char *s)
{
	g_autofree char *copy = NULL; /* expect: objlife-free-before-guard */
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock); /* expect-note */

	copy = strdup(s);
	return copy ? strlen(copy) : 0;
}

size_t uninitialised(const char *s);
size_t uninitialised(const char *s)
{
	g_autofree char *copy; /* expect: objlife-cleanup-uninitialized */

	copy = strdup(s);
	return copy ? strlen(copy) : 0;
}
