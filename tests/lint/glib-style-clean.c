/* GLib's spellings (g_autofree, g_autoptr, a GMutexLocker-style lock, g_steal_pointer, with stand-ins for its macros) used as GLib documents them are clean */
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
static inline void *g_steal_pointer(void *pp)
{
	void **p = pp, *v = *p;
	*p = NULL;
	return v;
}

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

char *dup_locked(const char *s);
char *dup_locked(const char *s)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	g_autofree char *copy = strdup(s);

	if (!copy || !*copy)
		return NULL;
	return g_steal_pointer(&copy);
}
