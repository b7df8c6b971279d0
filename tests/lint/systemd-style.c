/* systemd's spellings (_cleanup_, _cleanup_free_, with stand-ins for its macros): a placeholder assigned after an unlock cleanup, an uninitialised variable and a goto are reported */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)
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

size_t placeholder(const char *s);
size_t placeholder(const char *s)
{
	_cleanup_free_ char *copy = NULL; /* expect: objlife-free-before-guard */
	_cleanup_(unlockp) pthread_mutex_t *locked = lock_it(&lock); /* expect-note */

	copy = strdup(s);
	return copy ? strlen(copy) : 0;
}

size_t uninitialised(const char *s);
size_t uninitialised(const char *s)
{
	_cleanup_free_ char *copy; /* expect: objlife-cleanup-uninitialized */

	copy = strdup(s);
	return copy ? strlen(copy) : 0;
}

int with_goto(const char *s);
int with_goto(const char *s)
{
	_cleanup_free_ char *copy = strdup(s); /* expect: objlife-goto-with-cleanup */

	if (!copy)
		goto fail; /* expect-note */
	return 0;
fail:
	return -1;
}
