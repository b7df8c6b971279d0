/* objlife-free-before-guard: a placeholder assigned before the guard is defined is clean: its cleanup runs after the unlock, as it was taken before the lock */
#include <objlife/cleanup.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static size_t total;

size_t add(const char *s);
size_t add(const char *s)
{
	char *copy objlife_auto(free) = NULL;

	if (s)
		copy = strdup(s);
	objlife_guard(mutex)(&lock);
	total += copy ? strlen(copy) : 0;
	return total;
}
