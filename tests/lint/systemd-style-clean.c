/* systemd's spellings (_cleanup_, _cleanup_free_, TAKE_PTR, with stand-ins for its macros) used as its coding style asks are clean */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
static inline void unlockp(pthread_mutex_t **m)
{
	if (*m)
		pthread_mutex_unlock(*m);
}
static inline pthread_mutex_t *lock_it(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	return m;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

char *dup_locked(const char *s);
char *dup_locked(const char *s)
{
	_cleanup_(unlockp) pthread_mutex_t *locked = lock_it(&lock);
	_cleanup_free_ char *copy = strdup(s);

	if (!copy || !*copy)
		return NULL;
	return TAKE_PTR(copy);
}
