/* objlife-free-before-guard: a placeholder assigned inside a scoped guard's body is clean: the value is meant to outlive the lock */
#include <objlife/cleanup.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *shared = "value";

size_t copy_len(void);
size_t copy_len(void)
{
	char *copy objlife_auto(free) = NULL;

	objlife_scoped_guard(mutex, &lock) {
		copy = strdup(shared);
	}
	return copy ? strlen(copy) : 0;
}
